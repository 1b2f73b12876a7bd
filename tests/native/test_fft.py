"""``np.fft.fft/ifft/rfft/irfft`` in compiled code against NumPy (codegen/fft.py,
boundary/pocketfft.py).

Tolerance: none. Compiled code calls NumPy's own pocketfft inner loop (the one NumPy's
type resolution picks) on the same buffers with the same factor, so every result is
compared bit for bit (``np.array_equal`` and the same dtype); errors by type and text.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember import jit
from ember.diagnostics import EmberError
from ember.native.boundary import pocketfft

from ._harness import define

pytestmark = pytest.mark.skipif(pocketfft.find_fft() is None,
                                reason="NumPy without the FFT ufuncs (NumPy < 2)")

SIZES = (1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 31, 64, 97, 100, 127, 128, 1000, 1024)
FUNCS = ("fft", "ifft", "rfft", "irfft")


@jit(cache=False)
def fft(x: Any) -> Any:
    return np.fft.fft(x)


@jit(cache=False)
def ifft(x: Any) -> Any:
    return np.fft.ifft(x)


@jit(cache=False)
def rfft(x: Any) -> Any:
    return np.fft.rfft(x)


@jit(cache=False)
def irfft(x: Any) -> Any:
    return np.fft.irfft(x)


@jit(cache=False)
def fft_n(x: Any, n: int) -> Any:
    return np.fft.fft(x, n)


@jit(cache=False)
def rfft_n(x: Any, n: int) -> Any:
    return np.fft.rfft(x, n=n)


@jit(cache=False)
def irfft_n(x: Any, n: int) -> Any:
    return np.fft.irfft(x, n, -1)


@jit(cache=False)
def ifft_n(x: Any, n: int) -> Any:
    return np.fft.ifft(x, n=n, axis=0)


DEFAULT = {"fft": fft, "ifft": ifft, "rfft": rfft, "irfft": irfft}
WITH_N = {"fft": fft_n, "ifft": ifft_n, "rfft": rfft_n, "irfft": irfft_n}


def _same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want), np.max(np.abs(got - want))


def _signal(rng: np.random.Generator, n: int, dtype: str) -> np.ndarray:
    if dtype.startswith("complex"):
        return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(dtype)
    if dtype == "bool":
        return rng.integers(0, 2, n).astype(bool)
    if dtype[0] in "iu":
        return rng.integers(0, 100, n).astype(dtype)
    return rng.standard_normal(n).astype(dtype)


@pytest.mark.parametrize("func", FUNCS)
def test_sizes_primes_and_powers_of_two_bit_for_bit(func: str) -> None:
    rng = np.random.default_rng(7)
    dtype = "float64" if func == "rfft" else "complex128"
    for n in SIZES:
        x = _signal(rng, n, dtype)
        if func == "irfft" and n == 1:
            continue  # NumPy's default n is 0 there: the error test
        _same(DEFAULT[func](x), getattr(np.fft, func)(x))
        _same(DEFAULT[func](x), DEFAULT[func].py_func(x))


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_norm_keyword(norm: str | None) -> None:
    rng = np.random.default_rng(3)
    shown = "None" if norm is None else repr(norm)
    for func in FUNCS:
        name = f"fft_norm_{func}_{norm}"
        k = define(f"def {name}(x, n):\n    return np.fft.{func}(x, n, norm={shown})\n", name,
                   {"np": np})
        for size, n in ((8, 8), (7, 5), (5, 12), (1, 3)):
            x = _signal(rng, size, "float64" if func == "rfft" else "complex128")
            _same(k(x, n), getattr(np.fft, func)(x, n, norm=norm))
            xf = _signal(rng, size, "float32" if func == "rfft" else "complex64")
            _same(k(xf, n), getattr(np.fft, func)(xf, n, norm=norm))


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128", "complex64", "int64",
                                   "int32", "uint8", "bool"])
def test_dtypes_match_numpy(dtype: str) -> None:
    # float32 in → complex64 out (NumPy 2), computed in NumPy's loop: for norm
    # "backward" NumPy 2 runs the double loop and rounds; ints promote to complex128
    rng = np.random.default_rng(11)
    for n in (1, 6, 13, 32):
        x = _signal(rng, n, dtype)
        for func in ("fft", "ifft", "rfft"):
            if func == "rfft" and dtype.startswith("complex"):
                continue
            _same(DEFAULT[func](x), getattr(np.fft, func)(x))
        if n > 1:
            _same(irfft(x), np.fft.irfft(x))


def test_layouts_any_stride() -> None:
    rng = np.random.default_rng(5)
    z = _signal(rng, 60, "complex128")
    m = _signal(rng, 60, "float64").reshape(6, 10)
    for x in (z[::-1], z[::3], z[5:17], m[:, 2].astype(complex), np.asfortranarray(m)[1]):
        _same(fft(x), np.fft.fft(x))
        _same(irfft(x), np.fft.irfft(x))
    for x in (m[:, 3], m[::-1, 0], m.T[4], m[1, ::2]):
        _same(rfft(x), np.fft.rfft(x))
        _same(fft(x), np.fft.fft(x))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(FUNCS), st.integers(0, 300), st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_random_sizes_and_n_against_numpy(func: str, size: int, n: int, seed: int) -> None:
    x = _signal(np.random.default_rng(seed), size, "float64" if func == "rfft" else "complex128")
    _same(WITH_N[func](x, n), getattr(np.fft, func)(x, n))


@pytest.mark.parametrize(("func", "x", "n"), [
    ("fft", np.zeros(0, complex), None), ("ifft", np.zeros(0, complex), None),
    ("rfft", np.zeros(0), None), ("irfft", np.zeros(1, complex), None),
    ("irfft", np.zeros(0, complex), None), ("fft", np.ones(4, complex), 0),
    ("rfft", np.ones(4), -3), ("irfft", np.ones(4, complex), 0),
])
def test_no_points_raise_numpy_value_error(func: str, x: np.ndarray, n: int | None) -> None:
    with pytest.raises(ValueError) as want:
        getattr(np.fft, func)(x, n)
    with pytest.raises(ValueError) as got:
        if n is None:
            DEFAULT[func](x)
        else:
            WITH_N[func](x, n)
    assert str(got.value) == str(want.value)


def test_empty_input_padded_by_n() -> None:
    _same(fft_n(np.zeros(0, complex), 4), np.fft.fft(np.zeros(0, complex), 4))
    _same(rfft_n(np.zeros(0), 5), np.fft.rfft(np.zeros(0), 5))


def test_in_a_loop_keeps_references_and_results() -> None:
    @jit(cache=False)
    def power(x: Any, reps: int) -> float:
        total = 0.0
        for _ in range(reps):
            spectrum = np.fft.rfft(x)
            total += np.abs(spectrum).sum()
        return total

    x = np.linspace(0.0, 1.0, 33)
    before = sys.getrefcount(x)
    assert power(x, 50) == power.py_func(x, 50)
    assert sys.getrefcount(x) == before


@pytest.mark.parametrize(("body", "message", "hint"), [
    ("return np.fft.fft(x.reshape(2, 2))", "np.fft.fft() of a 2-D array is not supported",
     "loop over the rows"),
    ("return np.fft.rfft(x * 1j)", "np.fft.rfft() of a complex array", "np.fft.fft(a)"),
    ("return np.fft.fft(x, norm='unitary')", "Invalid norm value 'unitary'", 'norm="ortho"'),
    ("return np.fft.fft(x, axis=1)", "axis 1 is out of bounds", "leave axis out"),
    ("return np.fft.fft(x, out=x)", "keyword 'out' is not supported", "out= is not supported"),
    ("return np.fft.fft(x, 2.5)", "n must be an int", "n=len(x)"),
    ("return np.fft.fft(1.0)", "needs an array here", "1-D array"),
])
def test_compile_errors_point_at_the_call(body: str, message: str, hint: str) -> None:
    name = f"fft_error_{abs(hash(body)) % 10**8}"
    k = define(f"def {name}(x):\n    {body}\n", name, {"np": np})
    with pytest.raises(EmberError) as info:
        k(np.ones(4))
    text = str(info.value)
    assert message in text and hint in text and "^" in text


def test_numpy_without_fft_ufuncs_is_a_clear_compile_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from ember.native.frontend import fft as rules

    monkeypatch.setattr(rules, "find_fft", lambda: None)
    k = define("def fft_no_ufuncs(x):\n    return np.fft.fft(x)\n", "fft_no_ufuncs", {"np": np})
    with pytest.raises(EmberError, match="needs NumPy 2's FFT ufuncs"):
        k(np.ones(4))


def test_loop_choice_follows_numpy_type_resolution() -> None:
    # NumPy 2 transforms complex64 with norm "backward" in double (fct is the Python
    # int 1, which the float loop cannot take safely), and in single precision otherwise
    wide = pocketfft.choose("fft", "complex64", "int", "complex64")
    narrow = pocketfft.choose("fft", "complex64", "float32", "complex64")
    assert (wide.in_dtype, wide.out_dtype) == ("complex128", "complex128")
    assert (narrow.in_dtype, narrow.index) == ("complex64", 1)
    assert pocketfft.choose("irfft", "complex128", "float64", "float64").out_dtype == "float64"
