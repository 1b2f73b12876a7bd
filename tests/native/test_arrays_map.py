"""``np.sqrt(a)`` and ``np.abs(a)`` / ``np.absolute(a)`` on whole arrays in compiled code:
differential against NumPy for every dtype, ndim 1-3 and layout (C, F, strided), the
special values, the result's dtype/order/ownership, the documented OverflowError for abs
of a signed minimum, scalars, refusals, and memory."""

from __future__ import annotations

import array
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import jit
from ember.diagnostics import EmberError
from ember.native.types import DTYPE_NAMES


@jit
def sqrt_of(a):
    return np.sqrt(a)


@jit
def abs_of(a):
    return np.abs(a)


@jit
def absolute_of(a):
    return np.absolute(a)


@jit
def in_expressions(a):
    r = np.sqrt(a)
    s = np.abs(a).sum()
    return np.sqrt(a)[0] + 1, s, r.shape[0], np.sqrt(np.abs(a)).max()


@jit
def chained(a):
    return np.sqrt(np.abs(a.copy()))


@jit
def total(a):
    return a.sum()


@jit
def passed_on(a):
    return total(np.sqrt(a)) + total(np.abs(a))


@jit
def write_result(a):
    r = np.abs(a)
    r[0] = 42
    return r


@jit
def reassigned(a, n):
    r = np.sqrt(a)
    for _ in range(n):
        r = np.sqrt(r)
    return r


@jit
def abs_scalars(i, x, flag):
    return np.abs(i), np.abs(x), np.abs(flag)


@jit
def sqrt_scalar(x):
    return np.sqrt(x)


@jit
def sqrt_int8(a):
    return np.sqrt(a)


@jit
def sqrt_out(a, b):
    return np.sqrt(a, out=b)


@jit
def abs_tuple(a):
    return np.abs((a, a))


SIGNED = ["int8", "int16", "int32", "int64"]
# not float16; complex64's sqrt is refused (test_complex_arrays.py)
SQRT_DTYPES = [d for d in DTYPE_NAMES if d not in ("bool", "int8", "uint8", "complex64")]


def sample(dtype: str, n: int = 24) -> np.ndarray:
    """``n`` values of ``dtype`` covering its edges (not a signed minimum) and, for
    floats, negatives, ±0.0, ±inf and nan."""
    d = np.dtype(dtype)
    if d.kind == "f":
        special = [0.0, -0.0, 1.0, -1.0, 2.0, 0.25, np.inf, -np.inf, np.nan, -np.nan, 1e-300,
                   -1e-300, 1e300, 3.0e38, 1e-45, -7.5]
        base = np.array(special, dtype=np.float64)
        rng = np.random.default_rng(1)
        rest = rng.normal(scale=1e3, size=n - len(special))
        with np.errstate(over="ignore"):
            return np.concatenate([base, rest]).astype(dtype)[:n]
    if d.kind == "b":
        return (np.arange(n) % 3 == 0).astype(dtype)
    if d.kind == "c":  # the float values as real parts, reversed as imaginary parts
        parts = sample("float64", n)
        with np.errstate(over="ignore"):
            return (parts + 1j * parts[::-1]).astype(dtype)
    info = np.iinfo(d)
    edges = [0, 1, 2, 3, info.max, info.max - 1, info.min + 1 if d.kind == "i" else 4]
    if d.kind == "i":
        edges += [-1, -2, -4, -9]
    rng = np.random.default_rng(2)
    lo = info.min + 1 if d.kind == "i" else 0
    rest = rng.integers(lo, info.max, size=n - len(edges), dtype=d, endpoint=True)
    return np.concatenate([np.array(edges, dtype=d), rest])[:n]


def views(base: np.ndarray) -> list[np.ndarray]:
    """The same values in ndim 1-3, C, F and strided layouts."""
    out = [base, base[::2], base[::-3]]
    two = base.reshape(4, 6)
    three = base.reshape(2, 3, 4)
    out += [two, np.asfortranarray(two), two[::2, ::-1], two.T, three,
            np.asfortranarray(three), three[:, ::2, 1::2], three.transpose(2, 0, 1)]
    return out


def same(got: np.ndarray, want: np.ndarray) -> None:
    """Equal dtype, shape and values bit for bit (nan where NumPy has nan: the sign and
    payload of a nan are not a value)."""
    assert type(got) is np.ndarray
    assert got.dtype == want.dtype and got.shape == want.shape
    if got.dtype.kind == "c":  # part by part
        same(got.real.copy(), want.real.copy())
        same(got.imag.copy(), want.imag.copy())
        return
    if got.dtype.kind == "f":
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(got), nan)
        bits = f"u{got.dtype.itemsize}"
        assert np.array_equal(got[~nan].view(bits), want[~nan].view(bits)), (got, want)
    else:
        assert np.array_equal(got, want)


