"""Typing rules for NumPy's reductions: ``a.sum(axis=0)``, ``np.mean(a, (0, 1),
keepdims=True)``, ``np.argmax(a, 1)``, ``np.cumsum(a)`` → the nodes of
:mod:`ember.native.ir.reductions` (or, for the whole-array ``sum``/``min``/``max`` of
the default dtype, today's fast :class:`~ember.native.ir.arrays.ArrayReduce`)::

    a.sum(1)           (a: array(int32, 2d, C))   AxisReduce(sum, axes=(1,), int64): array(int64, 1d, C)
    np.mean(a)         (a: array(int32, 2d, C))   AxisReduce(mean, axes=(0, 1), float64): float64

``axis``, ``keepdims`` and ``dtype`` are compile-time constants; their errors are
NumPy's exceptions with NumPy's texts (``AxisError``, also a ValueError and an
IndexError; ValueError for a repeated axis), raised where the call is compiled (at the
first call) with ember's source diagnostic. Result dtypes are NumPy's
(:func:`result_dtype`). NumPy is looked up in ``sys.modules`` only.
"""

from __future__ import annotations

import ast
import functools
import sys
from typing import TYPE_CHECKING

from ember.diagnostics import Diagnostic, EmberError
from ember.native.frontend import complex_reductions, np_scalars
from ember.native.frontend.dtypes import dtype_of
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import AnyExpr, ArrayReduce, compute_type
from ember.native.ir.nodes import Const, MakeTuple
from ember.native.ir.reductions import AxisAccumulate, AxisReduce, AxisStat
from ember.native.types import INT64, Array, DType, Type

if TYPE_CHECKING:  # annotations only: expressions imports the array rules
    from ember.native.frontend.expressions import ExprTyper

_TAIL = ("out", "keepdims")
_VAR = ("axis", "dtype", "out", "ddof", "keepdims")
_MEDIAN = ("axis", "out", "overwrite_input", "keepdims")
#: Each reduction's parameters after the array, in NumPy's positional order (for the
#: method and the ``np.`` function alike); ``argmin``'s keepdims is keyword-only.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "sum": ("axis", "dtype", *_TAIL), "prod": ("axis", "dtype", *_TAIL),
    "mean": ("axis", "dtype", *_TAIL), "min": ("axis", *_TAIL), "max": ("axis", *_TAIL),
    "all": ("axis", *_TAIL), "any": ("axis", *_TAIL),
    "argmin": ("axis", "out"), "argmax": ("axis", "out"),
    "cumsum": ("axis", "dtype", "out"), "cumprod": ("axis", "dtype", "out"),
    "nanmin": ("axis", *_TAIL), "nanmax": ("axis", *_TAIL), "nansum": ("axis", "dtype", *_TAIL),
    "nanprod": ("axis", "dtype", *_TAIL), "nanmean": ("axis", "dtype", *_TAIL),
    "std": _VAR, "var": _VAR, "nanstd": _VAR, "nanvar": _VAR,
    "ptp": ("axis", *_TAIL), "median": _MEDIAN, "nanmedian": _MEDIAN,
    "average": ("axis", "weights", "returned", "keepdims"),
}  # fmt: skip
#: The reductions that are ndarray methods too (``a.sum()``; there is no ``a.nanmin()``,
#: and NumPy 2 has no ``a.ptp()``).
METHODS = ("sum", "prod", "mean", "min", "max", "all", "any", "argmin", "argmax", "cumsum",
           "cumprod", "std", "var")
KEYWORD_ONLY = {"argmin": ("keepdims",), "argmax": ("keepdims",)}
#: ``np.<name>`` → the reduction it is (``np.amin`` is ``min``).
NUMPY_NAMES = {**{n: n for n in PARAMETERS}, "amin": "min", "amax": "max"}
#: NumPy reductions compiled code does not have yet: a clear error naming them.
NOT_YET = ("percentile", "quantile", "nanpercentile", "nanquantile")
METHODS_HINT = ("supported: .sum() .prod() .min() .max() .mean() .std() .var() .all() "
                ".any() .argmin() .argmax() .cumsum() .cumprod() with axis=, keepdims=, "
                "dtype= (and ddof= for std/var)")
