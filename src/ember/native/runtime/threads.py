"""How many threads parallel loops use: ``EMBER_NUM_THREADS``, else the CPUs this
process may run on (its affinity mask, capped by a cgroup v2 ``cpu.max`` quota), and
:func:`set_num_threads` / :func:`get_num_threads` as in Numba. Stdlib only, imported by
``ember.set_num_threads`` without building the pool."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs start-up time; annotations are strings here
if TYPE_CHECKING:
    from collections.abc import Callable

#: The most threads a loop runs on (the pool's workers plus the calling thread).
MAX_THREADS = 256

_current: list[int] = []  # the number set (or found) in this process, once known
_applied: list[Callable[[int], object]] = []  # the pool's setter, once it is built


def available_cpus() -> int:
    """CPUs this process may use: ``os.sched_getaffinity`` (or ``os.cpu_count``), fewer
    when a cgroup v2 quota (``/sys/fs/cgroup/cpu.max``: ``quota period``) allows less.

    >>> available_cpus() >= 1
    True
    """
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS has no affinity API
        n = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            n = min(n, max(1, -(-int(quota) // int(period))))  # ceil: 1.5 CPUs → 2
    except (OSError, ValueError):
        pass
    return max(1, n)


def default_threads() -> int:
    """``EMBER_NUM_THREADS`` when set (an int from 1 to :data:`MAX_THREADS`), else
    :func:`available_cpus`. A bad value is ignored with a warning."""
    text = os.environ.get("EMBER_NUM_THREADS", "").strip()
    if text:
        try:
            n = int(text)
            if 1 <= n <= MAX_THREADS:
                return n
        except ValueError:
            pass
        import warnings  # only for the bad value

        warnings.warn(f"EMBER_NUM_THREADS={text!r} is not an int from 1 to {MAX_THREADS}; "
                      "using the CPUs available", RuntimeWarning, stacklevel=2)
    return min(available_cpus(), MAX_THREADS)


def get_num_threads() -> int:
    """The number of threads a parallel loop runs on (the calling thread included)."""
    if not _current:
        _current.append(default_threads())
    return _current[0]


def set_num_threads(n: int) -> None:
    """Run later parallel loops on ``n`` threads (1 to :data:`MAX_THREADS`); 1 runs
    them on the calling thread alone. Results do not depend on it (the chunks do
    not): only the time does.

    Raises ValueError for a number out of range, TypeError for a non-int."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads() takes an int, not {type(n).__name__}")
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"the number of threads must be from 1 to {MAX_THREADS}, got {n}")
    _current[:] = [n]
    for setter in _applied:
        setter(n)


def on_change(setter: Callable[[int], object]) -> None:
    """Call ``setter(n)`` at every :func:`set_num_threads` (the pool's, once built)."""
    _applied.append(setter)
