"""One element of NumPy's arithmetic, comparison, logical and bitwise ufuncs, on storage
values (an int8 is an ``i8``, a bool an ``i8`` holding 0 or 1, a float32 a ``float``),
with NumPy's semantics per dtype, not Python's::

    add       int: wraps (no OverflowError)   bool: logical or   float: IEEE
    floor_divide / remainder   int: x // 0 and x % 0 are 0 (NumPy warns "divide by
              zero encountered in floor_divide"), MIN // -1 wraps to MIN; float:
              npy_divmod (the divisor's sign, inf and nan cases)
    power     int ** negative int: ValueError after the loop; float: SVML's pow where
              NumPy calls it (its AVX512_SKX loop), else libm pow; float_power: libm
    left_shift / right_shift   a shift by the width or more gives 0 (or -1)

A kernel never branches out of the loop: a condition NumPy reports (an error, a
warning) is recorded through ``Kernel.flag`` and raised after the loop, so the loop
stays a vectorisable straight line. llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import llvmlite.ir as ir

from ember.native.boundary.capi import extern_function
from ember.native.boundary.llvm import F32, I1, I8, storage_type
from ember.native.codegen import ufunc_complex, ufunc_math
from ember.native.types import DType

ERROR_NEGATIVE_POWER = "Integers to negative integer powers are not allowed."


class Kernel(Protocol):
    """What a kernel may use: the builder, and a flag recorded for after the loop."""

    @property
    def b(self) -> ir.IRBuilder: ...

    def flag(self, kind: str, ufunc: str, cond: ir.Value) -> None:
        """Record ``cond`` (an i1): ``kind`` is ``"error"`` (raise after the loop) or
        ``"divide"`` (NumPy's RuntimeWarning "divide by zero encountered in <ufunc>")."""


Rule = Callable[[Kernel, list[ir.Value], Sequence[DType], DType], ir.Value]


def _suffix(t: ir.Type) -> str:
    return "f32" if t == F32 else "f64"


def _intrinsic(b: ir.IRBuilder, name: str, x: ir.Value, *rest: ir.Value) -> ir.Value:
    fn = extern_function(b.module, f"llvm.{name}.{_suffix(x.type)}", x.type,
                         [x.type] * (1 + len(rest)))
    return b.call(fn, [x, *rest])


def _const(x: ir.Value, v: float | int) -> ir.Constant:
    return ir.Constant(x.type, v)


def _bool(b: ir.IRBuilder, cond: ir.Value) -> ir.Value:
    return b.zext(cond, I8)


def truth(b: ir.IRBuilder, x: ir.Value, d: DType) -> ir.Value:
    """An element's truth as an i1 (a NaN is true, as in NumPy and C)."""
    if d.kind == "f":
        return b.fcmp_unordered("!=", x, _const(x, 0.0))
    return b.icmp_unsigned("!=", x, _const(x, 0))


# ------------------------------------------------------------- arithmetic


def _add(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    b = k.b
    kind = d[0].kind
    return b.fadd(*a) if kind == "f" else b.or_(*a) if kind == "b" else b.add(*a)


def _subtract(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    return k.b.fsub(*a) if d[0].kind == "f" else k.b.sub(*a)


def _multiply(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    b = k.b
    kind = d[0].kind
    return b.fmul(*a) if kind == "f" else b.and_(*a) if kind == "b" else b.mul(*a)


def _divide(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    return k.b.fdiv(*a)


def float_divmod(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> tuple[ir.Value, ir.Value]:
    """NumPy's ``npy_divmod`` (floor quotient, remainder with the divisor's sign); a
    zero divisor gives ``(x / y, fmod(x, y))``, as npy_floor_divide/npy_remainder do."""
    zero = _const(x, 0.0)
    mod = b.frem(x, y)  # C fmod
    div = b.fdiv(b.fsub(x, mod), y)
    fix = b.and_(b.fcmp_unordered("!=", mod, zero),
                 b.icmp_unsigned("!=", b.fcmp_ordered("<", y, zero), b.fcmp_ordered("<", mod, zero)))
    mod_nz = b.select(fix, b.fadd(mod, y), mod)
    div = b.select(fix, b.fsub(div, _const(x, 1.0)), div)
    mod_out = b.select(b.fcmp_unordered("!=", mod, zero), mod_nz, _intrinsic(b, "copysign", zero, y))
    floor = _intrinsic(b, "floor", div)
    snapped = b.select(b.fcmp_ordered(">", b.fsub(div, floor), _const(x, 0.5)),
                       b.fadd(floor, _const(x, 1.0)), floor)
    quotient = b.select(b.fcmp_unordered("!=", div, zero), snapped,
                        _intrinsic(b, "copysign", zero, b.fdiv(x, y)))
    y_zero = b.fcmp_ordered("==", y, zero)
    return b.select(y_zero, b.fdiv(x, y), quotient), b.select(y_zero, mod, mod_out)


def _int_divmod(k: Kernel, name: str, x: ir.Value, y: ir.Value, signed: bool
                ) -> tuple[ir.Value, ir.Value]:
    """Floor quotient and remainder of ints, NumPy's way: by zero both are 0 (a warning
    flag), ``MIN // -1`` wraps to MIN and ``MIN % -1`` is 0; never a trapping division."""
    b = k.b
    zero, one = _const(x, 0), _const(x, 1)
    y_zero = b.icmp_unsigned("==", y, zero)
    k.flag("divide", name, y_zero)
    if not signed:
        safe = b.select(y_zero, one, y)
        return (b.select(y_zero, zero, b.udiv(x, safe)), b.select(y_zero, zero, b.urem(x, safe)))
    minus1 = b.icmp_signed("==", y, _const(x, -1))
    safe = b.select(b.or_(y_zero, minus1), one, y)
    q, r = b.sdiv(x, safe), b.srem(x, safe)
    adjust = b.and_(b.icmp_signed("!=", r, zero),
                    b.icmp_unsigned("!=", b.icmp_signed("<", r, zero), b.icmp_signed("<", y, zero)))
    q = b.select(adjust, b.sub(q, one), q)
    r = b.select(adjust, b.add(r, y), r)
    q = b.select(minus1, b.sub(zero, x), q)
    special = b.or_(y_zero, minus1)
    return b.select(y_zero, zero, q), b.select(special, zero, r)


def _floor_divide(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    if d[0].kind == "f":
        return float_divmod(k.b, *a)[0]
    return _int_divmod(k, "floor_divide", *a, signed=d[0].kind == "i")[0]


def _remainder(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    if d[0].kind == "f":
        return float_divmod(k.b, *a)[1]
    return _int_divmod(k, "remainder", *a, signed=d[0].kind == "i")[1]


def _fmod(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    b = k.b
    x, y = a
    if d[0].kind == "f":
        return b.frem(x, y)
    zero, one = _const(x, 0), _const(x, 1)
    y_zero = b.icmp_unsigned("==", y, zero)
    k.flag("divide", "fmod", y_zero)
    if d[0].kind == "u":
        return b.select(y_zero, zero, b.urem(x, b.select(y_zero, one, y)))
    special = b.or_(y_zero, b.icmp_signed("==", y, _const(x, -1)))
    return b.select(special, zero, b.srem(x, b.select(special, one, y)))


def _power(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType,
           libm_only: bool = False) -> ir.Value:
    b = k.b
    x, y = a
    if d[0].kind == "f":
        if not libm_only and ufunc_math.numpy_uses_svml():
            # loops_umath_fp: NumPy's AVX512_SKX power loop calls SVML's pow, as arctan2.
            return ufunc_math.svml(b, "__svml_powf16" if x.type == F32 else "__svml_pow8_ha",
                                   x, y)
        name = "powf" if x.type == F32 else "pow"
        fn = extern_function(b.module, name, x.type, [x.type, x.type])
        if "nobuiltin" not in fn.attributes:
            fn.attributes.add("nobuiltin")  # libm's pow, as NumPy calls it (no rewrites)
        return b.call(fn, [x, y])
    if d[0].kind == "i":
        k.flag("error", ERROR_NEGATIVE_POWER, b.icmp_signed("<", y, _const(y, 0)))
    return b.call(int_power_function(b.module, x.type), [x, y])


def _float_power(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    """np.float_power: its loops are the generic ``npy_pow`` ones (libm), never SVML."""
    return _power(k, a, d, out, libm_only=True)


def int_power_function(module: ir.Module, ty: ir.IntType) -> ir.Function:
    """``iN @ember.ipow.iN(iN x, iN n)``: x ** n by squaring, wrapping in N bits (a
    negative n is treated as unsigned: the caller has flagged it)."""
    name = f"ember.ipow.{ty}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(ty, [ty, ty]), name)
    fn.linkage = "private"
    fn.attributes.add("nounwind")
    x, n = fn.args
    entry = fn.append_basic_block("entry")
    loop = fn.append_basic_block("loop")
    done = fn.append_basic_block("done")
    b = ir.IRBuilder(entry)
    zero, one = ir.Constant(ty, 0), ir.Constant(ty, 1)
    b.cbranch(b.icmp_unsigned("==", n, zero), done, loop)
    b.position_at_end(loop)
    acc = b.phi(ty)
    base = b.phi(ty)
    exp = b.phi(ty)
    acc.add_incoming(one, entry)
    base.add_incoming(x, entry)
    exp.add_incoming(n, entry)
    odd = b.trunc(exp, I1)
    acc2 = b.select(odd, b.mul(acc, base), acc)
    exp2 = b.lshr(exp, one)
    base2 = b.mul(base, base)
    acc.add_incoming(acc2, loop)
    base.add_incoming(base2, loop)
    exp.add_incoming(exp2, loop)
    b.cbranch(b.icmp_unsigned("==", exp2, zero), done, loop)
    b.position_at_end(done)
    result = b.phi(ty)
    result.add_incoming(one, entry)
    result.add_incoming(acc2, loop)
    b.ret(result)
    return fn


def _negative(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    x = a[0]
    return k.b.fneg(x) if d[0].kind == "f" else k.b.sub(_const(x, 0), x)


def _positive(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    return a[0]


def _absolute(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    b = k.b
    x = a[0]
    if d[0].kind == "f":
        return _intrinsic(b, "fabs", x)
    if d[0].kind == "i":  # abs(MIN) wraps to MIN, as NumPy's
        return b.select(b.icmp_signed("<", x, _const(x, 0)), b.sub(_const(x, 0), x), x)
    return x


def _sign(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    b = k.b
    x = a[0]
    if d[0].kind == "f":  # 1, -1, +0.0 for either zero, nan for nan
        zero = _const(x, 0.0)
        r = b.select(b.fcmp_ordered("==", x, zero), zero, x)
        r = b.select(b.fcmp_ordered("<", x, zero), _const(x, -1.0), r)
        return b.select(b.fcmp_ordered(">", x, zero), _const(x, 1.0), r)
    zero = _const(x, 0)
    pos = b.zext(b.icmp_signed(">", x, zero) if d[0].kind == "i" else
                 b.icmp_unsigned(">", x, zero), x.type)
    if d[0].kind != "i":
        return pos
    return b.sub(pos, b.zext(b.icmp_signed("<", x, zero), x.type))


def _square(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    return _multiply(k, [a[0], a[0]], d, out)


def _reciprocal(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    return k.b.fdiv(_const(a[0], 1.0), a[0])


def _min_max(k: Kernel, a: list[ir.Value], d: Sequence[DType], which: str, nan: str
             ) -> ir.Value:
    """minimum/maximum propagate a NaN (either operand); fmin/fmax ignore one. Ties
    (equal values, and 0.0 against -0.0) give the second operand, as NumPy's loops."""
    b = k.b
    x, y = a
    kind = d[0].kind
    if kind == "f":
        better = b.fcmp_ordered("<" if which == "min" else ">", x, y)
        keep_x = b.or_(better, b.fcmp_unordered("uno", x, x) if nan == "propagate"
                       else b.fcmp_unordered("uno", y, y))
        return b.select(keep_x, x, y)
    if kind == "b":
        return b.and_(x, y) if which == "min" else b.or_(x, y)
    op = "<" if which == "min" else ">"
    cmp = b.icmp_signed(op, x, y) if kind == "i" else b.icmp_unsigned(op, x, y)
    return b.select(cmp, x, y)


def _compare(op: str) -> Rule:
    def rule(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
        b = k.b
        x, y = a
        if d[0].kind == "f":
            cmp = b.fcmp_unordered(op, x, y) if op == "!=" else b.fcmp_ordered(op, x, y)
            return _bool(b, cmp)
        return _bool(b, int_compare(b, op, x, d[0], y, d[1]))

    return rule


def int_compare(b: ir.IRBuilder, op: str, x: ir.Value, dx: DType, y: ir.Value, dy: DType
                ) -> ir.Value:
    """``x op y`` of two ints (or bools) exactly, whatever their dtypes (NumPy 2 compares
    an int array with a Python int exactly: ``uint8_array < 300``)."""
    i64 = ir.IntType(64)
    if dx == dy:
        signed = dx.kind == "i"
        return b.icmp_signed(op, x, y) if signed else b.icmp_unsigned(op, x, y)
    xs, ys = dx.kind == "i", dy.kind == "i"
    x64 = b.sext(x, i64) if xs and x.type != i64 else b.zext(x, i64) if x.type != i64 else x
    y64 = b.sext(y, i64) if ys and y.type != i64 else b.zext(y, i64) if y.type != i64 else y
    if not xs and not ys:  # both unsigned (or bool): zero-extended, compared unsigned
        return b.icmp_unsigned(op, x64, y64)
    wide_u = (dx.kind == "u" and dx.itemsize == 8) or (dy.kind == "u" and dy.itemsize == 8)
    if not wide_u:  # both fit in int64 exactly
        return b.icmp_signed(op, x64, y64)
    # One is uint64, the other signed: a negative signed value is below every uint64.
    zero = ir.Constant(i64, 0)
    negative, unsigned_is_x = (b.icmp_signed("<", y64, zero), True) if ys else \
        (b.icmp_signed("<", x64, zero), False)
    plain = b.icmp_unsigned(op, x64, y64)
    # With the signed one negative: x is the uint64 → x > y; else x < y.
    greater = unsigned_is_x
    answer = {"==": False, "!=": True, "<": not greater, "<=": not greater, ">": greater,
              ">=": greater}[op]
    return b.select(negative, ir.Constant(I1, int(answer)), plain)


def _logical(op: str) -> Rule:
    def rule(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
        b = k.b
        t = [truth(b, x, dt) for x, dt in zip(a, d, strict=True)]
        if op == "not":
            return _bool(b, b.not_(t[0]))
        combine = {"and": b.and_, "or": b.or_, "xor": b.xor}[op]
        return _bool(b, combine(*t))

    return rule


def _bitwise(op: str) -> Rule:
    def rule(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
        return {"and": k.b.and_, "or": k.b.or_, "xor": k.b.xor}[op](*a)

    return rule


def _invert(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    x = a[0]
    return k.b.xor(x, _const(x, 1 if d[0].kind == "b" else -1))


def _shift(left: bool) -> Rule:
    def rule(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
        """NumPy's npy_lshift/npy_rshift: a count at or past the width (or negative,
        taken as unsigned) gives 0, or -1 for a negative signed value shifted right."""
        b = k.b
        x, n = a
        width = _const(x, x.type.width)
        in_range = b.icmp_unsigned("<", n, width)
        safe = b.select(in_range, n, _const(x, 0))
        if left:
            return b.select(in_range, b.shl(x, safe), _const(x, 0))
        if d[0].kind == "i":
            fill = b.select(b.icmp_signed("<", x, _const(x, 0)), _const(x, -1), _const(x, 0))
            return b.select(in_range, b.ashr(x, safe), fill)
        return b.select(in_range, b.lshr(x, safe), _const(x, 0))

    return rule


def _where(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    b = k.b
    return b.select(b.icmp_unsigned("!=", a[0], _const(a[0], 0)), a[1], a[2])


def _clip(k: Kernel, a: list[ir.Value], d: Sequence[DType], out: DType) -> ir.Value:
    """NumPy's clip: ``minimum(maximum(x, lo), hi)`` with a NaN anywhere propagating; an
    int64 bound next to a narrower int dtype (a Python int) is first clamped to the
    dtype's range, as NumPy 2 does."""
    b = k.b
    x, lo, hi = a
    if out.kind == "f":  # a tie keeps x (clip(0.0, -0.0, 1) is 0.0); a NaN bound wins
        up = b.or_(b.fcmp_ordered(">", lo, x), b.fcmp_unordered("uno", lo, lo))
        t = b.select(up, lo, x)
        down = b.or_(b.fcmp_ordered("<", hi, t), b.fcmp_unordered("uno", hi, hi))
        return b.select(down, hi, t)
    lo = clamp_int(b, lo, d[1], out)
    hi = clamp_int(b, hi, d[2], out)
    return _min_max(k, [_min_max(k, [x, lo], [out], "max", "propagate"), hi], [out], "min",
                    "propagate")


def clamp_int(b: ir.IRBuilder, v: ir.Value, src: DType, dst: DType) -> ir.Value:
    """An int of dtype ``src`` clamped to ``dst``'s range, in ``dst``'s storage."""
    if src == dst:
        return v
    bits = dst.itemsize * 8
    lo, hi = (0, (1 << bits) - 1) if dst.kind == "u" else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    if dst.kind == "u" and bits == 64:  # an int64 value: only the low end can be out
        return b.select(b.icmp_signed("<", v, ir.Constant(v.type, 0)), ir.Constant(v.type, 0), v)
    if dst.kind == "i" and bits == 64:
        return v
    v = b.select(b.icmp_signed("<", v, ir.Constant(v.type, lo)), ir.Constant(v.type, lo), v)
    v = b.select(b.icmp_signed(">", v, ir.Constant(v.type, hi)), ir.Constant(v.type, hi), v)
    return b.trunc(v, storage_type(dst))


RULES: dict[str, Rule] = {
    "add": _add, "subtract": _subtract, "multiply": _multiply, "divide": _divide,
    "floor_divide": _floor_divide, "remainder": _remainder, "fmod": _fmod,
    "power": _power, "float_power": _float_power, "negative": _negative, "positive": _positive,
    "absolute": _absolute, "fabs": _absolute, "sign": _sign, "square": _square,
    "reciprocal": _reciprocal,
    "minimum": lambda k, a, d, o: _min_max(k, a, d, "min", "propagate"),
    "maximum": lambda k, a, d, o: _min_max(k, a, d, "max", "propagate"),
    "fmin": lambda k, a, d, o: _min_max(k, a, d, "min", "ignore"),
    "fmax": lambda k, a, d, o: _min_max(k, a, d, "max", "ignore"),
    "equal": _compare("=="), "not_equal": _compare("!="), "less": _compare("<"),
    "less_equal": _compare("<="), "greater": _compare(">"), "greater_equal": _compare(">="),
    "logical_and": _logical("and"), "logical_or": _logical("or"),
    "logical_xor": _logical("xor"), "logical_not": _logical("not"),
    "bitwise_and": _bitwise("and"), "bitwise_or": _bitwise("or"),
    "bitwise_xor": _bitwise("xor"), "invert": _invert,
    "left_shift": _shift(True), "right_shift": _shift(False),
    "where": _where, "clip": _clip,
}  # fmt: skip


def lower(k: Kernel, name: str, args: list[ir.Value], dtypes: Sequence[DType], out: DType
          ) -> ir.Value:
    """One element of ``np.<name>`` on storage values of the loop dtypes ``dtypes``,
    giving the storage value of ``out``."""
    return RULES[name](k, args, dtypes, out)


def cast(b: ir.IRBuilder, x: ir.Value, src: DType, dst: DType) -> ir.Value:
    """NumPy's element cast between dtypes on storage values (ints wrap when narrowed,
    as C casts; to bool is the truth)."""
    if src == dst:
        return x
    if "c" in (src.kind, dst.kind):
        return ufunc_complex.cast(b, x, src, dst, cast)  # to, from or between complex
    ty = storage_type(dst)
    if dst.kind == "b":
        return _bool(b, truth(b, x, src))
    if src.kind == "f":
        if dst.kind == "f":
            return b.fpext(x, ty) if dst.itemsize > src.itemsize else b.fptrunc(x, ty)
        raise NotImplementedError(f"cast {src} -> {dst}")  # never resolved: not same_kind
    if dst.kind == "f":
        return b.sitofp(x, ty) if src.kind == "i" else b.uitofp(x, ty)
    if dst.itemsize == src.itemsize:
        return x
    if dst.itemsize < src.itemsize:
        return b.trunc(x, ty)
    return b.sext(x, ty) if src.kind == "i" else b.zext(x, ty)

