"""``ember dist`` for CI (issue 19, item 8): --json is JSON on stdout even for an
error, with the exit status; a module that needs a third-party module not installed
here is counted apart from a broken copy."""

from __future__ import annotations

import json
from pathlib import Path

from ember import cli

SAMPLEAPP = Path(__file__).resolve().parents[2] / "examples" / "sampleapp"


def test_json_refusal_is_a_json_error(tmp_path, capsys):
    src = tmp_path / "app"
    src.mkdir()
    (src / "main.py").write_text("print(1)\n")
    assert cli.main(["dist", "--json", str(src), str(src / "dist")]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    data = json.loads(out)
    assert data["error"] == f"OUT {src / 'dist'} is inside SRC {src}"
    assert data["exit_status"] == 1


def test_json_syntax_error_carries_the_diagnostics(tmp_path, capsys):
    src = tmp_path / "app"
    src.mkdir()
    (src / "main.py").write_text("print('a'\n")
    assert cli.main(["dist", "--json", str(src), str(tmp_path / "o")]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    data = json.loads(out)
    assert data["error"].startswith("1 source file in")
    (diagnostic,) = data["diagnostics"]
    assert diagnostic.startswith(f"{src / 'main.py'}:1:6: error: '(' was never closed\n")


def test_json_usage_error_is_json_and_exit_2(tmp_path, capsys):
    assert cli.main(["dist", "-OOO", "--json", str(SAMPLEAPP), str(tmp_path / "o")]) == 2
    out, _err = capsys.readouterr()
    assert json.loads(out) == {"error": "-O at most twice (-OO)", "exit_status": 2}


def test_a_module_needing_an_uninstalled_dependency_is_counted_apart(tmp_path, capsys):
    src = tmp_path / "app"
    src.mkdir()
    (src / "main.py").write_text("print(1)\n")
    (src / "lint.py").write_text("import zz_not_installed_libcst\n")
    assert cli.main(["dist", str(src), str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert (
        "  verified   1 import, 1 needs a module not installed here "
        "(zz_not_installed_libcst): not counted as failures\n"
    ) in out
