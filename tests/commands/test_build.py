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
