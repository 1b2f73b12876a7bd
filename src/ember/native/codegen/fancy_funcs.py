"""NumPy's 1-D data functions (:class:`~ember.native.ir.fancy.FancyCall`) → LLVM IR:
sort, argsort, ``a.sort()``, nonzero, flatnonzero, count_nonzero, unique, searchsorted
(bincount and histogram: :mod:`ember.native.codegen.histogram`). Sorting calls the
merge sort of :mod:`ember.native.codegen.sorting` on a C-ordered copy; scratch space is a
NumPy array released right after. llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import py_decref
from ember.native.boundary.llvm import F64, I1, I8, I64, PTR, storage_type
from ember.native.codegen import array_ops as new
from ember.native.codegen import histogram as hist
from ember.native.codegen.array_access import (
    Context,
    counted_loop,
    data_of,
    dim_of,
    load_element,
    nested_loops,
    owner_of,
    size_of,
    unchecked_pointer,
)
from ember.native.codegen.arrays import ArrayState, operand
from ember.native.codegen.fancy import bump, count_true, counter, truth_at
from ember.native.codegen.sorting import less_than, sort_function
from ember.native.ir import fancy as F
from ember.native.types import Array, DType

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

INT64_1D = Array(DType("int64"), 1, "C")


def flat_copy(ctx: Context, src: ir.Value, t: Array) -> ir.Value:
    """A new 1-d C array of ``src``'s items in C order (a new reference)."""
    b = ctx.builder
    out = new.new_array(ctx, Array(t.dtype, 1, "C"), [size_of(b, src, t.ndim)], zero=False)
    new.copy_into(ctx, out, src, t)
    return out


def scratch(ctx: Context, dtype: DType, n: ir.Value) -> ir.Value:
    """A temporary 1-d array of ``n`` items (released by :func:`release`)."""
    value = new.new_array(ctx, Array(dtype, 1, "C"), [n], zero=False)
    ctx.pending.append(owner_of(ctx.builder, value))
    return value


def release(ctx: Context, value: ir.Value) -> None:
    ctx.pending.pop()
    py_decref(ctx.builder, owner_of(ctx.builder, value))


def sort_in_place(ctx: Context, data: ir.Value, n: ir.Value, dtype: DType) -> None:
    """Sort ``n`` contiguous items of ``dtype`` at ``data`` (NumPy's order)."""
    b = ctx.builder
    tmp = scratch(ctx, dtype, n)
    b.call(sort_function(b.module, dtype, by_key=False),
           [data, data_of(b, tmp), n, ir.Constant(PTR, None)])
    release(ctx, tmp)


def _sort(ctx: ArrayState, e: F.FancyCall, src: ir.Value, t: Array) -> ir.Value:
    b = ctx.builder
    out = flat_copy(ctx, src, t)
    ctx.pending.append(owner_of(b, out))
    sort_in_place(ctx, data_of(b, out), dim_of(b, out, 0), t.dtype)
    ctx.pending.pop()
    return out


def _sort_inplace(ctx: ArrayState, e: F.FancyCall, src: ir.Value, t: Array) -> ir.Value:
    b = ctx.builder
    n = dim_of(b, src, 0)
    if t.layout in ("C", "F"):
        sort_in_place(ctx, data_of(b, src), n, t.dtype)
        return ir.Constant(I8, 0)
    work = flat_copy(ctx, src, t)
    ctx.pending.append(owner_of(b, work))
    sort_in_place(ctx, data_of(b, work), n, t.dtype)
    elem = storage_type(t.dtype)
    with counted_loop(b, n, name="back") as i:
        raw = b.load(b.gep(data_of(b, work), [i], inbounds=True, source_etype=elem), typ=elem)
        b.store(raw, unchecked_pointer(b, src, t, [i]), align=1)
    release(ctx, work)
    return ir.Constant(I8, 0)


def _argsort(ctx: ArrayState, e: F.FancyCall, src: ir.Value, t: Array) -> ir.Value:
    b = ctx.builder
    n = dim_of(b, src, 0)
    keys = src if t.layout in ("C", "F") else flat_copy(ctx, src, t)
    if keys is not src:
        ctx.pending.append(owner_of(b, keys))
    out = new.new_array(ctx, INT64_1D, [n], zero=False)
    ctx.pending.append(owner_of(b, out))
    data = data_of(b, out)
    with counted_loop(b, n, name="iota") as i:
        b.store(i, b.gep(data, [i], inbounds=True, source_etype=I64))
    tmp = scratch(ctx, DType("int64"), n)
    b.call(sort_function(b.module, t.dtype, by_key=True),
           [data, data_of(b, tmp), n, data_of(b, keys)])
    release(ctx, tmp)
    ctx.pending.pop()
    if keys is not src:
        release(ctx, keys)
    return out


