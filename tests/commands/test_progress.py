"""Progress on stderr (issue 19, item 10): ``ember startup`` and ``ember dist`` draw
``done/total`` once they pass a second, only when stderr is a terminal (a pty here),
never into a pipe or under --json; the line is cleared before the report."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from ember.commands.build import Progress

REPO = Path(__file__).resolve().parents[2]


def ember(*argv: str, cwd: Path, tty: bool) -> tuple[int, str, str]:
    """Run ember with stderr on a pseudo-terminal (``tty``) or a pipe; stdout is a
    pipe either way. Returns (status, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(REPO / "src"), PYTHONDONTWRITEBYTECODE="1", TERM="dumb")
    cmd = [sys.executable, "-m", "ember", *argv]
    if not tty:
        done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out = proc.stdout.read().decode() if proc.stdout else ""
    status = proc.wait(timeout=120)
    return status, out, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def slow_script(tmp_path: Path) -> Path:
    # Seven runs (-n 2 --profile-runs 1, plus the untimed one) of 0.2 s each: the
    # measurement cannot take less than a second.
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(0.2)\n")
    return tmp_path


STARTUP = ("startup", "-n", "2", "--profile-runs", "1", "--top", "1")


def test_startup_draws_progress_on_a_terminal_and_clears_it(slow_script: Path) -> None:
    status, out, err = ember(*STARTUP, "slow.py", cwd=slow_script, tty=True)
    assert status == 0, err
    assert "\rmeasuring: run 7/7 (100%)" in err
    assert "\r\x1b[K" in err  # cleared before the report
    assert "measuring" not in out and "cold" in out


@pytest.mark.parametrize(("extra", "tty"), [((), False), (("--json",), True)], ids=["pipe", "json"])
def test_startup_never_draws_into_a_pipe_or_under_json(
    slow_script: Path, extra: tuple[str, ...], tty: bool
) -> None:
    status, out, err = ember(*STARTUP, *extra, "slow.py", cwd=slow_script, tty=tty)
    assert status == 0, err
    assert "measuring" not in err and "\r" not in err
    assert "measuring" not in out


@pytest.fixture
def slow_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("import slow\n")
    # Imported once by dist's verification: that step alone passes a second.
    (app / "slow.py").write_text("import time\ntime.sleep(1.2)\n")
    return tmp_path


def test_dist_draws_progress_on_a_terminal_only(slow_app: Path) -> None:
    status, out, err = ember("dist", "app", "out", cwd=slow_app, tty=True)
    assert status == 0, err
    assert "\rember dist: step 4/4 (100%)" in err and "\r\x1b[K" in err
    assert "step" not in out
    status, out, err = ember("dist", "--force", "app", "out", cwd=slow_app, tty=False)
    assert status == 0, err
    assert "step" not in err and "\r" not in err


def test_progress_waits_for_its_delay(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import ember.commands.build as build_cmd

    now = [100.0]
    monkeypatch.setattr(build_cmd.time, "monotonic", lambda: now[0])
    progress = Progress("working", minimum=0, delay=1.0)
    progress(1, 4)
    now[0] = 100.5
    progress(2, 4)
    assert capsys.readouterr().err == ""  # under a second: nothing drawn
    now[0] = 101.2
    progress(3, 4)
    progress.clear()
    assert capsys.readouterr().err == "\rworking 3/4 (75%)\r\x1b[K"
