"""The entry lock (cache/lock.py): one holder at a time, waiters told they waited, a
dead holder never wedges anyone, a stuck one is taken over after the timeout, and the
lock file is gone once released."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ember.native.cache import lock as L

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: POSIX")

HOLD = """\
import sys, time
sys.path.insert(0, {src!r})
from ember.native.cache import lock
held = lock.acquire({path!r}, 5)
print("held", flush=True)
sys.stdin.readline()  # hold until told (or killed)
held.release()
"""


def _holder(path: Path) -> subprocess.Popen[str]:
    src = str(Path(__file__).resolve().parents[3] / "src")
    p = subprocess.Popen([sys.executable, "-c", HOLD.format(src=src, path=str(path))],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline() == "held\n"
    return p


def test_uncontended_lock_and_release_removes_the_file(tmp_path: Path) -> None:
    path = tmp_path / ".e.lock"
    held = L.acquire(str(path), 1)
    assert not held.waited and not held.taken_over and path.exists()
    assert path.read_text() == f"pid {os.getpid()}"
    held.release()
    held.release()  # twice: nothing
    assert not path.exists()


def test_a_waiter_gets_the_lock_when_the_holder_releases(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / ".e.lock"
    p = _holder(path)
    got: list[L.EntryLock] = []
    waiting = threading.Event()
    real_sleep = L.time.sleep

    def sleep(seconds: float) -> None:  # the waiter found it held: now release it
        waiting.set()
        real_sleep(seconds)

    monkeypatch.setattr(L.time, "sleep", sleep)
    t = threading.Thread(target=lambda: got.append(L.acquire(str(path), 60)))
    t.start()
    assert waiting.wait(60)
    assert p.stdin is not None
    p.stdin.write("\n")
    p.stdin.flush()
    t.join(60)
    p.wait(30)
    assert got and got[0].waited and not got[0].taken_over  # held, not taken over
    assert path.exists()  # the waiter's own file: the holder removed its one
    got[0].release()


def test_a_killed_holder_does_not_wedge_the_others(tmp_path: Path) -> None:
    path = tmp_path / ".e.lock"
    p = _holder(path)
    p.kill()
    p.wait(30)
    assert path.exists()  # killed before it could remove it
    held = L.acquire(str(path), 60)  # the kernel dropped the dead process's lock
    assert not held.taken_over
    held.release()


def test_a_stuck_holder_is_taken_over_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / ".e.lock"
    p = _holder(path)
    try:
        held = L.acquire(str(path), 0.05)
        assert held.waited and held.taken_over and held.fd is None
        assert held.holder == f"pid {p.pid}"
        held.release()  # holds nothing: the holder's file stays
        assert path.exists()
    finally:
        p.kill()
        p.wait(30)


@pytest.mark.parametrize(("text", "seconds"), [("", L.DEFAULT_TIMEOUT), ("2.5", 2.5),
                                               ("soon", L.DEFAULT_TIMEOUT),
                                               ("-1", L.DEFAULT_TIMEOUT), ("0", 0.0)])
def test_timeout_from_the_environment(text: str, seconds: float,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBER_CACHE_LOCK_TIMEOUT", text)
    assert L.timeout_from_env() == seconds
