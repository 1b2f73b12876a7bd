"""Reductions over axes with NumPy's answers: :class:`~ember.native.ir.reductions.AxisReduce`
and :class:`~ember.native.ir.reductions.AxisAccumulate` → loops.

The order is NumPy's iterator's, decided at run time from the strides: the axes sorted
by decreasing |stride| (stably; length-1 axes outermost, where they change nothing),
neighbours coalesced where the input and the output are both contiguous across them.
Each output element starts at the identity (0, 1, True, False) or, for min/max, at
the first element along the reduced axes, and is combined with every element in that
order::

    inner axis kept      out[j] = out[j] op x[i, j]      a row at a time, vectorised
    inner axis reduced   out[i] += pairwise(core)        float sums only

where the *core* is the innermost run of reduced axes: one strided run is summed
pairwise in place; otherwise (a non-contiguous core, or a cast such as int → float64
for a mean) its elements go through a buffer of whole rows, at most 8192 elements
(NumPy's buffer), each bufferful summed pairwise and added. ``np.nansum`` reads NaN as
0 and sums each core as one run, as NumPy sums its contiguous copy of the array;
``np.nanmin``/``nanmax`` combine with ``np.fmin``/``fmax``'s rules. Integers wrap in the
accumulator dtype as NumPy's do (the result is an array of that dtype); a reduction to
one of ember's scalars keeps ember's int rule instead: an int product that leaves
int64 raises OverflowError. llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import cstring, extern_function, extern_global, py_decref
from ember.native.boundary.llvm import F64, I1, I8, I32, I64, PTR, storage_type
from ember.native.codegen.array_access import (
    Context,
    counted_loop,
    data_of,
    dim_of,
    load_element,
    nested_loops,
    owner_of,
    raise_message,
    stride_of,
    unlikely,
)
from ember.native.codegen.array_ops import new_array
from ember.native.codegen.arrays import operand
from ember.native.codegen.casts import cast_element
from ember.native.codegen.reductions import BUFFER, pairwise_function
from ember.native.codegen.row_reductions import row_function
from ember.native.ir.reductions import AxisAccumulate, AxisReduce, AxisStat
from ember.native.messages import OVERFLOW
from ember.native.types import Array, DType

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

BYTE = I8
BIG = ir.Constant(I64, (1 << 63) - 1)


def _k(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


# ------------------------------------------------------------------ elements


def convert(b: ir.IRBuilder, x: ir.Value, src: DType, dst: DType) -> ir.Value:
    """A storage value of ``src`` → ``dst``'s storage type, as NumPy's casts (ints
    sign- or zero-extended or truncated, ints to floats rounded once, floats widened or
    rounded, bool as 0/1)."""
    to = storage_type(dst)
    if src == dst:
        return x
    if dst.kind == "b":  # a truth value, as NumPy's cast to bool
        return b.zext(truthy(b, x, src), to)
    if dst.kind == "f":
        if src.kind == "f":
            return b.fpext(x, to) if to == F64 else b.fptrunc(x, to)
        return b.sitofp(x, to) if src.kind == "i" else b.uitofp(x, to)
    if src.kind == "f":  # NumPy's C cast on x86-64 (casts.py), never fptosi/fptoui poison
        return cast_element(b, x, src, dst)
    if to.width == x.type.width:
        return x
    if to.width < x.type.width:
        return b.trunc(x, to)
    return b.sext(x, to) if src.kind == "i" else b.zext(x, to)


def load_converted(b: ir.IRBuilder, ptr: ir.Value, src: DType, dst: DType,
                   nan_zero: bool = False, nan_one: bool = False) -> ir.Value:
    """The element at ``ptr`` converted to ``dst`` (NaN read as 0 for nansum, as 1 for
    nanprod)."""
    x = b.load(ptr, typ=storage_type(src), align=1)
    if (nan_zero or nan_one) and src.kind == "f":
        x = b.select(b.fcmp_unordered("uno", x, x), ir.Constant(x.type, float(nan_one)), x)
    return convert(b, x, src, dst)


def truthy(b: ir.IRBuilder, x: ir.Value, dtype: DType) -> ir.Value:
    """An i1: the element is non-zero (NaN is true)."""
    if dtype.kind == "f":
        return b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0))
    return b.icmp_unsigned("!=", x, ir.Constant(x.type, 0))


def combine(b: ir.IRBuilder, op: str, acc: ir.Value, x: ir.Value, dtype: DType) -> ir.Value:
    """``acc op x`` in the accumulator's storage type (``x`` already converted)."""
    f = dtype.kind == "f"
    if op in ("sum", "mean", "cumsum", "nansum"):
        return b.fadd(acc, x) if f else b.add(acc, x)
    if op in ("prod", "cumprod", "nanprod"):
        return b.fmul(acc, x) if f else b.mul(acc, x)
    if op in ("all", "any"):
        bit = b.zext(truthy(b, x, dtype), I8)
        return b.and_(acc, bit) if op == "all" else b.or_(acc, bit)
    smaller = op in ("min", "nanmin")
    if f and op.startswith("nan"):  # np.fmin/fmax: NaN loses; on a tie the earlier wins
        beats = b.fcmp_ordered("<" if smaller else ">", x, acc)
        fresh = b.and_(b.fcmp_unordered("uno", acc, acc), b.fcmp_ordered("ord", x, x))
        return b.select(b.or_(beats, fresh), x, acc)
    if f:  # NumPy's scalar rule: the first NaN stays; on a tie the later element wins
        take = b.fcmp_unordered("<=" if smaller else ">=", x, acc)
        keep_nan = b.fcmp_unordered("uno", acc, acc)
        return b.select(keep_nan, acc, b.select(take, x, acc))
    cmp = b.icmp_signed if dtype.kind == "i" else b.icmp_unsigned
    return b.select(cmp("<" if smaller else ">", x, acc), x, acc)


