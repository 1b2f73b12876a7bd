"""Where a program's time goes, per Python function: the measuring half of ``ember
profile``.

A :class:`Recorder` keeps a shadow call stack fed by one of two event sources:
``sys.monitoring`` on Python 3.12+ (events only for what we ask: function starts and
ends, and calls of C functions) or ``sys.setprofile`` before. For every function it
accumulates, in nanoseconds of wall time:

- ``total``: inclusive time of its outermost activations (recursion counted once);
- ``own``: time spent running its own bytecode (the interpreter's work);
- ``callees``: time in the Python functions it calls;
- ``c_calls``: time in each C function it calls (``numpy.add``, ``time.sleep``...), with
  the CPU time of those calls where it is cheap to know, so that "blocked" (waiting on
  I/O, a lock, a sleep: wall minus CPU) is measured rather than guessed from names.

It also keeps the arguments of a few calls of each function (references, not copies:
a trial runs in a forked child, so nothing it does is seen by the program) and their
types, which is what compiling the function needs.

>>> r = Recorder()
>>> def work(n):
...     return sum(i * i for i in range(n))
>>> with r.active():
...     _ = work(1000)
>>> stats = r.stats_for(work.__code__)
>>> stats.calls, stats.total >= stats.own > 0
(1, True)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import CodeType, FunctionType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ember.insight.profile.sampler import Samples

# Calls whose CPU time is not worth a clock read: builtins and methods of builtin
# containers are never blocking, and they are most of a loop's C calls.
_NEVER_BLOCKING = frozenset({"builtins", "math", "_operator", "itertools", "functools"})
_CHEAP_SELF_TYPES = (list, dict, set, tuple, str, bytes, int, float, frozenset, bytearray)
_NOT_CHEAP = frozenset({"open", "print", "input", "__import__", "exec", "eval", "compile"})
# C functions whose time is I/O even when it is CPU time (a read from the page cache
# is a system call that runs on the CPU): files, sockets, processes, sleeping.
_IO_MODULES = frozenset({"_io", "io", "os", "posix", "socket", "_socket", "select",
                         "selectors", "ssl", "_ssl", "time", "subprocess", "_posixsubprocess",
                         "shutil", "sqlite3", "_sqlite3", "zlib", "_bz2", "_lzma"})
_IO_NAMES = frozenset({"open", "print", "input"})
#: Arguments kept per function for the trial (the call that took longest wins).
SAMPLE_CALLS = 20
#: After the first SAMPLE_CALLS calls, look at the arguments of one call in this many.
SAMPLE_EVERY = 1000
#: On sys.monitoring, a user function is muted (no more events: the sampler accounts
#: for it) after this many calls if they took less than MUTE_BELOW ns each on average:
#: for longer calls the recorder's ~1 us per call is noise.
MUTE_AFTER = 500
MUTE_BELOW = 50_000
# Generators and coroutines are never muted: their resumes would unbalance the stack.
_RESUMABLE = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR


@dataclass
class CCall:
    """Time in one C function called from one Python function."""

    name: str
    calls: int = 0
    wall: int = 0
    cpu: int = 0
    numpy: bool = False
    io: bool = False


@dataclass
class FunctionStats:
    """What one Python function (one code object) did during the run."""

    code: CodeType
    calls: int = 0
    total: int = 0
    own: int = 0
    callees: int = 0
    c_calls: dict[str, CCall] = field(default_factory=dict)
    func: FunctionType | None = None
    args: tuple[Any, ...] | None = None  # the arguments of the longest sampled call
    args_time: int = -1
    kwargs: dict[str, Any] | None = None
    callers: set[CodeType] = field(default_factory=set)
    # Muted after its first calls: its numbers are scaled from samples (calls estimated).
    sampled: bool = False
    # Recorder events inside its outermost activations: the recorder's cost in it.
    events: int = 0
    c_events: int = 0
    t_events: int = 0

    @property
    def c_time(self) -> int:
        return sum(c.wall for c in self.c_calls.values())

    @property
    def blocked(self) -> int:
        """Wall time in C calls that was not CPU time (sleeping, waiting on I/O)."""
        return sum(max(0, c.wall - c.cpu) for c in self.c_calls.values())

    @property
    def io_time(self) -> int:
        """Time in C calls that do I/O (their whole time) or block (their wall time
        beyond CPU time)."""
        return sum(c.wall if c.io else max(0, c.wall - c.cpu) for c in self.c_calls.values())

    @property
    def numpy_time(self) -> int:
        return sum(c.wall for c in self.c_calls.values() if c.numpy)


class _Frame:
    __slots__ = ("code", "stats", "start", "child", "c_total", "c_start", "c_child", "c_cpu",
                 "c_name", "args", "boundary", "inline", "in_c", "events", "c_events", "t_events")

    def __init__(self, code: CodeType | None, stats: FunctionStats | None, start: int) -> None:
        self.code = code
        self.stats = stats
        self.start = start
        self.child = 0  # Python callees' inclusive time
        self.c_total = 0  # time in C calls, without the Python code they called back
        self.c_start = 0  # the C call in progress (0: none)
        self.c_child = 0  # `child` when it began: callbacks into Python are not C time
        self.c_cpu = -1
        self.c_name: tuple[str, bool, bool] | None = None
        self.args: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        # A library function called from the user's code: timed like a C call of its
        # caller (NumPy's Python layer, socket's), everything under it included.
        self.boundary = False
        self.inline = False  # a comprehension's frame, see Recorder.enter
        self.in_c = False  # library code run by a timed C call, see Recorder.enter
        self.events = 0  # the recorder's event counts when it started
        self.c_events = 0
        self.t_events = 0


class Recorder:
    """Shadow stack and per-function totals; see the module docstring. ``mute``: on
    sys.monitoring, stop the events of short, often-called functions and of library
    code called by library code, and account for them by sampling (``sampler.py``)."""

    def __init__(self, keep: Callable[[CodeType], bool] | None = None, mute: bool = True
                 ) -> None:
        self.functions: dict[CodeType, FunctionStats] = {}
        self.stack: list[_Frame] = [_Frame(None, None, time.perf_counter_ns())]
        self.active_depth: dict[CodeType, int] = {}  # activations on the stack, per code
        self.mute = mute and sys.version_info >= (3, 12)
        self.muted: dict[CodeType, int] = {}  # code → when it was muted (ns)
        self.muted_users = 0
        self.muted_any = False
        self.samples: Samples | None = None  # when muting
        # Event counts by their cost: Python function starts and ends; C calls and
        # returns not timed (builtins); timed calls (C or library code: two clock reads).
        self.events = 0
        self.c_events = 0
        self.t_events = 0
        self.wall = 0
        self._keep = keep or (lambda code: True)
        self._kept: dict[CodeType, bool] = {}
        self._names: dict[object, tuple[str, bool, bool] | None] = {}

    def stats_for(self, code: CodeType) -> FunctionStats:
        return self.functions[code]

    # -- the events (one source calls them)

    def enter(self, code: CodeType, frame: Any) -> bool:
        """A Python function starts; False when it is (now) muted: its events should
        stop."""
        now = time.perf_counter_ns()
        if code in self.muted:
            return False
        self.events += 1
        parent = self.stack[-1]
        if parent.stats is not None and code.co_name.startswith("<") and code.co_name != "<module>":
            # A comprehension, generator expression or lambda (3.10 and 3.11 run them
            # as functions): part of its parent's own work, as it is from 3.12 on.
            f = _Frame(code, parent.stats, now)
            f.inline = True
            self.stack.append(f)
            self.active_depth[code] = self.active_depth.get(code, 0) + 1
            return True
        keep = self._kept.get(code)
        if keep is None:
            keep = self._kept[code] = self._keep(code)
        stats = None
        if keep:
            stats = self.functions.get(code)
            if stats is None:
                stats = self.functions[code] = FunctionStats(code)
        depth = self.active_depth.get(code, 0)
        if self.mute and not depth and not code.co_flags & _RESUMABLE and (
                stats.calls >= MUTE_AFTER and stats.total < stats.calls * MUTE_BELOW
                if stats is not None else parent.stats is None and parent.code is not None):
            # (Library code called by library code: its caller's timing covers it.)
            self.muted[code] = now
            self.muted_any = True
            self.muted_users += stats is not None
            return False
        self.active_depth[code] = depth + 1
        f = _Frame(code, stats, now)
        f.events, f.c_events, f.t_events = self.events, self.c_events, self.t_events
        if stats is None and parent.stats is not None:
            if not parent.c_start:
                self._begin_c(parent, self.library_name(code, frame))
                f.boundary = True
            else:
                # Library code a timed C call runs (NumPy 2's C dispatchers call their
                # Python implementations): part of that call's time, not a callee.
                f.in_c = True
        if stats is not None:
            stats.calls += 1
            n = stats.calls
            if frame is not None and (n <= SAMPLE_CALLS or n % SAMPLE_EVERY == 0):
                f.args = _arguments(code, frame)
        self.stack.append(f)
        return True

    def leave(self, code: CodeType) -> bool:
        """A Python function returns (or unwinds); False when it is muted."""
        now = time.perf_counter_ns()
        if code in self.muted:
            return False
        self.events += 1
        if len(self.stack) <= 1:
            return True  # a return of a frame that started before profiling began
        f = self.stack.pop()
        if f.code is not None:
            self.active_depth[f.code] -= 1
        parent = self.stack[-1]
        if f.boundary:
            self.c_leave(now)
            return True
        if f.inline:  # its callees and C calls are its parent's; the rest is own time
            parent.child += f.child
            parent.c_total += f.c_total
            return True
        if f.in_c:  # only the user's code it called back is not the C call's time
            parent.child += f.child
            return True
        elapsed = now - f.start
        parent.child += elapsed
        stats = f.stats
        if stats is None:
            return True
        if parent.stats is not None:
            stats.callers.add(parent.stats.code)
        stats.own += max(0, elapsed - f.child - f.c_total)
        if self.active_depth[stats.code] == 0:
            stats.total += elapsed
            stats.events += self.events - f.events
            stats.c_events += self.c_events - f.c_events
            stats.t_events += self.t_events - f.t_events
        stats.callees += f.child
        if f.args is not None and elapsed > stats.args_time:
            stats.args, stats.kwargs = f.args
            stats.args_time = elapsed
        return True

    def fold(self, samples: Samples) -> None:
        """Fold what the sampler saw into :attr:`functions` (once, after recording):
        a muted function's numbers scaled by its sampled time, callers' own time that
        was a muted callee's moved to it."""
        r = self
        for code, t in samples.moved.items():
            s = r.functions[code]
            t = min(t, s.own)
            s.own -= t
            s.callees += t
        for code, per in samples.moved_c.items():
            s = r.functions[code]
            for (name, numpy, io), t in per.items():
                t = min(t, s.own)
                s.own -= t
                c = s.c_calls.get(name)
                if c is None:
                    c = s.c_calls[name] = CCall(name, numpy=numpy, io=io)
                c.wall += t
                c.cpu += t  # unknown: taken as CPU time, so never guessed "blocked"
        for code in r.muted:
            s = r.functions.get(code)
            if s is None:
                continue  # library code: its callers' timing covers it
            t = samples.post.get(code, 0)
            pre = max(s.total, 1)
            scale = (pre + t) / pre
            s.total = pre + t
            s.own = round(s.own * scale)
            s.callees = round(s.callees * scale)
            for c in s.c_calls.values():
                c.wall, c.cpu = round(c.wall * scale), round(c.cpu * scale)
                c.calls = round(c.calls * scale)
            s.sampled = True  # (calls: those counted before muting, a lower bound)

    def library_name(self, code: CodeType, frame: Any) -> tuple[str, bool, bool]:
        """(name, NumPy's?, I/O?) of a library function written in Python."""
        info = self._names.get(code)
        if info is None:
            info = self._names[code] = _describe_code(code, frame)
        return info

    def c_enter(self, func: object) -> bool:
        """A C function is called; False when it is one not worth timing (a builtin, a
        method of a builtin container): its time then stays its caller's own, which is
        what it is for the question asked (interpreter work, not NumPy, not I/O)."""
        # Bound builtin methods are new objects per call (ids are reused): key on what
        # the function is, not on the object.
        owner = getattr(func, "__self__", None)
        key = (getattr(func, "__qualname__", None) or getattr(func, "__name__", None),
               owner if isinstance(owner, ModuleType) else type(owner))
        info = self._names.get(key, False)
        if info is False:
            info = self._names[key] = _describe(func)
        if info is None:
            self.c_events += 1
            return False
        self._begin_c(self.stack[-1], info)
        return True

    def _begin_c(self, f: _Frame, info: tuple[str, bool, bool]) -> None:
        self.t_events += 1
        f.c_name = info
        f.c_child = f.child
        f.c_cpu = time.thread_time_ns()
        f.c_start = time.perf_counter_ns()

    def c_leave(self, now: int = 0) -> bool:
        """A C function returned (or raised); False when no C call was being timed."""
        now = now or time.perf_counter_ns()
        f = self.stack[-1]
        if not f.c_start or f.c_name is None:
            self.c_events += 1
            return False
        # Python code the C function called back (a key= function, a __init__) is
        # already in `child`: the C call's own time is the rest.
        elapsed = now - f.c_start - (f.child - f.c_child)
        f.c_start = 0
        f.c_total += elapsed
        name, numpy, io = f.c_name
        f.c_name = None
        stats = f.stats
        if stats is None:
            return True
        c = stats.c_calls.get(name)
        if c is None:
            c = stats.c_calls[name] = CCall(name, numpy=numpy, io=io)
        c.calls += 1
        c.wall += elapsed
        c.cpu += time.thread_time_ns() - f.c_cpu
        return True

    @contextmanager
    def active(self) -> Iterator[Recorder]:
        """Record everything the ``with`` block runs (this thread)."""
        sampler = None
        if self.mute:
            from ember.insight.profile.sampler import Sampler, Samples

            self.samples = Samples()
            sampler = Sampler(self, self.samples)
            sampler.start()
        start = time.perf_counter_ns()
        source = _Monitoring(self) if sys.version_info >= (3, 12) else _SetProfile(self)
        source.start()
        try:
            yield self
        finally:
            source.stop()
            self.wall += time.perf_counter_ns() - start
            if sampler is not None:
                sampler.stop()
            self._unwind()
            if self.samples is not None:
                self.fold(self.samples)

    def _unwind(self) -> None:
        """Close the frames still open when recording stopped (``sys.exit`` inside)."""
        while len(self.stack) > 1:
            self.leave(self.stack[-1].stats.code if self.stack[-1].stats else _DUMMY)


