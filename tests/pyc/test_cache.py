"""Cache paths both ways, every verdict produced on purpose, the guarded body check,
and source discovery (exclude, symlinks, bad paths)."""

from __future__ import annotations

import importlib.util
import os
import py_compile
import sys
from pathlib import Path

import pytest

from ember.pyc import cache as cache_mod
from ember.pyc.cache import (
    cache_path,
    check_bodies,
    find_sources,
    judge,
    judge_cache,
    parse_cache_name,
    source_for_cache,
)
from ember.pyc.header import InvalidationMode, pack

OLD = 1_600_000_000


@pytest.mark.parametrize("level", ["", 1, 2])
def test_cache_path_matches_importlib(level):
    source = "/srv/app/shop/cart.py"
    expected = importlib.util.cache_from_source(source, optimization=level)
    assert cache_path(Path(source), optimization=level) == Path(expected)


def test_level_zero_has_no_suffix():
    assert cache_path(Path("a.py"), optimization=0) == cache_path(Path("a.py"))


def test_cache_path_with_prefix_matches_importlib(monkeypatch, tmp_path):
    source = str(tmp_path / "pkg" / "mod.py")
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pc"))
    expected = importlib.util.cache_from_source(source, optimization=1)
    assert cache_path(Path(source), optimization=1, prefix=tmp_path / "pc") == Path(expected)


def test_bad_optimization_is_refused():
    with pytest.raises(ValueError):
        cache_path(Path("a.py"), optimization="1/2")


@pytest.mark.parametrize("minor", range(10, 16))
@pytest.mark.parametrize("opt", ["", ".opt-1", ".opt-2"])
def test_source_for_cache_any_tag(minor, opt):
    cache = Path(f"/a/b/__pycache__/mod.cpython-3{minor}{opt}.pyc")
    assert source_for_cache(cache) == Path("/a/b/mod.py")


@pytest.mark.parametrize(
    "path", ["/a/__pycache__/mod.pyc", "/a/__pycache__/mod.py", "/a/mod.cpython-311.pyc"]
)
def test_source_for_cache_rejects_non_caches(path):
    assert source_for_cache(Path(path)) is None


def test_source_for_cache_with_prefix_inverts_cache_path(tmp_path):
    source = tmp_path / "x" / "mod.py"
    cache = cache_path(source, optimization=2, prefix=tmp_path / "pc")
    assert source_for_cache(cache, prefix=tmp_path / "pc") == source
    assert source_for_cache(cache, prefix=tmp_path / "elsewhere") is None


def test_parse_cache_name():
    assert parse_cache_name("m.cpython-313.opt-2.pyc") == ("m", "cpython-313", "2")
    assert parse_cache_name("m.py") is None


# --- verdicts -----------------------------------------------------------------------


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "mod.py"
    path.write_text("x = 1\n")
    os.utime(path, (OLD, OLD))
    return path


def compiled(src: Path, mode: InvalidationMode = InvalidationMode.TIMESTAMP) -> Path:
    cache = Path(py_compile.compile(str(src), invalidation_mode=mode.to_py_compile(), doraise=True))
    os.utime(cache, (OLD + 100, OLD + 100))
    return cache


def test_missing(src):
    v = judge(src)
    assert (v.state, v.reason, v.header) == ("missing", "no cache file", None)


@pytest.mark.parametrize("mode", [InvalidationMode.TIMESTAMP, InvalidationMode.CHECKED_HASH])
def test_fresh(src, mode):
    compiled(src, mode)
    v = judge(src)
    assert v.state == "fresh" and v.ok and v.header.mode is mode


def test_stale_mtime(src):
    compiled(src)
    os.utime(src, (OLD + 5, OLD + 5))
    v = judge(src)
    assert v.state == "stale" and "source modified" in v.reason


def test_stale_size_with_same_mtime(src):
    compiled(src)
    src.write_text("x = 12\n")
    os.utime(src, (OLD, OLD))
    v = judge(src)
    assert v.state == "stale" and v.reason == "source size changed (6 -> 7 bytes)"


def test_stale_hash_with_same_mtime_and_size(src):
    compiled(src, InvalidationMode.CHECKED_HASH)
    src.write_text("x = 2\n")
    os.utime(src, (OLD, OLD))
    v = judge(src)
    assert (v.state, v.reason) == ("stale", "source hash changed")


@pytest.mark.parametrize("edit", [False, True])
def test_unchecked(src, edit):
    compiled(src, InvalidationMode.UNCHECKED_HASH)
    if edit:
        src.write_text("x = 2\n")
    v = judge(src)
    # Out of date, it is stale in the way that matters most: the importer still loads it.
    assert v.state == ("stale" if edit else "unchecked") and not v.ok
    assert ("old code runs" in v.reason) == edit
    assert "never revalidates" in v.reason or edit


def test_foreign(src, foreign_magic):
    cache = compiled(src)
    magic, version = foreign_magic
    cache.write_bytes(magic + cache.read_bytes()[4:])
    v = judge(src)
    assert (v.state, v.reason) == ("foreign", f"built by Python {version}")


