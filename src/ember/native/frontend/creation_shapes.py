"""Typing rules for the NumPy creators that build an array from other values: literals
(``np.array([[1.0, x]])``), conversions (``np.asarray``, ``np.copy``), ranges and
matrices (``np.linspace``, ``np.eye``, ``np.triu``, ``np.diag``) and joins
(``np.concatenate``, ``np.stack``, ``np.hstack``, ``np.vstack``)::

    np.array([[1, 2], [x, y]])    ArrayLiteral((1, 2, x, y), (2, 2)): array(int64, 2d, C)
    np.linspace(0, 1, n)          ArrayLinspace(0.0, 1.0, n, endpoint=True)
    np.concatenate((a, b))        ArrayJoin("concatenate", (a, b), 0)

The entry :func:`numpy_call` takes every name of :data:`creation.CREATORS` and hands
the simple creators to :func:`ember.native.frontend.creation.numpy_call`. Lists are not
a value type in compiled code: a list argument must be written in the call, and its
ast is read directly. NumPy is looked up in ``sys.modules`` only.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.diagnostics import Diagnostic, EmberError
from ember.native.frontend import creation as C
from ember.native.frontend.arrays import store_value
from ember.native.frontend.builtins import cast
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import AnyExpr, Element
from ember.native.ir.creation import (
    ArrayDiag,
    ArrayEye,
    ArrayJoin,
    ArrayLinspace,
    ArrayLiteral,
    ArrayTri,
)
from ember.native.ir.nodes import Const, MakeTuple, Name, TupleGet
from ember.native.types import (
    COMPLEX128,
    FLOAT64,
    INT64,
    NUMERIC,
    Array,
    DType,
    Tuple,
)

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper

FUNCTIONS = ("array", "asarray", "copy", "linspace", "eye", "identity", "triu", "tril",
             "diag", "concatenate", "stack", "hstack", "vstack")


class ArrayShapeError(EmberError, ValueError):
    """NumPy's ValueError for shapes known at compile time (a ragged nested list, joined
    arrays of different ranks): raised when the function is compiled."""


class ArrayCastError(EmberError, TypeError):
    """NumPy refuses the cast at these dtypes whatever the values (a TypeError)."""


class ArrayAxisError(EmberError, ValueError, IndexError):
    """NumPy's AxisError (a ValueError and an IndexError) for an axis known at compile
    time to be out of bounds."""


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """Every creator of :data:`ember.native.frontend.creation.CREATORS`."""
    if name in ("array", "asarray", "copy"):
        return _array(typer, name, node)
    if name == "linspace":
        return _linspace(typer, node)
    if name in ("eye", "identity"):
        return _eye(typer, name, node)
    if name in ("triu", "tril", "diag"):
        return _matrix(typer, name, node)
    if name in ("concatenate", "stack", "hstack", "vstack"):
        return _join(typer, name, node)
    return C.numpy_call(typer, name, node)


def _shape_error(typer: ExprTyper, node: ast.AST, message: str, cls: type = ArrayShapeError
                 ) -> EmberError:
    hint = "NumPy raises this for these arguments whatever their values"
    return cls(Diagnostic(typer.span(node), message, hint), typer.src.source)  # type: ignore[no-any-return]


# ------------------------------------------------------------- np.array


def _array(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.array(obj, dtype, copy=True, order='K')``, ``np.asarray(a, dtype, order,
    copy=None)``, ``np.copy(a, order='K')``."""
    if name == "array":
        args = C.bind(typer, node, "np.array", ("object", "dtype", "copy", "order"), 1)
        first, default_copy = "object", True
    elif name == "asarray":
        args = C.bind(typer, node, "np.asarray", ("a", "dtype", "order", "copy"), 1)
        first, default_copy = "a", None
    else:
        args = C.bind(typer, node, "np.copy", ("a", "order"), 1)
        first, default_copy = "a", True
    obj = args[first]
    span = typer.span(node)
    if isinstance(obj, ast.List | ast.Tuple):
        return _literal(typer, node, obj, args.get("dtype"))
    value = typer.expr(obj)
    if is_unknown(value.type):
        return value
    if isinstance(value.type, Tuple):
        return _literal(typer, node, obj, args.get("dtype"), value)
    if not isinstance(value.type, Array):
        raise typer.error(obj, f"np.{name}() of a {value.type} is not supported in compiled "
                          "code (NumPy makes a 0-d array)",
                          "pass a list, a tuple or an array: np.array([x])")
    t = value.type
    dtype = C.optional_dtype(typer, args.get("dtype"), t.dtype)
    order = C.constant_of(typer, args.get("order"), "order", "K", ("K", "C", "F", "A", None))
    copy = C.constant_of(typer, args.get("copy"), "copy", default_copy, (True, False, None))
    layout = C.cast_layout(t, "K" if order is None else order)
    if copy is False and (dtype != t.dtype or layout != t.layout):
        raise _shape_error(typer, node, "Unable to avoid copy while creating an array as "
                           "requested.")
    return C.cast_array(value, dtype, layout, copy is True, span)


