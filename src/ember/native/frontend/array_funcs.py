"""Typing rules for the everyday NumPy functions and the n-d integer-array indexing that
:mod:`ember.native.frontend.array_library` implements in the compiled subset::

    np.roll(a, 1)          CallJit(roll, (a, 1)): array(float64, 2d, C)
    np.linalg.norm(x)      CallJit(norm, (x, 0.0)): float64
    a[i_arr, j_arr]        CallJit(pairs, (a, i_arr, j_arr)): array(float64, 1d, C)

Each rule checks the call at compile time as NumPy checks it (constant axes, orders,
``side=``, ``indexing=``: NumPy's error text), picks the library closure for those
constants and the dtypes, and calls it as a jit function: one specialization per
argument types, in this unit (its source is part of the native cache key). Hooks:
:mod:`ember.native.frontend.expressions` asks :func:`numpy_function_name` first among
the NumPy functions (it also knows the library's own closures and its ``fail``) and
:func:`subscript` before the fancy-index rule; :mod:`ember.native.frontend.statements`
asks :func:`setitem`. NumPy is looked up in ``sys.modules`` only.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING, Any

from ember.native.frontend.array_library import Impl, implementation, is_implementation
from ember.native.frontend.fancy import check_writable
from ember.native.frontend.operators import RuleError
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.array_funcs import EXCEPTIONS, Fail
from ember.native.ir.arrays import AnyExpr, AnyStmt
from ember.native.ir.nodes import CallJit, Cast, Const, ExprStmt, MakeTuple, Name, UnaryOp
from ember.native.types import BOOL, FLOAT64, INT64, NONE, STR, Array, Tuple, Type

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper

#: NumPy functions these rules compile (looked up by identity; "linalg.norm" in np.linalg).
NUMPY_FUNCTIONS = ("roll", "trace", "diff", "cross", "take", "repeat", "tile", "argwhere",
                   "meshgrid", "isclose", "allclose", "array_equal", "round", "around",
                   "interp", "linalg.norm")
_SIGNATURES: dict[str, tuple[str, ...]] = {  # NumPy's parameter names, in order
    "roll": ("a", "shift", "axis"),
    "trace": ("a", "offset"),
    "diff": ("a", "n", "axis"),
    "cross": ("a", "b"),
    "take": ("a", "indices", "axis"),
    "repeat": ("a", "repeats", "axis"),
    "tile": ("A", "reps"),
    "argwhere": ("a",),
    "meshgrid": ("x", "y", "indexing"),
    "isclose": ("a", "b", "rtol", "atol", "equal_nan"),
    "array_equal": ("a1", "a2", "equal_nan"),
    "round": ("a", "decimals"),
    "interp": ("x", "xp", "fp", "left", "right"),
    "linalg.norm": ("x", "ord", "axis", "keepdims"),
}
_SIGNATURES["allclose"] = _SIGNATURES["isclose"]
_SIGNATURES["around"] = _SIGNATURES["round"]
#: How many leading parameters a call must give (1 where not listed).
_REQUIRED = {"roll": 2, "take": 2, "repeat": 2, "tile": 2, "cross": 2, "meshgrid": 2,
             "isclose": 2, "allclose": 2, "array_equal": 2, "interp": 3}


class _Fail:
    """The library's ``fail(exc, message)``: typed as :class:`Fail`, never called."""

    def __repr__(self) -> str:
        return "fail"


FAIL = _Fail()


def _numpy() -> Any:
    return sys.modules.get("numpy")


def numpy_function_name(value: object) -> str | None:
    """``"roll"`` if ``value`` is ``numpy.roll`` (and so on); ``"fail"`` and ``"library"``
    for the library's own ``fail`` and closures."""
    if value is FAIL:
        return "fail"
    if is_implementation(value):
        return "library"
    np = _numpy()
    if np is None:
        return None
    for name in NUMPY_FUNCTIONS:
        base, _, attr = name.rpartition(".")
        owner = getattr(np, base, None) if base else np
        if owner is not None and value is getattr(owner, attr, None):
            return name
    return None


