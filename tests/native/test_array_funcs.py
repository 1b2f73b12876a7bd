"""The everyday NumPy functions and n-d integer-array indexing (frontend/array_funcs.py,
frontend/array_library.py): compiled results against NumPy's, values, dtypes and the
exception type (and text) where NumPy raises."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from ember.diagnostics import EmberError

SETTINGS = settings(max_examples=25, deadline=None)


def same(got: object, want: object) -> None:
    """Equal values of the same dtype (NaNs equal), tuples item by item."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            same(g, w)
        return
    if isinstance(got, int | float) and np.ndim(want) == 0:  # ember's scalars: Python's
        assert got == want or (got != got and want != want), (got, want)
        return
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape, (g, w)
    assert g.dtype == w.dtype, (g.dtype, w.dtype)
    assert np.array_equal(g, w, equal_nan=g.dtype.kind == "f"), (g, w)


def close(got: object, want: object) -> None:
    """Reductions reorder sums: within a few ulps, same dtype."""
    if isinstance(got, int | float) and np.ndim(want) == 0:  # ember's scalars: Python's
        np.testing.assert_allclose(got, want, rtol=1e-12 if want.dtype == np.float64 else 1e-6)
        return
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape and g.dtype == w.dtype, (g, w)
    np.testing.assert_allclose(g, w, rtol=1e-12 if g.dtype == np.float64 else 1e-5)


_JIT: dict[object, object] = {}


def both(f, *args):  # type: ignore[no-untyped-def]
    """(compiled result or exception, NumPy's result or exception). One dispatcher per
    code object: hypothesis makes the test's inner functions again for each example."""
    compiled = _JIT.get(f.__code__)
    if compiled is None:
        compiled = _JIT[f.__code__] = ember.jit(f)
    out = []
    for fn in (compiled, f):
        try:
            out.append(fn(*args))
        except Exception as exc:  # noqa: BLE001 - compared below
            out.append(exc)
    return out


def agree(f, *args, compare=same):  # type: ignore[no-untyped-def]
    got, want = both(f, *args)
    if isinstance(want, Exception):
        assert type(got) is type(want), (got, want)
        assert str(got) == str(want)
        return
    assert not isinstance(got, Exception), got
    compare(got, want)


A = np.arange(12.0).reshape(3, 4)
X = np.array([1.0, 2.0, 3.0])
Y = np.array([4.0, 5.0, 7.0])

# --------------------------------------------------------------- the corpus kernels


def periodic_smooth(a):  # type: ignore[no-untyped-def]
    return (np.roll(a, 1) + a + np.roll(a, -1)) / 3


def roll_axis1(a):  # type: ignore[no-untyped-def]
    return np.roll(a, 1, axis=1)


def roll_axis0(a):  # type: ignore[no-untyped-def]
    return np.roll(a, -5, axis=-2)


def trace_ratio(a):  # type: ignore[no-untyped-def]
    return np.trace(a) / np.abs(a).sum()


def trace_offset(a):  # type: ignore[no-untyped-def]
    return np.trace(a, 1)


def cosine_similarity(x, y):  # type: ignore[no-untyped-def]
    return np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y))


def cross_entropy(p, labels):  # type: ignore[no-untyped-def]
    return -np.log(p[np.arange(labels.shape[0]), labels]).mean()


def one_hot(labels, k):  # type: ignore[no-untyped-def]
    out = np.zeros((labels.shape[0], k))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


@pytest.mark.parametrize("f, args", [
    (periodic_smooth, (A,)), (periodic_smooth, (np.arange(5),)), (roll_axis1, (A,)),
    (roll_axis0, (A,)), (roll_axis1, (np.zeros((0, 3)),)), (trace_ratio, (A,)),
    (trace_offset, (A.astype(np.int8),)), (cosine_similarity, (X, Y)),
    (cross_entropy, (np.full((4, 3), 0.25), np.array([0, 2, 1, 1]))),
    (one_hot, (np.array([0, 2, 1, 3]), 4)),
])
def test_corpus_kernels(f, args) -> None:  # type: ignore[no-untyped-def]
    agree(f, *args)