def identity(op: str, dtype: DType) -> ir.Constant:
    ty = storage_type(dtype)
    one = op in ("prod", "all", "nanprod")
    if dtype.kind == "f":
        return ir.Constant(ty, 1.0 if one else 0.0)
    return ir.Constant(ty, 1 if one else 0)


# ------------------------------------------------------------- the iteration


class Axes:
    """The per-axis facts of one reduction, in NumPy's iteration order after
    :meth:`sort_and_coalesce`: extents, input and output byte strides, and whether the
    axis is reduced (an i1 each: the order is known only at run time)."""

    def __init__(self, b: ir.IRBuilder, value: ir.Value, t: Array, reduced: tuple[int, ...],
                 out_strides: list[ir.Value]) -> None:
        self.b = b
        self.dims = [dim_of(b, value, k) for k in range(t.ndim)]
        self.ins = [stride_of(b, value, k) for k in range(t.ndim)]
        self.outs = list(out_strides)
        self.red = [ir.Constant(I1, int(k in reduced)) for k in range(t.ndim)]

    @classmethod
    def of(cls, b: ir.IRBuilder, dims: list[ir.Value], ins: list[ir.Value],
           outs: list[ir.Value], red: list[ir.Value]) -> Axes:
        """Axes from their facts (an array's own, or a temporary's laid out in another
        reduction's order)."""
        self = cls.__new__(cls)
        self.b, self.dims, self.ins, self.outs, self.red = b, list(dims), list(ins), list(outs), list(red)
        return self

    def sort_and_coalesce(self) -> None:
        b = self.b
        n = len(self.dims)
        one, zero = _k(1), _k(0)
        keys = [b.select(b.icmp_signed("==", d, one), BIG,
                         b.select(b.icmp_signed("<", s, zero), b.neg(s), s))
                for d, s in zip(self.dims, self.ins, strict=True)]
        lists = (keys, self.dims, self.ins, self.outs, self.red)
        for i in range(n):  # bubble sort, swapping on strictly smaller: stable
            for j in range(n - 1 - i):
                swap = b.icmp_unsigned("<", keys[j], keys[j + 1])
                for lst in lists:
                    lst[j], lst[j + 1] = (b.select(swap, lst[j + 1], lst[j]),
                                          b.select(swap, lst[j], lst[j + 1]))
        for k in reversed(range(n - 1)):  # merge axis k into k + 1 where contiguous
            d1 = self.dims[k + 1]
            same = b.icmp_unsigned("==", self.red[k], self.red[k + 1])
            fits = b.and_(b.icmp_signed("==", self.ins[k], b.mul(self.ins[k + 1], d1)),
                          b.icmp_signed("==", self.outs[k], b.mul(self.outs[k + 1], d1)))
            can = b.or_(b.icmp_signed("==", self.dims[k], one), b.and_(same, fits))
            self.dims[k + 1] = b.select(can, b.mul(d1, self.dims[k]), d1)
            self.dims[k] = b.select(can, one, self.dims[k])

    def core_start(self) -> ir.Value:
        """The first axis of the innermost run of reduced axes (``ndim`` if none)."""
        b = self.b
        n = len(self.dims)
        start: ir.Value = _k(n)
        run: ir.Value = ir.Constant(I1, 1)
        for k in reversed(range(n)):
            run = b.and_(run, b.or_(self.red[k], b.icmp_signed("==", self.dims[k], _k(1))))
            start = b.select(run, _k(k), start)
        return start


