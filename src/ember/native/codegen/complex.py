"""Complex numbers in LLVM IR, with CPython's arithmetic and exceptions (the algorithms of
CPython 3.11's ``Objects/complexobject.c`` and ``Modules/cmathmodule.c``, reimplemented).

    z * w          →  (a.r*b.r - a.i*b.i, a.r*b.i + a.i*b.r)          (_Py_c_prod)
    z / w          →  Smith's division by the larger part of w; w == 0 raises
                      ZeroDivisionError("complex division by zero")    (_Py_c_quot)
    z ** w         →  repeated squaring for an integral |w| <= 100, else polar form;
                      0 ** negative → ZeroDivisionError, inf result → OverflowError
    abs(z)         →  hypot, inf/nan rules of _Py_c_abs, OverflowError on overflow
    cmath.sqrt(z)  →  cmath_sqrt_impl's algorithm; an infinite/NaN part: CPython's table
    cmath.exp(z)   →  CPython's cmath module (its special-value tables), called

A complex value is ``{double, double}`` (real, imag) in registers. An int or float
meeting a complex becomes ``complex(x, 0.0)`` first, as CPython 3.11 does (3.14's mixed
real/complex rules differ in the sign of some zeros). No fast-math: the exact IEEE
operations CPython's C performs, in the same order (no fused multiply-add).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.llvm import C128, F64, I1, I64
from ember.native.codegen.builder import Gen, helper_function
from ember.native.codegen.builtins import python_function
from ember.native.codegen.operators import compare as real_compare
from ember.native.ir import nodes as T
from ember.native.messages import (
    MSG_COMPLEX_ABS_RANGE,
    MSG_COMPLEX_DIV0,
    MSG_COMPLEX_POW_RANGE,
    MSG_COMPLEX_ZERO_POW,
    MSG_RANGE,
)
from ember.native.types import FLOAT64, Bool, Complex128, Float64, Int64, Type

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

NAN = float("nan")


# ------------------------------------------------------------------ values


def pack(b: ir.IRBuilder, re: ir.Value, im: ir.Value) -> ir.Value:
    """``{re, im}``."""
    v = b.insert_value(ir.Constant(C128, ir.Undefined), re, 0)
    return b.insert_value(v, im, 1)


def unpack(b: ir.IRBuilder, v: ir.Value) -> tuple[ir.Value, ir.Value]:
    """``(v.real, v.imag)``."""
    return b.extract_value(v, 0), b.extract_value(v, 1)


def constant(value: complex) -> ir.Constant:
    return ir.Constant(C128, [ir.Constant(F64, value.real), ir.Constant(F64, value.imag)])


def real_value(g: Gen, v: ir.Value, t: Type) -> ir.Value:
    """A bool, int or float as a double, as ``PyNumber_Float`` (round to nearest)."""
    if isinstance(t, Float64):
        return v
    if isinstance(t, Bool):
        return g.b.uitofp(v, F64)
    if isinstance(t, Int64):
        return g.b.sitofp(v, F64)
    raise NotImplementedError(f"{t} where a real number is needed")


def convert(g: Gen, v: ir.Value, src: Type) -> ir.Value:
    """``complex(x)`` of a bool, int or float: ``(float(x), 0.0)``."""
    if isinstance(src, Complex128):
        return v
    return pack(g.b, real_value(g, v, src), g.f64(0.0))


# -------------------------------------------------------------- arithmetic


def prod(b: ir.IRBuilder, a: ir.Value, c: ir.Value) -> ir.Value:
    """_Py_c_prod: the schoolbook product, in CPython's order of operations."""
    ar, ai = unpack(b, a)
    cr, ci = unpack(b, c)
    return pack(b, b.fsub(b.fmul(ar, cr), b.fmul(ai, ci)), b.fadd(b.fmul(ar, ci), b.fmul(ai, cr)))


