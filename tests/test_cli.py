"""The command-line front door: help, version, unknown commands, and that start-up
stays light (no compiler, no numpy) for the commands that do not compile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ember import cli

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run_ember(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "ember", *args], capture_output=True, text=True, env=env
    )


def test_top_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ember")
    for name, summary in cli.COMMANDS.items():
        assert f"  {name}" in out and summary in out


def test_no_arguments_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "commands:" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from ember import __version__

    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"ember {__version__}\n"


def test_unknown_command_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["buidl"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'buidl'" in err
    assert "did you mean build?" in err


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_has_a_module_with_help(name: str) -> None:
    result = run_ember(name, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: ember {name}")


def test_python_dash_m_and_help_import_nothing_heavy() -> None:
    code = (
        "import sys; from ember import cli; cli.main(['--help']);"
        "heavy = [m for m in ('llvmlite', 'numpy', 'ctypes', 'ember.native.engine') if m in sys.modules];"
        "print('HEAVY', heavy)"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip().endswith("HEAVY []"), out.stdout + out.stderr


def test_import_ember_and_jit_attribute_stay_light() -> None:
    code = (
        "import sys, ember; from ember import jit;"
        "print([m for m in ('llvmlite', 'numpy', 'ember.native.engine') if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_transposed_command_suggests_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    # "biuld" shares only "b" with build: the old two-letter prefix rule missed it.
    assert cli.main(["biuld"]) == 2
    assert "did you mean build?" in capsys.readouterr().err


def test_negative_jobs_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["build", "-j", "-1", "."])
    assert exc.value.code == 2
    assert "must be 0 (all CPUs) or more, not -1" in capsys.readouterr().err


def test_tour_names_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["tour", str(tmp_path / "nosuch")]) == 2
    assert "nosuch does not exist" in capsys.readouterr().err


def test_sample_app_ships_as_package_data() -> None:
    from ember.commands import tour

    # Inside the ember package, so a non-editable install has it too.
    assert (tour.EXAMPLES / "sampleapp" / "main.py").is_file()
    assert (tour.EXAMPLES / "native" / "demo.py").is_file()
    assert tour.EXAMPLES.resolve().is_relative_to(Path(cli.__file__).resolve().parent)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["inspect", "--json"], "the following arguments are required: FILE.pyc|FILE.py|MODULE"),
        (["startup", "--json", "-n", "0", "x.py"], "argument -n/--runs: must be at least 1, not 0"),
        (["startup", "--json"], "a SCRIPT or -m MODULE is required"),
        (["dist", "--json", "only-src"], "the following arguments are required: OUT"),
    ],
)
def test_a_usage_error_under_json_is_json_on_stdout(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # CI parses stdout: even a usage error is a JSON object there, exit status 2.
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # argparse's errors exit; ember's own return
        status = exc.code  # type: ignore[assignment]
    assert status == 2
    out, err = capsys.readouterr()
    assert json.loads(out) == {"error": message, "exit_status": 2}
    assert err.startswith("usage: ember ")
