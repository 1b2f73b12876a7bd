"""Typed-IR nodes for array expressions: one fused loop per expression.

``(a + b) * c - 1`` (a, b, c float64 arrays) is ONE :class:`ArrayEval`, with no
temporary arrays: its ``operands`` are evaluated once, in Python's order, broadcast
against each other, and ``body`` computes one element of the result from one element
of each::

    ArrayEval(operands=(a, b, c, Const(1)),
              body=subtract(multiply(add(%0, %1), %2), %3: float64): float64)
        : array(float64, 1d, C)

The body is a small element-level tree whose types are NumPy dtypes (the *loop*
dtypes NumPy's own type resolution chose, asked at compile time:
:mod:`ember.native.frontend.ufunc_types`): :class:`Operand` leaves, :class:`UfuncCall`
with a name of :mod:`ember.native.ufuncs`, and :class:`ElementCast` for NumPy's casts
between loop dtypes. Values are NumPy's per dtype (ints wrap, ``int // 0`` is 0, ...),
not Python's.

An operand is an array (its Operand has the array's dtype) or an ember scalar, a
*weak* Python number in NumPy 2's sense: its Operand has the dtype the scalar is
converted to, once, before the loop (an int out of that dtype's range raises
OverflowError "Python integer 300 out of bounds for uint8", as NumPy does). The one
exception: a comparison of an integer array with a weak int compares exactly (NumPy 2
does: ``uint8_array < 300`` is all True), so that Operand is int64 next to the array's
own dtype.

``type`` is an :class:`~ember.native.types.Array` when an operand is an array (C order,
F when every array operand is typed F), else the ember scalar of the result dtype
(``np.sqrt(x)`` of a float is nan for -1.0, NumPy's answer, not ValueError).
:class:`ArrayStore` is ``a op= b`` on a whole array: the same loop, written into ``a``.
No ast and no llvmlite here.
"""

from __future__ import annotations

from ember.diagnostics import Span
from ember.native.ir.nodes import Expr, Node
from ember.native.types import DType, Type
from ember.support.record import record


@record
class Operand(Node):
    """Element ``index`` of the enclosing :class:`ArrayEval`'s operands, as ``type``."""

    index: int
    type: DType
    span: Span


@record
class UfuncCall(Node):
    """One element of ``np.<name>`` (the ufunc's canonical name); the args have the
    loop's input dtypes, ``type`` is its output dtype."""

    name: str
    args: tuple[ElemExpr, ...]
    type: DType
    span: Span


@record
class ElementCast(Node):
    """NumPy's cast of one element between loop dtypes (``same_kind`` or safer: int to
    float, a narrower int to a wider one, float32 to float64, or into an in-place
    target's dtype)."""

    value: ElemExpr
    type: DType
    span: Span


ElemExpr = Operand | UfuncCall | ElementCast


@record
class ArrayEval(Node):
    """A fused element-wise expression (see the module docstring)."""

    operands: tuple[Expr | Node, ...]  # arrays and ember scalars, in evaluation order
    body: ElemExpr
    type: Type  # an Array, or an ember scalar when no operand is an array
    span: Span


@record
class ArrayStore(Node):
    """``target op= value`` for a whole array: ``value`` (an :class:`ArrayEval` whose
    operand 0 reads ``target``) is computed element by element into ``target``'s own
    memory. The operands must broadcast to ``target``'s shape exactly (NumPy's
    "non-broadcastable output operand" ValueError otherwise); the body ends in an
    :class:`ElementCast` to the target's dtype where NumPy's ``same_kind`` cast applies.
    An operand whose memory overlaps the target's in another layout is copied first,
    as NumPy does."""

    target: Expr | Node  # a Name of an Array type
    value: ArrayEval
    span: Span


def operand_indices(body: ElemExpr) -> list[int]:
    """The operand indices ``body`` reads, left to right.

    >>> s = Span("f.py", 1)
    >>> t = DType("int64")
    >>> operand_indices(UfuncCall("add", (Operand(0, t, s), Operand(1, t, s)), t, s))
    [0, 1]
    """
    if isinstance(body, Operand):
        return [body.index]
    if isinstance(body, ElementCast):
        return operand_indices(body.value)
    return [i for a in body.args for i in operand_indices(a)]
