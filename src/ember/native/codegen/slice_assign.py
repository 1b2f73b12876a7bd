"""``view = value`` (:class:`ember.native.ir.views.SliceAssign`) → LLVM IR: a number
stored into every element, or an array broadcast to the target's shape and cast with
NumPy's unsafe setitem casting (C casts: wrapping integers, truncating floats).

An array value whose bytes overlap the target's (``b[1:] = b[:-1]``) is copied into a
temporary first, so the result is as if the right-hand side were evaluated whole; the
overlap test is two compares of byte ranges, run every time, the copy only then.
A float → int cast of a value out of the target's range (or NaN) is undefined in C and
NumPy warns; here it is astype's cast (codegen/casts.py: what NumPy's loops give on
x86-64), and never traps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import format_error_helper, py_decref
from ember.native.boundary.llvm import I1, I64, PTR, storage_type
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import (
    convert_for_store,
    data_of,
    dim_of,
    nested_loops,
    owner_of,
    stride_of,
    unchecked_pointer,
    unlikely,
)
from ember.native.codegen.arrays import is_borrowed, with_element
from ember.native.codegen.casts import cast_element
from ember.native.ir import views as V
from ember.native.types import Array

if TYPE_CHECKING:
    from ember.native.codegen.arrays import ArrayState
    from ember.native.codegen.function import FunctionLowerer


def _c(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


def _shape_text(n: int) -> str:
    return "(" + ",".join(["%lld"] * n) + ("," if n == 1 else "") + ")"


def _broadcast_strides(ctx: ArrayState, src: ir.Value, st: Array, dst: ir.Value,
                       dt: Array) -> list[ir.Value]:
    """The strides that read ``src`` at each index of ``dst`` (0 on broadcast axes);
    NumPy's ValueError when the shapes do not broadcast (extra leading source axes
    must have length 1)."""
    b = ctx.builder
    lead = st.ndim - dt.ndim
    bad: ir.Value = ir.Constant(I1, 0)
    strides = []
    for k in range(st.ndim):
        d = dim_of(b, src, k)
        one = b.icmp_signed("==", d, _c(1))
        if k < lead:
            bad = b.or_(bad, b.not_(one))
            continue
        target = dim_of(b, dst, k - lead)
        bad = b.or_(bad, b.and_(b.not_(one), b.icmp_signed("!=", d, target)))
        strides.append(b.select(one, _c(0), stride_of(b, src, k)))
    strides = [_c(0)] * (dt.ndim - len(strides)) + strides
    with unlikely(ctx, bad):
        helper = format_error_helper(
            b.module, f"ember.broadcast_error.{st.ndim}.{dt.ndim}", "ValueError",
            f"could not broadcast input array from shape {_shape_text(st.ndim)} into shape "
            f"{_shape_text(dt.ndim)}", [I64] * (st.ndim + dt.ndim))
        b.call(helper, [dim_of(b, src, k) for k in range(st.ndim)]
               + [dim_of(b, dst, k) for k in range(dt.ndim)])
        ctx.fail()
    return strides


def _extent(b: ir.IRBuilder, value: ir.Value, t: Array) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(lowest byte, one past the highest byte, empty?) of an array value's elements."""
    lo = b.ptrtoint(data_of(b, value), I64)
    hi = b.add(lo, _c(t.dtype.itemsize))
    empty: ir.Value = ir.Constant(I1, 0)
    for k in range(t.ndim):
        d, s = dim_of(b, value, k), stride_of(b, value, k)
        empty = b.or_(empty, b.icmp_signed("==", d, _c(0)))
        span = b.mul(b.sub(d, _c(1)), s)
        negative = b.icmp_signed("<", span, _c(0))
        lo = b.add(lo, b.select(negative, span, _c(0)))
        hi = b.add(hi, b.select(negative, _c(0), span))
    return lo, hi, empty


