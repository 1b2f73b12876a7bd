"""Typing rules for NumPy scalars (:class:`~ember.native.types.NpScalar`): an operator,
comparison or builtin with a ``np.float32``/``np.int8``/... operand → typed IR whose
operands are converted to the loop dtypes NumPy picks (NumPy 2 promotion, a Python
number weak, asked of NumPy by :mod:`ember.native.frontend.ufunc_types`)::

    x * 2.0        (x: np.float32)  BinOp(*, x, Cast(2.0): np.float32): np.float32
    x + y          (np.int8, np.int16)  BinOp(+, Cast(x): np.int16, y): np.int16
    x / 3          (x: np.int8)     BinOp(/, Cast(x), Cast(3)): np.float64
    x < 1000       (x: np.int8)     Compare(<, x, Cast(1000): np.int64): np.bool
    float(x)       (x: np.float32)  Cast(x): float64 (exact)

Where NumPy scalars come from: an element read from an array whose dtype ember's Python
types do not hold exactly (:func:`element_type`: float32, int8-32, uint8-64), an
argument of one of those types, and everything computed from them. float64, int64 and
bool elements stay ember's float/int/bool (Python's semantics, values equal to NumPy's).
"""

from __future__ import annotations

import sys

from ember.diagnostics import Span
from ember.native.frontend.operators import RuleError
from ember.native.frontend.ufunc_types import Key, resolve
from ember.native.ir.arrays import compute_type
from ember.native.ir.nodes import (
    BinOp,
    Call,
    Cast,
    Compare,
    Const,
    Expr,
    IfExp,
    Name,
    UnaryOp,
    nodes,
)
from ember.native.types import (
    BOOL,
    FLOAT64,
    INT64,
    DType,
    NpScalar,
    Type,
    promote_dtypes,
    unify,
)

UFUNCS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "floor_divide",
          "%": "remainder", "**": "power", "&": "bitwise_and", "|": "bitwise_or",
          "^": "bitwise_xor", "<<": "left_shift", ">>": "right_shift"}  # fmt: skip
UNARY = {"-": "negative", "+": "positive", "~": "invert", "abs": "absolute"}
COMPARE = {"==": "equal", "!=": "not_equal", "<": "less", "<=": "less_equal", ">": "greater",
           ">=": "greater_equal"}  # fmt: skip
#: The dtypes whose elements ember's Python types hold with the same arithmetic.
PYTHON_DTYPES = ("float64", "int64", "bool")
CONVERT_HINT = "convert it first: float(x), int(x) or bool(x) give Python's number"


def cast(value: Expr, to: Type) -> Expr:
    """``value`` converted to ``to`` (an explicit Cast; none when it is ``to``)."""
    return value if value.type == to else Cast(value, to, value.span)


def element_type(dtype: DType) -> Type:
    """The type an element of ``dtype`` is read as: a NumPy scalar of its dtype where
    Python's number would compute differently, else the compute type.

    >>> import numpy  # (without it, arrays are plain buffers of Python numbers)
    >>> element_type(DType("float32")), element_type(DType("float64"))
    (np.float32, float64)
    """
    if dtype.name in PYTHON_DTYPES or dtype.kind == "c" or "numpy" not in sys.modules:
        # Without NumPy the array is a plain buffer (array.array, memoryview), whose
        # elements Python reads as its own numbers. Complex elements are Python complex
        # (complex64 computed as complex128: frontend/complex.py).
        return compute_type(dtype)
    return NpScalar(dtype)


def numpy_result(value: Expr, dtype: DType) -> Expr:
    """A whole-array reduction's value (computed in its compute type) as the NumPy
    scalar NumPy returns (``a.sum()`` of a float64 ``a`` is an ``np.float64``): exact,
    the compute type holds the reduction's value. Complex results stay Python complex."""
    if dtype.kind == "c":
        return value
    return Cast(value, NpScalar(dtype), value.span)


def involved(*types: Type) -> bool:
    """Whether any of ``types`` is a NumPy scalar (then these rules apply)."""
    return any(isinstance(t, NpScalar) for t in types)


def _key(t: Type) -> Key:
    if isinstance(t, NpScalar):
        return t.dtype
    if t == INT64:
        return "int"
    if t == FLOAT64:
        return "float"
    if t == BOOL:
        return DType("bool")
    raise RuleError(f"a {t} cannot meet a NumPy scalar here",
                    "NumPy scalars combine with numbers: int, float, bool and np.float32 ...")


def binop(op: str, left: Expr, right: Expr, span: Span) -> Expr:
    """``left op right`` with NumPy's scalar rules."""
    name = UFUNCS.get(op)
    if name is None:
        raise RuleError(f"the operator {op} is not supported on NumPy scalars", CONVERT_HINT)
    ins, out = resolve(name, (_key(left.type), _key(right.type)))
    return BinOp(op, cast(left, NpScalar(ins[0])), cast(right, NpScalar(ins[1])), NpScalar(out),
                 span)


def unary(op: str, value: Expr, span: Span) -> Expr:
    """``-x``, ``+x``, ``~x`` or ``abs(x)`` of a NumPy scalar."""
    ins, out = resolve(UNARY[op], (_key(value.type),))
    return UnaryOp(op, cast(value, NpScalar(ins[0])), NpScalar(out), span)


