"""One row of a reduction along the innermost axis, in registers: ``x.max(axis=-1)``,
``x.all(axis=1)``, an int ``x.sum(axis=1)``. One private function per (op, dtypes)::

    double @ember.row.max.float64.float64(ptr p, i64 n, i64 stride, double init)

returns ``init op p[0] op p[1] ... op p[n-1]`` with :func:`axis_reductions.combine`'s
rule, in index order. Why a function of its own: the generic loop reads and writes the
output element through memory on every step (the output may alias the input as far as
LLVM knows), which keeps it scalar; here the accumulator is a register, so LLVM
vectorises the int, and/or reductions, and a contiguous float ``min``/``max`` runs as an
explicit vector loop.

Float min/max keep NumPy's exact answer: the vector loop computes the largest number
with ordered compares (lanes never take a NaN) and notes whether any element (or
``init``) is NaN. A nonzero result without NaN has one bit pattern, whatever the order
of comparisons, so it is the answer; a NaN or a zero result (where NumPy's rule picks
the sign of a tie and the first NaN) runs the exact scalar loop over the row again.
llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Callable

import llvmlite.ir as ir

from ember.native.boundary.llvm import F32, I1, I8, I64, PTR, storage_type
from ember.native.types import DType

#: Elements per vector step of the float min/max loop (two AVX-512 or four AVX2 registers
#: of doubles; LLVM splits the vector to what the CPU has).
WIDTH = {4: 16, 8: 8}


def _k(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


Combine = Callable[[ir.IRBuilder, str, ir.Value, ir.Value, DType], ir.Value]
Load = Callable[[ir.IRBuilder, ir.Value], ir.Value]


def row_function(module: ir.Module, op: str, src: DType, acc: DType, combine: Combine,
                 load: Load) -> ir.Function:
    """The row kernel of ``op`` (see the module docstring); ``combine(b, op, acc, x,
    dtype)`` and ``load(b, ptr)`` (one element of ``src``, as ``acc``; the same for
    every call with these dtypes and op) are the reduction's element rules."""
    name = f"ember.row.{op}.{src.name}.{acc.name}"
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    aty = storage_type(acc)
    fn = ir.Function(module, ir.FunctionType(aty, [PTR, I64, I64, aty]), name)
    fn.linkage = "private"
    p, n, stride, init = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    sty = storage_type(src)

    def scalar_loop(start: ir.Value, first: ir.Value, unit: bool) -> ir.Value:
        """first op p[start] op ... op p[n - 1], in order."""
        head = b.block
        loop = fn.append_basic_block("row.loop")
        done = fn.append_basic_block("row.done")
        b.cbranch(b.icmp_signed("<", start, n), loop, done)
        b.position_at_end(loop)
        i = b.phi(I64)
        a = b.phi(aty)
        i.add_incoming(start, head)
        a.add_incoming(first, head)
        ptr = (b.gep(p, [i], inbounds=True, source_etype=sty) if unit
               else b.gep(p, [b.mul(i, stride)], source_etype=I8))
        new = combine(b, op, a, load(b, ptr), acc)
        nxt = b.add(i, _k(1))
        i.add_incoming(nxt, b.block)
        a.add_incoming(new, b.block)
        b.cbranch(b.icmp_signed("<", nxt, n), loop, done)
        end = b.block
        b.position_at_end(done)
        out = b.phi(aty)
        out.add_incoming(first, head)
        out.add_incoming(new, end)
        return out

    unit = b.icmp_signed("==", stride, _k(src.itemsize))
    contiguous = fn.append_basic_block("contiguous")
    strided = fn.append_basic_block("strided")
    b.cbranch(unit, contiguous, strided)
    b.position_at_end(strided)
    b.ret(scalar_loop(_k(0), init, unit=False))
    b.position_at_end(contiguous)
    if op in ("min", "max") and src.kind == "f" and src == acc:
        b.ret(_float_extreme(b, fn, op, p, n, init, sty, lambda: scalar_loop(
            _k(0), init, unit=True)))
    else:
        b.ret(scalar_loop(_k(0), init, unit=True))
    return fn


