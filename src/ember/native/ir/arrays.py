"""Typed-IR nodes for arrays, in the style of :mod:`ember.native.ir.nodes`.

Inference (:mod:`ember.native.frontend.arrays`) builds them; lowering
(:mod:`ember.native.codegen.arrays`) turns them into LLVM IR. As in the scalar IR every
conversion is explicit: indices are int64, a stored value is converted to the element's
*compute type* by an explicit expression, and element reads give the compute type::

    def f(a, i):                 (a: array(float32, 1d, C), i: int64)
        a[i] += 1.0                 AugSetItem a[Name(i)] = BinOp(+, Element: float64,
                                                                 Const(1.0)): float64
        return a[-1]                Return Index(Name(a), (Const(-1),)): float64

Element compute types (the one rule both stages follow, :func:`compute_type`): float
dtypes compute in float64 (a float32 element is widened on load and rounded to float32 on
store, as C does and as CPython does for ``array.array('f')``); integer dtypes in int64
(a store out of the dtype's range raises OverflowError as NumPy 2 does for Python ints;
a uint64 element of 2**63 or more raises OverflowError on load); bool in bool.

Reference counting: an array-typed expression is either *borrowed* (a :class:`Name`
of :mod:`ember.native.ir.nodes`) or a *new reference* (everything built here that creates an array, and a
``CallJit`` returning one); lowering owns the rule. No ast and no llvmlite here.
"""

from __future__ import annotations

from ember.diagnostics import Span
from ember.native.ir.array_funcs import Fail
from ember.native.ir.creation import CreationExpr
from ember.native.ir.elementwise import ArrayEval, ArrayStore
from ember.native.ir.exceptions import ExcStmt
from ember.native.ir.fancy import FancyCall, FancyGet, FancySet
from ember.native.ir.fft import FFT
from ember.native.ir.linalg import LinAlg, MatMul
from ember.native.ir.lists import ListExpr, ListStmt
from ember.native.ir.nodes import Expr, Node, Stmt
from ember.native.ir.parallel import ParallelFor
from ember.native.ir.reductions import ReductionExpr
from ember.native.ir.views import ViewExpr, ViewStmt
from ember.native.types import BOOL, COMPLEX128, FLOAT64, INT64, Array, DType, Type
from ember.support.record import record


def compute_type(dtype: DType) -> Type:
    """The scalar type an element of ``dtype`` is read as and computed in.

    >>> compute_type(DType("float32")), compute_type(DType("uint8")), compute_type(DType("bool"))
    (float64, int64, bool)
    """
    if dtype.kind == "f":
        return FLOAT64
    if dtype.kind == "b":
        return BOOL
    if dtype.kind == "c":
        return COMPLEX128  # complex64 is read as complex128, as float32 as float64
    return INT64


# ---------------------------------------------------------------- expressions


@record
class Index(Node):
    """``array[i, j, ...]`` with one int64 index per dimension (negative ones count from
    the end); bounds-checked unless ``boundscheck=False``. ``type`` is the element's
    compute type."""

    array: AnyExpr  # of an Array type
    indices: tuple[AnyExpr, ...]  # of type int64
    type: Type
    span: Span


@record
class Element(Node):
    """A value its node has already computed: in an :class:`AugSetItem`'s ``value``,
    the element it updates, already loaded (typed as its compute type); in a
    :class:`SetItem`'s (or :class:`ArrayNew`'s) ``stored``, the evaluated ``value``
    (``fill``) before its conversion."""

    type: Type
    span: Span


@record
class ArrayDim(Node):
    """``array.shape[axis]`` (and ``len(array)`` as axis 0): an int64."""

    array: AnyExpr
    axis: int
    type: Type  # INT64
    span: Span


@record
class ArrayAttr(Node):
    """``array.shape`` (a tuple of int64), ``array.size`` (int64, the product of the
    shape). ``ndim`` is folded to a constant by inference."""

    array: AnyExpr
    attr: str  # "shape" | "size"
    type: Type
    span: Span


@record
class ArrayNew(Node):
    """A new array: ``kind`` is ``"empty"``, ``"zeros"`` or ``"full"`` (``ones`` is
    ``full`` with 1). ``shape`` is an int64 or a tuple of int64 (one per dimension);
    ``fill`` is a number, converted to the element's compute type by ``stored`` (over an
    :class:`Element` of ``fill``'s type; ``None`` when it has that type already) only
    after the shape is checked, as NumPy does: negative dimensions raise ValueError
    before a fill out of the dtype's range raises OverflowError."""

    kind: str
    shape: AnyExpr  # int64 or tuple[int64, ...]
    fill: AnyExpr | None
    type: Array  # always layout "C", writable
    span: Span
    stored: AnyExpr | None = None  # of the compute type, over an Element of fill


@record
class ArrayCopy(Node):
    """``array.copy()``: a new C-ordered array with the same dtype, shape and values."""

    array: AnyExpr
    type: Array
    span: Span


@record
class ArrayRange(Node):
    """``np.arange(start, stop, step)``; each of the three is int64 or float64 as
    written (NumPy computes the length from the Python numbers, whatever the dtype): the
    length is ``ceil((stop - start) / step)`` (0 when negative) and a zero step raises
    ZeroDivisionError."""

    start: AnyExpr
    stop: AnyExpr
    step: AnyExpr
    type: Array
    span: Span


@record
class ArrayReduce(Node):
    """``array.sum()`` / ``.min()`` / ``.max()`` over every element; ``min``/``max`` of an
    empty array raise ValueError as NumPy does."""

    op: str  # "sum" | "min" | "max"
    array: AnyExpr
    type: Type
    span: Span


# ----------------------------------------------------------------- statements


@record
class SetItem(Node):
    """``array[i, ...] = value``, evaluated in Python's order: ``value``, ``array``, the
    indices (and their bounds check), then ``stored``, the conversion of the value (an
    :class:`Element` of ``value``'s type) to the element's compute type, e.g.
    ``Call(int, Element: float64)``; ``None`` when ``value`` already has that type. The
    conversion comes after the bounds check because NumPy's does: ``a[5] = math.inf``
    on a size-3 int array is an IndexError, not an OverflowError."""

    array: AnyExpr
    indices: tuple[AnyExpr, ...]
    value: AnyExpr  # of any numeric type
    span: Span
    stored: AnyExpr | None = None  # of the compute type, over an Element of value


@record
class AugSetItem(Node):
    """``array[i, ...] op= rhs``: the element's address is computed (and checked) once,
    the element loaded and bound to the :class:`Element` inside ``value``, ``value``
    (e.g. ``BinOp(op, Element, rhs)`` cast to the compute type) stored back."""

    array: AnyExpr
    indices: tuple[AnyExpr, ...]
    value: AnyExpr
    span: Span


ArrayExpr = (
    Index | Element | ArrayDim | ArrayAttr | ArrayNew | ArrayCopy | ArrayRange
    | ArrayReduce | ReductionExpr | FancyGet | FancyCall | ViewExpr | ArrayEval | CreationExpr
    | MatMul | LinAlg | FFT | ListExpr | Fail
)
ArrayStmt = SetItem | AugSetItem | FancySet | ViewStmt | ArrayStore | ListStmt
# Every expression and statement node of the typed IR, scalar and array.
AnyExpr = Expr | ArrayExpr
AnyStmt = Stmt | ArrayStmt | ExcStmt | ParallelFor  # raise, try, assert: ir/exceptions.py
