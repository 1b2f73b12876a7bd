"""Whole-array reductions of complex arrays with NumPy's answers, bit for bit::

    a.sum()    (0+0j) + NumPy's complex pairwise sum (CDOUBLE_pairwise_sum): below 4
               elements in order from -0.0-0.0j; up to 64, four running complex sums
               combined as (s0 + s1) + (s2 + s3) part by part, then the tail; above,
               split at (n - n % 8) / 2 and the halves added
    a.prod()   (1+0j) * a[0] * a[1] * ... in memory order (NumPy's multiply loop)
    a.mean()   the sum divided by complex(n, 0) with NumPy's complex division, in
               complex128 (NumPy divides by an intp), then rounded to the dtype

in the array's precision (a complex64 array sums in float32), widened to complex128 at
the end. 1-d arrays of any stride and C/F-contiguous n-d arrays (one run in memory
order, as NumPy's iterator coalesces them); the frontend refuses other layouts.
"""

from __future__ import annotations

import llvmlite.ir as ir

from ember.native.boundary.llvm import F32, F64, I64, PTR, entry_alloca, storage_type
from ember.native.codegen import ufunc_complex
from ember.native.codegen.array_access import (
    Context,
    counted_loop,
    data_of,
    dim_of,
    size_of,
    stride_of,
)
from ember.native.types import Array, DType

SMALL = 4  # NumPy's n < 8 floats: fewer than 4 complex elements
BLOCK = 64  # NumPy's PW_BLOCKSIZE of 128 floats
LANES = 4  # eight float partial sums: four complex ones


def pairwise_function(module: ir.Module, ty: ir.Type) -> ir.Function:
    """``{t, t} @ember.pairwise_sum.c<bits>(ptr p, i64 n, i64 stride)``: NumPy's complex
    pairwise sum of ``n`` elements ``stride`` bytes apart (see the module docstring)."""
    part = ty.elements[0]
    name = f"ember.pairwise_sum.{'c64' if part == F32 else 'c128'}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    fn = ir.Function(module, ir.FunctionType(ty, [PTR, I64, I64]), name)
    fn.linkage = "private"
    p, n, stride = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    small, not_small = fn.append_basic_block("small"), fn.append_basic_block("not_small")
    block, split = fn.append_basic_block("block"), fn.append_basic_block("split")
    b.cbranch(b.icmp_signed("<", n, ir.Constant(I64, SMALL)), small, not_small)
    b.position_at_end(not_small)
    b.cbranch(b.icmp_signed("<=", n, ir.Constant(I64, BLOCK)), block, split)

    def at(i: ir.Value) -> tuple[ir.Value, ir.Value]:
        ptr = b.gep(p, [b.mul(i, stride)], source_etype=ir.IntType(8))
        return ufunc_complex.parts(b, b.load(ptr, typ=ty, align=1))

    def running(first: tuple[ir.Value, ir.Value], begin: ir.Value, end: ir.Value) -> ir.Value:
        acc = [entry_alloca(b, part), entry_alloca(b, part)]
        for slot, v in zip(acc, first, strict=True):
            b.store(v, slot)
        with counted_loop(b, b.sub(end, begin), name="tail") as k:
            for slot, v in zip(acc, at(b.add(begin, k)), strict=True):
                b.store(b.fadd(b.load(slot, typ=part), v), slot)
        return ufunc_complex.make(b, b.load(acc[0], typ=part), b.load(acc[1], typ=part))

    b.position_at_end(small)
    neg0 = ir.Constant(part, -0.0)
    b.ret(running((neg0, neg0), ir.Constant(I64, 0), n))

    b.position_at_end(block)
    slots = [(entry_alloca(b, part), entry_alloca(b, part)) for _ in range(LANES)]
    for j, (sr, si) in enumerate(slots):
        re, im = at(ir.Constant(I64, j))
        b.store(re, sr)
        b.store(im, si)
    whole = b.and_(n, ir.Constant(I64, -LANES))  # n - n % 4
    rounds = b.sub(b.lshr(whole, ir.Constant(I64, 2)), ir.Constant(I64, 1))
    with counted_loop(b, rounds, name="lanes") as r:
        base = b.shl(b.add(r, ir.Constant(I64, 1)), ir.Constant(I64, 2))
        for j, (sr, si) in enumerate(slots):
            re, im = at(b.add(base, ir.Constant(I64, j)))
            b.store(b.fadd(b.load(sr, typ=part), re), sr)
            b.store(b.fadd(b.load(si, typ=part), im), si)
    vr = [b.load(sr, typ=part) for sr, _ in slots]
    vi = [b.load(si, typ=part) for _, si in slots]
    rr = b.fadd(b.fadd(vr[0], vr[1]), b.fadd(vr[2], vr[3]))
    ri = b.fadd(b.fadd(vi[0], vi[1]), b.fadd(vi[2], vi[3]))
    b.ret(running((rr, ri), whole, n))

    b.position_at_end(split)
    half = b.lshr(b.and_(n, ir.Constant(I64, -8)), ir.Constant(I64, 1))  # (n - n % 8) / 2
    left = ufunc_complex.parts(b, b.call(fn, [p, half, stride]))
    rest = b.gep(p, [b.mul(half, stride)], source_etype=ir.IntType(8))
    right = ufunc_complex.parts(b, b.call(fn, [rest, b.sub(n, half), stride]))
    b.ret(ufunc_complex.make(b, b.fadd(left[0], right[0]), b.fadd(left[1], right[1])))
    return fn


