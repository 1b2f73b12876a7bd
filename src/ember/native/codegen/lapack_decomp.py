"""The second half of :mod:`ember.native.codegen.lapack`: ``np.linalg.qr`` (dgeqrf +
dorgqr), ``svd`` (dgesdd), ``lstsq`` (dgelsd), ``pinv`` (NumPy's formula over that svd), ``matrix_power``
(NumPy's squarings, products by codegen/matmul.py) and ``np.kron`` (one multiply per
element: exact). Each result is NumPy's: qr and svd bit for bit (same LAPACK, same
layout, same workspace sizes); pinv and matrix_power up to the products' rounding
(ember's small products use its own kernel where NumPy calls BLAS at every size).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import format_error_helper, py_decref, py_incref
from ember.native.boundary.llvm import F64, I1, I64, storage_type, struct_type
from ember.native.codegen import array_ops as new
from ember.native.codegen import lapack, lapack_stacked
from ember.native.codegen.array_access import counted_loop, data_of, dim_of, owner_of, stride_of
from ember.native.codegen.arrays import operand
from ember.native.codegen.lapack import F8, SINGULAR, Lapack, linalg_dtype, results
from ember.native.codegen.matmul import Mat, compute, load_as
from ember.native.ir import linalg as L
from ember.native.types import Array, DType

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

#: (x, y, x's dtype, y's dtype) → a new C array x @ y (matrix_power's products).
Product = Callable[[ir.Value, ir.Value, DType, DType], ir.Value]
QR_ERROR = "Incorrect argument found while performing QR factorization"
SVD_ERROR = "SVD did not converge"
NEGATIVE_INT_POWER = ("np.linalg.matrix_power of an integer matrix to a negative power "
                      "(NumPy returns a float64 inverse; compiled code typed it as the "
                      "matrix's own dtype): convert first, a.astype(np.float64)")


def _min(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.select(b.icmp_signed("<", x, y), x, y)


def _qr(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, _: object) -> ir.Value:
    """NumPy's ``qr``: R = triu of dgeqrf's result (mc rows), Q from dorgqr (mc columns;
    mc = m for mode 'complete' with m > n, else min(m, n))."""
    lp = Lapack(gen, e)
    b = lp.b
    at = e.args[0].type
    assert isinstance(at, Array)
    work, m, n = lp.fortran(a, at)
    k = _min(b, m, n)
    lead = lp.slot(lp.at_least_one(m))
    tau = lp.doubles(k)
    info = lp.slot(0)
    q = gen.alloca(F64, name="lwork_query")
    mm, nn = lp.slot(m), lp.slot(n)
    lp.call("dgeqrf", [mm, nn, work, lead, tau, q, lp.slot(-1), info])
    lp.check(info, QR_ERROR)
    lwork = lp.at_least_one(b.select(b.icmp_signed(">", n, lp.query(q)), n, lp.query(q)))
    lp.call("dgeqrf", [mm, nn, work, lead, tau, lp.doubles(lwork), lp.slot(lwork), info])
    lp.check(info, QR_ERROR)
    dtype = linalg_dtype(e)
    complete = e.option == "complete"
    mc = b.select(b.icmp_signed(">", m, n), m, k) if complete else k
    r = lp.result(dtype, work, mc, n, lp.at_least_one(m), triangle="U")
    if e.option == "r":
        lp.done()
        return r
    qbuf = work
    if complete:  # Q is m x m: the reflectors copied into a wider buffer
        qbuf = data_of(b, lp.array(F8, [m, mc], "F"))
        with counted_loop(b, b.mul(m, n), name="qr_copy") as i:
            x = b.load(b.gep(work, [i], source_etype=F64), typ=F64)
            with b.if_then(b.icmp_signed("<", i, b.mul(m, mc))):
                b.store(x, b.gep(qbuf, [i], source_etype=F64))
    cols = lp.slot(mc)
    lp.call("dorgqr", [mm, cols, lp.slot(k), qbuf, lead, tau, q, lp.slot(-1), info])
    lp.check(info, QR_ERROR)
    lwork = lp.at_least_one(b.select(b.icmp_signed(">", mc, lp.query(q)), mc, lp.query(q)))
    lp.call("dorgqr", [mm, cols, lp.slot(k), qbuf, lead, tau, lp.doubles(lwork), lp.slot(lwork), info])
    lp.check(info, QR_ERROR)
    qm = lp.result(dtype, qbuf, m, mc, lp.at_least_one(m))
    lp.done()
    return results(gen, e, [qm, r])


def _gesdd(lp: Lapack, e: L.LinAlg, a: ir.Value, jobz: str) -> tuple[ir.Value, ...]:
    """dgesdd of ``a``: (u, s, vt, m, n, k, ucols, vrows) in Fortran doubles (u, vt
    None for jobz 'N')."""
    b = lp.b
    at = e.args[0].type
    assert isinstance(at, Array)
    work, m, n = lp.fortran(a, at)
    k = _min(b, m, n)
    s = lp.doubles(k)
    one = ir.Constant(I64, 1)
    ucols = m if jobz == "A" else k if jobz == "S" else one
    vrows = n if jobz == "A" else k if jobz == "S" else one
    if jobz == "N":
        u = vt = lp.doubles(one)
        ldu = ldvt = lp.slot(1)
    else:
        u = data_of(b, lp.array(F8, [m, ucols], "F"))
        vt = data_of(b, lp.array(F8, [vrows, n], "F"))
        # Identities first: an empty matrix's full U and Vh are (LAPACK returns at once
        # for m or n = 0 and NumPy fills them so); any other call overwrites them.
        _identity(b, u, m, ucols)
        _identity(b, vt, vrows, n)
        ldu, ldvt = lp.slot(lp.at_least_one(m)), lp.slot(lp.at_least_one(vrows))
    iwork = lp.ints(b.mul(k, ir.Constant(I64, 8)))
    q = lp.gen.alloca(F64, name="lwork_query")
    info = lp.slot(0)
    head = [lp.char(jobz), lp.slot(m), lp.slot(n), work, lp.slot(lp.at_least_one(m)), s, u, ldu, vt, ldvt]
    lp.call("dgesdd", [*head, q, lp.slot(-1), iwork, info], 1)
    lp.check(info, SVD_ERROR)
    lwork = lp.at_least_one(lp.query(q))
    lp.call("dgesdd", [*head, lp.doubles(lwork), lp.slot(lwork), iwork, info], 1)
    lp.check(info, SVD_ERROR)
    return u, s, vt, m, n, k, ucols, vrows


def _identity(b: ir.IRBuilder, data: ir.Value, rows: ir.Value, cols: ir.Value) -> None:
    with counted_loop(b, cols, name="eye_j") as j, counted_loop(b, rows, name="eye_i") as i:
        one = b.uitofp(b.icmp_signed("==", i, j), F64)
        b.store(one, b.gep(data, [b.add(b.mul(j, rows), i)], source_etype=F64))


def _svd(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, _: object) -> ir.Value:
    """NumPy's ``svd`` (jobz 'A' full_matrices, 'S' reduced, 'N' values only)."""
    lp = Lapack(gen, e)
    u, s, vt, m, n, k, ucols, vrows = _gesdd(lp, e, a, e.option)
    dtype = linalg_dtype(e)
    values = lp.result(dtype, s, k, None, k)
    if e.option == "N":
        lp.done()
        return values
    um = lp.result(dtype, u, m, ucols, lp.at_least_one(m))
    vm = lp.result(dtype, vt, vrows, n, lp.at_least_one(vrows))
    lp.done()
    return results(gen, e, [um, values, vm])


