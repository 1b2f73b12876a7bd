"""Calls of builtins and ``math`` functions: typed arguments in → a typed IR expression.

    >>> span = Span("f.py", 1)
    >>> type_call("math.sqrt", [Const(2, INT64, span)], {}, span)
    Call(func='math.sqrt', args=(Const(value=2.0, type=float64, ...),), type=float64, ...)

A callee is recognised by identity (``builtins.abs``, ``math.sqrt``), so ``from math
import sqrt`` and ``import math as m`` work, and a user's own ``abs`` is not mistaken for
the builtin. Some calls need no run-time call at all and become other nodes:
``float(n)`` is a :class:`Cast`, ``len(t)`` a :class:`Const`, ``bool(x)`` a
:class:`Truth`, ``pow(a, b)`` a ``**`` :class:`BinOp`, ``max(t)`` over a tuple the
``max`` of its items. The small IR constructors shared with inference live here too.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from ember.diagnostics import Span
from ember.native.frontend import np_scalars
from ember.native.frontend.list_values import list_truth, retype_list
from ember.native.frontend.operators import RuleError, binop_types, folded_int
from ember.native.ir.nodes import (
    BinOp,
    Call,
    Cast,
    Const,
    Expr,
    MakeTuple,
    Name,
    Truth,
    TupleGet,
    nodes,
)
from ember.native.types import (
    BOOL,
    COMPLEX128,
    FLOAT64,
    INT64,
    NONE,
    NUMERIC,
    STR,
    Array,
    List,
    NpScalar,
    Tuple,
    Type,
    unify,
)

# ------------------------------------------------------------ IR constructors


def cast(value: Expr, to: Type) -> Expr:
    """``value`` converted (widened) to ``to``; constants and tuple displays are
    converted in place so the lowering sees fewer nodes."""
    if value.type == to:
        return value
    if isinstance(to, List) and isinstance(value.type, List):  # [] as a list[int64]
        return retype_list(value, to)
    if isinstance(value, Const) and to in NUMERIC and value.type in NUMERIC:
        if value.value is None:  # a placeholder for a recursive call's value (IfExp)
            return Const(None, to, value.span)
        converted = float(value.value) if to == FLOAT64 else int(value.value)  # type: ignore[arg-type]
        return Const(converted, to, value.span)
    if isinstance(value, MakeTuple) and isinstance(to, Tuple):
        items = tuple(cast(v, t) for v, t in zip(value.items, to.items, strict=True))
        return MakeTuple(items, to, value.span)
    return Cast(value, to, value.span)


def truth(value: Expr) -> Expr:
    """Python's truth test of ``value`` as a bool expression."""
    t = value.type
    if t == BOOL:
        return value
    if isinstance(t, NpScalar):  # a comparison's own bool, else != 0
        return np_scalars.truth(value) or Truth(value, BOOL, value.span)
    if t == STR:
        raise RuleError("a string can only be an argument of print()")
    if isinstance(t, List):  # its length (a local's: frontend/lists.py holds others)
        return list_truth(value)
    if isinstance(t, Array):  # NumPy's ValueError, here at compile time
        raise RuleError("The truth value of an array is ambiguous (NumPy raises ValueError "
                        "for more than one element)",
                        "test a reduction instead: if a.any(): / if a.all(): / if a.size:")
    if isinstance(value, Const) and t in NUMERIC:
        return Const(bool(value.value), BOOL, value.span)
    if isinstance(value, (Const, Name)) and t == NONE:
        return Const(False, BOOL, value.span)
    if isinstance(value, (Name, MakeTuple)) and isinstance(t, Tuple) and _pure(value):
        return Const(bool(t.items), BOOL, value.span)
    return Truth(value, BOOL, value.span)


def _pure(value: Expr) -> bool:
    """Whether ``value`` is names and constants in tuple displays and items: nothing
    to evaluate for its truth, which its type alone decides."""
    return all(isinstance(n, (Const, Name, MakeTuple, TupleGet)) for n in nodes(value))


# ------------------------------------------------------------- the table

MATH_FLOAT1 = (
    "sqrt", "exp", "expm1", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos",
    "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "fabs", "erf", "erfc",
    "gamma", "lgamma", "degrees", "radians", "cbrt", "exp2",
)  # fmt: skip
MATH_FLOAT2 = ("atan2", "pow", "copysign", "fmod", "hypot", "remainder", "nextafter")
MATH_TO_INT = ("floor", "ceil", "trunc")
MATH_PREDICATES = ("isnan", "isinf", "isfinite")
MATH_INT = {"factorial": 1, "isqrt": 1, "comb": 2, "perm": 2, "gcd": 2, "lcm": 2}
BUILTINS = ("abs", "min", "max", "round", "int", "float", "bool", "len", "range", "print", "pow")

_CALLABLES: dict[int, tuple[object, str]] = {}


