"""Fancy and mask indexing and NumPy's 1-D data functions (nonzero, unique, bincount,
histogram, searchsorted) in compiled code: differential against NumPy 2 with
hypothesis — every dtype, lengths 0 and 1, all-true/all-false masks, duplicate and
negative indices, NaN/inf/-0.0 — values bit for bit, exception types and texts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness, any import mode

from _harness import PROFILE, same  # noqa: E402  (strict, arrays included)

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.runtime.dispatch import jit  # noqa: E402
from ember.native.types import DTYPE_NAMES  # noqa: E402

# The real dtypes: complex arrays are tested in test_complex_arrays.py (sorting, searching
# and NumPy's other complex loops are refused there).
DTYPE_NAMES = tuple(d for d in DTYPE_NAMES if not d.startswith("complex"))

EXAMPLES = settings(PROFILE, max_examples=60)
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 3.0, 2.0**60]


def values_of(dtype: str, shape: Any) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``dtype`` with small repeated values (ties) and the special floats."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        elements = st.one_of(st.sampled_from(SPECIAL), st.integers(-4, 4).map(float),
                             st.floats(width=dt.itemsize * 8))
    elif dt.kind == "b":
        elements = st.booleans()
    else:
        info = np.iinfo(dt)
        elements = st.one_of(st.integers(max(info.min, -5), 5),
                             st.integers(int(info.min), int(info.max)))
    return hnp.arrays(dt, shape, elements=elements)


def zeros_equal(a: Any, b: Any) -> bool:
    """Equal up to the sign of zeros (NumPy's unstable sorts may order -0.0 and 0.0
    either way): same dtype, shape, NaN positions and values."""
    if isinstance(a, tuple):
        return isinstance(b, tuple) and all(map(zeros_equal, a, b))
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return same(a, b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def plain(v: Any) -> Any:
    """A NumPy scalar as its Python value, inside tuples too (compiled code returns
    Python ints and floats where NumPy returns np.int64: issue 12's NumPy-scalars part)."""
    if isinstance(v, tuple):
        return tuple(plain(x) for x in v)
    return v.item() if isinstance(v, np.generic) else v


def agree(fn: Any, *args: Any, compare: Any = same) -> Any:
    """``fn`` (a @jit function) and its Python original agree on fresh copies of the
    array arguments: the same value (a NumPy scalar counts as its Python value) or the
    same exception type and message, and the same arrays after the call."""
    outcomes = []
    for f in (fn.py_func, fn):
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        try:
            result, exc = f(*copies), None
        except Exception as e:  # noqa: BLE001 - the type and text are what is compared
            result, exc = str(e), type(e)
        outcomes.append((plain(result), exc, copies))
    (py, py_exc, py_args), (got, got_exc, got_args) = outcomes
    where = f"{fn.__name__}{args!r}: python={py!r} raised {py_exc}, ember={got!r} raised {got_exc}"
    assert got_exc is py_exc, where
    if py_exc is not None:
        assert got == py, where  # NumPy's message
        return py
    assert compare(got, py), where
    for p, g in zip(py_args, got_args, strict=True):
        if isinstance(p, np.ndarray):
            assert same(g, p), f"{where}; arguments after: {p!r} vs {g!r}"
    return py


dtypes = st.sampled_from(DTYPE_NAMES)
lengths = st.integers(0, 12)


# ------------------------------------------------------------ a[mask], a[idx]


@jit(cache=False)
def mask_get(a, m):
    return a[m]


@jit(cache=False)
def take_get(a, idx):
    return a[idx]


@jit(cache=False)
def mask_set(a, m, v):
    a[m] = v
    return 0


@jit(cache=False)
def take_set(a, idx, v):
    a[idx] = v
    return 0


@st.composite
def array_and_mask(draw: Any, same_shape: bool = True) -> tuple[np.ndarray, np.ndarray]:
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    a = draw(values_of(draw(dtypes), shape))
    k = ndim if same_shape else draw(st.integers(1, ndim))
    mshape = shape[:k]
    if draw(st.integers(0, 9)) == 0:  # a wrong extent somewhere
        axis = draw(st.integers(0, k - 1))
        mshape = (*mshape[:axis], mshape[axis] + draw(st.sampled_from([-1, 1])) if mshape[axis]
                  else 1, *mshape[axis + 1:])
    fill = draw(st.sampled_from(["random", "all", "none"]))
    if fill == "random":
        m = draw(hnp.arrays(np.bool_, mshape))
    else:
        m = np.full(mshape, fill == "all")
    if draw(st.booleans()) and a.ndim == 1 and m.ndim == 1:  # strided views
        a, m = np.repeat(a, 2)[::2], np.repeat(m, 2)[::-2][::-1]
    return a, m


@EXAMPLES
@given(array_and_mask(same_shape=False))
def test_mask_get(am: tuple[np.ndarray, np.ndarray]) -> None:
    agree(mask_get, *am)


@EXAMPLES
@given(array_and_mask(), st.one_of(st.integers(-300, 300), st.floats(-10, 10), st.booleans()))
def test_mask_set_scalar(am: tuple[np.ndarray, np.ndarray], v: Any) -> None:
    a, m = am
    if a.dtype.kind in "iu" and isinstance(v, float):
        v = int(v)  # (a float into an int array: truncated alike, tested elsewhere)
    agree(mask_set, a, m, v)


@EXAMPLES
@given(array_and_mask(), st.integers(-1, 2), st.data())
def test_mask_set_array(am: tuple[np.ndarray, np.ndarray], extra: int, data: Any) -> None:
    a, m = am
    if a.ndim != m.ndim:
        return
    n = max(0, int(m.sum()) + extra) if extra != 2 else 1
    v = data.draw(values_of(a.dtype.name, (n,)))
    agree(mask_set, a, m, v)


@st.composite
def array_and_indices(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    ndim = draw(st.integers(1, 2))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=ndim, max_size=ndim)))
    a = draw(values_of(draw(dtypes), shape))
    n = shape[0]
    lo, hi = -n - 1, n  # one past each end: IndexError
    idx_dtype = draw(st.sampled_from(["int64", "int32", "int8", "uint8", "uint16"]))
    if np.dtype(idx_dtype).kind == "u":
        lo = 0
    idx = np.array(draw(st.lists(st.integers(lo, hi), max_size=8)), dtype=idx_dtype)
    return a, idx