def _impl(name: str, *consts: object) -> Impl:
    return implementation(_numpy(), FAIL, name, *consts)


def call(typer: ExprTyper, func: Impl, args: list[AnyExpr], node: ast.AST) -> AnyExpr:
    """``func(*args)`` of a library closure: a jit call of its specialization."""
    if any(is_unknown(a.type) for a in args):
        return typer.unknown(node)
    symbol, ret = typer.unit.specialize(func, tuple(a.type for a in args))  # type: ignore[arg-type]
    if is_unknown(ret):
        return typer.unknown(node)
    return CallJit(symbol, tuple(args), ret, typer.span(node))


# ------------------------------------------------------------------ arguments


def _bind(typer: ExprTyper, name: str, node: ast.Call) -> dict[str, ast.expr]:
    names = _SIGNATURES[name]
    if len(node.args) > len(names):
        raise typer.error(node, f"np.{name}() takes at most {len(names)} arguments here")
    bound = dict(zip(names, node.args, strict=False))
    for k in node.keywords:
        if k.arg not in names or k.arg in bound:
            raise typer.error(k, f"np.{name}() keyword '{k.arg}' is not supported here",
                              f"arguments: {', '.join(names)}")
        bound[k.arg] = k.value
    missing = [n for n in names[:_REQUIRED.get(name, 1)] if n not in bound]
    if missing:
        raise typer.error(node, f"np.{name}() missing required argument '{missing[0]}'")
    return bound


def _constant(typer: ExprTyper, bound: dict[str, ast.expr], key: str, name: str,
              default: object) -> object:
    """A compile-time argument (a literal or a global constant)."""
    if key not in bound:
        return default
    value = typer.expr(bound[key])
    if isinstance(value, UnaryOp) and value.op == "-" and isinstance(value.value, Const):
        return -value.value.value  # type: ignore[operator]  # ord=-np.inf
    if isinstance(value, Cast) and isinstance(value.value, Const):
        return value.value.value
    if isinstance(value, MakeTuple) and all(isinstance(i, Const) for i in value.items):
        return tuple(i.value for i in value.items)  # type: ignore[union-attr]  # axis=(0, 1)
    if not isinstance(value, Const):
        raise typer.error(bound[key], f"np.{name}()'s {key}= must be a constant in compiled "
                          "code", f"write it literally, e.g. {key}={default!r}")
    return value.value


def _array(typer: ExprTyper, node: ast.expr, name: str) -> AnyExpr:
    value = typer.expr(node)
    if not is_unknown(value.type) and not isinstance(value.type, Array):
        raise typer.error(node, f"np.{name}() needs an array here, not {value.type}",
                          "pass an array (np.asarray(x) is not needed for arrays)")
    return value


def _int(typer: ExprTyper, node: ast.expr, what: str) -> AnyExpr:
    value = typer.expr(node)
    if not is_unknown(value.type) and value.type not in (INT64, BOOL):
        raise typer.error(node, f"{what} must be an int, not {value.type}")
    return value


