"""Matrix-vector products through BLAS ``?gemv``, as NumPy's matmul makes them: a
product whose result has one row (vector @ matrix) or one column (matrix @ vector)
goes to ``cblas_?gemv`` instead of gemm (OpenBLAS's gemm with n = 1 is ~4x slower
than its gemv), with NumPy's own arguments, so the result is NumPy's bit for bit::

    A (m x k) @ x (k)  →  cblas_dgemv(ColMajor, Trans, k, m, 1, A, lda, x, incx, 0, y, 1)
                          (A C-ordered; RowMajor for an F-ordered A: a.T @ x)
    x (k) @ B (k x n)  →  the same with A = B.T (n x k)

Called by :func:`ember.native.codegen.matmul.compute` for large products (m·n·k >
SMALL) of operands already in the result dtype; :func:`applies` is the run-time test
(NumPy's ``is_blasable2d`` for the matrix and the vector).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import llvmlite.ir as ir

from ember.native.boundary.capi import extern_function
from ember.native.boundary.llvm import F32, F64, I32, I64, PTR, VOID
from ember.native.codegen.matmul_complex import scalar
from ember.native.types import DType

_ROW_MAJOR, _COL_MAJOR, _TRANS = 101, 102, 112


class Operand(NamedTuple):
    """One side of y = A · x: A (rows x cols, byte strides) and x (byte stride)."""

    data: ir.Value
    rows: ir.Value
    cols: ir.Value
    srow: ir.Value
    scol: ir.Value
    vec: ir.Value
    inc: ir.Value
    out_inc: ir.Value


def _blasable(b: ir.IRBuilder, s1: ir.Value, s2: ir.Value, d2: ir.Value, item: ir.Value) -> ir.Value:
    """NumPy's ``is_blasable2d(s1, s2, d1, d2, item)``: unit second stride, first a
    multiple of the item at least d2 items (BLAS_MAXSIZE aside: sizes are 64-bit here)."""
    one = ir.Constant(I64, 1)
    wide = b.select(b.icmp_signed(">", d2, one), d2, one)
    return b.and_(b.and_(b.icmp_signed("==", s2, item),
                         b.icmp_signed("==", b.srem(s1, item), ir.Constant(I64, 0))),
                  b.icmp_signed(">=", s1, b.mul(wide, item)))


def _either(b: ir.IRBuilder, x: Operand, item: ir.Value) -> ir.Value:
    return b.or_(_blasable(b, x.srow, x.scol, x.cols, item), _blasable(b, x.scol, x.srow, x.rows, item))


class Strided(Protocol):
    """A strided matrix view (codegen/matmul.py's Mat)."""

    data: ir.Value
    rows: ir.Value
    cols: ir.Value
    srow: ir.Value
    scol: ir.Value


def choose(b: ir.IRBuilder, left: Strided, right: Strided, out: Strided, item: ir.Value
           ) -> tuple[ir.Value, Operand]:
    """(applies, the gemv operands): NumPy's choice, vector @ matrix first (m == 1), then
    matrix @ vector (n == 1), each only when the matrix and the vector are blasable."""
    one = ir.Constant(I64, 1)
    lt, rt, ot = left, right, out
    vm = Operand(rt.data, rt.cols, rt.rows, rt.scol, rt.srow, lt.data, lt.scol, ot.scol)
    mv = Operand(lt.data, lt.rows, lt.cols, lt.srow, lt.scol, rt.data, rt.srow, ot.srow)
    vm_ok = b.and_(b.icmp_signed("==", lt.rows, one), _either(b, vm, item))
    vm_ok = b.and_(vm_ok, _blasable(b, vm.inc, item, one, item))
    mv_ok = b.and_(b.icmp_signed("==", rt.cols, one), _either(b, mv, item))
    mv_ok = b.and_(mv_ok, _blasable(b, mv.inc, item, one, item))
    picked = Operand(*(b.select(vm_ok, p, q) for p, q in zip(vm, mv, strict=True)))
    return b.or_(vm_ok, mv_ok), picked


def gemv(b: ir.IRBuilder, symbol: str, bits: int, x: Operand, out_data: ir.Value, dtype: DType) -> None:
    """``y = A · x`` by ``cblas_?gemv`` with NumPy's order/trans/leading dimension."""
    item = ir.Constant(I64, dtype.itemsize)
    it = ir.IntType(bits)
    ft = F64 if dtype.itemsize == 8 else F32
    one: ir.Value = ir.Constant(ft, 1.0)
    zero: ir.Value = ir.Constant(ft, 0.0)
    if dtype.kind == "c":  # cblas_zgemv / cgemv take alpha and beta by address
        ft = PTR
        one, zero = scalar(b.module, dtype, 1.0), scalar(b.module, dtype, 0.0)
    fn = extern_function(b.module, symbol, VOID, [I32, I32, it, it, ft, PTR, it, PTR, it, ft, PTR, it])

    def size(v: ir.Value) -> ir.Value:
        return v if bits == 64 else b.trunc(v, it)

    col = _blasable(b, x.srow, x.scol, x.cols, item)  # C-ordered A: ColMajor, else RowMajor
    order = b.select(col, ir.Constant(I32, _COL_MAJOR), ir.Constant(I32, _ROW_MAJOR))
    lda = b.sdiv(b.select(col, x.srow, x.scol), item)
    b.call(fn, [order, ir.Constant(I32, _TRANS), size(x.cols), size(x.rows), one,
                x.data, size(lda), x.vec, size(b.sdiv(x.inc, item)), zero,
                out_data, size(b.sdiv(x.out_inc, item))])