_DUMMY = compile("", "<none>", "exec")


def _arguments(code: CodeType, frame: Any) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """The positional arguments of a call, read from its frame at its start."""
    try:
        local = frame.f_locals
        n = code.co_argcount
        names = code.co_varnames
        args = tuple(local[names[i]] for i in range(n))
        kw = {names[i]: local[names[i]] for i in range(n, n + code.co_kwonlyargcount)}
    except (KeyError, AttributeError):
        return None
    return args, kw


def _describe_code(code: CodeType, frame: Any) -> tuple[str, bool, bool]:
    """(name, NumPy's?, cheap?) of a library function written in Python."""
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    name = getattr(code, "co_qualname", code.co_name)
    numpy = module == "numpy" or module.startswith("numpy.")
    io = module.partition(".")[0] in _IO_MODULES
    return f"{module}.{name}" if module else name, numpy, io


def _describe(func: object) -> tuple[str, bool, bool] | None:
    """(name to show, whether it is NumPy's, whether it does I/O); None for a function
    not worth timing (a builtin, a method of a builtin container)."""
    module = getattr(func, "__module__", None)
    self_obj = getattr(func, "__self__", None)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    if module is None and self_obj is not None and not isinstance(self_obj, ModuleType):
        module = type(self_obj).__module__
        if "." not in name:
            name = f"{type(self_obj).__name__}.{name}"
    if module is None and isinstance(self_obj, ModuleType):
        module = self_obj.__name__
    objclass = getattr(func, "__objclass__", None)  # 3.12+: `a.sum()` calls ndarray.sum
    if module is None and objclass is not None:
        module = objclass.__module__
    numpy = bool(module) and (module == "numpy" or module.startswith("numpy."))  # type: ignore[union-attr]
    if type(func).__name__ == "ufunc":
        numpy, module = True, "numpy"
    shown = f"{module}.{name}" if module and module != "builtins" else name
    bare = getattr(func, "__name__", "")
    if (module in _NEVER_BLOCKING and bare not in _NOT_CHEAP) or isinstance(
            self_obj, _CHEAP_SELF_TYPES) or objclass in _CHEAP_SELF_TYPES:
        return None
    root = (module or "").partition(".")[0]
    return shown, numpy, root in _IO_MODULES or bare in _IO_NAMES


