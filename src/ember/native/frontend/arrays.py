"""Typing rules for arrays: ast of an array expression → typed-IR nodes of
:mod:`ember.native.ir.arrays`, called by :mod:`ember.native.frontend.statements` where it meets
an array (a subscript, an attribute or method of an array local, a NumPy call, ``len``,
``for x in a``)::

    a[i, -1]              Index(Name(a), (Name(i), Const(-1))): float64
    a[i] = x              SetItem(Name(a), (Name(i),), Name(x), stored=Cast(Element: int64): float64)
    n, m = a.shape        $1 = MakeTuple(ArrayDim(a, 0), ArrayDim(a, 1)); n = $1[0] ...
    np.zeros((n, 3))      ArrayNew("zeros", MakeTuple(n, 3)): array(float64, 2d, C)
    for x in a:           for $2 in range(0, ArrayDim(a, 0), 1): x = Index(a, ($2,)) ...

The element rules (compute types, conversions on store) are documented in
:mod:`ember.native.ir.arrays`. ``typer`` is the function's typer; this module uses only
its public API (:class:`~ember.native.frontend.expressions.ExprTyper` lists it).
NumPy is looked up in ``sys.modules`` only: code that calls ``np.zeros`` has imported it.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.frontend import np_scalars, reductions, views
from ember.native.frontend.builtins import cast, truth
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import (
    AnyExpr,
    AnyStmt,
    ArrayAttr,
    ArrayDim,
    AugSetItem,
    Element,
    Index,
    SetItem,
    compute_type,
)
from ember.native.ir.nodes import Assign, Call, Const, ForRange, MakeTuple, Name
from ember.native.types import (
    BOOL,
    COMPLEX128,
    FLOAT64,
    INT64,
    NUMERIC,
    Array,
    DType,
    NpScalar,
    Tuple,
)

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper

SLICE_HINT = "pass the slice as an argument instead: f(a[1:, ::2]) (views are free in NumPy)"


class ReadOnlyArrayError(EmberError, ValueError):
    """Compiled code writes to a read-only buffer (also a ValueError, as NumPy's
    "assignment destination is read-only")."""


# ------------------------------------------------------------------ indexing


def index_exprs(typer: ExprTyper, node: ast.Subscript, t: Array) -> tuple[AnyExpr, ...]:
    """The int64 indices of ``a[i, j]``: one per dimension (no slices, no partial
    indexing)."""
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    for e in elts:
        if isinstance(e, ast.Slice):
            raise typer.error(e, "slicing an array inside compiled code is not supported",
                              SLICE_HINT)
    if len(elts) != t.ndim:
        raise typer.error(
            node.slice, f"a {t.ndim}-d array needs {t.ndim} indices here, got {len(elts)}",
            "index every dimension: a[i, j] (or take a view: a[i], a[i, :])")
    out = []
    for e in elts:
        v = typer.expr(e)
        if isinstance(v.type, NpScalar):  # a[np.int32(1)]: an int64
            v = np_scalars.index(v)
        if not is_unknown(v.type) and v.type not in (INT64, BOOL):
            raise typer.error(e, f"an array index must be an int, not {v.type}",
                              "convert it with int(x)")
        out.append(v if is_unknown(v.type) else cast(v, INT64))
    return tuple(out)


def subscript(typer: ExprTyper, node: ast.Subscript, value: AnyExpr) -> AnyExpr:
    """``a[i, ...]`` read (a view when it has slices or too few indices)."""
    t: Array = value.type
    if views.is_view(typer, node, t):
        return views.subscript(typer, node, value)
    indices = index_exprs(typer, node, t)
    return Index(value, indices, np_scalars.element_type(t.dtype), typer.span(node))


def store_value(typer: ExprTyper, value: AnyExpr, dtype: DType, node: ast.AST) -> AnyExpr:
    """``value`` converted to the element compute type for a store: NumPy's rules
    (a float stored into an int array is truncated as ``int(x)``; anything stored
    into a bool array is its truth)."""
    ct = compute_type(dtype)
    vt = value.type
    if is_unknown(vt):
        return value
    if isinstance(vt, NpScalar):  # NumPy's cast to the dtype
        return np_scalars.store(value, dtype)
    if ct == COMPLEX128 and vt in (*NUMERIC, COMPLEX128):
        return cast(value, ct)  # complex(x) of a real (frontend/complex.py's rule)
    if vt not in NUMERIC:
        hint = ("NumPy raises TypeError for a complex stored into a real array; store "
                "z.real or abs(z)") if vt == COMPLEX128 else "store one number per element"
        raise typer.error(node, f"cannot store a {vt} into an array of {dtype}", hint)
    if ct == BOOL:
        return truth(value)
    if ct == INT64 and vt == FLOAT64:
        return Call("int", (value,), INT64, value.span)
    return cast(value, ct)


def check_writable(typer: ExprTyper, target: AnyExpr, node: ast.AST) -> None:
    """Raise :class:`ReadOnlyArrayError` when ``target`` is a read-only array."""
    t = target.type
    if not (isinstance(t, Array) and t.readonly):
        return
    fname = typer.tree.name
    if isinstance(target, Name) and target.name in typer.param_names:
        message = f"argument '{target.name}' is a read-only buffer but {fname}() writes to it"
    else:
        message = f"this array is read-only (a read-only buffer) but {fname}() writes to it"
    hint = "pass a writable array (e.g. a.copy(), a bytearray or a writable NumPy array)"
    raise ReadOnlyArrayError(Diagnostic(typer.span(node), message, hint), typer.src.source)


def _hoist(typer: ExprTyper, value: AnyExpr, node: ast.AST, out: list[AnyStmt]) -> Name:
    """``value`` computed now into a fresh local, read back as a Name: fixes where in
    the statement order it is evaluated (and an array temporary is then an owned local,
    released on every exit, error exits included)."""
    temp = typer.new_temp()
    typer.bind_name(temp, value, node, out)
    return Name(temp, typer.env.get(temp, value.type), value.span)


def setitem(typer: ExprTyper, target: ast.Subscript, value: AnyExpr, out: list[AnyStmt]) -> None:
    """``a[i, ...] = value``: ``value`` (already typed, as Python evaluates it first),
    then ``a``, then the indices. The conversion to the element type is kept apart
    (``SetItem.stored``): it runs after the bounds check, as in NumPy, where
    ``a[5] = math.inf`` on a size-3 int array is an IndexError."""
    arr = typer.expr(target.value)
    if is_unknown(arr.type):
        return
    if not isinstance(arr.type, Array):
        raise typer.error(target, f"assigning to an item of a {arr.type} is not supported",
                          "only array items can be assigned")
    check_writable(typer, arr, target)
    if not isinstance(arr, Name) and not is_unknown(value.type):
        # An array computed here (a call): evaluate value then array into locals, in
        # that order, before the indices (lowering reads a local array in place).
        if not isinstance(value, Const):
            value = _hoist(typer, value, target, out)
        arr = _hoist(typer, arr, target, out)
    if views.is_view(typer, target, arr.type):
        view = views.subscript(typer, target, arr)
        if not is_unknown(view.type) and not is_unknown(value.type):
            views.slice_assign(typer, view, value, target, out, store_value)
        return
    indices = index_exprs(typer, target, arr.type)
    if any(is_unknown(i.type) for i in indices) or is_unknown(value.type):
        return
    element = Element(value.type, value.span)
    stored = store_value(typer, element, arr.type.dtype, target)
    out.append(SetItem(arr, indices, value, typer.span(target),
                       None if stored is element else stored))


def aug_setitem(typer: ExprTyper, node: ast.AugAssign, op: str, out: list[AnyStmt]
                ) -> Name | None:
    """``a[i, ...] op= value``: address computed once (see AugSetItem). Python's order:
    ``a``, the indices, the load, ``value``, the store. For a slice (``a[1:] += b``) the
    view ``a[1:]``, held in a local and returned: the caller updates it in place, as
    NumPy's ``view.__iadd__`` does (storing it back into itself changes nothing)."""
    target = node.target
    assert isinstance(target, ast.Subscript)
    arr = typer.expr(target.value)
    if is_unknown(arr.type):
        return None
    if not isinstance(arr.type, Array):
        raise typer.error(target, "augmented assignment to this target is not supported",
                          "assign to a local variable or an array item")
    check_writable(typer, arr, target)
    if not isinstance(arr, Name):
        arr = _hoist(typer, arr, target, out)  # a computed array: before the indices
    if views.is_view(typer, target, arr.type):
        return _hoist(typer, subscript(typer, target, arr), target, out)
    indices = index_exprs(typer, target, arr.type)
    ct = compute_type(arr.type.dtype)
    rhs = typer.expr(node.value)
    if is_unknown(rhs.type) or any(is_unknown(i.type) for i in indices):
        return None
    element: AnyExpr = Element(ct, typer.span(target))
    et = np_scalars.element_type(arr.type.dtype)
    if et != ct:  # a[i] += 100 of an int8 a: NumPy's int8 arithmetic (wraps, warns)
        element = np_scalars.cast(element, et)
    result = typer.binop(op, element, rhs, node)
    stored = store_value(typer, result, arr.type.dtype, node)
    out.append(AugSetItem(arr, indices, stored, typer.span(node)))
    return None


