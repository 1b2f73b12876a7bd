"""Regressions of issue 10 for the native cache: a foreign cache root is refused, the
loaded bytes are the verified ones, FIFOs / folders / foreign files named like entries
neither hang nor get deleted, and unloadable payloads are rebuilt."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from ember.native.backend.engine import find_cc
from ember.native.cache import lookup as cache
from ember.native.cache import store as S
from ember.native.options import Options
from ember.native.types import INT64

SRC = Path(__file__).resolve().parents[3] / "src"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _handmade import build_unit, import_file, lookup, store_entry  # noqa: E402

pytestmark = pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")
OPTS = Options()
KERNEL = "K = 7\n\n\ndef f(n):\n    return n * K + 1\n"
_names = iter(range(10**6))


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBER_CACHE_DIR", raising=False)
    monkeypatch.delenv("EMBER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "kern.py").write_text(KERNEL)
    for said in (getattr(S, "_WARNED", None), getattr(cache, "_REPORTED", None)):
        if said is not None:
            said.clear()  # each test sees its own warnings
    return tmp_path


def _mod(env: Path):
    return import_file(env / "src" / "kern.py", f"ember_sec_kern_{next(_names)}")


def test_cache_root_owned_by_another_user_is_refused(env, monkeypatch):
    root = env / "shared"
    root.mkdir()
    try:
        os.chown(root, 65534, 65534)  # nobody
    except PermissionError:
        pytest.skip("changing a folder's owner needs root")
    monkeypatch.setenv("EMBER_CACHE_DIR", str(root))
    mod = _mod(env)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        entry = store_entry(mod.f)
        cache.lookup(mod.f, (INT64,), OPTS)
    said = [str(w.message) for w in caught if w.category is cache.NativeCacheWarning]
    assert len(said) == 1 and str(root) in said[0] and "owned by uid 65534" in said[0]
    assert entry.startswith(str(env / "xdg" / "ember")) and not os.listdir(root)
    hit, _ = lookup(mod.f)
    assert hit is not None and hit.module.f(6) == 43


def test_group_writable_folder_below_the_root_is_refused(env, monkeypatch):
    root = env / "mine"
    (root / "native").mkdir(parents=True, mode=0o700)
    os.chmod(root, 0o700)
    os.chmod(root / "native", 0o770)
    monkeypatch.setenv("EMBER_CACHE_DIR", str(root))
    mod = _mod(env)
    _, said = lookup(mod.f)
    assert len(said) == 1 and "writable by others" in said[0] and "native" in said[0]


def test_loaded_bytes_are_the_verified_ones(env, monkeypatch):
    mod = _mod(env)
    rogue = Path(store_entry(mod.f, 100)).read_bytes()  # a valid library: n * 100 + 1
    entry = store_entry(mod.f, 7)
    real = cache._validate

    def swap_after_verify(*args):
        out = real(*args)
        tmp = entry + ".swap"
        Path(tmp).write_bytes(rogue)
        os.replace(tmp, entry)  # the race: another tree behind the verified path
        return out

    monkeypatch.setattr(cache, "_validate", swap_after_verify)
    hit, said = lookup(mod.f)
    assert hit is not None and not said
    assert hit.module.f(6) == 43  # the verified k=7 code, not the swapped-in k=100


def _run(code: str, env: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    child.update(PYTHONPATH=os.pathsep.join([str(SRC), str(HERE)]),
                 XDG_CACHE_HOME=str(env / "xdg"))  # fmt: skip
    # The timeout makes a regression (open() of a FIFO waits forever) fail, not hang.
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=child, timeout=timeout, check=False, cwd=env)  # fmt: skip


def test_fifo_entry_hangs_neither_lookup_nor_status_nor_clean(env):
    mod = _mod(env)
    entry = store_entry(mod.f)
    os.unlink(entry)
    os.mkfifo(entry)
    code = f"""