@EXAMPLES
@given(array_and_indices())
def test_take_get(ai: tuple[np.ndarray, np.ndarray]) -> None:
    agree(take_get, *ai)


@EXAMPLES
@given(array_and_indices(), st.integers(-300, 300), st.data())
def test_take_set(ai: tuple[np.ndarray, np.ndarray], v: int, data: Any) -> None:
    a, idx = ai
    if a.dtype.kind == "b":
        v = bool(v)
    agree(take_set, a, idx, v)
    if a.ndim == 1:
        n = data.draw(st.sampled_from([len(idx), 1, max(0, len(idx) - 1), len(idx) + 1]))
        agree(take_set, a, idx, data.draw(values_of(a.dtype.name, (n,))))


def test_index_errors_are_numpys() -> None:
    a = np.arange(3.0)
    with pytest.raises(IndexError, match="boolean index did not match indexed array along "
                       "axis 0; size of axis is 3 but size of corresponding boolean axis is 4"):
        mask_get(a, np.ones(4, bool))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        take_get(a, np.array([0, 5]))
    with pytest.raises(ValueError, match="cannot assign 3 input values to the 2 output values"):
        mask_set(a, np.array([True, False, True]), np.ones(3))
    b = np.arange(3.0)
    with pytest.raises(IndexError):
        take_set(b, np.array([0, 5]), 7.0)
    assert b[0] == 0.0  # every index is checked before the first store, as in NumPy


@jit(cache=False)
def bad_index(a, f):
    return a[f]


@jit(cache=False)
def augmented(a, m):
    a[m] += 1
    return 0