def _pinv(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, _: object) -> ir.Value:
    """NumPy's ``pinv`` (rcond 1e-15): svd(a, full_matrices=False) in the result dtype,
    1/s where s > rcond·max(s) (else 0), then vt.T @ (s[:, None] * u.T)."""
    lp = Lapack(gen, e)
    b = lp.b
    dtype = linalg_dtype(e)
    ft = storage_type(dtype)
    item = ir.Constant(I64, dtype.itemsize)
    u, s, vt, m, n, k, _, _ = _gesdd(lp, e, a, "S")
    uf = lp.result(dtype, u, m, k, lp.at_least_one(m))  # svd's u, astype(result)
    lp.temps.append(owner_of(b, uf))
    vf = lp.result(dtype, vt, k, n, lp.at_least_one(k))
    lp.temps.append(owner_of(b, vf))
    top = gen.alloca(F64, name="smax")
    b.store(ir.Constant(F64, float("-inf")), top)
    sv = lp.result(dtype, s, k, None, k)  # s astype(result), as NumPy's svd returns it
    lp.temps.append(owner_of(b, sv))
    sd = data_of(b, sv)

    def s_at(i: ir.Value) -> ir.Value:
        return b.gep(sd, [i], source_etype=ft)

    def wide(x: ir.Value) -> ir.Value:
        return x if ft == F64 else b.fpext(x, F64)

    with counted_loop(b, k, name="smax") as i:
        x = wide(b.load(s_at(i), typ=ft))
        old = b.load(top, typ=F64)
        b.store(b.select(b.fcmp_unordered(">", x, old), x, old), top)  # amax: NaN wins
    cutoff = b.fmul(ir.Constant(F64, 1e-15), b.load(top, typ=F64))
    with counted_loop(b, k, name="sinv") as i:
        x = b.load(s_at(i), typ=ft)
        big = b.fcmp_ordered(">", wide(x), cutoff)
        b.store(b.select(big, b.fdiv(ir.Constant(ft, 1.0), x), ir.Constant(ft, 0.0)), s_at(i))
    scaled = lp.array(dtype, [k, m])  # s[:, None] * u.T
    ud, md = data_of(b, uf), data_of(b, scaled)
    with counted_loop(b, k, name="scale_p") as p, counted_loop(b, m, name="scale_j") as j:
        x = b.load(b.gep(ud, [b.add(b.mul(j, k), p)], source_etype=ft), typ=ft)
        b.store(b.fmul(b.load(s_at(p), typ=ft), x), b.gep(md, [b.add(b.mul(p, m), j)], source_etype=ft))
    out = new.new_array(lp.ctx, Array(dtype, 2, "C"), [n, m], zero=True)
    left = Mat(data_of(b, vf), n, k, item, b.mul(n, item))  # vt.T: an F-ordered view
    right = Mat(md, k, m, b.mul(m, item), item)
    compute(b, left, right, Mat(data_of(b, out), n, m, b.mul(m, item), item), (dtype, dtype, dtype))
    lp.done()
    return out


