"""The statistical half of the recorder: where the time of *muted* functions goes.

A Python callback per call costs about a microsecond, more than a one-line function
itself. So on ``sys.monitoring`` (3.12+) the recorder times every function's first
calls exactly and then mutes the ones that are short and called often (``DISABLE``: no
more events from them, no cost). Their later time would otherwise be counted as their
caller's own work. A background thread samples the profiled thread's stack (about
every millisecond, as often as the interpreter hands it the GIL) and keeps, per sample:

- for each muted function of the user's on the stack: the time, once per sample (its
  inclusive time after muting);
- where the sample's top frames are muted and the first timed frame below them is a
  user function: the time that function's own work wrongly contains, moved to its
  callees (a muted user function) or to its C/library time (a muted library function).

:meth:`Recorder.fold <ember.insight.profile.collect.Recorder.fold>` folds these into the exact counts: a muted function's numbers are
scaled by its sampled share (its calls are those counted before: a lower bound,
flagged ``sampled``).

>>> s = Samples()
>>> s.post, s.moved
({}, {})
"""

from __future__ import annotations

import sys
import time
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ember.insight.profile.collect import Recorder

#: Seconds between samples asked for (the GIL's switch interval, 5 ms, often decides).
INTERVAL = 0.001


class Samples:
    """What the sampler saw (nanoseconds)."""

    def __init__(self) -> None:
        self.post: dict[CodeType, int] = {}  # muted user function → time after muting
        self.moved: dict[CodeType, int] = {}  # timed function → own time that was callees'
        # timed function → {library function (name, numpy, io) → own time that was its}
        self.moved_c: dict[CodeType, dict[tuple[str, bool, bool], int]] = {}
        self.count = 0

    def take(self, r: Recorder, frame: FrameType, now: int, dt: int) -> None:
        """Account one sample of the profiled thread's stack (``frame`` is its top)."""
        self.count += 1
        muted, functions = r.muted, r.functions
        outer: FrameType | None = None  # the outermost muted frame at the top of the stack
        top = True  # still in the stack's top run of muted frames
        seen: set[CodeType] = set()
        f: FrameType | None = frame
        while f is not None:
            code = f.f_code
            since = muted.get(code)
            if since is not None and since <= now:
                if code in functions and code not in seen:
                    seen.add(code)
                    self.post[code] = self.post.get(code, 0) + dt
                if top:
                    outer = f
            elif top:
                top = False
                if outer is not None and code in functions and outer.f_back is f:
                    self._move(r, code, outer, dt)
                if not r.muted_users:
                    return  # nothing further down the stack needs the sample
            f = f.f_back

    def _move(self, r: Recorder, code: CodeType, outer: FrameType, dt: int) -> None:
        callee = outer.f_code
        if callee in r.functions:
            self.moved[code] = self.moved.get(code, 0) + dt
            return
        info = r.library_name(callee, outer)
        per = self.moved_c.setdefault(code, {})
        per[info] = per.get(info, 0) + dt


class Sampler:
    """A thread that hands :class:`Samples` the profiled thread's stack every
    :data:`INTERVAL`. Its own code is muted before it starts, so the event callbacks
    ignore it (they run on whichever thread triggers them)."""

    def __init__(self, recorder: Recorder, samples: Samples) -> None:
        import _thread

        self.r = recorder
        self.samples = samples
        self.ident = _thread.get_ident()
        self._running = False
        self.error: Exception | None = None
        self._done = _thread.allocate_lock()
        self._thread = _thread

    def start(self) -> None:
        for fn in (Sampler._run, Samples.take, Samples._move):
            self.r.muted[fn.__code__] = 0
        self.r.muted[self.r.library_name.__code__] = 0
        self._running = True
        self._done.acquire()
        self._thread.start_new_thread(self._run, ())

    def stop(self) -> None:
        self._running = False
        self._done.acquire()  # the thread's last sample is done
        self._done.release()

    def _run(self) -> None:
        take, r, frames, ident = self.samples.take, self.r, sys._current_frames, self.ident
        clock, sleep = time.perf_counter_ns, time.sleep
        last = clock()
        try:
            while self._running:
                sleep(INTERVAL)
                now = clock()
                frame: Any = frames().get(ident)
                if frame is not None and r.muted_any:
                    take(r, frame, now, now - last)
                last = now
        except Exception as exc:  # noqa: BLE001 - a bug here must not reach the program
            self.error = exc  # the times stay as timed (muted functions' counts short)
        finally:
            self._done.release()
