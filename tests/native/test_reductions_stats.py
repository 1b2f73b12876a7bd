"""NumPy's statistics against NumPy: ``np.var np.std`` (and the methods), ``np.nanvar
np.nanstd np.nanmean np.nanprod np.ptp np.median np.nanmedian np.average``, over None /
each axis / negative axes / tuples, with keepdims, ddof and dtype=, for the dtypes and
layouts (C, F, strided, negative strides, transposed) hypothesis draws, including 0-size
and 1-element arrays and NaN, inf and -0.0; plus the fast row kernels of
``x.max(axis=-1)`` and friends.

Comparisons are strict (:func:`_harness.same`: dtype, shape, values bit for bit, NaN
positions, signed zeros): ember computes each statistic in NumPy's order (the mean, then
a temporary of squared deviations laid out as NumPy's, both summed pairwise), so the
roundings agree. Documented differences, each encoded exactly: the sign of a zero median
is not compared (which of two equal zeros NumPy's partition leaves in the middle is its
introselect's business); a reduction to one of ember's ints whose exact value leaves
int64 raises OverflowError where NumPy wraps (a whole-array int nanprod, a uint64 ptp of
2**63 or more). Warnings: NumPy's own RuntimeWarnings of these functions ("Mean of empty
slice", "Degrees of freedom <= 0 for slice", "All-NaN slice encountered") are issued the
same; its secondary floating-point ones ("invalid value encountered in divide") are not.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import _harness as H  # noqa: E402

# The same arrays (dtypes, layouts, 0-size axes) as the plain reductions' tests.
from test_reductions_axis import _unsigned_zero, arrays  # noqa: E402

OPS = ("var", "std", "nanvar", "nanstd", "nanmean", "nanprod", "ptp", "median",
       "nanmedian", "average")
DTYPES = ("float64", "float32", "int32", "int64", "uint8", "bool", "int8")
#: NumPy's own warnings of these functions (what ember issues too).
PRIMARY = {"Mean of empty slice", "Degrees of freedom <= 0 for slice",
           "Degrees of freedom <= 0 for slice.", "All-NaN slice encountered"}
# Examples per (op, ndim): each compiles a function of a dozen or more statistics for
# the array's dtype and layout (a 3-d one takes seconds: LLVM optimising 17 reductions).
BUDGET = {1: 10, 2: 6, 3: 3}


def _axis_specs(op: str, ndim: int) -> list[str]:
    """The argument texts a call of ``op`` over an ``ndim``-d array tries."""
    specs = ["", "axis=None"] + [str(k) for k in range(ndim)] + [f"axis={-ndim}"]
    specs += [f"axis={tuple(range(ndim))}", "keepdims=True",
              "axis=(0, -1), keepdims=True" if ndim > 1 else "axis=(0,)"]
    if ndim == 3:
        specs.append("axis=(0, 2)")
    if op in ("var", "std", "nanvar", "nanstd"):
        specs += ["ddof=1", f"axis={ndim - 1}, ddof=2", "axis=0, dtype=np.float32",
                  "dtype=np.float64, ddof=1"]
    if op in ("nanmean", "nanprod"):
        specs += ["axis=0, dtype=np.float32", "dtype=np.float64"]
    return specs


def _source(op: str, ndim: int, how: str) -> str:
    calls = []
    for spec in _axis_specs(op, ndim):
        method = how == "method" and op in ("var", "std")
        calls.append(f"a.{op}({spec})" if method else
                     f"np.{op}(a{', ' + spec if spec else ''})")
    return f"def f_stat_{op}_{ndim}_{how}(a):\n    return ({', '.join(calls)},)\n"


_FUNCTIONS: dict[tuple[Any, ...], Any] = {}


def _function(op: str, ndim: int, how: str) -> Any:
    key = (op, ndim, how)
    if key not in _FUNCTIONS:
        _FUNCTIONS[key] = H.define(_source(op, ndim, how), f"f_stat_{op}_{ndim}_{how}",
                                   {"np": np})
    return _FUNCTIONS[key]


def _run(fn: Any, args: tuple[Any, ...]) -> tuple[Any, type | None, set[str]]:
    """(result, exception type, the set of RuntimeWarning texts) of ``fn(*args)``."""
    with np.errstate(all="ignore"), warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", RuntimeWarning)
        value, exc, _ = H.run(fn, args)
    return value, exc, {str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)}


def _item(op: str, a: np.ndarray, v: Any) -> tuple[Any, bool]:
    """NumPy's result as ember returns it, and whether ember raises OverflowError."""
    if not isinstance(v, np.generic):
        return v, False
    if isinstance(v, np.floating):
        return float(v), False
    exact = int(v)
    if op in ("nanprod", "prod") and a.dtype.kind != "f":
        exact = math.prod(int(x) for x in a.ravel())
    return exact, not H.INT64_MIN <= exact <= H.INT64_MAX


