"""Typing rules for making arrays and for dtypes as values: ast of a NumPy creation call,
an array method that makes an array (``astype``, ``copy``, ``fill``) or a dtype → the
typed-IR nodes of :mod:`ember.native.ir.arrays` and :mod:`ember.native.ir.creation`::

    np.zeros((n, 3))          ArrayNew("zeros", MakeTuple(n, 3)): array(float64, 2d, C)
    np.array([[1, x]])        ArrayLiteral((Const(1), Name(x)), (1, 2)): array(int64, 2d, C)
    a.astype(np.float32)      ArrayCast(Name(a)): array(float32, 1d, C)
    a.dtype == np.float64     Const(True)                      (folded: dtypes are static)

Called from :mod:`ember.native.frontend.expressions` (``_e_Call``, ``_value_attribute``,
``_e_Compare``, ``_static_expr``); shape functions live in
:mod:`ember.native.frontend.creation_shapes`. NumPy is looked up in ``sys.modules``
only: code that calls ``np.zeros`` has imported it.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.frontend.arrays import check_writable, shape_tuple, store_value
from ember.native.frontend.builtins import cast
from ember.native.frontend.dtypes import (  # noqa: F401 - creation_shapes reads them here
    DTYPES_HINT,
    dtype_of,
    dtype_value,
    optional_dtype,
    static_object,
)
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import (
    AnyExpr,
    ArrayAttr,
    ArrayCopy,
    ArrayNew,
    ArrayRange,
    Element,
    compute_type,
)
from ember.native.ir.creation import ArrayCast, ArrayFillWith, ArrayStrides, DTypeConst
from ember.native.ir.nodes import BinOp, Const, MakeTuple
from ember.native.types import (
    BOOL,
    COMPLEX128,
    FLOAT64,
    INT64,
    NONE,
    NUMERIC,
    Array,
    DType,
    DTypeValue,
    NpScalar,
    Tuple,
)

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper

FLOAT64_DTYPE = DType("float64")

#: The NumPy functions this module (and creation_shapes) types.
CREATORS = ("empty", "zeros", "ones", "full", "empty_like", "zeros_like", "ones_like",
            "full_like", "arange", "array", "asarray", "copy", "linspace", "eye", "identity",
            "triu", "tril", "diag", "concatenate", "stack", "hstack", "vstack")
#: Array methods and attributes typed here.
METHODS = ("astype", "copy", "fill")
ATTRIBUTES = ("dtype", "itemsize", "nbytes", "strides")


def numpy_function_name(value: object) -> str | None:
    """``"zeros"`` if ``value`` is ``numpy.zeros`` (and so on for :data:`CREATORS`),
    else None; NumPy is looked up, never imported."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    for name in CREATORS:
        if value is getattr(np, name, None):
            return name
    return None


def bind(typer: ExprTyper, node: ast.Call, fname: str,
         params: tuple[str, ...], required: int) -> dict[str, ast.expr]:
    """The ast of each argument of ``fname(*params)`` by name (positional or keyword);
    compile errors for extra, repeated, unknown or missing ones."""
    if len(node.args) > len(params):
        raise typer.error(node, f"{fname}() takes at most {len(params)} arguments, got "
                          f"{len(node.args)}", f"its parameters: {', '.join(params)}")
    out = dict(zip(params, node.args, strict=False))
    for k in node.keywords:
        if k.arg not in params:
            raise typer.error(k.value, f"{fname}() keyword '{k.arg}' is not supported in "
                              "compiled code", f"supported: {', '.join(params)}")
        if k.arg in out:
            raise typer.error(k.value, f"{fname}() got multiple values for '{k.arg}'")
        out[k.arg] = k.value
    for p in params[:required]:
        if p not in out:
            raise typer.error(node, f"{fname}() needs the argument '{p}'",
                              f"its parameters: {', '.join(params)}")
    return out


def constant_of(typer: ExprTyper, node: ast.expr | None, what: str, default: object,
                allowed: tuple[object, ...]) -> object:
    """A compile-time constant argument (``order='C'``, ``endpoint=True``)."""
    if node is None:
        return default
    found, obj, _ = static_object(typer, node)
    if not found or obj not in allowed or type(obj) not in {type(a) for a in allowed}:
        shown = ", ".join(repr(a) for a in allowed[:5]) + (", ..." if len(allowed) > 5 else "")
        raise typer.error(node, f"{what} must be a constant here: one of {shown}",
                          f"write {what}={allowed[0]!r}")
    return obj


