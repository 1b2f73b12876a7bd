"""Typing rules for fancy and mask indexing and NumPy's 1-D data functions: ast →
the nodes of :mod:`ember.native.ir.fancy`::

    a[m]                     FancyGet("mask", a, m)    (m: a bool array)
    a[idx] = 0               FancySet("take", a, idx, 0)   (idx: an int array)
    np.sort(a), a.sort()     FancyCall("sort", (a,)), FancyCall("sort_inplace", (a,))
    np.histogram(a, 5)       FancyCall("histogram", (a, 5)): (array(int64), array(float64))

Hooks: :mod:`ember.native.frontend.expressions` asks :func:`array_index` before the
ordinary array subscript rule, :func:`numpy_function_name` before the creators, and
:data:`METHODS` before the array methods; :mod:`ember.native.frontend.statements` asks
:func:`array_index` before an item assignment. NumPy is looked up in ``sys.modules`` only.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.diagnostics import Diagnostic
from ember.native.frontend.arrays import ReadOnlyArrayError, store_value
from ember.native.frontend.builtins import cast
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import AnyExpr, AnyStmt, Element
from ember.native.ir.fancy import FancyCall, FancyGet, FancySet
from ember.native.ir.nodes import Const, Name
from ember.native.types import BOOL, FLOAT64, INT64, NONE, NUMERIC, Array, DType, Tuple

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper

INT64_DTYPE = DType("int64")
FLOAT64_DTYPE = DType("float64")
#: NumPy functions these rules compile (looked up by identity).
NUMPY_FUNCTIONS = ("sort", "argsort", "nonzero", "flatnonzero", "count_nonzero", "unique",
                   "bincount", "histogram", "searchsorted")
#: Array methods these rules compile.
METHODS = ("sort", "argsort", "nonzero")
_KINDS = ("quicksort", "mergesort", "heapsort", "stable")
_SIGNATURES = {  # parameter names, in order (None: no default)
    "sort": ("a", "axis", "kind"),
    "argsort": ("a", "axis", "kind"),
    "nonzero": ("a",),
    "flatnonzero": ("a",),
    "count_nonzero": ("a",),
    "unique": ("ar", "return_index", "return_inverse", "return_counts"),
    "bincount": ("x", "weights", "minlength"),
    "histogram": ("a", "bins", "range"),
    "searchsorted": ("a", "v", "side"),
}


def numpy_function_name(value: object) -> str | None:
    """``"sort"`` if ``value`` is ``numpy.sort`` (and so on for :data:`NUMPY_FUNCTIONS`)."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    for name in NUMPY_FUNCTIONS:
        if value is getattr(np, name, None):
            return name
    return None


# ------------------------------------------------------------------ indexing


def array_index(typer: ExprTyper, node: ast.Subscript) -> AnyExpr | None:
    """The index of ``a[index]`` when it is one array (typing is pure, so the ordinary
    rule may type it again when this gives None)."""
    if isinstance(node.slice, ast.Tuple | ast.Slice | ast.Constant):
        return None
    index = typer.expr(node.slice)
    return index if isinstance(index.type, Array) else None


def _index_kind(typer: ExprTyper, node: ast.Subscript, t: Array, index: AnyExpr) -> str:
    it = index.type
    assert isinstance(it, Array)
    if it.dtype.kind == "b":
        if it.ndim > t.ndim:
            raise typer.error(node.slice, f"too many indices for array: array is {t.ndim}-"
                              f"dimensional, but {it.ndim} were indexed",
                              "the mask can have at most the array's dimensions")
        return "mask"
    if it.dtype.kind == "f":
        raise typer.error(node.slice, "arrays used as indices must be of integer (or boolean) "
                          "type", "convert it: a[idx.astype(np.int64)]")
    if it.ndim != 1:
        raise typer.error(node.slice, f"indexing with a {it.ndim}-d int array is not "
                          "supported in compiled code", "index with a 1-d int array")
    return "take"