def _compare(jf: Any, op: str, a: np.ndarray, specs: list[str]) -> None:
    py, py_exc, py_warned = _run(jf.py_func, (a,))
    got, got_exc, got_warned = _run(jf, (a,))
    where = (f"{jf.__name__}({a!r} strides={a.strides}): numpy={py!r} {py_exc}, "
             f"ember={got!r} {got_exc}")
    if py_exc is not None:
        assert got_exc is not None and issubclass(got_exc, py_exc), where
        return
    items, overflow = [], False
    for v in py:
        item, leaves = _item(op, a, v)
        items.append(item)
        overflow = overflow or leaves
    if overflow and got_exc is OverflowError:
        return  # (where ember's result is an int, not a NumPy scalar that wraps)
    assert got_exc is None, where
    for k, (v, x, y) in enumerate(zip(py, items, got, strict=True)):
        if isinstance(y, np.generic):  # a NumPy scalar, as NumPy returns: compared as is
            x = v
        if op in ("median", "nanmedian"):
            x, y = _unsigned_zero(x), _unsigned_zero(y)
        assert H.same(x, y), f"{where}; item {k}: {specs[k]}"
    assert py_warned & PRIMARY == got_warned, f"{where}: warnings {py_warned} vs {got_warned}"


def _statistic_test(ndim: int) -> Any:
    @pytest.mark.parametrize("op", OPS)
    @given(data=st.data())
    @H.examples(BUDGET[ndim])
    def test(op: str, data: st.DataObject) -> None:
        dtype = data.draw(st.sampled_from(DTYPES))
        if op == "ptp" and dtype == "bool":
            dtype = "int8"  # NumPy refuses a boolean subtract (test_ptp_of_bool_is_numpys_error)
        a = data.draw(arrays(ndim, dtype))
        how = data.draw(st.sampled_from(["method", "function"]))
        _compare(_function(op, ndim, how), op, a, _axis_specs(op, ndim))

    return test


test_statistic_matches_numpy_1d = _statistic_test(1)
test_statistic_matches_numpy_2d = _statistic_test(2)
test_statistic_matches_numpy_3d = _statistic_test(3)


LONG_SOURCE = """
def f_stat_long_{name}(a):
    return (a.var({axis}), a.std({axis}, ddof=1), np.var(a, {axis}, dtype=np.float64),
            np.nanvar(a, {axis}), np.nanmean(a, {axis}), np.nanstd(a, {axis}, dtype=np.float64),
            np.median(a, {axis}), np.nanmedian(a, {axis}), np.average(a, {axis}))
"""


