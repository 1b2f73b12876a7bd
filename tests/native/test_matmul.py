"""Matrix products against NumPy: ``a @ b``, ``np.dot``, ``np.matmul``, ``np.inner``,
``np.vdot``, ``np.outer`` of 1-D/2-D arrays (codegen/matmul.py).

Tolerances: float products are compared with ``np.allclose`` (rtol 1e-12 float64, 1e-5
float32; atol scaled by k) because NumPy calls BLAS at every size while ember's small
products and non-BLAS layouts use its own kernel (another summation order). Large
products that both send to the same gemm (layouts BLAS refuses and mixed dtypes are
copied first by both; and dots of positive-stride vectors longer
than 32 to the same ?dot) with the same arguments are compared bit for bit; int products exactly (they wrap, as NumPy's do). Dtypes and shapes always exactly,
errors by type and text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember import jit
from ember.diagnostics import EmberError
from ember.native.backend.engine import find_cc
from ember.native.boundary import blas as blas_module
from ember.native.codegen import matmul as matmul_module

from ._harness import define


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


PRODUCTS = [op_matmul, np_matmul, np_dot, np_inner]
DTYPES = [np.float64, np.float32, np.int64, np.int32, np.int16, np.uint8, np.uint64, np.int8]


def _close(got: Any, want: Any, k: int) -> None:
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape
    if isinstance(want, np.ndarray):
        assert got.dtype == want.dtype
    if want_a.dtype.kind in "iu":
        assert np.array_equal(got_a, want_a)
        return
    rtol = 1e-5 if want_a.dtype == np.float32 else 1e-12
    assert np.allclose(got_a, want_a, rtol=rtol, atol=rtol * max(k, 1) * 10), (got, want)


def _layout(x: np.ndarray, how: str) -> np.ndarray:
    """``x``'s values in layout ``how``: C, F, strided (every other item) or reversed."""
    if how == "F":
        return np.asfortranarray(x)
    if how == "strided":
        big = np.zeros(tuple(2 * d for d in x.shape), x.dtype)
        view = big[tuple(slice(None, None, 2) for _ in x.shape)]
        view[...] = x
        return view
    if how == "reversed":  # negative strides: a reversed view of a reversed copy
        flip = tuple(slice(None, None, -1) for _ in x.shape)
        return x[flip].copy()[flip]
    return np.ascontiguousarray(x)


def _values(shape: tuple[int, ...], dtype: Any, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(0, 5, shape).astype(dtype)


def _shapes(func: Any, m: int, k: int, n: int, left: int, right: int) -> tuple[tuple[int, ...], ...]:
    a = (m, k) if left == 2 else (k,)
    if func is np_inner:
        b = (n, k) if right == 2 else (k,)
    else:
        b = (k, n) if right == 2 else (k,)
    return a, b


dims = st.integers(0, 6) | st.sampled_from([1, 17, 40])
layouts = st.sampled_from(["C", "F", "strided", "reversed"])


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(PRODUCTS), dims, dims, dims, st.sampled_from([1, 2]), st.sampled_from([1, 2]),
       st.sampled_from(DTYPES), st.sampled_from(DTYPES), layouts, layouts, st.integers(0, 99))
def test_products_match_numpy(func: Any, m: int, k: int, n: int, left: int, right: int,
                              da: Any, db: Any, la: str, lb: str, seed: int) -> None:
    sa, sb = _shapes(func, m, k, n, left, right)
    a = _layout(_values(sa, da, seed), la)
    b = _layout(_values(sb, db, seed + 1), lb)
    _close(func(a, b), func.py_func(a, b), k)


def test_negative_strides_take_the_kernel_and_agree() -> None:
    a = _values((40, 30), np.float64, 1)[::-1, ::-1]
    b = _values((30, 20), np.float64, 2)[::-1]
    _close(op_matmul(a, b), a @ b, 30)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 5), st.integers(0, 5), layouts, layouts)
