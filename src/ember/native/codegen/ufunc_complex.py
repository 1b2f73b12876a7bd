"""One element of NumPy's complex ufunc loops, on storage values (a complex128 is a
``{double, double}``, a complex64 a ``{float, float}``), computed in the storage
precision as NumPy's C loops do (``numpy/_core/src/umath/loops``)::

    multiply   (ar*br - ai*bi, ar*bi + ai*br), with fused multiply-adds where NumPy's
               own loop fuses them (its SIMD loop on an FMA CPU: :func:`numpy_fuses`)
    divide     Smith's algorithm by the larger part of the divisor, times 1/denominator;
               a zero divisor gives inf/nan parts (no exception: NumPy only warns)
    absolute   hypot (complex → real); sqrt, exp, log: libm's csqrt, cexp, clog
    equal      both parts equal (NaN unequal)

and NumPy's casts to and from complex (a complex → real cast keeps the real part;
NumPy's ComplexWarning is not raised). llvmlite.ir only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import llvmlite.ir as ir

from ember.native.boundary.capi import extern_function
from ember.native.boundary.llvm import F32, F64, I8, storage_type
from ember.native.types import DType

#: A complex rule: (builder, argument storage values, their dtypes, output dtype).
Rule = Callable[[ir.IRBuilder, list[ir.Value], Sequence[DType], DType], ir.Value]


def parts(b: ir.IRBuilder, z: ir.Value) -> tuple[ir.Value, ir.Value]:
    return b.extract_value(z, 0), b.extract_value(z, 1)


def make(b: ir.IRBuilder, re: ir.Value, im: ir.Value) -> ir.Value:
    ty = ir.LiteralStructType([re.type, re.type])
    return b.insert_value(b.insert_value(ir.Constant(ty, ir.Undefined), re, 0), im, 1)


def _libm(b: ir.IRBuilder, name: str, x: ir.Value, *rest: ir.Value) -> ir.Value:
    f32 = x.type == F32
    fn = extern_function(b.module, name + ("f" if f32 else ""), x.type, [x.type] * (1 + len(rest)))
    return b.call(fn, [x, *rest])


def _fabs(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    suffix = "f32" if x.type == F32 else "f64"
    fn = extern_function(b.module, f"llvm.fabs.{suffix}", x.type, [x.type])
    return b.call(fn, [x])


# ------------------------------------------------------------------ rules


def _add(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    (xr, xi), (yr, yi) = parts(b, a[0]), parts(b, a[1])
    return make(b, b.fadd(xr, yr), b.fadd(xi, yi))


def _subtract(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    (xr, xi), (yr, yi) = parts(b, a[0]), parts(b, a[1])
    return make(b, b.fsub(xr, yr), b.fsub(xi, yi))


_LOOPS: dict[str, bool] = {}  # _numpy_loops()'s answers, asked once per process


def _numpy_loops() -> dict[str, bool]:
    """Which of its complex loops the installed NumPy runs, asked of NumPy on inputs
    where the candidates differ. The CPU decides it (it is in the native cache key);
    so does NumPy's version, which the key does not hold (as for NumPy's promotion
    rules): after upgrading NumPy, ``ember clean`` the native cache.

    - ``"fused"``: multiply fuses its multiply-adds (its SIMD loop on an FMA CPU:
      ``re = fma(ar, br, -(ai*bi))``, ``im = fma(ar, bi, ai*br)``), else every product
      is rounded (its baseline loop);
    - ``"simd_abs"``: absolute is its SIMD ``larger * sqrt(fma(r, r, 1))`` with ``r =
      smaller / larger``, else libm's hypot."""
    if not _LOOPS:
        try:
            import numpy as np  # only here: the answer is NumPy's own loop
        except ImportError:  # pragma: no cover - no NumPy, no complex arrays
            _LOOPS.update(fused=False, simd_abs=False)
        else:
            x = np.array([complex(float.fromhex("0x1.467884010c541p+55"), 1.0)])
            product = (x * np.array([3 + 1j]))[0].real
            _LOOPS["fused"] = bool(product != x[0].real * 3.0 - 1.0)
            _LOOPS["simd_abs"] = bool(np.abs(np.array([1 + 5j]))[0] != math.hypot(1.0, 5.0))
    return _LOOPS


def numpy_fuses() -> bool:
    """Whether NumPy's complex multiply fuses (:func:`_numpy_loops`)."""
    return _numpy_loops()["fused"]


