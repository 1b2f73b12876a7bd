"""Complex matrix products against NumPy: ``a @ b``, ``np.dot``, ``np.matmul``,
``np.inner``, ``np.vdot`` (conjugating its first argument), ``np.outer`` of complex64 and
complex128 arrays, and mixed real/complex operands (codegen/matmul.py,
codegen/matmul_complex.py).

Tolerances: ``np.allclose`` with rtol 1e-12 (complex128) or 1e-5 (complex64) and atol
scaled by k: NumPy calls BLAS (zgemm, zgemv, zdotu/zdotc) at every size while ember's
small products use its own kernel (another summation order). A large gemm of
BLAS-ready operands in the result dtype is NumPy's own zgemm/cgemm call with the same
arguments and is compared bit for bit. Dtypes and shapes always exactly, errors by
type and text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember import jit
from ember.native.boundary import blas as blas_module


@jit(cache=False)
def op_matmul(a: Any, b: Any) -> Any:
    return a @ b


@jit(cache=False)
def np_matmul(a: Any, b: Any) -> Any:
    return np.matmul(a, b)


@jit(cache=False)
def np_dot(a: Any, b: Any) -> Any:
    return np.dot(a, b)


@jit(cache=False)
def np_inner(a: Any, b: Any) -> Any:
    return np.inner(a, b)


@jit(cache=False)
def np_vdot(a: Any, b: Any) -> Any:
    return np.vdot(a, b)


@jit(cache=False)
def np_outer(a: Any, b: Any) -> Any:
    return np.outer(a, b)


COMPLEX = [np.complex128, np.complex64]


def _values(shape: tuple[int, ...], dtype: Any, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(-4, 5, shape).astype(dtype)


def _layout(x: np.ndarray, how: str) -> np.ndarray:
    if how == "F":
        return np.asfortranarray(x)
    if how == "strided":
        big = np.zeros(tuple(2 * d for d in x.shape), x.dtype)
        view = big[tuple(slice(None, None, 2) for _ in x.shape)]
        view[...] = x
        return view
    if how == "reversed":
        flip = tuple(slice(None, None, -1) for _ in x.shape)
        return x[flip].copy()[flip]
    return np.ascontiguousarray(x)


def _close(got: Any, want: Any, k: int) -> None:
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape
    if isinstance(want, np.ndarray):
        assert got.dtype == want.dtype
    else:  # a scalar: NumPy's complex128 / complex64 scalar, ember's Python complex
        assert isinstance(got, complex)
    single = want_a.dtype in (np.complex64, np.float32)
    rtol = 1e-5 if single else 1e-12
    assert np.allclose(got_a, want_a, rtol=rtol, atol=rtol * max(k, 1) * 10), (got, want)


def _shapes(func: Any, m: int, k: int, n: int, left: int, right: int) -> tuple[tuple[int, ...], ...]:
    a = (m, k) if left == 2 else (k,)
    b = ((n, k) if func is np_inner else (k, n)) if right == 2 else (k,)
    return a, b


dims = st.integers(0, 5) | st.sampled_from([1, 17, 40])
C128, C64 = np.complex128, np.complex64
#: (product, left ndim, right ndim, dtypes, layouts): a fixed set of signatures (each one
#: compile), the shapes and values drawn per example.
CASES = [
    (op_matmul, 2, 2, (C128, C128), ("C", "C")),
    (op_matmul, 2, 1, (C64, C64), ("F", "reversed")),
    (np_matmul, 1, 2, (np.float32, C64), ("C", "F")),
    (np_dot, 2, 2, (C128, np.float64), ("strided", "C")),
    (np_dot, 1, 1, (C128, np.int32), ("reversed", "C")),
    (np_inner, 2, 2, (C64, C128), ("C", "C")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{c[1]}{c[2]}")
@settings(max_examples=12, deadline=None)
@given(dims, dims, dims, st.integers(0, 99))
def test_complex_products_match_numpy(case: Any, m: int, k: int, n: int, seed: int) -> None:
    func, left, right, (da, db), (la, lb) = case
    sa, sb = _shapes(func, m, k, n, left, right)
    a = _layout(_values(sa, da, seed), la)
    b = _layout(_values(sb, db, seed + 1), lb)
    _close(func(a, b), func.py_func(a, b), k)


VECTOR_CASES = [((C128, C128), ("C", "C")), ((C64, np.float64), ("reversed", "C")),
                ((np.float32, C64), ("C", "strided"))]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 70), st.sampled_from(VECTOR_CASES), st.integers(0, 99))
def test_vdot_conjugates_its_first_argument(k: int, case: Any, seed: int) -> None:
    (da, db), (la, lb) = case
    x = _layout(_values((k,), da, seed), la)
    y = _layout(_values((k,), db, seed + 1), lb)
    _close(np_vdot(x, y), np.vdot(x, y), k)
    z = _values((k,), C128, seed + 2)
    w = _values((k,), C128, seed + 3)
    _close(np_dot(z, w), np.dot(z, w), k)
    _close(np_outer(z, w), np.outer(z, w), 1)
    if k:
        assert abs(np_vdot(z, z).imag) < 1e-12 * k  # |z|^2: conj taken, not a plain dot


@pytest.mark.skipif(blas_module.find_blas() is None, reason="no BLAS found")
@pytest.mark.parametrize("dtype", COMPLEX)
def test_large_gemm_is_numpys_own_call(dtype: Any) -> None:
    a, b = _values((70, 60), dtype, 1), _values((60, 50), dtype, 2)
    got, want = op_matmul(a, b), a @ b
    assert got.dtype == want.dtype and np.array_equal(got, want)
    ft = np.asfortranarray(a)  # a transposed operand goes to zgemm with CblasTrans
    assert np.array_equal(op_matmul(ft, b), ft @ b)
    big = np.zeros((70, 60, 2), dtype)[:, :, 0]  # a layout BLAS refuses: a packed copy
    big[...] = a
    _close(op_matmul(big, b), big @ b, 60)


def test_stacked_complex_matmul() -> None:
    a = _values((3, 4, 5), np.complex128, 3)
    b = _values((5, 2), np.complex64, 4)
    _close(op_matmul(a, b), a @ b, 5)
    _close(np_matmul(b.T, a.transpose(0, 2, 1)), np.matmul(b.T, a.transpose(0, 2, 1)), 5)


def test_shape_mismatch_is_numpys_value_error() -> None:
    a, b = _values((3, 4), np.complex128, 1), _values((5, 2), np.complex128, 2)
    for func in (op_matmul, np_dot, np_inner):
        with pytest.raises(ValueError) as want:
            func.py_func(a, b)
        with pytest.raises(ValueError) as got:
            func(a, b)
        assert str(got.value) == str(want.value)


def test_compiled_fallback_kernel_without_blas(monkeypatch: pytest.MonkeyPatch) -> None:
    # EMBER_BLAS=none (no BLAS): the complex kernel serves every size
    monkeypatch.setenv("EMBER_BLAS", "none")
    blas_module.find_blas.cache_clear()
    try:
        @jit(cache=False)
        def product(a: Any, b: Any) -> Any:
            return a @ b

        a, b = _values((30, 40), np.complex128, 5), _values((40, 20), np.complex128, 6)
        _close(product(a, b), a @ b, 40)
    finally:
        monkeypatch.delenv("EMBER_BLAS")
        blas_module.find_blas.cache_clear()
