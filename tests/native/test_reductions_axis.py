"""Reductions over axes against NumPy: every reduction, as a method and as an ``np.``
function, over None / each axis / negative axes / tuples, with keepdims and dtype=,
for the dtypes and layouts (C, F, strided, negative strides, transposed) hypothesis
draws, including 0-size and 1-element arrays and NaN, inf and -0.0.

Comparisons are strict (:func:`_harness.same`: dtype, shape, values bit for bit, NaN
positions, signed zeros) after one conversion: NumPy returns a NumPy scalar where
every axis is reduced, ember its own int/float/bool (NumPy scalars out are not made
here). Documented differences, each encoded exactly: a reduction to one of ember's
ints whose exact value leaves int64 (a whole-array int sum or product, a uint64
result of 2**63 or more) raises OverflowError where NumPy wraps; errors raised while
compiling (a bad axis) are ember's subclasses of NumPy's exception classes; the sign of
a zero nanmin/nanmax is not compared (NumPy's own answer to a tie of 0.0 and -0.0
depends on the layout: its contiguous loop keeps the earlier, C's fmin in its strided
loop the later).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import _harness as H  # noqa: E402

OPS = ("sum", "prod", "min", "max", "mean", "all", "any", "argmin", "argmax", "nanmin",
       "nanmax", "nansum")
DTYPES = ("float64", "float32", "int32", "int64", "uint8", "uint64", "bool", "int8")
FLOATS = [0.0, -0.0, 1.5, -2.25, 3.0, 1e-3, 1e8, -7.0, math.nan, math.inf, -math.inf, 0.1]


def _axis_specs(op: str, ndim: int) -> list[str]:
    """The argument texts a function of ``op`` over an ``ndim``-d array tries."""
    specs = ["", "axis=None"] + [str(k) for k in range(ndim)] + [f"axis={-ndim}"]
    specs.append("keepdims=True")
    if op not in ("argmin", "argmax"):
        specs += [f"axis={tuple(range(ndim))}", "axis=(0, -1), keepdims=True" if ndim > 1
                  else "axis=(0,)"]
        if ndim == 3:
            specs.append("axis=(0, 2)")
    else:
        specs.append(f"axis={ndim - 1}, keepdims=True")
    if op in ("sum", "prod", "mean", "nansum"):
        specs += ["dtype=np.float64", "axis=0, dtype=np.float32"]
    return specs


def _source(op: str, ndim: int, how: str) -> str:
    calls = []
    for spec in _axis_specs(op, ndim):
        calls.append(f"a.{op}({spec})" if how == "method" and not op.startswith("nan") else
                     f"np.{op}(a{', ' + spec if spec else ''})")
    return f"def f_{op}_{ndim}_{how}(a):\n    return ({', '.join(calls)},)\n"


_FUNCTIONS: dict[tuple[str, int, str], Any] = {}
# Examples per ndim: each compiles a dozen reductions of one array (a function per op
# and ndim) for its dtype and layout; EMBER_DIFF_EXAMPLES hunts deeper.
BUDGET = {1: 24, 2: 12, 3: 6}


def _function(op: str, ndim: int, how: str) -> Any:
    key = (op, ndim, how)
    if key not in _FUNCTIONS:
        _FUNCTIONS[key] = H.define(_source(op, ndim, how), f"f_{op}_{ndim}_{how}", {"np": np})
    return _FUNCTIONS[key]


@st.composite
def arrays(draw: st.DrawFn, ndim: int, dtype: str) -> np.ndarray:
    """An array of ``ndim`` dims in one of the layouts NumPy hands over."""
    shape = tuple(draw(st.integers(0 if i == 0 else 1, 5)) for i in range(ndim))
    if draw(st.booleans()) and ndim > 1:
        shape = tuple(draw(st.integers(0, 4)) for _ in range(ndim))  # any axis may be 0
    big = tuple(2 * s + 1 for s in shape)
    n = math.prod(big)
    if dtype.startswith("float"):
        values = draw(st.lists(st.one_of(st.sampled_from(FLOATS), st.floats(-1e6, 1e6)),
                               min_size=n, max_size=n))
    elif dtype == "bool":
        values = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    else:
        info = np.iinfo(dtype)
        edge = st.sampled_from([0, 1, int(info.min), int(info.max), 2, 3])
        values = draw(st.lists(st.one_of(edge, st.integers(int(info.min), int(info.max)),
                                         st.integers(0, 9)), min_size=n, max_size=n))
    base = np.array(values, dtype=dtype).reshape(big)
    layout = draw(st.sampled_from(["C", "F", "strided", "negative", "transposed"]))
    plain = tuple(slice(0, s) for s in shape)
    if layout == "C":
        return np.ascontiguousarray(base[plain])
    if layout == "F":
        return np.asfortranarray(base[plain])
    if layout == "strided":
        return base[tuple(slice(0, 2 * s, 2) for s in shape)]
    if layout == "negative":
        return base[tuple(slice(2 * s - 1 if s else 0, None, -2) if s else slice(0, 0)
                          for s in shape)]
    return np.ascontiguousarray(base[plain].transpose()).transpose()


def _exact(op: str, a: np.ndarray) -> int | None:
    """The exact int a whole-array int sum/product has (ember raises beyond int64)."""
    values = [int(v) for v in a.ravel()]
    if op in ("sum", "nansum"):
        return sum(values)
    if op == "prod":
        return math.prod(values)
    return None


def _expected_item(op: str, a: np.ndarray, spec_value: Any) -> tuple[Any, bool]:
    """NumPy's result as ember returns it (a whole-array reduction: NumPy's own scalar
    type, frontend/np_scalars.py), and whether ember raises OverflowError."""
    if not isinstance(spec_value, np.generic):
        return spec_value, False
    if isinstance(spec_value, np.floating | np.bool_):
        return spec_value, False
    exact = int(spec_value)
    if a.dtype.kind != "f" and op in ("sum", "prod", "nansum"):
        exact = _exact(op, a) if spec_value.dtype.kind in "iu" else exact
    return spec_value, not H.INT64_MIN <= exact <= H.INT64_MAX


def _compare(jf: Any, op: str, a: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            py, py_exc, _ = H.run(jf.py_func, (a,))
            got, got_exc, _ = H.run(jf, (a,))
    where = f"{jf.__name__}({a!r} strides={a.strides}): numpy={py!r} {py_exc}, ember={got!r} {got_exc}"
    if py_exc is not None:
        assert got_exc is not None and issubclass(got_exc, py_exc), where
        return
    items, overflow = [], False
    for v in py:
        item, leaves = _expected_item(op, a, v)
        items.append(item)
        overflow = overflow or leaves
    if overflow:
        assert got_exc is OverflowError, where
        return
    assert got_exc is None, where
    for k, (x, y) in enumerate(zip(items, got, strict=True)):
        if op in ("nanmin", "nanmax"):
            x, y = _unsigned_zero(x), _unsigned_zero(y)
        assert _same_item(x, y), f"{where}; item {k}: {_axis_specs(op, a.ndim)[k]}"


def _same_item(x: Any, y: Any) -> bool:
    """H.same, NumPy's float scalars of one type compared as their values' bits."""
    if isinstance(x, np.floating) and type(x) is type(y):
        return H.same(float(x), float(y))
    return H.same(x, y)


def _unsigned_zero(v: Any) -> Any:
    """``v`` with -0.0 read as 0.0 (adding 0.0 does just that)."""
    if isinstance(v, float):
        return v + 0.0
    if isinstance(v, np.ndarray) and v.dtype.kind == "f":
        return v + v.dtype.type(0.0)
    return v


def _reduction_test(ndim: int) -> Any:
    @pytest.mark.parametrize("op", OPS)
    @given(data=st.data())
    @H.examples(BUDGET[ndim])
    def test(op: str, data: st.DataObject) -> None:
        dtype = data.draw(st.sampled_from(DTYPES))
        a = data.draw(arrays(ndim, dtype))
        how = data.draw(st.sampled_from(["method", "function"]))
        _compare(_function(op, ndim, how), op, a)

    return test


test_reduction_matches_numpy_1d = _reduction_test(1)
test_reduction_matches_numpy_2d = _reduction_test(2)
test_reduction_matches_numpy_3d = _reduction_test(3)


ACCUMULATE_SRC = """
def f_cum_{ndim}_{how}(a):
    return ({calls},)
