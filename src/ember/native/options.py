"""Compile options of ``@jit``, and the other compile-time settings that are part of
every specialization's identity and cache key."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Options:
    """What ``@jit(...)`` accepts.

    >>> Options(fastmath=True).key()
    'boundscheck=True,cache=True,fallback=False,fastmath=True'
    """

    fastmath: bool = False  # allow LLVM's fast-math flags (not IEEE-exact)
    boundscheck: bool = True  # IndexError on out-of-range array indices
    fallback: bool = False  # run as plain Python (with a warning) if it cannot compile
    cache: bool = True  # store compiled code on disk (the native cache)

    def key(self) -> str:
        """A stable text of every option, sorted by name (for cache keys)."""
        return ",".join(f"{f.name}={getattr(self, f.name)}" for f in sorted(fields(self), key=lambda f: f.name))


#: Most nested recursive calls a unit allows, whatever ``sys.getrecursionlimit()`` says
#: (the depth rule's cap, see :func:`recursion_limit`). It is not what protects the C
#: stack: every recursive call also compares the stack pointer with its thread's stack
#: limit and raises RecursionError near it (:mod:`ember.native.lower_calls`), so deep
#: recursion on any thread's stack raises instead of crashing, before this depth if the
#: stack is small.
MAX_RECURSION_DEPTH = 20_000


def recursion_limit() -> int:
    """The depth of nested recursive calls a unit allows, fixed at compile time:
    ``sys.getrecursionlimit()``, as CPython (which counts the caller's frames too, so a
    compiled function recurses a little deeper than the interpreted one), capped at
    :data:`MAX_RECURSION_DEPTH`. The C stack is guarded separately, by the stack check
    of :mod:`ember.native.lower_calls`: a thread started with a small
    ``threading.stack_size()`` gets RecursionError, not a crash."""
    import sys

    return max(1, min(sys.getrecursionlimit(), MAX_RECURSION_DEPTH))
