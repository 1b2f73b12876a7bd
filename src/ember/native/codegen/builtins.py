"""Builtins and ``math`` functions, lowered with CPython's results and exceptions.

    round(x)        →  llvm.roundeven + checked float→int (ValueError for NaN, ...)
    math.sqrt(x)    →  sqrt, then CPython's math_1 rule: NaN from a non-NaN → ValueError
    math.exp(x)     →  exp; inf from a finite x → OverflowError("math range error")
    print(a, "s")   →  box the values, call builtins.print (sys.stdout redirection works)

The libm of the running process is CPython's own libm, so results match bit for bit
where CPython calls libm; the error rules are CPython's (``mathmodule.c``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary import abi
from ember.native.boundary import complex as complex_abi
from ember.native.boundary.llvm import F64, I1, I8, I32, I64, PTR, value_type
from ember.native.codegen.builder import Gen
from ember.native.codegen.operators import compare
from ember.native.ir import nodes as T
from ember.native.messages import (
    MSG_DOMAIN,
    MSG_FACTORIAL,
    MSG_FLOAT_DIV0,
    MSG_INF_TO_INT,
    MSG_ISQRT,
    MSG_NAN_TO_INT,
    MSG_RANGE,
    OVERFLOW,
)
from ember.native.types import (
    FLOAT64,
    INT64,
    INT64_MIN,
    Bool,
    Complex128,
    Float64,
    Int64,
    List,
    Str,
    Tuple,
    Type,
)

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

#: How a builtin lowers: (function builder, argument values, their types, result type).
Handler = Callable[[Gen, list[ir.Value], list[Type], Type], ir.Value]

# math_1(x, func, can_overflow) in CPython's mathmodule.c: name -> (libm name, can_overflow)
MATH_1: dict[str, tuple[str, bool]] = {
    "acos": ("acos", False), "acosh": ("acosh", False), "asin": ("asin", False),
    "asinh": ("asinh", False), "atan": ("atan", False), "atanh": ("atanh", False),
    "cbrt": ("cbrt", False), "cos": ("cos", False), "cosh": ("cosh", True),
    "erf": ("erf", False), "erfc": ("erfc", False), "exp": ("exp", True),
    "exp2": ("exp2", True), "expm1": ("expm1", True), "fabs": ("llvm.fabs.f64", False),
    "log1p": ("log1p", False), "sin": ("sin", False), "sinh": ("sinh", True),
    "sqrt": ("llvm.sqrt.f64", False), "tan": ("tan", False), "tanh": ("tanh", False),
    "log2": ("log2", False), "log10": ("log10", False),
}  # fmt: skip


def call(g: FunctionLowerer, e: T.Call) -> ir.Value:
    """Lower a builtin or ``math.*`` call (``e.func`` is Python's name for it)."""
    name = e.func
    if name == "print":
        return print_call(g, e.args)
    if name == "print.sepend":
        return print_call(g, e.args[2:], sep=e.args[0], end=e.args[1])
    args = [g.expr(a) for a in e.args]
    types = [a.type for a in e.args]
    if name.startswith("math."):
        return math_call(g, name[5:], args, types, e.type)
    handler = _BUILTINS.get(name)
    if handler is None:
        raise NotImplementedError(f"builtin {name}()")
    return handler(g, args, types, e.type)


def as_float(g: Gen, v: ir.Value, t: Type) -> ir.Value:
    if isinstance(t, Float64):
        return v
    if isinstance(t, Bool):
        return g.b.uitofp(v, F64)
    if isinstance(t, Int64):
        return g.b.sitofp(v, F64)
    raise NotImplementedError(f"{t} where a float is needed")


def as_int(g: Gen, v: ir.Value, t: Type) -> ir.Value:
    if isinstance(t, Int64):
        return v
    if isinstance(t, Bool):
        return g.b.zext(v, I64)
    raise NotImplementedError(f"{t} where an int is needed")


def float_to_int(g: Gen, x: ir.Value) -> ir.Value:
    """An integral double → int64, raising as PyLong_FromDouble would (plus int64 range)."""
    b = g.b
    g.guard(g.isnan(x), "ValueError", MSG_NAN_TO_INT)
    g.guard(g.isinf(x), "OverflowError", MSG_INF_TO_INT)
    out = b.or_(
        b.fcmp_ordered(">=", x, g.f64(2.0**63)), b.fcmp_ordered("<", x, g.f64(-(2.0**63)))
    )
    g.guard(out, "OverflowError", OVERFLOW)
    return b.fptosi(x, I64)


# ---------------------------------------------------------------- builtins


def _abs(g: Gen, args: list[ir.Value], types: list[Type], rt: Type) -> ir.Value:
    v, t = args[0], types[0]
    if isinstance(t, Float64):
        return g.fcall("llvm.fabs.f64", v)
    v = as_int(g, v, t)
    b = g.b
    g.overflow(b.icmp_signed("==", v, g.i64(INT64_MIN)))  # abs(INT64_MIN) wraps to itself
    return b.select(b.icmp_signed("<", v, g.i64(0)), b.neg(v), v)


def _minmax(op: str) -> Handler:
    def handler(g: Gen, args: list[ir.Value], types: list[Type], rt: Type) -> ir.Value:
        values = list(zip(args, types, strict=True))
        if len(values) == 1 and isinstance(types[0], Tuple):
            tup, tt = values[0]
            values = [(g.b.extract_value(tup, i), it) for i, it in enumerate(tt.items)]
        if not values:
            raise NotImplementedError("min()/max() of nothing")
        # Python keeps the first extreme item: replace only when strictly better, so
        # min(nan, 1.0) is nan and min(1.0, nan) is 1.0, as in CPython.
        best, bt = values[0]
        for v, t in values[1:]:
            better = compare(g, op, v, t, best, bt)
            best = g.b.select(better, _coerce(g, v, t, rt), _coerce(g, best, bt, rt))
            bt = rt
        return _coerce(g, best, bt, rt)

    return handler


def _coerce(g: Gen, v: ir.Value, t: Type, rt: Type) -> ir.Value:
    if t == rt:
        return v
    if isinstance(rt, Float64):
        return as_float(g, v, t)
    if isinstance(rt, Int64):
        return as_int(g, v, t)
    raise NotImplementedError(f"{t} as {rt}")


def _round(g: Gen, args: list[ir.Value], types: list[Type], rt: Type) -> ir.Value:
    if len(args) == 1:
        if isinstance(types[0], Float64):
            # round-half-even, as float.__round__ without ndigits.
            return float_to_int(g, g.fcall("llvm.roundeven.f64", args[0]))
        return as_int(g, args[0], types[0])
    # round(x, n): CPython rounds through a correctly rounded decimal string (dtoa);
    # call the object's own __round__ rather than approximate it.
    return python_method(g, args[0], types[0], "__round__", args[1], types[1], rt)


def _int(g: Gen, args: list[ir.Value], types: list[Type], rt: Type) -> ir.Value:
    if isinstance(types[0], Float64):
        return float_to_int(g, g.fcall("llvm.trunc.f64", args[0]))
    return as_int(g, args[0], types[0])


def _float(g: Gen, args: list[ir.Value], types: list[Type], rt: Type) -> ir.Value:
    return as_float(g, args[0], types[0]) if args else g.f64(0.0)


def _bool(g: Gen, args: list[ir.Value], types: list[Type], rt: Type) -> ir.Value:
    return g.truth(args[0], types[0]) if args else ir.Constant(I1, 0)


def _len(g: Gen, args: list[ir.Value], types: list[Type], rt: Type) -> ir.Value:
    t = types[0]
    if isinstance(t, Tuple):
        return g.i64(len(t.items))
    raise NotImplementedError(f"len() of {t}")


_BUILTINS: dict[str, Handler] = {
    "abs": _abs, "min": _minmax("<"), "max": _minmax(">"), "round": _round,
    "int": _int, "float": _float, "bool": _bool, "len": _len,
}  # fmt: skip


# ----------------------------------------------------------- Python calls


def python_method(
    g: Gen, x: ir.Value, xt: Type, method: str, y: ir.Value, yt: Type, rt: Type
) -> ir.Value:
    """``x.method(y)`` run by CPython on boxed values, unboxed to ``rt``."""
    b, capi = g.b, g.capi
    g.check_overflow()  # a check point: Python code sees the values
    xo = abi.box(b, capi, x, xt)
    g.check_null(xo)
    yo = abi.box(b, capi, y, yt)
    g.check_null(yo)
    meth = b.call(capi.fn("PyObject_GetAttrString"), [xo, capi.cstring(method)])
    g.check_null(meth)
    r = b.call(capi.fn("PyObject_CallOneArg"), [meth, yo])
    for o in (meth, xo, yo):
        b.call(capi.fn("Py_DecRef"), [o])
    g.check_null(r)
    return unbox_result(g, r, rt)


def python_function(
    g: Gen, module: str, name: str, args: Sequence[ir.Value], types: Sequence[Type], rt: Type
) -> ir.Value:
    """``module.name(*args)`` run by CPython on boxed values, unboxed to ``rt``: for the
    few functions whose exact algorithm is CPython's own (``math.gamma`` is not libm's
    tgamma) and that are rarely hot."""
    b, capi = g.b, g.capi
    g.check_overflow()  # a check point: Python code sees the values
    tup = b.call(capi.fn("PyTuple_New"), [g.i64(len(args))])
    g.check_null(tup)
    for i, (v, t) in enumerate(zip(args, types, strict=True)):
        o = abi.box(b, capi, v, t)
        g.check_null(o)
        b.call(capi.fn("PyTuple_SetItem"), [tup, g.i64(i), o])  # steals o
    mod = b.call(capi.fn("PyImport_ImportModule"), [capi.cstring(module)])
    g.check_null(mod)
    fn = b.call(capi.fn("PyObject_GetAttrString"), [mod, capi.cstring(name)])
    b.call(capi.fn("Py_DecRef"), [mod])
    g.check_null(fn)
    r = b.call(capi.fn("PyObject_CallObject"), [fn, tup])
    b.call(capi.fn("Py_DecRef"), [fn])
    b.call(capi.fn("Py_DecRef"), [tup])
    g.check_null(r)
    return unbox_result(g, r, rt)


def unbox_result(g: Gen, obj: ir.Value, rt: Type) -> ir.Value:
    """Convert (and release) a Python result known to be of type ``rt``."""
    b, capi = g.b, g.capi
    if isinstance(rt, Float64):
        v = b.call(capi.fn("PyFloat_AsDouble"), [obj])
    elif isinstance(rt, Complex128):  # cmath's results are exact complex objects
        v = complex_abi.fields(b, obj)
    elif isinstance(rt, Int64):
        flag = g.alloca(I32)
        b.store(ir.Constant(I32, 0), flag)
        v = b.call(capi.fn("PyLong_AsLongLongAndOverflow"), [obj, flag])
        b.call(capi.fn("Py_DecRef"), [obj])
        g.guard(b.icmp_signed("!=", b.load(flag, typ=I32), ir.Constant(I32, 0)), "OverflowError",
                OVERFLOW)
        return v
    else:
        raise NotImplementedError(f"a Python result of type {rt}")
    b.call(capi.fn("Py_DecRef"), [obj])
    return v


def _arg_value(g: FunctionLowerer, a: T.Expr) -> ir.Value | None:
    """The lowered value of a print() argument (None for a string literal)."""
    if isinstance(a.type, Str):
        assert isinstance(a, T.Const) and isinstance(a.value, str)
        return None
    if isinstance(a.type, List):  # a reference of its own: boxing hands it over
        from ember.native.codegen.arrays import own  # arrays' reference rule (no cycle)

        return own(g, a)
    return g.expr(a)


def _box_arg(g: FunctionLowerer, a: T.Expr, v: ir.Value | None) -> ir.Value:
    b, capi = g.b, g.capi
    if v is None:
        assert isinstance(a, T.Const) and isinstance(a.value, str)
        data = a.value.encode("utf-8", "surrogatepass")
        o = b.call(capi.fn("PyUnicode_DecodeUTF8"),
                   [capi.cstring(data), g.i64(len(data)), ir.Constant(PTR, None)])
    else:
        o = abi.box(b, capi, v, a.type)
    g.check_null(o)
    return o


def print_call(
    g: FunctionLowerer, args: Sequence[T.Expr], sep: T.Expr | None = None,
    end: T.Expr | None = None,
) -> ir.Value:
    """``print(...)`` through builtins.print, so output goes where Python's goes."""
    b, capi = g.b, g.capi
    values = [_arg_value(g, a) for a in args]
    extra = [] if sep is None or end is None else [sep, end]
    extra_values = [_arg_value(g, a) for a in extra]
    g.check_overflow()  # a check point: nothing wrapped is ever printed
    boxed = [_box_arg(g, a, v) for a, v in zip(args, values, strict=True)]
    kwargs = ir.Constant(PTR, None)
    if extra:
        kwargs = b.call(capi.fn("PyDict_New"), [])
        g.check_null(kwargs)
        for key, value, v in zip(("sep", "end"), extra, extra_values, strict=True):
            o = _box_arg(g, value, v)
            b.call(capi.fn("PyDict_SetItemString"), [kwargs, capi.cstring(key), o])
            b.call(capi.fn("Py_DecRef"), [o])
    tup = b.call(capi.fn("PyTuple_New"), [g.i64(len(boxed))])
    g.check_null(tup)
    for i, o in enumerate(boxed):
        b.call(capi.fn("PyTuple_SetItem"), [tup, g.i64(i), o])  # steals o
    mod = b.call(capi.fn("PyImport_ImportModule"), [capi.cstring("builtins")])
    g.check_null(mod)
    fn = b.call(capi.fn("PyObject_GetAttrString"), [mod, capi.cstring("print")])
    b.call(capi.fn("Py_DecRef"), [mod])
    g.check_null(fn)
    r = b.call(capi.fn("PyObject_Call"), [fn, tup, kwargs])
    b.call(capi.fn("Py_DecRef"), [fn])
    b.call(capi.fn("Py_DecRef"), [tup])
    b.call(capi.fn("Py_DecRef"), [kwargs])  # Py_DecRef ignores NULL
    g.check_null(r)
    b.call(capi.fn("Py_DecRef"), [r])
    return ir.Constant(I8, 0)


# -------------------------------------------------------------------- math


def math_1(g: Gen, x: ir.Value, libm: str, can_overflow: bool) -> ir.Value:
    """CPython's math_1: NaN out of non-NaN → ValueError; inf out of finite →
    OverflowError (or ValueError for a singularity)."""
    r = g.fcall(libm, x)
    b = g.b
    if libm in ("llvm.sqrt.f64", "llvm.fabs.f64"):
        # The same rule, exactly, in one compare: IEEE sqrt is NaN from a non-NaN only
        # for x < 0 and never inf from a finite x; fabs never fails.
        if libm == "llvm.sqrt.f64":
            g.guard(b.fcmp_ordered("<", x, g.f64(0.0)), "ValueError", MSG_DOMAIN)
        return r
    g.guard(b.and_(g.isnan(r), b.not_(g.isnan(x))), "ValueError", MSG_DOMAIN)
    inf_from_finite = b.and_(g.isinf(r), g.isfinite(x))
    if can_overflow:
        g.guard(inf_from_finite, "OverflowError", MSG_RANGE)
    else:
        g.guard(inf_from_finite, "ValueError", MSG_DOMAIN)
    return r


def math_2(g: Gen, x: ir.Value, y: ir.Value, libm: str) -> ir.Value:
    """CPython's math_2: NaN from non-NaNs → ValueError, inf from finites → OverflowError."""
    r = g.fcall(libm, x, y)
    b = g.b
    g.guard(b.and_(g.isnan(r), b.not_(b.or_(g.isnan(x), g.isnan(y)))), "ValueError", MSG_DOMAIN)
    g.guard(b.and_(g.isinf(r), b.and_(g.isfinite(x), g.isfinite(y))), "OverflowError", MSG_RANGE)
    return r


#: The least ``min(k, n - k)`` with C(n, k) > INT64_MAX for every n: C(n, m) grows with
#: n for n >= 2m, and C(66, 33) < 2**63 <= C(68, 34).
COMB_MIN_OVERFLOW = 34
#: The least k with perm(n, k) > INT64_MAX for every n >= k: perm(n, k) >= k!, and
#: 20! < 2**63 <= 21!.
PERM_MIN_OVERFLOW = 21


def _comb_perm_too_big(g: Gen, name: str, n: ir.Value, k: ir.Value) -> None:
    """OverflowError up front where ``math.comb``/``math.perm`` cannot fit int64: CPython
    would first compute the exact, astronomically large integer (comb(2**62, 2**61)
    never finishes). Its own errors come first: a negative n or k is its ValueError, and
    k > n gives 0; both go to CPython, as every result that may fit (quickly computed:
    at most 33 or 20 factors)."""
    b = g.b
    zero = g.i64(0)
    valid = b.and_(b.icmp_signed(">=", k, zero), b.icmp_signed("<=", k, n))  # so n >= 0
    if name == "comb":
        rest = b.sub(n, k)  # 0 <= rest <= n: no overflow
        m = b.select(b.icmp_signed("<", k, rest), k, rest)
        big = b.icmp_signed(">=", m, g.i64(COMB_MIN_OVERFLOW))
    else:
        big = b.icmp_signed(">=", k, g.i64(PERM_MIN_OVERFLOW))
    g.guard(b.and_(valid, big), "OverflowError", OVERFLOW)


def _log(g: Gen, x: ir.Value) -> ir.Value:
    return math_1(g, x, "log", False)


def math_call(g: Gen, name: str, args: list[ir.Value], types: list[Type], rt: Type) -> ir.Value:
    b = g.b
    if name in ("floor", "ceil", "trunc"):
        if not isinstance(types[0], Float64):
            return as_int(g, args[0], types[0])
        return float_to_int(g, g.fcall(f"llvm.{name}.f64", args[0]))
    if name in ("isnan", "isinf", "isfinite"):
        x = as_float(g, args[0], types[0])
        return {"isnan": g.isnan, "isinf": g.isinf, "isfinite": g.isfinite}[name](x)
    if name in ("lcm", "comb", "perm"):
        ints = [as_int(g, a, t) for a, t in zip(args, types, strict=True)]
        if name != "lcm":
            _comb_perm_too_big(g, name, ints[0], ints[1])
        return python_function(g, "math", name, ints, [INT64] * len(ints), rt)
    if name in ("gcd", "factorial", "isqrt"):
        return _int_math(g, name, [as_int(g, a, t) for a, t in zip(args, types, strict=True)])
    if name == "ldexp":
        return _ldexp(g, as_float(g, args[0], types[0]), as_int(g, args[1], types[1]))
    if name == "frexp":
        return _frexp(g, as_float(g, args[0], types[0]))
    xs = [as_float(g, a, t) for a, t in zip(args, types, strict=True)]
    if name in MATH_1:
        libm, can_overflow = MATH_1[name]
        return math_1(g, xs[0], libm, can_overflow)
    if name == "log":
        num = _log(g, xs[0])
        if len(xs) == 1:
            return num
        den = _log(g, xs[1])
        g.guard(b.fcmp_ordered("==", den, g.f64(0.0)), "ZeroDivisionError", MSG_FLOAT_DIV0)
        return b.fdiv(num, den)
    if name in ("gamma", "lgamma"):
        # CPython's own Lanczos implementation, not libm's: call it for exact results.
        return python_function(g, "math", name, xs, [FLOAT64], rt)
    if name == "nextafter":
        return g.fcall("nextafter", xs[0], xs[1])
    if name == "remainder":
        # glibc gives -0.0 for remainder(6.5e-275, 5e-324); CPython's own m_remainder
        # gives every zero result the sign of x (a non-zero remainder is exact in both).
        r = math_2(g, xs[0], xs[1], "remainder")
        signed_zero = g.fcall("llvm.copysign.f64", g.f64(0.0), xs[0])
        return b.select(b.fcmp_ordered("==", r, g.f64(0.0)), signed_zero, r)
    if name in ("atan2", "copysign"):
        return math_2(g, xs[0], xs[1], "llvm.copysign.f64" if name == "copysign" else name)
    if name == "fmod":
        x, y = xs
        # fmod(x, ±inf) is x for finite x (CPython special-cases it before libm).
        keep = b.and_(g.isinf(y), g.isfinite(x))
        return b.select(keep, x, math_2(g, x, b.select(keep, g.f64(1.0), y), "fmod"))
    if name == "hypot":
        # CPython's vector_norm (not libm's hypot) differs in the last bit at times.
        return python_function(g, "math", name, xs, [FLOAT64] * len(xs), rt)
    if name == "pow":
        return _math_pow(g, xs[0], xs[1])
    if name == "degrees":
        return b.fmul(xs[0], g.f64(180.0 / math.pi))
    if name == "radians":
        return b.fmul(xs[0], g.f64(math.pi / 180.0))
    if name == "modf":
        return _modf(g, xs[0])
    if name == "isclose" and len(xs) == 2:
        return _isclose(g, xs[0], xs[1])
    if name == "fabs":
        return g.fcall("llvm.fabs.f64", xs[0])
    raise NotImplementedError(f"math.{name}")


def _math_pow(g: Gen, x: ir.Value, y: ir.Value) -> ir.Value:
    b = g.b
    r = g.fcall("pow", x, y)
    finite_args = b.and_(g.isfinite(x), g.isfinite(y))
    g.guard(b.and_(finite_args, g.isnan(r)), "ValueError", MSG_DOMAIN)
    inf = b.and_(finite_args, g.isinf(r))
    g.guard(b.and_(inf, b.fcmp_ordered("==", x, g.f64(0.0))), "ValueError", MSG_DOMAIN)
    g.guard(inf, "OverflowError", MSG_RANGE)
    if sys.version_info < (3, 11):
        # 3.10's math.pow(±0.0, -inf) is a domain error; 3.11 returns inf (bpo-44339).
        zero = b.fcmp_ordered("==", x, g.f64(0.0))
        g.guard(b.and_(zero, b.fcmp_ordered("==", y, g.f64(-math.inf))), "ValueError",
                MSG_DOMAIN)
    return r


def _ldexp(g: Gen, x: ir.Value, e: ir.Value) -> ir.Value:
    b = g.b
    # Exponents beyond ±2100 move any finite double to inf or 0: clamp to C int range.
    lo, hi = g.i64(-2100), g.i64(2100)
    clamped = b.select(b.icmp_signed("<", e, lo), lo, b.select(b.icmp_signed(">", e, hi), hi, e))
    fn = g.capi.declare("ldexp", F64, (F64, I32))
    r = b.call(fn, [x, b.trunc(clamped, I32)])
    special = b.or_(b.fcmp_ordered("==", x, g.f64(0.0)), b.not_(g.isfinite(x)))
    g.guard(b.and_(b.not_(special), g.isinf(r)), "OverflowError", MSG_RANGE)
    return b.select(special, x, r)


def _frexp(g: Gen, x: ir.Value) -> ir.Value:
    b = g.b
    fn = g.capi.declare("frexp", F64, (F64, PTR))
    slot = g.alloca(I32)
    b.store(ir.Constant(I32, 0), slot)
    m = b.call(fn, [x, slot])
    special = b.or_(b.fcmp_ordered("==", x, g.f64(0.0)), b.not_(g.isfinite(x)))
    m = b.select(special, x, m)
    e = b.select(special, g.i64(0), b.sext(b.load(slot, typ=I32), I64))
    t = Tuple((FLOAT64, INT64))
    agg = b.insert_value(ir.Constant(value_type(t), ir.Undefined), m, 0)
    return b.insert_value(agg, e, 1)


def _modf(g: Gen, x: ir.Value) -> ir.Value:
    b = g.b
    ip = g.fcall("llvm.trunc.f64", x)
    frac = b.fsub(x, ip)
    frac = b.select(g.isinf(x), g.fcall("llvm.copysign.f64", g.f64(0.0), x), frac)
    frac = g.fcall("llvm.copysign.f64", frac, x)  # modf(-2.0) is (-0.0, -2.0)
    t = Tuple((FLOAT64, FLOAT64))
    agg = b.insert_value(ir.Constant(value_type(t), ir.Undefined), frac, 0)
    return b.insert_value(agg, ip, 1)


def _isclose(g: Gen, a: ir.Value, c: ir.Value) -> ir.Value:
    b = g.b
    rel = g.f64(1e-09)
    diff = g.fcall("llvm.fabs.f64", b.fsub(c, a))
    close = b.or_(
        b.fcmp_ordered("<=", diff, g.fcall("llvm.fabs.f64", b.fmul(rel, c))),
        b.fcmp_ordered("<=", diff, g.fcall("llvm.fabs.f64", b.fmul(rel, a))),
    )
    infinite = b.or_(g.isinf(a), g.isinf(c))
    return b.or_(b.fcmp_ordered("==", a, c), b.and_(b.not_(infinite), close))


def _int_math(g: Gen, name: str, args: list[ir.Value]) -> ir.Value:
    b = g.b
    if name == "isqrt":
        n = args[0]
        g.guard(b.icmp_signed("<", n, g.i64(0)), "ValueError", MSG_ISQRT)
        r = b.fptosi(g.fcall("llvm.sqrt.f64", b.sitofp(n, F64)), I64)
        # The double estimate is off by at most one either way: fix with exact
        # (unsigned: (r+1)**2 can pass 2**63) squares.
        r = b.select(b.icmp_unsigned(">", b.mul(r, r), n), b.sub(r, g.i64(1)), r)
        r1 = b.add(r, g.i64(1))
        return b.select(b.icmp_unsigned("<=", b.mul(r1, r1), n), r1, r)
    if name == "gcd":
        a, c = args
        # Unsigned magnitudes: |INT64_MIN| is 2**63, which only overflows if it is the
        # answer (gcd(INT64_MIN, 0)).
        def mag(v: ir.Value) -> ir.Value:
            return b.select(b.icmp_signed("<", v, g.i64(0)), b.sub(g.i64(0), v), v)

        gcd = _gcd_loop(g, mag(a), mag(c))
        g.guard(b.icmp_signed("<", gcd, g.i64(0)), "OverflowError", OVERFLOW)
        return gcd
    if name == "factorial":
        n = args[0]
        g.guard(b.icmp_signed("<", n, g.i64(0)), "ValueError", MSG_FACTORIAL)
        g.guard(b.icmp_signed(">", n, g.i64(20)), "OverflowError", OVERFLOW)
        table = [math.factorial(i) for i in range(21)]
        arr_t = ir.ArrayType(I64, 21)
        glob = ir.GlobalVariable(g.module, arr_t, g.module.get_unique_name("factorials"))
        glob.linkage = "private"
        glob.global_constant = True
        glob.initializer = ir.Constant(arr_t, table)
        p = b.gep(glob, [g.i64(0), n], source_etype=arr_t)
        return b.load(p, typ=I64)
    raise NotImplementedError(f"math.{name}")


def _gcd_loop(g: Gen, a: ir.Value, c: ir.Value) -> ir.Value:
    b = g.b
    x, y = g.alloca(I64), g.alloca(I64)
    b.store(a, x)
    b.store(c, y)
    head, body, end = g.block("gcd.cond"), g.block("gcd.body"), g.block("gcd.end")
    b.branch(head)
    b.position_at_end(head)
    b.cbranch(b.icmp_signed("!=", b.load(y, typ=I64), g.i64(0)), body, end)
    b.position_at_end(body)
    yv = b.load(y, typ=I64)
    b.store(b.urem(b.load(x, typ=I64), yv), y)
    b.store(yv, x)
    b.branch(head)
    b.position_at_end(end)
    return b.load(x, typ=I64)


# ------------------------------------------------------ check-free callees


