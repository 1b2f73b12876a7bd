"""Lowering of :class:`ember.native.ir.linalg.MatMul`: typed IR → llvmlite.ir.

Every product is one ``C(m×n) = A(m×k) · B(k×n)``: a vector operand is a 1×k row or
a k×1 column (its unused stride set to the itemsize, so it passes BLAS's layout rules),
``inner`` reads B transposed, ``outer`` is k = 1. Then, at run time::

    m·n·k > SMALL, a float result, one row or one column (matrix @ vector)
        → cblas_?gemv with NumPy's arguments (codegen/matvec.py): NumPy's bits
    m·n·k > SMALL, a float result
        → NumPy's own BLAS (boundary/blas.py): cblas_?gemm, transposes and leading
          dimensions taken from the strides (C, F, row/column slices: no copy); an
          operand of another dtype or layout (negative or 2-D strides) is first packed
          into a malloc'ed C copy, as NumPy copies it
    otherwise (small products, ints, no BLAS)
        → the compiled kernel: i-p-j loops over KB×JB blocks of B (one block stays in
          L2 while every row of A passes), each C[i, j] summed over p in order

Two vectors: cblas_?dot when longer than DOT_SMALL with positive strides, else the kernel.
NumPy's float products call BLAS at every size (copying layouts BLAS refuses), so small
products (and dots of negative-stride vectors) can differ from NumPy's in the last bits
(tests: allclose, rtol 1e-12 float64, 1e-5 float32); a large gemm or a long dot is
NumPy's own call with the same arguments, bit for bit. Int products wrap, as NumPy's do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import llvmlite.ir as ir

from ember.native.boundary.blas import Blas, find_blas
from ember.native.boundary.capi import extern_function, format_error_helper
from ember.native.boundary.llvm import C128, F32, F64, I32, I64, PTR, VOID, storage_type
from ember.native.codegen import array_ops as new
from ember.native.codegen import matmul_complex as cplx
from ember.native.codegen import matvec
from ember.native.codegen.array_access import counted_loop, data_of, dim_of, stride_of
from ember.native.codegen.arrays import operand
from ember.native.ir import linalg as L
from ember.native.types import Array, DType

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

#: Products of at most this many multiply-adds (m·n·k) never call BLAS: 16x16x16.
SMALL = 4096
#: Dots of two vectors longer than this call BLAS's ?dot.
DOT_SMALL = 32
#: The kernel's block of B: KB rows by JB columns (128 x 256 float64: 256 KiB, L2).
JB = 256
KB = 128
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112

MATMUL_MESSAGE = ("matmul: Input operand 1 has a mismatch in its core dimension 0, with "
                  "gufunc signature (n?,k),(k,m?)->(n?,m?) (size %ld is different from %ld)")


class Mat(NamedTuple):
    """A strided matrix view: data pointer, rows, columns, byte strides."""

    data: ir.Value
    rows: ir.Value
    cols: ir.Value
    srow: ir.Value
    scol: ir.Value


def _operands(b: ir.IRBuilder, e: L.MatMul, a: ir.Value, c: ir.Value) -> tuple[Mat, Mat]:
    lt, rt = e.left.type, e.right.type
    assert isinstance(lt, Array) and isinstance(rt, Array)
    one = ir.Constant(I64, 1)
    la, lb = ir.Constant(I64, lt.dtype.itemsize), ir.Constant(I64, rt.dtype.itemsize)
    if lt.ndim == 2:
        left = Mat(data_of(b, a), dim_of(b, a, 0), dim_of(b, a, 1), stride_of(b, a, 0), stride_of(b, a, 1))
    elif e.func == "outer":  # a column m×1
        left = Mat(data_of(b, a), dim_of(b, a, 0), one, stride_of(b, a, 0), la)
    else:  # a row 1×k
        left = Mat(data_of(b, a), one, dim_of(b, a, 0), la, stride_of(b, a, 0))
    if rt.ndim == 2 and e.func == "inner":  # B transposed: k×n from n×k
        right = Mat(data_of(b, c), dim_of(b, c, 1), dim_of(b, c, 0), stride_of(b, c, 1), stride_of(b, c, 0))
    elif rt.ndim == 2:
        right = Mat(data_of(b, c), dim_of(b, c, 0), dim_of(b, c, 1), stride_of(b, c, 0), stride_of(b, c, 1))
    elif e.func == "outer":  # a row 1×n
        right = Mat(data_of(b, c), one, dim_of(b, c, 0), lb, stride_of(b, c, 0))
    else:  # a column k×1
        right = Mat(data_of(b, c), dim_of(b, c, 0), one, stride_of(b, c, 0), lb)
    return left, right


def _shape_text(ndim: int) -> str:
    return "(%ld,)" if ndim == 1 else "(%ld,%ld)"


def check_core(gen: FunctionLowerer, e: L.MatMul, a: ir.Value, c: ir.Value, left: Mat, right: Mat) -> None:
    """NumPy's ValueError when the inner dimensions differ."""
    b = gen.b
    lt, rt = e.left.type, e.right.type
    assert isinstance(lt, Array) and isinstance(rt, Array)
    bad = b.icmp_signed("!=", left.cols, right.rows)
    with b.if_then(bad, likely=False):
        if e.func == "matmul":
            fmt, args = MATMUL_MESSAGE, [right.rows, left.cols]
        elif e.func == "vdot":
            fmt, args = "cannot reshape array of size %ld into shape (%ld,)", [right.rows, left.cols]
        else:
            shown = [dim_of(b, a, d) for d in range(lt.ndim)]
            rshape = [dim_of(b, c, d) for d in range(rt.ndim)]
            if e.func == "inner":
                rshape.reverse()  # NumPy reports the transposed shape
            rdim = 0
            fmt = (f"shapes {_shape_text(lt.ndim)} and {_shape_text(rt.ndim)} not aligned: "
                   f"%ld (dim {lt.ndim - 1}) != %ld (dim {rdim})")
            args = [*shown, *rshape, left.cols, right.rows]
        helper = format_error_helper(b.module, f"ember.{e.func}_{lt.ndim}{rt.ndim}_error",
                                     "ValueError", fmt, [I64] * len(args))
        b.call(helper, args)
        gen.arrays.fail()


