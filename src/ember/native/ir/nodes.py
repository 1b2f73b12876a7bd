"""The typed IR: a small tree in which every expression carries its type and span.

:mod:`ember.native.frontend.statements` builds it from the ``ast``; :mod:`ember.native.codegen.function` turns it
into LLVM IR. Inference makes every conversion explicit, so lowering never guesses:
operands of an arithmetic ``BinOp`` already share one type (``Cast`` nodes inserted),
conditions are ``Truth`` nodes of type bool, augmented assignments are plain
``Assign``s, and tuple unpacking is a temporary plus ``TupleGet``s::

    def f(n):            Assign total: int64 = Const(0): int64
        total = 0        ForRange i: int64 in (Const(0), Name(n): int64, Const(1))
        for i in range(n):   Assign total = BinOp(+, Name(total), Name(i)): int64
            total += i   Return Name(total): int64
        return total

Names of builtins and math functions in :class:`Call` are Python's own
(``"abs"``, ``"round"``, ``"math.sqrt"``); the lowering gives each CPython's semantics
and exceptions. No ast and no llvmlite here.
"""

from __future__ import annotations

from collections.abc import Iterator

from ember.diagnostics import Span
from ember.native.ir.calls import CallShape
from ember.native.types import Type
from ember.support.record import record


class Node:
    """Base of every typed-IR node (expressions, statements, functions, units, here and
    in :mod:`ember.native.ir.arrays`): what :func:`nodes` walks into."""

    __slots__ = ()


# ---------------------------------------------------------------- expressions


@record
class Const(Node):
    """A literal or a value folded at compile time (a module constant, ``math.pi``).
    ``str`` only as a ``print`` argument."""

    value: int | float | bool | str | None
    type: Type
    span: Span


@record
class Name(Node):
    """A read of a local variable or parameter."""

    name: str
    type: Type
    span: Span


@record
class Cast(Node):
    """An implicit widening inserted by inference: bool → int64 → float64 (item-wise
    for tuples). Explicit ``int(x)``/``float(x)`` are :class:`Call`s."""

    value: Expr
    type: Type
    span: Span


@record
class Truth(Node):
    """Python truthiness of ``value`` (``x != 0``, ``x != 0.0``, a tuple's length...)."""

    value: Expr
    type: Type  # always BOOL
    span: Span


@record
class BinOp(Node):
    """``left op right`` with ``op`` one of ``+ - * / // % ** << >> & | ^``.

    Both operands have the same type; ``type`` is the result's (``/`` gives float64;
    ``/`` of two int64 operands must round the exact quotient once, as CPython does).
    ``**`` of int64 operands is int64 when the exponent is not a negative constant; a
    negative exponent at run time raises ValueError (a documented difference).
    """

    op: str
    left: Expr
    right: Expr
    type: Type
    span: Span


@record
class UnaryOp(Node):
    """``op value`` with ``op`` one of ``- + ~ not``."""

    op: str
    value: Expr
    type: Type
    span: Span


@record
class Compare(Node):
    """A (possibly chained) comparison: ``a < b <= c`` is ``ops=("<", "<=")``,
    ``operands=(a, b, c)``; each operand evaluated at most once, short-circuit as Python.
    Operands keep their own types (an int compared with a float is compared exactly)."""

    ops: tuple[str, ...]
    operands: tuple[Expr, ...]
    type: Type  # always BOOL
    span: Span


@record
class BoolOp(Node):
    """``a and b`` / ``a or b``: short-circuit, the value of the deciding operand
    (operands already cast to ``type``)."""

    op: str
    values: tuple[Expr, ...]
    type: Type
    span: Span


@record
class IfExp(Node):
    test: Expr  # a Truth
    body: Expr
    orelse: Expr
    type: Type
    span: Span


@record
class Call(Node):
    """A builtin or ``math`` function by its Python name: ``"abs"``, ``"min"``, ``"max"``,
    ``"round"``, ``"int"``, ``"float"``, ``"bool"``, ``"len"``, ``"print"``,
    ``"math.sqrt"``, ``"math.floor"``, ... Arguments are typed as the callee needs.
    ``"print.sepend"`` is ``print`` with ``sep``/``end``: its first two arguments are the
    sep and end string constants, the values to print follow."""

    func: str
    args: tuple[Expr, ...]
    type: Type
    span: Span


