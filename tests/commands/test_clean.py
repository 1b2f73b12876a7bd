"""`ember clean` as a user runs it."""

from __future__ import annotations

import json


def test_dry_run_then_clean(app, ember):
    ember("build", "-j1")
    status, out, err = ember("clean", "--dry-run", "shop")
    assert status == 0 and err == ""
    assert out.splitlines()[0] == "would remove shop/__pycache__/__init__.TAG.pyc"
    assert out.splitlines()[-2:] == [
        "would remove shop/__pycache__",
        "would remove 6 cache files and 1 empty cache folder",
    ]
    assert ember("clean") == (0, "removed 7 cache files and 2 empty cache folders\n", "")
    assert ember("clean") == (0, "removed 0 cache files and 0 empty cache folders\n", "")


def test_orphans_verbose(app, ember):
    ember("build", "-j1")
    (app / "main.py").unlink()
    assert ember("clean", "--orphans", "-v") == (
        0,
        "removed __pycache__/main.TAG.pyc\n"
        "removed __pycache__\n"
        "removed 1 cache file and 1 empty cache folder\n",
        "",
    )


def test_default_excludes_leave_environments_alone(cluttered, ember):
    ember("build", "-j1", "-q", "--no-default-excludes")
    status, out, err = ember("clean", "-n")
    assert status == 0
    assert out.splitlines()[-1] == "would remove 9 cache files and 3 empty cache folders"
    assert not any(".venv" in line or "node_modules" in line for line in out.splitlines())
    assert err == (
        "note: skipped .venv and env2 (a virtual environment), build (build output), "
        "node_modules (JavaScript packages); --no-default-excludes walks them\n"
    )
    doc = json.loads(ember("clean", "-n", "--json")[1])
    assert [s["path"] for s in doc["skipped"]] == [".git", ".venv", "build", "env2", "node_modules"]
    assert ember("clean", "-q") == (0, "", "")
    assert list((cluttered / ".venv").rglob("*.pyc"))
    # Named, it is cleaned; and --no-default-excludes cleans the rest.
    assert ember("clean", ".venv")[1] == "removed 2 cache files and 1 empty cache folder\n"
    assert ember("clean", "--include-venvs")[1] == (
        "removed 4 cache files and 4 empty cache folders\n"
    )
    assert not list(cluttered.rglob("*.pyc"))
