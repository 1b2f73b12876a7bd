"""The sort compiled code runs: a stable merge sort, generated in LLVM IR once per
dtype (and per kind: values, or int64 indices ordered by their keys) as a private helper
of the unit::

    void @ember.sort.float64(ptr %a, ptr %tmp, i64 %n, ptr %keys)
    void @ember.argsort.float64(ptr %idx, ptr %tmp, i64 %n, ptr %keys)

Insertion sort of runs of 16, then bottom-up merges between ``a`` and ``tmp`` (n items
each), taking the left item on ties: stable, O(n log n), no recursion. The order is
NumPy's: NaNs after every number (``x < y or (y is NaN and x is not)``), ``-0.0`` and
``0.0`` equal, unsigned and bool compared unsigned. A stable sort is one valid answer of
each of NumPy's kinds, and exactly ``kind='stable'``'s. llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import llvmlite.ir as ir

from ember.native.boundary.capi import extern_function
from ember.native.boundary.llvm import I1, I64, PTR, VOID, storage_type
from ember.native.types import DType

RUN = 16  # insertion-sorted run length before merging


def less_than(b: ir.IRBuilder, x: ir.Value, y: ir.Value, dtype: DType) -> ir.Value:
    """NumPy's sort order on two storage values: an i1, ``x`` before ``y``."""
    if dtype.kind == "f":
        lt = b.fcmp_ordered("<", x, y)
        nan_last = b.and_(b.fcmp_ordered("==", x, x), b.fcmp_unordered("!=", y, y))
        return b.or_(lt, nan_last)
    if dtype.kind == "i":
        return b.icmp_signed("<", x, y)
    return b.icmp_unsigned("<", x, y)


def sort_function(module: ir.Module, dtype: DType, by_key: bool) -> ir.Function:
    """The helper sorting ``n`` storage values of ``dtype`` in place (``by_key``: ``n``
    int64 indices, ordered by ``keys[i]``, a C array of ``dtype``), through ``tmp``
    (room for ``n`` items)."""
    name = f"ember.{'argsort' if by_key else 'sort'}.{dtype.name}"
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR, PTR, I64, PTR]), name)
    fn.linkage = "private"
    a, tmp, n, keys = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    key_ty = storage_type(dtype)
    elem = I64 if by_key else key_ty

    def key(v: ir.Value) -> ir.Value:
        if not by_key:
            return v
        return b.load(b.gep(keys, [v], inbounds=True, source_etype=key_ty), typ=key_ty)

    def less(x: ir.Value, y: ir.Value) -> ir.Value:
        return less_than(b, key(x), key(y), dtype)

    _Body(b, elem, less).build(a, tmp, n)
    b.ret_void()
    return fn


def merge_sort(b: ir.IRBuilder, elem: ir.Type, less: Callable[[ir.Value, ir.Value], ir.Value],
               a: ir.Value, tmp: ir.Value, n: ir.Value, item_size: int,
               alloca_block: ir.Block) -> None:
    """The stable merge sort of ``n`` items of LLVM type ``elem`` (``item_size`` bytes
    each) at ``a`` through ``tmp``, ordered by ``less`` (an i1 of two items), emitted
    at ``b``, its slots in ``alloca_block`` (the function's entry, for mem2reg): what
    list.sort() runs (codegen/lists.py)."""
    body = _Body(b, elem, less, item_size)
    body.entry = alloca_block
    body.build(a, tmp, n)