@pytest.mark.parametrize("shape,axis", [((300,), "0"), ((40, 300), "1"), ((300, 40), "0"),
                                        ((9000,), "0"), ((3, 9000), "1"), ((130, 70), "None"),
                                        ((20, 30, 40), "(0, 2)"), ((20, 30, 40), "(1, 2)")])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "negative"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_long_statistics_match_numpy_bit_for_bit(shape: tuple[int, ...], axis: str,
                                                 layout: str, dtype: str) -> None:
    """Pairwise blocks and splits (> 128 elements), NumPy's buffer (a non-contiguous core,
    a cast), NaNs in the nan forms: the same rounding as NumPy's."""
    name = "".join(c if c.isalnum() else "_" for c in axis) or "all"
    key = ("long", len(shape), name)
    if key not in _FUNCTIONS:
        _FUNCTIONS[key] = H.define(LONG_SOURCE.format(name=f"{len(shape)}_{name}", axis=axis),
                                   f"f_stat_long_{len(shape)}_{name}", {"np": np})
    jf = _FUNCTIONS[key]
    rng = np.random.default_rng(len(shape) * 1000 + shape[-1])
    base = rng.standard_normal(tuple(2 * s for s in shape)) * 1e4 + 3e4
    if dtype == "int64":
        base = (base * 1e3).astype(dtype)
    else:
        base = base.astype(dtype)
        base[rng.random(base.shape) < 0.01] = np.nan
    plain = tuple(slice(0, s) for s in shape)
    a = {"C": np.ascontiguousarray(base[plain]), "F": np.asfortranarray(base[plain]),
         "strided": base[tuple(slice(0, 2 * s, 2) for s in shape)],
         "negative": base[tuple(slice(None, None, -2) for s in shape)]}[layout]
    specs = ["var", "std ddof=1", "var float64", "nanvar", "nanmean", "nanstd float64",
             "median", "nanmedian", "average"]
    _compare(jf, "var", a, specs)


# ------------------------------------------------------------ weighted average

AVERAGE = {
    "1d": ("np.average(a, weights=w)", (7,), (7,)),
    "1d_axis": ("np.average(a, axis=0, weights=w)", (7,), (7,)),
    "rows": ("np.average(a, axis=1, weights=w)", (4, 7), (7,)),
    "cols": ("np.average(a, axis=-2, weights=w)", (4, 7), (4,)),
    "cols_keep": ("np.average(a, axis=0, weights=w, keepdims=True)", (4, 7), (4,)),
    "same": ("np.average(a, weights=w)", (4, 7), (4, 7)),
    "same_axis": ("np.average(a, axis=1, weights=w)", (4, 7), (4, 7)),
    "long": ("np.average(a, weights=w)", (1000,), (1000,)),
}


@pytest.mark.parametrize("name", sorted(AVERAGE))
@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("float32", "float32"),
                                    ("int32", "float64"), ("float32", "int64"),
                                    ("int64", "int8"), ("float64", "bool")])
def test_weighted_average_matches_numpy(name: str, dtypes: tuple[str, str]) -> None:
    text, ashape, wshape = AVERAGE[name]
    key = ("average", name)
    if key not in _FUNCTIONS:
        _FUNCTIONS[key] = H.define(f"def f_avg_{name}(a, w):\n    return {text}\n",
                                   f"f_avg_{name}", {"np": np})
    jf = _FUNCTIONS[key]
    rng = np.random.default_rng(sum(ashape))
    a = (rng.standard_normal(ashape) * 100).astype(dtypes[0])
    w = (rng.random(wshape) * 10 + 1).astype(dtypes[1])
    for args in ((a, w), (a[..., ::-1], w[..., ::-1]), (np.asfortranarray(a), w)):
        want, got = jf.py_func(*args), jf(*args)
        want = float(want) if isinstance(want, np.floating) else want
        assert H.same(want, got), (name, dtypes, want, got)


