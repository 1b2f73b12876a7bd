"""One ``ember profile`` session: run the program as ``ember run`` would, with the
recorder on, then screen the hot functions and try compiling the promising ones.

>>> r = Report("demo.py", 1.0, 0, [], None, 0.01, 1000)
>>> r.overhead_text
'~1%'
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType, FunctionType
from typing import IO

from ember.insight.profile.analyze import (
    Row,
    combined_program_s,
    judge,
    rows_of,
    screen,
    user_code_filter,
)
from ember.insight.profile.collect import Recorder
from ember.insight.profile.trial import Trial, try_compile


@dataclass
class Report:
    """What ``ember profile`` found. ``overhead`` is the recorder's estimated share of
    the profiled run (events times their measured cost); ``wall_s`` and every row's
    time are without it, so predictions are about the program as it runs normally."""

    program: str
    wall_s: float
    exit_code: int
    rows: list[Row]
    combined_s: float | None
    overhead: float
    events: int
    source: str = "sys.monitoring" if sys.version_info >= (3, 12) else "sys.setprofile"
    busy: str = ""  # a note when other processes competed for the CPUs during the run

    @property
    def overhead_text(self) -> str:
        return f"~{self.overhead * 100:.0f}%"


def profile_program(
    run: Callable[[], int],
    program: str,
    *,
    limit: int = 10,
    trials: bool = True,
    timeout: float = 60.0,
    progress: IO[str] | None = None,
) -> Report:
    """Run ``run()`` (the program, returning its exit status) under the recorder, then
    judge its hottest ``limit`` functions. SystemExit from the program is its status."""
    recorder = Recorder(keep=user_code_filter())
    exit_code = 0
    with recorder.active():
        try:
            exit_code = run()
        except SystemExit as exc:
            exit_code = _exit_status(exc)
    # The costs are CPU time; on a machine shared with other work each CPU second takes
    # longer in wall time, the run's included.
    slower = busy_factor()
    costs = tuple(c * slower for c in event_costs())
    rows, wall_s = rows_of(recorder, costs, limit)  # the run's time without the recorder
    overhead = min(0.99, max(0.0, 1 - wall_s / max(recorder.wall / 1e9, 1e-9)))
    todo = [r for r in rows if not screen(r)]
    for i, row in enumerate(todo, 1):
        if progress is not None:
            progress.write(f"\rember profile: trying {row.name} ({i}/{len(todo)}) ...\033[K")
            progress.flush()
        judge(row, _trial(row, recorder, trials, timeout), wall_s)
    if progress is not None and todo:
        progress.write("\r\033[K")
        progress.flush()
    return Report(program, wall_s, exit_code, rows, combined_program_s(rows, recorder, wall_s),
                  overhead, recorder.events + recorder.c_events + recorder.t_events,
                  busy=busy_note())


def busy_note() -> str:
    """Words for a machine busier than its CPUs (times measured on it are inflated)."""
    import os

    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return ""
    cpus = os.cpu_count() or 1
    if load <= cpus:
        return ""
    return (f"the machine was busy (load {load:.1f} on {cpus} CPUs): the times are longer "
            "than on an idle machine; the speed-ups are still measured ratios")


def _trial(row: Row, recorder: Recorder, trials: bool, timeout: float) -> Trial:
    if not trials:
        return Trial("skipped", "trials are off (--no-trial)")
    assert row.code is not None
    func = function_of(row.code)
    if func is None:
        return Trial("skipped", "its function object is gone (a closure or a deleted name)")
    stats = recorder.functions[row.code]
    return try_compile(func, stats.args or (), stats.kwargs or {}, timeout)


def function_of(code: CodeType) -> FunctionType | None:
    """The function object that runs ``code`` (found through the garbage collector's
    referrers: the program's functions are not otherwise known by their code)."""
    for obj in gc.get_referrers(code):
        if isinstance(obj, FunctionType) and obj.__code__ is code:
            return obj
    return None


def _exit_status(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")  # as python prints a non-int exit value
    return 1


_EVENT_COSTS: list[tuple[float, float, float]] = []


def event_costs() -> tuple[float, float, float]:
    """Seconds the recorder adds per Python event, per untimed C call (a builtin) and
    per timed call (a C or library function: two clock reads), measured once on this
    interpreter (loops of such calls with the recorder off, then on)."""
    if _EVENT_COSTS:
        return _EVENT_COSTS[0]

    def tiny() -> None:
        pass

    def calls_python(n: int) -> None:
        for _ in range(n):
            tiny()

    def calls_builtin(n: int) -> None:
        for _ in range(n):
            isinstance(n, str)

    def calls_timed(n: int) -> None:
        clock = time.monotonic  # a C function of a module whose calls are timed
        for _ in range(n):
            clock()

    out = []
    for loop, field in ((calls_python, "events"), (calls_builtin, "c_events"),
                        (calls_timed, "t_events")):
        bare = _best_of(loop)
        # Python events are priced as the user's own (kept: their statistics updated):
        # the dearer kind, so a call-heavy run is not reported many times too long.
        recorder = Recorder(keep=(lambda code: True) if loop is calls_python
                            else (lambda code, loop=loop: code is loop.__code__), mute=False)
        with recorder.active():
            traced = _best_of(loop)
        events = getattr(recorder, field) / 3  # per _best_of run
        out.append(max(0.0, traced - bare) / max(events, 1))
    _EVENT_COSTS.append((out[0], out[1], out[2]))
    return _EVENT_COSTS[0]


def busy_factor() -> float:
    """Wall seconds per CPU second of a pure-Python loop now (1.0 on an idle machine;
    more when other processes share the CPUs): the median of a few 20 ms runs."""
    ratios = []
    for _ in range(5):
        cpu, wall = time.thread_time(), time.perf_counter()
        while time.thread_time() - cpu < 0.02:
            pass
        ratios.append((time.perf_counter() - wall) / max(time.thread_time() - cpu, 1e-9))
    return max(1.0, sorted(ratios)[len(ratios) // 2])


def _best_of(loop: Callable[[int], None], n: int = 20000) -> float:
    """Best CPU seconds of ``loop(n)`` over a few runs: CPU time, so that other
    processes on a busy machine do not inflate the calibration."""
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        loop(n)
        best = min(best, time.thread_time() - start)
    return best