def int_arg(typer: ExprTyper, node: ast.expr, fname: str) -> AnyExpr:
    """An int (or bool) argument as int64."""
    v = typer.expr(node)
    if is_unknown(v.type):
        return v
    if v.type not in (INT64, BOOL):
        raise typer.error(node, f"{fname}() needs an int here, not {v.type}",
                          "convert it with int(x)")
    return cast(v, INT64)


def array_arg(typer: ExprTyper, node: ast.expr, fname: str) -> AnyExpr:
    v = typer.expr(node)
    if not is_unknown(v.type) and not isinstance(v.type, Array):
        raise typer.error(node, f"{fname}() needs an array here, not {v.type}",
                          "pass an array (np.array([...]) makes one from numbers)")
    return v


# ------------------------------------------------------------- NumPy calls


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.empty/zeros/ones/full``, their ``_like`` forms and ``np.arange``
    (:mod:`ember.native.frontend.creation_shapes` types the other creators)."""
    if name == "arange":
        return _arange(typer, node)
    return _new(typer, name, node)


def _new(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.empty/zeros/ones/full`` and their ``_like`` forms."""
    span = typer.span(node)
    like = name.endswith("_like")
    kind = name[:-5] if like else name
    first = "a" if like else "shape"
    params = (first, "fill_value", "dtype", "order") if kind == "full" else (first, "dtype",
                                                                             "order")
    args = bind(typer, node, f"np.{name}", params, 2 if kind == "full" else 1)
    order = constant_of(typer, args.get("order"), "order", "C" if not like else "K",
                        ("C", "F") if not like else ("K", "C", "F", "A"))
    fill = None
    if kind == "full":
        fill = typer.expr(args["fill_value"])
        if is_unknown(fill.type):
            return typer.unknown(node)
        if fill.type not in (*NUMERIC, COMPLEX128) and not isinstance(fill.type, NpScalar):
            raise typer.error(args["fill_value"], f"np.{name}() fills with a number, not "
                              f"{fill.type}")
    if like:
        src = array_arg(typer, args[first], f"np.{name}")
        if is_unknown(src.type):
            return typer.unknown(node)
        ndim = src.type.ndim
        dtype = optional_dtype(typer, args.get("dtype"), src.type.dtype)
        shape = shape_tuple(src, src.type, span)
        layout = src.type.layout if order in ("K", "A") and src.type.layout == "F" else (
            "F" if order == "F" else "C")
    else:
        shape = shape_expr(typer, args[first])
        if is_unknown(shape.type):
            return typer.unknown(node)
        ndim = len(shape.type.items)
        default = FLOAT64_DTYPE
        if fill is not None:  # np.full infers its dtype from the fill value
            default = (fill.type.dtype if isinstance(fill.type, NpScalar) else
                       DType({BOOL: "bool", INT64: "int64", COMPLEX128: "complex128"}.get(
                           fill.type, "float64")))
        dtype = optional_dtype(typer, args.get("dtype"), default)
        layout = str(order)
    t = Array(dtype, ndim, layout)
    ct = compute_type(dtype)
    if kind == "ones":
        one = Const(True if ct == BOOL else (1.0 if ct == FLOAT64 else
                                             1 + 0j if ct == COMPLEX128 else 1), ct, span)
        return ArrayNew("full", shape, one, t, span)
    if fill is None:
        return ArrayNew(kind, shape, None, t, span)
    if fill.type == FLOAT64 and dtype.kind in "iu":
        # np.full is copyto(empty(shape), fill, casting="unsafe"): a float fill is C-cast
        # as astype casts (np.full(2, 1e10, np.int8) is [0, 0]), not stored by setitem's
        # int(x)-and-range-check rule (codegen casts it; no ``stored``).
        return ArrayNew(kind, shape, fill, t, span)
    # The fill's conversion is kept apart (ArrayNew.stored): NumPy converts it only
    # after checking the shape (np.full(-1, 300, np.int8) is a ValueError).
    element = Element(fill.type, fill.span)
    stored = store_value(typer, element, dtype, node)
    return ArrayNew(kind, shape, fill, t, span, None if stored is element else stored)


def shape_expr(typer: ExprTyper, node: ast.expr) -> AnyExpr:
    """An int or a tuple of ints → a tuple-of-int64 expression."""
    v = typer.expr(node)
    t = v.type
    if is_unknown(t):
        return v
    span = typer.span(node)
    if t in (INT64, BOOL):
        return MakeTuple((cast(v, INT64),), Tuple((INT64,)), span)
    if isinstance(t, Tuple) and all(i in (INT64, BOOL) for i in t.items):
        return cast(v, Tuple((INT64,) * len(t.items)))
    raise typer.error(node, f"an array shape must be an int or a tuple of ints, not {t}",
                      "write np.zeros(n) or np.zeros((n, m))")


