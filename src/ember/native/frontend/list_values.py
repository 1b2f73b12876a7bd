"""The two list rules the scalar rules need (frontend/builtins.py's ``cast`` and
``truth``), apart from :mod:`ember.native.frontend.lists` so that neither imports the
other: an empty display becoming a typed list, and a list's truth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.native.frontend.operators import RuleError
from ember.native.ir.lists import ListBuild, ListLen, ListNew
from ember.native.ir.nodes import Compare, Const, Name
from ember.native.types import BOOL, INT64, List

if TYPE_CHECKING:
    from ember.native.ir.arrays import AnyExpr


def retype_list(value: AnyExpr, to: List) -> AnyExpr:
    """An empty display typed ``list[?]`` as the list it becomes (``xs = []`` where
    ``xs`` is a ``list[int64]``); RuleError for any other list of another type."""
    if isinstance(value, ListNew) and not value.items:
        return ListNew((), to, value.span)
    raise RuleError(f"a {value.type} cannot be used as a {to} here",
                    "a list keeps one item type; for an empty list, append to it through "
                    "the variable it is assigned to (xs = []; xs.append(x))")


def list_truth(value: AnyExpr) -> AnyExpr:
    """``if xs:``: its length is not zero. A computed list is refused (it would have
    to be held): test a local."""
    if not isinstance(value, Name | ListBuild):
        raise RuleError("the truth of a computed list is not supported",
                        "assign it first and test the variable (or len(...) != 0)")
    n = ListLen(value, INT64, value.span)
    return Compare(("!=",), (n, Const(0, INT64, value.span)), BOOL, value.span)
