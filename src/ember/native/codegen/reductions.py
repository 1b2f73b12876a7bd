"""Whole-array reductions with NumPy's answers: an array value → one number::

    a.sum()    float: NumPy's pairwise summation, in the dtype (float32 adds in float32)
               int:   exact; OverflowError when the sum does not fit in int64
    a.min()    NaN propagates (the first one); on a tie of signed zeros the later
    a.max()    element in memory order wins, as NumPy's scalar loop does

The pairwise sum is one private function per float type, ``@ember.pairwise_sum.f64(ptr
data, i64 n, i64 stride)``, recursive on halves above 128 elements, eight partial sums
below (the shape NumPy's ``pairwise_sum`` has, so the rounding is the same).
"""

from __future__ import annotations

from collections.abc import Callable

import llvmlite.ir as ir

from ember.native.boundary.capi import py_decref
from ember.native.boundary.llvm import F32, F64, I1, I64, PTR, entry_alloca, storage_type
from ember.native.codegen.array_access import (
    Context,
    counted_loop,
    dim_of,
    load_element,
    nested_loops,
    raise_message,
    size_of,
    stride_of,
    unchecked_pointer,
    unlikely,
)
from ember.native.messages import OVERFLOW
from ember.native.types import Array, DType

I128 = ir.IntType(128)
BLOCK = 128  # NumPy's PW_BLOCKSIZE: below it, eight running partial sums
LANES = 8
BUFFER = 8192  # NumPy's default iterator buffer, in elements
# Below 2**31 elements, a sum of 32-bit (or narrower) integers fits in int64: no wider
# accumulator is needed (|x| <= 2**32, so |sum| < 2**63).
NARROW_SUM_LIMIT = 1 << 31


def pairwise_sum(ctx: Context, data: ir.Value, n: ir.Value, stride: ir.Value,
                 dtype: DType) -> ir.Value:
    """NumPy's ``add.reduce`` of ``n`` elements ``stride`` bytes apart: ``0 +
    pairwise(...)`` in the dtype's own float type, returned as a double (exact)."""
    b = ctx.builder
    contiguous = isinstance(stride, ir.Constant) and stride.constant == dtype.itemsize
    fn = pairwise_function(b.module, storage_type(dtype), contiguous)
    total = b.fadd(ir.Constant(fn.return_value.type, 0.0), b.call(fn, [data, n, stride]))
    return total if total.type == F64 else b.fpext(total, F64)


def pairwise_function(module: ir.Module, ty: ir.Type, contiguous: bool = False) -> ir.Function:
    """``ty @ember.pairwise_sum.<ty>(ptr p, i64 n, i64 stride)``: n < 8 adds in order;
    n <= 128 keeps eight partial sums r[j] += p[i + j], combines them as ((r0 + r1) +
    (r2 + r3)) + ((r4 + r5) + (r6 + r7)) and adds the tail; larger n splits at n2 = n / 2
    rounded down to a multiple of 8 and adds the two halves' sums."""
    name = f"ember.pairwise_sum.{'f32' if ty == F32 else 'f64'}{'.contiguous' * contiguous}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    fn = ir.Function(module, ir.FunctionType(ty, [PTR, I64, I64]), name)
    fn.linkage = "private"
    p, n, stride = fn.args
    if contiguous:  # a constant stride: the eight partial sums become one vector add
        stride = ir.Constant(I64, 4 if ty == F32 else 8)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    small = fn.append_basic_block("small")
    not_small = fn.append_basic_block("not_small")
    block = fn.append_basic_block("block")
    split = fn.append_basic_block("split")
    b.cbranch(b.icmp_signed("<", n, ir.Constant(I64, LANES)), small, not_small)
    b.position_at_end(not_small)
    b.cbranch(b.icmp_signed("<=", n, ir.Constant(I64, BLOCK)), block, split)

    def at(i: ir.Value) -> ir.Value:
        offset = b.mul(i, stride)
        return b.load(b.gep(p, [offset], source_etype=ir.IntType(8)), typ=ty, align=1)

    def running_sum(first: ir.Value, begin: ir.Value, end: ir.Value) -> ir.Value:
        """first + p[begin] + ... + p[end - 1], in order."""
        acc = entry_alloca(b, ty)
        b.store(first, acc)
        with counted_loop(b, b.sub(end, begin), name="tail") as k:
            b.store(b.fadd(b.load(acc, typ=ty), at(b.add(begin, k))), acc)
        return b.load(acc, typ=ty)

    b.position_at_end(small)
    b.ret(running_sum(ir.Constant(ty, -0.0), ir.Constant(I64, 0), n))

    b.position_at_end(block)
    partial = [entry_alloca(b, ty) for _ in range(LANES)]
    for j, slot in enumerate(partial):
        b.store(at(ir.Constant(I64, j)), slot)
    whole = b.and_(n, ir.Constant(I64, -LANES))  # n - n % 8
    rounds = b.sub(b.lshr(whole, ir.Constant(I64, 3)), ir.Constant(I64, 1))
    with counted_loop(b, rounds, name="lanes") as r:
        base = b.shl(b.add(r, ir.Constant(I64, 1)), ir.Constant(I64, 3))
        for j, slot in enumerate(partial):
            x = at(b.add(base, ir.Constant(I64, j)))
            b.store(b.fadd(b.load(slot, typ=ty), x), slot)
    v = [b.load(slot, typ=ty) for slot in partial]
    combined = b.fadd(b.fadd(b.fadd(v[0], v[1]), b.fadd(v[2], v[3])),
                      b.fadd(b.fadd(v[4], v[5]), b.fadd(v[6], v[7])))
    b.ret(running_sum(combined, whole, n))

    b.position_at_end(split)
    half = b.and_(b.lshr(n, ir.Constant(I64, 1)), ir.Constant(I64, -LANES))
    left = b.call(fn, [p, half, stride])
    rest = b.gep(p, [b.mul(half, stride)], source_etype=ir.IntType(8))
    right = b.call(fn, [rest, b.sub(n, half), stride])
    b.ret(b.fadd(left, right))
    return fn


