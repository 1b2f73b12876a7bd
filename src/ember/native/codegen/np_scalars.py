"""NumPy scalars (:class:`~ember.native.types.NpScalar`) in LLVM IR: typed IR whose type
is ``np.float32``, ``np.int8`` ... → storage-value arithmetic with NumPy's scalar rules::

    np.int8(100) + np.int8(100)    add i8, wraps to -56, RuntimeWarning "overflow
                                   encountered in scalar add" (as NumPy 2)
    np.float32(x) * np.float32(y)  fmul float: one float32 rounding per operation
    np.int8(1) + 1000              OverflowError "Python integer 1000 out of bounds for int8"

The element rules are :mod:`ember.native.codegen.ufunc_arith`'s (one element of the ufunc);
this module adds what NumPy does for a *scalar*: the RuntimeWarning of an integer overflow
and the floating-point warnings (divide by zero, overflow, invalid value) NumPy reads from
the FPU flags, here derived from the operands and the result. A warning may raise (``-W
error``): then the function leaves through its error exit. Casts between NumPy scalars are
NumPy's C casts (:mod:`ember.native.codegen.casts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.capi import cstring, extern_function, extern_global
from ember.native.boundary.llvm import I1, I8, I32, I64, PTR
from ember.native.codegen import ufunc_arith
from ember.native.codegen.array_access import raise_store_overflow, unlikely
from ember.native.codegen.casts import cast_element
from ember.native.ir import nodes as T
from ember.native.types import Bool, DType, Float64, Int64, NpScalar, Type, unify

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

#: Python's operator → NumPy's ufunc (the frontend resolves the loop by the same names).
UFUNCS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "floor_divide",
          "%": "remainder", "**": "power", "&": "bitwise_and", "|": "bitwise_or",
          "^": "bitwise_xor", "<<": "left_shift", ">>": "right_shift",
          "neg": "negative", "pos": "positive", "abs": "absolute", "~": "invert"}  # fmt: skip
UNARY = {"-": "negative", "+": "positive", "abs": "absolute", "~": "invert"}
COMPARE = {"==": "equal", "!=": "not_equal", "<": "less", "<=": "less_equal", ">": "greater",
           ">=": "greater_equal"}  # fmt: skip

_INT_OVERFLOW = {"add": "sadd", "subtract": "ssub", "multiply": "smul"}


class _ScalarKernel:
    """:class:`ufunc_arith.Kernel` for one scalar: a flag is acted on at once (there
    is no loop to keep straight). ``where`` is how NumPy names the operation in its
    warnings: ``"scalar "`` when its scalar math computed it, ``""`` when it handed the
    operands to the ufunc (see :func:`warning_prefix`)."""

    def __init__(self, g: FunctionLowerer, where: str = "scalar ") -> None:
        self.g = g
        self.where = where

    @property
    def b(self) -> ir.IRBuilder:
        return self.g.b

    def flag(self, kind: str, ufunc: str, cond: ir.Value) -> None:
        if kind == "error":
            self.g.guard(cond, "ValueError", ufunc)
        else:
            warn(self.g, cond, f"divide by zero encountered in {self.where}{ufunc}")


def warn(g: FunctionLowerer, cond: ir.Value, message: str) -> None:
    """NumPy's ``RuntimeWarning(message)`` when ``cond`` (an i1) holds; a warning turned
    into an exception (``-W error``) leaves through the error exit."""
    b = g.b
    if g.predicate is not None:  # an if-converted arm: only when the arm is taken
        cond = b.and_(g.predicate, cond)
    with unlikely(g.arrays, cond):
        fn = extern_function(b.module, "PyErr_WarnEx", I32, [PTR, PTR, I64])
        category = b.load(extern_global(b.module, "PyExc_RuntimeWarning"), typ=PTR)
        rc = b.call(fn, [category, cstring(b.module, message), ir.Constant(I64, 1)])
        g.cold_branch(b.icmp_signed("<", rc, ir.Constant(I32, 0)), g.fail_block())


# ------------------------------------------------------------------ operators


def binop(g: FunctionLowerer, e: T.BinOp) -> ir.Value:
    """``left op right``: both operands are already the loop dtype's NumPy scalars."""
    left, right = e.left.type, e.right.type
    assert isinstance(left, NpScalar) and isinstance(right, NpScalar)
    assert isinstance(e.type, NpScalar)
    x, y = g.expr(e.left), g.expr(e.right)
    name = UFUNCS[e.op]
    where = warning_prefix(e)
    out = ufunc_arith.lower(_ScalarKernel(g, where), name, [x, y], (left.dtype, right.dtype),
                            e.type.dtype)
    if left.dtype.kind == "f":
        _float_warnings(g, f"{where}{name}", x, y, out)
    elif left.dtype.kind in "iu":
        _int_warnings(g, name, x, y, left.dtype)
    return out