def test_refusals_are_compile_errors() -> None:
    with pytest.raises(EmberError, match="augmented assignment through an array index"):
        augmented(np.zeros(3), np.ones(3, bool))
    with pytest.raises(EmberError, match="integer \\(or boolean\\)"):
        bad_index(np.arange(3.0), np.zeros(2))
    with pytest.raises(EmberError, match="too many indices"):
        bad_index(np.arange(3.0), np.zeros((1, 3), bool))


# ------------------------------------------------------------ data functions


@jit(cache=False)
def nonzeros(a):
    return np.nonzero(a), np.flatnonzero(a), int(np.count_nonzero(a)), a.nonzero()


@EXAMPLES
@given(dtypes.flatmap(lambda d: values_of(d, hnp.array_shapes(min_dims=1, max_dims=3,
                                                              min_side=0, max_side=4))))
def test_nonzero(a: np.ndarray) -> None:
    agree(nonzeros, a)


@jit(cache=False)
def uniques(a):
    return np.unique(a), np.unique(a, return_counts=True)


@EXAMPLES
@given(dtypes.flatmap(lambda d: values_of(d, hnp.array_shapes(min_dims=1, max_dims=2,
                                                              min_side=0, max_side=8))))
def test_unique(a: np.ndarray) -> None:
    agree(uniques, a, compare=zeros_equal)  # which zero is kept follows the sort


@jit(cache=False)
def counts(x, n):
    return np.bincount(x), np.bincount(x, minlength=n)


@jit(cache=False)
def weighted(x, w):
    return np.bincount(x, weights=w)


@EXAMPLES
@given(st.sampled_from(["int64", "int32", "int8", "uint8", "uint32", "bool"]),
       st.lists(st.integers(-1, 9), max_size=12), st.integers(-1, 15), st.data())
def test_bincount(dtype: str, items: list[int], n: int, data: Any) -> None:
    if dtype[0] == "u" or dtype == "bool":
        items = [abs(i) for i in items]
    x = np.array(items, dtype=dtype)
    agree(counts, x, n)
    if len(x):  # (empty: NumPy returns an int64 array despite weights)
        w = data.draw(values_of(data.draw(st.sampled_from(["float64", "int32", "float32"])),
                                (data.draw(st.sampled_from([len(x), len(x) + 1])),)))
        agree(weighted, x, w)


@jit(cache=False)
def hist(a, bins):
    return np.histogram(a, bins)


@jit(cache=False)
def hist_default(a):
    return np.histogram(a)


@EXAMPLES
@given(st.sampled_from(["float64", "float32", "int64", "int16", "uint8"]), st.integers(-1, 13),
       st.data())
def test_histogram(dtype: str, bins: int, data: Any) -> None:
    if data.draw(st.booleans()):
        a = data.draw(values_of(dtype, hnp.array_shapes(min_dims=1, max_dims=2, max_side=30)))
    else:  # spread data: many bins hit, edges computed from odd ranges
        n = data.draw(st.integers(0, 200))
        scale = data.draw(st.sampled_from([1e-3, 1.0, 7.3, 1e6]))
        a = (np.random.default_rng(data.draw(st.integers(0, 99))).normal(size=n) * scale
             ).astype(dtype)
    agree(hist, a, bins)
    agree(hist_default, a)


@jit(cache=False)
def search(a, v):
    return np.searchsorted(a, v), np.searchsorted(a, v, side="right")


@EXAMPLES
@given(dtypes, st.data())
def test_searchsorted(dtype: str, data: Any) -> None:
    a = np.sort(data.draw(values_of(dtype, (data.draw(lengths),))))
    v = data.draw(values_of(dtype, (data.draw(lengths),)))
    if dtype == "uint64" and (a >= 2**63).any() | (v >= 2**63).any():
        # The documented load rule: uint64 computes in int64, so an element of 2**63 or
        # more raises OverflowError (README) instead of being compared.
        with pytest.raises(OverflowError):
            search(a, v)
        return
    agree(search, a, v)
    for x in v[:3]:
        agree(search, a, x.item())
    for x in (0.1, 0.2, 1e40, -1e40, np.nan, 2, -3):  # float32 keys: compared as float64
        agree(search, np.array([0.1, 0.2, 0.2, np.nan], np.float32), x)