def _nonzero(ctx: ArrayState, e: F.FancyCall, src: ir.Value, t: Array) -> ir.Value:
    """One int64 array per axis: the multi-indices of the nonzero items, in C order."""
    b = ctx.builder
    count = count_true(ctx, src, t)
    outs = []
    for _axis in range(t.ndim):
        outs.append(new.new_array(ctx, INT64_1D, [count], zero=False))
        ctx.pending.append(owner_of(b, outs[-1]))
    pos = counter(ctx, "pos")
    with nested_loops(b, [dim_of(b, src, k) for k in range(t.ndim)]) as indices:
        with b.if_then(truth_at(ctx, src, t, indices)):
            p = bump(b, pos)
            for out, index in zip(outs, indices, strict=True):
                b.store(index, b.gep(data_of(b, out), [p], inbounds=True, source_etype=I64))
    for _out in outs:
        ctx.pending.pop()
    result: ir.Value = ir.Constant(ir.LiteralStructType([o.type for o in outs]), ir.Undefined)
    for k, out in enumerate(outs):
        result = b.insert_value(result, out, k)
    return result


def _flatnonzero(ctx: ArrayState, e: F.FancyCall, src: ir.Value, t: Array) -> ir.Value:
    b = ctx.builder
    out = new.new_array(ctx, INT64_1D, [count_true(ctx, src, t)], zero=False)
    pos, flat = counter(ctx, "pos"), counter(ctx, "flat")
    with nested_loops(b, [dim_of(b, src, k) for k in range(t.ndim)]) as indices:
        k = bump(b, flat)
        with b.if_then(truth_at(ctx, src, t, indices)):
            b.store(k, b.gep(data_of(b, out), [bump(b, pos)], inbounds=True, source_etype=I64))
    return out


def _count_nonzero(ctx: ArrayState, e: F.FancyCall, src: ir.Value, t: Array) -> ir.Value:
    return count_true(ctx, src, t)


def same_run(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: DType) -> ir.Value:
    """Whether sorted neighbours ``x``, ``y`` are one value of np.unique (NaNs are one,
    NumPy 2's ``equal_nan=True``)."""
    if dtype.kind == "f":
        both_nan = b.and_(b.fcmp_unordered("uno", x, x), b.fcmp_unordered("uno", y, y))
        return b.or_(b.fcmp_ordered("==", x, y), both_nan)
    return b.icmp_unsigned("==", x, y)


def _unique(ctx: ArrayState, e: F.FancyCall, src: ir.Value, t: Array) -> ir.Value:
    """Sort a copy, then keep the first item of each run (and count the runs)."""
    b = ctx.builder
    work = _sort(ctx, e, src, t)
    ctx.pending.append(owner_of(b, work))
    n = dim_of(b, work, 0)
    elem = storage_type(t.dtype)
    data = data_of(b, work)

    def item(i: ir.Value) -> ir.Value:
        return b.load(b.gep(data, [i], inbounds=True, source_etype=elem), typ=elem)

    def starts_run(i: ir.Value) -> ir.Value:  # i >= 1
        return b.not_(same_run(b, item(b.sub(i, ir.Constant(I64, 1))), item(i), t.dtype))

    runs = counter(ctx, "runs")
    with counted_loop(b, n, name="runs") as i:
        first = b.icmp_signed("==", i, ir.Constant(I64, 0))
        with b.if_else(first) as (then, otherwise):
            with then:
                bump(b, runs)
            with otherwise:
                bump(b, runs, b.zext(starts_run(i), I64))
    k = b.load(runs, typ=I64)
    values = new.new_array(ctx, Array(t.dtype, 1, "C"), [k], zero=False)
    ctx.pending.append(owner_of(b, values))
    counts = None
    if e.func == "unique_counts":
        counts = new.new_array(ctx, INT64_1D, [k], zero=True)
        ctx.pending.append(owner_of(b, counts))
    pos = counter(ctx, "pos")
    with b.if_then(b.icmp_signed(">", n, ir.Constant(I64, 0))):  # the first run's value
        b.store(item(ir.Constant(I64, 0)), data_of(b, values))
    with counted_loop(b, n, name="keep") as i:
        with b.if_then(b.icmp_signed(">", i, ir.Constant(I64, 0))):
            with b.if_then(starts_run(i)):
                bump(b, pos)
                p = b.load(pos, typ=I64)
                b.store(item(i), b.gep(data_of(b, values), [p], inbounds=True,
                                       source_etype=elem))
        p = b.load(pos, typ=I64)
        if counts is not None:
            c = b.gep(data_of(b, counts), [p], inbounds=True, source_etype=I64)
            b.store(b.add(b.load(c, typ=I64), ir.Constant(I64, 1)), c)
    if counts is not None:
        ctx.pending.pop()
    ctx.pending.pop()
    release(ctx, work)
    if counts is None:
        return values
    result: ir.Value = ir.Constant(ir.LiteralStructType([values.type, counts.type]),
                                   ir.Undefined)
    return b.insert_value(b.insert_value(result, values, 0), counts, 1)