#: The statistics typed to :class:`~ember.native.ir.reductions.AxisStat`.
STATS = ("var", "std", "nanvar", "nanstd", "nanmean", "ptp", "median", "nanmedian",
         "average")


def _sum_dtype(d: DType) -> DType:
    """NumPy's dtype of ``a.sum()``: a float keeps its own; ints and bools widen to
    int64 (unsigned ones to uint64)."""
    if d.kind == "f":
        return d
    return DType("uint64" if d.kind == "u" else "int64")


class ReductionValueError(EmberError, ValueError):
    """A reduction's argument NumPy refuses with ValueError (a repeated axis)."""


class ReductionTypeError(EmberError, TypeError):
    """A reduction's argument NumPy refuses with TypeError (a tuple axis for argmin)."""


@functools.cache
def axis_error_class() -> type[EmberError]:
    """EmberError that is NumPy's own ``numpy.exceptions.AxisError`` (so ``except
    np.exceptions.AxisError``, ``except ValueError`` and ``except IndexError`` all
    catch it); a ValueError and IndexError when NumPy is not imported."""
    np = sys.modules.get("numpy")
    base = getattr(getattr(np, "exceptions", None), "AxisError", None)
    bases: tuple[type, ...] = (base,) if isinstance(base, type) else (ValueError, IndexError)
    return type("AxisError", (EmberError, *bases), {"__module__": __name__,
                "__doc__": "An axis out of range in a compiled reduction (NumPy's AxisError)."})


