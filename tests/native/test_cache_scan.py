"""Verdicts on native cache entries for ``ember status`` / ``ember clean``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ember.native import cache
from ember.native import cache_store as S
from ember.native.cache_scan import judge_entry, remove, scan_native_cache
from ember.native.engine import find_cc
from ember.native.options import Options
from ember.native.types import INT64

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _handmade import build_unit, import_file  # noqa: E402

# These expect shared-object entries (the no-linker path is forced where tested).
pytestmark = pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")

KERNEL = "K = 7\n\n\ndef f(n):\n    return n * K + 1\n"
_names = iter(range(10**6))


@pytest.fixture
def entry(tmp_path, monkeypatch):
    monkeypatch.delenv("EMBER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / "kern.py"
    path.write_text(KERNEL)
    mod = import_file(path, f"ember_scan_kern_{next(_names)}")
    unit, obj = build_unit(mod.f, 7)
    stored = cache.store(mod.f, (INT64,), Options(), unit, obj)
    assert stored is not None
    return Path(stored)


def _one(paths):
    (record,) = scan_native_cache(paths)
    return record


def test_fresh(entry, tmp_path):
    r = _one([tmp_path / "src"])
    assert (r.state, r.qualname, r.signature, r.kind) == ("fresh", "f", "(int64)", "so")
    assert r.path == str(entry) and r.source == str(tmp_path / "src" / "kern.py")
    assert r.describe().startswith("f(int64) [so]: fresh (sources unchanged")
    assert _one([tmp_path / "src" / "kern.py"]).state == "fresh"
    assert scan_native_cache([tmp_path / "src" / "other.py"]) == []


def test_touched_is_fresh_edited_is_stale(entry, tmp_path):
    src = tmp_path / "src" / "kern.py"
    os.utime(src, ns=(5, 5))
    assert _one([tmp_path]).state == "fresh"
    src.write_text(KERNEL.replace("+ 1", "+ 2"))
    r = _one([tmp_path])
    assert (r.state, r.reason) == ("stale", "the source of f changed")


def test_moved_function_is_fresh(entry, tmp_path):
    (tmp_path / "src" / "kern.py").write_text("\n\n# moved\n" + KERNEL)
    assert _one([tmp_path]).state == "fresh"


def test_orphaned(entry, tmp_path):
    src = tmp_path / "src" / "kern.py"
    src.write_text("K = 7\n")
    r = _one([tmp_path])
    assert r.state == "orphan" and "f is no longer defined" in r.reason
    src.unlink()
    r = _one([tmp_path / "src"])
    assert r.state == "orphan" and r.reason.endswith("kern.py is gone")


def test_corrupt_unsafe_foreign(entry, tmp_path):
    blob = entry.read_bytes()
    entry.write_bytes(blob[:-1])
    assert judge_entry(str(entry)).state == "corrupt"
    entry.write_bytes(blob)
    os.chmod(entry, 0o666)
    assert judge_entry(str(entry)).state == "unsafe"
    os.chmod(entry, 0o600)
    payload, meta = S.unpack(blob)
    meta["env"]["machine"] = "f" * 16
    S.write_atomic(str(entry), S.pack(payload, meta))
    r = judge_entry(str(entry))
    assert r.state == "foreign" and "another CPU" in r.reason


def test_scan_everything_in_the_user_cache(entry, tmp_path, monkeypatch):
    assert scan_native_cache(None) == []  # the entry is in the tree's __pycache__
    monkeypatch.setenv("EMBER_CACHE_DIR", str(tmp_path / "ec"))
    mod = import_file(tmp_path / "src" / "kern.py", f"ember_scan_kern_{next(_names)}")
    unit, obj = build_unit(mod.f, 7)
    assert cache.store(mod.f, (INT64,), Options(), unit, obj) is not None
    (r,) = scan_native_cache(None)
    assert r.state == "fresh" and r.path.startswith(str(tmp_path / "ec"))


def test_remove(entry, tmp_path):
    records = scan_native_cache([tmp_path])
    assert remove(records, dry_run=True) == (1, entry.stat().st_size)
    assert entry.exists()
    assert remove(records)[0] == 1 and not entry.exists()
    assert remove(records) == (0, 0)  # already gone: not an error


def test_status_section_renders_like_the_bytecode_section(entry, tmp_path, monkeypatch):
    from ember.commands.status import render_section
    from ember.native.cache_scan import status_section

    monkeypatch.chdir(tmp_path)
    section = status_section([tmp_path])
    assert section.ok and section.counts() == {"fresh": 1}
    assert section.title.startswith("native caches (")
    text = render_section(section)
    assert "fresh" in text and "src/kern.py" in text and "f(int64) [so]: sources unchanged" in text
    assert text.endswith("1 cache: 1 fresh\n")
    assert section.to_json()["records"][0]["function"] == "f"


def test_clean_native(entry, tmp_path):
    from ember.native.cache_scan import clean_native

    assert clean_native([tmp_path], orphans=True) == []
    assert clean_native([tmp_path], stale=True) == []
    assert clean_native([tmp_path], dry_run=True) == [str(entry)] and entry.exists()
    (tmp_path / "src" / "kern.py").unlink()
    assert clean_native([tmp_path], orphans=True) == [str(entry)] and not entry.exists()


def test_default_excludes_match_the_bytecode_walk(entry, tmp_path):
    # The entry's source folder becomes a virtual environment: a walk from above skips
    # it (as ember status/clean do for bytecode), naming it walks it, and
    # default_excludes=False (--no-default-excludes) walks it too.
    (tmp_path / "src" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert scan_native_cache([tmp_path]) == []
    assert len(scan_native_cache([tmp_path], default_excludes=False)) == 1
    assert len(scan_native_cache([tmp_path / "src"])) == 1


def test_no_default_excludes_walks_dot_folders_too(entry, tmp_path):
    # A dot folder is skipped by default (as before), walked with default_excludes=False.
    os.rename(tmp_path / "src", tmp_path / ".hidden")
    assert scan_native_cache([tmp_path]) == []
    assert len(scan_native_cache([tmp_path], default_excludes=False)) == 1