def _power(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, exponent: ir.Value) -> ir.Value:
    """NumPy's ``matrix_power``: 0 → identity, negative → of inv(a), 1 → a itself (the
    same array when it is a C array of the result dtype, else a copy), 3 → (a@a)@a,
    else the squarings z, z@z, ... multiplied into the result for each set bit."""
    lp = Lapack(gen, e)
    b, ctx = lp.b, lp.ctx
    at = e.args[0].type
    assert isinstance(at, Array)
    dtype = linalg_dtype(e)
    item = ir.Constant(I64, dtype.itemsize)
    n = lp.square(a)
    zero = ir.Constant(I64, 0)
    result = gen.alloca(struct_type(2), name="power")

    def mat(v: ir.Value) -> Mat:
        return Mat(data_of(b, v), n, n, stride_of(b, v, 0), stride_of(b, v, 1))

    def product(x: ir.Value, y: ir.Value, xd: DType, yd: DType) -> ir.Value:
        out = new.new_array(ctx, Array(dtype, 2, "C"), [n, n], zero=True)
        compute(b, mat(x), mat(y), Mat(data_of(b, out), n, n, b.mul(n, item), item), (xd, yd, dtype))
        return out

    base = gen.alloca(struct_type(2), name="power_base")
    owned = gen.alloca(I1, name="power_base_owned")
    b.store(a, base)
    b.store(ir.Constant(I1, 0), owned)
    count = gen.alloca(I64, name="power_n")
    b.store(exponent, count)
    negative = b.icmp_signed("<", exponent, zero)
    with b.if_then(negative, likely=False):
        if at.dtype.kind != "f" and dtype.kind != "f":
            helper = format_error_helper(b.module, "ember.matrix_power_int_error", "ValueError",
                                         NEGATIVE_INT_POWER, [])
            b.call(helper, [])
            ctx.fail()
        else:
            inverse = _inverse(gen, e, a, at, dtype, n)
            b.store(inverse, base)
            b.store(ir.Constant(I1, 1), owned)
            b.store(b.neg(exponent), count)
    bd = dtype if at.dtype != dtype else at.dtype  # the base's dtype on every path run
    k = b.load(count, typ=I64)
    with b.if_else(b.icmp_signed("==", k, zero)) as (identity, other):
        with identity:
            eye = new.new_array(ctx, Array(dtype, 2, "C"), [n, n], zero=True)
            one = ir.Constant(storage_type(dtype), 1.0 if dtype.kind == "f" else 1)
            with counted_loop(b, n, name="eye") as i:
                at_i = b.gep(data_of(b, eye), [b.mul(i, b.add(n, ir.Constant(I64, 1)))],
                             source_etype=storage_type(dtype))
                b.store(one, at_i)
            b.store(eye, result)
        with other:
            _powers(gen, b.load(base, typ=struct_type(2)), k, bd, dtype, at, result, product)
    with b.if_then(b.load(owned, typ=I1)):
        py_decref(b, owner_of(b, b.load(base, typ=struct_type(2))))
    lp.done()
    return b.load(result, typ=struct_type(2))


