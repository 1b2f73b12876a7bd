"""Assignment to slices in compiled code, differential against NumPy: a number into
every element, an array broadcast to the target's shape with NumPy's unsafe setitem
casts, overlapping right-hand sides behaving as if copied first, NumPy's errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from _harness import PROFILE  # noqa: E402
from test_views import arrays, both, bounds, steps  # noqa: E402

from ember import jit  # noqa: E402


@jit(cache=False)
def fill(a, i, j, k, x):  # type: ignore[no-untyped-def]
    a[i:j:k] = x
    return a


@jit(cache=False)
def fill_row(a, i, x):  # type: ignore[no-untyped-def]
    a[i] = x
    a[..., -1] = x
    return a


@jit(cache=False)
def assign(a, i, j, k, b):  # type: ignore[no-untyped-def]
    a[i:j:k] = b
    return a


@jit(cache=False)
def shifts(b):  # type: ignore[no-untyped-def]
    b[1:] = b[:-1]
    b[:-2] = b[2:]
    b[::-1] = b
    return b


@jit(cache=False)
def sieve(n):  # type: ignore[no-untyped-def]
    is_prime = np.ones(n, np.bool_)
    is_prime[:2] = False
    for i in range(2, n):
        if i * i >= n:
            break
        if is_prime[i]:
            is_prime[i * i::i] = False
    return is_prime


@PROFILE
@given(arrays(), bounds, bounds, steps, st.sampled_from([0, 1, -3, 2.75, True, -0.0]))
def test_number_into_a_slice_matches_numpy(a: np.ndarray, i: int, j: int, k: int,
                                           x: object) -> None:
    if a.dtype.kind == "u" and isinstance(x, int) and x < 0:
        x = 5  # NumPy 2 raises OverflowError, checked below
    both(fill, a, i, j, k, x)


@PROFILE
@given(arrays(min_ndim=2), st.integers(-4, 4), st.sampled_from([0, 7, 1.5]))
def test_number_into_rows_and_columns(a: np.ndarray, i: int, x: object) -> None:
    both(fill_row, a, i, x)


@st.composite
def sources(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(0, 6))
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "int8", "uint8", "bool"]))
    values = draw(st.lists(st.integers(-300, 300) | st.floats(-1e3, 1e3), min_size=n,
                           max_size=n))
    with np.errstate(all="ignore"):
        src = np.array(values, dtype=np.float64).astype(dtype)
    return src[::-1] if draw(st.booleans()) else src


@PROFILE
@given(arrays(max_ndim=2), bounds, bounds, steps, sources())
def test_array_into_a_slice_matches_numpy(a: np.ndarray, i: int, j: int, k: int,
                                          b: np.ndarray) -> None:
    if a.dtype.kind in "iub" and b.dtype.kind == "f":
        b = np.trunc(b).clip(-100, 100)  # in range: C's float → int cast is defined
    both(assign, a, i, j, k, b)


def test_broadcasting_and_its_error_text() -> None:
    a = np.zeros((2, 3))
    assert assign(a, 0, 2, 1, np.array([1.0, 2.0, 3.0])).tolist() == [[1, 2, 3]] * 2
    assert assign(a, 0, 2, 1, np.ones((1, 3))).sum() == 6  # a leading length-1 axis
    with pytest.raises(ValueError, match=r"could not broadcast input array from shape \(4,\) "
                                         r"into shape \(2,3\)"):
        assign(np.zeros((2, 3)), 0, 2, 1, np.zeros(4))
    with pytest.raises(ValueError, match=r"from shape \(3,\) into shape \(4,\)"):
        assign(np.zeros(6), 1, 5, 1, np.zeros(3))


def test_casts_are_numpys_unsafe_setitem_casts() -> None:
    a = np.zeros(4, np.int8)
    got = assign(a, 0, 4, 1, np.array([300, -129, 7, 1 << 40]))
    assert got.tolist() == np.array([300, -129, 7, 1 << 40]).astype(np.int8).tolist()
    f = assign(np.zeros(3, np.int32), 0, 3, 1, np.array([1.9, -2.9, 0.5]))
    assert f.tolist() == [1, -2, 0]
    with pytest.raises(OverflowError, match="Python integer 300 out of bounds for int8"):
        fill(np.zeros(3, np.int8), 0, 3, 1, 300)


def test_overlapping_right_hand_sides_act_as_copies() -> None:
    for b in (np.arange(7), np.arange(7.0)[::-1], np.arange(1)):
        both(shifts, b)


def test_the_sieve() -> None:
    assert np.array_equal(sieve(100), sieve.py_func(100))


def test_readonly_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="read-only"):
        fill(bytes(4), 0, 2, 1, 1)


@jit(cache=False)
def upwind(u, c):
    u[1:] -= c * (u[1:] - u[:-1])
    return u


@jit(cache=False)
def accumulate_left(a):
    a[1:] += a[:-1]  # overlapping: NumPy reads the original a[:-1]
    return a


@jit(cache=False)
def rows_and_columns(m, v):
    for i in range(m.shape[0]):
        m[i, :] += v
    m[:, 0] *= 2
    m[::2] //= 3
    return m


@jit(cache=False)
def int_slice_plus_float(a):
    a[1:] += 0.5
    return a


def test_augmented_slices_update_the_view_in_place() -> None:
    """``a[s] op= v`` is NumPy's ``view.__iop__(v)``: in place, broadcast, overlap-safe."""
    for u in (np.arange(6.0), np.arange(9.0)[::-2], np.zeros(1), np.zeros(0)):
        both(upwind, u, 0.5)
    for a in (np.arange(7), np.arange(7.0)[::-1], np.arange(12).reshape(3, 4)[:, 1]):
        both(accumulate_left, a)
    both(rows_and_columns, np.ones((3, 4)), np.arange(4.0))
    both(rows_and_columns, np.arange(20.0).reshape(5, 4).T.copy(), np.arange(5.0))


