"""NumPy's statistics over axes, computed as NumPy computes them (numpy/_core/_methods.py,
numpy/lib/_nanfunctions_impl.py), so the roundings are NumPy's::

    var, std     mean = sum(a) / n (axis_reductions' pairwise sums); x = (a - mean)**2, a
                 temporary laid out in the reduction's iteration order, as NumPy's K-order
                 temporary is; sum(x) / max(n - ddof, 0); std = sqrt(var) in the dtype
    nanmean, nanvar, nanstd
                 over NumPy's copy of the array with NaN → 0 (contiguous, in the same
                 order): count the numbers, sum / count, the same squares (NaN places 0),
                 / (count - ddof), NaN where that is <= 0
    ptp          max - min in the array's dtype (ints wrap, as NumPy's subtract does)
    median, nanmedian
                 each slice gathered and sorted (codegen/sorting.py); the mean of the
                 middle one or two in the mean's dtype; a NaN in the slice → NaN
                 (nanmedian: the NaNs dropped; an all-NaN slice → NaN)
    average      with weights: sum(a * w) / sum(w), in NumPy's result dtype; a zero
                 sum of weights raises ZeroDivisionError

NumPy's RuntimeWarnings for empty input ("Mean of empty slice", "Degrees of freedom <= 0
for slice", "All-NaN slice encountered") are issued with PyErr_WarnEx (an error under
``-W error``); the secondary "invalid value encountered in divide" ones are not.
llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import py_decref
from ember.native.boundary.llvm import F64, I1, I64, PTR, storage_type
from ember.native.codegen.array_access import (
    Context,
    counted_loop,
    data_of,
    dim_of,
    owner_of,
    raise_message,
    stride_of,
    unlikely,
)
from ember.native.codegen.array_ops import new_array
from ember.native.codegen.arrays import operand
from ember.native.codegen.axis_reductions import (
    Axes,
    convert,
    identity,
    initialize,
    load_converted,
    main_pass,
    output,
    reduced_size,
    scalar,
    walk,
    warn,
)
from ember.native.codegen.sorting import sort_function
from ember.native.ir.reductions import AxisStat
from ember.native.types import Array, DType

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

INT64_DT = DType("int64")


def _k(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


def lower_stat(gen: FunctionLowerer, e: AxisStat) -> ir.Value:
    """``np.var(a, axis=...)`` and the other statistics of :class:`AxisStat`."""
    ctx = gen.arrays
    t = e.array.type
    assert isinstance(t, Array)
    with operand(ctx, e.array) as value:
        if e.op == "average" and e.weights is None:
            return _finish(ctx, e, value, t, lambda out, strides: _mean(
                ctx, e, value, t, out, strides))
        if e.op == "average":
            assert e.weights is not None and isinstance(e.weights.type, Array)
            with operand(ctx, e.weights) as w:
                return _finish(ctx, e, value, t, lambda out, strides: _average(
                    ctx, e, value, t, w, e.weights.type, out, strides))  # type: ignore[union-attr]
        body = {"ptp": _ptp, "median": _median, "nanmedian": _median}.get(e.op, _moments)
        return _finish(ctx, e, value, t, lambda out, strides: body(ctx, e, value, t, out,
                                                                      strides))


def _finish(ctx: Context, e: AxisStat, value: ir.Value, t: Array, fill) -> ir.Value:  # noqa: ANN001
    """The result (a new array, or a scalar) that ``fill(out, out_strides)`` computes."""
    b = ctx.builder
    result, out, out_strides = output(ctx, e, value, t)
    if result is not None:
        ctx.pending.append(owner_of(b, result))
    fill(out, out_strides)
    if result is not None:
        ctx.pending.pop()
        return result
    return scalar(ctx, out, e.dtype)


# ------------------------------------------------------------------ helpers


@contextmanager
def temporary(ctx: Context, dtype: DType, n: ir.Value) -> Iterator[ir.Value]:
    """The data pointer of a new 1-d array of ``n`` elements, released after the block
    (and on the error exits inside it)."""
    b = ctx.builder
    arr = new_array(ctx, Array(dtype, 1, "C"), [n], zero=False)
    ctx.pending.append(owner_of(b, arr))
    yield data_of(b, arr)
    ctx.pending.pop()
    py_decref(b, owner_of(b, arr))


def _outputs(b: ir.IRBuilder, value: ir.Value, t: Array, axes: tuple[int, ...]) -> ir.Value:
    """How many output elements (the product of the kept extents)."""
    n: ir.Value = _k(1)
    for k in range(t.ndim):
        if k not in axes:
            n = b.mul(n, dim_of(b, value, k))
    return n


@contextmanager
def _dense(b: ir.IRBuilder, n: ir.Value, *ptrs: tuple[ir.Value, DType]) -> Iterator[list]:
    """A loop over the first ``n`` elements of dense arrays: their pointers at each index."""
    with counted_loop(b, n, name="each") as i:
        yield [b.gep(p, [i], inbounds=True, source_etype=storage_type(d)) for p, d in ptrs]


def _rescaled(b: ir.IRBuilder, strides: list[ir.Value], size: int, new: int) -> list[ir.Value]:
    """Output byte strides for ``size``-byte elements → the same layout of ``new``-byte ones."""
    return [b.mul(b.udiv(s, _k(size)), _k(new)) for s in strides]


def _dense_strides(b: ir.IRBuilder, dims: list[ir.Value], itemsize: int) -> list[ir.Value]:
    """The byte strides of a temporary holding ``dims`` contiguously in that order."""
    out: list[ir.Value] = [_k(0)] * len(dims)
    step: ir.Value = _k(itemsize)
    for k in reversed(range(len(dims))):
        out[k] = step
        step = b.mul(step, dims[k])
    return out


def _divide(b: ir.IRBuilder, x: ir.Value, n: ir.Value, dtype: DType) -> ir.Value:
    """NumPy's ``true_divide(x, intp(n))`` for a float ``x`` of ``dtype``: computed in
    float64 and rounded to the dtype."""
    ty = storage_type(dtype)
    q = b.fdiv(x if ty == F64 else b.fpext(x, F64), b.sitofp(n, F64))
    return q if ty == F64 else b.fptrunc(q, ty)


def _sum_over(ctx: Context, axes: Axes, data: ir.Value, out: ir.Value, src: DType,
              acc: DType, nout: ir.Value) -> None:
    """``out = sum over the reduced axes`` (NumPy's add.reduce, into dense ``out``)."""
    b = ctx.builder
    with _dense(b, nout, (out, acc)) as (po,):
        b.store(identity("sum", acc), po)
    axes.sort_and_coalesce()
    main_pass(ctx, axes, data, out, "sum", src, acc)


# -------------------------------------------------------------- var and std


def _moments(ctx: Context, e: AxisStat, value: ir.Value, t: Array, out: ir.Value,
             out_strides: list[ir.Value]) -> None:
    b = ctx.builder
    acc, xd = e.dtype, e.deviation
    n = reduced_size(b, value, e.axes)
    nout = _outputs(b, value, t, e.axes)
    total = b.mul(n, nout)
    nan = e.op.startswith("nan")
    if not nan:
        with unlikely(ctx, b.icmp_signed("<=", n, _k(e.ddof))):
            warn(ctx, "Degrees of freedom <= 0 for slice")
    axes = Axes(b, value, t, e.axes, out_strides)
    if nan:  # NumPy's copy of the array: its own K order
        axes.sort_and_coalesce()
    else:  # a - mean: K order over both operands (the mean broadcast: 0 on reduced axes)
        numpy_order(b, axes.dims, [axes.ins, axes.outs], [axes.red])
    xs = _dense_strides(b, axes.dims, xd.itemsize)
    data = data_of(b, value)

    def deviations() -> Axes:
        return Axes.of(b, axes.dims, xs, axes.outs, axes.red)

    with temporary(ctx, xd, total) as x, temporary(ctx, acc, nout) as mean, \
            temporary(ctx, INT64_DT, nout) as count:
        if not nan:
            _sum_over(ctx, Axes(b, value, t, e.axes, out_strides), data, mean, t.dtype, acc,
                      nout)
            with _dense(b, nout, (mean, acc)) as (pm,):
                b.store(_divide(b, b.load(pm, typ=storage_type(acc)), n, acc), pm)
            with walk(b, axes.dims, [axes.ins, axes.outs, xs], [data, mean, x]) as (pi, pm, px):
                d = b.fsub(load_converted(b, pi, t.dtype, xd),
                           convert(b, b.load(pm, typ=storage_type(acc), align=1), acc, xd))
                b.store(b.fmul(d, d), px, align=1)
            _sum_over(ctx, deviations(), x, out, xd, acc, nout)
            dof = b.select(b.icmp_signed(">", n, _k(e.ddof)), b.sub(n, _k(e.ddof)), _k(0))
            with _dense(b, nout, (out, acc)) as (po,):
                b.store(_divide(b, b.load(po, typ=storage_type(acc)), dof, acc), po)
        else:
            counts = _rescaled(b, axes.outs, acc.itemsize, 8)
            with _dense(b, nout, (count, INT64_DT)) as (pc,):
                b.store(_k(0), pc)
            sty = storage_type(t.dtype)
            with walk(b, axes.dims, [axes.ins, counts, xs], [data, count, x]) as (pi, pc, px):
                v = b.load(pi, typ=sty, align=1)
                is_nan = b.fcmp_unordered("uno", v, v)
                b.store(b.select(is_nan, ir.Constant(sty, 0.0), v), px, align=1)
                c = b.load(pc, typ=I64, align=1)
                b.store(b.add(c, b.zext(b.not_(is_nan), I64)), pc, align=1)
            target = out if e.op == "nanmean" else mean
            _sum_over(ctx, deviations(), x, target, xd, acc, nout)
            empty = ctx.alloca(I1, name="nan.empty")
            b.store(ir.Constant(I1, 0), empty)
            with _dense(b, nout, (target, acc), (count, INT64_DT)) as (pm, pc):
                c = b.load(pc, typ=I64)
                b.store(_divide(b, b.load(pm, typ=storage_type(acc)), c, acc), pm)
                b.store(b.or_(b.load(empty, typ=I1), b.icmp_signed("==", c, _k(0))), empty)
            if e.op == "nanmean":
                with unlikely(ctx, b.load(empty, typ=I1)):
                    warn(ctx, "Mean of empty slice")
                return
            _nan_squares(ctx, axes, xs, data, mean, x, t.dtype, acc)
            _sum_over(ctx, deviations(), x, out, xd, acc, nout)
            bad = ctx.alloca(I1, name="nan.bad")
            b.store(ir.Constant(I1, 0), bad)
            aty = storage_type(acc)
            with _dense(b, nout, (out, acc), (count, INT64_DT)) as (po, pc):
                dof = b.sub(b.load(pc, typ=I64), _k(e.ddof))
                worse = b.icmp_signed("<=", dof, _k(0))
                q = _divide(b, b.load(po, typ=aty), dof, acc)
                b.store(b.select(worse, ir.Constant(aty, float("nan")), q), po)
                b.store(b.or_(b.load(bad, typ=I1), worse), bad)
            with unlikely(ctx, b.load(bad, typ=I1)):
                warn(ctx, "Degrees of freedom <= 0 for slice.")
    if e.op in ("std", "nanstd"):
        aty = storage_type(acc)
        sqrt = b.module.declare_intrinsic("llvm.sqrt", [aty])
        with _dense(b, nout, (out, acc)) as (po,):
            b.store(b.call(sqrt, [b.load(po, typ=aty)]), po)


def _nan_squares(ctx: Context, axes: Axes, xs: list[ir.Value], data: ir.Value,
                 mean: ir.Value, x: ir.Value, src: DType, acc: DType) -> None:
    """NumPy's ``subtract(arr, avg, out=arr, casting='unsafe')`` (in the wider of the two
    dtypes, stored in the array's), 0 where the input was NaN, then ``arr * arr``."""
    b = ctx.builder
    wide = src if src.itemsize >= acc.itemsize else acc
    sty = storage_type(src)
    with walk(b, axes.dims, [axes.ins, axes.outs, xs], [data, mean, x]) as (pi, pm, px):
        v = b.load(pi, typ=sty, align=1)
        m = convert(b, b.load(pm, typ=storage_type(acc), align=1), acc, wide)
        d = convert(b, b.fsub(convert(b, b.load(px, typ=sty, align=1), src, wide), m), wide, src)
        d = b.select(b.fcmp_unordered("uno", v, v), ir.Constant(sty, 0.0), d)
        b.store(b.fmul(d, d), px, align=1)


# --------------------------------------------------------------------- mean


def _mean(ctx: Context, e: AxisStat, value: ir.Value, t: Array, out: ir.Value,
          out_strides: list[ir.Value]) -> None:
    """``np.average(a, axis)`` without weights: NumPy's mean (its warning for an empty
    slice), and the ZeroDivisionError of its ``a.size / avg.size`` for an empty result."""
    b = ctx.builder
    n = reduced_size(b, value, e.axes)
    nout = _outputs(b, value, t, e.axes)
    with unlikely(ctx, b.icmp_signed("==", n, _k(0))):
        warn(ctx, "Mean of empty slice")
    with unlikely(ctx, b.icmp_signed("==", nout, _k(0))):
        raise_message(ctx, "ZeroDivisionError", "division by zero")
    _sum_over(ctx, Axes(b, value, t, e.axes, out_strides), data_of(b, value), out, t.dtype,
              e.dtype, nout)
    with _dense(b, nout, (out, e.dtype)) as (po,):
        b.store(_divide(b, b.load(po, typ=storage_type(e.dtype)), n, e.dtype), po)


# ---------------------------------------------------------------------- ptp


def _ptp(ctx: Context, e: AxisStat, value: ir.Value, t: Array, out: ir.Value,
         out_strides: list[ir.Value]) -> None:
    """``maximum.reduce(a) - minimum.reduce(a)`` in the dtype."""
    b = ctx.builder
    n = reduced_size(b, value, e.axes)
    with unlikely(ctx, b.icmp_signed("==", n, _k(0))):
        raise_message(ctx, "ValueError", "zero-size array to reduction operation maximum "
                      "which has no identity")
    nout = _outputs(b, value, t, e.axes)
    with temporary(ctx, t.dtype, nout) as low:
        for op, target in (("max", out), ("min", low)):
            initialize(ctx, op, e.axes, t.dtype, value, t, target, out_strides)
            axes = Axes(b, value, t, e.axes, out_strides)
            axes.sort_and_coalesce()
            main_pass(ctx, axes, data_of(b, value), target, op, t.dtype, t.dtype)
        ty = storage_type(t.dtype)
        with _dense(b, nout, (out, t.dtype), (low, t.dtype)) as (po, pl):
            hi, lo = b.load(po, typ=ty), b.load(pl, typ=ty)
            b.store(b.fsub(hi, lo) if t.dtype.kind == "f" else b.sub(hi, lo), po)


# ------------------------------------------------------------------- median


def _median(ctx: Context, e: AxisStat, value: ir.Value, t: Array, out: ir.Value,
            out_strides: list[ir.Value]) -> None:
    """Each output: its slice gathered into a buffer, sorted (NaNs last), and the mean of
    the middle element(s) of the numbers (``nanmedian``) or of all (``median``: NaN if
    the slice has one)."""
    b = ctx.builder
    acc, src = e.dtype, t.dtype
    sty, aty = storage_type(src), storage_type(acc)
    n = reduced_size(b, value, e.axes)
    nout = _outputs(b, value, t, e.axes)
    kept = [k for k in range(t.ndim) if k not in e.axes]
    ins = [stride_of(b, value, k) for k in range(t.ndim)]
    nan_op = e.op == "nanmedian"
    if not nan_op and 1 < len(e.axes) < t.ndim:
        # NumPy's _ureduce reshapes to (kept..., -1), which an empty kept axis refuses.
        empty_kept: ir.Value = ir.Constant(I1, 0)
        for k in kept:
            empty_kept = b.or_(empty_kept, b.icmp_signed("==", dim_of(b, value, k), _k(0)))
        with unlikely(ctx, empty_kept):
            raise_message(ctx, "ValueError", "cannot reshape array of size 0 into shape "
                          "(kept axes..., newaxis)")
    with unlikely(ctx, b.and_(b.icmp_signed("==", n, _k(0)), b.icmp_signed(
            ">", nout, _k(0)) if nan_op else ir.Constant(I1, 1))):
        warn(ctx, "Mean of empty slice")
    room = b.select(b.icmp_signed("<", n, _k(1)), _k(1), n)
    sort = sort_function(b.module, src, by_key=False)
    all_nan = ctx.alloca(I1, name="median.allnan")
    b.store(ir.Constant(I1, 0), all_nan)
    slot, pos, nans = (ctx.alloca(I64, name="median.out"), ctx.alloca(I64, name="median.pos"),
                       ctx.alloca(I64, name="median.nans"))
    b.store(_k(0), slot)
    with temporary(ctx, src, room) as buf, temporary(ctx, src, room) as tmp:
        with walk(b, [dim_of(b, value, k) for k in kept], [[ins[k] for k in kept]],
                  [data_of(b, value)]) as (row,):
            b.store(_k(0), pos)
            b.store(_k(0), nans)
            with walk(b, [dim_of(b, value, k) for k in e.axes], [[ins[k] for k in e.axes]],
                      [row]) as (pi,):
                v = b.load(pi, typ=sty, align=1)
                p = b.load(pos, typ=I64)
                b.store(v, b.gep(buf, [p], inbounds=True, source_etype=sty))
                b.store(b.add(p, _k(1)), pos)
                if src.kind == "f":
                    is_nan = b.zext(b.fcmp_unordered("uno", v, v), I64)
                    b.store(b.add(b.load(nans, typ=I64), is_nan), nans)
            b.call(sort, [buf, tmp, n, ir.Constant(PTR, None)])
            here = b.load(slot, typ=I64)
            b.store(b.add(here, _k(1)), slot)
            po = b.gep(out, [here], inbounds=True, source_etype=aty)
            count = b.load(nans, typ=I64)
            m = b.sub(n, count) if nan_op else n
            b.store(_middle(b, buf, m, src, acc), po)
            if src.kind == "f":
                nan = ir.Constant(aty, float("nan"))
                if nan_op:
                    none = b.and_(b.icmp_signed("==", m, _k(0)), b.icmp_signed(">", n, _k(0)))
                    b.store(b.or_(b.load(all_nan, typ=I1), none), all_nan)
                    b.store(b.select(b.icmp_signed("==", m, _k(0)), nan, b.load(po, typ=aty)), po)
                else:  # NumPy's _median_nancheck: the NaN itself
                    last = b.gep(buf, [b.sub(n, _k(1))], source_etype=sty)
                    has = b.icmp_signed(">", count, _k(0))
                    with b.if_then(has):
                        b.store(convert(b, b.load(last, typ=sty), src, acc), po)
    if nan_op:
        with unlikely(ctx, b.load(all_nan, typ=I1)):
            warn(ctx, "All-NaN slice encountered")


def _middle(b: ir.IRBuilder, buf: ir.Value, m: ir.Value, src: DType, acc: DType) -> ir.Value:
    """NumPy's ``mean`` of the middle one (odd ``m``) or two elements of the sorted
    ``buf[:m]``: ``0 + (-0.0 + x [+ y])`` in ``acc`` (the reduction's identity plus the
    pairwise sum of fewer than eight), divided in float64 (NaN for ``m == 0``)."""
    sty, aty = storage_type(src), storage_type(acc)
    half = b.lshr(m, _k(1))
    odd = b.trunc(m, I1)
    hi_i = b.select(b.icmp_signed(">", m, _k(0)), half, _k(0))
    lo_i = b.select(odd, hi_i, b.select(b.icmp_signed(">", half, _k(0)), b.sub(half, _k(1)), _k(0)))
    hi = convert(b, b.load(b.gep(buf, [hi_i], source_etype=sty), typ=sty), src, acc)
    lo = convert(b, b.load(b.gep(buf, [lo_i], source_etype=sty), typ=sty), src, acc)
    part = b.fadd(ir.Constant(aty, -0.0), lo)
    part = b.select(odd, part, b.fadd(part, hi))
    total = b.fadd(ir.Constant(aty, 0.0), part)
    q = _divide(b, total, b.select(odd, _k(1), _k(2)), acc)
    return b.select(b.icmp_signed("==", m, _k(0)), ir.Constant(aty, float("nan")), q)


# ------------------------------------------------------------------ average


def _average(ctx: Context, e: AxisStat, value: ir.Value, t: Array, w: ir.Value, wt: Array,
             out: ir.Value, out_strides: list[ir.Value]) -> None:
    """``multiply(a, wgt, dtype=rd).sum(axis) / wgt.sum(axis, dtype=rd)``: the product a
    temporary in the reduction's order (as NumPy's K-order one), the weights summed over
    their own layout."""
    b = ctx.builder
    rd = e.dtype
    rty = storage_type(rd)
    nout = _outputs(b, value, t, e.axes)
    if wt.ndim == t.ndim:
        same = ir.Constant(I1, 1)
        for k in range(t.ndim):
            same = b.and_(same, b.icmp_signed("==", dim_of(b, value, k), dim_of(b, w, k)))
        with unlikely(ctx, b.not_(same)):
            if len(e.axes) == t.ndim:
                raise_message(ctx, "TypeError", "Axis must be specified when shapes of a and "
                              "weights differ.")
            else:
                raise_message(ctx, "ValueError", "Shape of weights must be consistent with "
                              "shape of a along specified axis.")
        wstrides = [stride_of(b, w, k) for k in range(t.ndim)]
    else:
        (axis,) = e.axes
        with unlikely(ctx, b.icmp_signed("!=", dim_of(b, w, 0), dim_of(b, value, axis))):
            raise_message(ctx, "ValueError", "Shape of weights must be consistent with shape "
                          "of a along specified axis.")
        wstrides = [stride_of(b, w, 0) if k == axis else _k(0) for k in range(t.ndim)]
    # The sum of the weights: over the weights' own axes (all of a 1-d one), dense.
    w_axes = e.axes if wt.ndim == t.ndim else (0,)
    w_outs = out_strides if wt.ndim == t.ndim else [_k(0)]
    w_nout = nout if wt.ndim == t.ndim else _k(1)
    n = reduced_size(b, value, e.axes)
    with temporary(ctx, rd, w_nout) as scale, temporary(ctx, rd, b.mul(n, nout)) as prod:
        waxes = Axes(b, w, wt, w_axes, w_outs)
        _sum_over(ctx, waxes, data_of(b, w), scale, wt.dtype, rd, w_nout)
        zero = ctx.alloca(I1, name="average.zero")
        b.store(ir.Constant(I1, 0), zero)
        with _dense(b, w_nout, (scale, rd)) as (ps,):
            is_zero = b.fcmp_ordered("==", b.load(ps, typ=rty), ir.Constant(rty, 0.0))
            b.store(b.or_(b.load(zero, typ=I1), is_zero), zero)
        with unlikely(ctx, b.load(zero, typ=I1)):
            raise_message(ctx, "ZeroDivisionError", "Weights sum to zero, can't be normalized")
        axes = Axes(b, value, t, e.axes, out_strides)
        ws = list(wstrides)
        numpy_order(b, axes.dims, [axes.ins, ws], [axes.outs, axes.red])
        xs = _dense_strides(b, axes.dims, rd.itemsize)
        with walk(b, axes.dims, [axes.ins, ws, xs], [data_of(b, value), data_of(b, w),
                                                      prod]) as (pi, pw, px):
            x = load_converted(b, pi, t.dtype, rd)
            y = load_converted(b, pw, wt.dtype, rd)
            b.store(b.fmul(x, y), px, align=1)
        _sum_over(ctx, Axes.of(b, axes.dims, xs, axes.outs, axes.red), prod, out, rd, rd, nout)
        if wt.ndim == t.ndim:
            with _dense(b, nout, (out, rd), (scale, rd)) as (po, ps):
                b.store(b.fdiv(b.load(po, typ=rty), b.load(ps, typ=rty)), po)
        else:
            s = b.load(scale, typ=rty)
            with _dense(b, nout, (out, rd)) as (po,):
                b.store(b.fdiv(b.load(po, typ=rty), s), po)


def numpy_order(b: ir.IRBuilder, dims: list[ir.Value], operands: list[list[ir.Value]],
                carried: list[list[ir.Value]]) -> None:
    """Sort the axes (outer first) into the order NumPy's iterator gives a new K-order
    temporary of a ufunc over ``operands`` (their byte strides per axis; 0 where
    broadcast), in place, with ``carried`` stride lists following the permutation.
    nditer's rule for two axes: an operand with both strides nonzero has an opinion (the
    axis of the smaller |stride| inside); on a conflict between operands C order wins
    (the first operand's wish to swap counts only while no earlier one spoke). Length-1
    axes go outside. Adjacent compare-and-swap passes (nditer inserts; for the layouts
    seen here, the same order)."""
    n = len(dims)
    one, zero = _k(1), _k(0)

    def magnitude(v: ir.Value) -> ir.Value:
        return b.select(b.icmp_signed("<", v, zero), b.neg(v), v)

    lists = [dims, *operands, *carried]
    for i in range(n):
        for j in range(n - 1 - i):
            outer, inner = j, j + 1
            swap: ir.Value = ir.Constant(I1, 0)
            keep: ir.Value = ir.Constant(I1, 0)
            spoke: ir.Value = ir.Constant(I1, 0)
            for st in operands:
                both = b.and_(b.icmp_signed("!=", st[outer], zero),
                              b.icmp_signed("!=", st[inner], zero))
                inside_bigger = b.icmp_unsigned(">", magnitude(st[inner]), magnitude(st[outer]))
                keep = b.or_(keep, b.and_(both, b.not_(inside_bigger)))
                swap = b.or_(swap, b.and_(b.and_(both, inside_bigger), b.not_(spoke)))
                spoke = b.or_(spoke, both)
            decided = b.and_(swap, b.not_(keep))
            unit_in = b.icmp_signed("==", dims[inner], one)
            unit_out = b.icmp_signed("==", dims[outer], one)
            decided = b.select(b.or_(unit_in, unit_out), b.and_(unit_in, b.not_(unit_out)),
                               decided)
            for lst in lists:
                lst[outer], lst[inner] = (b.select(decided, lst[inner], lst[outer]),
                                          b.select(decided, lst[outer], lst[inner]))