# --------------------------------------------------------------- np.roll


@SETTINGS
@given(hnp.arrays(np.int32, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)),
       st.integers(-9, 9))
def test_roll_flat_and_axes(a, shift) -> None:  # type: ignore[no-untyped-def]
    def flat(a, s):  # type: ignore[no-untyped-def]
        return np.roll(a, s)

    def last(a, s):  # type: ignore[no-untyped-def]
        return np.roll(a, s, axis=-1)

    def first(a, s):  # type: ignore[no-untyped-def]
        return np.roll(a, s, axis=0)

    for f in (flat, last, first):
        agree(f, a, shift)
        agree(f, a.T, shift)  # Fortran order
        agree(f, a[::-1], shift)  # a negative stride


def test_roll_by_tuples() -> None:
    def both_axes(a):  # type: ignore[no-untyped-def]
        return np.roll(a, (1, -2), axis=(0, 1))

    def one_shift(a):  # type: ignore[no-untyped-def]
        return np.roll(a, 2, axis=(1, 0))

    def repeated(a, s):  # type: ignore[no-untyped-def]
        return np.roll(a, (s, 1), axis=(1, 1))

    agree(both_axes, A)
    agree(one_shift, A)
    agree(repeated, A, 3)


def test_roll_axis_out_of_range_is_a_compile_error() -> None:
    def f(a):  # type: ignore[no-untyped-def]
        return np.roll(a, 1, axis=2)

    with pytest.raises(EmberError, match="axis 2 is out of bounds for array of dimension 2"):
        ember.jit(f)(A)


# --------------------------------------------------------------- np.linalg.norm


def norm_none(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x)


def norm_fro(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, "fro")


def norm_1(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, 1)


def norm_inf(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, np.inf)


def norm_minf(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, -np.inf)


def norm_0(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, 0)


def norm_3(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, 3)


def norm_axis1(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, axis=1)


def norm_axis0_1(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, 1, axis=0)


def norm_m1(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, -1)


def norm_keep(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, keepdims=True)


def norm_axis_keep(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, axis=-1, keepdims=True)


def norm_inf_keep(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, np.inf, keepdims=True)


def norm_both_axes(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, axis=(0, 1))


def norm_swapped_1(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, 1, axis=(1, 0))


def norm_swapped_minf(x):  # type: ignore[no-untyped-def]
    return np.linalg.norm(x, -np.inf, (1, 0), True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_norm_over_two_axes(dtype) -> None:  # type: ignore[no-untyped-def]
    m = (np.arange(12) - 5).reshape(3, 4).astype(dtype)
    for f in (norm_both_axes, norm_swapped_1, norm_swapped_minf):
        agree(f, m, compare=close)

    def dup(x):  # type: ignore[no-untyped-def]
        return np.linalg.norm(x, axis=(1, 1))

    with pytest.raises(EmberError, match="Duplicate axes given"):
        ember.jit(dup)(m)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_norms_keepdims(dtype) -> None:  # type: ignore[no-untyped-def]
    m = (np.arange(12) - 5).reshape(3, 4).astype(dtype)
    for f in (norm_keep, norm_axis_keep, norm_inf_keep):
        agree(f, m, compare=close)
        agree(f, m[0], compare=close)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int16])
def test_norms(dtype) -> None:  # type: ignore[no-untyped-def]
    m = (np.arange(12) - 5).reshape(3, 4).astype(dtype)
    v = m[1]
    for f in (norm_none, norm_1, norm_inf, norm_minf, norm_0, norm_3):
        agree(f, v, compare=close)
    for f in (norm_none, norm_fro, norm_1, norm_inf, norm_minf, norm_axis1, norm_axis0_1,
              norm_m1):
        agree(f, m, compare=close)


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e6, 1e6)))
def test_norm_of_vectors(v) -> None:  # type: ignore[no-untyped-def]
    for f in (norm_none, norm_1, norm_inf, norm_3):
        agree(f, v, compare=close)