def _discover(typer: ExprTyper, root: ast.expr, value: AnyExpr | None
              ) -> tuple[tuple[int, ...], list[AnyExpr]]:
    """The shape and the leaves (C order) of a nested list/tuple, NumPy's way: level by
    level, every item a sequence of one length, or every item a number."""
    items: list[object] = [value if value is not None else root]
    shape: list[int] = []
    while True:
        items = [typer.expr(i) if isinstance(i, ast.expr) and not isinstance(
            i, ast.List | ast.Tuple) else i for i in items]
        kinds = [_children(typer, i) for i in items]
        seqs = [k for k in kinds if k is not None]
        if not seqs:
            break
        lengths = {len(k) for k in seqs}
        if len(seqs) != len(kinds) or len(lengths) != 1:
            detected = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
            raise _shape_error(
                typer, root, "setting an array element with a sequence. The requested array "
                f"has an inhomogeneous shape after {len(shape)} dimensions. The detected "
                f"shape was {detected} + inhomogeneous part.")
        shape.append(lengths.pop())
        items = [c for k in seqs for c in k]
    return tuple(shape), items  # type: ignore[return-value]


def _children(typer: ExprTyper, item: object) -> list[object] | None:
    """The items of a sequence (an ast List/Tuple, or a tuple-typed value), else None."""
    if isinstance(item, ast.List | ast.Tuple):
        return list(item.elts)
    t = getattr(item, "type", None)
    if not isinstance(t, Tuple):
        return None
    if isinstance(item, MakeTuple):
        return list(item.items)
    if isinstance(item, Name | TupleGet | Element):
        return [TupleGet(item, i, it, item.span) for i, it in enumerate(t.items)]
    raise typer.error(None, "a computed tuple inside np.array([...]) is not supported here",
                      "assign it to a local first: t = ...; np.array([t, u])")


def _literal(typer: ExprTyper, node: ast.Call, obj: ast.expr, dnode: ast.expr | None,
             value: AnyExpr | None = None) -> AnyExpr:
    """``np.array([[1.0, x], [y, 2]])`` or ``np.array(t)`` of a tuple value ``t``."""
    span = typer.span(node)
    source = None
    if value is not None and not isinstance(value, Name):
        source, value = value, Element(value.type, value.span)  # evaluated once
    shape, leaves = _discover(typer, obj, value)
    if not shape:
        raise typer.error(obj, "np.array() of a number is not supported in compiled code "
                          "(NumPy makes a 0-d array)", "write np.array([x])")
    if any(is_unknown(v.type) for v in leaves):
        return typer.unknown(node)
    for v in leaves:
        if isinstance(v.type, Array):
            raise typer.error(obj, "np.array() of arrays is not supported in compiled code",
                              "write np.stack((a, b)) to join arrays along a new axis")
        if v.type not in (*NUMERIC, COMPLEX128):
            raise typer.error(obj, f"np.array() needs numbers, not {v.type}",
                              "write the numbers, or a tuple of them")
    kinds = {v.type for v in leaves}
    default = DType("complex128" if COMPLEX128 in kinds else
                    "float64" if FLOAT64 in kinds or not kinds else
                    "int64" if INT64 in kinds else "bool")
    dtype = C.optional_dtype(typer, dnode, default)
    items = tuple(store_value(typer, v, dtype, obj) for v in leaves)
    return ArrayLiteral(items, shape, Array(dtype, len(shape), "C"), span, source)