def _axis(typer: ExprTyper, node: ast.AST, axis: object, ndim: int) -> int:
    """A constant axis normalised as NumPy does (its AxisError text, as a compile error)."""
    if type(axis) is not int:
        raise typer.error(node, f"axis must be an int constant here, not {axis!r}")
    if not -ndim <= axis < ndim:
        raise typer.error(node, f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


# ------------------------------------------------------------------ the calls


def numpy_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.roll(a, 1)`` and the other :data:`NUMPY_FUNCTIONS`; the library's own calls."""
    if name == "fail":
        return _fail(typer, node)
    if name == "library":
        value, _, _ = typer.static(node.func)
        return call(typer, value, [typer.expr(a) for a in node.args], node)
    bound = _bind(typer, name, node)
    rule = _RULES[name]
    return rule(typer, name, node, bound)


def _fail(typer: ExprTyper, node: ast.Call) -> AnyExpr:
    exc, message, *args = (typer.expr(a) for a in node.args)
    assert isinstance(exc, Const) and exc.value in EXCEPTIONS and isinstance(message, Const)
    assert all(a.type == INT64 for a in args)
    return Fail(str(exc.value), str(message.value), tuple(args), NONE, typer.span(node))


def _roll(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    a = _array(typer, bound["a"], name)
    shift_node = bound["shift"]
    shift_nodes = shift_node.elts if isinstance(shift_node, ast.Tuple) else [shift_node]
    shifts = [_int(typer, n, "np.roll()'s shift") for n in shift_nodes]
    axis = _constant(typer, bound, "axis", name, None)
    if is_unknown(a.type):
        return typer.unknown(node)
    t: Type = a.type
    assert isinstance(t, Array)
    if axis is None:
        if len(shifts) != 1 or isinstance(shift_node, ast.Tuple):
            raise typer.error(shift_node, "np.roll() by a tuple of shifts needs axis= "
                              "(a tuple of as many axes) in compiled code")
        return call(typer, _impl("roll"), [a, shifts[0]], node)
    if t.ndim > 6:
        raise typer.error(node, "np.roll() along an axis of an array of more than 6 "
                          "dimensions is not supported in compiled code")
    axes = list(axis) if isinstance(axis, tuple) else [axis]
    if len(shifts) == 1:
        shifts = shifts * len(axes)  # one shift for every axis, as NumPy broadcasts it
    if len(shifts) != len(axes):
        raise typer.error(node, "'shift' and 'axis' should be scalars or 1D sequences")
    out = a
    for k, s in zip(axes, shifts, strict=True):  # one roll per axis (a repeated one adds up)
        k = _axis(typer, bound["axis"], k, t.ndim)
        layout = out.type.layout if isinstance(out.type, Array) else "A"
        out = call(typer, _impl("roll_axis", k, layout == "C", t.ndim), [out, s], node)
    return out


def _trace(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    a = _array(typer, bound["a"], name)
    offset = _int(typer, bound["offset"], "np.trace()'s offset") if "offset" in bound \
        else Const(0, INT64, typer.span(node))
    if isinstance(a.type, Array) and a.type.ndim != 2:
        raise typer.error(node, f"np.trace() of a {a.type.ndim}-d array is not supported in "
                          "compiled code", "pass a 2-d array (axis1=/axis2= are not supported)")
    return call(typer, _impl("trace"), [a, offset], node)


def _diff(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    a = _array(typer, bound["a"], name)
    n = _constant(typer, bound, "n", name, 1)
    axis = _constant(typer, bound, "axis", name, -1)
    if type(n) is not int:
        raise typer.error(bound["n"], f"np.diff()'s n must be an int constant, not {n!r}")
    if n < 0:
        raise typer.error(bound["n"], f"order must be non-negative but got {n}")
    if is_unknown(a.type):
        return typer.unknown(node)
    t = a.type
    assert isinstance(t, Array)
    if t.ndim == 0:
        raise typer.error(node, "diff requires input that is at least one dimensional")
    if t.ndim > 6:
        raise typer.error(node, "np.diff() of an array of more than 6 dimensions is not "
                          "supported in compiled code")
    k = _axis(typer, bound.get("axis", node), axis, t.ndim)
    perm = (*(d for d in range(t.ndim) if d != k), k)
    return call(typer, _impl("diff", n, perm, t.dtype.kind == "b", t.layout == "C"), [a], node)


def _cross(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    a, b = _array(typer, bound["a"], name), _array(typer, bound["b"], name)
    if is_unknown(a.type) or is_unknown(b.type):
        return typer.unknown(node)
    ta, tb = a.type, b.type
    assert isinstance(ta, Array) and isinstance(tb, Array)
    if not (1 <= ta.ndim <= 2 and 1 <= tb.ndim <= 2):
        raise typer.error(node, "np.cross() of arrays of more than 2 dimensions is not "
                          "supported in compiled code", "pass 3-vectors or rows of them")
    if "b" in (ta.dtype.kind, tb.dtype.kind):
        raise typer.error(node, "numpy boolean subtract, the `-` operator, is not supported, "
                          "use the bitwise_xor, the `^` operator, or the logical_xor "
                          "function instead.")
    rows = [_as_rows(typer, x, node) for x in (a, b)]
    return call(typer, _impl("cross", ta.ndim == tb.ndim == 1), rows, node)


def _as_rows(typer: ExprTyper, x: AnyExpr, node: ast.AST) -> AnyExpr:
    assert isinstance(x.type, Array)
    if x.type.ndim == 2:
        return x
    return call(typer, _impl("as_row"), [x], node)


def _take(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    a = _array(typer, bound["a"], name)
    indices = typer.expr(bound["indices"])
    axis = _constant(typer, bound, "axis", name, None)
    if is_unknown(a.type) or is_unknown(indices.type):
        return typer.unknown(node)
    it = indices.type
    t = a.type
    assert isinstance(t, Array)
    if not (it in (INT64, BOOL) or isinstance(it, Array) and it.dtype.kind in "iu"):
        raise typer.error(bound["indices"], "np.take()'s indices must be an int or an int "
                          f"array, not {it}")
    if axis is None:
        return call(typer, _impl("take"), [a, indices], node)
    k = _axis(typer, bound["axis"], axis, t.ndim)
    if isinstance(it, Array) and it.ndim != 1:
        raise typer.error(bound["indices"], "np.take() along an axis with n-d indices is not "
                          "supported in compiled code", "pass 1-d indices")
    if not isinstance(it, Array):
        raise typer.error(bound["indices"], "np.take() along an axis with one int index is "
                          "not supported in compiled code", "index instead: a[:, i]")
    return call(typer, _impl("take_axis", k, t.ndim), [a, indices], node)


def _repeat(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]
            ) -> AnyExpr:
    a = _array(typer, bound["a"], name)
    repeats = typer.expr(bound["repeats"])
    axis = _constant(typer, bound, "axis", name, None)
    if is_unknown(a.type) or is_unknown(repeats.type):
        return typer.unknown(node)
    rt = repeats.type
    counts = isinstance(rt, Array) and rt.dtype.kind in "iub" and rt.ndim <= 1
    if rt not in (INT64, BOOL) and not counts:
        raise typer.error(bound["repeats"], "np.repeat()'s repeats must be an int or a 1-d "
                          f"int array, not {rt}")
    func = "repeat_counts" if counts else "repeat"
    t = a.type
    assert isinstance(t, Array)
    if axis is None:
        return call(typer, _impl(func, 0, 1, True), [a, repeats], node)
    k = _axis(typer, bound["axis"], axis, t.ndim)
    return call(typer, _impl(func, k, t.ndim, False), [a, repeats], node)


def _tile(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    a = _array(typer, bound["A"], name)
    reps_node = bound["reps"]
    items = reps_node.elts if isinstance(reps_node, ast.Tuple) else [reps_node]
    reps = [_int(typer, r, "np.tile()'s reps") for r in items]
    if is_unknown(a.type):
        return typer.unknown(node)
    t = a.type
    assert isinstance(t, Array)
    if len(reps) > t.ndim:
        if not (t.ndim == 1 and len(reps) == 2):
            raise typer.error(reps_node, f"np.tile() of a {t.ndim}-d array by {len(reps)} "
                              "repetitions is not supported in compiled code",
                              "reshape the array to as many dimensions first")
        a = call(typer, _impl("as_row"), [a], node)
    ndim = max(t.ndim, len(reps))
    out = a
    # reps apply to the last axes (NumPy prepends ones to the shorter of the two).
    for offset, r in enumerate(reps):
        out = call(typer, _impl("tile_axis", ndim - len(reps) + offset, ndim), [out, r], node)
    return call(typer, _impl("copy"), [out], node) if out is a else out


def _argwhere(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]
              ) -> AnyExpr:
    a = _array(typer, bound["a"], name)
    if isinstance(a.type, Array) and not 1 <= a.type.ndim <= 3:
        raise typer.error(node, f"np.argwhere() of a {a.type.ndim}-d array is not supported "
                          "in compiled code (1 to 3 dimensions)", "np.nonzero(a) gives the "
                          "same indices as a tuple of arrays")
    ndim = a.type.ndim if isinstance(a.type, Array) else 1
    return call(typer, _impl("argwhere", ndim), [a], node)


def _meshgrid(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]
              ) -> AnyExpr:
    if len(node.args) != 2:
        raise typer.error(node, "np.meshgrid() of other than two arrays is not supported in "
                          "compiled code", "pass two 1-d arrays: np.meshgrid(x, y)")
    x, y = _array(typer, bound["x"], name), _array(typer, bound["y"], name)
    indexing = _constant(typer, bound, "indexing", name, "xy")
    if indexing not in ("xy", "ij"):
        raise typer.error(bound["indexing"], "Valid values for `indexing` are 'xy' and 'ij'.")
    return call(typer, _impl("meshgrid", indexing == "xy"), [x, y], node)


def _isclose(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]
             ) -> AnyExpr:
    a, b = typer.expr(bound["a"]), typer.expr(bound["b"])
    tols = []
    for key, default in (("rtol", 1e-05), ("atol", 1e-08)):
        value = typer.expr(bound[key]) if key in bound else Const(default, FLOAT64,
                                                                  typer.span(node))
        if not is_unknown(value.type) and value.type not in (FLOAT64, INT64, BOOL):
            raise typer.error(bound[key], f"np.{name}()'s {key}= must be a number here")
        tols.append(value)
    equal_nan = _constant(typer, bound, "equal_nan", name, False)
    for v, key in ((a, "a"), (b, "b")):
        if v.type == STR or isinstance(v.type, Tuple):
            raise typer.error(bound[key], f"np.{name}() needs numbers or arrays, not {v.type}")
    return call(typer, _impl("isclose", bool(equal_nan), name == "allclose"), [a, b, *tols],
                node)


def _array_equal(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]
                 ) -> AnyExpr:
    a, b = _array(typer, bound["a1"], name), _array(typer, bound["a2"], name)
    equal_nan = bool(_constant(typer, bound, "equal_nan", name, False))
    if is_unknown(a.type) or is_unknown(b.type):
        return typer.unknown(node)
    same = a.type.ndim == b.type.ndim  # type: ignore[union-attr]
    if equal_nan and "f" not in (a.type.dtype.kind, b.type.dtype.kind):  # type: ignore[union-attr]
        equal_nan = False  # NumPy: nothing to be NaN in int or bool arrays
    return call(typer, _impl("array_equal", same, equal_nan, a.type.ndim), [a, b],  # type: ignore[union-attr]
                node)


def _round(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    a = typer.expr(bound["a"])
    decimals = _constant(typer, bound, "decimals", name, 0)
    if type(decimals) is not int:
        raise typer.error(bound["decimals"], "np.round()'s decimals must be an int constant "
                          "here")
    if is_unknown(a.type):
        return typer.unknown(node)
    t = a.type
    kind = t.dtype.kind if isinstance(t, Array) else "f" if t == FLOAT64 else "i"
    if kind == "b" or t == BOOL:
        raise typer.error(bound["a"], "np.round() of bools is not supported in compiled code",
                          "convert first: a.astype(np.int64)")
    if not isinstance(t, Array) and t not in (INT64, FLOAT64):
        raise typer.error(bound["a"], f"np.round() needs a number or an array, not {t}")
    if kind != "f" and decimals < 0:
        raise typer.error(bound["decimals"], "np.round() of ints with negative decimals is "
                          "not supported in compiled code", "use a float array")
    return call(typer, _impl("round", decimals, kind != "f", not isinstance(t, Array)), [a],
                node)


def _interp(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]
            ) -> AnyExpr:
    x = typer.expr(bound["x"])
    xp, fp = _array(typer, bound["xp"], name), _array(typer, bound["fp"], name)
    sides = []
    for key in ("left", "right"):
        value = typer.expr(bound[key]) if key in bound else Const(0.0, FLOAT64,
                                                                  typer.span(node))
        if isinstance(value, Const) and value.type == NONE:
            value = Const(0.0, FLOAT64, value.span)
            bound.pop(key)
        if not is_unknown(value.type) and value.type not in (FLOAT64, INT64, BOOL):
            raise typer.error(bound[key], f"np.interp()'s {key}= must be a number here")
        sides.append(value)
    for arr, key in ((xp, "xp"), (fp, "fp")):
        if isinstance(arr.type, Array) and arr.type.ndim != 1:
            raise typer.error(bound[key], "object too deep for desired array"
                              if arr.type.ndim > 1 else "object of too small depth for "
                              "desired array")
    scalar = not isinstance(x.type, Array)
    if scalar and not is_unknown(x.type) and x.type not in (FLOAT64, INT64, BOOL):
        raise typer.error(bound["x"], f"np.interp() needs numbers or an array, not {x.type}")
    return call(typer, _impl("interp", scalar, "left" in bound, "right" in bound),
                [x, xp, fp, *sides], node)


def _norm(typer: ExprTyper, name: str, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    result = _norm_value(typer, node, bound)
    t = typer.expr(bound["x"]).type
    if (isinstance(t, Array) and not isinstance(result.type, Array)
            and _constant(typer, bound, "keepdims", "linalg.norm", False)):
        single = t.dtype.name == "float32"
        return call(typer, _impl("keep_scalar", (1,) * t.ndim, single), [result], node)
    return result


def _norm_value(typer: ExprTyper, node: ast.Call, bound: dict[str, ast.expr]) -> AnyExpr:
    x = _array(typer, bound["x"], "linalg.norm")
    order = _constant(typer, bound, "ord", "linalg.norm", None)
    axis = _constant(typer, bound, "axis", "linalg.norm", None)
    keep = bool(_constant(typer, bound, "keepdims", "linalg.norm", False))
    if is_unknown(x.type):
        return typer.unknown(node)
    t = x.type
    assert isinstance(t, Array)
    to_float = t.dtype.kind not in "f"
    p = Const(float(order) if isinstance(order, int | float) else 0.0, FLOAT64,
              typer.span(node))
    where = bound.get("ord", node)
    if axis is None and (order is None or order in ("fro", "f") and t.ndim == 2
                         or order == 2 and t.ndim == 1):
        return call(typer, _impl("norm", "dot", None, to_float, keep), [x, p], node)
    swap = False
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    elif isinstance(axis, tuple):
        if len(axis) != 2 or t.ndim != 2:
            raise typer.error(bound["axis"], "np.linalg.norm() over two axes is supported for "
                              "2-d arrays in compiled code" if len(axis) == 2 else
                              "Improper number of dimensions to norm.")
        a0, a1 = (_axis(typer, bound["axis"], k, 2) for k in axis)
        if a0 == a1:
            raise typer.error(bound["axis"], "Duplicate axes given.")
        if order in (None, "fro", "f"):  # NumPy: sqrt(add.reduce(x * x, axis)), not a dot
            return call(typer, _impl("norm", "sq_all", None, to_float, keep), [x, p], node)
        swap, axis = a0 == 1, None  # (1, 0): rows and columns change places
    if axis is None and t.ndim == 2:
        kinds = {1: "m1", -1: "mminus1", float("inf"): "minf", -float("inf"): "mminus_inf"}
        if swap:
            kinds = {1: "minf", -1: "mminus_inf", float("inf"): "m1", -float("inf"): "mminus1"}
        if order not in kinds:
            raise typer.error(where, f"np.linalg.norm() of a matrix with ord={order!r} is not "
                              "supported in compiled code" if order in (2, -2, "nuc") else
                              "Invalid norm order for matrices.",
                              "ord=None/'fro', 1, -1, inf or -inf")
        return call(typer, _impl("norm", kinds[order], None, to_float, keep), [x, p], node)
    if axis is None and t.ndim != 1:
        raise typer.error(node, "Improper number of dimensions to norm.")
    k = None if axis is None else _axis(typer, bound["axis"], axis, t.ndim)
    if isinstance(order, str):
        raise typer.error(where, f"Invalid norm order '{order}' for vectors")
    kind = ("sq" if order in (None, 2) else "inf" if order == float("inf")
            else "-inf" if order == -float("inf") else "0" if order == 0
            else "1" if order == 1 else "p")
    return call(typer, _impl("norm", kind, k, to_float, keep), [x, p], node)


_RULES = {
    "roll": _roll, "trace": _trace, "diff": _diff, "cross": _cross, "take": _take,
    "repeat": _repeat, "tile": _tile, "argwhere": _argwhere, "meshgrid": _meshgrid,
    "isclose": _isclose, "allclose": _isclose, "array_equal": _array_equal,
    "round": _round, "around": _round, "interp": _interp, "linalg.norm": _norm,
}


# ------------------------------------------------------------------ indexing


def _index_parts(typer: ExprTyper, node: ast.Subscript) -> list[AnyExpr | None] | None:
    """The items of ``a[i, j]`` when one is an int array and the others ints or full
    slices (None), or of ``a[idx]`` with an n-d int idx; None for every other index."""
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    parts: list[AnyExpr | None] = []
    for item in items:
        if isinstance(item, ast.Slice):
            if item.lower or item.upper or item.step:
                return None
            parts.append(None)
            continue
        if isinstance(item, ast.Constant) and item.value is Ellipsis:
            return None
        parts.append(typer.expr(item))
    arrays = [p for p in parts if p is not None and isinstance(p.type, Array)]
    if not arrays or any(a.type.dtype.kind not in "iu" for a in arrays):  # type: ignore[union-attr]
        return None
    if len(parts) == 1 and arrays[0].type.ndim == 1:  # type: ignore[union-attr]
        return None  # a[idx]: fancy.py's
    if any(p is not None and not isinstance(p.type, Array) and p.type not in (INT64, BOOL)
           for p in parts):
        return None
    return parts


def subscript(typer: ExprTyper, node: ast.Subscript, value: AnyExpr) -> AnyExpr | None:
    """``a[i_arr, j_arr]``, ``a[:, idx]``, ``a[idx_2d]`` read; None for other indices."""
    parts = _index_parts(typer, node)
    if parts is None:
        return None
    t = value.type
    assert isinstance(t, Array)
    if len(parts) > t.ndim:
        raise typer.error(node.slice, f"too many indices for array: array is {t.ndim}-"
                          f"dimensional, but {len(parts)} were indexed")
    if len(parts) == 1:
        idx = parts[0]
        assert idx is not None
        if t.ndim > 2 or t.ndim == 2 and idx.type.ndim != 2:  # type: ignore[union-attr]
            raise _unsupported(typer, node)
        return call(typer, _impl("index_nd", t.ndim), [value, idx], node)
    arrays = [k for k, p in enumerate(parts) if p is not None and isinstance(p.type, Array)]
    if len(arrays) == 1 and all(p is None for k, p in enumerate(parts) if k != arrays[0]):
        idx = parts[arrays[0]]
        assert idx is not None
        if idx.type.ndim != 1:  # type: ignore[union-attr]
            raise _unsupported(typer, node)
        return call(typer, _impl("take_axis", arrays[0], t.ndim), [value, idx], node)
    if t.ndim == 2 and len(parts) == 2 and None not in parts:
        i, j = parts
        assert i is not None and j is not None
        return call(typer, _impl("pairs", isinstance(i.type, Array), isinstance(j.type, Array),
                                 _ndim(i, j)), [value, i, j], node)
    raise _unsupported(typer, node)


def _ndim(i: AnyExpr, j: AnyExpr) -> int:
    """The index arrays' dimensions (both arrays: their shapes compared at run time)."""
    dims = [x.type.ndim for x in (i, j) if isinstance(x.type, Array)]
    if len(dims) == 2 and dims[0] != dims[1]:
        raise RuleError(f"indexing with a {dims[0]}-d and a {dims[1]}-d int array together "
                        "is not supported in compiled code", "give both index arrays one shape")
    return max(dims)


def _unsupported(typer: ExprTyper, node: ast.Subscript) -> RuleError:
    return RuleError(f"this integer-array index ({ast.unparse(node.slice)}) is not supported "
                     "in compiled code", "supported: a[idx] (any idx on a 1-d a, 2-d on 2-d), "
                     "a[i_arr, j_arr] of a 2-d a, a[:, idx]; or write the loop")


def setitem(typer: ExprTyper, target: ast.Subscript, value: AnyExpr, out: list[AnyStmt]
            ) -> bool:
    """``a[i_arr, j_arr] = v`` and ``a[idx_nd] = v`` (v a number or an array of the
    index's shape): appended to ``out``; False for every other index."""
    try:
        return _setitem(typer, target, value, out)
    except RuleError as exc:  # statements are not typed under expr()'s handler
        raise typer.error(target, exc.message, exc.hint) from None


def _setitem(typer: ExprTyper, target: ast.Subscript, value: AnyExpr, out: list[AnyStmt]
             ) -> bool:
    arr = typer.expr(target.value)
    if not isinstance(arr.type, Array):
        return False
    parts = _index_parts(typer, target)
    if parts is None:
        return _store_rows(typer, target, arr, value, out)
    check_writable(typer, arr, target)
    t = arr.type
    if is_unknown(value.type):
        return True
    vt = value.type
    if not isinstance(vt, Array) and vt not in (INT64, FLOAT64, BOOL):
        raise typer.error(target, f"cannot store a {vt} into an array of {t.dtype}")
    value = _hoisted(typer, value, target, out)
    is_array = isinstance(vt, Array)
    if len(parts) == 1 and t.ndim == 1:
        idx = parts[0]
        assert idx is not None
        func = _impl("store_nd", is_array, idx.type.ndim)  # type: ignore[union-attr]
        args = [arr, idx, value]
    elif t.ndim == 2 and len(parts) == 2 and None not in parts:
        i, j = parts
        assert i is not None and j is not None
        func = _impl("store_pairs", isinstance(i.type, Array), isinstance(j.type, Array),
                     is_array, _ndim(i, j))
        args = [arr, i, j, value]
    else:
        raise typer.error(target, _unsupported(typer, target).message,
                          "supported: a[idx_nd] = v of a 1-d a, a[i_arr, j_arr] = v of a 2-d a")
    result = call(typer, func, args, target)
    out.append(ExprStmt(result, typer.span(target)))  # type: ignore[arg-type]
    return True


def _store_rows(typer: ExprTyper, target: ast.Subscript, arr: AnyExpr, value: AnyExpr,
                out: list[AnyStmt]) -> bool:
    """``a[idx] = v`` of an n-d ``a``, a 1-d int ``idx`` and an array ``v`` (rows); False
    for every other index (fancy.py's)."""
    t, vt = arr.type, value.type
    if isinstance(target.slice, ast.Tuple | ast.Slice | ast.Constant):
        return False
    if not (isinstance(t, Array) and t.ndim >= 2 and isinstance(vt, Array)):
        return False
    idx = typer.expr(target.slice)
    it = idx.type
    if not (isinstance(it, Array) and it.ndim == 1 and it.dtype.kind in "iu"):
        return False
    check_writable(typer, arr, target)
    if vt.ndim > t.ndim:
        raise typer.error(target, f"cannot assign a {vt.ndim}-d array to rows of a {t.ndim}-d "
                          "array")
    value = _hoisted(typer, value, target, out)
    result = call(typer, _impl("store_rows", vt.ndim == t.ndim), [arr, idx, value], target)
    out.append(ExprStmt(result, typer.span(target)))  # type: ignore[arg-type]
    return True


def _hoisted(typer: ExprTyper, value: AnyExpr, node: ast.AST, out: list[AnyStmt]) -> AnyExpr:
    """The value evaluated first (Python's order), into a temporary."""
    if isinstance(value, Name | Const):
        return value
    temp = typer.new_temp()
    typer.bind_name(temp, value, node, out)  # type: ignore[arg-type]
    return Name(temp, typer.env.get(temp, value.type), value.span)
