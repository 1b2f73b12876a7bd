"""Which parameters of a root may be passed a NumPy scalar (np.float64, np.int64,
np.bool_) and still give the interpreted function's answer: typed IR → one bool per
parameter.

Interpreted, such an argument computes with NumPy's scalar rules, and so does every value
derived from it; compiled, it is a plain float64/int64/bool. The two agree (or compiled
code raises where NumPy wraps, warns or returns inf/nan) except in the operations
refused below, where NumPy answers differently for some inputs:

- a comparison (or ``min``/``max``) of an int with a float: NumPy rounds the int to
  float64 first (``np.float64(2**53) == 2**53 + 1`` is True), Python compares exactly;
- ``int / int``: NumPy divides the two rounded floats, Python rounds the exact quotient;
- ``int ** int``: ``np.int64(2) ** -1`` raises, ``2 ** -1`` is 0.5;
- ``round(x, n)``: NumPy scales by 10**n, Python rounds correctly;
- arithmetic on a bool: ``np.True_ + np.True_`` is True (logical or), ``-np.True_`` raises;
- ``pow(a, b, m)``; a call of another @jit function or ``print`` of a tuple (the value
  goes where this analysis does not follow).

    >>> from ember.diagnostics import Span
    >>> from ember.native.ir.nodes import BinOp, Name, Param, Return, TypedFunction
    >>> from ember.native.types import INT64, FLOAT64
    >>> s = Span("f.py", 1)
    >>> body = (Return(BinOp("/", Name("a", INT64, s), Name("b", INT64, s), FLOAT64, s), s),)
    >>> f = TypedFunction("f", "f", "m", "f", (Param("a", INT64), Param("b", INT64)),
    ...                   FLOAT64, (), body, s)
    >>> numpy_safe(f)
    (False, False)
"""

from __future__ import annotations

from ember.native.ir.nodes import (
    Assign,
    BinOp,
    Call,
    CallJit,
    Cast,
    Compare,
    Name,
    TypedFunction,
    UnaryOp,
    nodes,
)
from ember.native.types import BOOL, FLOAT64, INT64, Tuple, Type

_ROUND_OFF = frozenset({FLOAT64, INT64})


def numpy_safe(f: TypedFunction) -> tuple[bool, ...]:
    """For each parameter of ``f``: may it be a NumPy scalar of its type?"""
    return tuple(_safe(f, p.name) for p in f.params)


def _safe(f: TypedFunction, param: str) -> bool:
    if next(p.type for p in f.params if p.name == param) not in (FLOAT64, INT64, BOOL):
        return False
    tainted = _tainted(f, param)
    return not any(_refused(n, tainted) for n in nodes(f.body))


def _mentions(expr: object, tainted: set[str]) -> bool:
    return any(isinstance(n, Name) and n.name in tainted for n in nodes(expr))


def _tainted(f: TypedFunction, param: str) -> set[str]:
    """The locals that may hold a value computed from ``param`` (a NumPy scalar when
    interpreted). A ``for`` target over ``range`` is a Python int either way."""
    tainted = {param}
    while True:
        grown = {n.target for n in nodes(f.body) if isinstance(n, Assign)
                 and n.target not in tainted and _mentions(n.value, tainted)}
        if not grown:
            return tainted
        tainted |= grown


def _uncast(e: object) -> object:
    while isinstance(e, Cast):
        e = e.value
    return e


def _type(e: object) -> Type | None:
    return getattr(_uncast(e), "type", None)


def _refused(n: object, tainted: set[str]) -> bool:
    if isinstance(n, Compare):
        kinds = {_type(o) for o in n.operands}
        return kinds >= _ROUND_OFF and _mentions(n, tainted)
    if isinstance(n, BinOp):
        if not _mentions(n, tainted):
            return False
        sides = (_type(n.left), _type(n.right))
        if BOOL in sides and not (n.op in ("&", "|", "^") and sides == (BOOL, BOOL)):
            return True
        # (``a ** -1`` of an int is typed as float ** float: the int shows under the Cast.)
        return (n.op == "/" and sides == (INT64, INT64)) or (n.op == "**" and INT64 in sides)
    if isinstance(n, UnaryOp):
        return n.op != "not" and _type(n.value) == BOOL and _mentions(n, tainted)
    if isinstance(n, Call) and _mentions(n, tainted):
        if n.func in ("min", "max"):
            return {_type(a) for a in n.args} >= _ROUND_OFF
        if n.func == "print":
            return any(isinstance(a.type, Tuple) for a in n.args)
        return (n.func == "round" and len(n.args) == 2) or (n.func == "pow" and len(n.args) == 3)
    if isinstance(n, CallJit):
        return _mentions(n, tainted)
    return False