def test_norm_refusals() -> None:
    def nuc(x):  # type: ignore[no-untyped-def]
        return np.linalg.norm(x, "nuc")

    with pytest.raises(EmberError, match="ord='nuc' is not supported"):
        ember.jit(nuc)(A)

    def bad(x):  # type: ignore[no-untyped-def]
        return np.linalg.norm(x, 3)

    with pytest.raises(EmberError, match="Invalid norm order for matrices"):
        ember.jit(bad)(A)


# --------------------------------------------------------------- diff, cross


@SETTINGS
@given(hnp.arrays(st.sampled_from([np.int64, np.float64, np.bool_, np.uint8]),
                  hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)))
def test_diff(a) -> None:  # type: ignore[no-untyped-def]
    def d1(a):  # type: ignore[no-untyped-def]
        return np.diff(a)

    def d2(a):  # type: ignore[no-untyped-def]
        return np.diff(a, n=2, axis=0)

    def d0(a):  # type: ignore[no-untyped-def]
        return np.diff(a, 0)

    for f in (d1, d2, d0):
        agree(f, a)
        agree(f, a.T)
        agree(f, a[::-1])


def test_diff_negative_order() -> None:
    def f(a):  # type: ignore[no-untyped-def]
        return np.diff(a, -1)

    with pytest.raises(EmberError, match="order must be non-negative but got -1"):
        ember.jit(f)(X)


def cross(a, b):  # type: ignore[no-untyped-def]
    return np.cross(a, b)


@SETTINGS
@given(hnp.arrays(np.float64, 3, elements=st.floats(-100, 100)),
       hnp.arrays(np.float64, (4, 3), elements=st.floats(-100, 100)))
def test_cross(v, m) -> None:  # type: ignore[no-untyped-def]
    agree(cross, v, v[::-1].copy())
    agree(cross, v, m)
    agree(cross, m, v)
    agree(cross, m, m[::-1])
    agree(cross, v.astype(np.int8), v.astype(np.int32))


def test_cross_errors() -> None:
    agree(cross, np.arange(4.0), np.arange(4.0))  # NumPy's ValueError and text
    with pytest.raises(ValueError, match="2-element vectors"):
        ember.jit(cross)(np.arange(2.0), np.arange(2.0))


# --------------------------------------------------------------- take, repeat, tile


@SETTINGS
@given(hnp.arrays(np.int64, (3, 4)), hnp.arrays(np.int64, st.integers(0, 5),
                                                elements=st.integers(-3, 2)))
def test_take(a, idx) -> None:  # type: ignore[no-untyped-def]
    def flat(a, i):  # type: ignore[no-untyped-def]
        return np.take(a, i)

    def ax1(a, i):  # type: ignore[no-untyped-def]
        return np.take(a, i, axis=1)

    def ax0(a, i):  # type: ignore[no-untyped-def]
        return np.take(a, i, axis=0)

    def one(a, i):  # type: ignore[no-untyped-def]
        return np.take(a, i[0]) if i.shape[0] > 0 else 0

    for f in (flat, ax1, ax0):
        agree(f, a, idx)
    agree(one, a, idx)
    agree(flat, a, np.array([12]))  # IndexError, NumPy's text


@SETTINGS
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3)),
       st.integers(-1, 3))
def test_repeat_and_tile(a, r) -> None:  # type: ignore[no-untyped-def]
    def rep(a, r):  # type: ignore[no-untyped-def]
        return np.repeat(a, r)

    def rep_last(a, r):  # type: ignore[no-untyped-def]
        return np.repeat(a, r, axis=-1)

    def tile(a, r):  # type: ignore[no-untyped-def]
        return np.tile(a, r)

    for f in (rep, rep_last):
        agree(f, a, r)
    if r < 0 and a.size == 0:
        return  # np.tile: a reshape error or an empty array, as its shapes fall out
    agree(tile, a, r)
    if a.ndim <= 2:
        def tile2(a, r):  # type: ignore[no-untyped-def]
            return np.tile(a, (r, 2))

        agree(tile2, a, r)