@record
class CallJit(Node):
    """A call of another ``@jit`` specialization (or a recursive call) by symbol; the
    callee is in the same :class:`CompileUnit`."""

    symbol: str
    args: tuple[Expr, ...]
    type: Type
    span: Span


@record
class MakeTuple(Node):
    items: tuple[Expr, ...]
    type: Type
    span: Span


@record
class TupleGet(Node):
    """``value[index]`` for a tuple and a constant index (already made non-negative)."""

    value: Expr
    index: int
    type: Type
    span: Span


Expr = (
    Const | Name | Cast | Truth | BinOp | UnaryOp | Compare | BoolOp | IfExp | Call | CallJit
    | MakeTuple | TupleGet
)

# ----------------------------------------------------------------- statements


@record
class Assign(Node):
    """``target = value``; ``value.type`` equals the local's type (Cast inserted)."""

    target: str
    value: Expr
    span: Span


@record
class ExprStmt(Node):
    value: Expr
    span: Span


@record
class If(Node):
    test: Expr  # a Truth (or a bool-typed expression)
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    span: Span


@record
class While(Node):
    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]  # runs when the loop ends without break
    span: Span


@record
class ForRange(Node):
    """``for target in range(start, stop, step)`` with int64 bounds; ``step`` may be
    negative and is checked for zero (ValueError) at run time unless constant.
    ``parallel``: a ``prange`` loop of a ``parallel=True`` function, which
    frontend/parallel.py outlines into a :class:`~ember.native.ir.parallel.ParallelFor`
    (codegen never sees it set)."""

    target: str
    start: Expr
    stop: Expr
    step: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    span: Span
    parallel: bool = False


@record
class Break(Node):
    span: Span


@record
class Continue(Node):
    span: Span


@record
class Return(Node):
    """``value`` has the function's return type (Cast inserted); a bare ``return`` or
    falling off the end returns ``Const(None)`` typed none."""

    value: Expr
    span: Span


@record
class Pass(Node):
    span: Span


Stmt = Assign | ExprStmt | If | While | ForRange | Break | Continue | Return | Pass

# ------------------------------------------------------------------ functions


@record
class Param(Node):
    """A parameter as the ABI passes it. When the body widens it (``x = x / 2`` with an
    int ``x``) it is named ``x.in`` and the body starts with ``x = Cast(Name(x.in))``.
    Other names starting with ``$`` are inference's temporaries: plain locals."""

    name: str
    type: Type


@record
class TypedFunction(Node):
    """One specialization: a function typed for one tuple of argument types."""

    name: str  # the Python __name__
    qualname: str
    module: str
    symbol: str  # unique linker name, types.mangle(module, qualname, arg types)
    params: tuple[Param, ...]
    return_type: Type
    locals: tuple[tuple[str, Type], ...]  # every local (params included), sorted by name
    body: tuple[Stmt, ...]
    span: Span  # the def line
    # Module globals folded in as constants: (name, repr of the value), sorted. Part of
    # the native cache key, so that editing a constant recompiles.
    captured: tuple[tuple[str, str], ...] = ()

    @property
    def arg_types(self) -> tuple[Type, ...]:
        return tuple(p.type for p in self.params)


@record
class CompileUnit(Node):
    """What one compilation produces: the specialization asked for (``root``) and every
    specialization it calls, transitively (each exactly once; recursion included).
    Lowered into one LLVM module: callees are private copies there, free to inline."""

    root: TypedFunction
    functions: tuple[TypedFunction, ...]  # root first
    # Source files and texts of every function in the unit: (path, qualname, sha256 of
    # the function's source), for the native cache's invalidation.
    sources: tuple[tuple[str, str, str], ...] = ()
    # The root's parameters as Python calls them (keywords, defaults): ir/calls.py.
    call: CallShape | None = None


def nodes(tree: object) -> Iterator[object]:
    """Every typed-IR node in ``tree`` (a node, or a tuple or list of them), depth
    first; the types and spans they carry are not nodes.

    >>> from ember.native.types import INT64
    >>> span = Span("f.py", 1)
    >>> [type(n).__name__ for n in nodes(Return(Name("x", INT64, span), span))]
    ['Return', 'Name']
    """
    todo: list[object] = [tree]
    while todo:
        n = todo.pop()
        if isinstance(n, tuple | list):
            todo.extend(reversed(n))
        elif isinstance(n, Node):
            yield n
            fields = type(n).__record_fields__  # type: ignore[attr-defined]
            todo.extend(getattr(n, f) for f in reversed(fields) if f not in ("type", "span"))