class _Monitoring:
    """Events from ``sys.monitoring`` (3.12+): the low-overhead source."""

    def __init__(self, recorder: Recorder) -> None:
        self.r = recorder
        self.mon = sys.monitoring  # type: ignore[attr-defined]
        self.tool = self.mon.PROFILER_ID

    def start(self) -> None:
        mon, tool, r = self.mon, self.tool, self.r
        ev = mon.events
        mon.use_tool_id(tool, "ember profile")
        mon.restart_events()  # what an earlier recording in this process disabled
        getframe = sys._getframe
        disable = mon.DISABLE
        muted = r.muted

        def py_start(code: CodeType, offset: int) -> object:
            return None if r.enter(code, getframe(1)) else disable

        def py_end(code: CodeType, offset: int, value: object) -> object:
            return None if r.leave(code) else disable

        # (Unwinds and throws are not local events: they cannot be disabled.)
        def py_unwind(code: CodeType, offset: int, exc: object) -> None:
            r.leave(code)

        def py_throw(code: CodeType, offset: int, exc: object) -> None:
            r.enter(code, getframe(1))

        # A call site that calls a Python function or a cheap builtin stops reporting
        # (DISABLE): the Python callee has its own events, the builtin's time stays
        # its caller's. That keeps a call-heavy loop's overhead low.
        def call(code: CodeType, offset: int, func: object, arg0: object) -> object:
            if code in muted or isinstance(func, FunctionType) or hasattr(func, "__func__"):
                return disable
            return None if r.c_enter(func) else disable

        def c_end(code: CodeType, offset: int, func: object, arg0: object) -> None:
            r.c_leave()  # (fires only where CALL does: it cannot be disabled itself)

        mon.register_callback(tool, ev.PY_START, py_start)
        mon.register_callback(tool, ev.PY_RESUME, py_start)
        mon.register_callback(tool, ev.PY_THROW, py_throw)
        mon.register_callback(tool, ev.PY_RETURN, py_end)
        mon.register_callback(tool, ev.PY_YIELD, py_end)
        mon.register_callback(tool, ev.PY_UNWIND, py_unwind)
        mon.register_callback(tool, ev.CALL, call)
        mon.register_callback(tool, ev.C_RETURN, c_end)
        mon.register_callback(tool, ev.C_RAISE, c_end)
        mon.set_events(tool, ev.PY_START | ev.PY_RESUME | ev.PY_THROW | ev.PY_RETURN
                       | ev.PY_YIELD | ev.PY_UNWIND | ev.CALL | ev.C_RETURN | ev.C_RAISE)

    def stop(self) -> None:
        mon, tool = self.mon, self.tool
        mon.set_events(tool, 0)
        for event in (mon.events.PY_START, mon.events.PY_RESUME, mon.events.PY_THROW,
                      mon.events.PY_RETURN,
                      mon.events.PY_YIELD, mon.events.PY_UNWIND, mon.events.CALL,
                      mon.events.C_RETURN, mon.events.C_RAISE):
            mon.register_callback(tool, event, None)
        mon.free_tool_id(tool)


class _SetProfile:
    """Events from ``sys.setprofile`` (3.10, 3.11)."""

    def __init__(self, recorder: Recorder) -> None:
        self.r = recorder
        self.previous: Any = None

    def start(self) -> None:
        r = self.r

        def hook(frame: Any, event: str, arg: Any) -> None:
            if event == "call":
                r.enter(frame.f_code, frame)
            elif event == "return":
                r.leave(frame.f_code)
            elif event == "c_call":
                r.c_enter(arg)
            else:  # c_return, c_exception
                r.c_leave()

        self.previous = sys.getprofile()
        sys.setprofile(hook)

    def stop(self) -> None:
        sys.setprofile(self.previous)