def _float_extreme(b: ir.IRBuilder, fn: ir.Function, op: str, p: ir.Value, n: ir.Value,
                   init: ir.Value, ty: ir.Type, exact: Callable[[], ir.Value]) -> ir.Value:
    """The contiguous float min/max: the vector loop, then the exact loop when the
    answer may depend on the order (a NaN seen, or a zero result)."""
    width = WIDTH[4 if ty == F32 else 8]
    vty = ir.VectorType(ty, width)
    mty = ir.VectorType(I1, width)
    cmp = ">" if op == "max" else "<"
    head = b.block
    vloop = fn.append_basic_block("vec.loop")
    vdone = fn.append_basic_block("vec.done")
    blocks = b.and_(n, _k(-width))
    splat = b.insert_element(ir.Constant(vty, ir.Undefined), init, _k(0))
    splat = b.shuffle_vector(splat, ir.Constant(vty, ir.Undefined),
                             ir.Constant(ir.VectorType(ir.IntType(32), width), [0] * width))
    no_nan = ir.Constant(mty, [0] * width)
    b.cbranch(b.icmp_signed(">", blocks, _k(0)), vloop, vdone)
    b.position_at_end(vloop)
    i = b.phi(I64)
    m = b.phi(vty)
    seen = b.phi(mty)
    i.add_incoming(_k(0), head)
    m.add_incoming(splat, head)
    seen.add_incoming(no_nan, head)
    x = b.load(b.gep(p, [i], inbounds=True, source_etype=ty), typ=vty, align=1)
    m2 = b.select(b.fcmp_ordered(cmp, x, m), x, m)
    seen2 = b.or_(seen, b.fcmp_unordered("uno", x, x))
    nxt = b.add(i, _k(width))
    i.add_incoming(nxt, vloop)
    m.add_incoming(m2, vloop)
    seen.add_incoming(seen2, vloop)
    b.cbranch(b.icmp_signed("<", nxt, blocks), vloop, vdone)
    b.position_at_end(vdone)
    vm = b.phi(vty)
    vm.add_incoming(splat, head)
    vm.add_incoming(m2, vloop)
    vs = b.phi(mty)
    vs.add_incoming(no_nan, head)
    vs.add_incoming(seen2, vloop)
    best = b.extract_element(vm, _k(0))
    any_nan = b.extract_element(vs, _k(0))
    for j in range(1, width):
        lane = b.extract_element(vm, _k(j))
        best = b.select(b.fcmp_ordered(cmp, lane, best), lane, best)
        any_nan = b.or_(any_nan, b.extract_element(vs, _k(j)))
    return _tail_and_check(b, fn, cmp, p, n, init, ty, blocks, best, any_nan, exact)


def _tail_and_check(b: ir.IRBuilder, fn: ir.Function, cmp: str, p: ir.Value, n: ir.Value,
                    init: ir.Value, ty: ir.Type, blocks: ir.Value, best: ir.Value,
                    any_nan: ir.Value, exact: Callable[[], ir.Value]) -> ir.Value:
    """The elements after the vector blocks, in the same ordered-compare rule; then the
    exact loop instead when a NaN was seen or the answer is a zero."""
    tail_head = b.block
    tloop = fn.append_basic_block("tail.loop")
    tdone = fn.append_basic_block("tail.done")
    b.cbranch(b.icmp_signed("<", blocks, n), tloop, tdone)
    b.position_at_end(tloop)
    k = b.phi(I64)
    t = b.phi(ty)
    tn = b.phi(I1)
    k.add_incoming(blocks, tail_head)
    t.add_incoming(best, tail_head)
    tn.add_incoming(any_nan, tail_head)
    y = b.load(b.gep(p, [k], inbounds=True, source_etype=ty), typ=ty, align=1)
    t2 = b.select(b.fcmp_ordered(cmp, y, t), y, t)
    tn2 = b.or_(tn, b.fcmp_unordered("uno", y, y))
    k2 = b.add(k, _k(1))
    k.add_incoming(k2, tloop)
    t.add_incoming(t2, tloop)
    tn.add_incoming(tn2, tloop)
    b.cbranch(b.icmp_signed("<", k2, n), tloop, tdone)
    b.position_at_end(tdone)
    fast = b.phi(ty)
    fast.add_incoming(best, tail_head)
    fast.add_incoming(t2, tloop)
    nan_seen = b.phi(I1)
    nan_seen.add_incoming(any_nan, tail_head)
    nan_seen.add_incoming(tn2, tloop)
    nan_seen = b.or_(nan_seen, b.fcmp_unordered("uno", init, init))
    redo = b.or_(nan_seen, b.fcmp_ordered("==", fast, ir.Constant(ty, 0.0)))
    quick = b.block
    again = fn.append_basic_block("exact")
    done = fn.append_basic_block("extreme.done")
    b.cbranch(redo, again, done)
    b.position_at_end(again)
    slow = exact()
    slow_end = b.block
    b.branch(done)
    b.position_at_end(done)
    out = b.phi(ty)
    out.add_incoming(fast, quick)
    out.add_incoming(slow, slow_end)
    return out
