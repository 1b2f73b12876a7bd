"""Python's operator rules on native types: operand types in → the type both operands
are converted to, and the result's type.

    >>> binop_types("/", INT64, INT64)
    (int64, float64)
    >>> binop_types("+", BOOL, FLOAT64)
    (float64, float64)
    >>> binop_types("&", BOOL, BOOL)
    (bool, bool)

These are pure functions of types (plus, for ``**``, the exponent when it is a
constant), used by :mod:`ember.native.frontend.statements`; a rule that cannot apply raises
:class:`RuleError`, which inference turns into a diagnostic at the expression.
"""

from __future__ import annotations

from ember.native.types import BOOL, FLOAT64, INT64, NUMERIC, Type, unify

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