@contextmanager
def walk(b: ir.IRBuilder, dims: list[ir.Value], strides: list[list[ir.Value]],
         bases: list[ir.Value]) -> Iterator[list[ir.Value]]:
    """Nested loops over ``dims`` (outer first), yielding one pointer per operand:
    ``bases[i] + sum(index * strides[i][axis])``."""
    with nested_loops(b, dims) as indices:
        ptrs = []
        for base, st in zip(bases, strides, strict=True):
            off: ir.Value = _k(0)
            for index, s in zip(indices, st, strict=True):
                off = b.add(off, b.mul(index, s))
            ptrs.append(b.gep(base, [off], source_etype=BYTE))
        yield ptrs


def elementwise(ctx: Context, axes: Axes, data: ir.Value, out: ir.Value, op: str,
                src: DType, acc: DType) -> None:
    """``out[o] = out[o] op x`` over every element in the iteration order; the innermost
    axis as a loop that vectorises when both operands are contiguous along it."""
    b = ctx.builder
    aty = storage_type(acc)

    def load(b: ir.IRBuilder, ptr: ir.Value) -> ir.Value:
        return load_converted(b, ptr, src, acc, op == "nansum", op == "nanprod")

    def step(po: ir.Value, pi: ir.Value) -> None:
        b.store(combine(b, op, b.load(po, typ=aty, align=1), load(b, pi), acc), po, align=1)

    inner_n, s_in = axes.dims[-1], axes.ins[-1]
    with b.if_else(axes.red[-1]) as (inner_reduced, inner_kept):
        with inner_reduced:  # one output element per row: its accumulator in a register
            row = row_function(b.module, op, src, acc, combine, load)
            with walk(b, axes.dims[:-1], [axes.ins[:-1], axes.outs[:-1]],
                      [data, out]) as (pi, po):
                b.store(b.call(row, [pi, inner_n, s_in, b.load(po, typ=aty, align=1)]),
                        po, align=1)
        with inner_kept:
            _rows_kept(ctx, axes, data, out, op, src, acc, step)


