"""Operators with CPython's semantics, as LLVM IR: arithmetic, shifts, bitwise,
unary operators and (exact, mixed int/float) comparisons.

    a // b  on int64   →  sdiv + floor adjustment, ZeroDivisionError, INT64_MIN // -1 overflow
    a % b   on float   →  CPython's float_rem: fmod, then the sign of the divisor
    i == f  int/float  →  exact, as Python: 2**53 + 1 == 2.0**53 is False

Called by :mod:`ember.native.codegen.function` with the operands already lowered; each error is a
cold branch raising the exception CPython raises (int64 overflow raises OverflowError,
ember's one documented difference).
"""

from __future__ import annotations

from llvmlite import ir

from ember.native.analysis.loops import parity_range
from ember.native.boundary.llvm import F64, I1, I8, I64
from ember.native.codegen import np_scalars
from ember.native.codegen.builder import Gen, helper_function
from ember.native.messages import (
    MSG_COMPLEX_POW,
    MSG_FLOAT_DIV0,
    MSG_FLOAT_FLOORDIV0,
    MSG_FLOAT_MOD0,
    MSG_INT_DIV0,
    MSG_INT_MOD0,
    MSG_INT_TRUEDIV0,
    MSG_NEG_INT_POW,
    MSG_NEG_SHIFT,
    MSG_POW_OVERFLOW,
    MSG_ZERO_NEG_POW,
)
from ember.native.types import (
    INT64,
    INT64_MIN,
    Bool,
    Float64,
    Int64,
    NoneType,
    NpScalar,
    Tuple,
    Type,
)


def binop(g: Gen, op: str, a: ir.Value, c: ir.Value, t: Type, result: Type) -> ir.Value:
    """``a op c`` for operands of type ``t`` giving ``result``."""
    if isinstance(t, Bool):
        if op in ("&", "|", "^") and isinstance(result, Bool):
            return {"&": g.b.and_, "|": g.b.or_, "^": g.b.xor}[op](a, c)
        a, c, t = g.b.zext(a, I64), g.b.zext(c, I64), INT64
    if isinstance(t, Int64):
        if isinstance(result, Float64):
            if op == "/":
                return int_truediv(g, a, c)
            # int ** int typed float (a negative exponent): Python's float_pow of both.
            return float_binop(g, op, g.b.sitofp(a, F64), g.b.sitofp(c, F64))
        return int_binop(g, op, a, c)
    if isinstance(t, Float64):
        return float_binop(g, op, a, c)
    raise NotImplementedError(f"{t} {op} {t}")


# ---------------------------------------------------------------- integers


def _overflow_op(g: Gen, name: str, a: ir.Value, c: ir.Value) -> ir.Value:
    """The wrapped result; the overflow bit goes to the sticky flag (``Gen.overflow``)."""
    fn = g.intrinsic(f"llvm.{name}.with.overflow.i64", ir.LiteralStructType([I64, I1]), [I64, I64])
    pair = g.b.call(fn, [a, c])
    g.overflow(g.b.extract_value(pair, 1))
    return g.b.extract_value(pair, 0)