def test_augmented_slice_keeps_numpys_casting_rule() -> None:
    """NumPy refuses a float result into an int view (same_kind): a TypeError."""
    with pytest.raises(TypeError, match="same_kind"):
        int_slice_plus_float(np.arange(4))


@jit(cache=False)
def fill_from_first(a):  # type: ignore[no-untyped-def]
    a[:] = a[0]
    return a


@pytest.mark.parametrize("dtype", ["int8", "uint16", "float32", "float64", "bool"])
def test_a_numpy_scalar_element_fills_a_slice(dtype: str) -> None:
    """``a[0]`` of a non-float64 array is a NumPy scalar; it fills a slice as NumPy does
    (found by the differential suite: it was refused at compile time)."""
    a = np.arange(5, 0, -1).astype(dtype)
    np.testing.assert_array_equal(fill_from_first(a.copy()), fill_from_first.py_func(a.copy()))
    with pytest.raises(IndexError):
        fill_from_first(np.zeros(0, dtype))


@jit(cache=False)
def assign_all(a, b):  # type: ignore[no-untyped-def]
    a[:] = b
    return a


# Not uint32: NumPy's own answer for it depends on which loop runs (codegen/casts.py).
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "uint64"])
def test_out_of_range_floats_cast_as_numpy_does(dtype: str) -> None:
    # Undefined in C, so NumPy's answer is its x86-64 loop's: the same as astype's
    # (slice assignment had its own cast and gave 1 where NumPy gives 0 for 2**31 + 1).
    values = np.array([2.0**31 + 1, -(2.0**31) - 3, 300.5, -129.0, 2.0**63, 1e300,
                       np.nan, np.inf, -np.inf, 2.0**64 + 4096])
    with np.errstate(invalid="ignore"):
        want = values.astype(dtype)
        expected = np.zeros(len(values), dtype)
        expected[:] = values
    got = assign_all(np.zeros(len(values), dtype), values)
    assert got.tolist() == expected.tolist() == want.tolist()
