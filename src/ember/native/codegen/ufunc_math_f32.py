"""NumPy 2.4's own float32 sin, cos, exp and log, one lane at a time, in LLVM IR.

NumPy computes these four with its own SIMD kernels on any x86 host with FMA3, not
with libm; porting the kernels operation by operation (same constants, same fused
multiply-adds, same order) gives the same bits:

- sin/cos: loops_trigonometric.dispatch.cpp ``simd_sincos_f32`` (Cody-Waite reduction,
  minimax polynomials; libm ``sinf``/``cosf`` beyond ±117435.992 / ±71476.0625),
- exp/log: loops_exponent_log.dispatch.c.src ``simd_exp_FLOAT`` / ``simd_log_FLOAT``
  (AVX512F: ``scalef``, ``getexp``, ``getmant``, written here with integer bit work).

No llvmlite.binding, no NumPy (the caller, :mod:`ufunc_math`, checks NumPy's targets).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from llvmlite import ir

from ember.native.boundary.capi import extern_function

F32 = ir.FloatType()
F64 = ir.DoubleType()
I32 = ir.IntType(32)
I64 = ir.IntType(64)


def _c(v: float | str) -> ir.Constant:
    return ir.Constant(F32, float.fromhex(v) if isinstance(v, str) else v)


def _fma(b: ir.IRBuilder, x: ir.Value, y: ir.Value, z: ir.Value) -> ir.Value:
    return b.call(extern_function(b.module, "llvm.fma.f32", F32, (F32, F32, F32)), [x, y, z])


def _fabs(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    return b.call(extern_function(b.module, "llvm.fabs.f32", F32, (F32,)), [x])


def _horner(b: ir.IRBuilder, x: ir.Value, coeffs: list[float | str]) -> ir.Value:
    # fma(fma(c[0], x, c[1]), x, c[2])...: the kernels' evaluation order.
    r = _fma(b, _c(coeffs[0]), x, _c(coeffs[1]))
    for c in coeffs[2:]:
        r = _fma(b, r, x, _c(c))
    return r


def _libm(b: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    fn = extern_function(b.module, name, F32, (F32,))
    if "nobuiltin" not in fn.attributes:
        fn.attributes.add("nobuiltin")  # keep LLVM from rewriting the libm call
    return b.call(fn, [x])


_MAGIC = "0x1.800000p+23"  # adding and subtracting it rounds to nearest (|a| <= 2^22)


def _sincos_poly(b: ir.IRBuilder, x: ir.Value, cos: bool) -> ir.Value:
    # NumPy's compiler contracts x*(2/pi) + magic into one FMA (measured: the
    # unfused form differs by 1 ULP near quadrant boundaries).
    quadrant = _fma(b, x, _c("0x1.45f306p-1"), _c(_MAGIC))  # 2/pi
    quadrant = b.fsub(quadrant, _c(_MAGIC))
    r = x
    for c in ("-0x1.921fb0p+00", "-0x1.5110b4p-22", "-0x1.846988p-48"):  # -pi/2 in 3 parts
        r = _fma(b, quadrant, _c(c), r)
    r2 = b.fmul(r, r)
    cos_p = _horner(b, r2, ["0x1.98e616p-16", "-0x1.6c06dcp-10", "0x1.55553cp-05",
                            "-0x1.000000p-01", "0x1.000000p+00"])  # fmt: skip
    sin_p = _horner(b, r2, ["0x1.7d3bbcp-19", "-0x1.a06bbap-13", "0x1.11119ap-07",
                            "-0x1.555556p-03", 0.0])  # fmt: skip
    sin_p = _fma(b, sin_p, r, r)
    iq = b.fptosi(quadrant, I32)  # quadrant is integral already (NearestInt)
    if cos:
        iq = b.add(iq, ir.Constant(I32, 1))
    use_sin = b.icmp_signed("==", b.and_(iq, ir.Constant(I32, 1)), ir.Constant(I32, 0))
    res = b.select(use_sin, sin_p, cos_p)
    negate = b.icmp_signed("==", b.and_(iq, ir.Constant(I32, 2)), ir.Constant(I32, 2))
    return b.select(negate, b.fsub(_c(0.0), res), res)  # MaskedSubOr(0 - res)


def sincos(b: ir.IRBuilder, x_in: ir.Value, cos: bool) -> ir.Value:
    """NumPy's float32 ``sin`` (``cos=False``) or ``cos`` of ``x_in``."""
    nan = b.fcmp_unordered("uno", x_in, x_in)
    x0 = b.select(nan, _c(0.0), x_in)  # NaN lanes go through the polynomial as 0
    in_range = b.fcmp_ordered("<=", _fabs(b, x0), _c(71476.0625 if cos else 117435.992))
    poly = b.select(nan, _c(math.nan), _sincos_poly(b, b.select(in_range, x0, _c(0.0)), cos))
    # Beyond Cody-Waite's range NumPy calls libm per element; branch so the common
    # case pays nothing for it.
    entry = b.block
    with b.if_then(b.not_(in_range), likely=False):
        big = _libm(b, "cosf" if cos else "sinf", x0)
        big_block = b.block
    out = b.phi(F32)
    out.add_incoming(poly, entry)
    out.add_incoming(big, big_block)
    return out