# ------------------------------------------------------ ranges, matrices


def _number(typer: ExprTyper, node: ast.expr, fname: str) -> AnyExpr:
    v = typer.expr(node)
    if not is_unknown(v.type) and v.type not in NUMERIC:
        raise typer.error(node, f"{fname}() needs a number here, not {v.type}")
    return v if is_unknown(v.type) else cast(v, FLOAT64)


def _linspace(typer: ExprTyper, node: ast.Call) -> AnyExpr:
    args = C.bind(typer, node, "np.linspace", ("start", "stop", "num", "endpoint", "retstep",
                                               "dtype", "axis"), 2)
    C.constant_of(typer, args.get("retstep"), "retstep", False, (False,))
    C.constant_of(typer, args.get("axis"), "axis", 0, (0,))
    endpoint = C.constant_of(typer, args.get("endpoint"), "endpoint", True, (True, False))
    start = _number(typer, args["start"], "np.linspace")
    stop = _number(typer, args["stop"], "np.linspace")
    num: AnyExpr = (C.int_arg(typer, args["num"], "np.linspace") if "num" in args
                    else _const_int(50, typer.span(node)))
    if any(is_unknown(v.type) for v in (start, stop, num)):
        return typer.unknown(node)
    dtype = C.optional_dtype(typer, args.get("dtype"), DType("float64"))
    return ArrayLinspace(start, stop, num, bool(endpoint), Array(dtype, 1, "C"),
                         typer.span(node))


def _const_int(v: int, span: object) -> AnyExpr:
    return Const(v, INT64, span)  # type: ignore[arg-type]