def search(ctx: Context, a: ir.Value, t: Array, v: ir.Value, vdtype: DType, right: bool
           ) -> ir.Value:
    """The insertion point of ``v`` (a compute-type value) in the sorted 1-d ``a``:
    the first ``i`` with ``not a[i] < v`` (left) or ``v < a[i]`` (right), NaNs last."""
    b = ctx.builder
    lo, hi = counter(ctx, "lo"), counter(ctx, "hi")
    b.store(dim_of(b, a, 0), hi)
    head = b.append_basic_block("search")
    body = b.append_basic_block("search.body")
    done = b.append_basic_block("search.done")
    b.branch(head)
    b.position_at_end(head)
    lo_v, hi_v = b.load(lo, typ=I64), b.load(hi, typ=I64)
    b.cbranch(b.icmp_signed("<", lo_v, hi_v), body, done)
    b.position_at_end(body)
    mid = b.add(lo_v, b.ashr(b.sub(hi_v, lo_v), ir.Constant(I64, 1)))
    x = load_element(ctx, unchecked_pointer(b, a, t, [mid]), t.dtype)
    float_cmp = t.dtype.kind == "f" or vdtype.kind == "f"
    if x.type == I1:
        x = b.zext(x, I64)
    if float_cmp and x.type != F64:
        x = b.uitofp(x, F64) if t.dtype.kind == "b" else b.sitofp(x, F64)
    cmp = DType("float64") if float_cmp else DType("int64")
    go_right = b.not_(less_than(b, v, x, cmp)) if right else less_than(b, x, v, cmp)
    with b.if_else(go_right) as (then, otherwise):
        with then:
            b.store(b.add(mid, ir.Constant(I64, 1)), lo)
        with otherwise:
            b.store(mid, hi)
    b.branch(head)
    b.position_at_end(done)
    return lo_v


def _as_compare(b: ir.IRBuilder, v: ir.Value, vdtype: DType, t: Array) -> ir.Value:
    """``v`` (compute type) as the value compared with ``t``'s items: an int against a
    float array becomes a float (NumPy searches in the common dtype: a Python float
    against a float32 array is compared as float64, not rounded)."""
    if v.type == I1:
        v = b.zext(v, I64)
    if t.dtype.kind == "f" and vdtype.kind != "f":
        v = b.uitofp(v, F64) if vdtype.kind == "b" else b.sitofp(v, F64)
    return v


def _searchsorted(gen: FunctionLowerer, e: F.FancyCall) -> ir.Value:
    ctx = gen.arrays
    b = gen.b
    t, vt = e.args[0].type, e.args[1].type
    assert isinstance(t, Array)
    right = e.option == "right"
    if not isinstance(vt, Array):
        v = gen.expr(e.args[1])
        vdtype = DType("float64") if v.type == F64 else DType("int64")
        with operand(ctx, e.args[0]) as a:
            result = search(ctx, a, t, _as_compare(b, v, vdtype, t), vdtype, right)
        return result
    with operand(ctx, e.args[0]) as a, operand(ctx, e.args[1]) as vs:
        n = dim_of(b, vs, 0)
        out = new.new_array(ctx, INT64_1D, [n], zero=False)
        ctx.pending.append(owner_of(b, out))
        with counted_loop(b, n, name="find") as i:
            v = load_element(ctx, unchecked_pointer(b, vs, vt, [i]), vt.dtype)
            v = _as_compare(b, v, vt.dtype, t)
            found = search(ctx, a, t, v, vt.dtype, right)
            b.store(found, b.gep(data_of(b, out), [i], inbounds=True, source_etype=I64))
        ctx.pending.pop()
    return out


_ONE_ARRAY: dict[str, Callable[[ArrayState, F.FancyCall, ir.Value, Array], ir.Value]] = {
    "sort": _sort, "sort_inplace": _sort_inplace, "argsort": _argsort, "nonzero": _nonzero,
    "flatnonzero": _flatnonzero, "count_nonzero": _count_nonzero, "unique": _unique,
    "unique_counts": _unique,
}


def fancy_call(gen: FunctionLowerer, e: F.FancyCall) -> ir.Value:
    """The lowering rule of every :class:`FancyCall`."""
    rule = _ONE_ARRAY.get(e.func)
    if rule is not None:
        t = e.args[0].type
        assert isinstance(t, Array)
        with operand(gen.arrays, e.args[0]) as src:
            result = rule(gen.arrays, e, src, t)
        return result
    if e.func == "searchsorted":
        return _searchsorted(gen, e)
    if e.func == "histogram":
        return hist.histogram(gen, e)
    return hist.bincount(gen, e)
