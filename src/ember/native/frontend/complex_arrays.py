"""Typing of the complex parts of arrays: ``a.real``, ``a.imag``, ``np.real``, ``np.imag``,
``np.angle`` → views and fused expressions::

    a.real       (a: array(complex128, 1d, C))   →   ArrayPart(a, 0): array(float64, 1d, A)
    np.angle(a)                                  →   ArrayEval(arctan2(a.imag, a.real))
    np.real(x)   (x: array(float64, ...))        →   x itself (NumPy returns the array)

A part is a view (writes through it change ``a``, as in NumPy). NumPy looks these
functions up in ``sys.modules``; it is never imported here.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.native.frontend import elementwise as array_exprs
from ember.native.frontend.complex import call as complex_call
from ember.native.frontend.complex import callee_name as complex_callee
from ember.native.frontend.complex import to_complex
from ember.native.frontend.operators import RuleError
from ember.native.ir.nodes import Call, nodes
from ember.native.ir.views import ArrayPart
from ember.native.types import BOOL, COMPLEX128, FLOAT64, INT64, Array, DType

if TYPE_CHECKING:
    from ember.native.frontend.expressions import ExprTyper
    from ember.native.ir.arrays import AnyExpr

FUNCTIONS = ("real", "imag", "angle")


def numpy_function_name(value: object) -> str | None:
    """``"real"``, ``"imag"`` or ``"angle"`` when ``value`` is that NumPy function."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    for name in FUNCTIONS:
        if value is getattr(np, name, None):
            return name
    return None


def call(typer: ExprTyper, value: object, node: ast.Call) -> AnyExpr | None:
    """``complex(...)``, a ``cmath`` function, ``np.real/imag/angle``; else None."""
    name = complex_callee(value)
    if name is not None:
        return complex_call(typer, name, node)
    name = numpy_function_name(value)
    return None if name is None else numpy_call(typer, name, node)


def part(typer: ExprTyper, node: ast.AST, value: AnyExpr, which: str) -> AnyExpr:
    """``value.real`` / ``value.imag`` of an array (or of a number, for np.real(x))."""
    t = value.type
    span = typer.span(node)
    if not isinstance(t, Array):
        if t == COMPLEX128:
            return Call("complex." + which, (value,), FLOAT64, span)
        if t in (BOOL, INT64, FLOAT64) and which == "real":
            return value
        raise RuleError(f"np.{which}() of a {t} is not supported in compiled code",
                        "pass a complex number or an array")
    if t.dtype.kind != "c":
        if which == "real":
            return value  # NumPy: a real array's .real is the array itself
        raise RuleError(f"the imaginary part of a {t.dtype} array is not supported in "
                        "compiled code (NumPy gives a read-only array of zeros)",
                        "use np.zeros_like(a) for it")
    dtype = DType("float32" if t.dtype.itemsize == 8 else "float64")
    rt = Array(dtype, t.ndim, "A", t.readonly)
    return ArrayPart(value, 0 if which == "real" else 1, rt, span)


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.real(z)``, ``np.imag(z)``, ``np.angle(z)`` (``deg=False`` only)."""
    if len(node.args) != 1 or node.keywords:
        raise RuleError(f"np.{name}() takes one argument here",
                        "np.angle(z, deg=True) is not supported: multiply by 180/np.pi")
    value = typer.expr(node.args[0])
    if value.type != COMPLEX128 and not isinstance(value.type, Array):
        if name == "angle":  # a real number: arctan2(0.0, x)
            value = to_complex(value)
    if name in ("real", "imag"):
        return part(typer, node, value, name)
    t = value.type
    if isinstance(t, Array) and t.dtype.kind == "c":
        imag, real = part(typer, node, value, "imag"), part(typer, node, value, "real")
        return array_exprs.ufunc(typer, "arctan2", [imag, real], node)
    if t == COMPLEX128:  # NumPy's arctan2 of the parts (no ERANGE quirk of cmath.phase)
        span = typer.span(node)
        parts = [Call("complex." + p, (value,), FLOAT64, span) for p in ("imag", "real")]
        return array_exprs.ufunc(typer, "arctan2", parts, node)
    if isinstance(t, Array):  # a real array: NumPy computes arctan2(0, a)
        zero = typer.expr(ast.copy_location(ast.Constant(0.0), node))
        return array_exprs.ufunc(typer, "arctan2", [zero, value], node)
    raise RuleError(f"np.angle() of a {t} is not supported", "pass a number or an array")



#: NumPy functions and methods whose complex forms compiled code does not have (NumPy
#: orders complex values lexicographically; sorting, searching and binning need it).
REAL_ONLY = frozenset({
    "sort", "argsort", "unique", "nonzero", "flatnonzero", "count_nonzero", "searchsorted",
    "histogram", "bincount", "where", "clip", "arange",
})  # fmt: skip


def real_only(result: AnyExpr, name: str) -> AnyExpr:
    """``result`` of ``np.<name>``, refused when complex arrays take part in a function
    of :data:`REAL_ONLY` (a clear compile error instead of a failed lowering)."""
    if name in REAL_ONLY and any(isinstance(getattr(n, "type", None), Array)
                                 and n.type.dtype.kind == "c" for n in nodes(result)):
        raise RuleError(f"np.{name}() of complex arrays is not supported in compiled code",
                        "complex arrays support arithmetic, np.abs/conj/real/imag/angle/sqrt/"
                        "exp/log and sum/prod/mean; sort a real key, e.g. np.sort(a.real)")
    return result
