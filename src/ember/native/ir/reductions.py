"""Typed-IR nodes for NumPy's reductions over axes (``a.sum(axis=0)``, ``np.mean(a,
(0, 2), keepdims=True)``, ``np.cumsum(a, 1)``), in the style of
:mod:`ember.native.ir.arrays`. Inference (:mod:`ember.native.frontend.reductions`)
builds them with every argument folded at compile time; lowering
(:mod:`ember.native.codegen.axis_reductions`) turns them into loops::

    a.sum(axis=1)        (a: array(float32, 2d, C))
                         AxisReduce(sum, a, axes=(1,), float32): array(float32, 1d, C)
    np.mean(a)           AxisReduce(mean, a, axes=(0, 1), float32): float64

When every axis is reduced and ``keepdims`` is false the result is one of ember's
scalars (int64, float64, bool; a NumPy scalar is not made); otherwise a new C-ordered
array. No ast and no llvmlite here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.ir.nodes import Node
from ember.native.types import DType, Type
from ember.support.record import record

if TYPE_CHECKING:  # annotations only: ir.arrays lists these nodes in its union
    from ember.native.ir.arrays import AnyExpr

#: The reductions :class:`AxisReduce` computes (``amin``/``amax`` are min/max).
REDUCE_OPS = ("sum", "prod", "min", "max", "mean", "all", "any", "argmin", "argmax",
              "nanmin", "nanmax", "nansum", "nanprod")
#: The statistics :class:`AxisStat` computes.
STAT_OPS = ("var", "std", "nanvar", "nanstd", "nanmean", "ptp", "median", "nanmedian",
            "average")
#: The accumulations :class:`AxisAccumulate` computes.
ACCUMULATE_OPS = ("cumsum", "cumprod")


@record
class AxisReduce(Node):
    """``op`` over ``axes`` of ``array`` (normalized: ascending, each in ``range(ndim)``,
    non-empty). ``dtype`` is NumPy's accumulator dtype: what the elements are converted
    to and combined in (sum of int32 adds in int64, mean of int in float64, mean of
    float32 in float32); the result is in that dtype too (argmin/argmax: int64, the
    index; all/any: bool). ``keepdims`` keeps the reduced axes as length 1."""

    op: str
    array: AnyExpr
    axes: tuple[int, ...]
    keepdims: bool
    dtype: DType
    type: Type  # an Array, or a scalar when every axis is reduced without keepdims
    span: Span


@record
class AxisAccumulate(Node):
    """``np.cumsum(a, axis)`` / ``cumprod``: running sums (products) along ``axis``,
    combined in ``dtype`` in index order; ``axis`` None flattens ``array`` in C order
    first (a 1-d result)."""

    op: str
    array: AnyExpr
    axis: int | None
    dtype: DType
    type: Type  # an Array
    span: Span


@record
class AxisStat(Node):
    """A statistic over ``axes`` of ``array`` (normalized as :class:`AxisReduce`'s),
    computed as NumPy computes it: ``var``/``std`` (mean first, then the sum of squared
    deviations, both NumPy's pairwise sums, divided by ``max(n - ddof, 0)``), their
    ``nan`` forms and ``nanmean`` (over NumPy's NaN-zeroed copy), ``ptp`` (max - min in
    the array's dtype), ``median``/``nanmedian`` (the mean of the middle one or two) and
    ``average`` with 1-d ``weights`` (``sum(a * w) / sum(w)``; ``weights`` None only
    for the other ops). ``dtype`` is the accumulator and result dtype; ``deviation`` the
    dtype of NumPy's temporary ``a - mean`` (``a * w`` for average)."""

    op: str
    array: AnyExpr
    axes: tuple[int, ...]
    keepdims: bool
    dtype: DType
    deviation: DType
    ddof: int
    weights: AnyExpr | None
    type: Type  # an Array, or a scalar when every axis is reduced without keepdims
    span: Span


ReductionExpr = AxisReduce | AxisAccumulate | AxisStat
