"""Typed-IR nodes for views of arrays (basic indexing, transposes, reshapes) and for
assignment to many elements at once, in the style of :mod:`ember.native.ir.arrays`::

    def f(a, i):                 (a: array(float64, 2d, C), i: int64)
        b = a[i, 1:-1]              b = ArrayView(Name(a), (Name(i), ViewSlice(1, -1, None)))
        a[:, 0] = 0.0               SliceAssign(ArrayView(Name(a), (ViewSlice(), Const(0))),
                                                Const(0.0))
        return a.T                  Return ArrayPermute(Name(a), (1, 0))

A view is a new reference to the *same* owner as its source, with a moved data pointer
and its own shape and strides; its layout follows Numba's rule (a C array's ``a[i]``
and ``a[i:j]`` stay C, every other view is "A"; readonly is inherited). No ast and no
llvmlite here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.ir.nodes import Node
from ember.native.types import Array
from ember.support.record import record

if TYPE_CHECKING:
    from ember.native.ir.arrays import AnyExpr


@record
class ViewSlice(Node):
    """One axis's ``start:stop:step`` in an :class:`ArrayView` (None where omitted);
    each bound is int64. Not an expression: it only appears in ``ArrayView.items``."""

    start: AnyExpr | None = None
    stop: AnyExpr | None = None
    step: AnyExpr | None = None


@record
class NewAxis(Node):
    """``None`` / ``np.newaxis`` in an :class:`ArrayView`: a new axis of length 1."""


@record
class ArrayView(Node):
    """``array[items]`` with at least one :class:`ViewSlice` or :class:`NewAxis`, or
    fewer integer indices than dimensions (the rest are whole axes). ``items`` has
    one entry per source axis (an int64 index, which is bounds-checked and drops the
    axis, or a ViewSlice) plus the NewAxis entries; an ``...`` is expanded already.
    Slices follow Python's clipping (``slice.indices``); a zero step raises ValueError
    "slice step cannot be zero"."""

    array: AnyExpr
    items: tuple[AnyExpr | ViewSlice | NewAxis, ...]
    type: Array
    span: Span


@record
class ArrayPermute(Node):
    """``array.T`` / ``array.transpose(axes)`` / ``np.transpose``: a view whose axis
    ``k`` is the source's axis ``axes[k]``."""

    array: AnyExpr
    axes: tuple[int, ...]
    type: Array
    span: Span


@record
class ArrayReshape(Node):
    """``array.reshape(shape)`` (also ``ravel``: shape ``(-1,)``, ``ravel=True``): a
    view when the source is C-contiguous at run time; otherwise ``ravel`` copies and
    ``reshape`` asks NumPy (``PyArray_Newshape``), which views whenever the strides
    allow and copies otherwise. ``shape`` is a tuple of int64, at most one of them
    negative (inferred); a size mismatch raises NumPy's ValueError "cannot reshape
    array of size 6 into shape (4,)"."""

    array: AnyExpr
    shape: AnyExpr
    type: Array  # layout C
    span: Span
    ravel: bool = False


# ----------------------------------------------------------------- statements


@record
class SliceAssign(Node):
    """``view = value``, the target an :class:`ArrayView` (``b[1:-1] = x``): ``value``
    is a number (``stored`` converts it, over an :class:`~ember.native.ir.arrays.Element`,
    as SetItem's does) or an array broadcast to the target's shape and cast with
    NumPy's unsafe setitem casting. An array value that overlaps the target is copied
    first (checked at run time)."""

    target: AnyExpr  # an ArrayView (or any array expression)
    value: AnyExpr
    span: Span
    stored: AnyExpr | None = None


@record
class ArrayPart(Node):
    """``a.real`` (``part`` 0) or ``a.imag`` (1) of a complex array: a view of the same
    owner whose data starts ``part`` float-sizes in, with the same shape and strides
    and the part's float dtype (layout "A": its strides skip the other part)."""

    array: AnyExpr
    part: int
    type: Array
    span: Span


ViewExpr = ArrayView | ArrayPermute | ArrayReshape | ArrayPart
ViewStmt = SliceAssign

