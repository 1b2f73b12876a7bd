"""The complex parts of matrix products (codegen/matmul.py picks them for a complex64 or
complex128 result): BLAS's complex routines, called as NumPy calls them, and the
compiled kernel in complex arithmetic::

    large gemm       → cblas_zgemm / cblas_cgemm (alpha = 1, beta = 0 passed by address)
    matrix @ vector  → cblas_zgemv / cblas_cgemv (codegen/matvec.py, scalars by address)
    dot, inner       → cblas_zdotu_sub;  vdot → cblas_zdotc_sub (conjugates x)
    small products   → :func:`kernel`: C[i, j] += A[i, p] * B[p, j] with CPython's complex
                       product (re = ar*br - ai*bi, im = ar*bi + ai*br), in the result's
                       precision (float parts for complex64, as cgemm computes);
                       ``conj``: A's elements conjugated first (vdot)

A complex element is its storage pair ``{re, im}`` (NumPy's layout).
"""

from __future__ import annotations

from typing import Protocol

import llvmlite.ir as ir

from ember.native.boundary.capi import extern_function
from ember.native.boundary.llvm import F32, F64, I8, I64, PTR, VOID, storage_type
from ember.native.codegen.array_access import counted_loop
from ember.native.codegen.casts import cast_element
from ember.native.types import DType

#: The kernel's block of B (KB rows x JB columns of complex128: 512 KiB, L2-sized).
JB = 128
KB = 128


class Strided(Protocol):
    """A strided matrix view (codegen/matmul.py's Mat)."""

    data: ir.Value
    rows: ir.Value
    cols: ir.Value
    srow: ir.Value
    scol: ir.Value


def blas_prefix(dtype: DType) -> str:
    """BLAS's letter for ``dtype``: ``d s z c``."""
    if dtype.kind == "c":
        return "z" if dtype.itemsize == 16 else "c"
    return "d" if dtype.itemsize == 8 else "s"


def scalar(module: ir.Module, dtype: DType, value: float) -> ir.Value:
    """The address of a constant complex ``value + 0j`` of ``dtype`` (BLAS takes complex
    alpha and beta by address): one private global per module and value."""
    name = f"ember.blas.{blas_prefix(dtype)}.{'one' if value else 'zero'}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    ty = storage_type(dtype)
    part = F32 if dtype.itemsize == 8 else F64
    g = ir.GlobalVariable(module, ty, name)
    g.linkage = "private"
    g.global_constant = True
    g.initializer = ir.Constant(ty, [ir.Constant(part, value), ir.Constant(part, 0.0)])
    return g


def load_as(b: ir.IRBuilder, ptr: ir.Value, src: DType, dst: DType) -> ir.Value:
    """One element of ``src`` (real or complex) as a complex storage pair of ``dst``."""
    raw = b.load(ptr, typ=storage_type(src), align=1)
    return cast_element(b, raw, src, dst)


def at(b: ir.IRBuilder, x: Strided, i: ir.Value, j: ir.Value) -> ir.Value:
    off = b.add(b.mul(i, x.srow), b.mul(j, x.scol))
    return b.gep(x.data, [off], source_etype=I8)


def block(b: ir.IRBuilder, index: ir.Value, size: int, total: ir.Value) -> tuple[ir.Value, ir.Value]:
    start = b.mul(index, ir.Constant(I64, size))
    rest = b.sub(total, start)
    return start, b.select(b.icmp_signed("<", rest, ir.Constant(I64, size)), rest, ir.Constant(I64, size))


def count(b: ir.IRBuilder, total: ir.Value, size: int) -> ir.Value:
    return b.sdiv(b.add(total, ir.Constant(I64, size - 1)), ir.Constant(I64, size))


def kernel(b: ir.IRBuilder, left: Strided, right: Strided, out: Strided,
           dtypes: tuple[DType, DType, DType], conj: bool = False) -> None:
    """``out += left · right`` in complex arithmetic, any layouts and operand dtypes
    (each converted to the result dtype as it is read); blocked like the real kernel
    (codegen/matmul.py), each C[i, j] summed over p in order."""
    ld, rd, dtype = dtypes
    m, n, k = left.rows, right.cols, left.cols
    with counted_loop(b, count(b, n, JB), name="zjblock") as jblk, \
            counted_loop(b, count(b, k, KB), name="zpblock") as pblk:
        j0, width = block(b, jblk, JB, n)
        p0, depth = block(b, pblk, KB, k)
        with counted_loop(b, m, name="zi") as i, counted_loop(b, depth, name="zp") as pr:
            p = b.add(p0, pr)
            a = load_as(b, at(b, left, i, p), ld, dtype)
            ar, ai = b.extract_value(a, 0), b.extract_value(a, 1)
            if conj:
                ai = b.fneg(ai)
            with counted_loop(b, width, name="zj") as jr:
                j = b.add(j0, jr)
                x = load_as(b, at(b, right, p, j), rd, dtype)
                xr, xi = b.extract_value(x, 0), b.extract_value(x, 1)
                slot = at(b, out, i, j)
                acc = b.load(slot, typ=storage_type(dtype), align=1)
                re = b.fadd(b.extract_value(acc, 0), b.fsub(b.fmul(ar, xr), b.fmul(ai, xi)))
                im = b.fadd(b.extract_value(acc, 1), b.fadd(b.fmul(ar, xi), b.fmul(ai, xr)))
                b.store(b.insert_value(b.insert_value(acc, re, 0), im, 1), slot, align=1)


def gemm(b: ir.IRBuilder, symbol: str, bits: int, args: list[ir.Value], dtype: DType) -> None:
    """``cblas_?gemm(order, ta, tb, m, n, k, &one, A, lda, B, ldb, &zero, C, ldc)``:
    ``args`` are the real gemm's arguments with alpha and beta left out."""
    it = ir.IntType(bits)
    i32 = ir.IntType(32)
    fn = extern_function(b.module, symbol, VOID,
                         [i32, i32, i32, it, it, it, PTR, PTR, it, PTR, it, PTR, PTR, it])
    order, ta, tb, m, n, k, a, lda, c, ldc, out, ldo = args
    b.call(fn, [order, ta, tb, m, n, k, scalar(b.module, dtype, 1.0), a, lda, c, ldc,
                scalar(b.module, dtype, 0.0), out, ldo])


def dot(b: ir.IRBuilder, symbol: str, bits: int, args: list[ir.Value], result: ir.Value) -> None:
    """``cblas_?dot?_sub(n, x, incx, y, incy, &result)``."""
    it = ir.IntType(bits)
    fn = extern_function(b.module, symbol, VOID, [it, PTR, it, PTR, it, PTR])
    b.call(fn, [*args, result])
