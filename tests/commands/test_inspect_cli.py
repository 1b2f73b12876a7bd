"""``ember inspect`` on the command line: text, --strings, --dis, --json, exit
statuses, and errors as a message and a hint rather than a traceback."""

from __future__ import annotations

import json
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

from ember import cli

SRC = str(Path(__file__).resolve().parents[2] / "src")
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture
def compiled(tmp_path: Path) -> Path:
    src = tmp_path / "secret.py"
    src.write_text('"""Doc."""\nAPI_KEY = "sk-live-42"\n\n\ndef f(x):\n    return x\n')
    py_compile.compile(str(src), doraise=True)
    return src


def test_source_shows_header_verdict_and_code_objects(compiled, capsys):
    assert cli.main(["inspect", str(compiled)]) == 0
    out = capsys.readouterr().out
    assert f"(Python {HERE})" in out
    assert "  mode      timestamp (flags 0x0)" in out
    assert "  verdict   " in out
    assert "  5-6         function      f()" in out
    assert "sk-live-42" not in out  # strings only with --strings


def test_strings_come_with_the_plain_warning(compiled, capsys):
    assert cli.main(["inspect", str(compiled), "--strings"]) == 0
    out = capsys.readouterr().out
    assert "'sk-live-42'" in out
    assert "is readable in a .pyc" in out and "not protection" in out


def test_dis(compiled, capsys):
    assert cli.main(["inspect", str(compiled), "--dis"]) == 0
    assert "disassembly" in capsys.readouterr().out


def test_json(compiled, capsys):
    assert cli.main(["inspect", str(compiled), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["decoded"] is True
    assert data["header"]["python"] == HERE
    assert [c["qualname"] for c in data["codes"]] == ["<module>", "f"]
    assert any(s["value"] == "sk-live-42" for s in data["strings"])


def test_missing_cache_is_an_error_with_a_hint(tmp_path, capsys):
    src = tmp_path / "new.py"
    src.write_text("x = 1\n")
    assert cli.main(["inspect", str(src)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ember inspect: error: {src}: no cache file for this Python")
    assert f"hint: compile it with `ember build {src}`" in err


def test_json_error_is_json_on_stdout(tmp_path, capsys):
    missing = tmp_path / "nope.py"
    assert cli.main(["inspect", "--json", str(missing)]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out) == {
        "error": f"{missing}: no such file",
        "exit_status": 1,
        "hint": "name a .pyc, a .py (its cache for this Python) or an importable module",
    }


def test_corrupt_body_exits_1_with_a_message(tmp_path, capsys):
    pyc = tmp_path / "bad.pyc"
    pyc.write_bytes(importlib_magic() + b"\0" * 12 + b"\xff\xff")
    assert cli.main(["inspect", str(pyc)]) == 1
    assert "  body      corrupt body: does not unmarshal" in capsys.readouterr().out


def importlib_magic() -> bytes:
    import importlib.util

    return importlib.util.MAGIC_NUMBER


def test_module_name(tmp_path, monkeypatch, capsys):
    (tmp_path / "mymod.py").write_text("VALUE = 1\n")
    py_compile.compile(str(tmp_path / "mymod.py"), doraise=True)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["inspect", "mymod"]) == 0
    assert "  module    mymod" in capsys.readouterr().out
    assert "mymod" not in sys.modules


def test_help_teaches(capsys):
    with pytest.raises(SystemExit):
        cli.main(["inspect", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "--python 3.12" in out and "untrusted" in out


def test_real_entry_point_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.run(
        [sys.executable, "-m", "ember", "inspect", str(tmp_path / "nothing.pyc")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == (
        f"ember inspect: error: {tmp_path / 'nothing.pyc'}: no such file\n"
        "hint: name a .pyc, a .py (its cache for this Python) or an importable module\n"
    )
