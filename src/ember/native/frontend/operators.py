"""Python's operator rules on native types: operand types in → the type both operands
are converted to, and the result's type.

    >>> binop_types("/", INT64, INT64)
    (int64, float64)
    >>> binop_types("+", BOOL, FLOAT64)
    (float64, float64)
    >>> binop_types("&", BOOL, BOOL)
    (bool, bool)

These are pure functions of types (plus, for ``**``, the exponent when it is a
constant: ``folded_int``), used by :mod:`ember.native.frontend.statements`; a rule that
cannot apply raises :class:`RuleError`, which inference turns into a diagnostic at the
expression.
"""

from __future__ import annotations

from typing import Any

from ember.native.ir.nodes import BinOp, Cast, Const, Expr, UnaryOp
from ember.native.types import BOOL, FLOAT64, INT64, NUMERIC, Type, unify

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

ARITHMETIC = ("+", "-", "*", "/", "//", "%", "**")
BITWISE = ("<<", ">>", "&", "|", "^")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


class RuleError(Exception):
    """A typing rule does not apply; ``message`` and ``hint`` are for the user."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def binop_types(
    op: str, left: Type, right: Type, exponent: int | float | None = None
) -> tuple[Type, Type]:
    """``(operand type, result type)`` of ``left op right``; both operands are converted
    to the operand type first.

    ``/`` of two ints keeps int64 operands (the lowering divides them correctly rounded,
    as CPython does, which converting each to float first would not for |x| > 2**53).
    ``**`` of ints is int64 unless the exponent is a negative constant (then float64, as
    Python); a non-constant int exponent stays int64 and is checked at run time.
    """
    if op == "@":
        raise RuleError("matrix multiplication (@) is not supported",
                        "write the loops, or use NumPy outside the compiled function")
    if left not in NUMERIC or right not in NUMERIC:
        raise RuleError(f"unsupported operand types for {op}: {left} and {right}",
                        "arithmetic works on int, float and bool values")
    joined = unify(left, right)
    assert joined is not None  # numeric types always unify
    if op in BITWISE:
        if joined == FLOAT64:
            raise RuleError(f"unsupported operand types for {op}: {left} and {right}",
                            "bitwise operators and shifts need ints (use int(x) first)")
        if joined == BOOL and op in ("&", "|", "^"):
            return BOOL, BOOL
        return INT64, INT64
    if op not in ARITHMETIC:  # pragma: no cover - the ast has no other operators
        raise RuleError(f"operator {op} is not supported")
    if joined == BOOL:
        joined = INT64  # True + True == 2: bools compute as ints
    if op == "/":
        return joined, FLOAT64
    if op == "**" and joined == INT64 and exponent is not None and exponent < 0:
        return FLOAT64, FLOAT64
    return joined, joined


# int ops folded by ``folded_int``: each is Python's, which ember's int64 lowering matches
# whenever operands and result stay in int64 (the cases where it gives a value at all).
_FOLD: dict[str, Any] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "&": lambda a, b: a & b,
    "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "<<": lambda a, b: a << b if 0 <= b < 64 else None,
    ">>": lambda a, b: a >> b if b >= 0 else None,
    "**": lambda a, b: a**b if b >= 0 and (abs(a) <= 1 or b < 64) else None,
}  # fmt: skip


def folded_int(value: Expr) -> int | None:
    """The value of an int or bool expression built only from constants (literals,
    module constants, ``- + ~`` and int operators), or None: not constant, or it
    raises at run time (a zero divisor, a negative shift, leaving int64), in which
    case the run time raises and the value never matters."""
    if isinstance(value, Const):
        ok = value.type in (INT64, BOOL) and type(value.value) in (int, bool)
        return int(value.value) if ok else None  # type: ignore[arg-type]
    if isinstance(value, Cast) and value.type == INT64:
        return folded_int(value.value)
    got: int | None = None
    if isinstance(value, UnaryOp) and value.op in ("-", "+", "~"):
        a = folded_int(value.value)
        if a is not None:
            got = -a if value.op == "-" else a if value.op == "+" else ~a
    elif isinstance(value, BinOp) and value.op in _FOLD and value.type in (INT64, BOOL):
        a, b = folded_int(value.left), folded_int(value.right)
        if a is not None and b is not None and not (value.op in ("//", "%") and b == 0):
            got = _FOLD[value.op](a, b)
    return got if got is not None and INT64_MIN <= got <= INT64_MAX else None


def unary_types(op: str, operand: Type) -> tuple[Type, Type]:
    """``(operand type, result type)`` of ``-x``, ``+x``, ``~x`` (``not`` is a truth
    test, handled by inference)."""
    if operand not in NUMERIC:
        raise RuleError(f"bad operand type for unary {op}: {operand}",
                        "unary operators work on int, float and bool values")
    if op == "~" and operand == FLOAT64:
        raise RuleError("bad operand type for unary ~: float64", "~ needs an int")
    return (INT64, INT64) if operand == BOOL else (operand, operand)


def compare_types(ops: tuple[str, ...], operands: tuple[Type, ...]) -> tuple[Type, ...]:
    """The type each operand of a (chained) comparison is converted to.

    Numbers keep their own types (int64 against float64 is compared exactly by the
    lowering); a bool compared with a number becomes int64, which is exact.
    """
    for op in ops:
        if op not in COMPARISONS:
            word = {"is": "is", "isnot": "is not", "in": "in", "notin": "not in"}.get(op, op)
            raise RuleError(f"the '{word}' operator is not supported",
                            "compare numbers with == != < <= > >=")
    for t in operands:
        if t not in NUMERIC:
            raise RuleError(f"comparison of {t} values is not supported",
                            "comparisons work on int, float and bool values")
    if all(t == BOOL for t in operands):
        return operands
    return tuple(INT64 if t == BOOL else t for t in operands)
