"""The native cache's file format, safety checks, atomic writes and locations."""

from __future__ import annotations

import os
import stat

import pytest

from ember.native.cache import store as S


def _entry(tmp_path, payload=b"\x7fELF-payload" * 10, meta=None):
    folder = tmp_path / "c"
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)
    path = folder / "m.f.0123.ember-cpython-311.so"
    S.write_atomic(str(path), S.pack(payload, meta or {"format": 1, "root": {"qualname": "f"}}))
    return path


def test_pack_round_trip_adds_the_payload_checksum():
    payload, meta = S.unpack(S.pack(b"abc", {"format": 1, "x": [1, 2]}))
    assert payload == b"abc"
    assert meta["x"] == [1, 2]
    assert meta["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("text", [
    '{"format":1,"a":[1,-2.5,1e300,true,false,null],"s":"\\u00e9\\n\\"x","n":{}}',
    '  {"nested": [[{"k": "v"}], []]}\n', '[1, 2]', '"text"', "-0", "NaN", "-Infinity",
])  # fmt: skip
def test_parse_meta_reads_as_json_loads_does(text):
    # The C scanner of json.loads, driven directly (no `import json` on a cache hit).
    import json
    import math

    ours, theirs = S.parse_meta(text.encode()), json.loads(text)
    if isinstance(theirs, float) and math.isnan(theirs):
        assert math.isnan(ours)
    else:
        assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("text", [b"", b" ", b'{"a":1} x', b'{"a":1}{}', b'{"a":', b'{"a":01}',
                                  b'{"a":"\x01"}', b"\xff\xfe", b"{'a': 1}"])  # fmt: skip
def test_parse_meta_refuses_what_json_loads_refuses(text):
    import json

    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        S.parse_meta(text)


def test_metadata_that_is_not_json_is_refused_as_corrupt():
    # Checksums recomputed, as a forger would: the text itself is still checked.
    text = b'{"format":1} trailing'
    blob = b"".join((b"payload", text, S.sha256(text), len(text).to_bytes(8, "little"), S.MAGIC))
    with pytest.raises(S.EntryError, match="unreadable metadata") as info:
        S.unpack(blob)
    assert info.value.kind == "corrupt"


def test_every_truncation_is_refused():
    blob = S.pack(b"payload-bytes", {"format": 1, "root": "r"})
    for cut in range(len(blob)):
        with pytest.raises(S.EntryError) as info:
            S.unpack(blob[:cut])
        assert info.value.kind == "corrupt"


def test_every_flipped_byte_is_refused():
    blob = S.pack(b"payload-bytes", {"format": 1, "root": "r"})
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(S.EntryError):
            S.unpack(bytes(bad))


def test_read_meta_reads_only_the_tail(tmp_path):
    path = _entry(tmp_path, meta={"format": 1, "root": {"qualname": "g"}})
    assert S.read_meta(str(path))["root"] == {"qualname": "g"}
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(S.EntryError):
        S.read_meta(str(path))


def test_read_entry_verifies_everything(tmp_path):
    path = _entry(tmp_path)
    blob, payload, meta = S.read_entry(str(path))
    assert payload.startswith(b"\x7fELF") and blob.endswith(S.MAGIC)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # mkstemp's mode survives the rename


def test_world_writable_entry_is_refused(tmp_path):
    path = _entry(tmp_path)
    os.chmod(path, 0o666)
    with pytest.raises(S.EntryError) as info:
        S.read_entry(str(path))
    assert info.value.kind == "unsafe" and "writable by others" in info.value.reason


def test_group_writable_folder_is_refused(tmp_path):
    path = _entry(tmp_path)
    os.chmod(path.parent, 0o770)
    with pytest.raises(S.EntryError) as info:
        S.read_entry(str(path))
    assert info.value.kind == "unsafe" and "folder" in info.value.reason


@pytest.mark.skipif(os.getuid() != 0, reason="changing a file's owner needs root")
def test_entry_owned_by_another_user_is_refused(tmp_path):
    path = _entry(tmp_path)
    os.chown(path, 65534, 65534)
    with pytest.raises(S.EntryError) as info:
        S.read_entry(str(path))
    assert "owned by uid 65534" in info.value.reason


def test_write_atomic_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "e.so"
    for i in range(3):
        S.write_atomic(str(target), bytes([i]) * 10)
    assert os.listdir(tmp_path) == ["e.so"]
    assert target.read_bytes() == b"\x02" * 10


def test_make_private_dirs_is_user_only(tmp_path):
    folder = tmp_path / "a" / "b" / "c"
    S.make_private_dirs(str(folder))
    for p in (folder, folder.parent, folder.parent.parent):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o700


def test_candidate_dirs_pycache_then_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    locs = S.candidate_dirs(str(tmp_path / "src" / "k.py"))
    assert locs[0] == S.Location(str(tmp_path / "src" / "__pycache__"), False)
    assert locs[1].private and locs[1].folder.startswith(str(tmp_path / "xdg" / "ember" / "native"))
    assert os.path.basename(locs[1].folder).startswith("src-")


def test_ember_cache_dir_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_CACHE_DIR", str(tmp_path / "ec"))
    (loc,) = S.candidate_dirs(str(tmp_path / "src" / "k.py"))
    assert loc.folder.startswith(str(tmp_path / "ec"))
    src = tmp_path / "src"
    src.mkdir()
    assert S.writable_location(str(src / "k.py")) == loc
    assert stat.S_IMODE(os.stat(tmp_path / "ec").st_mode) == 0o700


def test_writable_location_creates_a_user_only_pycache(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBER_CACHE_DIR", raising=False)
    loc = S.writable_location(str(tmp_path / "k.py"))
    assert loc is not None and loc.folder == str(tmp_path / "__pycache__")
    assert stat.S_IMODE(os.stat(loc.folder).st_mode) == 0o700


def test_writable_location_skips_an_unsafe_pycache(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "__pycache__").mkdir()
    os.chmod(tmp_path / "__pycache__", 0o777)
    loc = S.writable_location(str(tmp_path / "k.py"))
    assert loc is not None and loc.private


def test_entry_names():
    assert S.is_entry_name("k.f.0123456789abcdef.ember-cpython-311.so")
    assert S.is_entry_name("k.f.0123456789abcdef.ember-cpython-311.o")
    assert not S.is_entry_name(".k.f.ember-cpython-311.so.x1y2.tmp")
    assert not S.is_entry_name("k.cpython-311.pyc")


def test_debug_flag(monkeypatch, capsys):
    monkeypatch.setenv("EMBER_DEBUG", "jit,cache")
    S.debug("hello")
    assert capsys.readouterr().err == "ember cache: hello\n"
    monkeypatch.setenv("EMBER_DEBUG", "jit")
    S.debug("quiet")
    assert capsys.readouterr().err == ""


def test_parse_meta_without_the_c_scanner(monkeypatch):
    # An interpreter without _json: json.loads itself, same answers and errors.
    import json

    monkeypatch.setattr(S, "_scan", S._JsonLoads(json.loads))
    assert S.parse_meta(b' {"a": [1, null]}\n') == {"a": [1, None]}
    with pytest.raises(ValueError):
        S.parse_meta(b'{"a": 1} x')
