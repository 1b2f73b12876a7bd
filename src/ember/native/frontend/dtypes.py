"""Dtypes named in compiled code: ``dtype=np.float32``, ``"uint8"``, ``float``, an array's
``.dtype`` or a dtype passed in as an argument → ember's :class:`DType`, read at compile
time. Used by creation, reductions and the array rules alike (so it imports none of
them).

>>> dtype_value(float), dtype_value("int8")
(builtin[float], None)
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.native.buffers import typeof_dtype
from ember.native.types import DTYPE_NAMES, DType, DTypeValue

if TYPE_CHECKING:  # annotations only: expressions imports the rule modules
    from ember.native.frontend.expressions import ExprTyper

DTYPES_HINT = "dtypes: bool, int8-64, uint8-64, float32, float64, complex64, complex128"


def dtype_value(obj: object) -> DTypeValue | None:
    """The dtype value a Python object is (:func:`ember.native.buffers.typeof_dtype`):
    the constant rule of the frontend, the argument rule of the dispatcher.

    >>> dtype_value(float), dtype_value(3)
    (builtin[float], None)
    """
    return typeof_dtype(obj)


def static_object(typer: ExprTyper, node: ast.expr) -> tuple[bool, object, str | None]:
    """(found, value, dotted name) of a constant ``node``: a string literal, or a name
    outside the function."""
    if isinstance(node, ast.Constant):
        return True, node.value, None
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        try:
            return True, ast.literal_eval(node), None  # axis=-1
        except ValueError:
            return False, None, None
    if isinstance(node, ast.Name | ast.Attribute) and typer.is_static(node):
        try:
            obj, dotted, _ = typer.static(node)
        except Exception:  # noqa: BLE001 - any failure means "not a constant"
            return False, None, None
        return True, obj, dotted
    return False, None, None


def dtype_of(typer: ExprTyper, node: ast.expr) -> DType:
    """The element type a ``dtype=`` argument names: ``np.float32``, ``float``, ``int``,
    ``bool``, ``"uint8"``, ``np.dtype("i4")`` — read at compile time — or a dtype value
    (``a.dtype``, a dtype passed in as an argument)."""
    found, obj, dotted = static_object(typer, node)
    if not found:
        value = typer.expr(node)
        if isinstance(value.type, DTypeValue):
            return value.type.dtype
        raise typer.error(node, "the dtype must be a constant such as np.float64, an "
                          f"array's .dtype or a dtype argument, not {value.type}", None)
    if isinstance(obj, str):
        np = sys.modules.get("numpy")
        try:
            name = np.dtype(obj).name if np is not None else obj
        except TypeError:
            name = None
        dv = DTypeValue(DType(name), "dtype") if name in DTYPE_NAMES else None
    else:
        dv = dtype_value(obj)
    if dv is None:
        raise typer.error(node, f"dtype {ast.unparse(node)} is not supported", DTYPES_HINT)
    if dotted is not None and "." not in dotted:
        # A global naming the dtype (DT = np.float32) is folded in like a constant: record
        # it, so the native cache key changes with it.
        typer.captured[dotted] = f"dtype:{dv.dtype.name}"
    return dv.dtype


def optional_dtype(typer: ExprTyper, node: ast.expr | None, default: DType) -> DType:
    """``dtype=None`` (or no dtype) means ``default``."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return default
    return dtype_of(typer, node)