def subscript(typer: ExprTyper, node: ast.Subscript, value: AnyExpr, index: AnyExpr) -> AnyExpr:
    """``a[mask]`` and ``a[idx]`` read: a new C array."""
    t = value.type
    assert isinstance(t, Array)
    kind = _index_kind(typer, node, t, index)
    k = index.type.ndim if kind == "mask" else 1  # type: ignore[union-attr]
    return FancyGet(kind, value, index, Array(t.dtype, t.ndim - k + 1, "C"), typer.span(node))


def check_writable(typer: ExprTyper, target: AnyExpr, node: ast.AST) -> None:
    """A write to a read-only array is refused at compile time (a ValueError, as
    NumPy's "assignment destination is read-only")."""
    t = target.type
    if isinstance(t, Array) and t.readonly:
        message = f"this array is read-only (a read-only buffer) but {typer.tree.name}() writes to it"
        hint = "pass a writable array (e.g. a.copy(), a bytearray or a writable NumPy array)"
        raise ReadOnlyArrayError(Diagnostic(typer.span(node), message, hint), typer.src.source)


def _hoisted(typer: ExprTyper, value: AnyExpr, node: ast.AST, out: list[AnyStmt]) -> AnyExpr:
    if isinstance(value, Name | Const):
        return value
    temp = typer.new_temp()
    typer.bind_name(temp, value, node, out)
    return Name(temp, typer.env.get(temp, value.type), value.span)


def setitem(typer: ExprTyper, target: ast.Subscript, value: AnyExpr, out: list[AnyStmt]) -> None:
    """``a[mask] = v`` and ``a[idx] = v``: ``v`` a number or a 1-d array of ``a``'s
    dtype. Python's order (value, array, index) is fixed by locals."""
    arr = typer.expr(target.value)
    if is_unknown(arr.type) or is_unknown(value.type):
        return
    t = arr.type
    if not isinstance(t, Array):
        raise typer.error(target, f"assigning to an item of a {t} is not supported")
    check_writable(typer, arr, target)
    value = _hoisted(typer, value, target, out)
    arr = _hoisted(typer, arr, target, out)
    index = _hoisted(typer, typer.expr(target.slice), target, out)
    kind = _index_kind(typer, target, t, index)
    span = typer.span(target)
    vt = value.type
    if isinstance(vt, Array):
        if vt.ndim != 1 or vt.dtype != t.dtype:
            raise typer.error(target, f"assigning a {vt} through an array index of a {t} is "
                              "not supported in compiled code",
                              f"assign a number, or a 1-d array of {t.dtype}")
        if kind == "mask" and index.type.ndim != t.ndim:  # type: ignore[union-attr]
            raise typer.error(target, "assigning an array through a mask of fewer "
                              "dimensions is not supported", "assign a number")
        if kind == "take" and t.ndim != 1:
            raise typer.error(target, "assigning an array through int indices of an n-d "
                              "array is not supported", "assign a number")
        out.append(FancySet(kind, arr, index, value, span))
        return
    if vt not in NUMERIC:
        raise typer.error(target, f"cannot store a {vt} into an array of {t.dtype}")
    element = Element(vt, value.span)
    stored = store_value(typer, element, t.dtype, target)
    out.append(FancySet(kind, arr, index, value, span, None if stored is element else stored))


def refuse_augmented(typer: ExprTyper, target: ast.Subscript) -> None:
    """``a[mask] += v`` is not compiled: a compile error saying what to write."""
    if array_index(typer, target) is not None:
        text = ast.unparse(target)
        raise typer.error(target, "augmented assignment through an array index is not "
                          "supported in compiled code",
                          f"assign the new values ({text} = values), or loop over the items")


# ------------------------------------------------------------ calls, methods


def _bind(typer: ExprTyper, name: str, node: ast.Call, params: tuple[str, ...]
          ) -> dict[str, ast.expr]:
    """Arguments → parameter names (NumPy's signature), or a compile error."""
    if len(node.args) > len(params):
        raise typer.error(node, f"np.{name}() takes at most {len(params)} arguments here")
    bound = dict(zip(params, node.args, strict=False))
    for k in node.keywords:
        if k.arg not in params or k.arg in bound:
            raise typer.error(k, f"np.{name}() keyword '{k.arg}' is not supported here",
                              f"arguments: {', '.join(params)}")
        bound[k.arg] = k.value
    if params[0] not in bound:
        raise typer.error(node, f"np.{name}() needs an array argument")
    return bound


