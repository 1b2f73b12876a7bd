"""The default excludes of every tree walk (ember._skips, used by find_sources)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ember._skips import BUILD, VENV, Skipped, skip_reason, skipped_note, walks_everything
from ember.pyc.cache import find_sources


def make(root: Path, *rels: str) -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        (".venv", VENV),
        ("venv", VENV),
        (".tox", "tox environments"),
        (".nox", "nox environments"),
        ("build", BUILD),
        ("dist", BUILD),
        ("node_modules", "JavaScript packages"),
        ("site-packages", "installed packages"),
        (".git", "version control"),
        ("src", None),
        ("venvs", None),
    ],
)
def test_skip_reason_by_name(tmp_path, name, why):
    (tmp_path / name).mkdir()
    assert skip_reason(str(tmp_path / name), name) == why


def test_any_folder_with_pyvenv_cfg_is_a_venv(tmp_path):
    make(tmp_path, "myenv/pyvenv.cfg")
    assert skip_reason(str(tmp_path / "myenv"), "myenv") == VENV


@pytest.mark.parametrize("name", ["build", "dist", "venv"])
def test_a_package_is_walked_whatever_its_name(tmp_path, name):
    # pip/_internal/operations/build and the stdlib's venv are packages.
    make(tmp_path, f"{name}/__init__.py")
    assert skip_reason(str(tmp_path / name), name) is None


def test_walks_everything_inside_an_environment(tmp_path):
    make(tmp_path, "proj/.venv/pyvenv.cfg", "proj/.venv/lib/python3.11/site-packages/p/x.py")
    venv = tmp_path / "proj" / ".venv"
    assert walks_everything(str(venv))
    assert walks_everything(str(venv / "lib" / "python3.11" / "site-packages" / "p"))
    assert not walks_everything(str(tmp_path / "proj"))


def test_walks_everything_in_a_python_library(tmp_path):
    # `ember build /usr/lib/python3.11`: the stdlib and its site-packages, as compileall.
    make(tmp_path, "usr/lib/python3.11/os.py", "usr/lib/python3.11/site-packages/p/x.py")
    assert walks_everything(str(tmp_path / "usr" / "lib" / "python3.11"))
    assert walks_everything(str(tmp_path / "usr" / "lib" / "python3.11" / "json"))
    assert not walks_everything(str(tmp_path / "usr" / "lib"))
    found = find_sources([tmp_path / "usr" / "lib" / "python3.11"])
    assert len(found.sources) == 2 and found.skipped == ()


def test_note_groups_by_reason_and_is_silent_about_vcs():
    assert skipped_note([Skipped(".git", "version control")]) is None
    assert skipped_note([]) is None
    assert skipped_note([Skipped(".venv", VENV)]) == (
        "skipped .venv (a virtual environment); --no-default-excludes walks it"
    )
    many = [Skipped(f"p{i}/.venv", VENV) for i in range(5)] + [Skipped("dist", BUILD)]
    assert skipped_note(many) == (
        "skipped p0/.venv, p1/.venv, p2/.venv and 2 more (a virtual environment), "
        "dist (build output); --no-default-excludes walks them"
    )


def test_find_sources_skips_below_a_path_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "a.py", ".venv/pyvenv.cfg", ".venv/lib/m.py", "build/lib/b.py", "sub/dist/c.py")
    found = find_sources([Path(".")])
    assert [str(s.path) for s in found.sources] == ["a.py"]
    assert [(s.path, s.reason) for s in found.skipped] == [
        (".venv", VENV),
        ("build", BUILD),
        ("sub/dist", BUILD),
    ]
    # A PATH given is walked, whatever its name; below it the rules still hold.
    assert [str(s.path) for s in find_sources([Path("build")]).sources] == ["build/lib/b.py"]
    assert [str(s.path) for s in find_sources([Path(".venv")]).sources] == [".venv/lib/m.py"]
    everything = find_sources([Path(".")], default_excludes=False)
    assert len(everything.sources) == 4 and everything.skipped == ()


def test_explicit_exclude_still_applies_below_an_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, ".venv/pyvenv.cfg", ".venv/lib/m.py", ".venv/lib/t/n.py")
    found = find_sources([Path(".venv")], exclude=["t"])
    assert [str(s.path) for s in found.sources] == [".venv/lib/m.py"]


def test_a_skipped_folder_also_named_is_walked_and_not_reported(tmp_path, monkeypatch):
    # `ember build . .venv`: the second PATH asks for it.
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "a.py", ".venv/pyvenv.cfg", ".venv/m.py", "build/b.py")
    found = find_sources([Path("."), Path(".venv")])
    assert [str(s.path) for s in found.sources] == ["a.py", ".venv/m.py"]
    assert [s.path for s in found.skipped] == ["build"]