def _rows_kept(ctx: Context, axes: Axes, data: ir.Value, out: ir.Value, op: str,
               src: DType, acc: DType, step: Callable[[ir.Value, ir.Value], None]) -> None:
    """The inner axis kept: ``out[j] op= x[i, j]`` a row at a time, vectorised when both
    are contiguous along it."""
    b = ctx.builder
    sty, aty = storage_type(src), storage_type(acc)
    inner_n, s_in, s_out = axes.dims[-1], axes.ins[-1], axes.outs[-1]
    unit = b.and_(b.icmp_signed("==", s_in, _k(src.itemsize)),
                  b.icmp_signed("==", s_out, _k(acc.itemsize)))
    with walk(b, axes.dims[:-1], [axes.ins[:-1], axes.outs[:-1]], [data, out]) as (pi, po):
        with b.if_else(unit) as (fast, slow):
            with fast, counted_loop(b, inner_n, name="row") as j:
                step(b.gep(po, [j], inbounds=True, source_etype=aty),
                     b.gep(pi, [j], inbounds=True, source_etype=sty))
            with slow, counted_loop(b, inner_n, name="row") as j:
                step(b.gep(po, [b.mul(j, s_out)], source_etype=BYTE),
                     b.gep(pi, [b.mul(j, s_in)], source_etype=BYTE))


def pairwise_core(ctx: Context, axes: Axes, data: ir.Value, out: ir.Value, src: DType,
                  acc: DType, new_buffer: Callable[[ir.Value], ir.Value],
                  nan_zero: bool = False) -> None:
    """``out[o] += pairwise(core)`` for each position of the axes outside the core (see
    the module docstring). ``nan_zero`` (nansum): NaN is read as 0 and the core summed
    as NumPy sums its contiguous copy of the array (one run; 8192-element pieces of it
    under a cast)."""
    b = ctx.builder
    n = len(axes.dims)
    start = axes.core_start()
    outer = [b.select(b.icmp_signed("<=", start, _k(k)), _k(1), axes.dims[k]) for k in range(n)]
    core = [b.select(b.icmp_signed("<=", start, _k(k)), axes.dims[k], _k(1)) for k in range(n)]
    inner_n, inner_s = core[-1], axes.ins[-1]
    rows: ir.Value = _k(1)
    for d in core[:-1]:
        rows = b.mul(rows, d)
    aty = storage_type(acc)
    direct = b.icmp_signed("==", rows, _k(1))
    if src != acc or nan_zero:
        direct = ir.Constant(I1, 0)  # a cast: NumPy converts through its buffer
    with b.if_else(direct) as (run, buffered):
        with run:
            fn = pairwise_function(b.module, aty)
            with walk(b, outer, [axes.ins, axes.outs], [data, out]) as (pi, po):
                part = b.call(fn, [pi, inner_n, inner_s])
                b.store(b.fadd(b.load(po, typ=aty, align=1), part), po, align=1)
        with buffered:
            per = b.udiv(_k(BUFFER), b.select(b.icmp_signed("<", inner_n, _k(1)), _k(1), inner_n))
            per = b.select(b.icmp_signed("<", per, _k(1)), _k(1), per)
            per = b.select(b.icmp_signed("<", rows, per), rows, per)
            cap = b.mul(per, inner_n)
            cap = b.select(b.icmp_signed(">", inner_n, _k(BUFFER)), _k(BUFFER), cap)
            if nan_zero:
                total = b.mul(rows, inner_n)
                cap = total if src == acc else b.select(
                    b.icmp_signed(">", total, _k(BUFFER)), _k(BUFFER), total)
            buffer = new_buffer(cap)
            ctx.pending.append(owner_of(b, buffer))
            with walk(b, outer, [axes.ins, axes.outs], [data, out]) as (pi, po):
                _buffered(ctx, core, axes.ins, pi, po, cap, data_of(b, buffer), src, acc,
                          nan_zero)
            ctx.pending.pop()
            py_decref(b, owner_of(b, buffer))