# ------------------------------------------------------------------- sqrt


@pytest.mark.parametrize("dtype", SQRT_DTYPES)
def test_sqrt_matches_numpy_for_every_layout(dtype: str) -> None:
    for view in views(sample(dtype)):
        with np.errstate(invalid="ignore"):
            want = np.sqrt(view)
        got = sqrt_of(view)
        same(got, want)
        # NumPy keeps a Fortran source's order; every other result is C-ordered.
        fortran = view.ndim > 1 and view.flags.f_contiguous and not view.flags.c_contiguous
        assert got.flags.f_contiguous if fortran else got.flags.c_contiguous
        assert got.flags.owndata and got.flags.writeable


def test_sqrt_special_values() -> None:
    a = np.array([-1.0, -0.0, 0.0, np.inf, -np.inf, np.nan, 4.0, -1e-300])
    got = sqrt_of(a)
    assert np.isnan(got[0]) and np.isnan(got[4]) and np.isnan(got[5]) and np.isnan(got[7])
    assert np.signbit(got[1]) and got[1] == 0.0  # sqrt(-0.0) is -0.0 (IEEE, NumPy)
    assert got[2] == 0.0 and got[3] == np.inf and got[6] == 2.0
    assert np.isnan(sqrt_of(np.array([-4, 4], np.int32))).tolist() == [True, False]


def test_sqrt_result_dtypes_are_numpys() -> None:
    for dtype in SQRT_DTYPES:
        a = np.arange(3, dtype=dtype)
        assert sqrt_of(a).dtype == np.sqrt(a).dtype, dtype
    assert sqrt_of(np.arange(3, dtype=np.int16)).dtype == np.float32
    big = np.array([2**64 - 1, 2**63, 2**53 + 1], np.uint64)  # no int64 detour
    same(sqrt_of(big), np.sqrt(big))


def test_sqrt_of_float16_results_is_refused_with_a_hint() -> None:
    for dtype in ("int8", "uint8", "bool"):
        with pytest.raises(EmberError) as info:
            sqrt_int8(np.zeros(3, dtype))
        text = str(info.value)
        assert f"np.sqrt() of {dtype} gives float16 in NumPy" in text
        assert "test_arrays_map.py:" in text and "hint: convert the operands first" in text


# -------------------------------------------------------------------- abs


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_abs_matches_numpy_for_every_layout(dtype: str) -> None:
    for view in views(sample(dtype)):
        if view.dtype.kind == "c" and view.ndim == 1 and view.strides[0] < 0:
            continue  # NumPy's hypot loop, not its SIMD one (README: a documented difference)
        want = np.abs(view)
        same(abs_of(view), want)
        same(absolute_of(view), want)


def test_abs_of_floats_clears_the_sign() -> None:
    for dtype in ("float32", "float64"):
        got = abs_of(np.array([-0.0, -np.nan, -np.inf, -1.5], dtype))
        assert not np.signbit(got).any()
        assert np.isnan(got[1]) and got[2] == np.inf and got[3] == 1.5


@pytest.mark.parametrize("dtype", SIGNED)
def test_abs_of_a_signed_minimum_wraps_as_numpy(dtype: str) -> None:
    # np.abs is an element-wise ufunc (codegen/elementwise.py): NumPy's answer, min.
    lowest = int(np.iinfo(dtype).min)
    a = np.array([[1, -2, 3], [4, lowest, -6]], dtype)
    for view in (a, a.T, a[::-1, ::-1], np.asfortranarray(a)):
        got = abs_of(view)
        assert got.dtype == view.dtype and np.array_equal(got, np.abs(view))


# ------------------------------------------------------ results and uses


def test_results_are_new_and_independent() -> None:
    a = np.array([-1.0, 4.0, -9.0])
    before = sys.getrefcount(a)
    r = write_result(a)
    assert r[0] == 42 and a[0] == -1.0 and r is not a
    s = sqrt_of(a)
    s[1] = 0.0
    assert a[1] == 4.0 and not np.shares_memory(s, a)
    assert sys.getrefcount(a) == before


def test_use_inside_expressions_and_calls() -> None:
    a = np.array([4.0, -9.0, 16.0])
    got = in_expressions(a)
    with np.errstate(invalid="ignore"):
        want = in_expressions.py_func(a)
    assert got[:3] == want[:3] and got[3] == want[3] == 4.0
    ints = np.array([-3, 4, -5], np.int16)
    assert in_expressions(ints)[1] == 12
    same(chained(a), chained.py_func(a))
    assert passed_on(np.array([1.0, 4.0])) == 8.0
    same(reassigned(np.array([256.0, 16.0]), 2), np.array([2.0, 2 ** 0.5]))