def _inverse(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, at: Array, dtype: DType, n: ir.Value) -> ir.Value:
    """inv(a) as a new C array of ``dtype`` (matrix_power's negative exponents)."""
    lp = Lapack(gen, e)
    b = lp.b
    work_a, _, _ = lp.fortran(a, at)
    eye = data_of(b, lp.array(F8, [n, n], "F"))
    with counted_loop(b, n, name="eye_j") as j, counted_loop(b, n, name="eye_i") as i:
        b.store(b.uitofp(b.icmp_signed("==", i, j), F64), b.gep(eye, [b.add(b.mul(j, n), i)], source_etype=F64))
    lead = lp.slot(lp.at_least_one(n))
    info = lp.slot(0)
    lp.call("dgesv", [lp.slot(n), lp.slot(n), work_a, lead, lp.ints(n), eye, lead, info])
    lp.check(info, SINGULAR)
    out = lp.result(dtype, eye, n, n, lp.at_least_one(n))
    lp.done()
    return out


def _powers(gen: FunctionLowerer, base: ir.Value, k: ir.Value, bd: DType, dtype: DType, at: Array,
            result: ir.Value, product: Product) -> None:
    """``result`` ← base**k for k >= 1 (NumPy's order of products)."""
    b = gen.b
    mul = product  # (x, y, x dtype, y dtype) → a new product
    one, three = ir.Constant(I64, 1), ir.Constant(I64, 3)
    with b.if_else(b.icmp_signed("==", k, one)) as (single, more):
        with single:
            if at.layout == "C" and bd == dtype:
                py_incref(b, owner_of(b, base))  # NumPy returns a itself
                b.store(base, result)
            else:
                b.store(_copy(gen, base, bd, dtype), result)
        with more:
            with b.if_else(b.icmp_signed("==", k, three)) as (cube, binary):
                with cube:
                    sq = mul(base, base, bd, bd)
                    b.store(mul(sq, base, dtype, bd), result)
                    py_decref(b, owner_of(b, sq))
                with binary:
                    _binary(gen, base, k, bd, dtype, result, mul)


def _copy(gen: FunctionLowerer, base: ir.Value, bd: DType, dtype: DType) -> ir.Value:
    """A new C array of ``dtype`` with base's elements."""
    b = gen.b
    n = dim_of(b, base, 0)
    out = new.new_array(gen.arrays, Array(dtype, 2, "C"), [n, n], zero=False)
    src, dst, ft = data_of(b, base), data_of(b, out), storage_type(dtype)
    with counted_loop(b, n, name="copy_i") as i, counted_loop(b, n, name="copy_j") as j:
        off = b.add(b.mul(i, stride_of(b, base, 0)), b.mul(j, stride_of(b, base, 1)))
        x = load_as(b, b.gep(src, [off], source_etype=ir.IntType(8)), bd, dtype)
        b.store(x, b.gep(dst, [b.add(b.mul(i, n), j)], source_etype=ft))
    return out


