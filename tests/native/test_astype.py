"""``a.astype(dtype)`` in compiled code against NumPy: every pair of dtypes, C, F and
strided sources, NaN/inf/out-of-range floats to ints (x86-64's C cast, never LLVM
poison), ``copy=False``, ``order=``, ``np.array(a, dtype)``/``np.asarray``/``np.copy``,
``a.copy(order=)`` and the layout of the result."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness, any import mode

from _harness import PROFILE, check, define, same  # noqa: E402

from ember.native.runtime.dispatch import jit  # noqa: E402
from ember.native.types import DTYPE_NAMES  # noqa: E402

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                                reason="float → int casts out of range are x86-64's")

SPECIAL = [np.nan, np.inf, -np.inf, 1e20, -1e20, 3e9, -3e9, 70000.7, 300.5, -1.5, 1.8e19,
           1e19, -(2.0**63), 2.0**63, 2**31 + 0.5, -(2**31) - 1.0, 4294967295.5, 4294967296.0,
           0.0, -0.0, 0.5, -0.7, 127.9, 128.0, -128.9, -129.0, 255.5, 256.0, 65535.9,
           2.0**53 + 1, 5e-324, 2**63 - 1024.0, 2.0**64, 2**64 - 2048.0]
INTS = [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32769, 65535, 65536,
        2**31 - 1, 2**31, -(2**31) - 1, 2**32 - 1, 2**32, 2**53 + 1, 2**62, -(2**62),
        2**63 - 1, -(2**63)]


def make(src: str) -> np.ndarray:
    """The interesting values of a source dtype (what NumPy's own cast gives for them)."""
    if src == "bool":
        return np.array([True, False, True])
    if src[0] == "f":
        with np.errstate(all="ignore"):
            return np.array(SPECIAL).astype(src)
    if src[0] == "c":  # the specials as real parts, reversed as imaginary parts
        with np.errstate(all="ignore"):
            return (np.array(SPECIAL) + 1j * np.array(SPECIAL[::-1])).astype(src)
    info = np.iinfo(src)
    with np.errstate(all="ignore"):
        return np.array([v for v in INTS if info.min <= v <= info.max], dtype=src)


def caster(name: str) -> Any:
    return define(f"def cast_to_{name}(a):\n    return a.astype(np.{name})\n",
                  f"cast_to_{name}", {"np": np})


CASTERS = {name: caster(name) for name in DTYPE_NAMES}


def numpy_cast(a: np.ndarray, dst: str) -> np.ndarray:
    """NumPy's answer through its strided (scalar) loop: for float → uint32 out of
    range its contiguous SIMD loop gives other values (depending on the length), and
    ember computes the C cast, as the scalar loop does."""
    with np.errstate(all="ignore"):
        wide = np.empty(a.shape + (2,), a.dtype)
        wide[..., 0] = a
        return wide[..., 0].astype(dst)


@pytest.mark.parametrize("src", DTYPE_NAMES)
@pytest.mark.parametrize("dst", DTYPE_NAMES)
def test_every_pair(src: str, dst: str) -> None:
    a = make(src)
    f = CASTERS[dst]
    want = numpy_cast(a, dst)
    for arg in (a, np.repeat(a, 2)[::2], np.asfortranarray(np.stack([a, a], 1))):
        got = f(arg)
        expect = want if arg.ndim == 1 else numpy_cast(arg, dst)
        assert same(got, expect), (src, dst, arg, got, expect)
        assert got.flags.owndata and got.dtype == np.dtype(dst)
        assert got.flags.f_contiguous or arg.ndim == 1  # order='K' keeps F


@pytest.mark.parametrize("dst", DTYPE_NAMES)
def test_contiguous_agrees_with_numpy_in_range(dst: str) -> None:
    """In range, NumPy's contiguous loop and the C cast agree: compare directly."""
    a = np.array([0.0, 1.9, -0.9, 100.5, 200.7, 3e4, -1.0, np.nan])
    if dst[0] == "u":
        a = a[a >= 0]
    with np.errstate(all="ignore"):
        finite = a[np.isfinite(a)] if dst[0] in "iu" else a
    check(CASTERS[dst], finite)


dtypes = st.sampled_from(DTYPE_NAMES)


@PROFILE
@given(src=dtypes, dst=dtypes, n=st.integers(0, 5), m=st.integers(0, 4),
       data=st.data())
def test_hypothesis_shapes(src: str, dst: str, n: int, m: int, data: st.DataObject) -> None:
    pool = make(src)
    picks = data.draw(st.lists(st.integers(0, len(pool) - 1), min_size=n * m,
                               max_size=n * m))
    a = pool[np.array(picks, dtype=np.intp)].reshape(n, m) if picks else pool[:0].reshape(n, m)
    layout = data.draw(st.sampled_from(["C", "F", "T"]))
    arg = np.asfortranarray(a) if layout == "F" else (a.T if layout == "T" else a)
    got = CASTERS[dst](arg)
    assert same(got, numpy_cast(arg, dst)), (src, dst, arg)


@jit(cache=False)
def no_copy(a):
    return a.astype(np.float64, copy=False), a.astype(a.dtype, copy=False)


@jit(cache=False)
def orders(a):
    return (a.astype(np.int32, order="C"), a.astype(np.int32, order="F"), a.copy(),
            a.copy(order="F"), np.copy(a), np.array(a), np.asarray(a), np.asarray(a, np.float32),
            np.array(a, dtype=np.int8, order="C"), a.astype(bool))


def test_copy_false_returns_self() -> None:
    a = np.arange(6.0).reshape(2, 3)
    x, y = no_copy(a)
    assert x is a and y is a
    b = np.arange(6, dtype=np.int16)
    x, y = no_copy(b)
    assert x is not b and y is b and same(x, b.astype(np.float64))


@pytest.mark.parametrize("layout", ["C", "F", "T", "S"])
def test_orders(layout: str) -> None:
    a = np.arange(12.0).reshape(3, 4) - 5.5
    arg = {"C": a, "F": np.asfortranarray(a), "T": a.T, "S": a[:, ::2]}[layout]
    got, want = orders(arg), orders.py_func(arg)
    for g, w in zip(got, want, strict=True):
        assert same(g, w)
        assert (g.flags.c_contiguous, g.flags.f_contiguous) == (
            w.flags.c_contiguous, w.flags.f_contiguous), (layout, g.strides, w.strides)
        assert (g is arg) == (w is arg)


@jit(cache=False)
def copy_false_needs_copy(a):
    return np.array(a, dtype=np.int32, copy=False)


def test_copy_false_that_must_copy_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        copy_false_needs_copy.py_func(np.ones(2))
    with pytest.raises(ValueError, match="Unable to avoid copy"):
        copy_false_needs_copy(np.ones(2))