@pytest.mark.parametrize("text,args,exc", [
    ("np.average(a, weights=w)", (np.ones(3), np.array([1.0, -1.0, 0.0])), ZeroDivisionError),
    ("np.average(a, weights=w)", (np.ones((2, 3)), np.ones((3, 2))), TypeError),
    ("np.average(a, axis=1, weights=w)", (np.ones((2, 3)), np.ones(2)), ValueError),
    ("np.average(a, axis=1, weights=w)", (np.ones((2, 3)), np.ones((2, 2))), ValueError),
])
def test_weighted_average_errors_are_numpys(text: str, args: tuple[Any, ...], exc: type) -> None:
    name = f"err_{len(_FUNCTIONS)}"
    jf = H.define(f"def f_avg_{name}(a, w):\n    return {text}\n", f"f_avg_{name}", {"np": np})
    _FUNCTIONS[("average", name)] = jf
    with pytest.raises(exc) as numpy_error:
        jf.py_func(*args)
    with pytest.raises(exc) as ember_error:
        jf(*args)
    assert str(ember_error.value) == str(numpy_error.value)


def test_average_axis_needed_for_1d_weights_is_a_compile_error() -> None:
    jf = H.define("def f_avg_noaxis(a, w):\n    return np.average(a, weights=w)\n",
                  "f_avg_noaxis", {"np": np})
    with pytest.raises(TypeError, match="Axis must be specified when shapes of a and "
                       "weights differ"):
        jf(np.ones((2, 3)), np.ones(3))


# ------------------------------------------------------ warnings and errors

WARNINGS = {
    "var_empty": ("np.var(a)", np.ones(0)),
    "std_ddof": ("np.std(a, ddof=3)", np.ones(3)),
    "mean_empty": ("np.mean(a, axis=0)", np.ones((0, 3))),
    "nanmean_all_nan": ("np.nanmean(a, axis=1)", np.array([[np.nan, 1.0], [np.nan, np.nan]])),
    "nanvar_ddof": ("np.nanvar(a, ddof=1)", np.array([np.nan, 2.0])),
    "nanmedian_all_nan": ("np.nanmedian(a)", np.array([np.nan, np.nan])),
    "nanmedian_axis": ("np.nanmedian(a, 0)", np.array([[np.nan, 1.0], [np.nan, 2.0]])),
    "median_empty": ("np.median(a)", np.ones(0)),
    "median_nan": ("np.median(a)", np.array([1.0, np.nan, 2.0])),
}


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_empty_and_all_nan_slices_warn_as_numpy(name: str) -> None:
    """NumPy's result (nan) and its RuntimeWarning text."""
    text, a = WARNINGS[name]
    jf = H.define(f"def f_warn_{name}(a):\n    return {text}\n", f"f_warn_{name}", {"np": np})
    py, _, py_warned = _run(jf.py_func, (a,))
    got, exc, got_warned = _run(jf, (a,))
    assert exc is None
    assert H.same(float(py) if isinstance(py, np.floating) else py, got)
    assert py_warned & PRIMARY == got_warned


def test_warnings_become_errors_under_filter_error() -> None:
    jf = H.define("def f_warn_error(a):\n    return np.nanmean(a)\n", "f_warn_error",
                  {"np": np})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning, match="Mean of empty slice"):
            jf(np.array([np.nan]))


def test_ptp_of_bool_is_numpys_error() -> None:
    jf = H.define("def f_ptp_bool(a):\n    return np.ptp(a)\n", "f_ptp_bool", {"np": np})
    a = np.ones(3, dtype=bool)
    with pytest.raises(TypeError) as numpy_error:
        jf.py_func(a)
    with pytest.raises(TypeError) as ember_error:
        jf(a)
    assert str(numpy_error.value) in str(ember_error.value)