def _arange(typer: ExprTyper, node: ast.Call) -> AnyExpr:
    kw = {k.arg: k.value for k in node.keywords}
    args = list(node.args)
    for k in kw:
        if k != "dtype":
            raise typer.error(node, f"np.arange() keyword '{k}' is not supported here",
                              "supported keywords: dtype")
    if len(args) == 4 and "dtype" not in kw:  # np.arange(start, stop, step, dtype)
        kw = {**kw, "dtype": args[3]}
        args = args[:3]
    if not 1 <= len(args) <= 3:
        raise typer.error(node, f"np.arange() takes 1 to 3 numbers and a dtype, got {len(args)} "
                          "arguments", "write np.arange(stop), np.arange(start, stop[, step]) "
                          "and dtype=...")
    values = [typer.expr(a) for a in args]
    if any(is_unknown(v.type) for v in values):
        return typer.unknown(node)
    for a, v in zip(args, values, strict=True):
        if v.type not in NUMERIC:
            raise typer.error(a, f"np.arange() arguments must be numbers, not {v.type}")
    span = typer.span(node)
    ct = FLOAT64 if any(v.type == FLOAT64 for v in values) else INT64
    if kw.get("dtype") is not None:
        dtype = dtype_of(typer, kw["dtype"])
        if compute_type(dtype) == BOOL:
            raise typer.error(kw["dtype"], "np.arange() with a bool dtype is not supported")
        # Computed in the dtype's compute type (NumPy computes in the given dtype).
        ct = compute_type(dtype)
    else:
        dtype = DType("float64" if ct == FLOAT64 else "int64")
    if len(values) == 1:
        values = [Const(0, INT64, span), values[0]]
    if len(values) == 2:
        values.append(Const(1, INT64, span))
    conv = []
    for v in values:
        if ct == INT64 and v.type == FLOAT64:
            raise typer.error(node, "np.arange() with an int dtype needs int arguments",
                              "pass ints (int(x)), or make the dtype a float one")
        # Ints stay ints: NumPy computes the length from the Python numbers as given
        # (an int difference is exact), whatever the dtype.
        conv.append(cast(v, FLOAT64 if v.type == FLOAT64 else INT64))
    return ArrayRange(conv[0], conv[1], conv[2], Array(dtype, 1, "C"), span)


# ------------------------------------------------------ methods, attributes


def cast_layout(t: Array, order: object) -> str:
    """The layout of a copy of a ``t`` array in ``order``: "K" keeps C and F (and an
    "A" source's copy is chosen at run time: its type is "A")."""
    if order in ("K", "A"):
        return t.layout if order == "K" or t.layout == "F" else "C"
    return str(order)


def cast_array(value: AnyExpr, dtype: DType, layout: str, copy: bool, span: Span) -> AnyExpr:
    """``value`` as an array of ``dtype`` in ``layout`` (from :func:`cast_layout`):
    ``value`` itself when no copy is asked for and none is needed, else an
    :class:`ArrayCast`."""
    t = value.type
    assert isinstance(t, Array)
    if not copy and dtype == t.dtype and layout == t.layout:
        return value
    return ArrayCast(value, Array(dtype, t.ndim, layout), span)


def method_call(typer: ExprTyper, node: ast.Call, value: AnyExpr) -> AnyExpr:
    """``a.astype(dtype, order='K', copy=True)``, ``a.copy(order='C')``, ``a.fill(v)``."""
    assert isinstance(node.func, ast.Attribute)
    name = node.func.attr
    t = value.type
    if is_unknown(t):
        return typer.unknown(node)
    span = typer.span(node)
    if name == "fill":
        args = bind(typer, node, "fill", ("value",), 1)
        v = typer.expr(args["value"])
        if is_unknown(v.type):
            return typer.unknown(node)
        check_writable(typer, value, node)
        element = Element(v.type, v.span)
        stored = store_value(typer, element, t.dtype, node)
        return ArrayFillWith(value, v, NONE, span, None if stored is element else stored)
    if name == "copy":
        args = bind(typer, node, "copy", ("order",), 0)
        order = constant_of(typer, args.get("order"), "order", "C", ("C", "F", "A", "K"))
        layout = cast_layout(t, order)
        if layout == "C" and order == "C":
            return ArrayCopy(value, Array(t.dtype, t.ndim, "C"), span)
        return ArrayCast(value, Array(t.dtype, t.ndim, layout), span)
    args = bind(typer, node, "astype", ("dtype", "order", "casting", "subok", "copy"), 1)
    for unsupported in ("casting", "subok"):
        if unsupported in args:
            raise typer.error(args[unsupported], f"astype() keyword '{unsupported}' is not "
                              "supported in compiled code", "leave it out")
    dtype = dtype_of(typer, args["dtype"])
    order = constant_of(typer, args.get("order"), "order", "K", ("K", "C", "F", "A"))
    copy = constant_of(typer, args.get("copy"), "copy", True, (True, False))
    return cast_array(value, dtype, cast_layout(t, order), bool(copy), span)


