"""Typing rules for views of arrays: ast → the nodes of :mod:`ember.native.ir.views`,
called from :mod:`ember.native.frontend.arrays` where a subscript, method, attribute,
NumPy call or for loop needs a view rather than one element::

    a[i]          (a 2-d)   ArrayView(a, (i, ViewSlice())): array(float64, 1d, C)
    a[1:-1, ::2]            ArrayView(a, (ViewSlice(1, -1), ViewSlice(None, None, 2))): 2d, A
    a[..., 0], a[:, None]   the ``...`` expanded; None / np.newaxis → NewAxis
    a.T, np.flip(a)         ArrayPermute(a, (1, 0)); ArrayView with ``::-1`` slices
    a.reshape(2, -1)        ArrayReshape(a, (2, -1)): a view of a C-contiguous source
    b[1:] = x               SliceAssign(ArrayView(b, ...), x)

Layouts as Numba types them: a C source's ``a[i]`` and ``a[i:j]`` (ints, then one
step-1 slice, then whole axes) stay C, the mirror image keeps F, everything else is
"A"; a view of a read-only array is read-only.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.frontend.builtins import cast
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import AnyExpr, AnyStmt, ArrayCopy, Element
from ember.native.ir.nodes import Const, MakeTuple
from ember.native.ir.views import (
    ArrayPermute,
    ArrayReshape,
    ArrayView,
    NewAxis,
    SliceAssign,
    ViewSlice,
)
from ember.native.types import BOOL, COMPLEX128, INT64, NUMERIC, Array, NpScalar, Tuple

if TYPE_CHECKING:  # annotations only
    from ember.native.frontend.expressions import ExprTyper

Item = AnyExpr | ViewSlice | NewAxis
#: Methods and NumPy functions this module types (arrays.py dispatches on them).
METHODS = ("transpose", "reshape", "ravel", "flatten")
NUMPY_FUNCTIONS = ("transpose", "flip", "reshape", "ravel")


def _elements(node: ast.Subscript) -> list[ast.expr]:
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def _is_newaxis(typer: ExprTyper, e: ast.expr) -> bool:
    if isinstance(e, ast.Constant):
        return e.value is None
    if isinstance(e, ast.Attribute | ast.Name) and not (
            isinstance(e, ast.Name) and e.id in typer.local_names):
        try:
            return typer.static(e)[0] is None
        except Exception:  # noqa: BLE001 - not a compile-time value: not np.newaxis
            return False
    return False


def is_view(typer: ExprTyper, node: ast.Subscript, t: Array) -> bool:
    """Whether ``a[...]`` makes a view (a slice, ``...``, a new axis, or fewer indices
    than dimensions) rather than reading one element."""
    elts = _elements(node)
    if len(elts) < t.ndim:
        return True
    return any(isinstance(e, ast.Slice) or (isinstance(e, ast.Constant) and e.value is ...)
               or _is_newaxis(typer, e) for e in elts)


def _int(typer: ExprTyper, e: ast.expr, what: str) -> AnyExpr:
    v = typer.expr(e)
    if is_unknown(v.type):
        return v
    if v.type not in (INT64, BOOL):
        raise typer.error(e, f"{what} must be an int, not {v.type}", "convert it with int(x)")
    return cast(v, INT64)


def _index(typer: ExprTyper, e: ast.expr) -> AnyExpr:
    v = typer.expr(e)
    if is_unknown(v.type):
        return v
    if v.type == BOOL:
        raise typer.error(e, "a bool index selects with a mask in NumPy; that is not "
                          "supported in a view", "convert it with int(x) to index")
    if v.type != INT64:
        raise typer.error(e, f"an array index must be an int, not {v.type}",
                          "convert it with int(x)")
    return v


def items_of(typer: ExprTyper, node: ast.Subscript, t: Array) -> tuple[Item, ...]:
    """The per-axis items of ``a[...]``, typed in source order, the ``...`` expanded
    and missing trailing axes filled with whole slices."""
    elts = _elements(node)
    ellipses = [k for k, e in enumerate(elts) if isinstance(e, ast.Constant) and e.value is ...]
    if len(ellipses) > 1:
        raise typer.error(node.slice, "an index can only have a single ellipsis ('...')")
    consuming = sum(1 for e in elts if not (isinstance(e, ast.Constant) and e.value is ...)
                    and not _is_newaxis(typer, e))
    if consuming > t.ndim:
        raise typer.error(node.slice, f"too many indices for array: array is {t.ndim}-"
                          f"dimensional, but {consuming} were indexed",
                          "index at most one int or slice per dimension")
    items: list[Item] = []
    for e in elts:
        if isinstance(e, ast.Constant) and e.value is ...:
            items.extend(ViewSlice() for _ in range(t.ndim - consuming))
        elif _is_newaxis(typer, e):
            items.append(NewAxis())
        elif isinstance(e, ast.Slice):
            bounds = [None if b is None or (isinstance(b, ast.Constant) and b.value is None)
                      else _int(typer, b, "a slice bound")
                      for b in (e.lower, e.upper, e.step)]
            if isinstance(bounds[2], Const) and bounds[2].value == 0:
                raise typer.error(e, "slice step cannot be zero", "use a step of 1 or -1")
            items.append(ViewSlice(*bounds))
        else:
            items.append(_index(typer, e))
    if not ellipses:
        items.extend(ViewSlice() for _ in range(t.ndim - consuming))
    return tuple(items)


def _whole(item: Item) -> bool:
    return isinstance(item, ViewSlice) and item.start is None and item.stop is None \
        and item.step is None


def _unit_step(item: Item) -> bool:
    return isinstance(item, ViewSlice) and (
        item.step is None or (isinstance(item.step, Const) and item.step.value == 1))


def view_layout(layout: str, items: tuple[Item, ...]) -> str:
    """Numba's layout of a view: C (F) survives ints, then at most one step-1 slice,
    then whole axes (mirrored for F); anything else, a new axis included, is "A".

    >>> view_layout("C", (Const(0, INT64, None), ViewSlice())), view_layout("C", (ViewSlice(),
    ... ViewSlice(None, None, Const(2, INT64, None))))
    ('C', 'A')
    """
    if layout not in ("C", "F") or any(isinstance(i, NewAxis) for i in items):
        return "A"
    seq = list(items) if layout == "C" else list(items)[::-1]
    k = 0
    while k < len(seq) and not isinstance(seq[k], ViewSlice):
        k += 1
    if k < len(seq) and _unit_step(seq[k]):
        k += 1
    return layout if all(_whole(i) for i in seq[k:]) else "A"


def subscript(typer: ExprTyper, node: ast.Subscript, value: AnyExpr) -> AnyExpr:
    """``a[i:j, ...]`` read: an :class:`ArrayView`."""
    t: Array = value.type
    items = items_of(typer, node, t)
    if any(not isinstance(i, ViewSlice | NewAxis) and is_unknown(i.type) for i in items):
        return typer.unknown(node)
    ndim = sum(1 for i in items if isinstance(i, ViewSlice | NewAxis))
    if ndim == 0:
        raise typer.error(node, "this index gives a 0-d array, which compiled code does not "
                          "support", "index every axis with an int to read a scalar: a[i, j]")
    vt = Array(t.dtype, ndim, view_layout(t.layout, items), t.readonly)
    return ArrayView(value, items, vt, typer.span(node))


def row_type(t: Array) -> Array:
    """The type of ``a[i]`` for an n-d ``a`` (n > 1): what ``for row in a`` yields."""
    items = (Const(0, INT64, None), *(ViewSlice() for _ in range(t.ndim - 1)))
    return Array(t.dtype, t.ndim - 1, view_layout(t.layout, items), t.readonly)


def row(array: AnyExpr, index: AnyExpr, span: Span) -> AnyExpr:
    """``array[index]`` for an n-d array (n > 1)."""
    t: Array = array.type
    items = (index, *(ViewSlice() for _ in range(t.ndim - 1)))
    return ArrayView(array, items, row_type(t), span)


# ---------------------------------------------------------- transposes, flips


def _const_ints(typer: ExprTyper, nodes: list[ast.expr], what: str) -> list[int]:
    out = []
    for e in nodes:
        v = typer.expr(e)
        if not (isinstance(v, Const) and v.type == INT64):
            raise typer.error(e, f"{what} must be constant ints here",
                              "write the axes as numbers: a.transpose(1, 0)")
        out.append(int(v.value))  # type: ignore[arg-type]
    return out


def _const_tuple(typer: ExprTyper, nodes: list[ast.expr]) -> list[int]:
    """The ints of one argument that names a constant tuple (a global, a closure's), or []."""
    if len(nodes) != 1 or not isinstance(nodes[0], ast.Name):
        return []
    v = typer.expr(nodes[0])
    if not isinstance(v, MakeTuple) or not all(
            isinstance(i, Const) and i.type == INT64 for i in v.items):
        return []
    return [int(i.value) for i in v.items]  # type: ignore[union-attr, arg-type]


def _axis(typer: ExprTyper, node: ast.expr, k: int, ndim: int) -> int:
    if not -ndim <= k < ndim:
        raise typer.error(node, f"axis {k} is out of bounds for array of dimension {ndim}")
    return k % ndim


def permute(typer: ExprTyper, node: ast.expr, value: AnyExpr,
            axes_nodes: list[ast.expr] | None) -> AnyExpr:
    """``a.T`` (``axes_nodes`` None), ``a.transpose(1, 0)``, ``np.transpose(a, (1, 0))``."""
    t: Array = value.type
    if axes_nodes is None:
        axes = list(range(t.ndim))[::-1]
    else:
        if len(axes_nodes) == 1 and isinstance(axes_nodes[0], ast.Tuple | ast.List):
            axes_nodes = list(axes_nodes[0].elts)  # type: ignore[attr-defined]
        named = _const_tuple(typer, axes_nodes)  # a.transpose(perm), perm a constant tuple
        axes = [_axis(typer, n, k, t.ndim) for n, k in
                zip(axes_nodes * len(named), named, strict=True)] if named else [
                _axis(typer, n, k, t.ndim) for n, k in
                zip(axes_nodes, _const_ints(typer, axes_nodes, "the axes"), strict=True)]
        if sorted(axes) != list(range(t.ndim)):
            raise typer.error(node, "axes don't match array",
                              f"give each of the {t.ndim} axes once: a.transpose(1, 0)")
    if axes == list(range(t.ndim)):
        layout = t.layout
    elif axes == list(range(t.ndim))[::-1] and t.layout in ("C", "F"):
        layout = "F" if t.layout == "C" else "C"
    else:
        layout = "A"
    rt = Array(t.dtype, t.ndim, layout, t.readonly)
    return ArrayPermute(value, tuple(axes), rt, typer.span(node))


def flip(typer: ExprTyper, node: ast.Call, value: AnyExpr) -> AnyExpr:
    """``np.flip(a)`` / ``np.flip(a, axis)``: ``a[::-1, ...]`` views."""
    t: Array = value.type
    axis_nodes = list(node.args[1:]) + [k.value for k in node.keywords if k.arg == "axis"]
    if any(k.arg != "axis" for k in node.keywords) or len(axis_nodes) > 1:
        raise typer.error(node, "np.flip() takes an array and an optional axis",
                          "write np.flip(a) or np.flip(a, axis=0)")
    axes = set(range(t.ndim))
    if axis_nodes and not (isinstance(axis_nodes[0], ast.Constant)
                           and axis_nodes[0].value is None):
        n = axis_nodes[0]
        elts = list(n.elts) if isinstance(n, ast.Tuple) else [n]
        axes = {_axis(typer, e, k, t.ndim) for e, k in
                zip(elts, _const_ints(typer, elts, "np.flip()'s axis"), strict=True)}
    span = typer.span(node)
    back = Const(-1, INT64, span)
    items = tuple(ViewSlice(None, None, back) if k in axes else ViewSlice()
                  for k in range(t.ndim))
    return ArrayView(value, items, Array(t.dtype, t.ndim, "A", t.readonly), span)


# ------------------------------------------------------------------ reshapes


def _shape_args(typer: ExprTyper, node: ast.Call, args: list[ast.expr]) -> AnyExpr:
    span = typer.span(node)
    if len(args) == 1:
        v = typer.expr(args[0])
        if isinstance(v.type, Tuple) and all(i in (INT64, BOOL) for i in v.type.items):
            return cast(v, Tuple((INT64,) * len(v.type.items)))
        items = [v]
    else:
        items = [typer.expr(a) for a in args]
    if not items or any(not is_unknown(i.type) and i.type not in (INT64, BOOL) for i in items):
        raise typer.error(node, "a new shape must be ints or a tuple of ints",
                          "write a.reshape(n, m) or a.reshape((n, -1))")
    return MakeTuple(tuple(cast(i, INT64) for i in items), Tuple((INT64,) * len(items)), span)


def reshape(typer: ExprTyper, node: ast.Call, value: AnyExpr, args: list[ast.expr]) -> AnyExpr:
    """``a.reshape(shape)``, ``np.reshape(a, shape)``."""
    t: Array = value.type
    if node.keywords:
        raise typer.error(node.keywords[0], f"reshape() keyword '{node.keywords[0].arg}' is "
                          "not supported in compiled code", "reshape in C order: a.reshape(n, m)")
    shape = _shape_args(typer, node, args)
    if is_unknown(shape.type):
        return typer.unknown(node)
    ndim = len(shape.type.items)
    return ArrayReshape(value, shape, Array(t.dtype, ndim, "C", t.readonly), typer.span(node))


def ravel(typer: ExprTyper, node: ast.Call, value: AnyExpr, copy: bool) -> AnyExpr:
    """``a.ravel()`` / ``np.ravel(a)`` (a view when C-contiguous) and ``a.flatten()``
    (always a copy: a reshape of an ArrayCopy, which lowering makes in one step)."""
    t: Array = value.type
    span = typer.span(node)
    if copy:
        value = ArrayCopy(value, Array(t.dtype, t.ndim, "C"), span)
    shape = MakeTuple((Const(-1, INT64, span),), Tuple((INT64,)), span)
    return ArrayReshape(value, shape, Array(t.dtype, 1, "C", t.readonly and not copy), span,
                        ravel=True)


def method(typer: ExprTyper, node: ast.Call, value: AnyExpr) -> AnyExpr:
    """``a.transpose(...)``, ``a.reshape(...)``, ``a.ravel()``, ``a.flatten()``."""
    assert isinstance(node.func, ast.Attribute)
    name = node.func.attr
    if name == "transpose":
        if node.keywords:
            raise typer.error(node, "transpose() takes its axes by position",
                              "write a.transpose(1, 0)")
        return permute(typer, node, value, list(node.args) or None)
    if name == "reshape":
        return reshape(typer, node, value, list(node.args))
    if node.args or node.keywords:
        raise typer.error(node, f"{name}() takes no arguments in compiled code",
                          f"write a.{name}() (C order)")
    return ravel(typer, node, value, copy=name == "flatten")


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.transpose``, ``np.flip``, ``np.reshape``, ``np.ravel`` of an array."""
    if not node.args:
        raise typer.error(node, f"np.{name}() needs an array", f"write np.{name}(a)")
    value = typer.expr(node.args[0])
    if is_unknown(value.type):
        return typer.unknown(node)
    if not isinstance(value.type, Array):
        raise typer.error(node.args[0], f"np.{name}() needs an array here, not {value.type}",
                          f"pass an array: np.{name}(a)")
    if name == "flip":
        return flip(typer, node, value)
    if node.keywords:
        raise typer.error(node.keywords[0], f"np.{name}() keyword '{node.keywords[0].arg}' is "
                          "not supported in compiled code", f"write np.{name}(a, ...) positionally")
    if name == "transpose":
        return permute(typer, node, value, list(node.args[1:]) or None)
    if name == "reshape":
        return reshape(typer, node, value, list(node.args[1:]))
    if len(node.args) != 1:
        raise typer.error(node, "np.ravel() takes one array in compiled code",
                          "write np.ravel(a) (C order)")
    return ravel(typer, node, value, copy=False)


# ------------------------------------------------------------ slice assignment


def slice_assign(typer: ExprTyper, target: AnyExpr, value: AnyExpr, node: ast.AST,
                 out: list[AnyStmt], store_value: Callable[..., AnyExpr]) -> None:
    """``view = value`` (``target`` typed already): a number (converted as an item
    store is, by arrays.py's ``store_value``) or an array (broadcast and cast at run
    time)."""
    t: Array = target.type
    vt = value.type
    if isinstance(vt, Array):
        out.append(SliceAssign(target, value, typer.span(node)))
        return
    if (vt not in NUMERIC and not isinstance(vt, NpScalar)
            and not (vt == COMPLEX128 and t.dtype.kind == "c")):
        raise typer.error(node, f"cannot assign a {vt} to a slice of an array of {t.dtype}",
                          "assign a number or an array")
    element = Element(vt, value.span)
    stored = store_value(typer, element, t.dtype, node)
    out.append(SliceAssign(target, value, typer.span(node),
                           None if stored is element else stored))