class _Body:
    """The merge sort's IR, written with local slots (LLVM's mem2reg makes them SSA)."""

    def __init__(self, b: ir.IRBuilder, elem: ir.Type,
                 less: Callable[[ir.Value, ir.Value], ir.Value], item_size: int = 0) -> None:
        self.b, self.elem, self.less = b, elem, less
        self.item_size = item_size or _size(elem)
        self.entry = b.block

    def var(self, init: ir.Value | int, ty: ir.Type = I64) -> ir.Value:
        b = self.b
        with b.goto_block(self.entry):
            b.position_at_start(self.entry)
            slot = b.alloca(ty)
        b.store(ir.Constant(ty, init) if isinstance(init, int) else init, slot)
        return slot

    def get(self, slot: ir.Value, ty: ir.Type = I64) -> ir.Value:
        return self.b.load(slot, typ=ty)

    def at(self, base: ir.Value, i: ir.Value) -> ir.Value:
        return self.b.gep(base, [i], inbounds=True, source_etype=self.elem)

    def load(self, base: ir.Value, i: ir.Value) -> ir.Value:
        return self.b.load(self.at(base, i), typ=self.elem)

    @contextmanager
    def while_(self, cond: Callable[[], ir.Value]) -> Iterator[None]:
        b = self.b
        head = b.append_basic_block("while")
        body = b.append_basic_block("do")
        done = b.append_basic_block("od")
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(cond(), body, done)
        b.position_at_end(body)
        yield
        b.branch(head)
        b.position_at_end(done)

    def min(self, x: ir.Value, y: ir.Value) -> ir.Value:
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def build(self, a: ir.Value, tmp: ir.Value, n: ir.Value) -> None:
        b = self.b
        self.insertion_runs(a, n)
        width = self.var(RUN)
        src, dst = self.var(a, PTR), self.var(tmp, PTR)
        with self.while_(lambda: b.icmp_signed("<", self.get(width), n)):
            w = self.get(width)
            self.merge_pass(self.get(src, PTR), self.get(dst, PTR), n, w)
            s, d = self.get(src, PTR), self.get(dst, PTR)
            b.store(d, src)
            b.store(s, dst)
            b.store(b.shl(w, ir.Constant(I64, 1)), width)
        final = self.get(src, PTR)
        with b.if_then(b.icmp_unsigned("!=", final, a)):
            nbytes = b.mul(n, ir.Constant(I64, self.item_size))
            memcpy = extern_function(b.module, "llvm.memcpy.p0.p0.i64", VOID,
                                     [PTR, PTR, I64, I1])
            b.call(memcpy, [a, final, nbytes, ir.Constant(I1, 0)])

    def insertion_runs(self, a: ir.Value, n: ir.Value) -> None:
        b = self.b
        lo = self.var(0)
        with self.while_(lambda: b.icmp_signed("<", self.get(lo), n)):
            start = self.get(lo)
            hi = self.min(b.add(start, ir.Constant(I64, RUN)), n)
            i = self.var(b.add(start, ir.Constant(I64, 1)))
            with self.while_(lambda: b.icmp_signed("<", self.get(i), hi)):
                iv = self.get(i)
                x = self.load(a, iv)
                j = self.var(iv)

                def shifting() -> ir.Value:
                    jv = self.get(j)
                    more = b.icmp_signed(">", jv, start)
                    go_on = b.append_basic_block("ins.cmp")
                    stop = b.append_basic_block("ins.stop")
                    joined = b.append_basic_block("ins.join")
                    b.cbranch(more, go_on, stop)
                    b.position_at_end(go_on)
                    lt = self.less(x, self.load(a, b.sub(jv, ir.Constant(I64, 1))))
                    cmp_end = b.block
                    b.branch(joined)
                    b.position_at_end(stop)
                    b.branch(joined)
                    b.position_at_end(joined)
                    phi = b.phi(I1)
                    phi.add_incoming(lt, cmp_end)
                    phi.add_incoming(ir.Constant(I1, 0), stop)
                    return phi

                with self.while_(shifting):
                    jv = self.get(j)
                    prev = b.sub(jv, ir.Constant(I64, 1))
                    b.store(self.load(a, prev), self.at(a, jv))
                    b.store(prev, j)
                b.store(x, self.at(a, self.get(j)))
                b.store(b.add(iv, ir.Constant(I64, 1)), i)
            b.store(hi, lo)

    def merge_pass(self, src: ir.Value, dst: ir.Value, n: ir.Value, w: ir.Value) -> None:
        """Merge each pair of sorted runs of ``w`` items of ``src`` into ``dst``."""
        b = self.b
        lo = self.var(0)
        with self.while_(lambda: b.icmp_signed("<", self.get(lo), n)):
            start = self.get(lo)
            mid = self.min(b.add(start, w), n)
            hi = self.min(b.add(mid, w), n)
            i, j, k = self.var(start), self.var(mid), self.var(start)
            with self.while_(lambda: b.icmp_signed("<", self.get(k), hi)):
                iv, jv, kv = self.get(i), self.get(j), self.get(k)
                left_done = b.icmp_signed(">=", iv, mid)
                right_left = b.icmp_signed("<", jv, hi)
                # Clamped loads (never past a run's end) keep the choice branch-free.
                xi = self.load(src, self.min(iv, b.sub(mid, ir.Constant(I64, 1))))
                xj = self.load(src, self.min(jv, b.sub(hi, ir.Constant(I64, 1))))
                right = b.and_(right_left, b.or_(left_done, self.less(xj, xi)))
                b.store(b.select(right, xj, xi), self.at(dst, kv))
                one = ir.Constant(I64, 1)
                b.store(b.add(iv, b.zext(b.not_(right), I64)), i)
                b.store(b.add(jv, b.zext(right, I64)), j)
                b.store(b.add(kv, one), k)
            b.store(b.add(start, b.shl(w, ir.Constant(I64, 1))), lo)


def _size(ty: ir.Type) -> int:
    """The size in bytes of an int or float storage type."""
    if isinstance(ty, ir.IntType):
        return max(1, ty.width // 8)
    return 4 if isinstance(ty, ir.FloatType) else 8
