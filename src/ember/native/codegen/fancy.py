"""Fancy and mask indexing (:mod:`ember.native.ir.fancy`) → LLVM IR.

``a[m]`` is two passes over the mask (count the trues, then copy each selected item
into a new C array of that length); ``a[idx]`` one pass over the indices, each wrapped
and bounds-checked as NumPy does. The assignments follow NumPy's order of checks (see
:class:`~ember.native.ir.fancy.FancySet`). Items are copied as raw storage values (the
dtypes agree), so nothing is converted. llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import format_error_helper
from ember.native.boundary.llvm import I64, storage_type
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import (
    Context,
    convert_for_store,
    counted_loop,
    data_of,
    dim_of,
    load_element,
    nested_loops,
    owner_of,
    unchecked_pointer,
    unlikely,
)
from ember.native.codegen.arrays import operand
from ember.native.ir import fancy as F
from ember.native.messages import (
    INDEX_MESSAGE,
    MASK_ASSIGN_MESSAGE,
    MASK_SHAPE_MESSAGE,
    TAKE_ASSIGN_MESSAGE,
)
from ember.native.types import Array

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer


def raise_format(ctx: Context, name: str, exc: str, fmt: str, args: Sequence[ir.Value]) -> None:
    """``exc(fmt % args)`` (int64 arguments) and leave through the error exit."""
    b = ctx.builder
    helper = format_error_helper(b.module, name, exc, fmt, [a.type for a in args])
    b.call(helper, list(args))
    ctx.fail()


def counter(ctx: Context, name: str) -> ir.Value:
    """A fresh int64 slot holding 0."""
    slot = ctx.alloca(I64, name=name)
    ctx.builder.store(ir.Constant(I64, 0), slot)
    return slot


def bump(b: ir.IRBuilder, slot: ir.Value, by: ir.Value | int = 1) -> ir.Value:
    """``slot += by``; gives the old value."""
    old = b.load(slot, typ=I64)
    step = ir.Constant(I64, by) if isinstance(by, int) else by
    b.store(b.add(old, step), slot)
    return old


def truth_at(ctx: Context, value: ir.Value, t: Array, indices: Sequence[ir.Value]) -> ir.Value:
    """``bool(value[indices])`` (indices in range) as an i1, for any dtype (NaN is true)."""
    b = ctx.builder
    raw = b.load(unchecked_pointer(b, value, t, indices), typ=storage_type(t.dtype), align=1)
    if t.dtype.kind == "f":
        return b.fcmp_unordered("!=", raw, ir.Constant(raw.type, 0.0))
    return b.icmp_unsigned("!=", raw, ir.Constant(raw.type, 0))


def count_true(ctx: Context, value: ir.Value, t: Array) -> ir.Value:
    """The number of nonzero items of ``value`` (NumPy's ``count_nonzero``)."""
    b = ctx.builder
    slot = counter(ctx, "nonzero")
    with nested_loops(b, [dim_of(b, value, k) for k in range(t.ndim)]) as indices:
        bump(b, slot, b.zext(truth_at(ctx, value, t, indices), I64))
    return b.load(slot, typ=I64)


def check_mask_shape(ctx: Context, arr: ir.Value, mask: ir.Value, k: int) -> None:
    """IndexError unless the mask's shape is the array's first ``k`` extents (NumPy
    lets a mask extent of 0 pass against any extent: it selects nothing)."""
    b = ctx.builder
    for axis in range(k):
        have, want = dim_of(b, arr, axis), dim_of(b, mask, axis)
        bad = b.and_(b.icmp_signed("!=", have, want), b.icmp_signed("!=", want, ir.Constant(I64, 0)))
        with unlikely(ctx, bad):
            raise_format(ctx, "ember.mask_shape_error", "IndexError", MASK_SHAPE_MESSAGE,
                         [ir.Constant(I64, axis), have, want])


def checked_index(ctx: Context, index: ir.Value, dim: ir.Value) -> ir.Value:
    """``index`` wrapped if negative, IndexError (NumPy's text) if still out of range."""
    b = ctx.builder
    negative = b.icmp_signed("<", index, ir.Constant(I64, 0))
    fixed = b.select(negative, b.add(index, dim), index)
    with unlikely(ctx, b.icmp_unsigned(">=", fixed, dim)):
        raise_format(ctx, "ember.index_error", "IndexError", INDEX_MESSAGE,
                     [index, ir.Constant(I64, 0), dim])
    return fixed


def copy_block(ctx: Context, src: ir.Value, t: Array, outer: Sequence[ir.Value],
               out: ir.Value, pos: ir.Value) -> None:
    """Copy ``src[outer...]`` (the items under a leading multi-index) to the C array
    data ``out`` from item ``pos`` (a counter slot) on."""
    b = ctx.builder
    elem = storage_type(t.dtype)
    inner = [dim_of(b, src, k) for k in range(len(outer), t.ndim)]
    with nested_loops(b, inner) as rest:
        raw = b.load(unchecked_pointer(b, src, t, [*outer, *rest]), typ=elem, align=1)
        b.store(raw, b.gep(out, [bump(b, pos)], inbounds=True, source_etype=elem), align=1)


def fill_block(ctx: Context, dst: ir.Value, t: Array, outer: Sequence[ir.Value],
               stored: ir.Value) -> None:
    """Store the storage value ``stored`` into every item of ``dst[outer...]``."""
    b = ctx.builder
    inner = [dim_of(b, dst, k) for k in range(len(outer), t.ndim)]
    with nested_loops(b, inner) as rest:
        b.store(stored, unchecked_pointer(b, dst, t, [*outer, *rest]), align=1)


def _index_at(ctx: Context, idx: ir.Value, it: Array, p: ir.Value) -> ir.Value:
    b = ctx.builder
    return load_element(ctx, unchecked_pointer(b, idx, it, [p]), it.dtype)


# ------------------------------------------------------------------ a[index]


def fancy_get(gen: FunctionLowerer, e: F.FancyGet) -> ir.Value:
    ctx = gen.arrays
    b = gen.b
    t, it = e.array.type, e.index.type
    assert isinstance(t, Array) and isinstance(it, Array) and isinstance(e.type, Array)
    with operand(ctx, e.array) as arr, operand(ctx, e.index) as idx:
        rest = [dim_of(b, arr, k) for k in range(it.ndim if e.kind == "mask" else 1, t.ndim)]
        if e.kind == "mask":
            check_mask_shape(ctx, arr, idx, it.ndim)
            count = count_true(ctx, idx, it)
        else:
            count = dim_of(b, idx, 0)
        out = new.new_array(ctx, e.type, [count, *rest], zero=False)
        ctx.pending.append(owner_of(b, out))
        pos = counter(ctx, "pos")
        data = data_of(b, out)
        if e.kind == "mask":
            with nested_loops(b, [dim_of(b, idx, k) for k in range(it.ndim)]) as outer:
                with b.if_then(truth_at(ctx, idx, it, outer)):
                    copy_block(ctx, arr, t, outer, data, pos)
        else:
            dim = dim_of(b, arr, 0)
            with counted_loop(b, count, name="take") as p:
                i = checked_index(ctx, _index_at(ctx, idx, it, p), dim)
                copy_block(ctx, arr, t, [i], data, pos)
        ctx.pending.pop()
    return out


# ------------------------------------------------------------- a[index] = v


def fancy_set(gen: FunctionLowerer, s: F.FancySet) -> None:
    ctx = gen.arrays
    b = gen.b
    t, it = s.array.type, s.index.type
    assert isinstance(t, Array) and isinstance(it, Array)
    value = gen.expr(s.value)
    with operand(ctx, s.array) as arr, operand(ctx, s.index) as idx:
        if s.kind == "mask":
            check_mask_shape(ctx, arr, idx, it.ndim)
        if isinstance(s.value.type, Array):
            _set_from_array(ctx, s, arr, idx, value)
            return
        ctx.check_overflow()
        if s.stored is not None:  # the conversion to the element (typed IR)
            ctx.elements.append(value)
            try:
                value = gen.expr(s.stored)
            finally:
                ctx.elements.pop()
        stored = convert_for_store(ctx, value, t.dtype)
        if s.kind == "mask":
            with nested_loops(b, [dim_of(b, idx, k) for k in range(it.ndim)]) as outer:
                with b.if_then(truth_at(ctx, idx, it, outer)):
                    fill_block(ctx, arr, t, outer, stored)
            return
        dim = dim_of(b, arr, 0)
        _check_all(ctx, idx, it, dim)
        with counted_loop(b, dim_of(b, idx, 0), name="put") as p:
            i = checked_index(ctx, _index_at(ctx, idx, it, p), dim)
            fill_block(ctx, arr, t, [i], stored)


def _check_all(ctx: Context, idx: ir.Value, it: Array, dim: ir.Value) -> None:
    """Every index checked before the first store (NumPy leaves the array untouched)."""
    with counted_loop(ctx.builder, dim_of(ctx.builder, idx, 0), name="check") as p:
        checked_index(ctx, _index_at(ctx, idx, it, p), dim)


def _set_from_array(ctx: Context, s: F.FancySet, arr: ir.Value, idx: ir.Value,
                    src: ir.Value) -> None:
    """``a[index] = v`` with a 1-d ``v``: its length is the number of selected items, or
    1 (broadcast); the mask covers every axis, the int indices a 1-d array."""
    b = ctx.builder
    t, it = s.array.type, s.index.type
    assert isinstance(t, Array) and isinstance(it, Array)
    vt = s.value.type
    assert isinstance(vt, Array)
    elem = storage_type(t.dtype)
    have = dim_of(b, src, 0)
    count = count_true(ctx, idx, it) if s.kind == "mask" else dim_of(b, idx, 0)
    bad = b.and_(b.icmp_signed("!=", have, count), b.icmp_signed("!=", have, ir.Constant(I64, 1)))
    with unlikely(ctx, bad):
        if s.kind == "mask":
            raise_format(ctx, "ember.mask_assign_error", "ValueError", MASK_ASSIGN_MESSAGE,
                         [have, count])
        else:
            raise_format(ctx, "ember.take_assign_error", "ValueError", TAKE_ASSIGN_MESSAGE,
                         [have, count])
    # v[0] for every item when v has one; else v[j], j counting the selected items.
    step = b.zext(b.icmp_signed("!=", have, ir.Constant(I64, 1)), I64)
    pos = counter(ctx, "from")

    def store_next(dst_ptr: ir.Value) -> None:
        j = bump(b, pos, step)
        raw = b.load(unchecked_pointer(b, src, vt, [j]), typ=elem, align=1)
        b.store(raw, dst_ptr, align=1)

    if s.kind == "mask":
        with nested_loops(b, [dim_of(b, idx, k) for k in range(it.ndim)]) as outer:
            with b.if_then(truth_at(ctx, idx, it, outer)):
                store_next(unchecked_pointer(b, arr, t, outer))
        return
    dim = dim_of(b, arr, 0)
    _check_all(ctx, idx, it, dim)
    with counted_loop(b, count, name="put") as p:
        i = checked_index(ctx, _index_at(ctx, idx, it, p), dim)
        store_next(unchecked_pointer(b, arr, t, [i]))
