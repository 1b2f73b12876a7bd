"""``np.matmul`` / ``@`` of stacked n-d arrays: (..., m, k) @ (..., k, n), the leading
("batch") axes broadcast as NumPy's gufunc loop does; each batch is one product of
:mod:`ember.native.codegen.matmul` (BLAS or the kernel). A 1-D operand has no batch axes::

    (2, 1, 3, 4) @ (5, 4, 6) → (2, 5, 3, 6)        (3,) @ (2, 3, 5) → (2, 5)

NumPy's order of checks: the core dimension first, then the batch broadcast (its
"operands could not be broadcast together with remapped shapes" text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import format_error_helper
from ember.native.boundary.llvm import I8, I64
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import data_of, dim_of, nested_loops, stride_of
from ember.native.codegen.arrays import operand
from ember.native.codegen.matmul import Mat, check_core, compute, matmul, result_dtype
from ember.native.ir import linalg as L
from ember.native.types import Array

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer


def _core(b: ir.IRBuilder, v: ir.Value, t: Array, side: str) -> Mat:
    """The last one or two axes of ``v`` as a matrix (data: batch 0)."""
    item = ir.Constant(I64, t.dtype.itemsize)
    one = ir.Constant(I64, 1)
    last = t.ndim - 1
    if t.ndim == 1 and side == "left":
        return Mat(data_of(b, v), one, dim_of(b, v, 0), item, stride_of(b, v, 0))
    if t.ndim == 1:
        return Mat(data_of(b, v), dim_of(b, v, 0), one, stride_of(b, v, 0), item)
    return Mat(data_of(b, v), dim_of(b, v, last - 1), dim_of(b, v, last),
               stride_of(b, v, last - 1), stride_of(b, v, last))


def _shape_fmt(ndim: int) -> str:
    return "(" + ",".join(["%ld"] * ndim) + ("," if ndim == 1 else "") + ")"


def _broadcast_error(gen: FunctionLowerer, a: ir.Value, c: ir.Value, lt: Array, rt: Array,
                     m: ir.Value, n: ir.Value) -> None:
    b = gen.b

    def remapped(t: Array) -> str:
        return "(" + ",".join(["%ld"] * (t.ndim - 2) + ["newaxis"] * 2) + ")"

    fmt = ("operands could not be broadcast together with remapped shapes [original->remapped]: "
           f"{_shape_fmt(lt.ndim)}->{remapped(lt)} {_shape_fmt(rt.ndim)}->{remapped(rt)}  "
           "and requested shape (%ld,%ld)")
    args = ([dim_of(b, a, d) for d in range(lt.ndim)] + [dim_of(b, a, d) for d in range(lt.ndim - 2)]
            + [dim_of(b, c, d) for d in range(rt.ndim)] + [dim_of(b, c, d) for d in range(rt.ndim - 2)]
            + [m, n])
    helper = format_error_helper(b.module, f"ember.matmul_broadcast_{lt.ndim}{rt.ndim}_error",
                                 "ValueError", fmt, [I64] * len(args))
    b.call(helper, args)
    gen.arrays.fail()


def product(gen: FunctionLowerer, e: L.MatMul) -> ir.Value:
    """The lowering rule of :class:`MatMul` (codegen/function.py's table): stacked
    operands here, 1-D/2-D ones by :func:`ember.native.codegen.matmul.matmul`."""
    lt, rt = e.left.type, e.right.type
    assert isinstance(lt, Array) and isinstance(rt, Array)
    return stacked(gen, e) if max(lt.ndim, rt.ndim) > 2 else matmul(gen, e)


def stacked(gen: FunctionLowerer, e: L.MatMul) -> ir.Value:
    """``e.left @ e.right`` with at least one operand of 3 or more dimensions."""
    ctx, b = gen.arrays, gen.b
    lt, rt = e.left.type, e.right.type
    assert isinstance(lt, Array) and isinstance(rt, Array) and isinstance(e.type, Array)
    dtype = result_dtype(e)
    item = ir.Constant(I64, dtype.itemsize)
    one, zero = ir.Constant(I64, 1), ir.Constant(I64, 0)
    bl, br = max(lt.ndim - 2, 0), max(rt.ndim - 2, 0)
    nb = max(bl, br)
    with operand(ctx, e.left) as a, operand(ctx, e.right) as c:
        left, right = _core(b, a, lt, "left"), _core(b, c, rt, "right")
        check_core(gen, e, a, c, left, right)
        m, n = left.rows, right.cols
        batch: list[ir.Value] = []
        axes: list[tuple[ir.Value, ir.Value, ir.Value, ir.Value]] = []
        bad: ir.Value = ir.Constant(ir.IntType(1), 0)
        for t in range(nb):
            da = dim_of(b, a, t - (nb - bl)) if t >= nb - bl else one
            db = dim_of(b, c, t - (nb - br)) if t >= nb - br else one
            sa = stride_of(b, a, t - (nb - bl)) if t >= nb - bl else zero
            sb = stride_of(b, c, t - (nb - br)) if t >= nb - br else zero
            clash = b.and_(b.icmp_signed("!=", da, db),
                           b.and_(b.icmp_signed("!=", da, one), b.icmp_signed("!=", db, one)))
            bad = b.or_(bad, clash)
            batch.append(b.select(b.icmp_signed("==", da, one), db, da))
            axes.append((da, sa, db, sb))
        with b.if_then(bad, likely=False):
            _broadcast_error(gen, a, c, lt, rt, m, n)
        shape = batch + ([m] if lt.ndim >= 2 else []) + ([n] if rt.ndim >= 2 else [])
        result = new.new_array(ctx, Array(dtype, len(shape), "C"), shape, zero=True)
        block = b.mul(b.mul(m, n), item)
        with nested_loops(b, batch) as index:
            off_a, off_b, flat = zero, zero, zero
            for (da, sa, db, sb), i, size in zip(axes, index, batch, strict=True):
                off_a = b.add(off_a, b.mul(b.select(b.icmp_signed("==", da, one), zero, i), sa))
                off_b = b.add(off_b, b.mul(b.select(b.icmp_signed("==", db, one), zero, i), sb))
                flat = b.add(b.mul(flat, size), i)
            at_a = left._replace(data=b.gep(left.data, [off_a], source_etype=I8))
            at_b = right._replace(data=b.gep(right.data, [off_b], source_etype=I8))
            out = Mat(b.gep(data_of(b, result), [b.mul(flat, block)], source_etype=I8), m, n,
                      b.mul(n, item), item)
            compute(b, at_a, at_b, out, (lt.dtype, rt.dtype, dtype))
    return result