def warning_prefix(e: T.BinOp) -> str:
    """``"scalar "`` when NumPy's scalar math computes ``e`` (the promoted type is one
    of the NumPy operands' own, ``np.int8(1) // 0``), else ``""``: NumPy passes the
    operands to the ufunc (``np.int8(1) / 0.0``, ``np.uint8(1) // np.int8(0)``), whose
    warnings say "divide by zero encountered in divide"."""
    before = [o.value.type if isinstance(o, T.Cast) else o.type for o in (e.left, e.right)]
    joined = unify(before[0], before[1])
    return "scalar " if joined in before and isinstance(joined, NpScalar) else ""


def unaryop(g: FunctionLowerer, e: T.UnaryOp) -> ir.Value:
    """``-x``, ``+x``, ``~x``, ``abs(x)`` of a NumPy scalar."""
    t = e.value.type
    assert isinstance(t, NpScalar) and isinstance(e.type, NpScalar)
    x = g.expr(e.value)
    name = UNARY[e.op]
    out = ufunc_arith.lower(_ScalarKernel(g), name, [x], (t.dtype,), e.type.dtype)
    d = t.dtype
    if d.kind == "i" and name in ("negative", "absolute"):
        smallest = ir.Constant(x.type, -(1 << (d.itemsize * 8 - 1)))
        warn(g, g.b.icmp_signed("==", x, smallest), f"overflow encountered in scalar {name}")
    elif d.kind == "u" and name == "negative":  # -np.uint8(1) wraps to 255
        warn(g, g.b.icmp_unsigned("!=", x, ir.Constant(x.type, 0)),
             "overflow encountered in scalar negative")
    return out


def compare(g: FunctionLowerer, op: str, a: ir.Value, at: NpScalar, c: ir.Value,
            ct: NpScalar) -> ir.Value:
    """``a op c`` (an i1) on the loop dtype's storage values."""
    byte = ufunc_arith.lower(_ScalarKernel(g), COMPARE[op], [a, c], (at.dtype, ct.dtype),
                             DType("bool"))
    return g.b.icmp_unsigned("!=", byte, ir.Constant(I8, 0))


def _int_warnings(g: FunctionLowerer, name: str, x: ir.Value, y: ir.Value, d: DType) -> None:
    b = g.b
    if name in _INT_OVERFLOW:
        prefix = _INT_OVERFLOW[name] if d.kind == "i" else "u" + _INT_OVERFLOW[name][1:]
        ty = x.type
        fn = extern_function(b.module, f"llvm.{prefix}.with.overflow.i{ty.width}",
                             ir.LiteralStructType([ty, I1]), [ty, ty])
        bad = b.extract_value(b.call(fn, [x, y]), 1)
        warn(g, bad, f"overflow encountered in scalar {name}")
    elif name == "floor_divide" and d.kind == "i":  # MIN // -1 wraps to MIN
        smallest = ir.Constant(x.type, -(1 << (d.itemsize * 8 - 1)))
        bad = b.and_(b.icmp_signed("==", x, smallest), b.icmp_signed("==", y, ir.Constant(y.type, -1)))
        warn(g, bad, f"overflow encountered in scalar {name}")