def numpy_reduction_name(value: object) -> str | None:
    """``"sum"`` if ``value`` is ``numpy.sum`` (``"min"`` for ``numpy.amin``, and so on;
    the not-yet-supported ones by their own name), else None."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    for name in (*NUMPY_NAMES, *NOT_YET):
        if value is getattr(np, name, None):
            return name
    return None


def result_dtype(op: str, dtype: DType) -> DType:
    """NumPy's accumulator (and result) dtype of ``op`` over an array of ``dtype`` when no
    ``dtype=`` is given.

    >>> [str(result_dtype("sum", DType(n))) for n in ("bool", "int32", "uint8", "float32")]
    ['int64', 'int64', 'uint64', 'float32']
    >>> str(result_dtype("mean", DType("int8"))), str(result_dtype("argmax", DType("float32")))
    ('float64', 'int64')
    """
    if op in ("sum", "prod", "cumsum", "cumprod", "nansum", "nanprod"):
        if dtype.kind in "bi":
            return DType("int64")
        return DType("uint64") if dtype.kind == "u" else dtype
    if op in ("mean", "var", "std", "nanmean", "nanvar", "nanstd", "median", "nanmedian",
              "average"):
        return dtype if dtype.kind == "f" else DType("float64")
    if op in ("argmin", "argmax"):
        return DType("int64")
    if op in ("all", "any"):
        return DType("bool")
    return dtype


def method(typer: ExprTyper, node: ast.Call, value: AnyExpr, name: str) -> AnyExpr:
    """``a.<name>(...)``, a reduction method (``name`` in :data:`METHODS`)."""
    return _reduction(typer, node, name, value, list(node.args), name)


def numpy_function(typer: ExprTyper, node: ast.Call, name: str) -> AnyExpr:
    """``np.<name>(a, ...)``."""
    shown = f"np.{_written(node, name)}"
    if name in NOT_YET:
        raise typer.error(node, f"{shown}() is not supported in compiled code yet",
                          "sort the array (np.sort) and index it, or call it outside the "
                          "@jit function")
    kw_array = [k for k in node.keywords if k.arg == "a"]
    if not node.args and not kw_array:
        raise typer.error(node, f"{shown}() needs an array", f"write {shown}(a)")
    array_node = node.args[0] if node.args else kw_array[0].value
    value = typer.expr(array_node)
    if is_unknown(value.type):
        return typer.unknown(node)
    if not isinstance(value.type, Array):
        raise typer.error(array_node, f"{shown}() needs an array here, not {value.type}",
                          f"pass an array: {shown}(a)")
    return _reduction(typer, node, NUMPY_NAMES[name], value, list(node.args[1:]), shown)


def _written(node: ast.Call, name: str) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else name


def _arguments(typer: ExprTyper, node: ast.Call, op: str, args: list[ast.expr],
               shown: str) -> dict[str, ast.expr]:
    params = PARAMETERS[op]
    if len(args) > len(params):
        raise typer.error(node, f"{shown}() takes at most {len(params)} arguments after the "
                          f"array, got {len(args)}", f"parameters: {', '.join(params)}")
    got = dict(zip(params, args, strict=False))
    allowed = (*params, *KEYWORD_ONLY.get(op, ()))
    for k in node.keywords:
        if k.arg == "a" and not shown.endswith(f".{op}"):
            continue
        if k.arg not in allowed:
            raise typer.error(k, f"{shown}() keyword '{k.arg}' is not supported in compiled "
                              "code", f"supported: {', '.join(p for p in allowed if p != 'out')}")
        if k.arg in got:
            raise typer.error(k, f"{shown}() got multiple values for '{k.arg}'")
        got[k.arg] = k.value
    out = got.pop("out", None)
    if out is not None and not (isinstance(out, ast.Constant) and out.value is None):
        raise typer.error(out, f"{shown}(out=...) is not supported in compiled code",
                          "use the returned array")
    return got


def _constant(typer: ExprTyper, node: ast.expr, what: str) -> object:
    """A compile-time argument: a literal, or a global constant."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    v = typer.expr(node)
    if isinstance(v, Const):
        return v.value
    if isinstance(v, MakeTuple) and all(isinstance(i, Const) for i in v.items):
        return tuple(i.value for i in v.items)  # type: ignore[union-attr]
    raise typer.error(node, f"{what} must be a constant in compiled code",
                      f"write the {what} out, e.g. axis=0 or axis=(0, 1)")


def _axes(typer: ExprTyper, node: ast.expr | None, ndim: int, op: str) -> tuple[int, ...]:
    """The normalized reduced axes; NumPy's errors for bad ones."""
    if node is None:
        return tuple(range(ndim))
    axis = _constant(typer, node, "the axis")
    if axis is None:
        return tuple(range(ndim))
    single = not isinstance(axis, tuple)
    items = (axis,) if single else axis
    if not single and op in ("argmin", "argmax", "cumsum", "cumprod"):
        raise ReductionTypeError(Diagnostic(typer.span(node), "'tuple' object cannot be "
                                 "interpreted as an integer", "pass one int axis"),
                                 typer.src.source)
    out = []
    for a in items:
        if type(a) is not int:
            raise typer.error(node, f"an axis must be an int or a tuple of ints, not {a!r}")
        if not -ndim <= a < ndim:
            raise axis_error_class()(Diagnostic(
                typer.span(node), f"axis {a} is out of bounds for array of dimension {ndim}",
                f"the array has {ndim} dimension(s): axes {-ndim} to {ndim - 1}"),
                typer.src.source)
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ReductionValueError(Diagnostic(typer.span(node), "duplicate value in 'axis'",
                                  "name each axis once"), typer.src.source)
    return tuple(sorted(out))


