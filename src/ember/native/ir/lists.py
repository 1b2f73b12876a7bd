"""Typed-IR nodes for lists (``List(item)`` values: a header and a buffer of unboxed
items, see :mod:`ember.native.codegen.list_refs`), in the style of
:mod:`ember.native.ir.arrays`::

    def f(n):                       (n: int64)
        out = []                       out = ListNew(()): list[int64]
        for i in range(n):             for i in range(0, n, 1):
            out.append(i * i)              ListCall("append", Name(out), (i * i,)): none
        return out[-1]                 return ListGet(Name(out), Const(-1)): int64

Comprehensions and ``for x in lst`` are written by the frontend as ordinary loops
(:class:`ListBuild` holds a comprehension's statements). Every expression node here
gives a *new* reference when its type is a list, except :class:`ListGet` of a list of
lists (an item read is borrowed from its list, as a local's read is). No ast and no
llvmlite here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.ir.nodes import Node
from ember.native.types import Type
from ember.support.record import record

if TYPE_CHECKING:
    from ember.native.ir.arrays import AnyExpr, AnyStmt


@record
class ListNew(Node):
    """``[a, b, c]`` (``()`` for ``[]``): each item already converted to the item type."""

    items: tuple[AnyExpr, ...]
    type: Type
    span: Span


@record
class ListRepeat(Node):
    """``lst * n`` and ``n * lst`` (a new list; ``n <= 0`` gives ``[]``)."""

    list: AnyExpr
    count: AnyExpr
    type: Type
    span: Span


@record
class ListGet(Node):
    """``lst[i]``: a negative ``i`` counts from the end; outside the list IndexError
    "list index out of range"."""

    list: AnyExpr
    index: AnyExpr
    type: Type
    span: Span


@record
class ListLen(Node):
    """``len(lst)``."""

    list: AnyExpr
    type: Type
    span: Span


@record
class ListCall(Node):
    """A list method or list builtin: ``name`` is the method (``append``, ``pop``,
    ``insert``, ``extend``, ``clear``, ``index``, ``count``, ``reverse``, ``sort``,
    ``copy``) or ``contains`` (``x in lst``), ``concat`` (``a + b``), ``slice``
    (``lst[a:b:c]``, absent bounds as ``Const(None)``), ``sum``, ``min``, ``max``,
    ``sorted``, ``any``, ``all``, ``eq``. ``args`` are typed for the item type
    already (``sort``'s is the ``reverse`` flag)."""

    name: str
    list: AnyExpr
    args: tuple[AnyExpr, ...]
    type: Type
    span: Span


@record
class ListBuild(Node):
    """A list comprehension: ``body`` fills the local ``result``, whose list is then
    moved out (the local is left empty) as this expression's new reference. With
    ``move=False``, a computed list operand held in a temporary: ``body`` assigns it,
    and the value is the local's (borrowed) read."""

    body: tuple[AnyStmt, ...]
    result: str
    type: Type
    span: Span
    move: bool = True


@record
class ListSet(Node):
    """``lst[i] = value`` (value already converted to the item type)."""

    list: AnyExpr
    index: AnyExpr
    value: AnyExpr
    span: Span


@record
class ListDel(Node):
    """``del lst[i]``."""

    list: AnyExpr
    index: AnyExpr
    span: Span


ListExpr = ListNew | ListRepeat | ListGet | ListLen | ListCall | ListBuild
ListStmt = ListSet | ListDel