def sin(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """NumPy's float32 sine."""
    return sincos(b, x, cos=False)


def cos(b: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """NumPy's float32 cosine."""
    return sincos(b, x, cos=True)


def _scalef(b: ir.IRBuilder, poly: ir.Value, quadrant: ir.Value) -> ir.Value:
    # AVX512 scalef: poly * 2^quadrant rounded once. |quadrant| <= 150 here, so the
    # double product is exact and one fptrunc is the single rounding (subnormals too).
    k = b.fptosi(quadrant, I64)
    scale = b.bitcast(b.shl(b.add(k, ir.Constant(I64, 1023)), ir.Constant(I64, 52)), F64)
    return b.fptrunc(b.fmul(b.fpext(poly, F64), scale), F32)


def exp(b: ir.IRBuilder, x_in: ir.Value) -> ir.Value:
    """NumPy's float32 ``exp`` (simd_exp_FLOAT)."""
    nan = b.fcmp_unordered("uno", x_in, x_in)
    x = b.select(nan, _c(0.0), x_in)
    big = b.fcmp_ordered(">=", x, _c(88.72283935546875))
    small = b.fcmp_ordered("<=", x, _c(-103.97208404541015625))
    x = b.select(b.or_(b.or_(nan, small), big), _c(0.0), x)
    quadrant = b.fmul(x, _c(1.442695040888963407359924681001892137))  # log2(e)
    quadrant = b.fsub(b.fadd(quadrant, _c(_MAGIC)), _c(_MAGIC))
    x = _fma(b, quadrant, _c(-6.93145752e-1), x)  # Cody-Waite ln 2, high part
    x = _fma(b, quadrant, _c(-1.42860677e-6), x)
    x = _fma(b, quadrant, _c(0.0), x)  # the kernel's third step (c3 = 0)
    num = _horner(b, x, [5.082762527590693718096e-04, 6.757896990527504603057e-03,
                         5.114512081637298353406e-02, 2.473615434895520810817e-01,
                         7.257664613233124478488e-01, 9.999999999980870924916e-01])  # fmt: skip
    den = _horner(b, x, [2.159509375685829852307e-02, -2.742335390411667452936e-01, 1.0])
    poly = _scalef(b, b.fdiv(num, den), quadrant)
    poly = b.select(nan, _c(math.nan), poly)
    poly = b.select(big, _c(math.inf), poly)
    return b.select(small, _c(0.0), poly)


def _frexp(b: ir.IRBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(getexp(x) + 1, getmant(x) in [0.5, 1)) for positive finite x, subnormals too."""
    sub = b.icmp_unsigned("<", b.bitcast(x, I32), ir.Constant(I32, 0x00800000))
    xn = b.select(sub, b.fmul(x, _c(8388608.0)), x)  # * 2^23 normalises, exactly
    bits = b.bitcast(xn, I32)
    e = b.sub(b.lshr(bits, ir.Constant(I32, 23)), b.select(sub, ir.Constant(I32, 126 + 23), ir.Constant(I32, 126)))
    mant = b.bitcast(b.or_(b.and_(bits, ir.Constant(I32, 0x007FFFFF)), ir.Constant(I32, 0x3F000000)), F32)
    return b.sitofp(e, F32), mant


def log(b: ir.IRBuilder, x_in: ir.Value) -> ir.Value:
    """NumPy's float32 ``log`` (simd_log_FLOAT)."""
    neg = b.fcmp_ordered("<", x_in, _c(0.0))
    zero = b.fcmp_ordered("==", x_in, _c(0.0))
    inf = b.fcmp_ordered("==", x_in, _c(math.inf))
    nan = b.fcmp_unordered("uno", x_in, x_in)
    exponent, x = _frexp(b, b.select(neg, _c(0.0), x_in))
    small = b.fcmp_ordered("<=", x, _c(0.707106781186547524400844362104849039))  # 1/sqrt 2
    x = b.select(small, b.fadd(x, x), x)
    exponent = b.select(small, b.fsub(exponent, _c(1.0)), exponent)
    x = b.fsub(x, _c(1.0))
    num = _horner(b, x, [2.589979117907922693523e-02, 3.808837741388407920751e-01,
                         1.480000633576506585156e+00, 2.112677543073053063722e+00,
                         9.999999999999998702752e-01, 0.0])  # fmt: skip
    den = _horner(b, x, [5.875095403124574342950e-03, 1.546476374983906719538e-01,
                         9.864942958519418960339e-01, 2.453006071784736363091e+00,
                         2.612677543073109236779e+00, 1.0])  # fmt: skip
    poly = _fma(b, exponent, _c(0.693147180559945309417232121458176568), b.fdiv(num, den))
    poly = b.select(nan, _c(math.nan), poly)
    poly = b.select(neg, _c(-math.nan), poly)
    poly = b.select(zero, _c(-math.inf), poly)
    return b.select(inf, _c(math.inf), poly)


KERNELS: dict[str, Callable[[ir.IRBuilder, ir.Value], ir.Value]] = {
    "sin": sin, "cos": cos, "exp": exp, "log": log,
}  # fmt: skip
