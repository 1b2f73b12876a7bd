"""Typed-IR nodes for fancy and mask indexing and NumPy's 1-D data functions (sort,
unique, nonzero, bincount, histogram, searchsorted), in the style of
:mod:`ember.native.ir.arrays`::

    a[m]              FancyGet("mask", Name(a), Name(m)): array(float64, 1d, C)
    a[idx] = 0.0      FancySet("take", Name(a), Name(idx), Const(0.0))
    np.sort(a)        FancyCall("sort", (Name(a),)): array(float64, 1d, C)

Every node that makes an array makes a new C-ordered NumPy array (a new reference, the
rule of :mod:`ember.native.ir.arrays`). No ast and no llvmlite here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.ir.nodes import Node
from ember.native.types import Type
from ember.support.record import record

if TYPE_CHECKING:  # annotations only: ir/arrays.py imports this module
    from ember.native.ir.arrays import AnyExpr

#: What :class:`FancyCall` computes: its ``func``, and the NumPy call it is.
FUNCS = {
    "sort": "np.sort(a) (a merge sort: stable, NaNs last)",
    "argsort": "np.argsort(a) (the stable order, NaNs last)",
    "sort_inplace": "a.sort() (returns None)",
    "nonzero": "np.nonzero(a) (a 1-tuple of int64 indices)",
    "flatnonzero": "np.flatnonzero(a)",
    "count_nonzero": "np.count_nonzero(a) (an int)",
    "unique": "np.unique(a)",
    "unique_counts": "np.unique(a, return_counts=True) (values, counts)",
    "bincount": "np.bincount(x, minlength) (args: x, minlength)",
    "bincount_weights": "np.bincount(x, weights, minlength) (args: x, minlength, weights)",
    "histogram": "np.histogram(a, bins) (args: a, bins) → (int64 counts, edges)",
    "searchsorted": "np.searchsorted(a, v, side) (side in ``option``)",
}


@record
class FancyGet(Node):
    """``array[index]`` with an array index: ``kind`` ``"mask"`` (a bool array over the
    first ``index.ndim`` axes of ``array``: the selected items in C order of the mask,
    shape ``(count, *array.shape[k:])``; a mask of the wrong shape raises IndexError)
    or ``"take"`` (a 1-d int array: ``array[index[0]], array[index[1]], ...`` along axis
    0, negative ones from the end, out of range raises IndexError)."""

    kind: str  # "mask" | "take"
    array: AnyExpr
    index: AnyExpr
    type: Type  # an Array, C-ordered
    span: Span


@record
class FancyCall(Node):
    """A NumPy data function of :data:`FUNCS` over ``args`` (arrays and int64s);
    ``option`` carries a keyword's constant (``"stable"``, ``"left"``/``"right"``)."""

    func: str
    args: tuple[AnyExpr, ...]
    type: Type
    span: Span
    option: str = ""


@record
class FancySet(Node):
    """``array[index] = value`` with an array index (see :class:`FancyGet`). ``value``
    is a number, converted by ``stored`` (over an :class:`~ember.native.ir.arrays.Element`
    of its type; ``None`` when it has the compute type) — or a 1-d array of the same
    dtype, whose length must be the number of selected items (or 1). NumPy's order: for
    a mask, its shape is checked before the value is converted; for int indices, the
    value is converted, then the lengths, then every index checked before any store
    (duplicates: the last one wins)."""

    kind: str  # "mask" | "take"
    array: AnyExpr
    index: AnyExpr
    value: AnyExpr
    span: Span
    stored: AnyExpr | None = None


FancyExpr = FancyGet | FancyCall