def quot(g: Gen, a: ir.Value, c: ir.Value) -> tuple[ir.Value, ir.Value]:
    """_Py_c_quot: ``(a / c, c == 0)``. Divides numerator and denominator by the larger
    part of ``c`` (no spurious overflow); NaN in ``c`` with neither part the larger
    gives nan+nanj. Both cases are computed and one selected: no branch."""
    b = g.b
    ar, ai = unpack(b, a)
    br, bi = unpack(b, c)
    abr, abi = g.fcall("llvm.fabs.f64", br), g.fcall("llvm.fabs.f64", bi)
    real_big = b.fcmp_ordered(">=", abr, abi)
    imag_big = b.fcmp_ordered(">=", abi, abr)
    zero = b.and_(real_big, b.fcmp_ordered("==", abr, g.f64(0.0)))
    # |b.real| >= |b.imag|: divide through by b.real
    ratio = b.fdiv(bi, br)
    denom = b.fadd(br, b.fmul(bi, ratio))
    r1 = b.fdiv(b.fadd(ar, b.fmul(ai, ratio)), denom)
    i1 = b.fdiv(b.fsub(ai, b.fmul(ar, ratio)), denom)
    # |b.imag| > |b.real|: divide through by b.imag
    ratio2 = b.fdiv(br, bi)
    denom2 = b.fadd(b.fmul(br, ratio2), bi)
    r2 = b.fdiv(b.fadd(b.fmul(ar, ratio2), ai), denom2)
    i2 = b.fdiv(b.fsub(b.fmul(ai, ratio2), ar), denom2)
    nan = g.f64(NAN)
    re = b.select(real_big, r1, b.select(imag_big, r2, nan))
    im = b.select(real_big, i1, b.select(imag_big, i2, nan))
    return pack(b, re, im), zero


def binop(g: Gen, op: str, a: ir.Value, c: ir.Value) -> ir.Value:
    """``a op c`` of two complex values (``+ - * / **``)."""
    b = g.b
    if op in ("+", "-"):
        ar, ai = unpack(b, a)
        cr, ci = unpack(b, c)
        f = b.fadd if op == "+" else b.fsub
        return pack(b, f(ar, cr), f(ai, ci))
    if op == "*":
        return prod(b, a, c)
    if op == "/":
        q, zero = quot(g, a, c)
        g.guard(zero, "ZeroDivisionError", MSG_COMPLEX_DIV0)
        return q
    if op == "**":
        return g.call_helper(_pow_helper(g), C128, [a, c])
    raise NotImplementedError(f"complex {op}")


def _powu(h: Gen, x: ir.Value, n: ir.Value) -> ir.Value:
    """c_powu: ``x ** n`` for 1 <= n <= 100 by squaring (CPython's exact sequence of
    products, starting from 1+0j)."""
    b = h.b
    r, p, mask = h.alloca(C128), h.alloca(C128), h.alloca(I64)
    b.store(constant(1 + 0j), r)
    b.store(x, p)
    b.store(h.i64(1), mask)
    head, body, end = h.block("powu.cond"), h.block("powu.body"), h.block("powu.end")
    b.branch(head)
    b.position_at_end(head)
    m = b.load(mask, typ=I64)
    b.cbranch(b.icmp_signed(">=", n, m), body, end)  # mask stays > 0: n <= 100
    b.position_at_end(body)
    bit = b.icmp_unsigned("!=", b.and_(n, m), h.i64(0))
    pv = b.load(p, typ=C128)
    rv = b.load(r, typ=C128)
    b.store(b.select(bit, prod(b, rv, pv), rv), r)
    b.store(b.shl(m, h.i64(1)), mask)
    b.store(prod(b, pv, pv), p)
    b.branch(head)
    b.position_at_end(end)
    return b.load(r, typ=C128)