def _buffered(ctx: Context, core: list[ir.Value], strides: list[ir.Value], pi: ir.Value,
              po: ir.Value, cap: ir.Value, buf: ir.Value, src: DType, acc: DType,
              nan_zero: bool) -> None:
    """The core's elements copied (converted) into ``buf`` in order, each time ``cap``
    of them are there (whole rows, or 8192 elements of a longer row) their pairwise sum
    added to ``*po``, and the rest at the end."""
    b = ctx.builder
    aty = storage_type(acc)
    fn = pairwise_function(b.module, aty, contiguous=True)
    filled = ctx.alloca(I64, name="buffer.filled")
    b.store(_k(0), filled)

    def flush(count: ir.Value) -> None:
        part = b.call(fn, [buf, count, _k(acc.itemsize)])
        b.store(b.fadd(b.load(po, typ=aty, align=1), part), po, align=1)

    with walk(b, core[:-1], [strides[:-1]], [pi]) as (row,):
        with counted_loop(b, core[-1], name="col") as j:
            got = b.load(filled, typ=I64)
            x = load_converted(b, b.gep(row, [b.mul(j, strides[-1])], source_etype=BYTE),
                               src, acc, nan_zero)
            b.store(x, b.gep(buf, [got], source_etype=aty))
            got = b.add(got, _k(1))
            full = b.icmp_signed("==", got, cap)
            b.store(b.select(full, _k(0), got), filled)
            with b.if_then(full):
                flush(cap)
    left = b.load(filled, typ=I64)
    with b.if_then(b.icmp_signed(">", left, _k(0))):
        flush(left)


# --------------------------------------------------------------- the nodes


def warn(ctx: Context, text: str) -> None:
    """``warnings.warn(text, RuntimeWarning)`` from compiled code (it may raise)."""
    b = ctx.builder
    fn = extern_function(b.module, "PyErr_WarnEx", I32, [PTR, PTR, I64])
    category = b.load(extern_global(b.module, "PyExc_RuntimeWarning"), typ=PTR)
    rc = b.call(fn, [category, cstring(b.module, text), _k(1)])
    with unlikely(ctx, b.icmp_signed("<", rc, ir.Constant(I32, 0))):
        ctx.fail()


def reduced_size(b: ir.IRBuilder, value: ir.Value, axes: tuple[int, ...]) -> ir.Value:
    n: ir.Value = _k(1)
    for k in axes:
        n = b.mul(n, dim_of(b, value, k))
    return n


def output(ctx: Context, e: AxisReduce | AxisStat, value: ir.Value, t: Array
            ) -> tuple[ir.Value | None, ir.Value, list[ir.Value]]:
    """(the result array or None for a scalar, the data pointer, the output byte stride
    of each *input* axis: 0 along reduced ones)."""
    b = ctx.builder
    size = e.dtype.itemsize
    if not isinstance(e.type, Array):
        return None, ctx.alloca(storage_type(e.dtype), name="reduced"), [_k(0)] * t.ndim
    shape = [_k(1) if k in e.axes else dim_of(b, value, k) for k in range(t.ndim)
             if e.keepdims or k not in e.axes]
    out = new_array(ctx, e.type, shape, zero=False)
    kept = [k for k in range(t.ndim) if k not in e.axes]
    strides = [_k(0)] * t.ndim
    step: ir.Value = _k(size)
    for k in reversed(kept):
        strides[k] = step
        step = b.mul(step, dim_of(b, value, k))
    return out, data_of(b, out), strides


def _initialize(ctx: Context, e: AxisReduce, value: ir.Value, t: Array, out: ir.Value,
                out_strides: list[ir.Value]) -> None:
    initialize(ctx, e.op, e.axes, e.dtype, value, t, out, out_strides)


def initialize(ctx: Context, op: str, axes: tuple[int, ...], dtype: DType, value: ir.Value,
               t: Array, out: ir.Value, out_strides: list[ir.Value]) -> None:
    """Every output element of ``op`` over ``axes``: the identity, or (min/max) the
    first element along the reduced axes."""
    b = ctx.builder
    dims = [_k(1) if k in axes else dim_of(b, value, k) for k in range(t.ndim)]
    ins = [stride_of(b, value, k) for k in range(t.ndim)]
    with walk(b, dims, [ins, out_strides], [data_of(b, value), out]) as (pi, po):
        if op in ("min", "max", "nanmin", "nanmax"):
            first = b.load(pi, typ=storage_type(t.dtype), align=1)
            b.store(convert(b, first, t.dtype, dtype), po, align=1)
        else:
            b.store(identity(op, dtype), po, align=1)


