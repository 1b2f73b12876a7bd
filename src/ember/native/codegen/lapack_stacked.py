"""``np.linalg`` of a stack of matrices (..., m, n): NumPy's gufunc loop. Each matrix
of the stack (in C order of the batch axes) goes through the 2-D rule of
:mod:`ember.native.codegen.lapack` / :mod:`~ember.native.codegen.lapack_decomp` (a view
of it: any strides), and its results are copied into the stacked results, whose shapes
are known before the loop (NumPy's, also for an empty stack)::

    np.linalg.inv(s)     s: (b, n, n)  →  (b, n, n)
    np.linalg.det(s)     s: (b, c, n, n)  →  (b, c)
    np.linalg.svd(s)     s: (b, m, n)  →  (b, m, m), (b, k), (b, n, n)

The first matrix that fails raises NumPy's error (NumPy's loop raises after the whole
stack: the same exception, and no partial result is visible either way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import format_error_helper, py_decref
from ember.native.boundary.llvm import F64, I8, I64, storage_type
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import (
    counted_loop,
    data_of,
    dim_of,
    make_value,
    owner_of,
    stride_of,
    walk_into_c,
)
from ember.native.codegen.arrays import operand
from ember.native.codegen.lapack import SINGULAR, SQUARE, Lapack
from ember.native.ir import linalg as L
from ember.native.ir.nodes import Name
from ember.native.types import FLOAT64, Array, Tuple, Type

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

Rule = Callable[..., ir.Value]


def _core_type(t: Type, batch: int) -> Type:
    """The result type of one matrix of the stack."""
    if isinstance(t, Tuple):
        return Tuple(tuple(_core_type(item, batch) for item in t.items))
    assert isinstance(t, Array)
    return FLOAT64 if t.ndim == batch else Array(t.dtype, t.ndim - batch, "C")


def _core_shapes(b: ir.IRBuilder, e: L.LinAlg, m: ir.Value, n: ir.Value) -> list[list[ir.Value]]:
    """The core shape of each result of ``e`` for one m x n matrix (NumPy's)."""
    k = b.select(b.icmp_signed("<", m, n), m, n)
    if e.func in ("inv", "cholesky"):
        return [[n, n]]
    if e.func == "det":
        return [[]]
    if e.func in ("eigvalsh", "eigvals"):
        return [[n]]
    if e.func in ("eigh", "eig"):
        return [[n], [n, n]]
    if e.func == "svd":
        return {"A": [[m, m], [k], [n, n]], "S": [[m, k], [k], [k, n]], "N": [[k]]}[e.option]
    assert e.func == "qr"
    mc = b.select(b.icmp_signed(">", m, n), m, k) if e.option == "complete" else k
    return [[mc, n]] if e.option == "r" else [[m, mc], [mc, n]]


def stacked(gen: FunctionLowerer, e: L.LinAlg, rule: Rule) -> ir.Value:
    """``e`` of a stack: ``rule`` (the 2-D lowering) per matrix, results gathered."""
    ctx, b = gen.arrays, gen.b
    at = e.args[0].type
    assert isinstance(at, Array)
    batch = at.ndim - 2
    outs_types = list(e.type.items) if isinstance(e.type, Tuple) else [e.type]
    with operand(ctx, e.args[0]) as a:
        dims = [dim_of(b, a, d) for d in range(at.ndim)]
        strides = [stride_of(b, a, d) for d in range(at.ndim)]
        m, n = dims[-2], dims[-1]
        if e.func not in ("svd", "qr"):  # NumPy checks the shape before any matrix
            with b.if_then(b.icmp_signed("!=", m, n), likely=False):
                Lapack(gen, e).raise_linalg(SQUARE)
        start = len(ctx.pending)
        outs = []
        for t, core in zip(outs_types, _core_shapes(b, e, m, n), strict=True):
            assert isinstance(t, Array)
            out = new.new_array(ctx, t, [*dims[:batch], *core], zero=False)
            ctx.pending.append(owner_of(b, out))
            size = ir.Constant(I64, 1)
            for d in core:
                size = b.mul(size, d)
            outs.append((out, t, size))
        core_arg = Name("matrix", Array(at.dtype, 2, "A"), e.span)
        core_e = L.LinAlg(e.func, (core_arg, *e.args[1:]), _core_type(e.type, batch), e.span,
                          e.option)
        with walk_into_c(ctx, dims[:batch]) as (index, k):
            offset = ir.Constant(I64, 0)
            for d in range(batch):
                offset = b.add(offset, b.mul(index[d], strides[d]))
            data = b.gep(data_of(b, a), [offset], source_etype=I8)
            matrix = make_value(b, 2, data, owner_of(b, a), [m, n], strides[batch:])
            r = rule(gen, core_e, matrix, None)
            items = [b.extract_value(r, i) for i in range(len(outs))] if len(outs) > 1 else [r]
            for item, (out, t, size) in zip(items, outs, strict=True):
                _gather(b, item, out, t, size, k)
        del ctx.pending[start:]
    values = [out for out, _, _ in outs]
    if not isinstance(e.type, Tuple):
        return values[0]
    return gen.make_struct(e.type, values)


def _gather(b: ir.IRBuilder, item: ir.Value, out: ir.Value, t: Array, size: ir.Value,
            k: ir.Value) -> None:
    """Copy one matrix's result ``item`` (a new C array of ``size`` items, released
    here; det: a double) to position ``k`` of the stacked result ``out``."""
    ft = storage_type(t.dtype)
    dst = b.gep(data_of(b, out), [b.mul(k, size)], source_etype=ft)
    if item.type == F64:  # det: one number per matrix
        b.store(item if ft == F64 else b.fptrunc(item, ft), dst)
        return
    src = data_of(b, item)
    with counted_loop(b, size, name="gather") as i:
        x = b.load(b.gep(src, [i], source_etype=ft), typ=ft)
        b.store(x, b.gep(dst, [i], source_etype=ft))
    py_decref(b, owner_of(b, item))


def _shape_fmt(ndim: int) -> str:
    return "(" + ",".join(["%ld"] * ndim) + ("," if ndim == 1 else "") + ")"


def stacked_solve(gen: FunctionLowerer, e: L.LinAlg) -> ir.Value:
    """``np.linalg.solve`` with a stack on either side: a (..., m, m) and b (m,) — one
    vector for every matrix — or b (..., m, k), the batch axes broadcast as NumPy's
    gufunc does (its checks in its order: square, core dimension, broadcast)."""
    ctx, b = gen.arrays, gen.b
    at, bt, rt = e.args[0].type, e.args[1].type, e.type
    assert isinstance(at, Array) and isinstance(bt, Array) and isinstance(rt, Array)
    vector = bt.ndim == 1
    na, nb = at.ndim - 2, (0 if vector else bt.ndim - 2)
    batch = max(na, nb)
    with operand(ctx, e.args[0]) as a, operand(ctx, e.args[1]) as c:
        adims = [dim_of(b, a, d) for d in range(at.ndim)]
        bdims = [dim_of(b, c, d) for d in range(bt.ndim)]
        m = adims[-1]
        with b.if_then(b.icmp_signed("!=", adims[-2], m), likely=False):
            Lapack(gen, e).raise_linalg(SQUARE)
        rows = bdims[0] if vector else bdims[-2]
        with b.if_then(b.icmp_signed("!=", rows, m), likely=False):
            sig = "(m,m),(m)->(m)" if vector else "(m,m),(m,n)->(m,n)"
            name = "solve1" if vector else "solve"
            helper = format_error_helper(
                b.module, f"ember.{name}_core_error", "ValueError",
                f"{name}: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
                f"signature {sig} (size %ld is different from %ld)", [I64, I64])
            b.call(helper, [rows, m])
            ctx.fail()
        k = ir.Constant(I64, 1) if vector else bdims[-1]
        out_batch, steps_a, steps_b = _broadcast(gen, e, a, c, adims, bdims, k)
        core = [m] if vector else [m, k]
        out = new.new_array(ctx, rt, [*out_batch, *core], zero=False)
        start = len(ctx.pending)
        ctx.pending.append(owner_of(b, out))
        size = m if vector else b.mul(m, k)
        # One work area for the whole stack, as NumPy's loop reuses its buffers; each
        # solution is written straight into its slot of the result.
        lp = Lapack(gen, e)
        work_a, work_b, pivots = lp.arena([b.mul(m, m), size, m])
        lead, info = lp.slot(lp.at_least_one(m)), lp.slot(0)
        nn, nrhs = lp.slot(m), lp.slot(k)
        ft = storage_type(rt.dtype)
        with walk_into_c(ctx, out_batch) as (index, pos):
            off_a, off_b = ir.Constant(I64, 0), ir.Constant(I64, 0)
            for d in range(batch):
                off_a = b.add(off_a, b.mul(index[d], steps_a[d]))
                off_b = b.add(off_b, b.mul(index[d], steps_b[d]))
            mat = make_value(b, 2, b.gep(data_of(b, a), [off_a], source_etype=I8), owner_of(b, a),
                             [m, m], [stride_of(b, a, at.ndim - 2), stride_of(b, a, at.ndim - 1)])
            rshape = core
            rstrides = [stride_of(b, c, d) for d in range(bt.ndim - len(core), bt.ndim)]
            rhs = make_value(b, len(core), b.gep(data_of(b, c), [off_b], source_etype=I8),
                             owner_of(b, c), rshape, rstrides)
            lp.fortran(mat, Array(at.dtype, 2, "A"), work_a)
            lp.fortran(rhs, Array(bt.dtype, len(core), "A"), work_b)
            lp.call("dgesv", [nn, nrhs, work_a, lead, pivots, work_b, lead, info])
            lp.check(info, SINGULAR)
            dst = b.gep(data_of(b, out), [b.mul(pos, size)], source_etype=ft)
            lp.store(rt.dtype, work_b, m, None if vector else k, lp.at_least_one(m), dst)
        lp.done()
        del ctx.pending[start:]
    return out


def _broadcast(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, c: ir.Value, adims: list[ir.Value],
               bdims: list[ir.Value], k: ir.Value) -> tuple[list[ir.Value], list[ir.Value], list[ir.Value]]:
    """The broadcast batch shape of solve's operands and each one's byte step along it
    (0 where it has size 1 or lacks the axis); NumPy's ValueError when they differ."""
    b, ctx = gen.b, gen.arrays
    at, bt = e.args[0].type, e.args[1].type
    assert isinstance(at, Array) and isinstance(bt, Array)
    vector = bt.ndim == 1
    na, nb = at.ndim - 2, (0 if vector else bt.ndim - 2)
    batch = max(na, nb)
    m = adims[-1]
    one = ir.Constant(I64, 1)
    out_batch, steps_a, steps_b = [], [], []
    bad = ir.Constant(ir.IntType(1), 0)
    for d in range(batch):  # aligned from the right, as NumPy broadcasts
        ia, ib = d - (batch - na), d - (batch - nb)
        da = adims[ia] if ia >= 0 else one
        db = bdims[ib] if ib >= 0 else one
        sa = stride_of(b, a, ia) if ia >= 0 else ir.Constant(I64, 0)
        sb = stride_of(b, c, ib) if ib >= 0 else ir.Constant(I64, 0)
        bad = b.or_(bad, b.and_(b.icmp_signed("!=", da, db),
                                b.and_(b.icmp_signed("!=", da, one), b.icmp_signed("!=", db, one))))
        out_batch.append(b.select(b.icmp_signed("==", da, one), db, da))
        steps_a.append(b.select(b.icmp_signed("==", da, one), ir.Constant(I64, 0), sa))
        steps_b.append(b.select(b.icmp_signed("==", db, one), ir.Constant(I64, 0), sb))
    if not vector:
        with b.if_then(bad, likely=False):
            def remapped(n: int) -> str:
                return "(" + ",".join(["%ld"] * n + ["newaxis"] * 2) + ")"

            fmt = ("operands could not be broadcast together with remapped shapes "
                   f"[original->remapped]: {_shape_fmt(at.ndim)}->{remapped(na)} "
                   f"{_shape_fmt(bt.ndim)}->{remapped(nb)}  and requested shape (%ld,%ld)")
            args = [*adims, *adims[:na], *bdims, *bdims[:nb], m, k]
            helper = format_error_helper(b.module, f"ember.solve_broadcast_{at.ndim}{bt.ndim}_error",
                                         "ValueError", fmt, [I64] * len(args))
            b.call(helper, args)
            ctx.fail()
    return out_batch, steps_a, steps_b