def matmul(gen: FunctionLowerer, e: L.MatMul) -> ir.Value:
    """``e.func(left, right)``: a new C array, or a scalar for two vectors."""
    ctx, b = gen.arrays, gen.b
    lt, rt = e.left.type, e.right.type
    assert isinstance(lt, Array) and isinstance(rt, Array)
    scalar = not isinstance(e.type, Array)
    dtype = result_dtype(e)
    item = ir.Constant(I64, dtype.itemsize)
    with operand(ctx, e.left) as a, operand(ctx, e.right) as c:
        left, right = _operands(b, e, a, c)
        check_core(gen, e, a, c, left, right)
        m, n = left.rows, right.cols
        if scalar:
            slot = ctx.alloca(storage_type(dtype), name="dot")
            b.store(ir.Constant(storage_type(dtype), None), slot)  # zero (both parts if complex)
            out = Mat(slot, m, n, item, item)
            result: ir.Value = slot
        else:
            shape = ([m] if lt.ndim == 2 or e.func == "outer" else []) + \
                    ([n] if rt.ndim == 2 or e.func == "outer" else [])
            result = new.new_array(ctx, Array(dtype, len(shape), "C"), shape, zero=True)
            out = Mat(data_of(b, result), m, n, b.mul(n, item), item)
        compute(b, left, right, out, (lt.dtype, rt.dtype, dtype), vector=scalar,
                conj=e.func == "vdot" and lt.dtype.kind == "c")
    if scalar:
        raw = b.load(result, typ=storage_type(dtype))
        if dtype.kind == "c":  # a complex128 scalar (complex64's parts widened, exactly)
            if dtype.itemsize == 16:
                return raw
            parts = [b.fpext(b.extract_value(raw, i), F64) for i in (0, 1)]
            return b.insert_value(b.insert_value(ir.Constant(C128, None), parts[0], 0), parts[1], 1)
        if dtype.kind == "f":
            return raw if dtype.itemsize == 8 else b.fpext(raw, F64)
        return raw if dtype.itemsize == 8 else (b.sext(raw, I64) if dtype.kind == "i" else b.zext(raw, I64))
    return result