"""


@pytest.mark.parametrize("ndim", [1, 2, 3])
@given(data=st.data())
@H.examples(16)
def test_cumsum_cumprod_match_numpy(ndim: int, data: st.DataObject) -> None:
    dtype = data.draw(st.sampled_from(DTYPES))
    a = data.draw(arrays(ndim, dtype))
    how = data.draw(st.sampled_from(["method", "function"]))
    key = ("cum", ndim, how)
    if key not in _FUNCTIONS:
        specs = ["", *(str(k) for k in range(ndim)), "axis=-1", "dtype=np.float64",
                 "axis=0, dtype=np.int64"]
        calls = [f"a.{op}({s})" if how == "method" else f"np.{op}(a{', ' + s if s else ''})"
                 for op in ("cumsum", "cumprod") for s in specs]
        source = ACCUMULATE_SRC.format(ndim=ndim, how=how, calls=", ".join(calls))
        _FUNCTIONS[key] = H.define(source, f"f_cum_{ndim}_{how}", {"np": np})
    jf = _FUNCTIONS[key]
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        a = np.nan_to_num(a)  # a float → int64 cast of nan/inf is undefined in C
    with np.errstate(all="ignore"):
        _compare(jf, "cumsum", a)


LONG_SOURCE = """
def f_long_{name}(a):
    return (a.sum({axis}), a.mean({axis}), np.sum(a, {axis}, dtype=np.float64),
            np.nansum(a, {axis}), np.nansum(a, {axis}, dtype=np.float64))
