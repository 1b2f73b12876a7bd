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
    """What ``ember profile`` found; ``overhead`` is the recorder's estimated share of
    ``wall_s`` (events times their measured cost)."""

    program: str
    wall_s: float
    exit_code: int
    rows: list[Row]
    combined_s: float | None
    overhead: float
    events: int
    source: str = "sys.monitoring" if sys.version_info >= (3, 12) else "sys.setprofile"

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
    wall_s = recorder.wall / 1e9
    rows = rows_of(recorder, limit)
    todo = [r for r in rows if not screen(r)]
    for i, row in enumerate(todo, 1):
        if progress is not None:
            progress.write(f"\rember profile: trying {row.name} ({i}/{len(todo)}) ...\033[K")
            progress.flush()
        judge(row, _trial(row, recorder, trials, timeout), wall_s)
    if progress is not None and todo:
        progress.write("\r\033[K")
        progress.flush()
    overhead = min(0.99, recorder.events * event_cost() / max(wall_s, 1e-9))
    return Report(program, wall_s, exit_code, rows, combined_program_s(rows, recorder, wall_s),
                  overhead, recorder.events)


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


_EVENT_COST: list[float] = []


def event_cost() -> float:
    """Seconds the recorder adds per event, measured once on this interpreter."""
    if _EVENT_COST:
        return _EVENT_COST[0]

    def tiny() -> None:
        pass

    n = 20000
    start = time.perf_counter()
    for _ in range(n):
        tiny()
    bare = time.perf_counter() - start
    recorder = Recorder(keep=lambda code: code is tiny.__code__)
    with recorder.active():
        start = time.perf_counter()
        for _ in range(n):
            tiny()
        traced = time.perf_counter() - start
    _EVENT_COST.append(max(0.0, traced - bare) / max(recorder.events, 1))
    return _EVENT_COST[0]
