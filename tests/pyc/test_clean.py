"""ember clean: removes cache files and emptied cache folders, never anything else."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ember.pyc.build import build
from ember.pyc.cache import cache_path
from ember.pyc.clean import clean

OLD = 1_600_000_000


def caches(tree: Path) -> list[str]:
    return sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.pyc"))


def test_removes_every_cache_and_empty_folders_only(app, tmp_path):
    build([app], levels=(0, 1), jobs=1)
    pycache = app / "shop" / "__pycache__"
    (pycache / "notes.txt").write_text("keep me")
    (pycache / "other.cpython-39.pyc").write_bytes(b"")  # another Python's: a cache too
    (app / "legacy.pyc").write_bytes(b"keep")  # a sourceless module, not a cache
    os.symlink(tmp_path, pycache / "link.cpython-311.pyc")
    report = clean([app])
    assert report.ok and len(report.removed) == 15
    assert caches(app) == ["legacy.pyc", "shop/__pycache__/link.cpython-311.pyc"]
    assert (pycache / "notes.txt").exists() and (pycache / "link.cpython-311.pyc").is_symlink()
    assert not (app / "__pycache__").exists()
    assert [p.name for p in report.removed_dirs] == ["__pycache__"]
    assert report.summary() == "removed 15 cache files and 1 empty cache folder"


def test_dry_run_removes_nothing(app):
    build([app], jobs=1)
    before = caches(app)
    report = clean([app], dry_run=True)
    assert len(report.removed) == 7 and len(report.removed_dirs) == 2
    assert caches(app) == before
    assert report.summary().startswith("would remove 7 cache files")


def test_orphans_only(app):
    build([app], jobs=1)
    (app / "shop" / "cart.py").rename(app / "shop" / "basket.py")
    report = clean([app], orphans=True)
    assert [p.name for p in report.removed] == [cache_path(Path("cart.py")).name]
    assert len(caches(app)) == 6


def test_stale_only(app, foreign_magic):
    build([app], jobs=1)
    shop = app / "shop"
    os.utime(shop / "cart.py", (OLD + 3, OLD + 3))  # stale
    body = cache_path(shop / "money.py")
    body.write_bytes(body.read_bytes()[:16] + b"\x00")  # corrupt body
    foreign = cache_path(shop / "pricing.py")
    foreign.write_bytes(foreign_magic[0] + foreign.read_bytes()[4:])
    (shop / "receipt.py").unlink()  # orphan: not stale
    report = clean([app], stale=True)
    assert sorted(p.name.split(".")[0] for p in report.removed) == ["cart", "money", "pricing"]
    both = clean([app], stale=True, orphans=True)
    assert [p.name.split(".")[0] for p in both.removed] == ["receipt"]


def test_unchecked_hash_out_of_date_is_stale(app):
    from ember.pyc.header import InvalidationMode

    build([app], mode=InvalidationMode.UNCHECKED_HASH, jobs=1)
    assert clean([app], stale=True).removed == ()
    (app / "main.py").write_text("print('new')\n")
    assert [p.name.split(".")[0] for p in clean([app], stale=True).removed] == ["main"]


def test_file_argument_and_prefix(app, tmp_path):
    build([app], jobs=1)
    assert len(clean([app / "main.py"]).removed) == 1
    prefix = tmp_path / "pc"
    build([app], prefix=prefix, jobs=1)
    report = clean([app], prefix=prefix)
    assert len(report.removed) == 7 and not list(prefix.rglob("*.pyc"))
    assert caches(app) != []  # in-tree caches untouched when cleaning the prefix tree


def test_a_cache_that_cannot_be_removed_is_an_error_about_its_folder(app, monkeypatch):
    from ember.pyc import clean as clean_mod

    build([app], jobs=1)

    def refuse(path, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(clean_mod.os, "unlink", refuse)
    monkeypatch.chdir(app)
    report = clean([Path("main.py")])
    assert not report.ok and report.removed == ()
    tag = sys.implementation.cache_tag
    assert report.failures[0].render().splitlines() == [
        f"__pycache__: error: cannot remove main.{tag}.pyc (Permission denied)",
        "hint: check the folder's permissions",
    ]
    assert report.to_json()["errors"][0]["file"] == "__pycache__"


@pytest.mark.parametrize("given", ["proj", "proj/a/m.py"])
def test_a_symlinked_pycache_is_never_followed_out_of_the_tree(tmp_path, monkeypatch, given):
    tag = sys.implementation.cache_tag
    (tmp_path / "proj" / "a").mkdir(parents=True)
    (tmp_path / "proj" / "a" / "m.py").write_text("x = 1\n")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / f"m.{tag}.pyc").write_bytes(b"a user's file")
    (victim / f"n.{tag}.pyc").write_bytes(b"another")
    (tmp_path / "proj" / "a" / "__pycache__").symlink_to("../../victim")
    monkeypatch.chdir(tmp_path)
    report = clean([Path(given)])
    assert report.removed == ()
    assert sorted(p.name for p in victim.iterdir()) == [f"m.{tag}.pyc", f"n.{tag}.pyc"]


def test_unreadable_folders_are_one_line_errors_as_nobody(nobody):
    # Regression (issue 19, item 4): PermissionError tracebacks from a folder the user
    # may not enter; an unreadable __pycache__ was silently "removed 0".
    from conftest import ember_env
    from test_status import _locked_tree

    tree = nobody.workdir("clean")
    _locked_tree(tree)
    (tree / "pkg" / "__pycache__").mkdir()
    mine = tree / "pkg" / "__pycache__" / "ok.cpython-311.pyc"
    mine.write_bytes(b"x" * 20)
    for folder in (tree / "pkg", tree / "pkg" / "__pycache__"):
        os.chown(folder, nobody.uid, nobody.gid)  # nobody may remove what is there
    for argv in (["clean", "-n", "pkg"], ["clean", "pkg"]):
        done = nobody.run(["-m", "ember", *argv], cwd=tree, env=ember_env())
        assert "Traceback" not in done.stderr
        assert done.returncode == 1
        assert "pkg/locked: error: cannot list directory (Permission denied)" in done.stderr
        assert "pkg/shut/__pycache__: error: cannot list directory" in done.stderr
    assert not mine.exists()  # what could be removed was