"""


@pytest.mark.parametrize("shape,axis", [((300,), "0"), ((40, 300), "1"), ((300, 40), "0"),
                                        ((9000,), "0"), ((3, 9000), "1"), ((130, 70), "None"),
                                        ((20, 30, 40), "(0, 2)"), ((20, 30, 40), "(1, 2)")])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "negative"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_long_sums_match_numpy_bit_for_bit(shape: tuple[int, ...], axis: str, layout: str,
                                          dtype: str) -> None:
    """Pairwise blocks and splits (> 128 elements) and NumPy's buffer (a non-contiguous
    core, an int → float64 or float32 → float64 cast): the same rounding as NumPy's."""
    name = "".join(c if c.isalnum() else "_" for c in axis) or "all"
    key = ("long", len(shape), name)
    if key not in _FUNCTIONS:
        _FUNCTIONS[key] = H.define(LONG_SOURCE.format(name=f"{len(shape)}_{name}", axis=axis),
                                   f"f_long_{len(shape)}_{name}", {"np": np})
    jf = _FUNCTIONS[key]
    rng = np.random.default_rng(len(shape) * 1000 + shape[-1])
    base = rng.standard_normal(tuple(2 * s for s in shape)) * 1e4
    base = base.astype(dtype) if dtype == "float32" else (base * 1e11).astype(dtype)
    plain = tuple(slice(0, s) for s in shape)
    a = {"C": np.ascontiguousarray(base[plain]), "F": np.asfortranarray(base[plain]),
         "strided": base[tuple(slice(0, 2 * s, 2) for s in shape)],
         "negative": base[tuple(slice(None, None, -2) for s in shape)]}[layout]
    _compare(jf, "sum", a)


# ------------------------------------------------------------------- errors

ERRORS = {
    "axis_out": ("a.sum(axis=2)", np.exceptions.AxisError),
    "axis_negative_out": ("np.mean(a, -3)", np.exceptions.AxisError),
    "argmin_axis_out": ("a.argmin(axis=5)", np.exceptions.AxisError),
    "duplicate": ("a.max(axis=(0, -2))", ValueError),
    "argmin_tuple": ("np.argmax(a, axis=(0, 1))", TypeError),
    "nanmin_out": ("np.nanmin(a, 2)", np.exceptions.AxisError),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_compile_time_errors_are_numpys(name: str) -> None:
    """A bad axis is NumPy's exception class with NumPy's text, raised at the call, and
    caught by ``except ValueError`` / ``except IndexError`` too for an AxisError."""
    text, exc = ERRORS[name]
    jf = H.define(f"def f_err_{name}(a):\n    return {text}\n", f"f_err_{name}", {"np": np})
    a = np.ones((2, 3))
    with pytest.raises(exc) as numpy_error:
        jf.py_func(a)
    with pytest.raises(exc) as ember_error:
        jf(a)
    assert str(numpy_error.value) in str(ember_error.value)
    if exc is np.exceptions.AxisError:
        assert isinstance(ember_error.value, ValueError | IndexError)
        assert "error:" in str(ember_error.value)  # ember's source diagnostic


@pytest.mark.parametrize("text", ["a.min(axis=0)", "a.argmax(axis=0)", "np.amax(a)",
                                  "np.argmin(a)", "np.nanmax(a, 0)", "np.nanmin(a)"])
def test_empty_reductions_raise_numpys_value_error(text: str) -> None:
    name = "".join(c if c.isalnum() else "_" for c in text)
    jf = H.define(f"def f_empty_{name}(a):\n    return {text}\n", f"f_empty_{name}", {"np": np})
    a = np.ones((0, 3))
    with pytest.raises(ValueError) as numpy_error:
        jf.py_func(a)
    with pytest.raises(ValueError) as ember_error:
        jf(a)
    assert str(ember_error.value) == str(numpy_error.value)


@pytest.mark.parametrize("text,message", [
    ("np.percentile(a, 50)", "np.percentile() is not supported in compiled code yet"),
    ("a.sum(out=a)", "out=...) is not supported"),
    ("a.sum(initial=1)", "keyword 'initial' is not supported"),
    ("a.sum(axis=k)", "the axis must be a constant"),
])
def test_unsupported_reductions_are_compile_errors(text: str, message: str) -> None:
    from ember.diagnostics import EmberError

    name = "".join(c if c.isalnum() else "_" for c in text)
    jf = H.define(f"def f_no_{name}(a, k):\n    return {text}\n", f"f_no_{name}", {"np": np})
    with pytest.raises(EmberError, match=message.replace("(", r"\(").replace(")", r"\)")):
        jf(np.ones((2, 3)), 0)
