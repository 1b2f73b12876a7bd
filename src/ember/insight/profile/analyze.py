"""From measurements to verdicts: which functions of a profiled run are worth compiling,
and what the program would gain (Amdahl's law on the measured speed-up).

Each hot function of the user's own code gets a :class:`Row`: where its time went
(its own bytecode, NumPy, blocked in C calls, other C code, its callees) and one verdict:

- ``compile``: a trial compiled it and it ran ``speedup`` times faster on the recorded
  arguments; ``program_s`` is the whole run's predicted time with it compiled;
- ``does not compile``: ember's error (file:line:col, the line, a hint);
- ``not worth it``: I/O (files, sockets, sleeping: waiting in general), already inside NumPy, too short to matter,
  or compiled but barely faster;
- ``see callees``: its time is in the functions it calls (they have their own rows).

>>> share_text(0.714)
'71%'
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CodeType

from ember.insight.profile.collect import FunctionStats, Recorder
from ember.insight.profile.trial import Trial

#: A function below this share of the run and this many seconds is "too short".
MIN_SHARE = 0.02
MIN_SECONDS = 0.02
#: A compiled function less than this much faster is "not worth it".
MIN_SPEEDUP = 1.3


@dataclass
class Row:
    """One function's line in the report; fractions are of its inclusive ``total_s``."""

    name: str
    filename: str
    line: int
    calls: int
    total_s: float
    share: float  # of the whole run
    own: float
    numpy: float
    blocked: float  # in I/O calls or waiting (wall time that was not CPU time)
    c_other: float
    callees: float
    arg_types: str
    verdict: str = ""
    reason: str = ""
    detail: str = ""  # ember's full diagnostic for "does not compile"
    trial: Trial | None = None
    program_s: float | None = None  # the run's predicted time with this compiled
    top_c: str = ""  # the C function that took most of its C time
    sampled: bool = False  # muted after its first calls: `calls` is a lower bound
    code: CodeType | None = field(default=None, repr=False, compare=False)

    @property
    def where(self) -> str:
        return f"{os.path.relpath(self.filename) if os.path.isabs(self.filename) else self.filename}:{self.line}"


def share_text(x: float) -> str:
    return f"{x * 100:.0f}%"


def user_code_filter(extra_roots: tuple[str, ...] = ()) -> Callable[[CodeType], bool]:
    """Whether a code object is the user's: not the standard library, not an installed
    package, not ember itself, not frozen or generated code."""
    paths = sysconfig.get_paths()
    skip = tuple({os.path.realpath(paths[k]) + os.sep for k in ("stdlib", "platstdlib",
                                                                "purelib", "platlib")})
    ember_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    skip = (*skip, ember_root + os.sep, *extra_roots)
    cache: dict[str, bool] = {}

    def keep(code: CodeType) -> bool:
        name = code.co_filename
        known = cache.get(name)
        if known is None:
            real = os.path.realpath(name) if not name.startswith("<") else name
            known = cache[name] = not name.startswith("<") and not real.startswith(skip)
        return known

    return keep


def rows_of(recorder: Recorder, costs: tuple[float, float, float], limit: int = 10
            ) -> tuple[list[Row], float]:
    """The hot functions, hottest first (the module's top level is not a function), and
    the run's time in seconds. Times are without the recorder's own cost (``costs``:
    seconds per Python event, per untimed and per timed C call), an estimate: the run is
    never taken to be shorter than a function that ran inside it."""
    py, c, t = (x * 1e9 for x in costs)
    wall = max(recorder.wall - recorder.events * py - recorder.c_events * c
               - recorder.t_events * t, 1)
    out = []
    for code, s in recorder.functions.items():
        if code.co_name.startswith("<"):  # <module>, <genexpr>, <lambda>, <listcomp>
            continue
        out.append(_row(code, s, wall, s.events * py + s.c_events * c + s.t_events * t))
    wall_s = max([wall / 1e9, *(r.total_s for r in out)])
    for r in out:
        r.share = r.total_s / wall_s
    out.sort(key=lambda r: -r.total_s)
    return out[:limit], wall_s


