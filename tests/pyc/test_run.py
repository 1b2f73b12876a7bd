"""The equivalence matrix for ``ember run``: every script in tests/data/run_scripts runs
under ``python`` and under ``ember run`` (three entry points, twice each so the second
run loads the cache), and stdout, stderr (tracebacks), exit status and what the script
sees of its start (argv, sys.path[0], __file__, __name__, ...) must be the same.

Each test works on a fresh copy of the scripts: caches never land in the repository.
"""

from __future__ import annotations

import importlib.util
import json
import marshal
import os
import py_compile
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ember.pyc.header import HEADER_SIZE, InvalidationMode, check_hash, classify
from ember.pyc.run import install_launcher

SRC = Path(__file__).resolve().parents[2] / "src"
DATA = Path(__file__).resolve().parents[1] / "data" / "run_scripts"
OTHER_PYTHONS = [
    p
    for v in ("3.10.13", "3.12.1", "3.13.0")
    if (p := Path(f"/root/.pyenv/versions/{v}/bin/python")).exists()
]

PIP_WRAPPER = """\
#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from ember.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def base_env(**extra: str) -> dict[str, str]:
    """The caller's environment with bytecode writing on (these machines set
    PYTHONDONTWRITEBYTECODE=1) and ember importable."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONSAFEPATH")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


@dataclass(frozen=True, slots=True)
class Result:
    stdout: str
    stderr: str
    returncode: int


