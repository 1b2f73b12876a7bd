"""Matrix-vector products through BLAS gemv (codegen/matvec.py): large ones are NumPy's
own cblas_?gemv call with the same arguments, so they are compared bit for bit, for C-
and F-ordered matrices, strided vectors and both orders (matrix @ vector, vector @
matrix); layouts NumPy's gemv refuses take the gemm path (allclose)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember import jit
from ember.native.boundary.blas import find_blas


@jit(cache=False)
def matmul(a: Any, b: Any) -> Any:
    return a @ b


@jit(cache=False)
def dot(a: Any, b: Any) -> Any:
    return np.dot(a, b)


@jit(cache=False)
def atax(a: Any, x: Any) -> Any:
    return a.T @ (a @ x)


def _matrix(rows: int, cols: int, how: str, dtype: Any, rng: Any) -> np.ndarray:
    x = rng.standard_normal((rows, cols)).astype(dtype)
    if how == "F":
        return np.asfortranarray(x)
    if how == "sliced":  # rows of a wider C array: lda > cols
        wide = np.zeros((rows, cols + 3), dtype)
        wide[:, :cols] = x
        return wide[:, :cols]
    return x


@pytest.mark.skipif(find_blas() is None, reason="no bundled BLAS")
@settings(max_examples=40, deadline=None)
@given(st.integers(65, 300), st.integers(65, 300), st.sampled_from(["C", "F", "sliced"]),
       st.sampled_from([1, 2]), st.sampled_from([np.float64, np.float32]), st.integers(0, 99))
def test_matrix_vector_is_numpys_gemv(m: int, k: int, how: str, step: int, dtype: Any,
                                      seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = _matrix(m, k, how, dtype, rng)
    x = rng.standard_normal(k * step).astype(dtype)[::step]
    y = rng.standard_normal(m).astype(dtype)
    for f in (matmul, dot):
        got, want = f(a, x), a @ x
        assert got.dtype == want.dtype and np.array_equal(got, want)
        got, want = f(y, a), y @ a
        assert got.dtype == want.dtype and np.array_equal(got, want)
    col = x.reshape(k, 1).copy()
    assert np.array_equal(matmul(a, col), a @ col)  # a 2-D column: gemv too, as NumPy


def test_atax_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    a, x = rng.standard_normal((400, 500)), rng.standard_normal(500)
    assert np.array_equal(atax(a, x), a.T @ (a @ x))


def test_refused_layouts_still_multiply() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((200, 300))[::2, ::3]  # no unit stride: gemm on a packed copy
    x = rng.standard_normal(100)
    assert np.allclose(matmul(a, x), a @ x, rtol=1e-12, atol=1e-12)
