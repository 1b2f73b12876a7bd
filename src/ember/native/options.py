"""Compile options of ``@jit``: part of every specialization's identity and cache key."""

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
