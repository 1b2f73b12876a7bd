"""``ember startup`` exit statuses and errors CI can trust (issue 19, items 8 and 9):
a program that fails is exit 1, a timeout exit 3 (not 2, which is for usage errors),
--json is JSON on stdout even for an error, and errors about no source line carry no
``file:line:col:``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ember.pyc import startup


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fails.py").write_text("import sys\nsys.exit('broken on purpose')\n")
    # Waits until killed: the timeout is what ends it (no sleep in the test itself).
    (tmp_path / "hangs.py").write_text("import threading\nthreading.Event().wait()\n")
    return tmp_path


FAST = ("-n", "1", "--profile-runs", "1")


def test_a_failing_program_is_exit_1_with_its_report(here, ember):
    status, out, err = ember("startup", *FAST, "fails.py")
    assert status == 1
    assert "note: the program exited with status 1:" in out
    assert "broken on purpose" in out
    assert err == ""


def test_a_failing_program_under_json_is_the_report_and_exit_1(here, ember):
    status, out, _err = ember("startup", *FAST, "--json", "fails.py")
    assert status == 1
    assert json.loads(out)["returncode"] == 1


def test_a_timeout_is_exit_3_and_a_plain_line(here, ember):
    status, out, err = ember("startup", *FAST, "--timeout", "0.5", "hangs.py")
    assert status == 3
    assert out == ""
    first, hint = err.splitlines()
    assert first.startswith("error: ") and first.endswith("hangs.py did not finish within 0.5 s")
    assert hint.startswith("hint: ")


def test_a_timeout_under_json_is_a_json_error(here, ember):
    status, out, err = ember("startup", *FAST, "--json", "--timeout", "0.5", "hangs.py")
    assert status == 3 and err == ""
    data = json.loads(out)
    assert data["error"].endswith("did not finish within 0.5 s")
    assert data["exit_status"] == 3


def test_a_missing_script_names_the_path_without_a_position(here, ember):
    status, out, err = ember("startup", "nope.py")
    assert (status, out) == (1, "")
    assert err == (
        "nope.py: error: can't open file 'nope.py': no such file\n"
        "hint: give the path of a Python script, or -m MODULE\n"
    )
    status, out, err = ember("startup", "--json", "nope.py")
    assert (status, err) == (1, "")
    assert json.loads(out) == {
        "error": "nope.py: error: can't open file 'nope.py': no such file",
        "exit_status": 1,
        "hint": "give the path of a Python script, or -m MODULE",
    }


def test_plot_without_matplotlib_is_one_plain_line(here, ember, monkeypatch):
    monkeypatch.setattr(startup, "plot_available", lambda: False)
    status, out, err = ember("startup", "--plot", "out.png", "fails.py")
    assert (status, out) == (1, "")
    assert err == "error: --plot needs matplotlib (pip install matplotlib)\n"


def test_plot_of_unknown_format_is_a_usage_error(here, ember):
    status, _out, err = ember("startup", "--plot", "out.pdf", "fails.py")
    assert status == 2
    assert err == (
        "error: --plot out.pdf: cannot tell the plot format from 'out.pdf'\n"
        "hint: name the file FILE.png or FILE.svg\n"
    )