def attribute(typer: ExprTyper, node: ast.Attribute, value: AnyExpr) -> AnyExpr:
    """``a.dtype`` (a dtype value), ``a.itemsize``, ``a.nbytes``, ``a.strides``."""
    t = value.type
    if is_unknown(t):
        return typer.unknown(node)
    span = typer.span(node)
    if node.attr == "dtype":
        return DTypeConst(DTypeValue(t.dtype), span)
    if node.attr == "itemsize":
        return Const(t.dtype.itemsize, INT64, span)
    if node.attr == "strides":
        return ArrayStrides(value, Tuple((INT64,) * t.ndim), span)
    size = ArrayAttr(value, "size", INT64, span)
    return BinOp("*", size, Const(t.dtype.itemsize, INT64, span), INT64, span)


def dtype_attribute(typer: ExprTyper, node: ast.Attribute, value: AnyExpr) -> AnyExpr:
    """``dt.itemsize`` of a dtype value."""
    t = value.type
    assert isinstance(t, DTypeValue)
    if node.attr == "itemsize" and t.form == "dtype":
        return Const(t.dtype.itemsize, INT64, typer.span(node))
    raise typer.error(node, f"{t} values have no attribute '{node.attr}' in compiled code",
                      "compare dtypes (a.dtype == np.float64) or pass them as dtype=")


def constant(value: object, span: object) -> AnyExpr | None:
    """A global (``np.float32``, ``DT = np.dtype("f4")``) as a dtype value, or None."""
    dv = dtype_value(value)
    return None if dv is None else DTypeConst(dv, span)  # type: ignore[arg-type]


# ------------------------------------------------------- dtype comparisons


def _compare_key(typer: ExprTyper, node: ast.expr) -> tuple[str, object] | None:
    """What ``==`` compares, for an operand that is a dtype (or a string next to one):
    ("dtype", name) for a dtype instance, ("class", (form, name)) for a type, ("str",
    text); None when ``node`` is none of these."""
    found, obj, _ = static_object(typer, node)
    if found:
        if isinstance(obj, str):
            return ("str", obj)
        dv = dtype_value(obj)
    elif isinstance(node, ast.Name | ast.Attribute):
        v = typer.expr(node)
        dv = v.type if isinstance(v.type, DTypeValue) else None
    else:
        return None
    if dv is None:
        return None
    if dv.form == "dtype":
        return ("dtype", dv.dtype.name)
    return ("class", (dv.form, dv.dtype.name))


def compare_dtypes(typer: ExprTyper, node: ast.Compare) -> AnyExpr | None:
    """``a.dtype == np.float64`` (``!=``, ``is``, ``is not`` too) folded to a constant,
    with NumPy's answers: a dtype equals anything naming it; two classes are equal only
    if they are the same class; ``is`` holds for the same object (NumPy's dtypes are
    canonical). None when no operand is a dtype."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq | ast.Is | ast.IsNot):
        return None
    keys = [_compare_key(typer, e) for e in (node.left, node.comparators[0])]
    if not any(k is not None and k[0] != "str" for k in keys):
        return None
    if keys[0] is None or keys[1] is None:
        return None  # a dtype against a number or array: the ordinary rule reports it
    (ka, va), (kb, vb) = keys
    if isinstance(node.ops[0], ast.Is | ast.IsNot):  # canonical objects: same dtype, same form
        same = (ka, va) == (kb, vb) and ka != "str"
        return Const(same == isinstance(node.ops[0], ast.Is), BOOL, typer.span(node))
    if "dtype" in (ka, kb):
        np = sys.modules.get("numpy")
        names = []
        for k, v in keys:
            spelled = v if k != "class" else {"builtin": {"float64": "float", "int64": "int",
                                                          "bool": "bool"}}.get(v[0], {}).get(
                v[1], v[1])  # type: ignore[index]
            try:
                names.append(np.dtype(spelled).name if np is not None else spelled)
            except TypeError:
                names.append(None)
        equal = names[0] is not None and names[0] == names[1]
    else:
        equal = (ka, va) == (kb, vb)
    if isinstance(node.ops[0], ast.NotEq):
        equal = not equal
    return Const(equal, BOOL, typer.span(node))