def builtin_name(value: object) -> str | None:
    """``"abs"``, ``"math.sqrt"``... when ``value`` is a builtin or math function ember
    compiles; None otherwise."""
    if not _CALLABLES:
        for name in BUILTINS:
            _CALLABLES[id(getattr(builtins, name))] = (getattr(builtins, name), name)
        names = MATH_FLOAT1 + MATH_FLOAT2 + MATH_TO_INT + MATH_PREDICATES + tuple(MATH_INT)
        for name in (*names, "log", "ldexp", "frexp", "modf"):
            if hasattr(math, name):  # cbrt and exp2 are 3.11+
                fn = getattr(math, name)
                _CALLABLES[id(fn)] = (fn, "math." + name)
    entry = _CALLABLES.get(id(value))
    return entry[1] if entry is not None and entry[0] is value else None


def type_call(name: str, args: list[Expr], keywords: dict[str, Expr], span: Span) -> Expr:
    """The typed expression for a call of builtin or math function ``name``."""
    if name == "print":
        return _print(args, keywords, span)
    if keywords:
        raise RuleError(f"{name}() with keyword arguments is not supported",
                        "pass the arguments by position")
    for a in args:
        if a.type == STR and not (name == "float" and isinstance(a, Const)):
            raise RuleError(f"a string cannot be an argument of {name}()",
                            "strings are only supported as print() arguments")
    if any(isinstance(a.type, NpScalar) for a in args):
        typed = np_scalars.builtin(name, args, span)
        if not isinstance(typed, list):
            return typed
        args = typed  # converted to Python's numbers: the ordinary rule applies
    if name.startswith("math."):
        return _math(name, args, span)
    handler = _HANDLERS.get(name)
    if handler is None:  # pragma: no cover - the table and handlers agree
        raise RuleError(f"{name}() is not supported")
    return handler(args, span)


def _arity(name: str, args: list[Expr], *counts: int) -> None:
    if len(args) not in counts:
        want = " or ".join(map(str, counts))
        raise RuleError(f"{name}() takes {want} argument{'s' if counts != (1,) else ''} "
                        f"({len(args)} given)")


def _number(name: str, arg: Expr, position: int = 1) -> Type:
    if arg.type not in NUMERIC:
        raise RuleError(f"{name}() argument {position} must be a number, not {arg.type}",
                        f"{name}() works on int, float and bool values")
    return arg.type


def _integer(name: str, arg: Expr, position: int = 1) -> Expr:
    if arg.type not in (BOOL, INT64):
        raise RuleError(f"{name}() argument {position} must be an int, not {arg.type}",
                        "convert it with int(x) first")
    return cast(arg, INT64)


def _abs(args: list[Expr], span: Span) -> Expr:
    _arity("abs", args, 1)
    t = _number("abs", args[0])
    t = INT64 if t == BOOL else t
    return Call("abs", (cast(args[0], t),), t, span)


def _minmax(name: str, args: list[Expr], span: Span) -> Expr:
    if len(args) == 1:
        only = args[0]
        if not isinstance(only.type, Tuple):
            raise RuleError(f"{name}() of a single {only.type} is not supported",
                            f"pass two or more numbers, or a tuple: {name}(a, b)")
        if not only.type.items:
            raise RuleError(f"{name}() of an empty tuple")
        if isinstance(only, MakeTuple):
            args = list(only.items)
        elif _pure(only):  # t or t[1]: reading it again is free
            args = [TupleGet(only, i, t, only.span) for i, t in enumerate(only.type.items)]
        else:
            raise RuleError(f"{name}() of a computed tuple is not supported",
                            "assign the tuple to a variable first")
        if len(args) == 1:
            _number(name, args[0])
            return args[0]
    if len(args) < 2:
        raise RuleError(f"{name}() expected at least 1 argument, got 0")
    joined: Type = _number(name, args[0])
    for i, a in enumerate(args[1:], start=2):
        _number(name, a, i)
        joined = unify(joined, a.type)  # type: ignore[assignment]  # numbers always unify
    return Call(name, tuple(cast(a, joined) for a in args), joined, span)


def _round(args: list[Expr], span: Span) -> Expr:
    _arity("round", args, 1, 2)
    t = _number("round", args[0])
    if len(args) == 1:
        if t == FLOAT64:
            return Call("round", (args[0],), INT64, span)
        return cast(args[0], INT64)  # round() of an int is the int
    digits = _integer("round", args[1], 2)
    if t == FLOAT64:
        return Call("round", (args[0], digits), FLOAT64, span)
    if isinstance(digits, Const) and digits.value >= 0:  # type: ignore[operator]
        return cast(args[0], INT64)
    return Call("round", (cast(args[0], INT64), digits), INT64, span)


