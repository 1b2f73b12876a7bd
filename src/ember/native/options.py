"""Compile options of ``@jit``, and the other compile-time settings that are part of
every specialization's identity and cache key."""

from __future__ import annotations

from ember.support.record import record


# A record, not a dataclass: every `@jit` process builds Options, and a warm, cached start
# must not import dataclasses (~12 ms with the inspect it imports). Same behaviour:
# frozen, compared and hashed by value, keyword or positional fields in this order.
@record
class Options:
    """What ``@jit(...)`` accepts; :data:`FIELDS` names the options in order.

    >>> Options(fastmath=True).key()
    'any_layout=False,boundscheck=True,cache=True,fallback=False,fastmath=True,nogil=False,parallel=False'
    >>> Options(fastmath=True)
    Options(fastmath=True, boundscheck=True, fallback=False, cache=True, nogil=False, parallel=False, any_layout=False)
    """

    fastmath: bool = False  # allow LLVM's fast-math flags (not IEEE-exact)
    boundscheck: bool = True  # IndexError on out-of-range array indices
    fallback: bool = False  # run as plain Python (with a warning) if it cannot compile
    cache: bool = True  # store compiled code on disk (the native cache)
    # Release the GIL around the machine code; calls into Python's C API inside take it
    # back for the call (boundary/nogil.py). Part of the key: the entry differs.
    nogil: bool = False
    parallel: bool = False  # run `for i in prange(...)` loops on threads (runtime/parallel.py)
    # Set by declared signatures (runtime/signatures.py), not a @jit keyword: an 'A'
    # (any strides) array parameter also takes C and F arrays, as Numba converts them.
    any_layout: bool = False

    def key(self) -> str:
        """A stable text of every option, sorted by name (for cache keys)."""
        # Every field, ember's own (any_layout) too: each changes the compiled entry.
        fields = self.__record_fields__  # type: ignore[attr-defined]
        return ",".join(f"{name}={getattr(self, name)}" for name in sorted(fields))


#: The names ``@jit(...)`` accepts, in the order of :class:`Options`' fields (not the
#: ones ember sets itself).
FIELDS: tuple[str, ...] = tuple(
    f for f in Options.__record_fields__ if f != "any_layout")  # type: ignore[attr-defined]


#: Most nested recursive calls a unit allows, whatever ``sys.getrecursionlimit()`` says
#: (the depth rule's cap, see :func:`recursion_limit`). It is not what protects the C
#: stack: every recursive call also compares the stack pointer with its thread's stack
#: limit and raises RecursionError near it (:mod:`ember.native.codegen.calls`), so deep
#: recursion on any thread's stack raises instead of crashing, before this depth if the
#: stack is small.
MAX_RECURSION_DEPTH = 20_000


def recursion_limit() -> int:
    """The depth of nested recursive calls a unit allows, fixed at compile time:
    ``sys.getrecursionlimit()``, as CPython (which counts the caller's frames too, so a
    compiled function recurses a little deeper than the interpreted one), capped at
    :data:`MAX_RECURSION_DEPTH`. The C stack is guarded separately, by the stack check
    of :mod:`ember.native.codegen.calls`: a thread started with a small
    ``threading.stack_size()`` gets RecursionError, not a crash."""
    import sys

    return max(1, min(sys.getrecursionlimit(), MAX_RECURSION_DEPTH))