def _unoverlapped(ctx: ArrayState, src: ir.Value, st: Array, dst: ir.Value,
                  dt: Array) -> tuple[ir.Value, ir.Value]:
    """``src``, or a C copy of it when its bytes overlap ``dst``'s; and the copy's owner
    to release afterwards (NULL when none was made)."""
    b = ctx.builder
    slo, shi, sempty = _extent(b, src, st)
    dlo, dhi, dempty = _extent(b, dst, dt)
    overlap = b.and_(b.and_(b.icmp_unsigned("<", slo, dhi), b.icmp_unsigned("<", dlo, shi)),
                     b.not_(b.or_(sempty, dempty)))
    before = b.block
    copy_block = b.append_basic_block("assign.copy")
    done = b.append_basic_block("assign.copied")
    b.cbranch(overlap, copy_block, done)
    b.position_at_end(copy_block)
    shape = [dim_of(b, src, k) for k in range(st.ndim)]
    tmp = new.new_array(ctx, Array(st.dtype, st.ndim, "C"), shape, zero=False)
    new.copy_into(ctx, tmp, src, st)
    tmp_owner = owner_of(b, tmp)
    copied = b.block
    b.branch(done)
    b.position_at_end(done)
    value = b.phi(src.type)
    value.add_incoming(src, before)
    value.add_incoming(tmp, copied)
    owner = b.phi(PTR)
    owner.add_incoming(ir.Constant(PTR, None), before)
    owner.add_incoming(tmp_owner, copied)
    return value, owner


def _assign_array(ctx: ArrayState, dst: ir.Value, dt: Array, src: ir.Value, st: Array) -> None:
    b = ctx.builder
    strides = _broadcast_strides(ctx, src, st, dst, dt)
    src, tmp_owner = _unoverlapped(ctx, src, st, dst, dt)
    # A copy made above is C-ordered: its strides replace the broadcast ones.
    strides = _broadcast_strides(ctx, src, st, dst, dt)
    shape = [dim_of(b, dst, k) for k in range(dt.ndim)]
    src_elem, data = storage_type(st.dtype), data_of(b, src)
    with nested_loops(b, shape) as indices:
        offset: ir.Value = _c(0)
        for i, s in zip(indices, strides, strict=True):
            offset = b.add(offset, b.mul(i, s))
        x = b.load(b.gep(data, [offset], source_etype=ir.IntType(8)), typ=src_elem, align=1)
        b.store(cast_element(b, x, st.dtype, dt.dtype), unchecked_pointer(b, dst, dt, indices),
                align=1)
    py_decref(b, tmp_owner)


def slice_assign(gen: FunctionLowerer, s: V.SliceAssign) -> None:
    """Python's order: the value, then the target (array and items); a number's
    conversion (which may raise OverflowError) after the target's checks."""
    ctx = gen.arrays
    b = gen.b
    value = gen.expr(s.value)
    held = isinstance(s.value.type, Array) and not is_borrowed(s.value)
    if held:
        ctx.pending.append(owner_of(b, value))
    dt: Array = s.target.type
    dst = gen.expr(s.target)
    dst_owned = not is_borrowed(s.target)
    if dst_owned:
        ctx.pending.append(owner_of(b, dst))
    if isinstance(s.value.type, Array):
        _assign_array(ctx, dst, dt, value, s.value.type)
    else:
        ctx.check_overflow()
        if s.stored is not None:
            value = with_element(ctx, value, s.stored)
        stored = convert_for_store(ctx, value, dt.dtype)
        shape = [dim_of(b, dst, k) for k in range(dt.ndim)]
        with nested_loops(b, shape) as indices:
            b.store(stored, unchecked_pointer(b, dst, dt, indices), align=1)
    if dst_owned:
        ctx.pending.pop()
        py_decref(b, owner_of(b, dst))
    if held:
        ctx.pending.pop()
        py_decref(b, owner_of(b, value))