def sum_any_layout(ctx: Context, value: ir.Value, t: Array,
                   new_buffer: Callable[[ir.Value], ir.Value]) -> ir.Value:
    """The float sum of an n-d array of any strides, in NumPy's iterator order: axes
    sorted by decreasing |stride| (stably; length-1 axes drop out), then coalesced from
    the inner end while each axis's stride is the extent of the run inside it. One run
    left is one pairwise sum along the inner stride; otherwise the rows (the inner run,
    in C order of the outer axes) go through an 8192-element buffer, as many whole rows
    at a time as fit (at least one), each buffer's pairwise sum added to a running total
    in the dtype. ``new_buffer(n)`` makes a C array of n elements (a new reference)."""
    b = ctx.builder
    ty = storage_type(t.dtype)
    fn = pairwise_function(b.module, ty)
    one, zero = ir.Constant(I64, 1), ir.Constant(I64, 0)
    data = b.extract_value(value, 0)
    dims = [dim_of(b, value, axis) for axis in range(t.ndim)]
    strides = [b.extract_value(value, [3, axis]) for axis in range(t.ndim)]
    # The sort key: |stride|, or the largest key for a length-1 axis (it goes outermost,
    # where a loop of one iteration changes nothing).
    keys = [b.select(b.icmp_signed("==", d, one), ir.Constant(I64, (1 << 63) - 1),
                     b.select(b.icmp_signed("<", st, zero), b.neg(st), st))
            for d, st in zip(dims, strides, strict=True)]
    for i in range(t.ndim):  # bubble sort, compare-and-swap on strictly smaller: stable
        for j in range(t.ndim - 1 - i):
            swap = b.icmp_unsigned("<", keys[j], keys[j + 1])
            for lst in (keys, dims, strides):
                lst[j], lst[j + 1] = (b.select(swap, lst[j + 1], lst[j]),
                                      b.select(swap, lst[j], lst[j + 1]))
    inner_n, inner_s = dims[-1], strides[-1]
    merging = ir.Constant(I1, 1)
    outer = dims[:-1]
    for k in reversed(range(t.ndim - 1)):
        can = b.and_(merging, b.or_(b.icmp_signed("==", dims[k], one),
                                    b.icmp_signed("==", strides[k], b.mul(inner_n, inner_s))))
        inner_n = b.select(can, b.mul(inner_n, dims[k]), inner_n)
        outer[k] = b.select(can, one, dims[k])
        merging = can
    n = b.mul(inner_n, _product(b, outer))
    result = ctx.alloca(ty, name="sum.any")
    b.store(ir.Constant(ty, 0.0), result)
    single = b.or_(b.icmp_signed("==", n, inner_n), b.icmp_signed("==", n, zero))
    with b.if_else(single) as (then, otherwise):
        with then:
            b.store(b.fadd(ir.Constant(ty, 0.0), b.call(fn, [data, n, inner_s])), result)
        with otherwise:
            _buffered_rows(ctx, pairwise_function(b.module, ty, contiguous=True), data, outer, strides[:-1], inner_n, inner_s, result,
                           new_buffer, t.dtype.itemsize)
    total = b.load(result, typ=ty)
    return total if ty == F64 else b.fpext(total, F64)