def _eye(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    span = typer.span(node)
    if name == "identity":
        args = C.bind(typer, node, "np.identity", ("n", "dtype"), 1)
        n, m, k = C.int_arg(typer, args["n"], "np.identity"), None, _const_int(0, span)
    else:
        args = C.bind(typer, node, "np.eye", ("N", "M", "k", "dtype", "order"), 1)
        n = C.int_arg(typer, args["N"], "np.eye")
        mnode = args.get("M")
        none = mnode is None or (isinstance(mnode, ast.Constant) and mnode.value is None)
        m = None if none else C.int_arg(typer, mnode, "np.eye")  # type: ignore[arg-type]
        k = C.int_arg(typer, args["k"], "np.eye") if "k" in args else _const_int(0, span)
        C.constant_of(typer, args.get("order"), "order", "C", ("C",))
    if any(v is not None and is_unknown(v.type) for v in (n, m, k)):
        return typer.unknown(node)
    dtype = C.optional_dtype(typer, args.get("dtype"), DType("float64"))
    return ArrayEye(n, m, k, Array(dtype, 2, "C"), span)


def _matrix(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.triu(m, k)``, ``np.tril(m, k)``, ``np.diag(v, k)``."""
    first = "v" if name == "diag" else "m"
    args = C.bind(typer, node, f"np.{name}", (first, "k"), 1)
    src = C.array_arg(typer, args[first], f"np.{name}")
    span = typer.span(node)
    k = C.int_arg(typer, args["k"], f"np.{name}") if "k" in args else _const_int(0, span)
    if is_unknown(src.type) or is_unknown(k.type):
        return typer.unknown(node)
    t = src.type
    if name == "diag":
        if t.ndim not in (1, 2):
            raise _shape_error(typer, node, "Input must be 1- or 2-d.")
        # Of a 2-d array: NumPy's read-only view of the diagonal (any strides).
        out = Array(t.dtype, 1, "A", readonly=True) if t.ndim == 2 else Array(t.dtype, 2, "C")
        return ArrayDiag(src, k, out, span)
    if t.ndim != 2:
        raise typer.error(args[first], f"np.{name}() of a {t.ndim}-d array is not supported "
                          "in compiled code", "pass a 2-d array")
    return ArrayTri(name, src, k, Array(t.dtype, 2, "C"), span)


# ----------------------------------------------------------------- joins


def result_dtype(dtypes: list[DType]) -> DType:
    """NumPy's ``np.result_type`` of array dtypes (NumPy is loaded: the code calls it).

    >>> import numpy
    >>> result_dtype([DType("int8"), DType("uint8")]), result_dtype([DType("int64"), DType("uint64")])
    (int16, float64)
    """
    np = sys.modules["numpy"]
    return DType(np.result_type(*[d.name for d in dtypes]).name)


def _join_inputs(typer: ExprTyper, node: ast.expr, fname: str) -> list[AnyExpr]:
    if isinstance(node, ast.Tuple | ast.List):
        arrays = [C.array_arg(typer, e, fname) for e in node.elts]
    else:
        v = typer.expr(node)
        if isinstance(v, Name) and isinstance(v.type, Tuple):
            arrays = [TupleGet(v, i, t, v.span) for i, t in enumerate(v.type.items)]
        elif is_unknown(v.type):
            return [v]
        else:
            raise typer.error(node, f"{fname}() takes the arrays as a tuple written in the "
                              "call here", f"write {fname}((a, b))")
    if not arrays:
        raise _shape_error(typer, node, "need at least one array to concatenate")
    for t in (a.type for a in arrays):
        if not is_unknown(t) and not isinstance(t, Array):
            raise typer.error(node, f"{fname}() joins arrays, not {t}")
    return arrays


def _join(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    fname = f"np.{name}"
    params = ("arrays", "axis", "dtype") if name in ("concatenate", "stack") else ("tup", "dtype")
    args = C.bind(typer, node, fname, params, 1)
    arrays = _join_inputs(typer, args[params[0]], fname)
    if any(is_unknown(a.type) for a in arrays):
        return typer.unknown(node)
    types: list[Array] = [a.type for a in arrays]  # type: ignore[misc]
    span = typer.span(node)
    axis_node = args.get("axis")
    axis = C.constant_of(typer, axis_node, "axis", 0, tuple(range(-32, 33)))
    ndims = {t.ndim for t in types}
    dtype = C.optional_dtype(typer, args.get("dtype"), result_dtype([t.dtype for t in types]))
    for t in types:  # NumPy joins with casting="same_kind": complex → real is refused
        if t.dtype.kind == "c" and dtype.kind != "c":
            raise _shape_error(typer, node, f"Cannot cast array data from dtype('{t.dtype}') "
                               f"to dtype('{dtype}') according to the rule 'same_kind'",
                               ArrayCastError)
    kind = "concatenate" if name in ("concatenate", "hstack") else name
    if name == "vstack":
        ndim = max(2, *ndims)
        if any(t.ndim not in (1, ndim) or (t.ndim == 1 and ndim != 2) for t in types):
            raise _ndim_error(typer, node, types, True)
        return ArrayJoin("vstack", tuple(arrays), 0, Array(dtype, ndim, "C"), span)
    if len(ndims) != 1:
        raise _ndim_error(typer, node, types, False)
    ndim = types[0].ndim
    if name == "hstack":
        axis = 0 if ndim == 1 else 1
    out_ndim = ndim + 1 if kind == "stack" else ndim
    if not -out_ndim <= int(axis) < out_ndim:  # type: ignore[call-overload]
        raise _shape_error(typer, axis_node or node, f"axis {axis} is out of bounds for array "
                           f"of dimension {out_ndim}", ArrayAxisError)
    if ndim == 0:
        raise _shape_error(typer, node, "zero-dimensional arrays cannot be concatenated")
    return ArrayJoin(kind, tuple(arrays), int(axis) % out_ndim,  # type: ignore[call-overload]
                     Array(dtype, out_ndim, "C"), span)


def _ndim_error(typer: ExprTyper, node: ast.AST, types: list[Array], rows: bool) -> EmberError:
    """NumPy's message for inputs of different ranks (vstack's 1-d inputs are rows)."""
    ndims = [2 if rows and t.ndim == 1 else t.ndim for t in types]
    bad = next((i for i, d in enumerate(ndims) if d != ndims[0]), 1)
    first = 0
    return _shape_error(
        typer, node, "all the input arrays must have same number of dimensions, but the array "
        f"at index {first} has {ndims[first]} dimension(s) and the array at index {bad} "
        f"has {ndims[bad]} dimension(s)")

