"""Typing rules for matrix products: ``a @ b``, ``np.matmul``, ``np.dot``, ``np.inner``,
``np.vdot``, ``np.outer`` of 1-D/2-D real or complex arrays → :class:`ember.native.ir.linalg.MatMul`::

    a @ b            MatMul("matmul", a, b): array(float64, 2d, C)  (a, b: float64 2d)
    np.dot(a, x)     MatMul("dot", a, x): array(float64, 1d, C)     (x: float64 1d)
    np.vdot(x, y)    MatMul("vdot", x, y): float64

Hooks: :mod:`ember.native.frontend.expressions` calls :func:`matmul_operator` for ``@``
and asks :func:`numpy_function_name` before the other NumPy functions (which also names
``np.linalg``'s functions and ``np.kron``, typed by :mod:`ember.native.frontend.lapack`). The result dtype
is NumPy's ``np.result_type`` of the two (:func:`result_dtype`). NumPy is looked up in
``sys.modules`` only.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.native.frontend import lapack
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import AnyExpr, compute_type
from ember.native.ir.linalg import FUNCS, MatMul, result_dtype, result_ndim
from ember.native.types import Array, Type

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper


def numpy_function_name(value: object) -> str | None:
    """``"dot"`` if ``value`` is ``numpy.dot`` (and so on for :data:`FUNCS`)."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    for name in FUNCS:
        if value is getattr(np, name, None):
            return name
    return lapack.numpy_function_name(value)  # np.linalg.*, np.kron: frontend/lapack.py


def _check(typer: ExprTyper, func: str, value: AnyExpr, node: ast.AST) -> Array:
    t = value.type
    shown = "@" if func == "@" else f"np.{func}"
    if not isinstance(t, Array):
        raise typer.error(node, f"{shown} of a scalar ({t}) is not supported",
                          "multiply instead: x * a")
    top = 1 if func in ("vdot", "outer") else 32 if func in ("@", "matmul") else 2
    if not 1 <= t.ndim <= top:
        hint = ("flatten first: a.ravel()" if top == 1
                else "np.matmul (or @) multiplies stacks of matrices")
        raise typer.error(node, f"{shown} of a {t.ndim}-D array is not supported "
                          f"(1-D{'' if top == 1 else ' and 2-D'} only)", hint)
    if t.dtype.kind == "b":
        raise typer.error(node, f"{shown} of bool arrays is not supported",
                          "convert first: a.astype(np.int64)")
    return t


def product(typer: ExprTyper, func: str, left: AnyExpr, right: AnyExpr, node: ast.AST) -> AnyExpr:
    """``func(left, right)`` (``func`` is ``"@"`` for the operator) → MatMul."""
    if is_unknown(left.type) or is_unknown(right.type):
        return typer.unknown(node)
    lt, rt = _check(typer, func, left, node), _check(typer, func, right, node)
    name = "matmul" if func == "@" else func
    dtype = result_dtype(lt.dtype, rt.dtype)
    ndim = result_ndim(name, lt.ndim, rt.ndim)
    result: Type = compute_type(dtype) if ndim == 0 else Array(dtype, ndim, "C")
    return MatMul(name, left, right, result, typer.span(node))


def matmul_operator(typer: ExprTyper, left: AnyExpr, right: AnyExpr, node: ast.AST) -> AnyExpr:
    """``left @ right``."""
    return product(typer, "@", left, right, node)


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.dot(a, b)`` and the other :data:`FUNCS`: two positional arrays."""
    if name in lapack.LINALG_FUNCS:
        return lapack.numpy_call(typer, name, node)
    if len(node.args) != 2 or node.keywords:
        raise typer.error(node, f"np.{name} takes two positional arrays here",
                          f"write np.{name}(a, b) (out= is not supported)")
    left, right = typer.expr(node.args[0]), typer.expr(node.args[1])
    return product(typer, name, left, right, node)