# ------------------------------------------------------ attributes, methods


def shape_tuple(value: AnyExpr, t: Array, span: Span) -> AnyExpr:
    if isinstance(value, Name):
        dims = tuple(ArrayDim(value, k, INT64, span) for k in range(t.ndim))
        return MakeTuple(dims, Tuple((INT64,) * t.ndim), span)
    return ArrayAttr(value, "shape", Tuple((INT64,) * t.ndim), span)


def attribute(typer: ExprTyper, node: ast.Attribute, value: AnyExpr) -> AnyExpr:
    """``a.shape``, ``a.ndim``, ``a.size``."""
    t = value.type
    if is_unknown(t):
        return typer.unknown(node)
    span = typer.span(node)
    if node.attr == "shape":
        return shape_tuple(value, t, span)
    if node.attr == "ndim":
        return Const(t.ndim, INT64, span)
    if node.attr == "T":
        return views.permute(typer, node, value, None)
    if node.attr == "size":
        if t.ndim == 1:
            return ArrayDim(value, 0, INT64, span)
        return ArrayAttr(value, "size", INT64, span)
    raise typer.error(node, f"arrays in compiled code have no attribute '{node.attr}' here",
                      "supported: .shape, .ndim, .size, .T, .dtype, .itemsize, .nbytes, .strides, "
                      ".copy(), .astype(), .fill(), .sum(), .min(), .max(), .transpose(), "
                      ".reshape(), .ravel(), .flatten()")