@SETTINGS
@given(hnp.arrays(np.int64, st.integers(0, 4), elements=st.integers(-1, 3)))
def test_repeat_counts(counts) -> None:  # type: ignore[no-untyped-def]
    def flat(a, c):  # type: ignore[no-untyped-def]
        return np.repeat(a, c)

    def rows(a, c):  # type: ignore[no-untyped-def]
        return np.repeat(a, c, axis=0)

    def cols(a, c):  # type: ignore[no-untyped-def]
        return np.repeat(a, c, axis=1)

    m = np.arange(12).reshape(3, 4)
    agree(flat, np.arange(counts.size), counts)
    agree(flat, m[0, :3], counts)  # broadcast errors when the lengths differ
    agree(rows, m, counts)
    agree(cols, m, counts)


# --------------------------------------------------------------- argwhere, meshgrid


@SETTINGS
@given(hnp.arrays(np.int8, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)))
def test_argwhere(a) -> None:  # type: ignore[no-untyped-def]
    def f(a):  # type: ignore[no-untyped-def]
        return np.argwhere(a > 0)

    def g(a):  # type: ignore[no-untyped-def]
        return np.argwhere(a)

    agree(f, a)
    agree(g, a)


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(0, 4)), hnp.arrays(np.int32, st.integers(0, 4)))
def test_meshgrid(x, y) -> None:  # type: ignore[no-untyped-def]
    def xy(x, y):  # type: ignore[no-untyped-def]
        return np.meshgrid(x, y)

    def ij(x, y):  # type: ignore[no-untyped-def]
        return np.meshgrid(x, y, indexing="ij")

    agree(xy, x, y)
    agree(ij, x, y)


def test_meshgrid_bad_indexing() -> None:
    def f(x):  # type: ignore[no-untyped-def]
        return np.meshgrid(x, x, indexing="xx")

    with pytest.raises(EmberError, match="Valid values for `indexing` are 'xy' and 'ij'"):
        ember.jit(f)(X)


# --------------------------------------------------------------- comparisons


FLOATS = st.sampled_from([0.0, -0.0, 1.0, 1.0 + 1e-9, 1e-9, np.inf, -np.inf, np.nan, 1e300,
                          2.5, 2.5000001])


@SETTINGS
@given(hnp.arrays(np.float64, 5, elements=FLOATS), hnp.arrays(np.float64, 5, elements=FLOATS))
def test_isclose_allclose(a, b) -> None:  # type: ignore[no-untyped-def]
    def isclose(a, b):  # type: ignore[no-untyped-def]
        return np.isclose(a, b)

    def isclose_nan(a, b):  # type: ignore[no-untyped-def]
        return np.isclose(a, b, rtol=1e-3, atol=0.0, equal_nan=True)

    def allclose(a, b):  # type: ignore[no-untyped-def]
        return np.allclose(a, b)

    def scalars(a, b):  # type: ignore[no-untyped-def]
        return np.isclose(a[0], b[0])

    for f in (isclose, isclose_nan, allclose):
        agree(f, a, b)
        agree(f, a.astype(np.float32), b)
    got, want = both(scalars, a, b)
    assert bool(got) == bool(want)
    agree(isclose, a, b[:1])  # broadcast
    agree(isclose, np.arange(5), b)  # int x


@SETTINGS
@given(hnp.arrays(np.int64, st.integers(0, 4), elements=st.integers(0, 2)),
       hnp.arrays(np.int64, st.integers(0, 4), elements=st.integers(0, 2)))
def test_array_equal(a, b) -> None:  # type: ignore[no-untyped-def]
    def f(a, b):  # type: ignore[no-untyped-def]
        return np.array_equal(a, b)

    def nd(a, b):  # type: ignore[no-untyped-def]
        return np.array_equal(a, b.reshape((1, -1)))

    def nan(a, b):  # type: ignore[no-untyped-def]
        return np.array_equal(a / 0.0, b / 0.0, equal_nan=True)

    agree(f, a, b)
    agree(f, a, a.copy())
    agree(nd, a, b)
    with np.errstate(all="ignore"):
        agree(nan, a, b)