def run(cmd: list[str], cwd: Path, stdin: str = "", env: dict[str, str] | None = None) -> Result:
    p = subprocess.run(
        cmd,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env or base_env(),
        timeout=120,
    )
    return Result(p.stdout, p.stderr, p.returncode)


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    """A private copy of tests/data/run_scripts, with a script python cannot parse."""
    copy = tmp_path / "run_scripts"
    shutil.copytree(DATA, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "bad_syntax.py").write_text("import sys\n\nx = (1,\n    2\nprint(x)\n")
    (copy / "bad_indent.py").write_text("if True:\n\tx = 1\n        y = 2\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "linked.py").symlink_to(copy / "values.py")
    return copy


# Entry points: how a user starts `ember run`. Each maps (python, tmp dir) to the
# command prefix that stands for `ember run`.
def entry_module(python: str, tmp: Path) -> list[str]:
    return [python, "-m", "ember", "run"]


def entry_console(python: str, tmp: Path) -> list[str]:
    wrapper = tmp / "bin" / "ember"
    if not wrapper.exists():
        wrapper.parent.mkdir(exist_ok=True)
        wrapper.write_text(PIP_WRAPPER.format(python=python))
        wrapper.chmod(0o755)
    return [str(wrapper), "run"]


def entry_launcher(python: str, tmp: Path) -> list[str]:
    launcher = tmp / "bin" / "ember-run"
    if not launcher.exists():
        install_launcher(launcher)
        assert launcher.read_text().startswith(f"#!{sys.executable}\n")
    return [str(launcher)]


ENTRIES: dict[str, Callable[[str, Path], list[str]]] = {
    "python -m ember run": entry_module,
    "console script": entry_console,
    "launcher": entry_launcher,
}

# (case id, cwd relative to the scripts' parent, argv after `python`, stdin)
CASES: list[tuple[str, str, list[str], str]] = [
    ("values", "run_scripts", ["values.py", "a", "--flag", "-m", "x"], ""),
    ("values-from-parent", ".", ["run_scripts/./values.py", "z"], ""),
    ("values-through-symlink", "elsewhere", ["linked.py"], ""),
    ("traceback-chained", "run_scripts", ["raises.py"], ""),
    ("exit-int", "run_scripts", ["exits.py", "int", "7"], ""),
    ("exit-str", "run_scripts", ["exits.py", "str"], ""),
    ("exit-none", "run_scripts", ["exits.py", "none"], ""),
    ("exit-end", "run_scripts", ["exits.py", "end"], ""),
    ("keyboard-interrupt", "run_scripts", ["exits.py", "keyboard"], ""),
    ("stdin-stdout-stderr", "run_scripts", ["echo_stdin.py"], "some input\nover lines\n"),
    ("syntax-error", "run_scripts", ["bad_syntax.py"], ""),
    ("indentation-error", "run_scripts", ["bad_indent.py"], ""),
    ("missing-script", "run_scripts", ["no_such_script.py"], ""),
    ("directory-main", ".", ["run_scripts/appdir", "q"], ""),
    ("multiprocessing-spawn", "run_scripts", ["mp_spawn.py", "p"], ""),
    ("module-package", "run_scripts", ["-m", "pkgdemo", "a", "-B"], ""),
    ("module-submodule-exit", "run_scripts", ["-m", "pkgdemo.helpers", "x"], ""),
    ("module-traceback", "run_scripts", ["-m", "pkgdemo.fails"], ""),
    ("module-missing", "run_scripts", ["-m", "pkgdemo.nothere"], ""),
    ("module-joined-flag", "run_scripts", ["-mpkgdemo", "j"], ""),
]


def check_equivalent(python: str, entry: str, case: tuple, root: Path) -> None:
    name, cwd, argv, stdin = case
    cwd_path = root / cwd
    expected = run([python, *argv], cwd_path, stdin)
    prefix = ENTRIES[entry](python, root)
    for attempt in ("first run", "second run (from the cache)"):
        got = run([*prefix, *argv], cwd_path, stdin)
        where = f"{name} via {entry}, {attempt}"
        assert got.returncode == expected.returncode, f"{where}: {got}"
        assert got.stderr == expected.stderr, where
        if name.startswith("values"):
            compare_values(expected.stdout, got.stdout, where)
        else:
            assert got.stdout == expected.stdout, where


def compare_values(expected_out: str, got_out: str, where: str) -> None:
    want, have = json.loads(expected_out), json.loads(got_out)
    # The one deliberate difference: python leaves a script's __cached__ None; ember
    # names the pyc the script is loaded from.
    assert want.pop("cached") is None
    cached = have.pop("cached")
    assert cached.endswith(".pyc") and "__pycache__" in cached, where
    assert have == want, where
    assert want["name"] == "__main__" and want["main_is_me"]


@pytest.mark.parametrize("entry", list(ENTRIES))
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_ember_run_matches_python(case: tuple, entry: str, scripts: Path) -> None:
    check_equivalent(sys.executable, entry, case, scripts.parent)


# On the other Pythons: the cases whose output depends on the version (tracebacks,
# syntax errors, runpy frames) and the start-up values.
OTHER_IDS = {"values", "values-through-symlink", "traceback-chained", "exit-str"}
OTHER_IDS |= {"keyboard-interrupt", "syntax-error", "module-traceback", "directory-main"}
OTHER_CASES = [c for c in CASES if c[0] in OTHER_IDS]


@pytest.mark.skipif(not OTHER_PYTHONS, reason="no other CPython 3.10+ installed")
@pytest.mark.parametrize("python", OTHER_PYTHONS, ids=lambda p: p.parts[-3])
@pytest.mark.parametrize("case", OTHER_CASES, ids=[c[0] for c in OTHER_CASES])
def test_other_pythons(case: tuple, python: Path, scripts: Path) -> None:
    check_equivalent(str(python), "python -m ember run", case, scripts.parent)


# --- the script's cache ------------------------------------------------------------


def ember_run(script: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return run([sys.executable, "-m", "ember", "run", *args, str(script)], script.parent, env=env)


def pyc_of(script: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(script)))


def test_first_run_writes_a_checked_hash_pyc(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("print('from source')\n")
    assert ember_run(script).stdout == "from source\n"
    header = classify(pyc_of(script).read_bytes())
    assert header.mode is InvalidationMode.CHECKED_HASH
    assert check_hash(header, script.read_bytes()) is None
    assert [p.name for p in pyc_of(script).parent.iterdir()] == [pyc_of(script).name]


def test_second_run_loads_the_cache(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("print('from source')\n")
    ember_run(script)
    # Swap the cached code for other code under the same (valid) header: only a run
    # that loads the pyc can print it.
    pyc = pyc_of(script)
    other = compile("print('from the cache')\n", str(script), "exec")
    pyc.write_bytes(pyc.read_bytes()[:HEADER_SIZE] + marshal.dumps(other))
    assert ember_run(script).stdout == "from the cache\n"


def test_same_size_edit_within_the_same_second_is_seen(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("print('aaa')\n")
    before = script.stat()
    assert ember_run(script).stdout == "aaa\n"
    script.write_text("print('bbb')\n")
    os.utime(script, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (script.stat().st_size, script.stat().st_mtime) == (before.st_size, before.st_mtime)
    assert ember_run(script).stdout == "bbb\n"
    assert check_hash(classify(pyc_of(script).read_bytes()), script.read_bytes()) is None


def _timestamp_pyc_then_same_size_edit(script: Path, pyc_written: int) -> None:
    """A timestamp pyc of 'aaa' whose file is dated ``pyc_written``, then an equal-size
    edit dated the same second the pyc records (fixed times: no race with the clock)."""
    script.write_text("print('aaa')\n")
    os.utime(script, (1_700_000_000, 1_700_000_000))
    py_compile.compile(str(script), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    os.utime(pyc_of(script), (pyc_written, pyc_written))
    script.write_text("print('bbb')\n")
    os.utime(script, (1_700_000_000, 1_700_000_000))


def test_a_timestamp_pyc_written_in_its_sources_second_is_not_trusted(tmp_path: Path) -> None:
    """`ember build` then an edit in the same second: the header matches, the code is old."""
    script = tmp_path / "app.py"
    _timestamp_pyc_then_same_size_edit(script, pyc_written=1_700_000_000)
    assert ember_run(script).stdout == "bbb\n"
    header = classify(pyc_of(script).read_bytes())
    assert header.mode is InvalidationMode.CHECKED_HASH
    assert check_hash(header, script.read_bytes()) is None


def test_a_timestamp_pyc_written_later_is_honoured(tmp_path: Path) -> None:
    """The control: written a second after the recorded mtime, any later edit changes
    the mtime, so the importer's check suffices and the pyc is used as the importer would."""
    script = tmp_path / "app.py"
    _timestamp_pyc_then_same_size_edit(script, pyc_written=1_700_000_001)
    assert ember_run(script).stdout == "aaa\n"


def test_a_stale_timestamp_pyc_is_replaced_by_a_checked_hash_one(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("print('old')\n")
    py_compile.compile(str(script), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    script.write_text("print('newer')\n")
    assert ember_run(script).stdout == "newer\n"
    assert classify(pyc_of(script).read_bytes()).mode is InvalidationMode.CHECKED_HASH


@pytest.mark.parametrize("how", ["-B", "PYTHONDONTWRITEBYTECODE"])
def test_no_cache_written_when_told_not_to(tmp_path: Path, how: str) -> None:
    script = tmp_path / "app.py"
    script.write_text("import sys\nprint(__cached__, sys.dont_write_bytecode)\n")
    if how == "-B":
        result = ember_run(script, "-B")
    else:
        result = ember_run(script, env=base_env(PYTHONDONTWRITEBYTECODE="1"))
    assert result.stdout == "None True\n"
    assert not (tmp_path / "__pycache__").exists()


def test_dont_write_bytecode_is_said_once_on_stderr(tmp_path: Path) -> None:
    # The variable makes every run compile the script: said once, on stderr, before the
    # script's own output; -q silences it, -B (asked for) and a usable pyc need no note.
    script = tmp_path / "app.py"
    script.write_text("import sys\nprint('out')\nprint('err', file=sys.stderr)\n")
    env = base_env(PYTHONDONTWRITEBYTECODE="1")
    result = ember_run(script, env=env)
    assert (result.returncode, result.stdout) == (0, "out\n")
    assert result.stderr == (
        f"ember run: note: PYTHONDONTWRITEBYTECODE is set, so {script}'s cache is not written "
        f"and every run compiles it; `ember build {script}` writes it once (-q hides this "
        "note)\nerr\n"
    )
    assert ember_run(script, "-q", env=env).stderr == "err\n"
    assert ember_run(script, "-B", env=env).stderr == "err\n"
    assert ember_run(script).stderr == "err\n"  # writes the pyc
    assert ember_run(script, env=env).stderr == "err\n"  # loads it: nothing lost


def test_quiet_through_the_full_parser(tmp_path: Path) -> None:
    # `--` sends the command line through argparse: -q means the same there.
    script = tmp_path / "app.py"
    script.write_text("print('out')\n")
    env = base_env(PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "ember", "run"]
    loud = run([*cmd, "--", str(script)], tmp_path, env=env)
    assert loud.stderr.startswith("ember run: note: PYTHONDONTWRITEBYTECODE is set")
    quiet = run([*cmd, "-q", "--", str(script)], tmp_path, env=env)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "out\n", "")


def test_pycache_prefix_is_honoured(tmp_path: Path) -> None:
    script = tmp_path / "src" / "app.py"
    script.parent.mkdir()
    script.write_text("print(__cached__)\n")
    prefix = tmp_path / "prefix"
    result = ember_run(script, env=base_env(PYTHONPYCACHEPREFIX=str(prefix)))
    cached = Path(result.stdout.strip())
    assert cached.is_relative_to(prefix) and cached.exists()
    assert not (script.parent / "__pycache__").exists()


def test_a_syntax_error_writes_no_cache_and_reports_like_python(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("def f(:\n    pass\n")
    got, want = ember_run(script), run([sys.executable, str(script)], tmp_path)
    assert (got.returncode, got.stderr) == (want.returncode, want.stderr)
    assert got.returncode == 1
    assert "SyntaxError" in got.stderr and "Traceback" not in got.stderr
    assert not (tmp_path / "__pycache__").exists()


def test_future_flags_of_ember_do_not_leak_into_the_script(tmp_path: Path) -> None:
    # ember's modules use `from __future__ import annotations`; python evaluates a
    # script's annotations eagerly, and so must ember run (first run and cached run).
    script = tmp_path / "app.py"
    script.write_text("def f(a: int): pass\nprint(f.__annotations__)\n")
    assert ember_run(script).stdout == ember_run(script).stdout == "{'a': <class 'int'>}\n"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="-P / PYTHONSAFEPATH is 3.11+")
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_safe_path_adds_no_folder_like_python(tmp_path: Path, entry: str) -> None:
    script = tmp_path / "app.py"
    script.write_text("import os, sys\nprint(sys.path[0] == os.path.dirname(__file__), sys.path)\n")
    env = base_env(PYTHONSAFEPATH="1")
    want = run([sys.executable, "app.py"], tmp_path, env=env)
    got = run([*ENTRIES[entry](sys.executable, tmp_path), "app.py"], tmp_path, env=env)
    assert want.stdout.startswith("False [")
    assert (got.stdout, got.stderr, got.returncode) == (want.stdout, want.stderr, 0)


# --- the command line --------------------------------------------------------------


def test_help_teaches() -> None:
    result = run([sys.executable, "-m", "ember", "run", "--help"], SRC)
    assert result.returncode == 0
    for needle in ("-m MODULE", "-B", "--install-launcher", "examples:", "checked-hash"):
        assert needle in result.stdout


def test_no_script_is_a_usage_error(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "ember", "run"], tmp_path)
    assert result.returncode == 2
    assert "ember run: error:" in result.stderr and "SCRIPT or -m MODULE" in result.stderr


def test_fast_main_parses_like_the_full_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from ember.commands import run as command
    from ember.pyc import run as layer

    calls: list[tuple] = []
    monkeypatch.setattr(layer, "run_script", lambda *a, **k: calls.append(("s", a, k)) or 0)
    monkeypatch.setattr(layer, "run_module", lambda *a, **k: calls.append(("m", a, k)) or 0)
    argvs = [
        ["app.py", "-B", "-m", "x"],
        ["-B", "app.py", "--flag"],
        ["-m", "pkg.mod", "-B", "--x"],
        ["-B", "-mpkg", "a"],
        ["-q", "app.py", "-q"],
        ["-B", "-q", "app.py"],
    ]
    for argv in argvs:
        command.fast_main(argv)
        command._slow_main(argv)
    assert calls[0::2] == calls[1::2]
    assert calls[0::2] == [
        ("s", ("app.py", ["-B", "-m", "x"]), {"write_cache": None, "quiet": False}),
        ("s", ("app.py", ["--flag"]), {"write_cache": False, "quiet": False}),
        ("m", ("pkg.mod", ["-B", "--x"]), {"write_cache": None}),
        ("m", ("pkg", ["a"]), {"write_cache": False}),
        ("s", ("app.py", ["-q"]), {"write_cache": None, "quiet": True}),
        ("s", ("app.py", []), {"write_cache": False, "quiet": True}),
    ]


def test_install_launcher_writes_an_executable(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "ember", "run", "--install-launcher", "bin/er"], tmp_path)
    assert result.returncode == 0, result.stderr
    launcher = tmp_path / "bin" / "er"
    assert os.access(launcher, os.X_OK)
    assert f"wrote {launcher}" in result.stdout
    script = tmp_path / "hi.py"
    script.write_text("import sys\nprint('hi', sys.argv)\n")
    assert run([str(launcher), "hi.py", "1"], tmp_path).stdout == "hi ['hi.py', '1']\n"


def test_install_launcher_never_overwrites_a_users_file(tmp_path: Path) -> None:
    mine = tmp_path / "tool.py"
    mine.write_text("print('mine')\n")
    result = run([sys.executable, "-m", "ember", "run", "--install-launcher", "tool.py"], tmp_path)
    assert result.returncode == 2
    assert "not an ember launcher: not overwriting it" in result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.stderr
    assert mine.read_text() == "print('mine')\n"
    # A folder gets ember-run inside it, and an earlier launcher is simply replaced.
    for _ in range(2):
        again = run([sys.executable, "-m", "ember", "run", "--install-launcher", "."], tmp_path)
        assert again.returncode == 0, again.stderr
    assert os.access(tmp_path / "ember-run", os.X_OK)


def test_the_sample_app_runs_the_same(tmp_path: Path) -> None:
    app = Path(__file__).resolve().parents[2] / "examples" / "sampleapp"
    if not (app / "main.py").exists():
        pytest.skip("examples/sampleapp is not there yet")
    copy = tmp_path / "sampleapp"
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("__pycache__"))
    want = run([sys.executable, "main.py"], copy)
    assert want.returncode == 0 and want.stdout
    for _ in range(2):  # the second run loads main.py from its cache
        got = run([sys.executable, "-m", "ember", "run", "main.py"], copy)
        assert (got.stdout, got.stderr, got.returncode) == (want.stdout, want.stderr, 0)
    assert pyc_of(copy / "main.py").exists()