def _constant(typer: ExprTyper, node: ast.expr) -> object:
    value = typer.expr(node)
    if not isinstance(value, Const):
        raise typer.error(node, "this argument must be a constant here")
    return value.value


def _array_arg(typer: ExprTyper, node: ast.expr, name: str, ndim: int | None = None) -> AnyExpr:
    value = typer.expr(node)
    t = value.type
    if is_unknown(t):
        return value
    if not isinstance(t, Array):
        raise typer.error(node, f"np.{name}() needs an array here, not {t}",
                          "pass an array (scalars are not converted in compiled code)")
    if ndim is not None and t.ndim != ndim:
        raise typer.error(node, f"np.{name}() of a {t.ndim}-d array is not supported in "
                          "compiled code", f"pass a {ndim}-d array")
    return value


def _int_arg(typer: ExprTyper, node: ast.expr, what: str) -> AnyExpr:
    value = typer.expr(node)
    if is_unknown(value.type):
        return value
    if value.type not in (INT64, BOOL):
        raise typer.error(node, f"{what} must be an int, not {value.type}")
    return cast(value, INT64)


def method_call(typer: ExprTyper, node: ast.Call, value: AnyExpr) -> AnyExpr:
    """``a.sort()`` (in place, None), ``a.argsort()``, ``a.nonzero()``."""
    assert isinstance(node.func, ast.Attribute)
    name = node.func.attr
    if is_unknown(value.type):
        return typer.unknown(node)
    call = ast.Call(node.func, [node.func.value, *node.args], node.keywords)
    ast.copy_location(call, node)
    result = numpy_call(typer, name, call)
    if name != "sort" or not isinstance(result, FancyCall):
        return result
    check_writable(typer, value, node)
    return FancyCall("sort_inplace", result.args, NONE, result.span, result.option)


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.sort(a)`` and the other :data:`NUMPY_FUNCTIONS` → :class:`FancyCall`."""
    bound = _bind(typer, name, node, _SIGNATURES[name])
    one_d = 1 if name in ("sort", "argsort", "bincount", "searchsorted") else None
    arr = _array_arg(typer, bound.pop(_SIGNATURES[name][0]), name, one_d)
    if is_unknown(arr.type):
        return typer.unknown(node)
    t = arr.type
    assert isinstance(t, Array)
    span = typer.span(node)
    if name in ("sort", "argsort"):
        option = _sort_options(typer, bound)
        rt = Array(t.dtype if name == "sort" else INT64_DTYPE, 1, "C")
        return FancyCall(name, (arr,), rt, span, option)
    if name == "nonzero":
        return FancyCall(name, (arr,), Tuple((Array(INT64_DTYPE, 1, "C"),) * t.ndim), span)
    if name == "flatnonzero":
        return FancyCall(name, (arr,), Array(INT64_DTYPE, 1, "C"), span)
    if name == "count_nonzero":
        return FancyCall(name, (arr,), INT64, span)
    if name == "unique":
        return _unique(typer, node, arr, t, bound)
    if name == "bincount":
        return _bincount(typer, node, arr, t, bound)
    if name == "histogram":
        return _histogram(typer, node, arr, t, bound)
    return _searchsorted(typer, node, arr, t, bound)


def _sort_options(typer: ExprTyper, bound: dict[str, ast.expr]) -> str:
    if "axis" in bound and _constant(typer, bound["axis"]) not in (0, -1):
        raise typer.error(bound["axis"], "a 1-d array has only axis 0 (or -1)")
    kind = _constant(typer, bound["kind"]) if "kind" in bound else None
    if kind is not None and kind not in _KINDS:
        raise typer.error(bound["kind"], f"sort kind {kind!r} is not one of NumPy's",
                          "kind='quicksort', 'mergesort', 'heapsort' or 'stable'")
    # One algorithm (a stable merge sort) serves every kind: a valid answer for each.
    return "stable" if kind in ("stable", "mergesort") else ""


def _unique(typer: ExprTyper, node: ast.Call, arr: AnyExpr, t: Array,
            bound: dict[str, ast.expr]) -> AnyExpr:
    for flag in ("return_index", "return_inverse"):
        if flag in bound and _constant(typer, bound[flag]):
            raise typer.error(bound[flag], f"np.unique({flag}=True) is not supported in "
                              "compiled code", "use return_counts=True, or np.argsort")
    values = Array(t.dtype, 1, "C")
    span = typer.span(node)
    if "return_counts" in bound and _constant(typer, bound["return_counts"]):
        rt = Tuple((values, Array(INT64_DTYPE, 1, "C")))
        return FancyCall("unique_counts", (arr,), rt, span)
    return FancyCall("unique", (arr,), values, span)


def _bincount(typer: ExprTyper, node: ast.Call, arr: AnyExpr, t: Array,
              bound: dict[str, ast.expr]) -> AnyExpr:
    if t.dtype.kind == "f" or t.dtype.name == "uint64":
        raise typer.error(node, f"Cannot cast array data from dtype('{t.dtype}') to "
                          "dtype('int64') according to the rule 'safe'",
                          "np.bincount() counts an array of non-negative ints")
    span = typer.span(node)
    minlength = (_int_arg(typer, bound["minlength"], "minlength") if "minlength" in bound
                 else Const(0, INT64, span))
    weights = bound.get("weights")
    if weights is None or (isinstance(weights, ast.Constant) and weights.value is None):
        return FancyCall("bincount", (arr, minlength), Array(INT64_DTYPE, 1, "C"), span)
    w = _array_arg(typer, weights, "bincount", 1)
    if is_unknown(w.type) or is_unknown(minlength.type):
        return typer.unknown(node)
    return FancyCall("bincount_weights", (arr, minlength, w), Array(FLOAT64_DTYPE, 1, "C"),
                     span)


def _histogram(typer: ExprTyper, node: ast.Call, arr: AnyExpr, t: Array,
               bound: dict[str, ast.expr]) -> AnyExpr:
    if t.dtype.kind == "b" or t.dtype.name == "uint64":
        raise typer.error(node, f"np.histogram() of a {t.dtype} array is not supported in "
                          "compiled code", "pass an int or float array")
    if "range" in bound and not (isinstance(bound["range"], ast.Constant)
                                 and bound["range"].value is None):
        raise typer.error(bound["range"], "np.histogram(range=...) is not supported in "
                          "compiled code", "select the values first: a[(a >= lo) & (a <= hi)]")
    span = typer.span(node)
    bins = _int_arg(typer, bound["bins"], "bins") if "bins" in bound else Const(10, INT64, span)
    if is_unknown(bins.type):
        return typer.unknown(node)
    edges = Array(t.dtype if t.dtype.name == "float32" else FLOAT64_DTYPE, 1, "C")
    return FancyCall("histogram", (arr, bins), Tuple((Array(INT64_DTYPE, 1, "C"), edges)), span)


def _searchsorted(typer: ExprTyper, node: ast.Call, arr: AnyExpr, t: Array,
                  bound: dict[str, ast.expr]) -> AnyExpr:
    side = _constant(typer, bound["side"]) if "side" in bound else "left"
    if side not in ("left", "right"):
        raise typer.error(bound["side"], f"side must be 'left' or 'right', got {side!r}")
    if "v" not in bound:
        raise typer.error(node, "np.searchsorted() needs the values to find")
    v = typer.expr(bound["v"])
    span = typer.span(node)
    if is_unknown(v.type):
        return typer.unknown(node)
    if isinstance(v.type, Array):
        if v.type.ndim != 1:
            raise typer.error(bound["v"], "np.searchsorted() of an n-d array of values is not "
                              "supported", "pass a number or a 1-d array")
        return FancyCall("searchsorted", (arr, v), Array(INT64_DTYPE, 1, "C"), span, str(side))
    if v.type not in NUMERIC:
        raise typer.error(bound["v"], f"np.searchsorted() cannot find a {v.type}")
    if t.dtype.kind == "f" or v.type == FLOAT64:
        v = cast(v, FLOAT64)
    return FancyCall("searchsorted", (arr, v), INT64, span, str(side))