def _float_warnings(g: FunctionLowerer, named: str, x: ir.Value, y: ir.Value, out: ir.Value
                    ) -> None:
    """The warnings NumPy derives from the FPU flags after a float scalar operation:
    an exact result of inf from finite operands divided by zero (``divide by zero``), an
    inf from finite operands otherwise (``overflow``), a NaN from non-NaN operands
    (``invalid value``). Underflow is ignored, as NumPy's default ``np.errstate``."""
    name = named.removeprefix("scalar ")
    if name not in ("add", "subtract", "multiply", "divide", "floor_divide", "remainder",
                    "power"):
        return
    b = g.b
    zero = ir.Constant(x.type, 0.0)
    inf = ir.Constant(x.type, float("inf"))

    def finite(v: ir.Value) -> ir.Value:
        return b.fcmp_ordered("<", ufunc_arith._intrinsic(b, "fabs", v), inf)

    def nan(v: ir.Value) -> ir.Value:
        return b.fcmp_unordered("uno", v, v)

    both_finite = b.and_(finite(x), finite(y))
    out_inf = b.fcmp_ordered("==", ufunc_arith._intrinsic(b, "fabs", out), inf)
    if name in ("divide", "floor_divide"):
        by_zero = b.and_(b.fcmp_ordered("==", y, zero),
                         b.and_(finite(x), b.fcmp_ordered("!=", x, zero)))
    elif name == "power":  # 0 ** negative
        by_zero = b.and_(b.fcmp_ordered("==", x, zero), b.fcmp_ordered("<", y, zero))
    else:
        by_zero = ir.Constant(I1, 0)
    warn(g, by_zero, f"divide by zero encountered in {named}")
    overflow = b.and_(b.and_(both_finite, out_inf), b.not_(by_zero))
    warn(g, overflow, f"overflow encountered in {named}")
    invalid = b.and_(nan(out), b.not_(b.or_(nan(x), nan(y))))
    warn(g, invalid, f"invalid value encountered in {named}")


# ------------------------------------------------------------------ conversions


def convert(g: FunctionLowerer, v: ir.Value, src: Type, dst: Type) -> ir.Value:
    """A conversion where one side is a NumPy scalar: NumPy's C cast between two of
    them; a Python number into one as NumPy takes a weak scalar (an int out of the
    dtype's range raises OverflowError); one out to Python's exact ``float(x)``,
    ``int(x)`` (of an integer) or ``bool(x)``."""
    b = g.b
    if isinstance(src, NpScalar) and isinstance(dst, NpScalar):
        return cast_element(b, v, src.dtype, dst.dtype)
    if isinstance(dst, NpScalar):
        return _from_python(g, v, src, dst.dtype)
    assert isinstance(src, NpScalar)
    d = src.dtype
    if isinstance(dst, Bool):
        return ufunc_arith.truth(b, v, d)
    if isinstance(dst, Float64):
        return cast_element(b, v, d, DType("float64"))
    if isinstance(dst, Int64) and d.kind in "biu":
        if d.kind == "u" and d.itemsize == 8:  # ember's ints are int64
            g.guard(b.icmp_signed("<", v, ir.Constant(I64, 0)), "OverflowError",
                    "a np.uint64 of 2**63 or more does not fit in ember's int64")
            return v
        return cast_element(b, v, d, DType("int64"))
    raise NotImplementedError(f"cast {src} -> {dst}")


def _from_python(g: FunctionLowerer, v: ir.Value, src: Type, d: DType) -> ir.Value:
    b = g.b
    if isinstance(src, Bool):
        return cast_element(b, b.zext(v, I8), DType("bool"), d)
    if isinstance(src, Float64):
        out = cast_element(b, v, DType("float64"), d)
        if d.kind == "f" and d.itemsize == 4:  # np.float32(1) + 1e300
            inf = ir.Constant(out.type, float("inf"))
            big = b.fcmp_ordered("==", ufunc_arith._intrinsic(b, "fabs", out), inf)
            finite = b.fcmp_ordered("<", ufunc_arith._intrinsic(b, "fabs", v),
                                    ir.Constant(v.type, float("inf")))
            warn(g, b.and_(big, finite), "overflow encountered in cast")
        return out
    assert isinstance(src, Int64), src
    if d.kind in "iu" and not (d.kind == "i" and d.itemsize == 8):
        bits = d.itemsize * 8
        lo, hi = (0, (1 << bits) - 1) if d.kind == "u" else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        if bits == 64:  # uint64: a negative Python int does not fit
            bad = b.icmp_signed("<", v, ir.Constant(I64, 0))
        else:  # one unsigned compare checks both ends
            bad = b.icmp_unsigned(">", b.sub(v, ir.Constant(I64, lo)), ir.Constant(I64, hi - lo))
        with unlikely(g.arrays, bad):
            raise_store_overflow(g.arrays, v, d)
    return cast_element(b, v, DType("int64"), d)

