"""``ember.prange``: the marker of a parallel loop. As plain Python it is ``range``.

    @jit(parallel=True)
    def total(a):
        s = 0.0
        for i in prange(len(a)):   # iterations run on threads (runtime/parallel.py)
            s += a[i]
        return s

The frontend recognises a ``for`` over it (frontend/parallel.py outlines the body);
without ``parallel=True`` the loop is an ordinary serial ``range`` loop, as in Numba.
Nothing heavy here: the frontend imports it, and so does ``import ember`` on demand.
"""

from __future__ import annotations


class prange:
    """``prange(stop)``, ``prange(start, stop[, step])``: ``range`` as plain Python (the
    interpreted function, ``f.py_func``, runs it serially); in ``@jit(parallel=True)``
    code the loop's iterations are split into chunks run on worker threads.

    >>> list(prange(3))
    [0, 1, 2]
    >>> prange(1, 10, 4)
    range(1, 10, 4)
    """

    def __new__(cls, *args: int) -> range:  # type: ignore[misc]  # a range, as Numba's
        return range(*args)


def is_prange(value: object) -> bool:
    """Whether ``value`` (what a loop's ``for i in X(...)`` calls) is :class:`prange`,
    or Numba's (``from numba import prange`` in code that ``@ember.jit`` compiles):
    recognised by name, so Numba is never imported.

    >>> is_prange(prange), is_prange(range)
    (True, False)
    """
    if value is prange:
        return True
    return (isinstance(value, type) and value.__name__ == "prange"
            and value.__module__ == "numba.misc.special")
