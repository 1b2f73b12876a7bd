"""Typing of complex numbers: Python's rules for ``complex`` values → typed IR.

    z * 2 + 1j   (z: complex128)   →   BinOp(+, BinOp(*, z, cast(2)), 1j): complex128
    abs(z)                         →   Call("complex.abs", (z,)): float64
    z.real, z.conjugate()          →   Call("complex.real"), Call("complex.conjugate")
    cmath.sqrt(x)  (x: float64)    →   Call("cmath.sqrt", (cast(x),)): complex128

An int, bool or float meeting a complex is converted to ``complex(x, 0.0)`` (a
:class:`Cast`), as CPython 3.11 does, except in ``==``/``!=``, where an int is compared
exactly with the real part, as ``complex.__eq__`` does. What CPython refuses with a
TypeError (``<`` on complex, ``//``, ``%``, ``float(z)``) is refused at compile time.
The lowering is :mod:`ember.native.codegen.complex`.
"""

from __future__ import annotations

import ast
import builtins
import cmath
from typing import TYPE_CHECKING

from ember.native.frontend.builtins import cast, type_call
from ember.native.frontend.operators import RuleError
from ember.native.ir.nodes import BinOp, Call, Compare, Const, Expr, UnaryOp
from ember.native.types import BOOL, COMPLEX128, FLOAT64, INT64, NUMERIC, Tuple, Type

if TYPE_CHECKING:
    from ember.native.frontend.expressions import ExprTyper

#: cmath functions of one complex argument returning a complex
CMATH_UNARY = (
    "sqrt", "exp", "log10", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos",
    "atan", "asinh", "acosh", "atanh",
)  # fmt: skip
CMATH_PREDICATES = ("isnan", "isinf", "isfinite")
_HINT_REAL = "take z.real, z.imag or abs(z) for a real number"

_CALLABLES: dict[int, str] = {}


def is_complex(t: Type) -> bool:
    return t == COMPLEX128


def involves(*types: Type) -> bool:
    """Whether any of ``types`` is complex (then these rules type the expression)."""
    return COMPLEX128 in types


def callee_name(value: object) -> str | None:
    """``"complex"`` or ``"cmath.<name>"`` when ``value`` is one of those, else None."""
    if value is builtins.complex:
        return "complex"
    if not _CALLABLES:  # cmath's functions live as long as the interpreter: ids are stable
        for name in (*CMATH_UNARY, *CMATH_PREDICATES, "log", "phase", "polar", "rect"):
            _CALLABLES[id(getattr(cmath, name))] = "cmath." + name
    return _CALLABLES.get(id(value))


def _number(name: str, value: Expr, position: int = 1) -> Expr:
    if value.type not in (*NUMERIC, COMPLEX128):
        raise RuleError(f"{name}() argument {position} must be a number, not {value.type}",
                        "complex functions take int, float, bool and complex values")
    return value


def to_complex(value: Expr) -> Expr:
    """``value`` as a complex: constants folded, else a :class:`Cast`."""
    if value.type == COMPLEX128:
        return value
    if isinstance(value, Const) and value.type in NUMERIC and value.value is not None:
        return Const(complex(float(value.value)), COMPLEX128, value.span)  # type: ignore[arg-type]
    return cast(value, COMPLEX128)


def literal(value: complex, typer: ExprTyper, node: ast.AST) -> Expr:
    return Const(value, COMPLEX128, typer.span(node))


# ------------------------------------------------------------- operators


def binop(typer: ExprTyper, op: str, left: Expr, right: Expr, node: ast.AST) -> Expr:
    """``left op right`` with a complex operand: ``+ - * / **`` as CPython's complex."""
    for side in (left, right):
        if side.type not in (*NUMERIC, COMPLEX128):
            raise RuleError(f"unsupported operand types for {op}: {left.type} and {right.type}",
                            "complex arithmetic works with int, float, bool and complex")
    if op not in ("+", "-", "*", "/", "**"):
        raise RuleError(
            f"unsupported operand type(s) for {op}: complex (CPython raises TypeError)",
            "complex numbers have + - * / ** only; use abs(z), z.real or z.imag for "
            "real arithmetic")
    return BinOp(op, to_complex(left), to_complex(right), COMPLEX128, typer.span(node))


def unary(typer: ExprTyper, op: str, value: Expr, node: ast.AST) -> Expr:
    if op == "~":
        raise RuleError("bad operand type for unary ~: 'complex' (CPython raises TypeError)",
                        "~ needs an int")
    if isinstance(value, Const):
        folded = -value.value if op == "-" else value.value  # type: ignore[operator]
        return Const(folded, COMPLEX128, typer.span(node))
    return UnaryOp(op, value, COMPLEX128, typer.span(node))


def compare(typer: ExprTyper, ops: tuple[str, ...], operands: tuple[Expr, ...],
            node: ast.AST) -> Expr:
    """A comparison with a complex operand: ``==`` and ``!=`` only, as CPython."""
    for i, op in enumerate(ops):
        pair = (operands[i].type, operands[i + 1].type)
        if involves(*pair) and op not in ("==", "!="):
            word = {"is": "is", "isnot": "is not", "in": "in", "notin": "not in"}.get(op, op)
            raise RuleError(f"'{word}' not supported between complex values (CPython raises "
                            "TypeError)", "compare abs(z), z.real or z.imag instead")
    for v in operands:
        if v.type not in (*NUMERIC, COMPLEX128):
            raise RuleError(f"comparison of {v.type} values is not supported",
                            "comparisons work on int, float, bool and complex values")
    # bools compare as ints; ints keep int64 so that == is exact (2**53 + 1 != 2.0**53).
    casted = tuple(cast(v, INT64) if v.type == BOOL else v for v in operands)
    return Compare(ops, casted, BOOL, typer.span(node))


