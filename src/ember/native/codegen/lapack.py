"""Lowering of :class:`ember.native.ir.linalg.LinAlg`: ``np.linalg`` through the LAPACK
of NumPy's own bundled OpenBLAS (boundary/blas.py's :func:`find_lapack`), called the way
NumPy's ``_umath_linalg`` calls it, so results are NumPy's bit for bit::

    operand (any layout, any real dtype)
      → a Fortran-ordered float64 copy (NumPy computes np.linalg in double)
      → d<routine>_ (every argument by address; workspace sizes queried with lwork=-1
        and the query's answer used, as NumPy does: blocking follows lwork)
      → info != 0: numpy.linalg.LinAlgError with NumPy's text ("Singular matrix" ...)
      → each result copied into a new C array of the result dtype (float32 when every
        operand is float32: rounded from the double result, as NumPy's astype)

The work arrays are NumPy arrays (``new_array``), released on every path with the other
temporaries. This module: the common steps and solve, inv, det, cholesky, eigh,
eigvalsh; :mod:`ember.native.codegen.lapack_decomp` has qr, svd, pinv, matrix_power, kron
and the lowering rule that picks one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.diagnostics import Diagnostic, EmberError
from ember.native.boundary.blas import find_lapack
from ember.native.boundary.capi import (
    capi_function,
    cold_function,
    cstring,
    extern_function,
    format_error_helper,
    py_decref,
)
from ember.native.boundary.llvm import F32, F64, I8, I64, PTR, VOID, storage_type
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import counted_loop, data_of, dim_of, owner_of, stride_of
from ember.native.ir import linalg as L
from ember.native.types import Array, DType, Tuple

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

F8 = DType("float64")
SQUARE = "Last 2 dimensions of the array must be square"
SINGULAR = "Singular matrix"
NOT_POSITIVE = "Matrix is not positive definite"
NO_CONVERGENCE = "Eigenvalues did not converge"
NOT_FINITE = "Array must not contain infs or NaNs"
COMPLEX_EIGENVALUES = ("np.linalg.{} found complex eigenvalues, and compiled code has no complex "
                       "numbers yet: only matrices whose eigenvalues are all real are supported "
                       "(np.linalg.eigh for symmetric ones; or call it outside the @jit function)")


class Lapack:
    """One ``np.linalg`` call being lowered: the builder, the LAPACK library, and the
    temporaries it made (released at :meth:`done`, or on any raising path)."""

    def __init__(self, gen: FunctionLowerer, e: L.LinAlg) -> None:
        lib = find_lapack()
        if lib is None:
            raise EmberError(Diagnostic(
                e.span, f"np.linalg.{e.func}() in compiled code needs a LAPACK, and none was "
                "found (NumPy's bundled OpenBLAS has none here, or EMBER_BLAS=none)",
                "set EMBER_BLAS=/path/to/libopenblas.so, or call it outside the @jit function"))
        self.gen, self.ctx, self.b, self.lib = gen, gen.arrays, gen.b, lib
        self.int = ir.IntType(lib.int_bits)
        self.start = len(self.ctx.pending)
        self.temps: list[ir.Value] = []

    # ---------------------------------------------------------------- arrays

    def array(self, dtype: DType, shape: Sequence[ir.Value], layout: str = "C",
              temp: bool = True) -> ir.Value:
        """A new array (uninitialised), released on a raise; at :meth:`done` too if
        ``temp`` (a work array), else handed to the caller (a result)."""
        value = new.new_array(self.ctx, Array(dtype, len(shape), layout), list(shape), zero=False)
        owner = owner_of(self.b, value)
        self.ctx.pending.append(owner)
        if temp:
            self.temps.append(owner)
        return value

    def ints(self, count: ir.Value) -> ir.Value:
        """A work array of ``count`` LAPACK integers (pivots, iwork): its data pointer."""
        dtype = DType("int64" if self.lib.int_bits == 64 else "int32")
        return data_of(self.b, self.array(dtype, [self.at_least_one(count)]))

    def doubles(self, count: ir.Value) -> ir.Value:
        """A float64 work array of ``count`` (at least 1) items: its data pointer."""
        return data_of(self.b, self.array(F8, [self.at_least_one(count)]))

    def at_least_one(self, v: ir.Value) -> ir.Value:
        one = ir.Constant(I64, 1)
        return self.b.select(self.b.icmp_signed(">", v, one), v, one)

    def arena(self, counts: Sequence[ir.Value]) -> list[ir.Value]:
        """Pointers to ``counts`` 8-byte items each (at least one), carved out of ONE work
        array: a small matrix's solve pays one allocation for all its scratch (a
        LAPACK integer is at most 8 bytes)."""
        b = self.b
        sizes = [self.at_least_one(c) for c in counts]
        total = sizes[0]
        for size in sizes[1:]:
            total = b.add(total, size)
        base = data_of(b, self.array(F8, [total]))
        out, offset = [], ir.Constant(I64, 0)
        for size in sizes:
            out.append(b.gep(base, [offset], source_etype=F64))
            offset = b.add(offset, size)
        return out

    def fortran(self, value: ir.Value, t: Array, into: ir.Value | None = None
                ) -> tuple[ir.Value, ir.Value, ir.Value]:
        """(data, rows, cols) of a Fortran-ordered float64 copy of the 2-D (or, as a
        column, 1-D) array ``value``: what NumPy's ``linearize_matrix`` makes (at
        ``into``, room for rows x cols doubles, else in a new work array)."""
        b = self.b
        rows = dim_of(b, value, 0)
        cols = dim_of(b, value, 1) if t.ndim == 2 else ir.Constant(I64, 1)
        scol = stride_of(b, value, 1) if t.ndim == 2 else ir.Constant(I64, 0)
        work = into if into is not None else data_of(b, self.array(F8, [rows, cols], "F"))
        src, srow = data_of(b, value), stride_of(b, value, 0)
        with counted_loop(b, cols, name="lin_j") as j, counted_loop(b, rows, name="lin_i") as i:
            at = b.gep(src, [b.add(b.mul(i, srow), b.mul(j, scol))], source_etype=I8)
            x = to_double(b, b.load(at, typ=storage_type(t.dtype), align=1), t.dtype)
            b.store(x, b.gep(work, [b.add(b.mul(j, rows), i)], source_etype=F64))
        return work, rows, cols

    def result(self, dtype: DType, work: ir.Value, rows: ir.Value, cols: ir.Value | None,
               lead: ir.Value, triangle: str = "") -> ir.Value:
        """A new C array (rows, cols) — or (rows,) when ``cols`` is None — of ``dtype``
        from the Fortran-ordered doubles at ``work`` (leading dimension ``lead``);
        ``triangle`` "L"/"U" keeps that triangle and zeroes the rest (cholesky, R)."""
        shape = [rows] if cols is None else [rows, cols]
        out = self.array(dtype, shape, temp=False)
        self.store(dtype, work, rows, cols, lead, data_of(self.b, out), triangle)
        return out

    def store(self, dtype: DType, work: ir.Value, rows: ir.Value, cols: ir.Value | None,
              lead: ir.Value, dst: ir.Value, triangle: str = "") -> None:
        """:meth:`result`'s copy, into C-ordered memory at ``dst`` (a stack's slot)."""
        b = self.b
        width = ir.Constant(I64, 1) if cols is None else cols
        ft = storage_type(dtype)
        with counted_loop(b, rows, name="delin_i") as i, counted_loop(b, width, name="delin_j") as j:
            x = b.load(b.gep(work, [b.add(b.mul(j, lead), i)], source_etype=F64), typ=F64)
            if triangle:
                keep = b.icmp_signed(">=" if triangle == "L" else "<=", i, j)
                x = b.select(keep, x, ir.Constant(F64, 0.0))
            if ft != F64:
                x = b.fptrunc(x, ft)
            b.store(x, b.gep(dst, [b.add(b.mul(i, width), j)], source_etype=ft))

    # ---------------------------------------------------------------- calls

    def slot(self, v: ir.Value | int) -> ir.Value:
        """The address of a LAPACK integer holding ``v`` (an i64 value or a constant)."""
        s = self.ctx.alloca(self.int, name="lapack_int")
        value = ir.Constant(self.int, v) if isinstance(v, int) else (
            v if self.lib.int_bits == 64 else self.b.trunc(v, self.int))
        self.b.store(value, s)
        return s

    def char(self, c: str) -> ir.Value:
        s = self.ctx.alloca(I8, name="lapack_char")
        self.b.store(ir.Constant(I8, ord(c)), s)
        return s

    def call(self, routine: str, args: Sequence[ir.Value], chars: int = 0) -> None:
        """``d<routine>_(args...)``: Fortran, every argument an address; ``chars`` hidden
        string lengths (gfortran's convention: one size_t per CHARACTER argument) last."""
        name = self.lib.lapack(routine)
        fn = extern_function(self.b.module, name, VOID, [PTR] * len(args) + [I64] * chars)
        self.b.call(fn, [*args, *([ir.Constant(I64, 1)] * chars)])

    def load_int(self, s: ir.Value) -> ir.Value:
        v = self.b.load(s, typ=self.int)
        return v if self.lib.int_bits == 64 else self.b.sext(v, I64)

    def query(self, s: ir.Value) -> ir.Value:
        """A workspace query's answer (a double in work[0]) as an i64 count."""
        return self.b.fptosi(self.b.load(s, typ=F64), I64)

    def check(self, info: ir.Value, message: str) -> None:
        """``info != 0`` → LinAlgError(message), releasing every temporary."""
        b = self.b
        with b.if_then(b.icmp_signed("!=", self.load_int(info), ir.Constant(I64, 0)), likely=False):
            self.raise_linalg(message)

    def raise_linalg(self, message: str) -> None:
        """Raise numpy.linalg.LinAlgError(message) here (the block ends)."""
        b = self.b
        b.call(linalg_error_helper(b.module), [cstring(b.module, message)])
        self.ctx.fail()

    def square(self, value: ir.Value) -> ir.Value:
        """NumPy's ``_assert_stacked_square``: the order n of a square 2-D ``value``."""
        b = self.b
        n = dim_of(b, value, 0)
        with b.if_then(b.icmp_signed("!=", n, dim_of(b, value, 1)), likely=False):
            self.raise_linalg(SQUARE)
        return n

    def done(self) -> None:
        """Release the work arrays; the results stay (the caller owns them)."""
        del self.ctx.pending[self.start:]
        for owner in self.temps:
            py_decref(self.b, owner)


def results(gen: FunctionLowerer, e: L.LinAlg, items: Sequence[ir.Value]) -> ir.Value:
    """The tuple ``e`` returns (eigh's (w, v), svd's (U, S, Vh) ...) from its items."""
    assert isinstance(e.type, Tuple)
    return gen.make_struct(e.type, items)


def to_double(b: ir.IRBuilder, raw: ir.Value, dtype: DType) -> ir.Value:
    """One stored element of ``dtype`` as a double (exact for floats, as NumPy's astype
    for integers: round to nearest)."""
    if dtype.kind == "f":
        return raw if dtype.itemsize == 8 else b.fpext(raw, F64)
    return b.sitofp(raw, F64) if dtype.kind == "i" else b.uitofp(raw, F64)


def linalg_error_helper(module: ir.Module) -> ir.Function:
    """``void ember.linalg_error(const char *msg)``: ``numpy.linalg.LinAlgError(msg)`` set
    as the current exception (the class looked up when raising: the module is NumPy's,
    already imported by whoever passed an array). If the lookup fails its error stays."""
    fn, fresh = cold_function(module, "ember.linalg_error", [PTR])
    if fresh:
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        null = ir.Constant(PTR, None)
        mod = b.call(capi_function(module, "PyImport_ImportModule"), [cstring(module, "numpy.linalg")])
        with b.if_then(b.icmp_unsigned("!=", mod, null)):
            cls = b.call(capi_function(module, "PyObject_GetAttrString"),
                         [mod, cstring(module, "LinAlgError")])
            py_decref(b, mod)
            with b.if_then(b.icmp_unsigned("!=", cls, null)):
                b.call(capi_function(module, "PyErr_SetString"), [cls, fn.args[0]])
                py_decref(b, cls)
        b.ret_void()
    return fn


def linalg_dtype(e: L.LinAlg) -> DType:
    """The result dtype of ``e`` (float32 or float64)."""
    t = e.type
    while not isinstance(t, Array):
        if hasattr(t, "items"):
            t = t.items[-1]  # a tuple's last item has the result dtype (svd's Vh, eigh's v)
        else:  # det: a float, its dtype that of the operands
            a = e.args[0].type
            assert isinstance(a, Array)
            return DType("float32") if a.dtype.name == "float32" else F8
    return t.dtype


def _solve(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, c: ir.Value) -> ir.Value:
    """``dgesv``: A x = B, NumPy's ``solve`` / ``solve1`` (b a vector)."""
    lp = Lapack(gen, e)
    b = lp.b
    at, bt = e.args[0].type, e.args[1].type
    assert isinstance(at, Array) and isinstance(bt, Array)
    n = lp.square(a)
    rows = dim_of(b, c, 0)
    with b.if_then(b.icmp_signed("!=", rows, n), likely=False):
        sig = "(m,m),(m)->(m)" if bt.ndim == 1 else "(m,m),(m,n)->(m,n)"
        name = "solve1" if bt.ndim == 1 else "solve"
        helper = format_error_helper(
            b.module, f"ember.{name}_core_error", "ValueError",
            f"{name}: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature {sig} (size %ld is different from %ld)", [I64, I64])
        b.call(helper, [rows, n])
        lp.ctx.fail()
    nrhs = dim_of(b, c, 1) if bt.ndim == 2 else ir.Constant(I64, 1)
    work_a, work_b, pivots = lp.arena([b.mul(n, n), b.mul(n, nrhs), n])
    lp.fortran(a, at, work_a)
    lp.fortran(c, bt, work_b)
    return _gesv(lp, e, n, nrhs, (work_a, work_b, pivots), None if bt.ndim == 1 else nrhs)


def _gesv(lp: Lapack, e: L.LinAlg, n: ir.Value, nrhs: ir.Value, work: Sequence[ir.Value],
          cols: ir.Value | None) -> ir.Value:
    """dgesv on (A, B, pivots) at ``work``; the solution (n, cols) as the result."""
    work_a, work_b, pivots = work
    lead = lp.slot(lp.at_least_one(n))
    info = lp.slot(0)
    lp.call("dgesv", [lp.slot(n), lp.slot(nrhs), work_a, lead, pivots, work_b, lead, info])
    lp.check(info, SINGULAR)
    out = lp.result(linalg_dtype(e), work_b, n, cols, lp.at_least_one(n))
    lp.done()
    return out


def _inv(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, _: object) -> ir.Value:
    """``dgesv`` against the identity, as NumPy's ``inv``."""
    lp = Lapack(gen, e)
    b = lp.b
    at = e.args[0].type
    assert isinstance(at, Array)
    n = lp.square(a)
    work_a, eye, pivots = lp.arena([b.mul(n, n), b.mul(n, n), n])
    lp.fortran(a, at, work_a)
    with counted_loop(b, n, name="eye_j") as j, counted_loop(b, n, name="eye_i") as i:
        one = b.uitofp(b.icmp_signed("==", i, j), F64)
        b.store(one, b.gep(eye, [b.add(b.mul(j, n), i)], source_etype=F64))
    return _gesv(lp, e, n, n, (work_a, eye, pivots), n)


def _det(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, _: object) -> ir.Value:
    """``dgetrf``, then NumPy's ``det_from_slogdet``: sign · exp(Σ log|u_ii|) (0.0 when
    the factorisation reports a zero pivot)."""
    lp = Lapack(gen, e)
    b = lp.b
    at = e.args[0].type
    assert isinstance(at, Array)
    n = lp.square(a)
    work, pivots = lp.arena([b.mul(n, n), n])
    lp.fortran(a, at, work)
    info = lp.slot(0)
    lp.call("dgetrf", [lp.slot(n), lp.slot(n), work, lp.slot(lp.at_least_one(n)), pivots, info])
    sign = gen.alloca(F64, name="det_sign")
    logdet = gen.alloca(F64, name="det_log")
    b.store(ir.Constant(F64, 0.0), sign)
    b.store(ir.Constant(F64, float("-inf")), logdet)
    with b.if_then(b.icmp_signed("==", lp.load_int(info), ir.Constant(I64, 0))):
        b.store(ir.Constant(F64, 1.0), sign)
        b.store(ir.Constant(F64, 0.0), logdet)
        with counted_loop(b, n, name="det_i") as i:
            p = b.load(b.gep(pivots, [i], source_etype=lp.int), typ=lp.int)
            p = p if lp.lib.int_bits == 64 else b.sext(p, I64)
            moved = b.icmp_signed("!=", p, b.add(i, ir.Constant(I64, 1)))
            s = b.load(sign, typ=F64)
            b.store(b.select(moved, b.fneg(s), s), sign)
        log = gen.intrinsic("llvm.log.f64", F64, [F64])
        with counted_loop(b, n, name="det_d") as i:
            x = b.load(b.gep(work, [b.mul(i, b.add(n, ir.Constant(I64, 1)))], source_etype=F64), typ=F64)
            negative = b.fcmp_ordered("<", x, ir.Constant(F64, 0.0))
            s = b.load(sign, typ=F64)
            b.store(b.select(negative, b.fneg(s), s), sign)
            x = b.select(negative, b.fneg(x), x)
            b.store(b.fadd(b.load(logdet, typ=F64), b.call(log, [x])), logdet)
    exp = gen.intrinsic("llvm.exp.f64", F64, [F64])
    r = b.fmul(b.load(sign, typ=F64), b.call(exp, [b.load(logdet, typ=F64)]))
    lp.done()
    if linalg_dtype(e).name == "float32":  # NumPy's astype(float32) of the double result
        r = b.fpext(b.fptrunc(r, F32), F64)
    return r


def _cholesky(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, _: object) -> ir.Value:
    """``dpotrf`` ('L', or 'U' for upper=True), the other triangle zeroed."""
    lp = Lapack(gen, e)
    at = e.args[0].type
    assert isinstance(at, Array)
    n = lp.square(a)
    work, _, _ = lp.fortran(a, at)
    info = lp.slot(0)
    lp.call("dpotrf", [lp.char(e.option), lp.slot(n), work, lp.slot(lp.at_least_one(n)), info], 1)
    lp.check(info, NOT_POSITIVE)
    out = lp.result(linalg_dtype(e), work, n, n, lp.at_least_one(n), triangle=e.option)
    lp.done()
    return out


def _eigh(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, _: object) -> ir.Value:
    """``dsyevd`` (jobz 'V' for eigh, 'N' for eigvalsh; UPLO from the option)."""
    lp = Lapack(gen, e)
    at = e.args[0].type
    assert isinstance(at, Array)
    vectors = e.func == "eigh"
    n = lp.square(a)
    work, _, _ = lp.fortran(a, at)
    w = lp.doubles(n)
    jobz, uplo = lp.char("V" if vectors else "N"), lp.char(e.option)
    nn, lead, info = lp.slot(n), lp.slot(lp.at_least_one(n)), lp.slot(0)
    wq = gen.alloca(F64, name="lwork_query")
    iq = lp.slot(0)
    lp.call("dsyevd", [jobz, uplo, nn, work, lead, w, wq, lp.slot(-1), iq, lp.slot(-1), info], 2)
    lwork, liwork = lp.query(wq), lp.load_int(iq)
    lp.call("dsyevd", [jobz, uplo, nn, work, lead, w, lp.doubles(lwork), lp.slot(lwork),
                       lp.ints(liwork), lp.slot(liwork), info], 2)
    lp.check(info, NO_CONVERGENCE)
    dtype = linalg_dtype(e)
    values = lp.result(dtype, w, n, None, n)
    if not vectors:
        lp.done()
        return values
    v = lp.result(dtype, work, n, n, lp.at_least_one(n))
    lp.done()
    return results(gen, e, [values, v])


def _eig(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, _: object) -> ir.Value:
    """``dgeev`` (jobvr 'V' for eig, 'N' for eigvals) after NumPy's finiteness check;
    NumPy's real result when every eigenvalue is real (wr; the columns of VR), else a
    ValueError: complex results are not supported in compiled code yet."""
    lp = Lapack(gen, e)
    b = lp.b
    at = e.args[0].type
    assert isinstance(at, Array)
    vectors = e.func == "eig"
    n = lp.square(a)
    work, _, _ = lp.fortran(a, at)
    with counted_loop(b, b.mul(n, n), name="finite") as i:
        x = b.load(b.gep(work, [i], source_etype=F64), typ=F64)
        bad = b.fcmp_unordered("!=", b.fsub(x, x), ir.Constant(F64, 0.0))  # inf or NaN
        with b.if_then(bad, likely=False):
            lp.raise_linalg(NOT_FINITE)
    wr, wi = lp.doubles(n), lp.doubles(n)
    vr = lp.doubles(b.mul(n, n)) if vectors else lp.doubles(ir.Constant(I64, 1))
    lead = lp.slot(lp.at_least_one(n))
    head = [lp.char("N"), lp.char("V" if vectors else "N"), lp.slot(n), work, lead, wr, wi,
            lp.doubles(ir.Constant(I64, 1)), lp.slot(1), vr, lead if vectors else lp.slot(1)]
    q = gen.alloca(F64, name="lwork_query")
    info = lp.slot(0)
    lp.call("dgeev", [*head, q, lp.slot(-1), info], 2)
    lwork = lp.at_least_one(lp.query(q))
    lp.call("dgeev", [*head, lp.doubles(lwork), lp.slot(lwork), info], 2)
    lp.check(info, NO_CONVERGENCE)
    with counted_loop(b, n, name="real") as i:
        imag = b.load(b.gep(wi, [i], source_etype=F64), typ=F64)
        with b.if_then(b.fcmp_unordered("!=", imag, ir.Constant(F64, 0.0)), likely=False):
            b.call(format_error_helper(b.module, f"ember.{e.func}_complex_error", "ValueError",
                                       COMPLEX_EIGENVALUES.format(e.func), []), [])
            lp.ctx.fail()
    dtype = linalg_dtype(e)
    values = lp.result(dtype, wr, n, None, n)
    if not vectors:
        lp.done()
        return values
    v = lp.result(dtype, vr, n, n, lp.at_least_one(n))
    lp.done()
    return results(gen, e, [values, v])


RULES = {"eig": _eig, "eigvals": _eig, "solve": _solve, "inv": _inv, "det": _det, "cholesky": _cholesky,
          "eigh": _eigh, "eigvalsh": _eigh}