def _binary(gen: FunctionLowerer, base: ir.Value, k: ir.Value, bd: DType, dtype: DType,
            result: ir.Value, mul: Product) -> None:
    """z = base; for each bit of k from the lowest: result = result@z if set; z = z@z."""
    b = gen.b
    st = struct_type(2)
    z, z_owned = gen.alloca(st, name="pow_z"), gen.alloca(I1, name="pow_z_owned")
    has = gen.alloca(I1, name="pow_has")
    left = gen.alloca(I64, name="pow_k")
    first = gen.alloca(I1, name="pow_first")
    for slot, v in ((z, base), (z_owned, ir.Constant(I1, 0)), (has, ir.Constant(I1, 0)),
                    (left, k), (first, ir.Constant(I1, 1))):
        b.store(v, slot)
    header, body, done = (b.append_basic_block(f"pow.{x}") for x in ("header", "body", "done"))
    b.branch(header)
    b.position_at_end(header)
    b.cbranch(b.icmp_signed(">", b.load(left, typ=I64), ir.Constant(I64, 0)), body, done)
    b.position_at_end(body)
    with b.if_then(b.not_(b.load(first, typ=I1))):
        old = b.load(z, typ=st)
        zd = dtype if bd == dtype else bd
        nz = mul(old, old, zd, zd)
        with b.if_then(b.load(z_owned, typ=I1)):
            py_decref(b, owner_of(b, old))
        b.store(nz, z)
        b.store(ir.Constant(I1, 1), z_owned)
    b.store(ir.Constant(I1, 0), first)
    rest = b.load(left, typ=I64)
    b.store(b.ashr(rest, ir.Constant(I64, 1)), left)
    with b.if_then(b.trunc(rest, I1)):
        cur = b.load(z, typ=st)
        with b.if_else(b.load(has, typ=I1)) as (again, first_bit):
            with again:
                old = b.load(result, typ=st)
                b.store(mul(old, cur, dtype, bd), result)
                py_decref(b, owner_of(b, old))
            with first_bit:
                py_incref(b, owner_of(b, cur))
                b.store(cur, result)
                b.store(ir.Constant(I1, 1), has)
    b.branch(header)
    b.position_at_end(done)
    with b.if_then(b.load(z_owned, typ=I1)):
        py_decref(b, owner_of(b, b.load(z, typ=st)))


def _kron(gen: FunctionLowerer, e: L.LinAlg) -> ir.Value:
    """``np.kron(a, b)`` of 2-D arrays: out[i*p + k, j*q + l] = a[i, j] * b[k, l]."""
    b = gen.b
    at, bt = e.args[0].type, e.args[1].type
    assert isinstance(at, Array) and isinstance(bt, Array) and isinstance(e.type, Array)
    dtype = e.type.dtype
    ft = storage_type(dtype)
    with operand(gen.arrays, e.args[0]) as x, operand(gen.arrays, e.args[1]) as y:
        m, n, p, q = dim_of(b, x, 0), dim_of(b, x, 1), dim_of(b, y, 0), dim_of(b, y, 1)
        out = new.new_array(gen.arrays, e.type, [b.mul(m, p), b.mul(n, q)], zero=False)
        width = b.mul(n, q)
        dst = data_of(b, out)

        def at_(v: ir.Value, i: ir.Value, j: ir.Value) -> ir.Value:
            off = b.add(b.mul(i, stride_of(b, v, 0)), b.mul(j, stride_of(b, v, 1)))
            return b.gep(data_of(b, v), [off], source_etype=ir.IntType(8))

        with counted_loop(b, m, name="kron_i") as i, counted_loop(b, n, name="kron_j") as j:
            u = load_as(b, at_(x, i, j), at.dtype, dtype)
            with counted_loop(b, p, name="kron_k") as k, counted_loop(b, q, name="kron_l") as l_:
                v = load_as(b, at_(y, k, l_), bt.dtype, dtype)
                r = b.fmul(u, v) if dtype.kind == "f" else b.mul(u, v)
                row, col = b.add(b.mul(i, p), k), b.add(b.mul(j, q), l_)
                b.store(r, b.gep(dst, [b.add(b.mul(row, width), col)], source_etype=ft))
    return out