def _reduction(typer: ExprTyper, node: ast.Call, op: str, value: AnyExpr,
               args: list[ast.expr], shown: str) -> AnyExpr:
    """The node of one reduction call, its arguments folded."""
    t = value.type
    if is_unknown(t):
        return typer.unknown(node)
    assert isinstance(t, Array)
    got = _arguments(typer, node, op, args, shown)
    if t.dtype.kind == "c":  # sum, prod, mean of every element: frontend/complex_reductions.py
        return complex_reductions.reduction(typer, node, op, value, got, shown)
    if op.startswith("nan") and op not in ("nanmin", "nanmax", "nanmedian") and t.dtype.kind != "f":
        op = op[3:]  # NumPy: an int or bool array has no NaN to replace
    keepdims = bool(_constant(typer, got["keepdims"], "keepdims")) if "keepdims" in got else False
    if op in STATS:
        return _stat(typer, node, op, value, got, keepdims, shown)
    dnode = got.get("dtype")
    dtype_given = dnode is not None and not (isinstance(dnode, ast.Constant) and dnode.value is None)
    dtype = dtype_of(typer, dnode) if dtype_given else result_dtype(op, t.dtype)
    if dtype_given and op in ("sum", "prod", "cumsum", "cumprod", "nansum", "nanprod") and dtype.kind == "b":
        raise typer.error(dnode, f"{shown}(dtype=bool) is not supported in compiled code",
                          "use .any() / .all() for a logical or / and")
    if dtype_given and op == "mean" and dtype.kind != "f":
        raise typer.error(dnode, f"{shown}() with an integer dtype is not supported in "
                          "compiled code", "pass a float dtype (np.float64, np.float32)")
    span = typer.span(node)
    if t.ndim == 0:
        raise typer.error(node, f"{shown}() of a 0-d array is not supported in compiled code")
    if op in ("cumsum", "cumprod"):
        anode = got.get("axis")
        axis = None if anode is None else _constant(typer, anode, "the axis")
        ndim = 1 if axis is None else t.ndim
        if axis is not None:
            axis = _axes(typer, anode, t.ndim, op)[0]
        return AxisAccumulate(op, value, axis, dtype, Array(dtype, ndim, "C"), span)
    axes = _axes(typer, got.get("axis"), t.ndim, op)
    if op in ("argmin", "argmax") and len(axes) not in (1, t.ndim):
        axes = tuple(range(t.ndim))  # pragma: no cover - one int axis or None only
    whole = len(axes) == t.ndim and not keepdims
    if whole and not dtype_given and op in ("sum", "min", "max"):
        # Today's whole-array paths: NumPy's answers, vectorised.
        rt: Type = (compute_type(t.dtype) if op != "sum"
                    else compute_type(DType("float64" if t.dtype.kind == "f" else "int64")))
        numpy_dtype = t.dtype if op != "sum" else _sum_dtype(t.dtype)
        return np_scalars.numpy_result(ArrayReduce(op, value, rt, span), numpy_dtype)
    if whole:
        rt = compute_type(dtype)
        whole_value = AxisReduce(op, value, axes, keepdims, dtype, INT64 if rt == INT64 else rt,
                                 span)
        return np_scalars.numpy_result(whole_value, dtype)
    ndim = t.ndim if keepdims else t.ndim - len(axes)
    rt = Array(dtype, ndim, "C")
    return AxisReduce(op, value, axes, keepdims, dtype, rt, span)



def deviation_dtype(array: DType, acc: DType) -> DType:
    """NumPy 2's dtype of ``a - mean`` (``a`` of ``array``, the mean of the float
    ``acc``): the wider float, or, for ints, ``acc`` when it holds every value of
    ``array`` exactly (bool, and 8/16-bit ints in float32), else float64.

    >>> [str(deviation_dtype(DType(n), DType("float32"))) for n in ("bool", "int16", "int32")]
    ['float32', 'float32', 'float64']
    """
    if array.kind == "f":
        return array if array.itemsize > acc.itemsize else acc
    if array.kind == "b" or array.itemsize * 2 <= acc.itemsize:
        return acc
    return DType("float64")