def reduce_axes(gen: FunctionLowerer, e: AxisReduce) -> ir.Value:
    """``a.sum(axis=...)`` and the other reductions of :class:`AxisReduce`."""
    ctx = gen.arrays
    b = gen.b
    t = e.array.type
    assert isinstance(t, Array)
    with operand(ctx, e.array) as value:
        count = reduced_size(b, value, e.axes)
        if e.op in ("min", "max", "nanmin", "nanmax", "argmin", "argmax"):
            with unlikely(ctx, b.icmp_signed("==", count, _k(0))):
                if not e.op.startswith("arg"):
                    name = {"min": "minimum", "max": "maximum", "nanmin": "fmin",
                            "nanmax": "fmax"}[e.op]
                    raise_message(ctx, "ValueError", f"zero-size array to reduction operation "
                                  f"{name} which has no identity")
                else:
                    raise_message(ctx, "ValueError", f"attempt to get {e.op} of an empty "
                                  "sequence")
        if e.op in ("argmin", "argmax"):
            return _arg_reduce(ctx, e, value, t)
        if e.op == "mean":
            with unlikely(ctx, b.icmp_signed("==", count, _k(0))):
                warn(ctx, "Mean of empty slice")
        result, out, out_strides = output(ctx, e, value, t)
        if result is not None:
            ctx.pending.append(owner_of(b, result))
        _initialize(ctx, e, value, t, out, out_strides)
        if e.op == "prod" and result is None and e.dtype.kind != "f":
            _exact_product(ctx, value, t, out, e.dtype)
        else:
            _main_pass(ctx, e, value, t, out, out_strides)
        if e.op == "mean":
            _divide(ctx, e, value, t, out, out_strides, count)
        if result is not None:
            ctx.pending.pop()
            return result
        return scalar(ctx, out, e.dtype)


def _main_pass(ctx: Context, e: AxisReduce, value: ir.Value, t: Array, out: ir.Value,
               out_strides: list[ir.Value]) -> None:
    b = ctx.builder
    axes = Axes(b, value, t, e.axes, out_strides)
    axes.sort_and_coalesce()
    main_pass(ctx, axes, data_of(b, value), out, "sum" if e.op == "mean" else e.op,
              t.dtype, e.dtype)


def main_pass(ctx: Context, axes: Axes, data: ir.Value, out: ir.Value, op: str, src: DType,
              acc: DType) -> None:
    """``out[o] op= x`` over every element of ``axes`` (sorted and coalesced) from
    ``data``: NumPy's pairwise sums for a float sum whose inner axis is reduced, else
    element by element in the iteration order."""
    b = ctx.builder
    if op not in ("sum", "nansum") or acc.kind != "f":
        elementwise(ctx, axes, data, out, op, src, acc)
        return

    def new_buffer(n: ir.Value) -> ir.Value:
        return new_array(ctx, Array(acc, 1, "C"), [n], zero=False)

    with b.if_else(axes.red[-1]) as (inner_reduced, inner_kept):
        with inner_reduced:
            pairwise_core(ctx, axes, data, out, src, acc, new_buffer, op == "nansum")
        with inner_kept:
            elementwise(ctx, axes, data, out, op, src, acc)


def _divide(ctx: Context, e: AxisReduce, value: ir.Value, t: Array, out: ir.Value,
            out_strides: list[ir.Value], count: ir.Value) -> None:
    """mean = sum / n, NumPy's ``true_divide(sum, intp(n))``: computed in float64 and
    rounded to the dtype (a float32 mean too)."""
    b = ctx.builder
    aty = storage_type(e.dtype)
    n = b.sitofp(count, F64)
    dims = [_k(1) if k in e.axes else dim_of(b, value, k) for k in range(t.ndim)]
    with walk(b, dims, [out_strides], [out]) as (po,):
        s = b.load(po, typ=aty, align=1)
        q = b.fdiv(s if aty == F64 else b.fpext(s, F64), n)
        b.store(q if aty == F64 else b.fptrunc(q, aty), po, align=1)


