"""``ember dist`` on the command line: the report, -O/-OO, --force, --json, and
refusals and syntax errors as diagnostics with exit status 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ember import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLEAPP = ROOT / "examples" / "sampleapp"
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"


def test_dist_sampleapp_and_run_it(tmp_path, capsys):
    out = tmp_path / "shop-dist"
    assert cli.main(["dist", str(SAMPLEAPP), str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"ember dist: {SAMPLEAPP} -> {out}  (app: 7 modules")
    assert "verified   all 7 modules import" in text
    assert "Still readable in these .pyc files (this is not protection):" in text
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run(
        [sys.executable, str(out / "main.py")], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0 and proc.stdout.startswith("sampleapp shop 1.0\n")


def test_dash_oo_and_json(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["dist", "-OO", "--json", str(SAMPLEAPP), str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["optimize"] == 2 and data["readable"]["docstrings"] == 0
    assert data["python"] == HERE and data["verified"] is True
    assert json.loads((out / "EMBER-DIST.json").read_text())["optimize"] == 2


def test_existing_out_needs_force(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["dist", "--no-verify", str(SAMPLEAPP), str(out)]) == 0
    capsys.readouterr()
    assert cli.main(["dist", str(SAMPLEAPP), str(out)]) == 1
    err = capsys.readouterr().err
    assert (
        err == f"ember dist: error: OUT {out} is not empty\n"
        "hint: add --force to replace an earlier ember dist\n"
    )
    assert cli.main(["dist", "--force", "--no-verify", str(SAMPLEAPP), str(out)]) == 0


def test_out_inside_src_is_refused(tmp_path, capsys):
    src = tmp_path / "app"
    src.mkdir()
    (src / "main.py").write_text("print(1)\n")
    assert cli.main(["dist", str(src), str(src / "dist")]) == 1
    assert f"ember dist: error: OUT {src / 'dist'} is inside SRC {src}" in capsys.readouterr().err
    assert not (src / "dist").exists()


def test_syntax_error_is_a_diagnostic(tmp_path, capsys):
    src = tmp_path / "app"
    src.mkdir()
    (src / "main.py").write_text("print('a'\n")
    assert cli.main(["dist", str(src), str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{src / 'main.py'}:1:6: error: '(' was never closed\n    print('a'\n")
    assert "ember dist: error: 1 source file in" in err


def test_failed_import_exits_1(tmp_path, capsys):
    src = tmp_path / "app"
    src.mkdir()
    (src / "main.py").write_text("raise RuntimeError('no config')\n")
    assert cli.main(["dist", str(src), str(tmp_path / "o")]) == 1
    assert "main: RuntimeError: no config" in capsys.readouterr().out


def test_help_teaches(capsys):
    with pytest.raises(SystemExit):
        cli.main(["dist", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "not protection" in out and "-OO" in out


def test_default_excludes_leave_environments_out_of_out(tmp_path, capsys):
    # An app folder with its .venv and build output beside the code: OUT gets the app
    # only, the note (stderr) names what was left out, --json lists it.
    import shutil

    src = tmp_path / "app"
    shutil.copytree(SAMPLEAPP, src, ignore=shutil.ignore_patterns("__pycache__"))
    for rel in (".venv/lib/python3.11/site-packages/pkg/__init__.py", "build/lib/x.py"):
        (src / rel).parent.mkdir(parents=True)
        (src / rel).write_text("")
    (src / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    out = tmp_path / "o"
    assert cli.main(["dist", "--no-verify", str(src), str(out)]) == 0
    captured = capsys.readouterr()
    assert "(app: 7 modules, 0 other files copied)" in captured.out
    assert captured.err == (
        f"note: skipped {src}/.venv (a virtual environment), {src}/build (build output); "
        "--no-default-excludes walks them\n"
    )
    assert not (out / ".venv").exists() and not (out / "build").exists()
    assert cli.main(["dist", "--json", "--no-verify", "--force", str(src), str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["reason"] for s in doc["skipped"]] == ["a virtual environment", "build output"]
    assert cli.main(["dist", "--no-verify", "--force", "--include-venvs", str(src), str(out)]) == 0
    assert (out / ".venv" / "pyvenv.cfg").is_file() and (out / "build" / "lib" / "x.pyc").is_file()
