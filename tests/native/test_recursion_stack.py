"""The recursion guard measures the real stack: RecursionError, never a crash, whatever
the frames' size and the thread's stack (lower_calls.stack_guard). Each case runs in a
child process, so a stack overflow fails the test instead of killing the run."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
EIGHT_MB = 8 * 1024 * 1024

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the stack bounds come from pthread_getattr_np"
)


def _big_frame_source(locals_: int) -> str:
    """A recursive function whose ``locals_`` floats are all live across its call, so
    each frame spills them: ~8 bytes apiece, well past the 400 a fixed cap assumed."""
    names = [f"a{i}" for i in range(locals_)]
    lines = ["@jit(cache=False)", "def big(n, x):", "    a0 = x * 1.0001"]
    lines += [f"    {b} = {a} * 1.0001 + x" for a, b in zip(names, names[1:], strict=False)]
    lines += [
        "    if n == 0:",
        "        return a0",
        f"    r = big(n - 1, {names[-1]})",
        f"    return r + {' + '.join(names)}",
    ]
    return "\n".join(lines) + "\n"


def _run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "case.py"
    script.write_text("import sys, threading\nfrom ember import jit\n" + body)

    def eight_mb_stack() -> None:
        # The main thread's stack is RLIMIT_STACK at exec: pin the default 8 MB.
        _soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
        cap = EIGHT_MB if hard == resource.RLIM_INFINITY else min(EIGHT_MB, hard)
        resource.setrlimit(resource.RLIMIT_STACK, (cap, hard))

    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=eight_mb_stack,
    )


def test_large_frames_raise_before_the_main_stack_ends(tmp_path: Path) -> None:
    # 15 000 frames of ~1 KB need ~15 MB: the depth limit (20 000) allows it, the 8 MB
    # stack does not. Afterwards, recursion that fits still runs.
    done = _run(
        tmp_path,
        _big_frame_source(120)
        + textwrap.dedent("""
        sys.setrecursionlimit(20000)
        try:
            big(15000, 1.0)
        except RecursionError as exc:
            print("RecursionError:", exc)
        print(big(100, 1.0) == big.py_func(100, 1.0))
    """),
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout == "RecursionError: maximum recursion depth exceeded\nTrue\n"


_DOWN = textwrap.dedent("""
    sys.setrecursionlimit(20000)

    @jit(cache=False)
    def down(n):
        if n == 0:
            return 0
        return down(n - 1) + 1

    @jit(cache=False)
    def enter(n):  # not recursive itself: enters down's component
        return down(n) + 1

    def attempt(f, n):
        try:
            print(f.__name__, f(n))
        except RecursionError as exc:
            print(f.__name__, "RecursionError:", exc)
""")


def test_a_small_thread_stack_raises_at_the_depth_main_allows(tmp_path: Path) -> None:
    # The main thread runs 15 000 deep; a thread with a 256 KiB stack cannot, and
    # raises, through the root and through a call entering the recursion alike. Its
    # limit is its own: the main thread's, looked up again after, is unchanged.
    done = _run(
        tmp_path,
        _DOWN
        + textwrap.dedent("""
        attempt(down, 15000)
        threading.stack_size(256 * 1024)
        for f, n in ((down, 15000), (enter, 15000), (down, 300)):
            t = threading.Thread(target=attempt, args=(f, n))
            t.start()
            t.join()
        attempt(enter, 15000)
    """),
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.splitlines() == [
        "down 15000",
        "down RecursionError: maximum recursion depth exceeded",
        "enter RecursionError: maximum recursion depth exceeded",
        "down 300",
        "enter 15001",
    ]


def test_the_python_recursion_limit_still_counts(tmp_path: Path) -> None:
    # Depth, not only the stack: past sys.getrecursionlimit() (as compiled) it raises,
    # even with stack to spare.
    done = _run(
        tmp_path, _DOWN.replace("20000", "500") + "attempt(down, 400)\nattempt(down, 600)\n"
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.splitlines() == [
        "down 400",
        "down RecursionError: maximum recursion depth exceeded",
    ]