def test_vdot_and_outer(n: int, p: int, la: str, lb: str) -> None:
    x = _layout(_values((n,), np.float64, n), la)
    y = _layout(_values((n,), np.float64, n + 7), lb)
    z = _layout(_values((p,), np.float64, p + 3), lb)
    _close(np_vdot(x, y), np.vdot(x, y), n)
    _close(np_outer(x, z), np.outer(x, z), 1)


@pytest.mark.parametrize(("func", "sa", "sb"), [
    (op_matmul, (2, 3), (4,)), (op_matmul, (2, 3), (4, 5)), (op_matmul, (3,), (4,)),
    (op_matmul, (4,), (2, 3)), (np_matmul, (2, 3), (4, 2)), (np_dot, (2, 3), (4,)),
    (np_dot, (3,), (4,)), (np_dot, (2, 3), (4, 5)), (np_dot, (4,), (2, 3)),
    (np_inner, (2, 3), (2, 4)), (np_inner, (3,), (4,)), (np_inner, (2, 3), (4,)),
    (np_vdot, (3,), (4,)),
])  # fmt: skip
def test_mismatched_core_dimensions_raise_numpys_error(func: Any, sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    a, b = np.ones(sa), np.ones(sb)
    with pytest.raises(ValueError) as want:
        func.py_func(a, b)
    with pytest.raises(ValueError) as got:
        func(a, b)
    assert str(got.value) == str(want.value)


def test_same_gemm_as_numpy_is_bit_identical() -> None:
    for dtype in (np.float64, np.float32):
        a, b = _values((200, 150), dtype, 3), _values((150, 120), dtype, 4)
        for x, y in ((a, b), (np.asfortranarray(a), b), (b.T, a.T), (a[::-1], b[:, ::-1]),
                     (a.astype(np.float32), b)):  # the last two: copies, as NumPy makes
            got, want = op_matmul(x, y), x @ y
            assert got.dtype == want.dtype and np.array_equal(got, want)


def test_same_dot_as_numpy_is_bit_identical() -> None:
    for dtype in (np.float64, np.float32):
        x, y = _values((1000,), dtype, 5), _values((2000,), dtype, 6)[::2]
        assert np_dot(x, y) == float(np.dot(x, y))
        assert np_vdot(x[:100], y[:100]) == float(np.vdot(x[:100], y[:100]))


def test_the_fallback_kernel_when_no_blas(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(matmul_module, "find_blas", lambda: asked.append(True))  # None
    f = define("def fallback_mm(a, b):\n    return a @ b\n", "fallback_mm")
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 1e-4)):
        for m, k, n in ((300, 70, 600), (1, 513, 1), (0, 5, 3), (5, 0, 4)):
            a, b = _values((m, k), dtype, m), _values((k, n), dtype, n)
            got = f(a, b)
            assert got.dtype == (a @ b).dtype
            assert np.allclose(got, a @ b, rtol=rtol, atol=rtol * 10 * max(k, 1))
    assert asked  # compiled while no BLAS was found


def test_blas_is_numpys_own() -> None:
    found = blas_module.find_blas()
    if found is None:
        pytest.skip("this NumPy bundles no BLAS ember recognises")
    assert Path(found.path).exists() and "numpy" in found.path
    before = blas_module.get_num_threads()
    assert before is not None and before >= 1
    blas_module.set_num_threads(1)
    try:
        assert blas_module.get_num_threads() == 1
    finally:
        blas_module.set_num_threads(before)


def test_no_blas_when_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBER_BLAS", "none")
    blas_module.find_blas.cache_clear()
    try:
        assert blas_module.find_blas() is None
    finally:
        monkeypatch.delenv("EMBER_BLAS")
        blas_module.find_blas.cache_clear()


KERNEL = """\
import ember
import numpy as np


@ember.jit
def gemm(a, b):
    return a @ b
"""

MAIN = """\
import sys
import numpy as np
from kernel import gemm
a = np.arange(40000.0).reshape(200, 200) / 7
b = np.cos(a)  # not a.T: NumPy sends a @ a.T to syrk
print(bool(np.array_equal(gemm(a, b), a @ b)), "llvmlite" in sys.modules)
"""


@pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")
def test_cache_round_trip_resolves_blas(tmp_path: Path) -> None:
    (tmp_path / "kernel.py").write_text(KERNEL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    src = Path(__file__).resolve().parents[2] / "src"
    env.update(PYTHONPATH=os.pathsep.join([str(src), str(tmp_path)]),
               XDG_CACHE_HOME=str(tmp_path / "xdg"), EMBER_DEBUG="cache")  # fmt: skip
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", MAIN], capture_output=True, text=True,
                              cwd=tmp_path, env=env, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs.append((done.stdout.split(), done.stderr))
    assert runs[0][0] == ["True", "True"] and "miss" in runs[0][1]
    assert runs[1][0] == ["True", "False"] and "hit" in runs[1][1]  # warm: no llvmlite


@pytest.mark.parametrize(("source", "message"), [
    ("def e_scalar(a):\n    return a @ 2.0\n", "@ of a scalar (float64) is not supported"),
    ("def e_bool(a):\n    return np.dot(a, a)\n", "np.dot of bool arrays is not supported"),
    ("def e_out(a):\n    return np.dot(a, a, out=a)\n", "np.dot takes two positional arrays"),
    ("def e_vdot2(a):\n    return np.vdot(a, a)\n", "np.vdot of a 2-D array is not supported"),
    ("def e_inplace(a):\n    c = a.copy()\n    c @= a\n    return c\n", "in-place a @= b is not supported"),
])  # fmt: skip
def test_unsupported_products_are_compile_errors(source: str, message: str) -> None:
    name = source.split("(")[0][4:]
    f = define(source, name, {"np": np})
    arg = np.ones((2, 2), bool) if "bool" in name else np.ones((2, 2))
    with pytest.raises(EmberError) as err:
        f(arg)
    assert message in str(err.value) and "hint:" in str(err.value)


batch = st.lists(st.sampled_from([0, 1, 2, 3]), min_size=0, max_size=2)


@settings(max_examples=80, deadline=None)
@given(batch, batch, st.integers(0, 4), st.integers(0, 4), st.integers(0, 4),
       st.sampled_from([1, 2]), st.sampled_from([1, 2]), layouts, st.sampled_from(DTYPES[:3]))
def test_stacked_matmul_broadcasts_like_numpy(ba: list[int], bb: list[int], m: int, k: int, n: int,
                                              ca: int, cb: int, la: str, dtype: Any) -> None:
    sa = (*ba, m, k) if ca == 2 or ba else (k,)
    sb = (*bb, k, n) if cb == 2 or bb else (k,)
    if len(sa) < 3 and len(sb) < 3:
        sa = (2, *sa) if len(sa) == 2 else sa
        sb = (2, *sb) if len(sa) < 3 else sb
    a = _layout(_values(sa, dtype, m), la)
    b = _layout(_values(sb, dtype, n), "C")
    got, got_exc, want, want_exc = None, None, None, None
    try:
        want = a @ b
    except ValueError as exc:
        want_exc = str(exc)
    try:
        got = op_matmul(a, b)
    except ValueError as exc:
        got_exc = str(exc)
    assert got_exc == want_exc
    if want_exc is None:
        _close(got, want, k)


def test_errors_and_results_keep_reference_counts() -> None:
    a, b = np.ones((3, 2)), np.ones(4)
    before = sys.getrefcount(a), sys.getrefcount(b)
    for _ in range(100):
        with pytest.raises(ValueError):
            np_dot(a, b)
        np_dot(a.T, a)
    assert (sys.getrefcount(a), sys.getrefcount(b)) == before


@jit(cache=False)
def fused(a: Any, b: Any, x: Any) -> Any:
    y = (a @ b) * 2.0 + 1.0
    return np.dot(y, x) - x.sum(), np.abs(a.T @ a)


def test_products_inside_array_expressions() -> None:
    a, b, x = _values((5, 4), np.float64, 1), _values((4, 6), np.float64, 2), _values((6,), np.float64, 3)
    got, want = fused(a, b, x), fused.py_func(a, b, x)
    for g, w in zip(got, want, strict=True):
        _close(g, w, 6)