def scalar(ctx: Context, slot: ir.Value, dtype: DType) -> ir.Value:
    """The reduced value in ember's scalar type (a uint64 of 2**63 or more raises
    OverflowError, as loading such an element does)."""
    b = ctx.builder
    if dtype.kind == "b":
        return b.icmp_unsigned("!=", b.load(slot, typ=I8), ir.Constant(I8, 0))
    return load_element(ctx, slot, dtype)


def _exact_product(ctx: Context, value: ir.Value, t: Array, slot: ir.Value, acc: DType) -> None:
    """An int product to one of ember's ints: NumPy's wrapping product, and
    OverflowError when the exact product leaves 64 bits (unless a factor is 0: then it
    is 0, which the wrapped product is too)."""
    b = ctx.builder
    signed = acc.kind == "i"
    mul = extern_function(b.module, f"llvm.{'s' if signed else 'u'}mul.with.overflow.i64",
                          ir.LiteralStructType([I64, I1]), [I64, I64])
    flags = ctx.alloca(I1, name="prod.overflow"), ctx.alloca(I1, name="prod.zero")
    for f in flags:
        b.store(ir.Constant(I1, 0), f)
    dims = [dim_of(b, value, k) for k in range(t.ndim)]
    ins = [stride_of(b, value, k) for k in range(t.ndim)]
    with walk(b, dims, [ins], [data_of(b, value)]) as (pi,):
        x = convert(b, b.load(pi, typ=storage_type(t.dtype), align=1), t.dtype, acc)
        r = b.call(mul, [b.load(slot, typ=I64), x])
        b.store(b.extract_value(r, 0), slot)
        b.store(b.or_(b.load(flags[0], typ=I1), b.extract_value(r, 1)), flags[0])
        b.store(b.or_(b.load(flags[1], typ=I1), b.icmp_unsigned("==", x, _k(0))), flags[1])
    bad = b.and_(b.load(flags[0], typ=I1), b.not_(b.load(flags[1], typ=I1)))
    with unlikely(ctx, bad):
        raise_message(ctx, "OverflowError", OVERFLOW)


def _arg_reduce(ctx: Context, e: AxisReduce, value: ir.Value, t: Array) -> ir.Value:
    """argmin / argmax: NumPy's rule per output (the index of the first minimum; the
    first NaN wins), over the reduced axis in index order, or over every element in
    C order (the flat index)."""
    b = ctx.builder
    ty = storage_type(t.dtype)
    whole = len(e.axes) == t.ndim
    if whole:
        outer_dims: list[ir.Value] = []
        run_dims = [dim_of(b, value, k) for k in range(t.ndim)]
        run_axes = list(range(t.ndim))
    else:
        (axis,) = e.axes
        run_axes = [axis]
        run_dims = [dim_of(b, value, axis)]
        outer_dims = [dim_of(b, value, k) for k in range(t.ndim) if k != axis]
    kept = [k for k in range(t.ndim) if k not in run_axes]
    result = None
    if isinstance(e.type, Array):
        shape = [_k(1) if k in e.axes else dim_of(b, value, k) for k in range(t.ndim)
                 if e.keepdims or k not in e.axes]
        result = new_array(ctx, e.type, shape, zero=False)
        out_base = data_of(b, result)
    else:
        out_base = ctx.alloca(I64, name="arg")
    best, best_i, pos = (ctx.alloca(ty, name="arg.best"), ctx.alloca(I64, name="arg.i"),
                         ctx.alloca(I64, name="arg.pos"))
    ins = [stride_of(b, value, k) for k in range(t.ndim)]
    counter = ctx.alloca(I64, name="arg.out")
    b.store(_k(0), counter)
    with walk(b, outer_dims, [[ins[k] for k in kept]], [data_of(b, value)]) as (row,):
        here = b.load(counter, typ=I64)  # outputs in C order: consecutive slots
        po = b.gep(out_base, [here], source_etype=I64)
        b.store(b.add(here, _k(1)), counter)
        b.store(b.load(row, typ=ty, align=1), best)
        b.store(_k(0), best_i)
        b.store(_k(0), pos)
        with walk(b, run_dims, [[ins[k] for k in run_axes]], [row]) as (pi,):
            i = b.load(pos, typ=I64)
            x = b.load(pi, typ=ty, align=1)
            cur = b.load(best, typ=ty)
            take = _better(b, e.op, x, cur, t.dtype)
            b.store(b.select(take, x, cur), best)
            b.store(b.select(take, i, b.load(best_i, typ=I64)), best_i)
            b.store(b.add(i, _k(1)), pos)
        b.store(b.load(best_i, typ=I64), po)
    if result is not None:
        return result
    return b.load(out_base, typ=I64)