def method_call(typer: ExprTyper, node: ast.Call, value: AnyExpr) -> AnyExpr:
    """``a.copy()``; the reductions (``a.sum(axis=0)`` ...) are typed in
    :mod:`ember.native.frontend.reductions`."""
    assert isinstance(node.func, ast.Attribute)
    name = node.func.attr
    t = value.type
    if is_unknown(t):
        return typer.unknown(node)
    if name in views.METHODS:
        return views.method(typer, node, value)
    if name in reductions.METHODS:
        return reductions.method(typer, node, value, name)
    if node.args or node.keywords:
        raise typer.error(node, f"{name}() takes no arguments in compiled code",
                          "reduce over the whole array, or write the loop")
    raise typer.error(node.func, f"arrays in compiled code have no method '{name}'",
                      f"supported: .copy(), .astype(), .fill(), .transpose(), .reshape(), "
                      f".ravel(), .flatten(); {reductions.METHODS_HINT}")


def length(value: AnyExpr, span: Span) -> AnyExpr:
    """``len(a)``: the first dimension."""
    return ArrayDim(value, 0, INT64, span)


# ------------------------------------------------------------- NumPy calls

# Element-wise functions (ufuncs) of one array; ``np.abs`` is ``np.absolute``. The
# creators (np.zeros, np.array, ...) are typed in frontend/creation.py.
FLOAT64_DTYPE = DType("float64")


def numpy_function_name(value: object) -> str | None:
    """``"reshape"`` if ``value`` is ``numpy.reshape`` (a view function), ``"reduce.sum"``
    for ``numpy.sum`` (a reduction), else None; NumPy is looked up, never imported (a
    program that calls it has imported it)."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    for name in views.NUMPY_FUNCTIONS:
        if value is getattr(np, name, None):
            return name
    reduction = reductions.numpy_reduction_name(value)
    return None if reduction is None else "reduce." + reduction


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.sum(a, ...)`` and the other reductions (``"reduce.sum"``) →
    :mod:`ember.native.frontend.reductions`; ``np.reshape`` and the other view functions
    → :mod:`ember.native.frontend.views`."""
    if name.startswith("reduce."):
        return reductions.numpy_function(typer, node, name[len("reduce."):])
    return views.numpy_call(typer, name, node)


# ------------------------------------------------------------ iteration


def for_array(typer: ExprTyper, node: ast.For, out: list[AnyStmt]) -> bool:
    """``for x in a`` as a counted loop over a hidden index (an n-d array yields views
    of its rows, as NumPy's iteration does); False
    when ``node.iter`` is not an array (the for-loop rule then reports its own error)."""
    if isinstance(node.iter, ast.Call):
        return False  # range(...) and friends: the for-loop rule
    arr = typer.expr(node.iter)
    t = arr.type
    if not isinstance(t, Array) and not is_unknown(t):
        return False
    if not isinstance(node.target, ast.Name):
        raise typer.error(node.target, "a for loop target must be one name",
                          "write: for x in a: and unpack inside the loop")
    span = typer.span(node.target)
    name = node.target.id
    # Hold the array in a temporary: rebinding `a` in the body must not change the loop.
    holder = typer.new_temp()
    typer.bind_name(holder, arr, node.iter, out)
    held = Name(holder, t, typer.span(node.iter))
    ct = np_scalars.element_type(t.dtype) if isinstance(t, Array) else t
    if isinstance(t, Array) and t.ndim > 1:  # rows: views of the rest
        ct = views.row_type(t)
    local = typer.declare(name, ct, node.target)
    index = typer.new_temp()
    typer.declare(index, INT64, node.target)
    prologue: tuple[AnyStmt, ...] = ()
    if isinstance(t, Array) and local is not None and not is_unknown(local):
        at = Name(index, INT64, span)
        item = Index(held, (at,), ct, span) if t.ndim == 1 else views.row(held, at, span)
        prologue = (Assign(name, cast(item, local), span),)
    body, orelse = typer.loop_body(node, name, prologue)
    if isinstance(t, Array):
        stop = ArrayDim(held, 0, INT64, span)
        out.append(ForRange(index, Const(0, INT64, span), stop, Const(1, INT64, span), body,
                            orelse, typer.span(node)))
    return True