@pytest.mark.parametrize("text,message", [
    ("np.var(a, ddof=k)", "ddof must be a constant"),
    ("np.std(a, dtype=np.int64)", "non-float dtype is not supported"),
    ("np.average(a, weights=a, returned=True)", "returned=True"),
    ("np.percentile(a, 50)", "np.percentile() is not supported in compiled code yet"),
])
def test_unsupported_statistics_are_compile_errors(text: str, message: str) -> None:
    from ember.diagnostics import EmberError

    name = "".join(c if c.isalnum() else "_" for c in text)
    jf = H.define(f"def f_nostat_{name}(a, k):\n    return {text}\n", f"f_nostat_{name}",
                  {"np": np})
    with pytest.raises(EmberError, match=message.replace("(", r"\(").replace(")", r"\)")):
        jf(np.ones((2, 3)), 1)


# ------------------------------------------------------------- row kernels

ROWS = """
def f_rows_{name}(a):
    return (a.max(axis=-1), a.min(axis=1), a.max(axis=1, keepdims=True), a.sum(axis=-1),
            a.prod(axis=-1), a.all(axis=-1), a.any(axis=1), np.nanprod(a, -1), a.mean(axis=1))
"""


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int16", "uint8", "bool"])
@pytest.mark.parametrize("layout", ["C", "strided", "negative", "F"])
def test_reductions_along_the_last_axis_match_numpy(dtype: str, layout: str) -> None:
    """The per-row kernels (a register accumulator; float min/max as a vector loop that
    falls back to NumPy's exact rule on a NaN or a zero) against NumPy, on rows long
    enough for the vector loop and its tail, with ties of signed zeros and NaNs."""
    key = ("rows", dtype, layout)
    jf = H.define(ROWS.format(name=f"{dtype}_{layout}"), f"f_rows_{dtype}_{layout}",
                  {"np": np})
    _FUNCTIONS[key] = jf
    rng = np.random.default_rng(7)
    for n in (1, 7, 8, 16, 17, 100, 131):
        if dtype.startswith("float"):
            pool = np.array([0.0, -0.0, 1.0, -1.0, np.nan, 2.5, np.inf, 1.0 + 2**-20])
            base = rng.choice(pool, size=(6, 2 * n)).astype(dtype)
            base[0] = rng.standard_normal(2 * n)  # no NaN and no zero: the vector answer
            base[1] = rng.choice([0.0, -0.0], size=2 * n)
        else:
            base = rng.integers(0, 3 if dtype == "bool" else 100, size=(6, 2 * n)).astype(dtype)
        a = {"C": np.ascontiguousarray(base[:, :n]), "strided": base[:, ::2],
             "negative": base[:, ::-2], "F": np.asfortranarray(base[:, :n])}[layout]
        want, got = _run(jf.py_func, (a,))[0], _run(jf, (a,))[0]
        for k, (x, y) in enumerate(zip(want, got, strict=True)):
            if k < 3 and row_of_zeros_only(a):
                # NumPy's SIMD max over a contiguous row of only 0.0 and -0.0 picks the
                # sign by lanes; ember keeps NumPy's scalar rule (the later one), as
                # before the row kernels (the same answer on main).
                x, y = _unsigned_zero(x), _unsigned_zero(y)
            assert H.same(x, y), (n, k, a, x, y)


def row_of_zeros_only(a: np.ndarray) -> bool:
    return a.dtype.kind == "f" and bool(np.any(np.all(a == 0, axis=-1)))


def test_bench_kernels_with_axis_statistics_compile_and_match() -> None:
    """benchmarks/numpy_style_kernels.py's standardize (``x.std(axis=0)``) and the
    reductions of softmax and row_stats."""
    src = ("def f_bench_stats(x):\n"
           "    s = (x - x.mean(axis=0)) / x.std(axis=0)\n"
           "    e = np.exp(x - x.max(axis=1, keepdims=True))\n"
           "    return s, e / e.sum(axis=1, keepdims=True), "
           "x.sum(axis=1) + x.max(axis=1) - x.min(axis=1)\n")
    jf = H.define(src, "f_bench_stats", {"np": np})
    x = np.random.default_rng(3).random((1000, 8))
    for want, got in zip(jf.py_func(x), jf(x), strict=True):
        assert H.same(want, got)
