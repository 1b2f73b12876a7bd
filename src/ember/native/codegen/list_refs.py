"""Lists inside compiled code: allocation and growth through the function's error
exits, moves and copies of items. The header's layout and its reference count are the
boundary's (:mod:`ember.native.boundary.lists`, re-exported here for the list
lowering). Growth doubles the capacity (at least 4, or what is needed if more), so
``n`` appends move O(n) items in all. llvmlite.ir only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.capi import extern_function
from ember.native.boundary.lists import (
    CAP,
    DATA,
    DIRTY,
    LEN,
    NULL,
    PARENT,
    REFCNT,
    alloc_function,
    decref,
    incref,
    item_pointer,
    item_type,
    load,
    mark_dirty,
    size_of,
    store,
)
from ember.native.boundary.llvm import I1, I8, I64, PTR, VOID
from ember.native.codegen.builder import helper_function
from ember.native.types import List

if TYPE_CHECKING:
    from ember.native.codegen.builder import Gen

__all__ = ["CAP", "DATA", "DIRTY", "LEN", "NULL", "PARENT", "REFCNT", "decref", "incref",
           "item_pointer", "item_type", "load", "mark_dirty", "size_of", "store"]


def new_list(gen: Gen, t: List, length: ir.Value) -> ir.Value:
    """A new list of ``length`` items (not set yet; ``length >= 0``), refcount 1;
    MemoryError through the function's error exit."""
    lst = gen.b.call(alloc_function(gen.module), [length, size_of(item_type(t))])
    gen.check_null(lst)
    return lst


def reserve(gen: Gen, t: List, lst: ir.Value, need: ir.Value) -> None:
    """Make room for ``need`` items (the grow helper is cold: LLVM keeps the append
    loop tight); MemoryError through the error exit when realloc fails."""
    b = gen.b
    full = b.icmp_signed(">", need, load(b, lst, CAP))
    grow = gen.block("list.grow")
    done = gen.block("list.room")
    b.cbranch(full, grow, done).set_weights([1, 64])
    b.position_at_end(grow)
    helper = helper_function(gen.module, gen.capi, gen.options, "ember.list.grow", I8,
                             [PTR, I64, I64], _grow_body)
    gen.call_helper(helper, I8, [lst, need, size_of(item_type(t))])
    b.branch(done)
    b.position_at_end(done)


def _grow_body(g: Gen, args: list[ir.Value]) -> ir.Value:
    lst, need, itemsize = args
    b = g.b
    cap = load(b, lst, CAP)
    doubled = b.add(cap, cap)
    new_cap = b.select(b.icmp_signed(">", need, doubled), need, doubled)
    new_cap = b.select(b.icmp_signed("<", new_cap, ir.Constant(I64, 4)), ir.Constant(I64, 4),
                       new_cap)
    g.guard(b.icmp_unsigned(">", new_cap, b.udiv(ir.Constant(I64, 2**62), itemsize)),
            "MemoryError", "")
    realloc = extern_function(g.module, "realloc", PTR, [PTR, I64])
    data = b.call(realloc, [load(b, lst, DATA), b.mul(new_cap, itemsize)])
    g.guard(b.icmp_unsigned("==", data, NULL), "MemoryError", "")
    store(b, lst, DATA, data)
    store(b, lst, CAP, new_cap)
    return ir.Constant(I8, 0)


def move_items(b: ir.IRBuilder, t: List, lst: ir.Value, dst: ir.Value, src: ir.Value,
               count: ir.Value) -> None:
    """``memmove`` of ``count`` items inside ``lst`` from index ``src`` to ``dst``."""
    copy_items(b, t, lst, dst, lst, src, count)


def copy_items(b: ir.IRBuilder, t: List, dst: ir.Value, at_index: ir.Value, src: ir.Value,
               start: ir.Value, count: ir.Value) -> None:
    """``memmove`` of ``count`` items of ``src`` (from ``start``) into ``dst`` at
    ``at_index`` (the buffers may be the same and overlap)."""
    memmove = extern_function(b.module, "llvm.memmove.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
    nbytes = b.mul(count, size_of(item_type(t)))
    b.call(memmove, [item_pointer(b, t, dst, at_index), item_pointer(b, t, src, start), nbytes,
                     ir.Constant(I1, 0)])