def _pow_helper(g: Gen) -> ir.Function:
    """complex_pow: c_powi for an integral exponent with |n| <= 100, else _Py_c_pow;
    EDOM → ZeroDivisionError, an infinite part → OverflowError (Py_ADJUST_ERANGE2)."""

    def body(h: Gen, args: list[ir.Value]) -> ir.Value:
        a, e = args
        b = h.b
        er, ei = unpack(b, e)
        out, edom = h.alloca(C128), h.alloca(I1)
        b.store(ir.Constant(I1, 0), edom)
        integral = b.and_(
            b.and_(b.fcmp_ordered("==", ei, h.f64(0.0)),
                   b.fcmp_ordered("==", er, h.fcall("llvm.floor.f64", er))),
            b.fcmp_ordered("<=", h.fcall("llvm.fabs.f64", er), h.f64(100.0)))
        small, general, end = h.block("pow.int"), h.block("pow.general"), h.block("pow.end")
        b.cbranch(integral, small, general)

        b.position_at_end(small)  # c_powi
        n = b.fptosi(er, I64)
        positive = b.icmp_signed(">", n, h.i64(0))
        mag = b.select(positive, n, b.neg(n))
        u = _powu(h, a, mag)
        inv, zero = quot(h, constant(1 + 0j), u)
        b.store(b.select(positive, u, inv), out)
        b.store(b.and_(b.not_(positive), zero), edom)
        b.branch(end)

        b.position_at_end(general)  # _Py_c_pow
        ar, ai = unpack(b, a)
        zero_e = b.and_(b.fcmp_ordered("==", er, h.f64(0.0)), b.fcmp_ordered("==", ei, h.f64(0.0)))
        zero_a = b.and_(b.fcmp_ordered("==", ar, h.f64(0.0)), b.fcmp_ordered("==", ai, h.f64(0.0)))
        one, polar, gend = h.block("pow.one"), h.block("pow.polar"), h.block("pow.gend")
        zero_case, polar_body = h.block("pow.zero"), h.block("pow.polar.body")
        b.cbranch(zero_e, one, polar)
        b.position_at_end(one)
        b.store(constant(1 + 0j), out)
        b.branch(gend)
        b.position_at_end(polar)
        b.cbranch(zero_a, zero_case, polar_body)
        b.position_at_end(zero_case)
        b.store(constant(0j), out)
        bad = b.or_(b.fcmp_unordered("!=", ei, h.f64(0.0)), b.fcmp_ordered("<", er, h.f64(0.0)))
        b.store(bad, edom)
        b.branch(gend)
        b.position_at_end(polar_body)
        vabs = h.fcall("hypot", ar, ai)
        length = h.fcall("pow", vabs, er)
        at = h.fcall("atan2", ai, ar)
        phase = b.fmul(at, er)
        with_imag = b.fcmp_unordered("!=", ei, h.f64(0.0))
        length = b.select(with_imag, b.fdiv(length, h.fcall("exp", b.fmul(at, ei))), length)
        phase = b.select(with_imag, b.fadd(phase, b.fmul(ei, h.fcall("log", vabs))), phase)
        # cos/sin of an infinite phase set EDOM in the libm CPython uses.
        b.store(h.isinf(phase), edom)
        b.store(pack(b, b.fmul(length, h.fcall("cos", phase)),
                     b.fmul(length, h.fcall("sin", phase))), out)
        b.branch(gend)
        b.position_at_end(gend)
        b.branch(end)

        b.position_at_end(end)
        r = b.load(out, typ=C128)
        h.guard(b.load(edom, typ=I1), "ZeroDivisionError", MSG_COMPLEX_ZERO_POW)
        rr, ri = unpack(b, r)
        h.guard(b.or_(h.isinf(rr), h.isinf(ri)), "OverflowError", MSG_COMPLEX_POW_RANGE)
        return r

    return helper_function(g.module, g.capi, g.options, "ember.complex_pow", C128,
                           [C128, C128], body)


def unaryop(g: Gen, op: str, v: ir.Value) -> ir.Value:
    if op == "+":
        return v
    if op == "-":
        re, im = unpack(g.b, v)
        return pack(g.b, g.b.fneg(re), g.b.fneg(im))
    raise NotImplementedError(f"complex unary {op}")