def _product(b: ir.IRBuilder, values: list[ir.Value]) -> ir.Value:
    out: ir.Value = ir.Constant(I64, 1)
    for v in values:
        out = b.mul(out, v)
    return out


def _buffered_rows(ctx: Context, fn: ir.Function, data: ir.Value, outer: list[ir.Value],
                   outer_strides: list[ir.Value], inner_n: ir.Value, inner_s: ir.Value,
                   result: ir.Value, new_buffer: Callable[[ir.Value], ir.Value],
                   itemsize: int) -> None:
    """``result += pairwise(buffer)`` per bufferful of whole rows (see sum_any_layout)."""
    b = ctx.builder
    ty = fn.return_value.type
    one = ir.Constant(I64, 1)
    byte = ir.IntType(8)
    per = b.udiv(ir.Constant(I64, BUFFER), inner_n)  # inner_n >= 2 here
    per = b.select(b.icmp_signed("<", per, one), one, per)
    rows = _product(b, outer)
    buffer = new_buffer(b.mul(b.select(b.icmp_signed("<", rows, per), rows, per), inner_n))
    buf = b.extract_value(buffer, 0)
    filled = ctx.alloca(I64, name="rows.filled")
    b.store(ir.Constant(I64, 0), filled)
    size = ir.Constant(I64, itemsize)

    def flush(count: ir.Value) -> None:
        part = b.call(fn, [buf, b.mul(count, inner_n), size])
        b.store(b.fadd(b.load(result, typ=ty), part), result)

    with nested_loops(b, outer) as indices:
        offset: ir.Value = ir.Constant(I64, 0)
        for index, stride in zip(indices, outer_strides, strict=True):
            offset = b.add(offset, b.mul(index, stride))
        row = b.gep(data, [offset], source_etype=byte)
        got = b.load(filled, typ=I64)
        base = b.mul(got, inner_n)
        with counted_loop(b, inner_n, name="col") as j:
            x = b.load(b.gep(row, [b.mul(j, inner_s)], source_etype=byte), typ=ty, align=1)
            b.store(x, b.gep(buf, [b.add(base, j)], source_etype=ty), align=1)
        got = b.add(got, one)
        full = b.icmp_signed("==", got, per)
        b.store(b.select(full, ir.Constant(I64, 0), got), filled)
        with b.if_then(full):
            flush(per)
    left = b.load(filled, typ=I64)
    with b.if_then(b.icmp_signed(">", left, ir.Constant(I64, 0))):
        flush(left)
    py_decref(b, b.extract_value(buffer, 1))


def int_sum(ctx: Context, value: ir.Value, t: Array) -> ir.Value:
    """The exact sum of an integer or bool array as an int64; OverflowError (ember's
    scalar message) when it does not fit. NumPy's int64 / uint64 accumulators wrap
    silently; ember's int cannot, and a uint64 sum of 2**63 or more has no int64 either."""
    b = ctx.builder
    dtype = t.dtype
    if dtype.itemsize <= 4:
        narrow = b.icmp_signed("<", size_of(b, value, t.ndim), ir.Constant(I64, NARROW_SUM_LIMIT))
        with b.if_else(narrow, likely=True) as (then, otherwise):
            with then:
                fast = b.sext(_sum_loop(ctx, value, t, I64), I128)  # cannot overflow
                fast_block = b.block
            with otherwise:
                wide = _sum_loop(ctx, value, t, I128)
                wide_block = b.block
        total = b.phi(I128)
        total.add_incoming(fast, fast_block)
        total.add_incoming(wide, wide_block)
    else:
        total = _sum_loop(ctx, value, t, I128)
    low = b.trunc(total, I64)
    with unlikely(ctx, b.icmp_signed("!=", b.sext(low, I128), total)):
        raise_message(ctx, "OverflowError", OVERFLOW)
    return low