def result_dtype(e: L.MatMul) -> DType:
    lt, rt = e.left.type, e.right.type
    assert isinstance(lt, Array) and isinstance(rt, Array)
    return L.result_dtype(lt.dtype, rt.dtype)


def compute(b: ir.IRBuilder, left: Mat, right: Mat, out: Mat, dtypes: tuple[DType, DType, DType],
            vector: bool = False, conj: bool = False) -> None:
    """``out += left · right`` (``out`` is zeroed): BLAS for large float or complex
    products whose layouts it takes, the kernel for everything else; ``vector``: a
    1×k · k×1 product (cblas_?dot, cblas_?dotu_sub, as NumPy's dot of two vectors;
    ``conj``: vdot's conjugated left operand, cblas_?dotc_sub)."""
    ld, rd, dtype = dtypes
    blas = find_blas()
    if blas is None or dtype.kind not in "fc" or (vector and not ld == rd == dtype):
        _kernel(b, left, right, out, dtypes, conj)
        return
    prefix = cplx.blas_prefix(dtype)
    if vector:
        routine = f"{prefix}dot" if dtype.kind == "f" else f"{prefix}dot{'c' if conj else 'u'}_sub"
        _dot(b, blas.symbol(routine), blas.int_bits, left, right, out, dtypes, conj)
        return
    m, n, k = left.rows, right.cols, left.cols
    item = ir.Constant(I64, dtype.itemsize)
    work = b.mul(b.mul(m, n), k)
    with b.if_else(b.icmp_signed(">", work, ir.Constant(I64, SMALL))) as (then, otherwise):
        with then:
            if ld == rd == dtype:  # one row or one column: NumPy's gemv (codegen/matvec.py)
                fits, operands = matvec.choose(b, left, right, out, item)
                with b.if_else(fits) as (level2, level3):
                    with level2:
                        matvec.gemv(b, blas.symbol(f"{prefix}gemv"), blas.int_bits, operands,
                                    out.data, dtype)
                    with level3:
                        _gemm_path(b, blas, left, right, out, dtypes)
            else:
                _gemm_path(b, blas, left, right, out, dtypes)
        with otherwise:
            _kernel(b, left, right, out, dtypes)


def _gemm_path(b: ir.IRBuilder, blas: Blas, left: Mat, right: Mat, out: Mat,
               dtypes: tuple[DType, DType, DType]) -> None:
    """gemm on the operands, or on packed copies of those BLAS refuses."""
    ld, rd, dtype = dtypes
    m, n, k = left.rows, right.cols, left.cols
    item = ir.Constant(I64, dtype.itemsize)
    a_ptr, trans_a, lda = _blas_operand(b, left, ld, dtype)
    b_ptr, trans_b, ldb = _blas_operand(b, right, rd, dtype)
    null = ir.Constant(PTR, None)
    packed = b.and_(b.icmp_unsigned("!=", a_ptr, null), b.icmp_unsigned("!=", b_ptr, null))
    with b.if_else(packed) as (fits, no_memory):
        with fits:
            _gemm(b, blas.symbol(f"{cplx.blas_prefix(dtype)}gemm"), blas.int_bits,
                  (m, n, k), (a_ptr, lda, trans_a), (b_ptr, ldb, trans_b),
                  (out.data, b.sdiv(out.srow, item)), dtype)
        with no_memory:  # a copy could not be allocated: the kernel needs none
            _kernel(b, left, right, out, dtypes)
    free = extern_function(b.module, "free", VOID, [PTR])
    for ptr, x in ((a_ptr, left), (b_ptr, right)):
        with b.if_then(b.icmp_unsigned("!=", ptr, x.data)):
            b.call(free, [ptr])