def _lstsq(gen: FunctionLowerer, e: L.LinAlg, a: ir.Value, c: ir.Value) -> ir.Value:
    """NumPy's ``lstsq``: ``dgelsd`` on A (m x n) and B (max(m, n) x nrhs, at least one
    column: NumPy pads an empty b so); x = B's first n rows; residuals Σ B[n:m]² per
    column when rank == n < m, else empty; rank; the singular values."""
    lp = Lapack(gen, e)
    b = lp.b
    at, bt = e.args[0].type, e.args[1].type
    assert isinstance(at, Array) and isinstance(bt, Array)
    m, n = dim_of(b, a, 0), dim_of(b, a, 1)
    rows = dim_of(b, c, 0)
    with b.if_then(b.icmp_signed("!=", rows, m), likely=False):
        lp.raise_linalg("Incompatible dimensions")
    work_a, _, _ = lp.fortran(a, at)
    nrhs = dim_of(b, c, 1) if bt.ndim == 2 else ir.Constant(I64, 1)
    cols = lp.at_least_one(nrhs)
    big = lp.at_least_one(b.select(b.icmp_signed(">", m, n), m, n))
    work_b = data_of(b, lp.array(F8, [big, cols], "F"))
    src, srow = data_of(b, c), stride_of(b, c, 0)
    scol = stride_of(b, c, 1) if bt.ndim == 2 else ir.Constant(I64, 0)
    with counted_loop(b, cols, name="lsq_j") as j, counted_loop(b, big, name="lsq_i") as i:
        inside = b.and_(b.icmp_signed("<", i, m), b.icmp_signed("<", j, nrhs))
        slot = b.gep(work_b, [b.add(b.mul(j, big), i)], source_etype=F64)
        with b.if_else(inside) as (copy, zero):
            with copy:
                at_ = b.gep(src, [b.add(b.mul(i, srow), b.mul(j, scol))], source_etype=ir.IntType(8))
                raw = b.load(at_, typ=storage_type(bt.dtype), align=1)
                b.store(lapack.to_double(b, raw, bt.dtype), slot)
            with zero:
                b.store(ir.Constant(F64, 0.0), slot)
    k = _min(b, m, n)
    s = lp.doubles(k)
    rcond = gen.alloca(F64, name="rcond")
    if len(e.args) == 3:
        b.store(gen.expr(e.args[2]), rcond)
    else:  # NumPy's default: finfo(float64).eps * max(n, m)
        b.store(b.fmul(ir.Constant(F64, 2.220446049250313e-16),
                       b.sitofp(b.select(b.icmp_signed(">", m, n), m, n), F64)), rcond)
    rank, info = lp.slot(0), lp.slot(0)
    head = [lp.slot(m), lp.slot(n), lp.slot(cols), work_a, lp.slot(lp.at_least_one(m)), work_b,
            lp.slot(big), s, rcond, rank]
    q = gen.alloca(F64, name="lwork_query")
    iq = lp.slot(0)
    lp.call("dgelsd", [*head, q, lp.slot(-1), iq, info])
    lwork, liwork = lp.at_least_one(lp.query(q)), lp.at_least_one(lp.load_int(iq))
    lp.call("dgelsd", [*head, lp.doubles(lwork), lp.slot(lwork), lp.ints(liwork), info])
    lp.check(info, "SVD did not converge in Linear Least Squares")
    dtype = linalg_dtype(e)
    x = lp.result(dtype, work_b, n, nrhs if bt.ndim == 2 else None, big)
    r = lp.load_int(rank)
    has = b.and_(b.icmp_signed("==", r, n), b.icmp_signed(">", m, n))
    count = b.select(has, nrhs, ir.Constant(I64, 0))
    resid = lp.array(dtype, [count], temp=False)
    ft = storage_type(dtype)
    with counted_loop(b, count, name="resid_j") as j:
        total = gen.alloca(F64, name="resid")
        b.store(ir.Constant(F64, 0.0), total)
        with counted_loop(b, b.sub(m, n), name="resid_i") as i:
            v = b.load(b.gep(work_b, [b.add(b.mul(j, big), b.add(n, i))], source_etype=F64), typ=F64)
            b.store(b.fadd(b.load(total, typ=F64), b.fmul(v, v)), total)
        t = b.load(total, typ=F64)
        b.store(t if ft == F64 else b.fptrunc(t, ft), b.gep(data_of(b, resid), [j], source_etype=ft))
    values = lp.result(dtype, s, k, None, k)
    lp.done()
    return results(gen, e, [x, resid, r, values])


RULES = {"lstsq": _lstsq, "qr": _qr, "svd": _svd, "pinv": _pinv, "matrix_power": _power, "kron": _kron}


def linalg(gen: FunctionLowerer, e: L.LinAlg) -> ir.Value:
    """The lowering rule of :class:`LinAlg` (codegen/function.py's table)."""
    rule = lapack.RULES.get(e.func) or RULES[e.func]
    if e.func == "kron":
        return rule(gen, e)
    first, second = e.args[0].type, e.args[-1].type
    if e.func == "solve" and isinstance(first, Array) and isinstance(second, Array) \
            and max(first.ndim, second.ndim) > 2:  # stacks: the batch axes broadcast
        return lapack_stacked.stacked_solve(gen, e)
    if isinstance(first, Array) and first.ndim > 2:  # a stack of matrices
        return lapack_stacked.stacked(gen, e, rule)
    with operand(gen.arrays, e.args[0]) as a:
        if e.func in ("solve", "lstsq"):
            with operand(gen.arrays, e.args[1]) as c:
                return rule(gen, e, a, c)
        extra = gen.expr(e.args[1]) if e.func == "matrix_power" else None
        return rule(gen, e, a, extra)