def int_binop(g: Gen, op: str, a: ir.Value, c: ir.Value) -> ir.Value:
    b = g.b
    zero, minus1 = g.i64(0), g.i64(-1)
    if op == "+":
        return _overflow_op(g, "sadd", a, c)
    if op == "-":
        return _overflow_op(g, "ssub", a, c)
    if op == "*":
        k, x = _constant_side(a, c)
        if k is not None and k > 1:
            # x * k overflows iff x is outside [ceil(MIN/k), floor(MAX/k)]: a range test
            # off the dependency chain, so the product stays a shift/LEA.
            lo, hi = -((2**63) // k), (2**63 - 1) // k
            out = b.or_(b.icmp_signed("<", x, g.i64(lo)), b.icmp_signed(">", x, g.i64(hi)))
            g.overflow(out)
            # No nsw: with deferred checks the wrapped product is used (nsw would make
            # it poison).
            return b.mul(x, g.i64(k))
        return _overflow_op(g, "smul", a, c)
    if op == "//":
        g.guard(b.icmp_signed("==", c, zero), "ZeroDivisionError", MSG_INT_DIV0)
        wraps = b.and_(b.icmp_signed("==", a, g.i64(INT64_MIN)), b.icmp_signed("==", c, minus1))
        g.overflow(wraps)
        # INT64_MIN // -1 is undefined in LLVM: divide by 1 instead (the wrapped
        # result, INT64_MIN; the flag raises OverflowError at the next check point).
        c = b.select(wraps, g.i64(1), c)
        q, r = b.sdiv(a, c), b.srem(a, c)
        adjust = b.and_(b.icmp_signed("!=", r, zero), b.icmp_signed("<", b.xor(r, c), zero))
        return b.select(adjust, b.sub(q, g.i64(1)), q)
    if op == "%":
        g.guard(b.icmp_signed("==", c, zero), "ZeroDivisionError", MSG_INT_MOD0)
        # x % -1 is 0 like x % 1, and srem(INT64_MIN, -1) is undefined in LLVM.
        safe = b.select(b.icmp_signed("==", c, minus1), g.i64(1), c)
        r = b.srem(a, safe)
        adjust = b.and_(b.icmp_signed("!=", r, zero), b.icmp_signed("<", b.xor(r, c), zero))
        return b.select(adjust, b.add(r, c), r)
    if op == "**":
        return g.call_helper(_ipow_helper(g), I64, [a, c])
    if op in ("<<", ">>"):
        g.guard(b.icmp_signed("<", c, zero), "ValueError", MSG_NEG_SHIFT)
        wide = b.icmp_signed(">=", c, g.i64(64))
        if op == ">>":
            return b.ashr(a, b.select(wide, g.i64(63), c))  # 0 or -1 once all bits are out
        cnt = b.select(wide, zero, c)
        shifted = b.shl(a, cnt)
        lost = b.or_(wide, b.icmp_signed("!=", b.ashr(shifted, cnt), a))
        g.overflow(b.and_(b.icmp_signed("!=", a, zero), lost))
        return b.select(wide, zero, shifted)
    if op == "&":
        return b.and_(a, c)
    if op == "|":
        return b.or_(a, c)
    if op == "^":
        return b.xor(a, c)
    raise NotImplementedError(f"int64 {op} int64")


def _constant_side(a: ir.Value, c: ir.Value) -> tuple[int | None, ir.Value]:
    """(the constant operand's value, the other operand) of a commutative op."""
    if isinstance(c, ir.Constant) and isinstance(c.constant, int):
        return c.constant, a
    if isinstance(a, ir.Constant) and isinstance(a.constant, int):
        return a.constant, c
    return None, a


def _wrap64(v: int) -> int:
    """``v`` modulo 2**64, as a signed int64 constant."""
    return (v + 2**63) % 2**64 - 2**63


def affine(g: Gen, x: ir.Value, k: int, c: int, parity: bool | None = None) -> ir.Value:
    """``k * x + c`` for constants ``k`` and ``c``, checked once: overflow iff the exact
    result leaves int64, i.e. iff ``x`` is outside one range. The wrapped arithmetic is
    exact whenever the result fits, so an intermediate ``k * x`` past int64 no longer
    raises where CPython's result fits (``3 * x + 1`` in a Collatz step, an LCG).

    ``parity`` (True: odd) says the current predicate (an if-converted arm) is exactly
    "``x`` has this parity": the range and the predicate are then tested by one
    rotate-and-compare (:func:`parity_range`) instead of ``predicate and not in
    range``, which keeps the predicate off the loop's critical path (``else: x = 3*x +
    1`` after ``if x % 2 == 0``)."""
    b = g.b
    if k > 0:
        lo, hi = -((INT64_MIN - c) // -k), (2**63 - 1 - c) // k  # ceil, floor
    else:
        lo, hi = -((2**63 - 1 - c) // -k), (INT64_MIN - c) // k
    if lo > hi:
        g.overflow(ir.Constant(I1, 1))
    elif lo > INT64_MIN or hi < 2**63 - 1:
        lo, hi = max(lo, INT64_MIN), min(hi, 2**63 - 1)
        fused = None
        if parity is not None and g.predicate is not None:
            fused = parity_range(lo, hi, parity)
        if fused is not None:
            u = b.sub(x, g.i64(_wrap64(fused[0])))
            ror = g.intrinsic("llvm.fshr.i64", I64, [I64, I64, I64])
            bad = b.icmp_unsigned(">", b.call(ror, [u, u, g.i64(1)]), g.i64(_wrap64(fused[1])))
            saved, g.predicate = g.predicate, None  # ``bad`` implies the predicate
            g.overflow(bad)
            g.predicate = saved
        else:
            g.overflow(
                b.or_(b.icmp_signed("<", x, g.i64(lo)), b.icmp_signed(">", x, g.i64(hi)))
            )
    return b.add(b.mul(x, g.i64(_wrap64(k))), g.i64(_wrap64(c)))


def _ipow_helper(g: Gen) -> ir.Function:
    def body(h: Gen, args: list[ir.Value]) -> ir.Value:
        base0, exp0 = args
        b = h.b
        negative = b.icmp_signed("<", exp0, h.i64(0))
        zero_base = b.icmp_signed("==", base0, h.i64(0))
        h.guard(b.and_(negative, zero_base), "ZeroDivisionError", MSG_ZERO_NEG_POW)
        h.guard(negative, "ValueError", MSG_NEG_INT_POW)
        result, base, exp = h.alloca(I64), h.alloca(I64), h.alloca(I64)
        b.store(h.i64(1), result)
        b.store(base0, base)
        b.store(exp0, exp)
        head, body_, end = h.block("pow.cond"), h.block("pow.body"), h.block("pow.end")
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(b.icmp_signed(">", b.load(exp, typ=I64), h.i64(0)), body_, end)
        b.position_at_end(body_)
        e = b.load(exp, typ=I64)
        odd = b.trunc(e, I1)
        h.if_(odd, lambda: b.store(
            _overflow_op(h, "smul", b.load(result, typ=I64), b.load(base, typ=I64)), result
        ))
        e2 = b.ashr(e, h.i64(1))
        b.store(e2, exp)
        # Square only while bits remain: a needed square that overflows means the
        # result overflows too (|base| >= 2), an unneeded one must not raise.
        h.if_(b.icmp_signed(">", e2, h.i64(0)), lambda: b.store(
            _overflow_op(h, "smul", b.load(base, typ=I64), b.load(base, typ=I64)), base
        ))
        b.branch(head)
        b.position_at_end(end)
        return b.load(result, typ=I64)

    return helper_function(g.module, g.capi, g.options, "ember.ipow", I64, [I64, I64], body)


def int_truediv(g: Gen, a: ir.Value, c: ir.Value) -> ir.Value:
    """int / int as Python: correctly rounded even when an operand exceeds 2**53."""
    g.guard(g.b.icmp_signed("==", c, g.i64(0)), "ZeroDivisionError", MSG_INT_TRUEDIV0)

    def body(h: Gen, args: list[ir.Value]) -> ir.Value:
        x, y = args
        b = h.b
        limit = h.i64(2**54)
        small = b.and_(
            b.icmp_unsigned("<=", b.add(x, h.i64(2**53)), limit),
            b.icmp_unsigned("<=", b.add(y, h.i64(2**53)), limit),
        )
        out = h.alloca(F64)
        fast, slow, end = h.block("fast"), h.block("slow"), h.block("end")
        b.cbranch(small, fast, slow).set_weights([1 << 20, 1])
        b.position_at_end(fast)
        # Both exact as doubles: one IEEE division is the correctly rounded quotient.
        b.store(b.fdiv(b.sitofp(x, F64), b.sitofp(y, F64)), out)
        b.branch(end)
        b.position_at_end(slow)
        capi = h.capi
        xo = b.call(capi.fn("PyLong_FromLongLong"), [x])
        yo = b.call(capi.fn("PyLong_FromLongLong"), [y])
        q = b.call(capi.fn("PyNumber_TrueDivide"), [xo, yo])
        b.call(capi.fn("Py_DecRef"), [xo])
        b.call(capi.fn("Py_DecRef"), [yo])
        h.check_null(q)
        b.store(b.call(capi.fn("PyFloat_AsDouble"), [q]), out)
        b.call(capi.fn("Py_DecRef"), [q])
        b.branch(end)
        b.position_at_end(end)
        return b.load(out, typ=F64)

    fn = helper_function(g.module, g.capi, g.options, "ember.int_truediv", F64, [I64, I64], body)
    return g.call_helper(fn, F64, [a, c])


# ------------------------------------------------------------------ floats


def float_binop(g: Gen, op: str, a: ir.Value, c: ir.Value) -> ir.Value:
    b, fl = g.b, g.fmflags
    zero = g.f64(0.0)
    if op == "+":
        return b.fadd(a, c, flags=fl)
    if op == "-":
        return b.fsub(a, c, flags=fl)
    if op == "*":
        return b.fmul(a, c, flags=fl)
    if op == "/":
        g.guard(b.fcmp_ordered("==", c, zero), "ZeroDivisionError", MSG_FLOAT_DIV0)
        return b.fdiv(a, c, flags=fl)
    if op == "%":
        g.guard(b.fcmp_ordered("==", c, zero), "ZeroDivisionError", MSG_FLOAT_MOD0)
        return float_mod(g, a, c)
    if op == "//":
        g.guard(b.fcmp_ordered("==", c, zero), "ZeroDivisionError", MSG_FLOAT_FLOORDIV0)
        return float_floordiv(g, a, c)
    if op == "**":
        if fl and isinstance(c, ir.Constant) and c.constant == 2.0:
            # x ** 2 as x * x under fastmath only: glibc's pow is not correctly rounded
            # (1.2742714246355096 ** 2 is 1 ulp below x * x), and CPython calls pow.
            # Only CPython's overflow error needs adding (inf from a finite x).
            sq = b.fmul(a, a, flags=fl)
            g.guard(b.and_(g.isinf(sq), g.isfinite(a)), "OverflowError", MSG_POW_OVERFLOW)
            return sq
        return _fpow(g, a, c)
    raise NotImplementedError(f"float64 {op} float64")


def _fpow(g: Gen, v: ir.Value, w: ir.Value) -> ir.Value:
    """``v ** w`` as CPython's float_pow: inline for the common case (``0 < v < inf``,
    ``w`` finite and non-zero: every special case of float_pow is skipped and the answer
    is libm's ``pow(v, w)``, OverflowError when it is infinite), the helper otherwise.
    The helper's call, out-pointer and status test cost more than ``pow`` itself (30x in
    a distance loop ``d ** 0.5``); ``pow`` is kept, not ``sqrt``: glibc's ``pow(x, 0.5)``
    differs from ``sqrt(x)`` in the last bit for some ``x``, and CPython calls ``pow``."""
    b = g.b
    inf = g.f64(float("inf"))
    common = b.and_(
        b.and_(b.fcmp_ordered(">", v, g.f64(0.0)), b.fcmp_ordered("<", v, inf)),
        b.and_(b.fcmp_ordered("<", g.fcall("llvm.fabs.f64", w), inf),
               b.fcmp_ordered("!=", w, g.f64(0.0))),
    )
    fast, slow, end = g.block("pow.fast"), g.block("pow.slow"), g.block("pow.end")
    b.cbranch(common, fast, slow).set_weights([1 << 20, 1])
    b.position_at_end(fast)
    r = g.fcall("pow", v, w)
    g.guard(g.isinf(r), "OverflowError", MSG_POW_OVERFLOW)
    fast_end = b.block
    b.branch(end)
    b.position_at_end(slow)
    s = g.call_helper(_fpow_helper(g), F64, [v, w])
    slow_end = b.block
    b.branch(end)
    b.position_at_end(end)
    out = b.phi(F64)
    out.add_incoming(r, fast_end)
    out.add_incoming(s, slow_end)
    return out


def float_mod(g: Gen, v: ir.Value, w: ir.Value) -> ir.Value:
    """CPython's float_rem (divisor known non-zero): fmod, then the divisor's sign."""
    b, zero = g.b, g.f64(0.0)
    mod = b.frem(v, w)
    flip = b.xor(b.fcmp_ordered("<", w, zero), b.fcmp_ordered("<", mod, zero))
    adjusted = b.select(flip, b.fadd(mod, w), mod)
    return b.select(b.fcmp_unordered("!=", mod, zero), adjusted, g.fcall("llvm.copysign.f64", zero, w))


def float_floordiv(g: Gen, v: ir.Value, w: ir.Value) -> ir.Value:
    """CPython's _float_div_mod quotient, snapped to an integral value."""
    b, zero = g.b, g.f64(0.0)
    mod = b.frem(v, w)
    div = b.fdiv(b.fsub(v, mod), w)
    nonzero = b.fcmp_unordered("!=", mod, zero)
    flip = b.and_(nonzero, b.xor(b.fcmp_ordered("<", w, zero), b.fcmp_ordered("<", mod, zero)))
    div = b.select(flip, b.fsub(div, g.f64(1.0)), div)
    floor = g.fcall("llvm.floor.f64", div)
    snapped = b.select(
        b.fcmp_ordered(">", b.fsub(div, floor), g.f64(0.5)), b.fadd(floor, g.f64(1.0)), floor
    )
    signed_zero = g.fcall("llvm.copysign.f64", zero, b.fdiv(v, w))
    return b.select(b.fcmp_unordered("!=", div, zero), snapped, signed_zero)


def _is_odd_integer(g: Gen, w: ir.Value) -> ir.Value:
    """DOUBLE_IS_ODD_INTEGER: fmod(fabs(w), 2.0) == 1.0."""
    return g.b.fcmp_ordered("==", g.b.frem(g.fcall("llvm.fabs.f64", w), g.f64(2.0)), g.f64(1.0))


def _fpow_helper(g: Gen) -> ir.Function:
    """CPython's float_pow, case by case, then the platform pow."""

    def body(h: Gen, args: list[ir.Value]) -> ir.Value:
        v, w = args
        b = h.b
        out = h.alloca(F64)
        end = h.block("pow.end")
        one, zero = h.f64(1.0), h.f64(0.0)

        def case(cond: ir.Value, value: ir.Value | None = None) -> None:
            nonlocal_then, nxt = h.block("pow.case"), h.block("pow.next")
            b.cbranch(cond, nonlocal_then, nxt)
            b.position_at_end(nonlocal_then)
            if value is not None:
                b.store(value, out)
                b.branch(end)
            b.position_at_end(nxt)

        case(b.fcmp_ordered("==", w, zero), one)  # v**0 is 1, even nan**0
        case(h.isnan(v), v)
        case(h.isnan(w), b.select(b.fcmp_ordered("==", v, one), one, w))
        absv = h.fcall("llvm.fabs.f64", v)
        # v ** ±inf
        inf_v = b.select(
            b.fcmp_ordered("==", absv, one),
            one,
            b.select(
                b.icmp_unsigned(
                    "==", b.fcmp_ordered(">", w, zero), b.fcmp_ordered(">", absv, one)
                ),
                h.fcall("llvm.fabs.f64", w),
                zero,
            ),
        )
        case(h.isinf(w), inf_v)
        odd = _is_odd_integer(h, w)
        inf_base = b.select(
            b.fcmp_ordered(">", w, zero),
            b.select(odd, v, absv),
            b.select(odd, h.fcall("llvm.copysign.f64", zero, v), zero),
        )
        case(h.isinf(v), inf_base)
        # 0 ** w: 0 (signed if w odd) for w > 0; ZeroDivisionError for w < 0.
        is_zero = b.fcmp_ordered("==", v, zero)
        h.guard(b.and_(is_zero, b.fcmp_ordered("<", w, zero)), "ZeroDivisionError", MSG_ZERO_NEG_POW)
        case(is_zero, b.select(odd, v, zero))
        negative = b.fcmp_ordered("<", v, zero)
        fractional = b.fcmp_unordered("!=", w, h.fcall("llvm.floor.f64", w))
        # |v| ** w first: an overflow is an OverflowError even where CPython would go
        # on to complex exponentiation (which overflows the same way).
        r = h.fcall("pow", absv, w)
        h.guard(h.isinf(r), "OverflowError", MSG_POW_OVERFLOW)
        h.guard(b.and_(negative, fractional), "ValueError", MSG_COMPLEX_POW)
        negate = b.and_(negative, odd)
        case(b.fcmp_ordered("==", absv, one), b.select(negate, h.f64(-1.0), one))
        b.store(b.select(negate, b.fneg(r), r), out)
        b.branch(end)
        b.position_at_end(end)
        return b.load(out, typ=F64)

    return helper_function(g.module, g.capi, g.options, "ember.fpow", F64, [F64, F64], body)


# ------------------------------------------------------------------- unary


def unaryop(g: Gen, op: str, v: ir.Value, t: Type, result: Type) -> ir.Value:
    b = g.b
    if op == "not":
        return b.xor(g.truth(v, t), ir.Constant(I1, 1))  # type: ignore[attr-defined]
    if isinstance(t, Bool) and not isinstance(result, Bool):
        v = b.zext(v, I64) if isinstance(result, Int64) else b.uitofp(v, F64)
        t = result
    if op == "+":
        return v
    if isinstance(t, Int64):
        if op == "-":
            return _overflow_op(g, "ssub", g.i64(0), v)
        if op == "~":
            return b.xor(v, g.i64(-1))
    if isinstance(t, Float64) and op == "-":
        return b.fneg(v)
    raise NotImplementedError(f"{op} {t}")


# ------------------------------------------------------------- comparisons

_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def compare(g: Gen, op: str, a: ir.Value, at: Type, c: ir.Value, ct: Type) -> ir.Value:
    """``a op c`` as Python compares them (one link of a chained comparison)."""
    if isinstance(at, NpScalar):  # both NumPy scalars: NumPy's comparison loop
        return np_scalars.compare(g, op, a, at, c, ct)  # type: ignore[arg-type]
    b = g.b
    if op in ("is", "is not") or isinstance(at, NoneType) or isinstance(ct, NoneType):
        same = isinstance(at, NoneType) and isinstance(ct, NoneType)
        if op in ("is", "is not") and not (isinstance(at, NoneType) or isinstance(ct, NoneType)):
            raise NotImplementedError("'is' between values other than None")
        truth = same if op in ("is", "==") else not same
        if op not in ("is", "is not", "==", "!="):
            raise NotImplementedError(f"None {op} ...")
        return ir.Constant(I1, int(truth))
    if isinstance(at, Tuple) and isinstance(ct, Tuple):
        return _tuple_compare(g, op, a, at, c, ct)
    if isinstance(at, Bool) and isinstance(ct, Bool):
        if op in ("==", "!="):
            return b.icmp_unsigned(op, a, c)
        a, at, c, ct = b.zext(a, I64), INT64, b.zext(c, I64), INT64
    if isinstance(at, Bool):
        a, at = (b.zext(a, I64), INT64)
    if isinstance(ct, Bool):
        c, ct = (b.zext(c, I64), INT64)
    if isinstance(at, Int64) and isinstance(ct, Int64):
        return b.icmp_signed(op, a, c)
    if isinstance(at, Float64) and isinstance(ct, Float64):
        if op == "!=":
            return b.fcmp_unordered("!=", a, c, flags=g.fmflags)
        return b.fcmp_ordered(op, a, c, flags=g.fmflags)
    if isinstance(at, Int64) and isinstance(ct, Float64):
        return _sign_test(g, op, _cmp_int_float(g, a, c))
    if isinstance(at, Float64) and isinstance(ct, Int64):
        return _sign_test(g, _MIRROR[op], _cmp_int_float(g, c, a))
    raise NotImplementedError(f"{at} {op} {ct}")


def _sign_test(g: Gen, op: str, s: ir.Value) -> ir.Value:
    """Turn a three-way result (-1, 0, 1; 2 when unordered) into ``op``'s answer."""
    b = g.b

    def eq(k: int) -> ir.Value:
        return b.icmp_signed("==", s, ir.Constant(I8, k))

    if op == "==":
        return eq(0)
    if op == "!=":
        return b.icmp_signed("!=", s, ir.Constant(I8, 0))
    if op == "<":
        return eq(-1)
    if op == "<=":
        return b.or_(eq(-1), eq(0))
    if op == ">":
        return eq(1)
    if op == ">=":
        return b.or_(eq(1), eq(0))
    raise NotImplementedError(op)


def _cmp_int_float(g: Gen, i: ir.Value, f: ir.Value) -> ir.Value:
    """Three-way compare of an int64 with a double, exactly (as float_richcompare)."""
    b = g.b

    def k(v: int) -> ir.Constant:
        return ir.Constant(I8, v)

    def three_way(lt: ir.Value, gt: ir.Value) -> ir.Value:
        return b.select(lt, k(-1), b.select(gt, k(1), k(0)))

    # |i| <= 2**53: the int is exactly a double.
    small = b.icmp_unsigned("<=", b.add(i, g.i64(2**53)), g.i64(2**54))
    fi = b.sitofp(i, F64)
    small_res = three_way(b.fcmp_ordered("<", fi, f), b.fcmp_ordered(">", fi, f))
    # Otherwise split f into floor (an exact int64 when in range) and a fraction.
    above = b.fcmp_ordered(">=", f, g.f64(2.0**63))
    below = b.fcmp_ordered("<", f, g.f64(-(2.0**63)))
    in_range = b.and_(b.not_(above), b.not_(below))
    floor = g.fcall("llvm.floor.f64", b.select(in_range, f, g.f64(0.0)))
    ti = b.fptosi(floor, I64)
    frac_pos = b.fcmp_ordered(">", b.fsub(f, floor), g.f64(0.0))
    eq_res = b.select(frac_pos, k(-1), k(0))
    big_res = b.select(
        b.icmp_signed("<", i, ti), k(-1), b.select(b.icmp_signed(">", i, ti), k(1), eq_res)
    )
    big_res = b.select(above, k(-1), b.select(below, k(1), big_res))
    res = b.select(small, small_res, big_res)
    return b.select(g.isnan(f), k(2), res)


def _tuple_compare(g: Gen, op: str, a: ir.Value, at: Tuple, c: ir.Value, ct: Tuple) -> ir.Value:
    """Lexicographic, as Python: the first differing item decides, then the lengths."""
    b = g.b
    n = min(len(at.items), len(ct.items))
    la, lc = len(at.items), len(ct.items)
    length_res = {
        "==": la == lc, "!=": la != lc, "<": la < lc,
        "<=": la <= lc, ">": la > lc, ">=": la >= lc,
    }[op]  # fmt: skip
    result: ir.Value = ir.Constant(I1, int(length_res))
    for idx in reversed(range(n)):
        x, y = b.extract_value(a, idx), b.extract_value(c, idx)
        xt, yt = at.items[idx], ct.items[idx]
        same = compare(g, "==", x, xt, y, yt)
        if op in ("==", "!="):
            decided = ir.Constant(I1, int(op == "!="))
        else:
            decided = compare(g, op, x, xt, y, yt)
        result = b.select(same, result, decided)
    return result


# ------------------------------------------------------- if-conversion


# --------------------------------------------------- bounded accumulators


# ------------------------------------------------------------- parity tests