@pytest.mark.parametrize("cut", [0, 4, 8, 15])
def test_corrupt_short_header(src, cut):
    cache = compiled(src)
    cache.write_bytes(cache.read_bytes()[:cut])
    v = judge(src)
    assert v.state == "corrupt" and "truncated header" in v.reason


def test_corrupt_flags(src):
    cache = compiled(src)
    data = cache.read_bytes()
    cache.write_bytes(data[:4] + (4).to_bytes(4, "little") + data[8:])
    assert judge(src).state == "corrupt"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\xff\x00garbage", "does not unmarshal"),
        (b"", "does not unmarshal"),
        (b"\xe9" + b"\x01" * 8, "not a code object"),
    ],
)
def test_corrupt_body(src, body, why):
    cache = compiled(src)
    cache.write_bytes(cache.read_bytes()[:16] + body)
    v = judge(src)
    assert v.state == "corrupt" and why in v.reason
    assert judge(src, check_body=False).state == "fresh"


def test_same_second(src):
    cache = compiled(src)
    os.utime(cache, (OLD + 0.5, OLD + 0.5))
    v = judge(src)
    assert v.state == "same-second" and "second the source was last modified" in v.reason


def test_orphan(src):
    compiled(src)
    src.unlink()
    v = judge(src)
    assert v.state == "orphan" and v.source == src
    assert judge_cache(v.cache).state == "orphan"


def test_neither_source_nor_cache(tmp_path):
    with pytest.raises(FileNotFoundError):
        judge(tmp_path / "nothing.py")


def test_verdict_json(src):
    compiled(src)
    doc = judge(src).to_json()
    assert doc["state"] == "fresh" and doc["mode"] == "timestamp" and doc["python"]


def test_body_check_survives_a_crashing_unmarshal(tmp_path, monkeypatch):
    # A body that kills the checking process must be reported, and the files after it
    # still checked by a fresh process.
    good = tmp_path / "good.pyc"
    good.write_bytes(
        pack(InvalidationMode.TIMESTAMP) + __import__("marshal").dumps(compile("1", "g", "eval"))
    )
    boom = tmp_path / "boom.pyc"
    boom.write_bytes(b"x" * 20)
    script = cache_mod._BODY_CHECK.replace(
        "    try:\n",
        "    if raw.endswith(b'boom.pyc'):\n        import os; os.abort()\n    try:\n",
        1,
    )
    monkeypatch.setattr(cache_mod, "_BODY_CHECK", script)
    results = check_bodies([good, boom, good, boom, good])
    assert results[0] is None and results[2] is None and results[4] is None
    assert "crashes the unmarshaller (SIGABRT)" in results[1]
    assert "SIGABRT" in results[3]


# --- finding sources ----------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "t"
    for rel in ["a.py", "pkg/__init__.py", "pkg/b.py", "pkg/data/c.py", "notes.txt"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x = 1\n")
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "stray.py").write_text("")
    return root


def names(found) -> list[str]:
    return [s.path.as_posix() for s in found.sources]


def test_find_sources_walks_sorted_and_skips_pycache(tree):
    found = find_sources([tree])
    rel = [Path(s.absolute).relative_to(tree).as_posix() for s in found.sources]
    assert rel == ["a.py", "pkg/__init__.py", "pkg/b.py", "pkg/data/c.py"]
    assert not found.problems and not found.notes


def test_exclude_by_relative_glob_and_by_name(tree):
    assert len(find_sources([tree], exclude=["pkg/data"]).sources) == 3
    assert len(find_sources([tree], exclude=["b.py"]).sources) == 3
    assert len(find_sources([tree], exclude=["*.py"]).sources) == 0


def test_symlinked_dir_is_skipped_with_a_note_or_followed(tree):
    os.symlink(tree / "pkg", tree / "link")
    found = find_sources([tree])
    assert len(found.sources) == 4
    assert any("skipped symlinked directory" in n for n in found.notes)
    # Followed, the same real files are not listed twice.
    followed = find_sources([tree], follow_symlinks=True)
    assert len(followed.sources) == 4 and not followed.notes


def test_symlink_cycle_terminates(tree):
    os.symlink(tree, tree / "pkg" / "loop")
    assert len(find_sources([tree], follow_symlinks=True).sources) == 4


def test_duplicates_across_arguments(tree):
    assert len(find_sources([tree, tree / "a.py", tree / "pkg"]).sources) == 4


def test_bad_paths_are_problems(tree):
    os.symlink(tree / "gone.py", tree / "dangling.py")
    found = find_sources([tree, tree / "nope", tree / "notes.txt"])
    messages = sorted(p.message for p in found.problems)
    assert len(found.sources) == 4
    assert messages[0].startswith("dangling symlink")
    assert messages[1] == "no such file or directory"
    assert messages[2].startswith("not a Python source file")
    assert all(p.hint for p in found.problems)