def compare(g: Gen, op: str, a: ir.Value, at: Type, c: ir.Value, ct: Type) -> ir.Value:
    """``==``/``!=`` with a complex operand, as complex_richcompare: an int is compared
    exactly with the real part (when the imaginary part is 0), not rounded first."""
    b = g.b
    if not isinstance(at, Complex128):  # put the complex operand first
        a, at, c, ct = c, ct, a, at
    ar, ai = unpack(b, a)
    if isinstance(ct, Complex128):
        cr, ci = unpack(b, c)
        equal = b.and_(b.fcmp_ordered("==", ar, cr), b.fcmp_ordered("==", ai, ci))
    else:
        if isinstance(ct, Bool):
            c, ct = b.zext(c, I64), Int64()
        real_eq = real_compare(g, "==", ar, FLOAT64, c, ct)
        equal = b.and_(b.fcmp_ordered("==", ai, g.f64(0.0)), real_eq)
    return equal if op == "==" else b.not_(equal)


# ------------------------------------------------------------------- calls


def c_abs(g: Gen, v: ir.Value, message: str = MSG_COMPLEX_ABS_RANGE) -> ir.Value:
    """_Py_c_abs: an infinite part gives inf (even with a NaN), else NaN if any part
    is NaN, else hypot; a finite input overflowing raises OverflowError(message)."""
    b = g.b
    re, im = unpack(b, v)
    h = g.fcall("hypot", re, im)
    finite = b.and_(g.isfinite(re), g.isfinite(im))
    g.guard(b.and_(finite, g.isinf(h)), "OverflowError", message)
    inf = b.or_(g.isinf(re), g.isinf(im))
    return b.select(finite, h, b.select(inf, g.f64(math.inf), g.f64(NAN)))


def c_atan2(g: Gen, v: ir.Value) -> ir.Value:
    """cmath's c_atan2: C99 atan2 of (imag, real) with NaN for any NaN part."""
    b = g.b
    re, im = unpack(b, v)
    nan = b.or_(g.isnan(re), g.isnan(im))
    return b.select(nan, g.f64(NAN), g.fcall("atan2", im, re))


def _sqrt(g: FunctionLowerer, z: ir.Value) -> ir.Value:
    """cmath.sqrt: cmath_sqrt_impl's algorithm for finite z (sqrt(|x|/8 + hypot) scaled,
    subnormal inputs scaled up by 2**53 first); an infinite or NaN part is left to
    CPython's special-value table."""
    b = g.b
    x, y = unpack(b, z)
    out = g.alloca(C128)
    special = b.not_(b.and_(g.isfinite(x), g.isfinite(y)))
    slow, fast, end = g.block("csqrt.table"), g.block("csqrt.fast"), g.block("csqrt.end")
    b.cbranch(special, slow, fast)
    b.position_at_end(slow)
    b.store(python_function(g, "cmath", "sqrt", [z], [Complex128()], Complex128()), out)
    b.branch(end)
    b.position_at_end(fast)
    ax, ay = g.fcall("llvm.fabs.f64", x), g.fcall("llvm.fabs.f64", y)
    tiny = b.and_(b.fcmp_ordered("<", ax, g.f64(2.2250738585072014e-308)),
                  b.fcmp_ordered("<", ay, g.f64(2.2250738585072014e-308)))
    up = g.f64(2.0**53)  # ldexp(., CM_SCALE_UP): exact
    axu = b.fmul(ax, up)
    s_tiny = b.fmul(g.fcall("llvm.sqrt.f64", b.fadd(axu, g.fcall("hypot", axu, b.fmul(ay, up)))),
                    g.f64(2.0**-27))  # ldexp(., CM_SCALE_DOWN): exact (a normal result)
    ax8 = b.fdiv(ax, g.f64(8.0))
    s_big = b.fmul(g.f64(2.0), g.fcall("llvm.sqrt.f64",
                                        b.fadd(ax8, g.fcall("hypot", ax8, b.fdiv(ay, g.f64(8.0))))))
    s = b.select(tiny, s_tiny, s_big)
    d = b.fdiv(ay, b.fmul(g.f64(2.0), s))
    nonneg = b.fcmp_ordered(">=", x, g.f64(0.0))
    re = b.select(nonneg, s, d)
    im = g.fcall("llvm.copysign.f64", b.select(nonneg, d, s), y)
    zero = b.and_(b.fcmp_ordered("==", x, g.f64(0.0)), b.fcmp_ordered("==", y, g.f64(0.0)))
    b.store(pack(b, b.select(zero, g.f64(0.0), re), b.select(zero, y, im)), out)
    b.branch(end)
    b.position_at_end(end)
    return b.load(out, typ=C128)


