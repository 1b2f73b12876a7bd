"""`ember build` as a user runs it: golden output, exit status, --json, --help."""

from __future__ import annotations

import json
import sys

import pytest


def test_build_then_no_op(app, ember):
    assert ember("build", "-j1") == (0, "compiled 7, already fresh 0, failed 0 in S s\n", "")
    assert ember("build") == (0, "compiled 0, already fresh 7, failed 0 in S s\n", "")


def test_errors_go_to_stderr_with_caret_and_hint(app, ember):
    (app / "shop" / "broken.py").write_text("def f(:\n    pass\n")
    status, out, err = ember("build", "-j1", ".", "nowhere")
    assert status == 1
    assert out == "compiled 7, already fresh 0, failed 2 in S s\n"
    assert err == (
        "nowhere: error: no such file or directory\n"
        "hint: check the path (typo? wrong directory?)\n"
        "shop/broken.py:1:7: error: SyntaxError: invalid syntax\n"
        "    def f(:\n"
        "          ^\n"
        "hint: this file is not valid Python {v}: fix it, or --exclude it if it is not meant "
        "to be imported (a template, test data)\n"
    ).format(v=f"{sys.version_info[0]}.{sys.version_info[1]}")


def test_quiet_prints_errors_only(app, ember):
    assert ember("build", "-q") == (0, "", "")


def test_json(app, ember):
    status, out, err = ember("build", "--json", "-O", "1", "--invalidation", "checked-hash")
    doc = json.loads(out)
    assert status == 0 and err == ""
    assert (doc["compiled"], doc["invalidation"], doc["levels"]) == (7, "checked-hash", [1])
    assert doc["files"][0]["caches"] == ["__pycache__/main.TAG.opt-1.pyc"]
    # The document's shape is an interface: every key, always present.
    assert sorted(doc) == [
        "cache_tag", "compiled", "errors", "failed", "files", "fresh", "invalidation",
        "levels", "notes", "prefix", "seconds", "skipped", "warnings", "workers",
    ]  # fmt: skip
    assert doc["prefix"] is None and doc["errors"] == [] and doc["failed"] == 0
    assert sorted(doc["files"][0]) == ["caches", "outcome", "source"]


def test_symlinked_folder_note(app, ember, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "x.py").write_text("x = 1\n")
    (app / "lib").symlink_to(tmp_path / "lib")
    status, out, err = ember("build", "-j1")
    assert err == "note: skipped symlinked directory ./lib (use --follow-symlinks)\n"
    assert ember("build", "-j1", "--follow-symlinks")[1].startswith("compiled 1,")


def test_help_text(capsys):
    from ember.cli import main

    with pytest.raises(SystemExit):
        main(["build", "--help"])
    out = capsys.readouterr().out
    for needle in (
        "--invalidation",
        "--exclude GLOB",
        "PYTHONDONTWRITEBYTECODE",
        "examples:",
        "exit status",
    ):
        assert needle in out


def test_json_errors_are_structured(app, ember):
    (app / "broken.py").write_text("x = 1\ndef f(:\n")
    status, out, _ = ember("build", "--json")
    doc = json.loads(out)
    assert status == 1 and doc["failed"] == 1
    error = doc["errors"][0]
    assert {k: error[k] for k in ("file", "line", "column", "severity")} == {
        "file": "broken.py",
        "line": 2,
        "column": 7,
        "severity": "error",
    }
    assert error["message"] == "SyntaxError: invalid syntax" and error["hint"]
    assert error["text"].startswith("broken.py:2:7: error: SyntaxError: invalid syntax\n")
    failed = next(f for f in doc["files"] if f["outcome"] == "failed")
    assert failed["error"] == error


SKIP_NOTE = (
    "note: skipped .venv and env2 (a virtual environment), build (build output), "
    "node_modules (JavaScript packages); --no-default-excludes walks them\n"
)


def test_default_excludes_skip_environments_once_with_a_note(cluttered, ember):
    # 7 sample-app files and the package named build; none of .venv, env2, build/,
    # node_modules or .git; the note names them once (not .git: VCS is skipped silently).
    assert ember("build", "-j1") == (0, "compiled 9, already fresh 0, failed 0 in S s\n", SKIP_NOTE)
    assert (cluttered / "tools" / "build" / "__pycache__").is_dir()
    assert not list((cluttered / ".venv").rglob("__pycache__"))
    assert ember("build", "-q") == (0, "", "")


def test_no_default_excludes_walks_everything(cluttered, ember):
    status, out, err = ember("build", "-j1", "--no-default-excludes")
    # + .venv's 2, env2's 1, build/'s 1, node_modules' 1, .git's 1
    assert (status, out, err) == (0, "compiled 15, already fresh 0, failed 0 in S s\n", "")
    assert ember("build", "--include-venvs")[1] == "compiled 0, already fresh 15, failed 0 in S s\n"


@pytest.mark.parametrize("path", [".venv", ".venv/lib/python3.11/site-packages", "env2/lib"])
def test_a_named_environment_is_walked_whole(cluttered, ember, path):
    # Naming it is asking for it; and below a PATH inside an environment nothing is
    # skipped (pip's own pip/_internal/operations/build is a package there).
    (cluttered / ".venv/lib/python3.11/site-packages/pkg/build").mkdir()
    (cluttered / ".venv/lib/python3.11/site-packages/pkg/build/x.py").write_text("")
    n = 1 if path == "env2/lib" else 3
    assert ember("build", "-j1", path) == (
        0,
        f"compiled {n}, already fresh 0, failed 0 in S s\n",
        "",
    )


def test_site_packages_shortcut(cluttered, ember, monkeypatch):
    import sysconfig

    site = str(cluttered / ".venv/lib/python3.11/site-packages")
    monkeypatch.setattr(sysconfig, "get_paths", lambda: {"purelib": site, "platlib": site})
    assert ember("build", "-j1", "--site-packages") == (
        0,
        "compiled 2, already fresh 0, failed 0 in S s\n",
        "",
    )
    # With PATHs: both.
    assert ember("build", "-j1", "--site-packages", "shop")[1].startswith(
        "compiled 6, already fresh 2"
    )


def test_json_lists_skipped_folders(cluttered, ember):
    doc = json.loads(ember("build", "-j1", "--json")[1])
    assert doc["skipped"] == [
        {"path": ".git", "reason": "version control"},
        {"path": ".venv", "reason": "a virtual environment"},
        {"path": "build", "reason": "build output"},
        {"path": "env2", "reason": "a virtual environment"},
        {"path": "node_modules", "reason": "JavaScript packages"},
    ]
