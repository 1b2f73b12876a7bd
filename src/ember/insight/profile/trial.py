"""Try compiling one function, away from the program: the measuring trial of ``ember
profile``.

The trial runs in a forked child, so it sees the program's state as it was when the
run ended — the function, its globals, the arguments recorded for it — and nothing it
does (compiling, re-running the function, mutating those arguments, a crash, a hang)
reaches the program: the child's writes to memory are its own, its stdout and stderr go
to /dev/null, and the parent kills it at the time limit. The child compiles the
function with ``ember.jit``, runs the interpreted and the compiled version on fresh
copies of the arguments, checks that they agree, and times both (best of several runs
within a small budget). Results come back as one JSON line on a pipe.
"""

from __future__ import annotations

import copy
import json
import math
import os
import select
import signal
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any

#: Seconds of repeated runs per version when timing (after the first run).
TIME_BUDGET = 0.5
REPEATS = 5


@dataclass
class Trial:
    """What happened when a function was compiled and run on its recorded arguments.

    ``status``: ``"compiled"`` (timings are set), ``"error"`` (``message`` is ember's
    compile error), ``"differs"`` (compiled code gave another answer: ``message``
    says how), ``"timeout"``, ``"crashed"``, ``"skipped"`` (no trial possible here)."""

    status: str
    message: str = ""
    python_s: float = 0.0  # best seconds per call, interpreted
    native_s: float = 0.0  # best seconds per call, compiled
    compile_s: float = 0.0  # the first compiled call's extra time (compiling)

    @property
    def speedup(self) -> float:
        return self.python_s / self.native_s if self.native_s > 0 else math.inf


def try_compile(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                timeout: float = 60.0) -> Trial:
    """Compile ``func`` and time it against itself on ``args``, in a forked child."""
    if not hasattr(os, "fork"):
        return Trial("skipped", "trials need os.fork (Linux, macOS)")
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():  # 3.12+ warns about forking with threads alive
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(func, args, kwargs, write_fd)
    os.close(write_fd)
    try:
        return _collect(pid, read_fd, timeout)
    finally:
        os.close(read_fd)


def _collect(pid: int, fd: int, timeout: float) -> Trial:
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, left))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return Trial("timeout", f"no result within {timeout:g} s")
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    _, status = os.waitpid(pid, 0)
    if data:
        return Trial(**json.loads(data))
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return Trial("crashed", f"the trial process died of {name}")
    return Trial("crashed", f"the trial process exited with status {os.WEXITSTATUS(status)}")


def _child(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], fd: int) -> None:
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        result = asdict(_measure(func, args, kwargs))
    except BaseException as exc:  # noqa: BLE001 - the child reports everything
        result = asdict(Trial("crashed", f"{type(exc).__name__}: {exc}"))
        code = 1
    try:
        os.write(fd, json.dumps(result).encode())
    finally:
        os._exit(code)


def _fresh(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    try:
        return copy.deepcopy(args), copy.deepcopy(kwargs)
    except Exception:  # noqa: BLE001 - uncopyable arguments are used as they are
        return args, kwargs


def _measure(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Trial:
    from ember import jit
    from ember.diagnostics import EmberError

    a, k = _fresh(args, kwargs)
    stale = ""
    start = time.perf_counter()
    try:
        expected: Any = ("value", func(*a, **k))
    except Exception as exc:  # noqa: BLE001 - compared with the compiled outcome
        expected = ("raise", type(exc).__name__)
        if isinstance(exc, OSError):  # e.g. a file the program has removed since
            stale = f"re-running it on the recorded arguments raised {type(exc).__name__}: {exc}"
    python_first = time.perf_counter() - start
    a, k = _fresh(args, kwargs)
    start = time.perf_counter()
    try:
        compiled = jit(func)  # annotated functions compile here
        got: Any = ("value", compiled(*a, **k))
    except EmberError as exc:
        return Trial("error", str(exc))
    except Exception as exc:  # noqa: BLE001
        if isinstance(exc, TypeError) and expected[1] != "TypeError":
            return Trial("error", str(exc))  # an argument type compiled code does not take
        if isinstance(exc, OverflowError) and expected[0] == "value":
            return Trial("error", f"{exc}: an int leaves 64 bits on the recorded arguments "
                         "(Python's ints grow); keep them in range, e.g. with % (1 << 62), "
                         "or use floats")
        got = ("raise", type(exc).__name__)
    native_first = time.perf_counter() - start
    if stale:
        return Trial("skipped", stale)
    differs = _difference(expected, got)
    if differs:
        return Trial("differs", differs)
    python_s = _best(func, args, kwargs, python_first)
    native_s = _best(compiled, args, kwargs, None)
    return Trial("compiled", "", python_s, native_s, max(0.0, native_first - native_s))


def _best(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], first: float | None) -> float:
    """Best seconds per call over up to REPEATS runs within TIME_BUDGET (the first run
    counts when it is already known and too long to repeat)."""
    best = math.inf if first is None else first
    spent = 0.0
    for _ in range(REPEATS):
        if first is not None and first > TIME_BUDGET:
            break
        a, k = _fresh(args, kwargs)
        start = time.perf_counter()
        try:
            func(*a, **k)
        except Exception:  # noqa: BLE001, S110 - the outcome was compared already
            pass
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        if spent > TIME_BUDGET:
            break
    return best


def _difference(expected: tuple[str, Any], got: tuple[str, Any]) -> str:
    """'' when both outcomes agree, else what differs."""
    if expected[0] != got[0]:
        what = {"value": "returned", "raise": "raised"}
        return (f"interpreted it {what[expected[0]]} {_show(expected)}, compiled it "
                f"{what[got[0]]} {_show(got)}")
    if expected[0] == "raise":
        return "" if expected[1] == got[1] else f"raised {got[1]} instead of {expected[1]}"
    return "" if _same(expected[1], got[1]) else (
        f"returned {_show(got)} instead of {_show(expected)}")


def _show(outcome: tuple[str, Any]) -> str:
    text = outcome[1] if outcome[0] == "raise" else repr(outcome[1])
    return text if len(text) <= 60 else text[:57] + "..."


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    np = sys.modules.get("numpy")
    if np is not None and isinstance(a, np.ndarray):
        if not isinstance(b, np.ndarray) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    return type(a) is type(b) and bool(a == b)