def _row(code: CodeType, s: FunctionStats, wall: float, overhead: float) -> Row:
    total = max(s.total, 1)
    # The recorder's cost falls on the function's own time and its callees' (the
    # Python code between events), in proportion, not on the C calls it times: the
    # time and those two parts lose it.
    net = max(total - overhead, min(total, 1000.0))
    lost = total - net
    python = max(s.own + s.callees, 1)
    own = max(0.0, s.own - lost * s.own / python)
    callees = max(0.0, s.callees - lost * s.callees / python)
    numpy = s.numpy_time
    blocked = min(s.io_time, s.c_time - numpy) if s.c_time > numpy else 0
    c_other = max(0, s.c_time - numpy - blocked)
    top = max(s.c_calls.values(), key=lambda c: c.wall, default=None)
    types = "" if s.args is None else ", ".join(_type_name(a) for a in s.args)
    return Row(code.co_qualname if hasattr(code, "co_qualname") else code.co_name,
               code.co_filename, code.co_firstlineno, s.calls, net / 1e9, net / wall,
               min(1.0, own / net), min(1.0, numpy / net), min(1.0, blocked / net),
               min(1.0, c_other / net), min(1.0, callees / net), types,
               top_c=top.name if top else "", code=code, sampled=s.sampled)


def _type_name(value: object) -> str:
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return f"ndarray[{value.dtype}, {value.ndim}d]"
    return type(value).__name__


def screen(row: Row) -> bool:
    """Give ``row`` a verdict that needs no trial; False when it should be tried."""
    if row.blocked >= 0.5:
        row.verdict, row.reason = "not worth it", (
            f"I/O: {share_text(row.blocked)} of its time is in I/O or waiting ({row.top_c})")
    elif row.numpy >= 0.5:
        row.verdict, row.reason = "not worth it", (
            f"already in NumPy: {share_text(row.numpy)} of its time is in {row.top_c}")
    elif row.callees >= 0.5 and row.own < 0.3:
        row.verdict, row.reason = "see callees", (
            f"{share_text(row.callees)} of its time is in the functions it calls")
    elif row.share < MIN_SHARE and row.total_s < MIN_SECONDS:
        row.verdict, row.reason = "not worth it", (
            f"too short: {row.total_s * 1e3:.1f} ms ({share_text(row.share)} of the run)")
    elif not row.arg_types and row.calls and row.code is not None and row.code.co_argcount:
        row.verdict, row.reason = "not tried", "no call of it was recorded with its arguments"
    else:
        return False
    return True


def judge(row: Row, trial: Trial, wall_s: float) -> None:
    """The verdict of a tried function."""
    row.trial = trial
    if trial.status == "compiled":
        s = trial.speedup
        program = wall_s - row.total_s + row.total_s / s
        if s < MIN_SPEEDUP:
            row.verdict, row.reason = "not worth it", (
                f"compiled it runs only {s:.2f}x as fast on the recorded arguments")
            return
        row.verdict = "compile"
        row.program_s = program
        row.reason = (f"{_times(s)} faster; the run would take {wall_s:.2f} s -> "
                      f"{program:.2f} s")
    elif trial.status == "error":
        row.verdict = "does not compile"
        row.detail = trial.message
        row.reason = _first_error_line(trial.message)
    else:
        row.verdict = {"differs": "compiles, differs", "timeout": "trial timed out",
                       "crashed": "trial crashed", "skipped": "not tried"}[trial.status]
        row.reason = trial.message


def combined_program_s(rows: list[Row], recorder: Recorder, wall_s: float) -> float | None:
    """The run's predicted time with every ``compile`` row compiled: a row called
    (directly or not) from another compiled row is already inside that one's gain."""
    chosen = {r.code: r for r in rows if r.verdict == "compile" and r.code is not None}
    if not chosen:
        return None
    saved = 0.0
    for code, row in chosen.items():
        if not _called_from(code, chosen, recorder):
            assert row.trial is not None
            saved += row.total_s - row.total_s / row.trial.speedup
    return wall_s - saved


def _called_from(code: CodeType, chosen: dict[CodeType | None, Row], recorder: Recorder) -> bool:
    seen: set[CodeType] = set()
    todo = list(recorder.functions[code].callers)
    while todo:
        c = todo.pop()
        if c in seen:
            continue
        seen.add(c)
        if c in chosen and c is not code:
            return True
        stats = recorder.functions.get(c)
        if stats is not None:
            todo.extend(stats.callers)
    return False


def _times(s: float) -> str:
    return f"{s:.0f}x" if s >= 10 else f"{s:.1f}x"


def _first_error_line(message: str) -> str:
    """The ``file:line:col: message`` line of an ember diagnostic."""
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return message
