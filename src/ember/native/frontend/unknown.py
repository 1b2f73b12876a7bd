"""The frontend's placeholder type: what an expression has while it waits for a
recursive call's return type (:data:`UNKNOWN`, printed ``?``).

    def fib(n):
        if n < 2:
            return n                  # int64
        return fib(n - 1) + fib(n - 2)  # ? in the first round, int64 in the next

The fixpoint in :mod:`ember.native.frontend.statements` types such a body again once a
base case has fixed the return type, so UNKNOWN never reaches a finished unit. Its own
module so that every rule file (expressions, arrays) can test for it without importing
the typer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ember.native.types import Type


@dataclass(frozen=True, slots=True)
class Unknown(Type):
    """The type of a recursive call whose return type is not known yet (never in a
    finished unit)."""

    def __str__(self) -> str:
        return "?"


UNKNOWN = Unknown()


def is_unknown(t: object) -> bool:
    """Whether ``t`` is the placeholder (an expression waiting for the next round).

    >>> from ember.native.types import INT64
    >>> str(UNKNOWN), is_unknown(UNKNOWN), is_unknown(INT64)
    ('?', True, False)
    """
    return t == UNKNOWN