def _blas_operand(b: ir.IRBuilder, x: Mat, src: DType, dtype: DType) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(data, trans, leading dimension) for gemm: ``x`` itself when BLAS takes its layout
    and dtype, else a packed C-ordered copy converted to ``dtype`` (malloc'ed: the caller
    frees it when it is not ``x.data``; NULL when malloc failed), as NumPy copies them."""
    item = ir.Constant(I64, dtype.itemsize)
    if src == dtype:
        usable, trans, lead = _blas_layout(b, x, item)
    else:
        usable, trans, lead = ir.Constant(ir.IntType(1), 0), ir.Constant(I32, _NO_TRANS), x.cols
    before = b.block
    with b.if_then(b.not_(usable)):
        malloc = extern_function(b.module, "malloc", PTR, [I64])
        buf = b.call(malloc, [b.mul(b.mul(x.rows, x.cols), item)])
        with b.if_then(b.icmp_unsigned("!=", buf, ir.Constant(PTR, None))):
            dense = Mat(buf, x.rows, x.cols, b.mul(x.cols, item), item)
            with counted_loop(b, x.rows, name="pack_i") as i, counted_loop(b, x.cols, name="pack_j") as j:
                b.store(load_as(b, _at(b, x, i, j), src, dtype), _at(b, dense, i, j), align=1)
        copied = b.block
    data = b.phi(PTR)
    data.add_incoming(x.data, before)
    data.add_incoming(buf, copied)
    tr = b.phi(I32)
    tr.add_incoming(trans, before)
    tr.add_incoming(ir.Constant(I32, _NO_TRANS), copied)
    ld = b.phi(I64)
    ld.add_incoming(lead, before)
    ld.add_incoming(x.cols, copied)
    return data, tr, ld


def _dot(b: ir.IRBuilder, symbol: str, bits: int, left: Mat, right: Mat, out: Mat,
         dtypes: tuple[DType, DType, DType], conj: bool = False) -> None:
    """``out[0] = cblas_?dot(k, x, incx, y, incy)`` for k > DOT_SMALL and positive strides
    (a reduction LLVM cannot vectorise without reassociating: BLAS can)."""
    dtype = dtypes[2]
    item = ir.Constant(I64, dtype.itemsize)
    zero = ir.Constant(I64, 0)
    it = ir.IntType(bits)
    ft = F64 if dtype.itemsize == 8 else F32

    def unit(stride: ir.Value) -> ir.Value:
        return b.and_(b.icmp_signed(">", stride, zero), b.icmp_signed("==", b.srem(stride, item), zero))

    k = left.cols
    cond = b.and_(b.icmp_signed(">", k, ir.Constant(I64, DOT_SMALL)),
                  b.and_(unit(left.scol), unit(right.srow)))
    with b.if_else(cond) as (then, otherwise):
        with then:
            def size(v: ir.Value) -> ir.Value:
                return v if bits == 64 else b.trunc(v, it)

            args = [size(k), left.data, size(b.sdiv(left.scol, item)),
                    right.data, size(b.sdiv(right.srow, item))]
            if dtype.kind == "c":  # the result through a pointer (zdotu_sub / zdotc_sub)
                cplx.dot(b, symbol, bits, args, out.data)
            else:
                fn = extern_function(b.module, symbol, ft, [it, PTR, it, PTR, it])
                b.store(b.call(fn, args), out.data)
        with otherwise:
            _kernel(b, left, right, out, dtypes, conj)


def _blas_layout(b: ir.IRBuilder, x: Mat, item: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(usable, CblasNoTrans/CblasTrans, leading dimension) of a row-major view: unit
    stride along columns (rows ``srow`` apart) or along rows (a transposed one)."""
    zero = ir.Constant(I64, 0)
    one = ir.Constant(I64, 1)

    def at_least(stride: ir.Value, count: ir.Value) -> ir.Value:
        wide = b.select(b.icmp_signed(">", count, one), count, one)
        fits = b.icmp_signed(">=", stride, b.mul(wide, item))
        return b.and_(fits, b.icmp_signed("==", b.srem(stride, item), zero))

    plain = b.and_(b.icmp_signed("==", x.scol, item), at_least(x.srow, x.cols))
    flipped = b.and_(b.icmp_signed("==", x.srow, item), at_least(x.scol, x.rows))
    trans = b.select(plain, ir.Constant(I32, _NO_TRANS), ir.Constant(I32, _TRANS))
    lead = b.sdiv(b.select(plain, x.srow, x.scol), item)
    return b.or_(plain, flipped), trans, lead


