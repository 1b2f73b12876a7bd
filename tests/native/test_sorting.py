"""np.sort, np.argsort and a.sort() in compiled code (the merge sort of
codegen/sorting.py): differential against NumPy 2 with hypothesis over every dtype,
lengths 0, 1 and past the insertion-sort runs, ties, NaN/inf/-0.0, strided views.
``kind='stable'`` is compared bit for bit (values and the order of equal keys); NumPy's
default kind is not stable, so there the values are compared up to the sign of zeros
and an argsort by what it must be: a permutation that sorts."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness, any import mode

from _harness import PROFILE, same  # noqa: E402
from test_fancy import agree, values_of, zeros_equal  # noqa: E402

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.runtime.dispatch import jit  # noqa: E402
from ember.native.types import DTYPE_NAMES  # noqa: E402

# The real dtypes: complex arrays are tested in test_complex_arrays.py (sorting, searching
# and NumPy's other complex loops are refused there).
DTYPE_NAMES = tuple(d for d in DTYPE_NAMES if not d.startswith("complex"))

EXAMPLES = settings(PROFILE, max_examples=80)
arrays = st.sampled_from(DTYPE_NAMES).flatmap(
    lambda d: values_of(d, st.one_of(st.integers(0, 20), st.integers(0, 300)).map(lambda n: (n,))))


@jit(cache=False)
def sort_stable(a):
    return np.sort(a, kind="stable"), np.argsort(a, kind="stable")


@jit(cache=False)
def sort_default(a):
    return np.sort(a)


@jit(cache=False)
def argsort_default(a):
    return np.argsort(a)


@jit(cache=False)
def sort_method(a):
    a.sort()
    return 0


@jit(cache=False)
def sort_method_stable(a):
    a.sort(kind="stable")
    return a.argsort(kind="mergesort")


@EXAMPLES
@given(arrays)
def test_stable_sorts_are_numpys_bit_for_bit(a: np.ndarray) -> None:
    agree(sort_stable, a)
    agree(sort_method_stable, a)


@EXAMPLES
@given(arrays, st.booleans())
def test_default_sort(a: np.ndarray, strided: bool) -> None:
    if strided:
        a = np.repeat(a, 2)[::-2]  # a negative-stride view
    agree(sort_default, a, compare=zeros_equal)
    b = a.copy()
    assert sort_method(b) == 0  # in place, through the view's strides
    assert zeros_equal(b, np.sort(a)), (b, np.sort(a))


@EXAMPLES
@given(arrays)
def test_default_argsort_is_a_sorting_permutation(a: np.ndarray) -> None:
    order = argsort_default(a)
    assert order.dtype == np.int64 and order.shape == a.shape
    assert np.array_equal(np.sort(order), np.arange(len(a)))
    assert zeros_equal(a[order], np.sort(a))


def test_special_floats_sort_as_numpy() -> None:
    a = np.array([np.nan, np.inf, -0.0, 0.0, -np.inf, 1.0, -np.nan, 0.0, -0.0, 5e-324])
    for dtype in ("float64", "float32"):
        x = a.astype(dtype)
        s, o = sort_stable(x)
        assert same(s, np.sort(x, kind="stable")) and same(o, np.argsort(x, kind="stable"))


def test_long_arrays() -> None:
    rng = np.random.default_rng(0)
    for n in (1000, 4097):
        for x in (rng.normal(size=n), rng.integers(-5, 5, n), rng.integers(0, 2, n) > 0):
            s, o = sort_stable(x)
            assert same(s, np.sort(x, kind="stable")) and same(o, np.argsort(x, kind="stable"))


@jit(cache=False)
def sort_2d(a):
    return np.sort(a)


@jit(cache=False)
def sort_kind(a):
    return np.sort(a, kind="bogo")


def test_refusals() -> None:
    with pytest.raises(EmberError, match="2-d array is not supported"):
        sort_2d(np.zeros((2, 2)))
    with pytest.raises(EmberError, match="not one of NumPy's"):
        sort_kind(np.zeros(2))


def test_sorting_read_only_is_refused() -> None:
    a = np.zeros(3)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        sort_method(a)