def _stat(typer: ExprTyper, node: ast.Call, op: str, value: AnyExpr, got: dict[str, ast.expr],
          keepdims: bool, shown: str) -> AnyExpr:
    """``np.var(a, ...)`` and the other :data:`STATS` → AxisStat (``np.average`` without
    weights is the mean)."""
    t = value.type
    assert isinstance(t, Array)
    span = typer.span(node)
    if t.ndim == 0:
        raise typer.error(node, f"{shown}() of a 0-d array is not supported in compiled code")
    dnode = got.get("dtype")
    dtype_given = dnode is not None and not (isinstance(dnode, ast.Constant) and dnode.value is None)
    dtype = dtype_of(typer, dnode) if dtype_given else result_dtype(op, t.dtype)
    if dtype_given and dtype.kind != "f":
        raise typer.error(dnode, f"{shown}() with a non-float dtype is not supported in "
                          "compiled code", "pass a float dtype (np.float64, np.float32)")
    ddof = 0
    if "ddof" in got:
        ddof = _constant(typer, got["ddof"], "ddof")
        if type(ddof) is not int:
            raise typer.error(got["ddof"], f"ddof must be an int in compiled code, not {ddof!r}",
                              "write it out, e.g. ddof=1")
    if "returned" in got and _constant(typer, got["returned"], "returned"):
        raise typer.error(got["returned"], f"{shown}(returned=True) is not supported in "
                          "compiled code", "compute the sum of the weights separately")
    if op == "ptp":
        if t.dtype.kind == "b":
            raise ReductionTypeError(Diagnostic(span, "numpy boolean subtract, the `-` operator, "
                                     "is not supported, use the bitwise_xor, the `^` operator, "
                                     "or the logical_xor function instead.",
                                     "use a.max() ^ a.min()"), typer.src.source)
        dtype = t.dtype
    axes = _axes(typer, got.get("axis"), t.ndim, op)
    wnode = got.get("weights")
    weights = None
    if op == "average" and wnode is not None and not (
            isinstance(wnode, ast.Constant) and wnode.value is None):
        weights = typer.expr(wnode)
        if is_unknown(weights.type):
            return typer.unknown(node)
        wt = weights.type
        if not isinstance(wt, Array) or wt.dtype.kind not in "biuf":
            raise typer.error(wnode, f"{shown}(weights=...) needs an array of numbers here, "
                              f"not {wt}", "pass the weights as an array")
        if wt.ndim != t.ndim and "axis" not in got:
            raise ReductionTypeError(Diagnostic(typer.span(wnode), "Axis must be specified when "
                                     "shapes of a and weights differ.", "pass axis="),
                                     typer.src.source)
        if wt.ndim != t.ndim and (wt.ndim != 1 or len(axes) != 1):
            raise typer.error(wnode, f"{shown}() with {wt.ndim}-d weights over axes {axes} is "
                              "not supported in compiled code",
                              "pass weights of a's shape, or 1-d weights with one int axis")
        dtype = _average_dtype(t.dtype, wt.dtype)
    whole = len(axes) == t.ndim and not keepdims
    rt: Type = compute_type(dtype)
    if whole:
        rt = INT64 if rt == INT64 else rt
    else:
        rt = Array(dtype, t.ndim if keepdims else t.ndim - len(axes), "C")
    if op == "mean":
        return AxisReduce("mean", value, axes, keepdims, dtype, rt, span)
    deviation = deviation_dtype(t.dtype, dtype) if op in ("var", "std") else t.dtype
    if op == "average":
        deviation = dtype  # the product a * w (no weights: NumPy's mean, and a
        # ZeroDivisionError for an empty result, as its a.size / avg.size)
    return AxisStat(op, value, axes, keepdims, dtype, deviation, ddof, weights, rt, span)


def _average_dtype(a: DType, w: DType) -> DType:
    """``np.result_type(a, w)`` (with ``'f8'`` for an int or bool ``a``) for numbers."""
    if a.kind in "biu":
        return w if w.kind == "f" and w.itemsize == 8 else DType("float64")
    if w.kind == "f":
        return a if a.itemsize >= w.itemsize else w
    return deviation_dtype(w, a)