def cmul(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """NumPy's complex product of two storage values (fused as its loop is)."""
    (xr, xi), (yr, yi) = parts(b, x), parts(b, y)
    if numpy_fuses():
        suffix = "f32" if xr.type == F32 else "f64"
        fma = extern_function(b.module, f"llvm.fma.{suffix}", xr.type, [xr.type] * 3)
        return make(b, b.call(fma, [xr, yr, b.fneg(b.fmul(xi, yi))]),
                    b.call(fma, [xr, yi, b.fmul(xi, yr)]))
    return make(b, b.fsub(b.fmul(xr, yr), b.fmul(xi, yi)), b.fadd(b.fmul(xr, yi), b.fmul(xi, yr)))


def plain_product(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """Every product rounded (NumPy's reduction loop: ``a.prod()``)."""
    (xr, xi), (yr, yi) = parts(b, x), parts(b, y)
    return make(b, b.fsub(b.fmul(xr, yr), b.fmul(xi, yi)), b.fadd(b.fmul(xr, yi), b.fmul(xi, yr)))


def _multiply(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    return cmul(b, a[0], a[1])


def _divide(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    """NumPy's complex divide: by the larger part of the divisor (``>=`` false for a NaN
    part, which takes the second branch); a zero divisor divides by |real| = 0."""
    (xr, xi), (yr, yi) = parts(b, a[0]), parts(b, a[1])
    ty = xr.type
    one, zero = ir.Constant(ty, 1.0), ir.Constant(ty, 0.0)
    ar, ai = _fabs(b, yr), _fabs(b, yi)
    real_big = b.fcmp_ordered(">=", ar, ai)
    both_zero = b.and_(b.fcmp_ordered("==", ar, zero), b.fcmp_ordered("==", ai, zero))
    # |yr| >= |yi| (and not both zero)
    rat = b.fdiv(yi, yr)
    scl = b.fdiv(one, b.fadd(yr, b.fmul(yi, rat)))
    r1 = b.fmul(b.fadd(xr, b.fmul(xi, rat)), scl)
    i1 = b.fmul(b.fsub(xi, b.fmul(xr, rat)), scl)
    # both zero: a complex inf or nan
    r0, i0 = b.fdiv(xr, ar), b.fdiv(xi, ar)
    # |yr| < |yi| (or a NaN part)
    rat2 = b.fdiv(yr, yi)
    scl2 = b.fdiv(one, b.fadd(yi, b.fmul(yr, rat2)))
    r2 = b.fmul(b.fadd(b.fmul(xr, rat2), xi), scl2)
    i2 = b.fmul(b.fsub(b.fmul(xi, rat2), xr), scl2)
    re = b.select(real_big, b.select(both_zero, r0, r1), r2)
    im = b.select(real_big, b.select(both_zero, i0, i1), i2)
    return make(b, re, im)


def _negative(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    re, im = parts(b, a[0])
    return make(b, b.fneg(re), b.fneg(im))


def _positive(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    return a[0]


def _conjugate(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    if d[0].kind != "c":
        return a[0]  # np.conj of a real array is the array's values
    re, im = parts(b, a[0])
    return make(b, re, b.fneg(im))


def _absolute(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    re, im = parts(b, a[0])
    if not _numpy_loops()["simd_abs"]:
        return _libm(b, "hypot", re, im)
    # NumPy's SIMD cabsolute: an inf part makes both inf, then a NaN part both NaN.
    ty = re.type
    inf, nan, zero = (ir.Constant(ty, v) for v in (math.inf, math.nan, 0.0))
    re, im = _fabs(b, re), _fabs(b, im)
    re_inf, im_inf = b.fcmp_ordered("==", re, inf), b.fcmp_ordered("==", im, inf)
    im = b.select(re_inf, inf, im)
    re = b.select(im_inf, inf, re)
    re_ok, im_ok = b.fcmp_ordered("ord", re, re), b.fcmp_ordered("ord", im, im)
    im = b.select(re_ok, im, nan)
    re = b.select(im_ok, re, nan)
    larger = b.select(b.fcmp_ordered(">", re, im), re, im)
    smaller = b.select(b.fcmp_ordered("<", im, re), im, re)
    divide = b.not_(b.or_(b.fcmp_ordered("==", larger, zero), b.fcmp_ordered("==", smaller, inf)))
    ratio = b.select(divide, b.fdiv(smaller, larger), zero)
    suffix = "f32" if ty == F32 else "f64"
    fma = extern_function(b.module, f"llvm.fma.{suffix}", ty, [ty] * 3)
    sqrt = extern_function(b.module, f"llvm.sqrt.{suffix}", ty, [ty])
    return b.fmul(b.call(sqrt, [b.call(fma, [ratio, ratio, ir.Constant(ty, 1.0)])]), larger)


def _square(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    return cmul(b, a[0], a[0])  # NumPy's SIMD square is its product of a with a


def _equal(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    (xr, xi), (yr, yi) = parts(b, a[0]), parts(b, a[1])
    eq = b.and_(b.fcmp_ordered("==", xr, yr), b.fcmp_ordered("==", xi, yi))
    return b.zext(eq, I8)


def _not_equal(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    (xr, xi), (yr, yi) = parts(b, a[0]), parts(b, a[1])
    ne = b.or_(b.fcmp_unordered("!=", xr, yr), b.fcmp_unordered("!=", xi, yi))
    return b.zext(ne, I8)


def _classify(test: str) -> Rule:
    def rule(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
        re, im = parts(b, a[0])
        inf = ir.Constant(re.type, float("inf"))

        def one(x: ir.Value) -> ir.Value:
            if test == "isnan":
                return b.fcmp_unordered("uno", x, x)
            if test == "isinf":
                return b.fcmp_ordered("==", _fabs(b, x), inf)
            return b.fcmp_ordered("<", _fabs(b, x), inf)

        joined = b.and_(one(re), one(im)) if test == "isfinite" else b.or_(one(re), one(im))
        return b.zext(joined, I8)

    return rule


def _libm_complex(name: str) -> Rule:
    """csqrt/cexp/clog of a complex128: ``{double, double} (double, double)`` at the C
    ABI (x86-64 SysV, AArch64: the two parts in two FP registers each way)."""

    def rule(b: ir.IRBuilder, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
        re, im = parts(b, a[0])
        if re.type != F64:  # csqrtf & co. pass a packed <2 x float>: not declared here
            raise NotImplementedError(f"np.{name[1:]}() of complex64")
        fn = extern_function(b.module, name, storage_type(DType("complex128")), [F64, F64])
        if "nobuiltin" not in fn.attributes:
            fn.attributes.add("nobuiltin")  # the libm call NumPy makes, not a rewrite
        return b.call(fn, [re, im])

    return rule


RULES: dict[str, Rule] = {
    "add": _add, "subtract": _subtract, "multiply": _multiply, "divide": _divide,
    "negative": _negative, "positive": _positive, "conjugate": _conjugate,
    "absolute": _absolute, "square": _square, "equal": _equal, "not_equal": _not_equal,
    "isnan": _classify("isnan"), "isinf": _classify("isinf"),
    "isfinite": _classify("isfinite"), "sqrt": _libm_complex("csqrt"),
    "exp": _libm_complex("cexp"), "log": _libm_complex("clog"),
}  # fmt: skip


def handles(name: str, dtypes: Sequence[DType]) -> bool:
    """Whether this module lowers ``name`` on these (input and output) dtypes."""
    return name == "conjugate" or (name in RULES and any(t.kind == "c" for t in dtypes))


def lower(b: ir.IRBuilder, name: str, args: list[ir.Value], dtypes: Sequence[DType],
          out: DType) -> ir.Value:
    return RULES[name](b, args, dtypes, out)


# ------------------------------------------------------------------ casts


def cast(b: ir.IRBuilder, x: ir.Value, src: DType, dst: DType,
         real_cast: Callable[[ir.IRBuilder, ir.Value, DType, DType], ir.Value]) -> ir.Value:
    """NumPy's cast of a storage value where ``src`` or ``dst`` is complex; ``real_cast``
    casts between the real dtypes (codegen/casts.py)."""
    if src.kind == "c" and dst.kind == "c":
        re, im = parts(b, x)
        part = F32 if dst.itemsize == 8 else F64
        conv = (lambda v: v) if re.type == part else (
            (lambda v: b.fpext(v, part)) if part == F64 else (lambda v: b.fptrunc(v, part)))
        return make(b, conv(re), conv(im))
    if src.kind == "c":  # complex → real: the real part (→ bool: either part non-zero)
        re, im = parts(b, x)
        part = DType("float32" if src.itemsize == 8 else "float64")
        if dst.kind == "b":
            zero = ir.Constant(re.type, 0.0)
            nz = b.or_(b.fcmp_unordered("!=", re, zero), b.fcmp_unordered("!=", im, zero))
            return b.zext(nz, I8)
        return real_cast(b, re, part, dst)
    # real → complex: (x, 0)
    part = DType("float32" if dst.itemsize == 8 else "float64")
    re = real_cast(b, x, src, part)
    return make(b, re, ir.Constant(re.type, 0.0))