def _better(b: ir.IRBuilder, op: str, x: ir.Value, cur: ir.Value, dtype: DType) -> ir.Value:
    if dtype.kind == "f":
        is_nan = b.fcmp_unordered("uno", cur, cur)
        beats = b.fcmp_unordered(">" if op == "argmax" else "<", x, cur)
        return b.and_(b.not_(is_nan), beats)
    cmp = b.icmp_signed if dtype.kind == "i" else b.icmp_unsigned
    return cmp(">" if op == "argmax" else "<", x, cur)


def accumulate(gen: FunctionLowerer, e: AxisAccumulate) -> ir.Value:
    """``np.cumsum`` / ``np.cumprod``: ``out[..., i, ...] = out[..., i - 1, ...] op
    x[..., i, ...]`` in index order (axis None: over the C-order flattening)."""
    ctx = gen.arrays
    b = gen.b
    t = e.array.type
    assert isinstance(t, Array)
    with operand(ctx, e.array) as value:
        dims = [dim_of(b, value, k) for k in range(t.ndim)]
        if e.axis is None:
            total: ir.Value = _k(1)
            for d in dims:
                total = b.mul(total, d)
            out_shape, back = [total], _k(e.dtype.itemsize)
        else:
            out_shape = dims
            back = _k(e.dtype.itemsize)
            for d in dims[e.axis + 1:]:
                back = b.mul(back, d)
        result = new_array(ctx, Array(e.dtype, len(out_shape), "C"), out_shape, zero=False)
        ins = [stride_of(b, value, k) for k in range(t.ndim)]
        pos = ctx.alloca(I64, name="cum.pos")
        b.store(_k(0), pos)
        aty = storage_type(e.dtype)
        with walk(b, dims, [ins], [data_of(b, value)]) as (pi,):
            p = b.load(pos, typ=I64)
            po = b.gep(data_of(b, result), [p], source_etype=aty)
            x = convert(b, b.load(pi, typ=storage_type(t.dtype), align=1), t.dtype, e.dtype)
            first = _first_along(b, p, dims, e.axis)
            prev_ptr = b.gep(po, [b.neg(b.select(first, _k(0), back))], source_etype=BYTE)
            prev = b.load(prev_ptr, typ=aty, align=1)
            b.store(b.select(first, x, combine(b, e.op, prev, x, e.dtype)), po, align=1)
            b.store(b.add(p, _k(1)), pos)
    return result


def _first_along(b: ir.IRBuilder, p: ir.Value, dims: list[ir.Value], axis: int | None) -> ir.Value:
    """Whether C-order position ``p`` has index 0 along ``axis`` (the first position for
    a flattening)."""
    if axis is None:
        return b.icmp_signed("==", p, _k(0))
    inner: ir.Value = _k(1)
    for d in dims[axis + 1:]:
        inner = b.mul(inner, d)
    index = b.urem(b.udiv(p, inner), dims[axis])
    return b.icmp_signed("==", index, _k(0))