def _sum_loop(ctx: Context, value: ir.Value, t: Array, acc_type: ir.IntType) -> ir.Value:
    """Every element, sign- or zero-extended to ``acc_type``, added up (in C order)."""
    b = ctx.builder
    elem = storage_type(t.dtype)
    acc = ctx.alloca(acc_type, name="sum")
    b.store(ir.Constant(acc_type, 0), acc)
    shape = [dim_of(b, value, axis) for axis in range(t.ndim)]
    with nested_loops(b, shape) as indices:
        raw = b.load(unchecked_pointer(b, value, t, indices), typ=elem, align=1)
        x = b.sext(raw, acc_type) if t.dtype.kind == "i" else b.zext(raw, acc_type)
        b.store(b.add(b.load(acc, typ=acc_type), x), acc)
    return b.load(acc, typ=acc_type)


def min_max(ctx: Context, op: str, value: ir.Value, t: Array) -> ir.Value:
    """``a.min()`` / ``a.max()`` in the compute type (C order; floats in memory order);
    ValueError on an empty array. NumPy's scalar loop for floats: ``cur = x if (x <= cur or x is NaN) else cur``
    unless ``cur`` is already NaN, so the first NaN stays and, of equal values (0.0 and
    -0.0), the later one wins. uint64 compares unsigned: only a result of 2**63 or more
    raises (OverflowError, as loading such an element does), not any element."""
    b = ctx.builder
    dtype: DType = t.dtype
    ty = F64 if dtype.kind == "f" else I64
    empty = b.icmp_signed("==", size_of(b, value, t.ndim), ir.Constant(I64, 0))
    name = "minimum" if op == "min" else "maximum"
    with unlikely(ctx, empty):
        raise_message(ctx, "ValueError",
                      f"zero-size array to reduction operation {name} which has no identity")
    wide_unsigned = dtype.kind == "u" and dtype.itemsize == 8

    def element(indices: list[ir.Value]) -> ir.Value:
        ptr = unchecked_pointer(b, value, t, indices)
        if wide_unsigned:
            return b.load(ptr, typ=I64, align=1)
        return _widen(b, load_element(ctx, ptr, dtype), ty)

    acc = ctx.alloca(ty, name="acc")
    b.store(element([ir.Constant(I64, 0)] * t.ndim), acc)
    shape = [dim_of(b, value, axis) for axis in range(t.ndim)]

    def step(indices: list[ir.Value]) -> None:
        x = element(indices)
        cur = b.load(acc, typ=ty)
        if ty is F64:
            take = b.fcmp_unordered("<=" if op == "min" else ">=", x, cur)
            keep_nan = b.fcmp_unordered("uno", cur, cur)
            new = b.select(keep_nan, cur, b.select(take, x, cur))
        elif wide_unsigned:
            new = b.select(b.icmp_unsigned("<" if op == "min" else ">", x, cur), x, cur)
        else:
            new = b.select(b.icmp_signed("<" if op == "min" else ">", x, cur), x, cur)
        b.store(new, acc)

    if ty is F64 and t.ndim == 2:
        # NumPy reduces in memory order (its iterator puts the axis of the smaller
        # |stride| inside, negative strides kept): for a Fortran-ordered array, down
        # the columns. Which of two equal zeros wins depends on that order.
        s0, s1 = (_abs(b, stride_of(b, value, axis)) for axis in (0, 1))
        with b.if_else(b.icmp_signed(">", s1, s0)) as (by_columns, by_rows):
            with by_columns, nested_loops(b, shape[::-1]) as indices:
                step(indices[::-1])
            with by_rows, nested_loops(b, shape) as indices:
                step(indices)
    else:
        with nested_loops(b, shape) as indices:
            step(indices)
    if wide_unsigned:
        return load_element(ctx, acc, dtype)  # the uint64 → int check of a loaded element
    return b.load(acc, typ=ty)


def _abs(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return b.select(b.icmp_signed("<", x, ir.Constant(I64, 0)), b.neg(x), x)


def _widen(b: ir.IRBuilder, x: ir.Value, ty: ir.Type) -> ir.Value:
    if x.type == ty:
        return x
    assert x.type == I1
    return b.zext(x, ty)  # bool → int64