def compare(ops: tuple[str, ...], operands: tuple[Expr, ...], span: Span) -> Expr:
    """A comparison chain with a NumPy scalar in it: a ``np.bool_``. Integers compare
    exactly whatever their dtypes (``np.int8(1) < 1000`` is True, as in NumPy 2); with
    a float every operand is converted to NumPy's loop dtype."""
    pairs = [resolve(COMPARE[op], (_key(a.type), _key(b.type)))[0]
             for op, a, b in zip(ops, operands, operands[1:], strict=False)]
    loops = {d for pair in pairs for d in pair}
    if all(d.kind in "biu" for d in loops):
        wanted = [_int_operand(v.type) for v in operands]
    else:  # the widest float loop of the chain, for every operand
        widest = max((d for d in loops if d.kind == "f"), key=lambda d: d.itemsize)
        wanted = [NpScalar(widest)] * len(operands)
    casted = tuple(cast(v, t) for v, t in zip(operands, wanted, strict=True))
    return Cast(Compare(ops, casted, BOOL, span), NpScalar(DType("bool")), span)


def _int_operand(t: Type) -> NpScalar:
    if isinstance(t, NpScalar):
        return t
    return NpScalar(DType("bool" if t == BOOL else "int64"))


def truth(value: Expr) -> Expr | None:
    """``bool(x)`` of a NumPy scalar without a round trip: a comparison's own bool."""
    if isinstance(value, Cast) and value.value.type == BOOL:
        return value.value
    return None


def builtin(name: str, args: list[Expr], span: Span) -> Expr | list[Expr]:
    """A builtin or math call with a NumPy scalar argument: the typed call, or the
    arguments converted to Python's numbers for the caller's ordinary rule
    (``math.sqrt(x)`` of an np.float32 is Python's float, as in CPython)."""
    if name == "float" and len(args) == 1:
        return Cast(args[0], FLOAT64, span)
    if name == "int" and len(args) == 1:
        return _int(args[0], span)
    if name == "abs" and len(args) == 1:
        return unary("abs", args[0], span)
    if name == "pow" and len(args) == 2:
        return binop("**", args[0], args[1], span)
    if name in ("min", "max") and len(args) >= 2:
        return _min_max(name, args, span)
    if name == "bool" and len(args) == 1:  # the truth, whatever the value
        return Cast(args[0], BOOL, span)
    if name.startswith("math."):
        return [python_value(a) for a in args]
    raise RuleError(f"{name}() of a NumPy scalar ({', '.join(str(a.type) for a in args)}) is "
                    "not supported yet", CONVERT_HINT)


def _min_max(name: str, args: list[Expr], span: Span) -> Expr:
    """``max(a, b, ...)`` as Python computes it: the first argument, replaced by each
    later one that compares greater (less for ``min``; a NaN never replaces nor is
    replaced), in the NumPy scalar type they all convert to."""
    if not all(all(isinstance(n, Name | Const | Cast) for n in nodes(a)) for a in args):
        raise RuleError(f"{name}() of computed NumPy scalars is not supported",
                        "assign the arguments to variables first: m = max(m, x)")
    joined: Type = args[0].type
    for a in args[1:]:
        t = unify(joined, a.type)
        if t is None:
            raise RuleError(f"{name}() of {joined} and {a.type}", CONVERT_HINT)
        joined = t
    op = ">" if name == "max" else "<"
    best = cast(args[0], joined)
    for a in args[1:]:
        other = cast(a, joined)
        test = compare((op,), (other, best), span)
        best = IfExp(truth(test) or test, other, best, joined, span)
    return best


def printable(value: Expr) -> Expr:
    """A ``print()`` argument: a NumPy int, bool or float64 prints as Python's number
    does (``str(np.int8(5))`` is ``5``); a float32 prints its shortest float32 digits,
    which compiled code does not have."""
    t = value.type
    if isinstance(t, NpScalar) and t.dtype.kind == "f" and t.dtype.itemsize == 4:
        raise RuleError("print() of a np.float32 is not supported yet",
                        "print float(x) (its float64 digits) outside the hot loop, or "
                        "return the value")
    return python_value(value)  # (a uint64 of 2**63 or more: OverflowError, ember's int64)


def python_value(value: Expr) -> Expr:
    """``value`` as Python's number (a NumPy scalar converted exactly: float(x) of a
    float, int(x) of an integer, bool(x) of a bool); other values as they are."""
    t = value.type
    if not isinstance(t, NpScalar):
        return value
    if t.dtype.kind == "f":
        return Cast(value, FLOAT64, value.span)
    return Cast(value, BOOL if t.dtype.kind == "b" else INT64, value.span)


def _int(value: Expr, span: Span) -> Expr:
    t = value.type
    assert isinstance(t, NpScalar)
    if t.dtype.kind == "f":  # int(np.float32(2.5)) truncates as int(float)
        return Call("int", (Cast(value, FLOAT64, span),), INT64, span)
    return Cast(value, INT64, span)


def index(value: Expr) -> Expr:
    """An integer NumPy scalar used as an index: an int64."""
    t = value.type
    if isinstance(t, NpScalar) and t.dtype.kind in "iub":
        return Cast(value, INT64, value.span)
    raise RuleError(f"an array index must be an int, not {t}", "convert it with int(x)")


def store(value: Expr, dtype: DType) -> Expr:
    """A NumPy scalar stored into an array of ``dtype``, as NumPy's ``a[i] = x``: a
    safe cast (the dtype holds every value) is exact; into a signed int array the
    value goes through Python's int (``a[i] = np.int16(300)`` raises OverflowError for
    an int8 ``a``, a NaN ValueError); otherwise NumPy's C cast (an uint8 ``a`` gets 44)."""
    t = value.type
    assert isinstance(t, NpScalar)
    if promote_dtypes(t.dtype, dtype) == dtype or dtype.kind != "i":
        return cast(cast(value, NpScalar(dtype)), compute_type(dtype))
    return _int(value, value.span)  # the store's own range check raises NumPy's error