# --------------------------------------------------------------- round, interp


def round_m2(a):  # type: ignore[no-untyped-def]
    return np.round(a, -2)


def round_0(a):  # type: ignore[no-untyped-def]
    return np.round(a)


def around_1(a):  # type: ignore[no-untyped-def]
    return np.around(a, decimals=1)


def round_3(a):  # type: ignore[no-untyped-def]
    return np.round(a, 3)


def round_ints(a):  # type: ignore[no-untyped-def]
    return np.round(a.astype(np.int32), 2)


@SETTINGS
@given(hnp.arrays(st.sampled_from([np.float64, np.float32]), st.integers(0, 6),
                  elements=st.floats(-1e6, 1e6, width=32)))
def test_round(a) -> None:  # type: ignore[no-untyped-def]
    for f in (round_m2, round_0, around_1, round_3, round_ints):
        agree(f, a)


def test_round_a_number() -> None:
    def f(x):  # type: ignore[no-untyped-def]
        return np.round(x, 2)

    assert ember.jit(f)(2.675) == f(2.675)
    assert ember.jit(f)(-7) == f(-7)
    assert ember.jit(round_m2)(1234.5) == round_m2(1234.5)


def test_take_with_nd_indices() -> None:
    def f(a, i):  # type: ignore[no-untyped-def]
        return np.take(a, i)

    agree(f, A, np.array([[0, 11], [-1, 3]]))
    agree(f, A, np.array([[0, 12]]))  # IndexError


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(0, 8), elements=st.floats(-5, 5) | st.just(np.nan)),
       st.lists(st.floats(-4, 4), min_size=1, max_size=6, unique=True))
def test_interp(x, points) -> None:  # type: ignore[no-untyped-def]
    xp = np.sort(np.array(points))
    fp = np.cos(xp)

    def f(x, xp, fp):  # type: ignore[no-untyped-def]
        return np.interp(x, xp, fp)

    def sides(x, xp, fp):  # type: ignore[no-untyped-def]
        return np.interp(x, xp, fp, left=-1.0, right=10)

    def scalar(xp, fp):  # type: ignore[no-untyped-def]
        return np.interp(0.5, xp, fp)

    agree(f, x, xp, fp)
    agree(sides, x, xp, fp)
    agree(f, x.reshape(-1, 1) if x.size else x, xp, fp)
    got, want = both(scalar, xp, fp)
    assert got == want


def test_interp_errors() -> None:
    def f(x, xp, fp):  # type: ignore[no-untyped-def]
        return np.interp(x, xp, fp)

    agree(f, X, np.zeros(0), np.zeros(0))
    agree(f, X, X, X[:2])


# --------------------------------------------------------------- n-d integer indexing


@SETTINGS
@given(hnp.arrays(np.int64, st.integers(0, 6), elements=st.integers(-3, 2)),
       hnp.arrays(np.int64, st.integers(0, 6), elements=st.integers(-4, 3)))
def test_pairs_read_and_write(i, j) -> None:  # type: ignore[no-untyped-def]
    def read(a, i, j):  # type: ignore[no-untyped-def]
        return a[i, j]

    def row(a, j):  # type: ignore[no-untyped-def]
        return a[1, j]

    def write(a, i, j):  # type: ignore[no-untyped-def]
        b = a.copy()
        b[i, j] = -1.5
        return b

    def write_values(a, i, j):  # type: ignore[no-untyped-def]
        b = a.copy()
        b[i, j] = i * 10
        return b

    agree(read, A, i, j)
    agree(row, A, j)
    agree(write, A, i, j)
    agree(write, A.astype(np.int32), i, j)
    if i.shape == j.shape:
        agree(write_values, A, i, j)


@SETTINGS
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=2, max_dims=3, min_side=0, max_side=3),
                  elements=st.integers(-5, 4)))