def _gemm(b: ir.IRBuilder, symbol: str, bits: int, mnk: tuple[ir.Value, ...],
          a: tuple[ir.Value, ...], c: tuple[ir.Value, ...], out: tuple[ir.Value, ...],
          dtype: DType) -> None:
    """``cblas_?gemm(RowMajor, ta, tb, m, n, k, 1, A, lda, B, ldb, 0, C, ldc)``."""
    it = ir.IntType(bits)
    ft = F64 if dtype.itemsize == 8 else F32

    def size(v: ir.Value) -> ir.Value:
        return v if bits == 64 else b.trunc(v, it)

    m, n, k = (size(v) for v in mnk)
    if dtype.kind == "c":  # alpha and beta by address
        cplx.gemm(b, symbol, bits, [ir.Constant(I32, _ROW_MAJOR), a[2], c[2], m, n, k, a[0],
                                    size(a[1]), c[0], size(c[1]), out[0], size(out[1])], dtype)
        return
    fn = extern_function(b.module, symbol, VOID,
                         [I32, I32, I32, it, it, it, ft, PTR, it, PTR, it, ft, PTR, it])
    b.call(fn, [ir.Constant(I32, _ROW_MAJOR), a[2], c[2], m, n, k, ir.Constant(ft, 1.0),
                a[0], size(a[1]), c[0], size(c[1]), ir.Constant(ft, 0.0), out[0], size(out[1])])


def load_as(b: ir.IRBuilder, ptr: ir.Value, src: DType, dst: DType) -> ir.Value:
    """One element of dtype ``src`` converted (exactly: dst is the result dtype) to ``dst``."""
    if "c" in (src.kind, dst.kind):
        return cplx.load_as(b, ptr, src, dst)
    raw = b.load(ptr, typ=storage_type(src), align=1)
    want = storage_type(dst)
    if src == dst:
        return raw
    if dst.kind == "f":
        if src.kind == "f":
            return b.fpext(raw, want)
        return b.sitofp(raw, want) if src.kind == "i" else b.uitofp(raw, want)
    return b.sext(raw, want) if src.kind == "i" else b.zext(raw, want)


# One copy of the strided-address and blocking helpers, shared with the complex kernel.
_at, _block, _count = cplx.at, cplx.block, cplx.count


def _kernel(b: ir.IRBuilder, left: Mat, right: Mat, out: Mat, dtypes: tuple[DType, DType, DType],
            conj: bool = False) -> None:
    """The compiled product, correct for every layout and dtype: over blocks of JB
    columns and KB rows of B (one block stays in L2 while every row of A passes),
    ``for i, for p in block: a = A[i, p]; for j in block: C[i, j] += a * B[p, j]``.
    Each C[i, j] is summed over p in order, as a plain triple loop would. Complex
    results: codegen/matmul_complex.py's kernel (``conj``: vdot's conjugated A)."""
    ld, rd, dtype = dtypes
    if dtype.kind == "c":
        cplx.kernel(b, left, right, out, dtypes, conj)
        return
    m, n, k = left.rows, right.cols, left.cols
    floating = dtype.kind == "f"
    with counted_loop(b, _count(b, n, JB), name="jblock") as jblk, \
            counted_loop(b, _count(b, k, KB), name="pblock") as pblk:
        j0, width = _block(b, jblk, JB, n)
        p0, depth = _block(b, pblk, KB, k)
        with counted_loop(b, m, name="mi") as i, counted_loop(b, depth, name="mp") as pr:
            p = b.add(p0, pr)
            a = load_as(b, _at(b, left, i, p), ld, dtype)
            with counted_loop(b, width, name="mj") as jr:
                j = b.add(j0, jr)
                x = load_as(b, _at(b, right, p, j), rd, dtype)
                slot = _at(b, out, i, j)
                acc = b.load(slot, typ=storage_type(dtype), align=1)
                term = b.fmul(a, x) if floating else b.mul(a, x)
                b.store(b.fadd(acc, term) if floating else b.add(acc, term), slot, align=1)
