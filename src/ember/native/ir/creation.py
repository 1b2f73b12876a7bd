"""Typed-IR nodes that create arrays from other values, in the style of
:mod:`ember.native.ir.arrays` (which lists them in its unions): literals, casts, NumPy's
creation functions, dtypes as values::

    np.array([[1.0, x]])          ArrayLiteral((Const(1.0), Name(x)), (1, 2)): array(float64, 2d, C)
    a.astype(np.int32)            ArrayCast(Name(a)): array(int32, 1d, C)
    np.linspace(0, 1, n)          ArrayLinspace(Cast(0), Cast(1), Name(n), endpoint=True)
    a.dtype                       DTypeConst: dtype[float64]

Every node that creates an array gives a new reference (the rule of
:mod:`ember.native.ir.arrays`). No ast and no llvmlite here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.ir.nodes import Node
from ember.native.types import Array, DTypeValue, Type
from ember.support.record import record

if TYPE_CHECKING:  # annotations only: ir.arrays imports this module
    from ember.native.ir.arrays import AnyExpr


@record
class DTypeConst(Node):
    """A dtype as a value (``a.dtype``, ``np.float32``): known at compile time, nothing
    at run time; returned to Python it is NumPy's dtype object (or scalar type)."""

    type: DTypeValue
    span: Span


@record
class ArrayLiteral(Node):
    """``np.array([[1, 2], [x, y]])``: ``items`` in C order, each already converted to
    the element's compute type (NumPy's setitem rules: ``int(x)`` of a float for an
    int dtype, truth for bool). ``source``: a tuple value the items read (as
    ``TupleGet`` chains over an :class:`~ember.native.ir.arrays.Element` of it),
    evaluated once, or None."""

    items: tuple[AnyExpr, ...]
    shape: tuple[int, ...]
    type: Array
    span: Span
    source: AnyExpr | None = None


@record
class ArrayCast(Node):
    """A new array with ``array``'s shape and values cast to ``type.dtype`` as NumPy's
    ``astype`` casts (C casts; float → int of NaN, inf or out of range gives what x86-64
    gives: the "integer indefinite" value), in ``type.layout`` (C or F)."""

    array: AnyExpr
    type: Array
    span: Span


@record
class ArrayFillWith(Node):
    """``a.fill(value)``: every element set to ``stored`` (the value converted to the
    compute type over an Element of ``value``; None when it has it already). ``None``."""

    array: AnyExpr
    value: AnyExpr
    type: Type  # NONE
    span: Span
    stored: AnyExpr | None = None


@record
class ArrayLinspace(Node):
    """``np.linspace(start, stop, num, endpoint)`` with NumPy's formula, in float64
    (start, stop are float64, num int64), cast to ``type.dtype`` at the end (floored
    first for an integer dtype, as NumPy does)."""

    start: AnyExpr
    stop: AnyExpr
    num: AnyExpr
    endpoint: bool
    type: Array
    span: Span


@record
class ArrayEye(Node):
    """``np.eye(n, m, k)``: an ``n`` × ``m`` array of zeros with ones on diagonal ``k``
    (``m`` None: square)."""

    n: AnyExpr
    m: AnyExpr | None
    k: AnyExpr
    type: Array
    span: Span


@record
class ArrayTri(Node):
    """``np.triu(a, k)`` / ``np.tril(a, k)`` of a 2-d array: a new array, the elements
    below (triu) or above (tril) diagonal ``k`` zeroed."""

    kind: str  # "triu" | "tril"
    array: AnyExpr
    k: AnyExpr
    type: Array
    span: Span


@record
class ArrayDiag(Node):
    """``np.diag(v, k)``: of a 1-d ``v``, a new square 2-d array with ``v`` on diagonal
    ``k``; of a 2-d ``v``, diagonal ``k`` as NumPy's read-only view (a read-only copy
    when ``v`` is a buffer other than an ndarray, whose export ends with the call)."""

    array: AnyExpr
    k: AnyExpr
    type: Array
    span: Span


@record
class ArrayJoin(Node):
    """``np.concatenate(arrays, axis)`` (``kind`` "concatenate"), ``np.stack``
    ("stack") or ``np.vstack`` ("vstack": concatenate on axis 0 with 1-d inputs taken
    as rows): the inputs copied with NumPy's casts into a new C array of ``type``
    (``np.result_type`` of the inputs). ``axis`` is normalized (non-negative) at compile
    time; shape mismatches raise ValueError with NumPy's message at run time."""

    kind: str
    arrays: tuple[AnyExpr, ...]
    axis: int
    type: Array
    span: Span


@record
class ArrayStrides(Node):
    """``a.strides``: a tuple of int64 byte strides."""

    array: AnyExpr
    type: Type
    span: Span


CreationExpr = (
    DTypeConst | ArrayLiteral | ArrayCast | ArrayFillWith | ArrayLinspace | ArrayEye | ArrayTri
    | ArrayDiag | ArrayJoin | ArrayStrides
)