def test_nd_index_arrays(idx) -> None:  # type: ignore[no-untyped-def]
    def lookup(a, idx):  # type: ignore[no-untyped-def]
        return a[idx]

    def store(a, idx):  # type: ignore[no-untyped-def]
        b = a.copy()
        b[idx] = 7
        return b

    def store_values(a, idx):  # type: ignore[no-untyped-def]
        b = a.copy()
        b[idx] = idx * 2
        return b

    v = np.arange(5.0)
    agree(lookup, v, idx)
    agree(store, v, idx)
    agree(store_values, v.astype(np.int64), idx)
    if idx.ndim == 2:
        agree(lookup, A[:, :3].T.copy() if False else np.arange(10.0).reshape(5, 2), idx)


def test_columns_and_rows_then_columns() -> None:
    def cols(a, c):  # type: ignore[no-untyped-def]
        return a[:, c]

    def rows_cols(a, r, c):  # type: ignore[no-untyped-def]
        return a[r][:, c]

    agree(cols, A, np.array([3, 0, -1]))
    agree(rows_cols, A, np.array([2, 0]), np.array([1, 1, 3]))
    agree(cols, A, np.array([4]))  # IndexError


def test_unsupported_index_names_the_construct() -> None:
    def f(a, i):  # type: ignore[no-untyped-def]
        return a[i, :, i]

    with pytest.raises(EmberError, match="integer-array index"):
        ember.jit(f)(np.zeros((2, 2, 2)), np.array([0, 1]))


def test_rows_assigned_through_an_index() -> None:
    def per_row(a, idx, v):  # type: ignore[no-untyped-def]
        b = a.copy()
        b[idx] = v
        return b

    def reversed_rows(a, idx):  # type: ignore[no-untyped-def]
        b = a.copy()
        b[idx] = b[::-1]  # overlaps b: NumPy reads it first
        return b

    rows = np.array([2, 0, -1])
    agree(per_row, A, rows, np.ones((3, 4)))
    agree(per_row, A, rows, np.arange(4.0))  # one row for all
    agree(per_row, A, rows, np.ones((1, 4)))
    agree(reversed_rows, A, rows)
    agree(per_row, A.astype(np.int64), rows, np.full((3, 4), 7))
    got, want = both(per_row, A, rows, np.ones((2, 4)))
    assert type(got) is type(want) is ValueError


def _many(a, i, j):  # type: ignore[no-untyped-def]
    b = np.roll(a, 1, axis=1) + np.diff(np.tile(a, (1, 2)), axis=1)[:, :4]
    b[i, j] = 1.0
    return (b[i, j].sum() + np.interp(0.5, a[0], a[1]) + np.linalg.norm(a)
            + np.repeat(a, 2).sum() + np.take(a, j, axis=1).sum())


def test_library_calls_keep_memory_flat() -> None:
    import resource

    f = ember.jit(_many)
    a, i, j = np.random.default_rng(1).random((3, 4)), np.array([0, 2]), np.array([1, 3])
    assert f(a, i, j) == pytest.approx(_many(a, i, j), rel=1e-12)
    for _ in range(5000):
        f(a, i, j)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(50000):
        f(a, i, j)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 4096  # KB


def test_too_many_dimensions_are_refused_by_name() -> None:
    def argwhere(a):  # type: ignore[no-untyped-def]
        return np.argwhere(a)

    def equal(a, b):  # type: ignore[no-untyped-def]
        return np.array_equal(a, b)

    deep = np.zeros((1,) * 7)
    with pytest.raises(EmberError, match="np.argwhere.. of a 7-d array"):
        ember.jit(argwhere)(deep)
    with pytest.raises(EmberError, match="shapes of 7-d arrays"):
        ember.jit(equal)(deep, deep)


def test_index_arrays_of_different_dimensions_are_refused() -> None:
    def read(a, i, j):  # type: ignore[no-untyped-def]
        return a[i, j]

    def write(a, i, j):  # type: ignore[no-untyped-def]
        a[i, j] = 0.0

    i2, j1 = np.zeros((2, 2), np.int64), np.zeros(2, np.int64)
    for f in (read, write):
        with pytest.raises(EmberError, match="a 2-d and a 1-d int array together"):
            ember.jit(f)(A.copy(), i2, j1)