# ---------------------------------------------------- attributes, methods


def attribute(typer: ExprTyper, node: ast.Attribute, value: Expr) -> Expr:
    span = typer.span(node)
    if node.attr in ("real", "imag"):
        return Call("complex." + node.attr, (value,), FLOAT64, span)
    raise RuleError(f"complex values have no attribute '{node.attr}' in compiled code",
                    "complex values have .real, .imag and .conjugate()")


def method_call(typer: ExprTyper, node: ast.Call, value: Expr) -> Expr:
    assert isinstance(node.func, ast.Attribute)
    if node.func.attr == "conjugate":
        if node.args or node.keywords:
            raise RuleError("complex.conjugate() takes no arguments")
        return Call("complex.conjugate", (value,), COMPLEX128, typer.span(node))
    raise RuleError(f"complex values have no method '{node.func.attr}' in compiled code",
                    "complex values have .real, .imag and .conjugate()")


# ------------------------------------------------------------------ calls


def builtin_call(typer: ExprTyper, name: str, args: list[Expr], keywords: dict[str, Expr],
                 node: ast.Call) -> Expr:
    """A builtin called with a complex argument (``abs``, ``pow``, ``bool``); the others
    (``print``) go to the builtin rules."""
    span = typer.span(node)
    if name == "abs" and len(args) == 1:
        return Call("complex.abs", (args[0],), FLOAT64, span)
    if name == "pow" and len(args) == 2:
        return binop(typer, "**", args[0], args[1], node)
    if name == "bool" and len(args) == 1:
        from ember.native.frontend.builtins import truth  # the one truth rule

        return truth(args[0])
    if name in ("float", "int", "round", "min", "max"):
        raise RuleError(f"{name}() of a complex value is not supported (CPython raises "
                        "TypeError)", _HINT_REAL)
    return type_call(name, args, keywords, span)


def call(typer: ExprTyper, name: str, node: ast.Call) -> Expr:
    """``complex(...)`` or a ``cmath`` function."""
    span = typer.span(node)
    for a in node.args:
        if isinstance(a, ast.Starred):
            raise RuleError("*-arguments are not supported", "pass arguments one by one")
    if name == "complex":
        return _complex_call(typer, node)
    if node.keywords:
        raise RuleError(f"{name}() with keyword arguments is not supported",
                        "pass the arguments by position")
    args = [_number(name, typer.expr(a), i + 1) for i, a in enumerate(node.args)]
    short = name.removeprefix("cmath.")
    want = {"log": (1, 2), "rect": (2,)}.get(short, (1,))
    if len(args) not in want:
        raise RuleError(f"{name}() takes {' or '.join(map(str, want))} argument(s) "
                        f"({len(args)} given)")
    if short == "rect":
        for a in args:
            if a.type == COMPLEX128:
                raise RuleError("cmath.rect() takes real arguments (CPython raises TypeError)",
                                _HINT_REAL)
        return Call(name, tuple(cast(a, FLOAT64) for a in args), COMPLEX128, span)
    zs = tuple(to_complex(a) for a in args)
    if short in CMATH_PREDICATES:
        return Call(name, zs, BOOL, span)
    if short == "phase":
        return Call(name, zs, FLOAT64, span)
    if short == "polar":
        return Call(name, zs, Tuple((FLOAT64, FLOAT64)), span)
    return Call(name, zs, COMPLEX128, span)


def _complex_call(typer: ExprTyper, node: ast.Call) -> Expr:
    span = typer.span(node)
    given: dict[str, Expr] = {}
    if len(node.args) > 2:
        raise RuleError(f"complex() takes at most 2 arguments ({len(node.args)} given)")
    for key, a in zip(("real", "imag"), node.args, strict=False):
        given[key] = typer.expr(a)
    for k in node.keywords:
        if k.arg not in ("real", "imag") or k.arg in given:
            raise RuleError(f"complex() got an unexpected or repeated keyword argument "
                            f"'{k.arg}'")
        given[k.arg] = typer.expr(k.value)
    for v in given.values():
        if v.type not in (*NUMERIC, COMPLEX128):
            raise RuleError(f"complex() argument must be a number, not {v.type}",
                            "complex(real, imag) takes int, float, bool and complex values")
    real = given.get("real", Const(0.0, FLOAT64, span))
    if "imag" not in given:
        return to_complex(real)  # complex(x): x itself, or (float(x), 0.0)
    parts = tuple(v if v.type == COMPLEX128 else cast(v, FLOAT64)
                  for v in (real, given["imag"]))
    if all(isinstance(p, Const) for p in parts):
        r, i = (p.value for p in parts)  # type: ignore[union-attr]
        return Const(complex(r, i), COMPLEX128, span)  # type: ignore[arg-type]
    return Call("complex", parts, COMPLEX128, span)