def _phase(g: FunctionLowerer, z: ir.Value) -> ir.Value:
    """cmath.phase: c_atan2, except that a result that may have underflowed (tiny, from
    a non-zero imaginary part) is left to CPython, whose libm's ERANGE turns it into
    OverflowError("math range error")."""
    b = g.b
    phi = c_atan2(g, z)
    tiny = b.and_(b.fcmp_ordered("<", g.fcall("llvm.fabs.f64", phi), g.f64(2.2250738585072014e-308)),
                  b.fcmp_ordered("!=", b.extract_value(z, 1), g.f64(0.0)))
    out = g.alloca(F64)
    b.store(phi, out)
    slow, end = g.block("phase.slow"), g.block("phase.end")
    b.cbranch(tiny, slow, end)
    b.position_at_end(slow)
    b.store(python_function(g, "cmath", "phase", [z], [Complex128()], FLOAT64), out)
    b.branch(end)
    b.position_at_end(end)
    return b.load(out, typ=F64)


def _complex_new(g: Gen, args: list[ir.Value], types: list[Type]) -> ir.Value:
    """``complex(r, i)`` as complex_new: ``r - i.imag + (r.imag + i.real)j`` for complex
    parts, each part used as it is otherwise (so ``complex(0.0, -0.0)`` keeps its zero)."""
    b = g.b
    (r, i), (rt, it) = args, types
    rr, ri = unpack(b, r) if isinstance(rt, Complex128) else (r, None)
    ir_, ii = unpack(b, i) if isinstance(it, Complex128) else (i, None)
    if ii is not None:
        rr = b.fsub(rr, ii)
    if ri is not None:
        ir_ = b.fadd(ir_, ri)
    return pack(b, rr, ir_)


#: cmath functions run by CPython's cmath module: its special-value tables and
#: algorithms are the definition of their results (and they are rarely the hot part).
CMATH_CALLED = (
    "sqrt", "exp", "log", "log10", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin",
    "acos", "atan", "asinh", "acosh", "atanh", "rect",
)  # fmt: skip


def call(g: FunctionLowerer, e: T.Call) -> ir.Value:
    """``complex(...)``, ``z.real``/``.imag``/``.conjugate()``, ``abs(z)``, ``cmath.*``."""
    b = g.b
    args = [g.expr(a) for a in e.args]
    types = [a.type for a in e.args]
    name = e.func
    if name == "complex":
        return _complex_new(g, args, types)
    if name in ("complex.real", "complex.imag"):
        return b.extract_value(args[0], 0 if name == "complex.real" else 1)
    if name == "complex.conjugate":
        re, im = unpack(b, args[0])
        return pack(b, re, b.fneg(im))
    if name == "complex.abs":
        return c_abs(g, args[0])
    short = name.removeprefix("cmath.")
    if short in ("isnan", "isinf", "isfinite"):
        re, im = unpack(b, args[0])
        if short == "isfinite":
            return b.and_(g.isfinite(re), g.isfinite(im))
        test = g.isnan if short == "isnan" else g.isinf
        return b.or_(test(re), test(im))
    if short == "phase":
        return _phase(g, args[0])
    if short == "polar":
        phi = c_atan2(g, args[0])
        r = c_abs(g, args[0], MSG_RANGE)
        out: ir.Value = ir.Constant(ir.LiteralStructType([F64, F64]), ir.Undefined)
        return b.insert_value(b.insert_value(out, r, 0), phi, 1)
    if short == "sqrt":
        return _sqrt(g, args[0])
    if short in CMATH_CALLED:
        return python_function(g, "cmath", short, args, types, e.type)
    raise NotImplementedError(f"complex call {name}")
