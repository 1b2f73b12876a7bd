"""Differential tests, array item stores: ``a[i] = v`` and ``a[i] op= v`` interpreted
(CPython with NumPy) vs compiled, comparing the result, the exception type and the
arrays' contents afterwards.

Python's order: for ``a[i] = v`` the value, then ``a``, then ``i``, then the store
(with NumPy's bounds check before its conversion of the value); for ``a[i] op= v``
``a``, ``i``, the load, ``v``, the store. The strict comparison is the fuzzer's.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness, any import mode

from _fuzz.oracle import same  # noqa: E402  (strict, arrays included)

from ember.native.dispatch import jit  # noqa: E402


def check_store(fn: Any, *arrays: np.ndarray, extra: tuple[Any, ...] = ()) -> None:
    """``fn`` (a @jit function) and its Python original agree on fresh copies of
    ``arrays``: the same value or exception type, and the same array contents after."""
    outcomes = []
    for f in (fn.py_func, fn):
        args = [a.copy() for a in arrays]
        try:
            result, exc = f(*args, *extra), None
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            result, exc = None, type(e)
        if isinstance(result, np.generic):  # NumPy's scalar: compiled code gives Python's
            result = result.item()
        outcomes.append((result, exc, args))
    (py, py_exc, py_arrays), (got, got_exc, got_arrays) = outcomes
    where = f"{fn.__name__}: python={py!r} raised {py_exc}, ember={got!r} raised {got_exc}"
    assert got_exc is py_exc, where
    assert same(got, py), where
    for p, g in zip(py_arrays, got_arrays, strict=True):
        assert same(g, p), f"{where}; arrays {p!r} vs {g!r}"


# ----------------------------------------------------------- evaluation order


@jit(cache=False)
def set_first_to_ten(a):
    a[0] = 10
    return 0


@jit(cache=False)
def value_mutates_the_index(a):
    a[a[0]] = set_first_to_ten(a)  # the value first: the index then reads 10
    return a[0]


@jit(cache=False)
def value_raises_before_index(a):
    a[1 // len(a)] = a[0]  # empty: the value's IndexError, not the index's ZeroDivisionError
    return 0


@jit(cache=False)
def aug_index_mutated_by_value(a):
    a[a[0]] += set_first_to_ten(a)  # a, i (0), the load, then the value
    return a[0]


@jit(cache=False)
def aug_load_raises_before_value(a):
    a[0] += 1 // len(a)  # empty: the load's IndexError first
    return 0


@jit(cache=False)
def note(log, k):
    """Record event ``k``: log[0] counts the events, log[1:] holds them in order."""
    log[log[0] + 1] = k
    log[0] += 1
    return 0


@jit(cache=False)
def noted(a, log, k):
    note(log, k)
    return a


@jit(cache=False)
def order_of_store_to_computed_array(a, log):
    noted(a, log, 2)[note(log, 3)] = note(log, 1) + 5
    return a[0]


@jit(cache=False)
def order_of_aug_store_to_computed_array(a, log):
    noted(a, log, 1)[note(log, 2)] += note(log, 3) + 5
    return a[0]


@jit(cache=False)
def index_raises_after_computed_array(a, log):
    noted(a, log, 2)[1 // (int(log[0]) - 2)] = note(log, 1)  # two events: ZeroDivisionError
    return 0


def test_value_is_evaluated_before_the_index() -> None:
    check_store(value_mutates_the_index, np.zeros(12, np.int64))
    a = np.zeros(12, np.int64)
    assert value_mutates_the_index(a) == 10 and a[10] == 0


def test_value_raises_before_the_index() -> None:
    check_store(value_raises_before_index, np.zeros(0, np.int64))
    with pytest.raises(IndexError):
        value_raises_before_index(np.zeros(0, np.int64))


def test_augmented_store_loads_before_the_value() -> None:
    check_store(aug_index_mutated_by_value, np.zeros(12, np.int64))
    check_store(aug_load_raises_before_value, np.zeros(0, np.int64))


def test_store_to_a_computed_array_keeps_pythons_order() -> None:
    for fn in (order_of_store_to_computed_array, order_of_aug_store_to_computed_array):
        log = np.zeros(5, np.int64)
        fn(np.zeros(3, np.int64), log)
        assert log.tolist() == [3, 1, 2, 3, 0], fn.__name__
        check_store(fn, np.zeros(3, np.int64), np.zeros(5, np.int64))


def test_an_index_that_raises_after_a_computed_array_releases_it() -> None:
    a, log = np.zeros(3, np.int64), np.zeros(5, np.int64)
    before = sys.getrefcount(a)
    with pytest.raises(ZeroDivisionError):
        index_raises_after_computed_array(a, log)
    assert log.tolist() == [2, 1, 2, 0, 0]
    assert sys.getrefcount(a) == before
    check_store(index_raises_after_computed_array, np.zeros(3, np.int64), np.zeros(5, np.int64))


# ------------------------------------------------ conversion of the stored value


@jit(cache=False)
def store_at(a, i, v):
    a[i] = v
    return 0


@jit(cache=False)
def aug_store_at(a, i, v):
    a[i] += v
    return 0


DTYPES = ("int8", "uint8", "int32", "int64", "uint64", "bool", "float32", "float64")
VALUES = (math.inf, -math.inf, math.nan, 300.0, -1.0, 3.7, -3.7, 255.9, 1e300, 300, -1, 127,
          True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_an_out_of_bounds_store_is_an_index_error_before_any_conversion(
    dtype: str, value: Any
) -> None:
    a = np.zeros(3, dtype)
    with pytest.raises(IndexError):
        store_at(a, 5, value)  # NumPy checks the index first: math.inf is no OverflowError
    check_store(store_at, np.zeros(3, dtype), extra=(5, value))
    check_store(store_at, np.zeros(3, dtype), extra=(-4, value))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_an_in_bounds_store_converts_as_numpy(dtype: str, value: Any) -> None:
    # inf into an int array: OverflowError, nan: ValueError, 300 into int8: OverflowError.
    check_store(store_at, np.zeros(3, dtype), extra=(1, value))
    check_store(store_at, np.zeros(3, dtype), extra=(-1, value))


def test_a_uint64_store_of_a_float_beyond_int64_raises_the_documented_overflow() -> None:
    # uint64 computes in int64 (README): NumPy stores 2.0**63, compiled code raises
    # rather than store a wrong value; just below it, both store the same.
    with pytest.raises(OverflowError):
        store_at(np.zeros(3, np.uint64), 0, 2.0**63)
    check_store(store_at, np.zeros(3, np.uint64), extra=(0, 2.0**62))
    check_store(store_at, np.zeros(3, np.uint64), extra=(7, 2.0**63))  # IndexError first


@pytest.mark.parametrize("dtype", ("int8", "int64", "float32"))
@pytest.mark.parametrize("value", (math.inf, math.nan, 300, 1.5), ids=repr)
def test_augmented_stores_check_bounds_then_convert(dtype: str, value: Any) -> None:
    check_store(aug_store_at, np.zeros(3, dtype), extra=(5, value))
    check_store(aug_store_at, np.ones(3, dtype), extra=(1, value))


# ---------------------------------------------------- np.full: shape, then fill


@jit(cache=False)
def full_int8(n, v):
    return np.full(n, v, np.int8)


@jit(cache=False)
def full_uint16_2d(n, m, v):
    return np.full((n, m), v, np.uint16)


@pytest.mark.parametrize("value", (300, -129, math.inf, math.nan, True, 7.9, -128), ids=repr)
def test_full_with_a_negative_dimension_is_a_value_error_before_the_fill_converts(
    value: Any,
) -> None:
    with pytest.raises(ValueError, match="negative dimensions are not allowed"):
        full_int8(-1, value)  # NumPy checks the shape first: not an OverflowError
    with pytest.raises(ValueError, match="negative dimensions are not allowed"):
        full_uint16_2d(2, -3, value)
    check_store(full_int8, extra=(-1, value))
    check_store(full_uint16_2d, extra=(2, -3, value))


@pytest.mark.parametrize("value", (300, -12, 7.9, -128, True), ids=repr)
@pytest.mark.parametrize("n", (0, 3))
def test_full_converts_the_fill_as_numpy(n: int, value: Any) -> None:
    check_store(full_int8, extra=(n, value))
    check_store(full_uint16_2d, extra=(n, 2, value))
