"""One message per problem across commands (issue 19, item 9): a non-UTF-8 source
without a coding line is worded as python words it under build, dist and run; a
dangling symlink is called one by every command that meets it; an IndentationError
or TabError quotes its line with the real indentation, tabs shown as →."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
URL = (
    "https://peps.python.org/pep-0263/"
    if sys.version_info >= (3, 11)
    else "https://python.org/dev/peps/pep-0263/"
)
PEP263 = f"Non-UTF-8 code starting with '\\xe9', but no encoding declared; see {URL} for details"
PEP263_HINT = (
    "hint: save the file as UTF-8, or declare its encoding on line 1 or 2 "
    "(PEP 263, e.g. '# -*- coding: latin-1 -*-')\n"
)
DANGLING = "dangling symlink (points to nowhere.py, which does not exist)"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _python(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


# -- a non-UTF-8 source with no coding line --------------------------------------------


def _latin1_app(root: Path) -> Path:
    app = root / "app"
    app.mkdir()
    (app / "main.py").write_bytes(b'x = 1\ns = "caf\xe9"\n')
    return app


def test_build_words_a_non_utf8_source_as_python_does(here, ember):
    _latin1_app(here)
    status, _out, err = ember("build", "-q", "app")
    assert status == 1
    assert err == (
        f'app/main.py:2:9: error: {PEP263}\n    s = "caf\ufffd"\n            ^\n' + PEP263_HINT
    )


def test_dist_gives_the_same_message(here, ember):
    _latin1_app(here)
    status, _out, err = ember("dist", "app", "out")
    assert status == 1
    assert err.startswith(
        f'app/main.py:2:9: error: {PEP263}\n    s = "caf\ufffd"\n            ^\n' + PEP263_HINT
    )


@pytest.mark.parametrize(
    "source", [b'x = 1\ns = "caf\xe9"\n', b"x = 1\n# caf\xe9\n"], ids=["string", "comment"]
)
def test_run_says_what_python_says(here, source):
    # In a comment compile() accepts the byte; python refuses the script all the same.
    (here / "m.py").write_bytes(source)
    ours = _python("-m", "ember", "run", "m.py", cwd=here)
    theirs = _python("m.py", cwd=here)
    assert theirs.returncode == 1 and "Non-UTF-8 code starting with '\\xe9'" in theirs.stderr
    expected = theirs.stderr
    if sys.version_info < (3, 11):  # 3.10 counts one line too many; ember says line 2
        expected = re.sub(r"on line \d+", "on line 2", expected)
    assert (ours.returncode, ours.stdout, ours.stderr) == (1, "", expected)


def test_a_declared_encoding_is_not_the_pep263_message(here, ember):
    (here / "d.py").write_bytes(b'# -*- coding: utf-8 -*-\ns = "caf\xe9"\n')
    status, _out, err = ember("build", "-q", "d.py")
    assert status == 1
    assert err.startswith("d.py:2:9: error: source is not valid utf-8: byte 0xe9 cannot be decoded")


# -- a dangling symlink ------------------------------------------------------------------


@pytest.fixture
def dangling(here: Path) -> Path:
    (here / "ok.py").write_text("x = 1\n")
    os.symlink("nowhere.py", here / "gone.py")
    return here / "gone.py"


@pytest.mark.parametrize(
    "argv",
    [["build", "-q", "."], ["status", "-q", "."], ["clean", "-n", "."]],
    ids=["build", "status", "clean"],
)
def test_tree_commands_name_a_dangling_symlink(dangling, ember, argv):
    _status, _out, err = ember(*argv)
    assert f"./gone.py: error: {DANGLING}\n" in err


def test_dist_names_a_dangling_symlink(dangling, ember):
    app = dangling.parent / "app"
    app.mkdir()
    (app / "main.py").write_text("print(1)\n")
    os.symlink("nowhere.py", app / "lib.py")
    status, _out, err = ember("dist", "app", "out")
    assert status == 1
    assert err.startswith(
        f"app/lib.py: error: {DANGLING}\nhint: remove the link or restore its target\n"
    )


def test_inspect_names_a_dangling_symlink(dangling, ember):
    assert ember("inspect", "gone.py") == (
        1,
        "",
        f"ember inspect: error: gone.py: {DANGLING}\nhint: remove the link or restore its target\n",
    )
    status, out, _err = ember("inspect", "--json", "gone.py")
    assert status == 1 and json.loads(out)["error"] == f"gone.py: {DANGLING}"


def test_startup_names_a_dangling_symlink(dangling, ember):
    assert ember("startup", "gone.py") == (
        1,
        "",
        f"gone.py: error: can't open file 'gone.py': {DANGLING}\n"
        "hint: remove the link or restore its target\n",
    )


def test_run_names_a_dangling_symlink(dangling):
    result = _python("-m", "ember", "run", "gone.py", cwd=dangling.parent)
    assert result.returncode == 2  # python's status for a script it cannot open
    assert result.stderr == (f"{sys.executable}: can't open file {str(dangling)!r}: {DANGLING}\n")


# -- indentation errors keep their indentation ------------------------------------------


def test_build_tab_error_shows_the_tab(here, ember):
    (here / "t.py").write_text("if x:\n        y = 1\n\tz = 2\n")
    status, _out, err = ember("build", "-q", "t.py")
    assert status == 1
    assert err.splitlines()[:3] == [
        "t.py:3:1: error: TabError: inconsistent use of tabs and spaces in indentation",
        "    \u2192   z = 2",
        "    ^^^^",
    ]


def test_dist_indentation_error_keeps_the_indentation(here, ember):
    app = here / "app"
    app.mkdir()
    (app / "main.py").write_text("def f():\n\tif x:\n\t\ty = 1\n\t  z = 2\n")
    status, _out, err = ember("dist", "app", "out")
    assert status == 1
    assert err.splitlines()[:3] == [
        "app/main.py:4:9: error: unindent does not match any outer indentation level",
        "    \u2192     z = 2",
        "    ^^^^^^",
    ]
