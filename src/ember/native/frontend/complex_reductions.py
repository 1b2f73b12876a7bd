"""Typing of reductions of complex arrays: ``a.sum()``, ``a.prod()``, ``a.mean()`` of
every element → :class:`~ember.native.ir.arrays.ArrayReduce` typed complex128 (lowered
by :mod:`ember.native.codegen.complex_reductions`, NumPy's pairwise sum)::

    a.sum()   (a: array(complex64, 2d, C))   →   ArrayReduce("sum", a): complex128

Along an axis, with ``dtype=``, or of a non-contiguous n-d array: refused with a hint.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ember.native.frontend.operators import RuleError
from ember.native.ir.arrays import ArrayReduce
from ember.native.types import COMPLEX128, Array

if TYPE_CHECKING:
    from ember.native.frontend.expressions import ExprTyper
    from ember.native.ir.arrays import AnyExpr


def reduction(typer: ExprTyper, node: ast.Call, op: str, value: AnyExpr,
              got: dict[str, ast.expr], shown: str) -> AnyExpr:
    """``a.sum()``, ``a.prod()``, ``a.mean()`` of a complex array, over every element."""
    t = value.type
    assert isinstance(t, Array)
    hint = "supported on complex arrays: a.sum(), a.prod(), a.mean() of all elements"
    if op not in ("sum", "prod", "mean"):
        raise RuleError(f"{shown}() of a complex array is not supported in compiled code",
                        hint)
    for key, arg in got.items():
        if not (isinstance(arg, ast.Constant) and (arg.value is None or arg.value is False)):
            raise RuleError(f"{shown}() of a complex array with {key}= is not supported in "
                            "compiled code", hint)
    if t.ndim > 1 and t.layout not in ("C", "F"):
        raise RuleError(f"{shown}() of a non-contiguous {t.ndim}-d complex array is not "
                        "supported in compiled code", f"reduce a contiguous copy: "
                        f"a.copy().{op}()")
    return ArrayReduce(op, value, COMPLEX128, typer.span(node))