import warnings, _handmade, pathlib
from ember.native.cache import lookup as cache
from ember.native.cache.scan import scan_native_cache, clean_native
from ember.native.options import Options
from ember.native.types import INT64
mod = _handmade.import_file(pathlib.Path({str(env / "src" / "kern.py")!r}), {mod.__name__!r})
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    print(cache.lookup(mod.f, (INT64,), Options()), len(w), "FIFO" in str(w[0].message))
(r,) = scan_native_cache([{str(env)!r}])
print(r.state, "FIFO" in r.reason)
print(clean_native([{str(env)!r}], dry_run=True), clean_native([{str(env)!r}]))
"""
    done = _run(code, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["None 1 True", "unsafe True", "[] []"]
    assert Path(entry).exists()  # not ember's format: not deleted


def test_ember_status_and_clean_n_with_a_fifo_entry(env):
    entry = store_entry(_mod(env).f)
    os.unlink(entry)
    os.mkfifo(entry)
    for argv in (["status", "src"], ["clean", "-n", "src"]):
        done = _run(f"import sys; from ember.cli import main; sys.exit(main({argv!r}))", env)
        assert "Traceback" not in done.stderr, done.stderr


def test_folder_in_place_of_an_entry_is_said_and_stored_elsewhere(env):
    mod = _mod(env)
    entry = store_entry(mod.f)
    os.unlink(entry)
    os.mkdir(entry)
    hit, said = lookup(mod.f)
    assert hit is None and len(said) == 1 and "a folder" in said[0]
    stored = store_entry(mod.f)
    assert stored.startswith(str(env / "xdg")), stored
    hit, _ = lookup(mod.f)
    assert hit is not None and hit.module.f(6) == 43


def test_folder_in_place_of_an_entry_everywhere_says_why_not(env, monkeypatch):
    monkeypatch.setenv("EMBER_CACHE_DIR", str(env / "ec"))
    mod = _mod(env)
    entry = store_entry(mod.f)
    os.unlink(entry)
    os.mkdir(entry)
    unit, obj = build_unit(mod.f, 7)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cache.store(mod.f, (INT64,), OPTS, unit, obj) is None
    (said,) = [str(w.message) for w in caught]
    assert "cannot cache f(int64)" in said and entry in said and "remove it" in said


@pytest.mark.parametrize("damage", ["elf-class", "not-elf", "wrong-type"])
def test_checksum_valid_unloadable_payload_is_refused_and_rebuilt(env, monkeypatch, damage):
    monkeypatch.setattr("ember.native.backend.engine.find_cc", lambda: None)  # object-code entries
    mod = _mod(env)
    entry = store_entry(mod.f)
    payload, meta = S.unpack(Path(entry).read_bytes())
    bad = bytearray(payload)
    if damage == "elf-class":
        bad[4] = 1 if bad[4] == 2 else 2  # "Invalid ELF class" in the JIT, at the call
    elif damage == "not-elf":
        bad[:4] = b"JUNK"
    else:
        bad[16] = 3  # a shared object where object code belongs
    del meta["sha256"]
    S.write_atomic(entry, S.pack(bytes(bad), meta))
    hit, said = lookup(mod.f)
    assert hit is None and len(said) == 1 and "ELF" in said[0]
    store_entry(mod.f)
    hit, said = lookup(mod.f)
    assert hit is not None and not said and hit.object_code[:4] == b"\x7fELF"


def test_clean_deletes_only_ember_entries_and_leftovers(env):
    from ember.native.cache.scan import clean_native, leftovers

    entry = Path(store_entry(_mod(env).f))
    folder = entry.parent
    plugin = folder / "libfoo.ember-plugin.so"
    plugin.write_bytes(b"\x7fELF not ours")
    dead = folder / f"{entry.name}.999999999-1.tmp"  # no such pid
    probe = folder / ".ember-probe-999999999"
    fresh_load = folder / ".ember-load-abc123.so"
    old_load = folder / ".ember-load-def456.so"
    live = folder / f"{entry.name}.{os.getpid()}-1.tmp"  # a writer at work
    for p in (dead, probe, fresh_load, old_load, live):
        p.write_bytes(b"x")
    old = time.time() - 2 * 3600
    os.utime(old_load, (old, old))
    assert sorted(leftovers(str(folder))) == sorted(map(str, (dead, probe, old_load)))
    removed = clean_native([env])
    assert sorted(removed) == sorted(map(str, (entry, dead, probe, old_load)))
    assert plugin.exists() and fresh_load.exists() and live.exists() and not entry.exists()