def test_empty_read_only_and_plain_buffer_sources() -> None:
    for shape in ((0,), (0, 3), (2, 0, 4)):
        same(sqrt_of(np.zeros(shape)), np.sqrt(np.zeros(shape)))
        same(abs_of(np.zeros(shape, np.int8)), np.abs(np.zeros(shape, np.int8)))
    ro = np.array([-2, 9], np.int32)
    ro.flags.writeable = False
    got = abs_of(ro)
    assert got.flags.writeable and np.array_equal(got, [2, 9])
    buf = array.array("d", [1.0, -4.0, 9.0])
    same(abs_of(buf), np.abs(buf))
    same(sqrt_of(array.array("h", [1, 4, 9])), np.sqrt(np.array([1, 4, 9], np.int16)))


def test_typed_ir_shows_the_map() -> None:
    sqrt_of(np.ones((2, 2), np.int32))
    text = sqrt_of.inspect_types()
    assert ("elementwise(a:array(int32, 2d, C); sqrt(cast(%0:int32):float64):float64)"
            ":array(float64, 2d, C)" in text)
    absolute_of(np.ones((2, 2)).T)
    assert ("elementwise(a:array(float64, 2d, F); absolute(%0:float64):float64)"
            ":array(float64, 2d, F)" in absolute_of.inspect_types())


# ---------------------------------------------------------------- scalars


def test_abs_of_numbers_is_abs() -> None:
    assert abs_scalars(-3, -2.5, True) == (3, 2.5, True)
    assert abs_scalars(4, -0.0, False) == (4, 0.0, False)
    # np.abs of a number is the ufunc on NumPy's int64: the minimum wraps, as in NumPy.
    assert abs_scalars(-(2**63), 0.0, False)[0] == int(np.abs(np.int64(-(2**63))))


def test_sqrt_of_a_number_is_numpys() -> None:
    """NumPy's answer, not math.sqrt's: the root of a negative number is nan."""
    assert sqrt_scalar(2.0) == np.sqrt(2.0)
    assert math.isnan(sqrt_scalar(-1.0))
    assert sqrt_scalar(4) == 2.0


def test_other_arguments_are_refused() -> None:
    with pytest.raises(EmberError, match="np.sqrt\\(\\) keyword 'out' is not supported"):
        sqrt_out(np.ones(2), np.ones(2))
    with pytest.raises(EmberError, match="np.absolute\\(\\) needs arrays or numbers here"):
        abs_tuple(np.ones(2))


# ------------------------------------------------------------- hypothesis


@settings(max_examples=80, deadline=None)
@given(
    dtype=st.sampled_from(DTYPE_NAMES),
    shape=st.tuples(st.integers(0, 4), st.integers(1, 4), st.integers(1, 3)),
    ndim=st.integers(1, 3),
    steps=st.tuples(*[st.sampled_from([1, 2, -1]) for _ in range(3)]),
    seed=st.integers(0, 2**16),
)
def test_random_views(dtype: str, shape: tuple[int, int, int], ndim: int,
                      steps: tuple[int, int, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.normal(scale=50, size=shape[:ndim])
    if dtype != "bool" and np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        base = np.clip(base, info.min + 1, info.max)
    view = base.astype(dtype)[tuple(slice(None, None, s) for s in steps[:ndim])]
    same(abs_of(view), np.abs(view))
    if dtype in SQRT_DTYPES:
        with np.errstate(invalid="ignore"):
            same(sqrt_of(view), np.sqrt(view))


# ----------------------------------------------------------------- memory


def test_memory_stays_flat_over_many_mapping_calls(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(
        """
        import resource, numpy as np
        from ember import jit

        @jit
        def maps(a):
            return np.sqrt(np.abs(a)).sum() + np.sqrt(a)[0]

        @jit
        def overflow(a):
            return np.abs(a)

        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * resource.getpagesize()

        a = np.arange(64.0)
        bad = np.full(64, -128, np.int8)
        def run(n):
            for _ in range(n):
                maps(a)
                try:
                    overflow(bad)
                except OverflowError:
                    pass
        run(20000)
        before = rss()
        run(200_000)
        print((rss() - before) // 1024)
        """
    ))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(Path(ember.__file__).parents[1])
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    # Leaking one of the three arrays per call would be well over 100 MB.
    assert int(out.stdout.strip()) < 20_000