def _int(args: list[Expr], span: Span) -> Expr:
    _arity("int", args, 0, 1)
    if not args:
        return Const(0, INT64, span)
    t = _number("int", args[0])
    if t == FLOAT64:
        return Call("int", (args[0],), INT64, span)
    return cast(args[0], INT64)


def _float(args: list[Expr], span: Span) -> Expr:
    _arity("float", args, 0, 1)
    if not args:
        return Const(0.0, FLOAT64, span)
    arg = args[0]
    if arg.type == STR and isinstance(arg, Const):
        try:
            return Const(float(arg.value), FLOAT64, span)  # type: ignore[arg-type]
        except ValueError:
            raise RuleError(f"could not convert string to float: {arg.value!r}") from None
    _number("float", arg)
    return cast(arg, FLOAT64)


def _bool(args: list[Expr], span: Span) -> Expr:
    _arity("bool", args, 0, 1)
    return truth(args[0]) if args else Const(False, BOOL, span)


def _len(args: list[Expr], span: Span) -> Expr:
    _arity("len", args, 1)
    t = args[0].type
    if isinstance(t, Tuple):
        return Const(len(t.items), INT64, span)
    raise RuleError(f"len() of {t} is not supported", "len() works on tuples")


def _range(args: list[Expr], span: Span) -> Expr:
    raise RuleError("range() can only be used as the iterable of a for loop",
                    "write: for i in range(n): ...")


def _pow(args: list[Expr], span: Span) -> Expr:
    _arity("pow", args, 2)
    exponent = folded_int(args[1])  # pow(x, -2) is a float, as x ** -2
    operand, result = binop_types("**", args[0].type, args[1].type, exponent)  # type: ignore[arg-type]
    return BinOp("**", cast(args[0], operand), cast(args[1], operand), result, span)


def _print(args: list[Expr], keywords: dict[str, Expr], span: Span) -> Expr:
    args = [np_scalars.printable(a) for a in args]  # NumPy scalars: as Python prints them
    for i, a in enumerate(args, start=1):
        if a.type not in (*NUMERIC, STR, NONE, COMPLEX128) and not (  # a list prints as Python's
                isinstance(a.type, List) and a.type.item is not None):
            raise RuleError(f"print() of {a.type} values is not supported (argument {i})",
                            "print numbers, bools and string literals; print a tuple's "
                            "items one by one")
    unknown = sorted(set(keywords) - {"sep", "end"})
    if unknown:
        raise RuleError(f"print() keyword '{unknown[0]}' is not supported",
                        "print() accepts sep= and end= string literals")
    for key, value in keywords.items():
        if not (isinstance(value, Const) and value.type == STR):
            raise RuleError(f"print() {key}= must be a string literal")
    sep = keywords.get("sep", Const(" ", STR, span))
    end = keywords.get("end", Const("\n", STR, span))
    if (sep.value, end.value) == (" ", "\n"):  # type: ignore[union-attr]
        return Call("print", tuple(args), NONE, span)
    return Call("print.sepend", (sep, end, *args), NONE, span)


_HANDLERS: dict[str, Any] = {
    "abs": _abs,
    "min": lambda args, span: _minmax("min", args, span),
    "max": lambda args, span: _minmax("max", args, span),
    "round": _round,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "len": _len,
    "range": _range,
    "pow": _pow,
}


def _math(name: str, args: list[Expr], span: Span) -> Expr:
    short = name[5:]
    if short in MATH_FLOAT1 or short in MATH_FLOAT2 or short == "log":
        counts = (1,) if short in MATH_FLOAT1 else (1, 2) if short == "log" else (2,)
        _arity(name, args, *counts)
        for i, a in enumerate(args, start=1):
            _number(name, a, i)
        return Call(name, tuple(cast(a, FLOAT64) for a in args), FLOAT64, span)
    if short in MATH_TO_INT:
        _arity(name, args, 1)
        if _number(name, args[0]) == FLOAT64:
            return Call(name, (args[0],), INT64, span)
        return cast(args[0], INT64)  # floor/ceil/trunc of an int is the int
    if short in MATH_PREDICATES:
        _arity(name, args, 1)
        _number(name, args[0])
        return Call(name, (cast(args[0], FLOAT64),), BOOL, span)
    if short in MATH_INT:
        _arity(name, args, MATH_INT[short])
        ints = tuple(_integer(name, a, i) for i, a in enumerate(args, start=1))
        return Call(name, ints, INT64, span)
    if short == "ldexp":
        _arity(name, args, 2)
        _number(name, args[0])
        return Call(name, (cast(args[0], FLOAT64), _integer(name, args[1], 2)), FLOAT64, span)
    if short in ("frexp", "modf"):
        _arity(name, args, 1)
        _number(name, args[0])
        result = Tuple((FLOAT64, INT64 if short == "frexp" else FLOAT64))
        return Call(name, (cast(args[0], FLOAT64),), result, span)
    raise RuleError(f"{name}() is not supported")  # pragma: no cover - table covers all