def _run(ctx: Context, value: ir.Value, t: Array) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(data, count, stride) of the one run the frontend allows."""
    b = ctx.builder
    if t.ndim == 1:
        return data_of(b, value), dim_of(b, value, 0), stride_of(b, value, 0)
    return data_of(b, value), size_of(b, value, t.ndim), ir.Constant(I64, t.dtype.itemsize)


def reduce(ctx: Context, op: str, value: ir.Value, t: Array) -> ir.Value:
    """``a.sum()`` / ``a.prod()`` / ``a.mean()`` of a complex array, as complex128."""
    b = ctx.builder
    ty = storage_type(t.dtype)
    part = ty.elements[0]
    data, n, stride = _run(ctx, value, t)
    zero, one = ir.Constant(part, 0.0), ir.Constant(part, 1.0)
    if op in ("sum", "mean"):
        total = b.call(pairwise_function(b.module, ty), [data, n, stride])
        re, im = ufunc_complex.parts(b, total)
        result = ufunc_complex.make(b, b.fadd(zero, re), b.fadd(zero, im))
        if op == "mean":
            # NumPy divides by an intp count: in complex128, then back to the dtype.
            wide = DType("complex128")
            total = ufunc_complex.cast(b, result, t.dtype, wide, _no_real_cast)
            count = ufunc_complex.make(b, b.sitofp(n, F64), ir.Constant(F64, 0.0))
            quotient = ufunc_complex.lower(b, "divide", [total, count], (wide, wide), wide)
            result = ufunc_complex.cast(b, quotient, wide, t.dtype, _no_real_cast)
    elif op == "prod":
        acc = ctx.alloca(ty, name="prod")
        b.store(ufunc_complex.make(b, one, zero), acc)
        with counted_loop(b, n, name="prod") as i:
            ptr = b.gep(data, [b.mul(i, stride)], source_etype=ir.IntType(8))
            x = b.load(ptr, typ=ty, align=1)
            step = ufunc_complex.plain_product(b, b.load(acc, typ=ty), x)
            b.store(step, acc)
        result = b.load(acc, typ=ty)
    else:
        raise NotImplementedError(f"{op}() of a complex array")
    return ufunc_complex.cast(b, result, t.dtype, DType("complex128"), _no_real_cast)


def _no_real_cast(b: ir.IRBuilder, x: ir.Value, src: DType, dst: DType) -> ir.Value:
    raise AssertionError("complex → complex casts need no real cast")  # pragma: no cover
