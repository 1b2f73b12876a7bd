"""``np.linalg`` and ``np.kron`` in compiled code against NumPy (codegen/lapack.py,
codegen/lapack_decomp.py).

Tolerances: solve, inv, det, cholesky, eigh, eigvalsh, qr and svd are compared bit for
bit (the same LAPACK routines on the same Fortran-ordered float64 copies, with the same
workspace sizes, as NumPy's _umath_linalg); kron exactly (one multiply per element);
pinv and float matrix_power with allclose (rtol 1e-10 float64, 1e-4 float32): their
products go through ember's matmul, which uses its own kernel for small sizes where
NumPy calls BLAS. Integer matrix_power exactly. Dtypes, shapes and errors (type and
text) always exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember import jit
from ember.diagnostics import EmberError

NUMPY2 = int(np.__version__.split(".")[0]) >= 2


@jit(cache=False)
def solve(a: Any, b: Any) -> Any:
    return np.linalg.solve(a, b)


@jit(cache=False)
def inv(a: Any) -> Any:
    return np.linalg.inv(a)


@jit(cache=False)
def det(a: Any) -> Any:
    return np.linalg.det(a)


@jit(cache=False)
def cholesky(a: Any) -> Any:
    return np.linalg.cholesky(a)


@jit(cache=False)
def cholesky_upper(a: Any) -> Any:
    return np.linalg.cholesky(a, upper=True)


@jit(cache=False)
def eigh(a: Any) -> Any:
    return np.linalg.eigh(a)


@jit(cache=False)
def eigh_upper(a: Any) -> Any:
    return np.linalg.eigh(a, UPLO="U")


@jit(cache=False)
def eigvalsh(a: Any) -> Any:
    return np.linalg.eigvalsh(a)


@jit(cache=False)
def qr(a: Any) -> Any:
    return np.linalg.qr(a)


@jit(cache=False)
def qr_complete(a: Any) -> Any:
    return np.linalg.qr(a, mode="complete")


@jit(cache=False)
def qr_r(a: Any) -> Any:
    return np.linalg.qr(a, mode="r")


@jit(cache=False)
def svd(a: Any) -> Any:
    return np.linalg.svd(a)


@jit(cache=False)
def svd_reduced(a: Any) -> Any:
    return np.linalg.svd(a, full_matrices=False)


@jit(cache=False)
def svd_values(a: Any) -> Any:
    return np.linalg.svd(a, compute_uv=False)


@jit(cache=False)
def pinv(a: Any) -> Any:
    return np.linalg.pinv(a)


@jit(cache=False)
def matrix_power(a: Any, n: int) -> Any:
    return np.linalg.matrix_power(a, n)


@jit(cache=False)
def eig(a: Any) -> Any:
    return np.linalg.eig(a)


@jit(cache=False)
def eigvals(a: Any) -> Any:
    return np.linalg.eigvals(a)


@jit(cache=False)
def lstsq(a: Any, b: Any) -> Any:
    return np.linalg.lstsq(a, b)


@jit(cache=False)
def lstsq_rcond(a: Any, b: Any, rcond: float) -> Any:
    return np.linalg.lstsq(a, b, rcond=rcond)


@jit(cache=False)
def kron(a: Any, b: Any) -> Any:
    return np.kron(a, b)


def _layout(x: np.ndarray, how: str) -> np.ndarray:
    if how == "F":
        return np.asfortranarray(x)
    if how == "strided":
        big = np.zeros(tuple(2 * d for d in x.shape), x.dtype)
        view = big[tuple(slice(None, None, 2) for _ in x.shape)]
        view[...] = x
        return view
    if how == "T":
        return np.ascontiguousarray(x.T).T
    return np.ascontiguousarray(x)


def _values(shape: tuple[int, ...], dtype: Any, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(-4, 5, shape).astype(dtype)


def _spd(n: int, dtype: Any, seed: int) -> np.ndarray:
    x = _values((n, n), np.float64, seed)
    return (x @ x.T + n * np.eye(n)).astype(dtype)


def _same(got: Any, want: Any, exact: bool = True) -> None:
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _same(g, w, exact)
        return
    if isinstance(want, np.integer):  # lstsq's rank: NumPy's int32, ember's int
        assert isinstance(got, int) and got == int(want)
        return
    if not isinstance(want, np.ndarray):  # det: NumPy's scalar, ember's float
        assert isinstance(got, float)
        assert got == float(want) or (np.isnan(got) and np.isnan(want)), (got, want)
        return
    assert isinstance(got, np.ndarray)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.flags.c_contiguous
    if exact:
        assert np.array_equal(got, want, equal_nan=True), (got, want)
    else:
        rtol = 1e-4 if want.dtype == np.float32 else 1e-10
        assert np.allclose(got, want, rtol=rtol, atol=rtol * 10), (got, want)


def _outcome(f: Any, *args: Any) -> Any:
    try:
        return f(*args)
    except Exception as exc:  # noqa: BLE001 - the type and text are compared
        return (type(exc), str(exc))


def _compare(jf: Any, ref: Any, *args: Any, exact: bool = True) -> None:
    got, want = _outcome(jf, *args), _outcome(ref, *args)
    if isinstance(want, tuple) and isinstance(want[0], type):
        assert got == want
        return
    _same(got, tuple(want) if isinstance(want, tuple) else want, exact)


sizes = st.integers(0, 6) | st.sampled_from([9, 33])
layouts = st.sampled_from(["C", "F", "strided", "T"])
dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.int32])


@settings(max_examples=60, deadline=None)
@given(sizes, st.integers(0, 4), st.booleans(), dtypes, layouts, layouts, st.integers(0, 99))
def test_solve_inv_det_match_numpy(n: int, k: int, vector: bool, dtype: Any, la: str, lb: str,
                                   seed: int) -> None:
    a = _layout(_values((n, n), dtype, seed), la)
    b = _layout(_values((n,) if vector else (n, k), np.float64, seed + 1), lb)
    _compare(solve, np.linalg.solve, a, b)
    _compare(inv, np.linalg.inv, a)
    _compare(det, np.linalg.det, a)


@settings(max_examples=40, deadline=None)
@given(sizes, dtypes, layouts, st.integers(0, 99))
def test_symmetric_factorisations_match_numpy(n: int, dtype: Any, la: str, seed: int) -> None:
    a = _layout(_spd(n, dtype, seed), la)
    for jf, ref in ((cholesky, np.linalg.cholesky), (eigh, np.linalg.eigh),
                    (eigvalsh, np.linalg.eigvalsh)):
        _compare(jf, ref, a)
    if NUMPY2:  # NumPy 1.26's cholesky has no upper=
        _compare(cholesky_upper, lambda x: np.linalg.cholesky(x, upper=True), a)
    _compare(eigh_upper, lambda x: np.linalg.eigh(x, UPLO="U"), a)


@settings(max_examples=40, deadline=None)
@given(sizes, sizes, dtypes, layouts, st.integers(0, 99))
def test_qr_svd_pinv_match_numpy(m: int, n: int, dtype: Any, la: str, seed: int) -> None:
    a = _layout(_values((m, n), dtype, seed), la)
    _compare(qr, np.linalg.qr, a)
    _compare(qr_complete, lambda x: np.linalg.qr(x, mode="complete"), a)
    _compare(qr_r, lambda x: np.linalg.qr(x, mode="r"), a)
    _compare(svd, np.linalg.svd, a)
    _compare(svd_reduced, lambda x: np.linalg.svd(x, full_matrices=False), a)
    _compare(svd_values, lambda x: np.linalg.svd(x, compute_uv=False), a)
    if m and n:  # NumPy's pinv of an empty matrix is np.empty: nothing to compare
        _compare(pinv, np.linalg.pinv, a, exact=False)


@settings(max_examples=40, deadline=None)
@given(sizes, dtypes, layouts, st.integers(0, 99))
def test_eig_of_real_spectra_matches_numpy(n: int, dtype: Any, la: str, seed: int) -> None:
    # Symmetric matrices (real eigenvalues) through the general dgeev path, and a
    # triangular one; NumPy's real results, bit for bit.
    a = _layout(_spd(n, dtype, seed), la)
    _compare(eig, np.linalg.eig, a)
    _compare(eigvals, np.linalg.eigvals, a)
    t = _layout(np.triu(_values((n, n), dtype, seed)), la)
    _compare(eig, np.linalg.eig, t)


def test_eig_with_complex_eigenvalues_is_refused_at_run_time() -> None:
    rotation = np.array([[0.0, 1.0], [-1.0, 0.0]])
    for jf in (eig, eigvals):
        with pytest.raises(ValueError, match="complex eigenvalues"):
            jf(rotation)
    _compare(eig, np.linalg.eig, np.array([[0.0, np.inf], [1.0, 0.0]]))  # NumPy's LinAlgError


@settings(max_examples=50, deadline=None)
@given(sizes, sizes, st.integers(0, 3), st.booleans(), dtypes, layouts, st.integers(0, 99))
def test_lstsq_matches_numpy(m: int, n: int, k: int, vector: bool, dtype: Any, la: str,
                             seed: int) -> None:
    a = _layout(_values((m, n), dtype, seed), la)
    b = _values((m,) if vector else (m, k), dtype, seed + 1)
    _compare(lstsq, np.linalg.lstsq, a, b)
    _compare(lstsq_rcond, lambda x, y, r: np.linalg.lstsq(x, y, rcond=r), a, b, 0.3)
    _compare(lstsq, np.linalg.lstsq, a, np.ones(m + 1))  # 'Incompatible dimensions'


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 5), st.integers(-3, 9), st.sampled_from([np.float64, np.float32, np.int64]),
       layouts, st.integers(0, 99))
def test_matrix_power_matches_numpy(n: int, power: int, dtype: Any, la: str, seed: int) -> None:
    a = _layout(_values((n, n), dtype, seed), la)
    if power < 0 and np.dtype(dtype).kind != "f":
        with pytest.raises(ValueError, match="negative power"):
            matrix_power(a, power)
        return
    _compare(matrix_power, np.linalg.matrix_power, a, power,
             exact=np.dtype(dtype).kind != "f" or n <= 1)


def test_matrix_power_one_is_the_array_itself() -> None:
    a = np.eye(3)
    assert matrix_power(a, 1) is a is np.linalg.matrix_power(a, 1)


@settings(max_examples=40, deadline=None)
@given(sizes, sizes, sizes, sizes, st.sampled_from([np.float64, np.float32, np.int64, np.uint8]),
       dtypes, layouts, st.integers(0, 99))
def test_kron_matches_numpy(m: int, n: int, p: int, q: int, da: Any, db: Any, la: str,
                            seed: int) -> None:
    a = _layout(_values((m, n), da, seed), la)
    b = _values((p, q), db, seed + 1)
    _compare(kron, np.kron, a, b)


STACKED = [(inv, np.linalg.inv, False), (det, np.linalg.det, False), (cholesky, np.linalg.cholesky, True),
           (eigh, np.linalg.eigh, True), (eigvalsh, np.linalg.eigvalsh, True),
           (eig, np.linalg.eig, True), (eigvals, np.linalg.eigvals, True),
           (svd, np.linalg.svd, False), (svd_values, lambda x: np.linalg.svd(x, compute_uv=False), False),
           (qr, np.linalg.qr, False), (qr_complete, lambda x: np.linalg.qr(x, mode="complete"), False)]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(STACKED), st.lists(st.integers(0, 3), min_size=1, max_size=2),
       st.integers(0, 4), st.integers(0, 4), st.sampled_from([np.float64, np.float32]),
       st.booleans(), st.integers(0, 99))
def test_stacks_of_matrices_match_numpy(case: Any, batch: list[int], m: int, n: int, dtype: Any,
                                        reverse: bool, seed: int) -> None:
    jf, ref, spd = case
    if spd:  # real spectra / positive definite: every matrix of the stack
        x = _values((*batch, m, m), np.float64, seed)
        a = (x @ np.swapaxes(x, -1, -2) + m * np.eye(m)).astype(dtype)
    else:
        a = _values((*batch, m, m if jf in (inv, det) else n), dtype, seed)
    if reverse:  # a view with a negative batch stride
        a = a[::-1]
    _compare(jf, ref, a)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=2), st.lists(st.integers(0, 3), max_size=2),
       st.integers(0, 4), st.integers(0, 2), st.booleans(), st.integers(0, 99))
def test_stacked_solve_broadcasts_as_numpy(batch_a: list[int], batch_b: list[int], m: int,
                                           k: int, vector: bool, seed: int) -> None:
    a = _values((*batch_a, m, m), np.float64, seed) + m * np.eye(m)
    b = _values((m,) if vector else (*batch_b, m, k), np.float64, seed + 1)
    if not NUMPY2 and a.ndim > 2 and b.ndim in (1, a.ndim - 1):  # NumPy 1's other rule
        with pytest.raises(EmberError, match="NumPy 1 and 2"):
            solve(a, b)
        return
    _compare(solve, np.linalg.solve, a, b)  # values, or NumPy's broadcast/shape error
    if m > 1:
        _compare(solve, np.linalg.solve, a, _values((m - 1,) if vector else (*batch_b, m - 1, k),
                                                    np.float64, seed))


@pytest.mark.parametrize(("jf", "ref", "a"), [
    (inv, np.linalg.inv, np.array([[1.0, 2.0], [2.0, 4.0]])),
    (solve, lambda a: np.linalg.solve(a, np.ones(2)), np.zeros((2, 2))),
    (det, np.linalg.det, np.zeros((3, 3))),
    (cholesky, np.linalg.cholesky, -np.eye(2)),
    (cholesky, np.linalg.cholesky, np.array([[1.0, 2.0], [2.0, 1.0]])),
    (inv, np.linalg.inv, np.ones((2, 3))),
    (eigh, np.linalg.eigh, np.ones((3, 2))),
    (matrix_power, lambda a: np.linalg.matrix_power(a, -1), np.zeros((2, 2))),
])
def test_errors_match_numpy(jf: Any, ref: Any, a: np.ndarray) -> None:
    if jf is solve:
        _compare(jf, np.linalg.solve, a, np.ones(2))
    elif jf is matrix_power:
        _compare(jf, np.linalg.matrix_power, a, -1)
    else:
        _compare(jf, ref, a)


def test_linalg_error_is_numpys_class() -> None:
    with pytest.raises(np.linalg.LinAlgError, match="^Singular matrix$"):
        inv(np.zeros((2, 2)))


def test_shape_mismatch_is_numpys_value_error() -> None:
    for b in (np.ones(2), np.ones((2, 2))):
        _compare(solve, np.linalg.solve, np.eye(3), b)


def test_float32_det_is_rounded_as_numpy_rounds_it() -> None:
    a = _values((5, 5), np.float32, 3)
    assert det(a) == float(np.linalg.det(a))


@pytest.mark.skipif(NUMPY2, reason="NumPy 2's cholesky takes upper=")
def test_a_keyword_this_numpy_lacks_is_refused() -> None:
    with pytest.raises(EmberError, match="no keyword 'upper'"):
        cholesky_upper(np.eye(2))


def test_unsupported_forms_are_refused_by_name() -> None:
    @jit(cache=False)
    def stacked(a: Any) -> Any:
        return np.linalg.pinv(a)

    with pytest.raises(EmberError, match=r"np\.linalg\.pinv\(\) of a 3-D array"):
        stacked(np.ones((2, 2, 2)))

    @jit(cache=False)
    def hermitian(a: Any) -> Any:
        return np.linalg.svd(a, hermitian=True)

    with pytest.raises(EmberError, match="hermitian=True"):
        hermitian(np.eye(2))

    @jit(cache=False)
    def keyword(a: Any) -> Any:
        return np.linalg.pinv(a, rcond=1e-3)

    with pytest.raises(EmberError, match="keyword 'rcond'"):
        keyword(np.eye(2))


def test_works_without_scipy() -> None:
    # np.linalg goes through NumPy's own bundled LAPACK: SciPy is never needed (and is
    # not installed in the test venv; if it is, nothing here imports it).
    import sys

    a = _spd(4, np.float64, 1)
    assert np.array_equal(cholesky(a), np.linalg.cholesky(a))
    assert "scipy" not in sys.modules
    try:
        import scipy  # noqa: F401
    except ImportError:
        return
    pytest.skip("SciPy is installed here; the no-SciPy run is the venv's")


def _run(tmp_path: Any, code: str, **env: str) -> str:
    import os
    import subprocess
    import sys

    script = tmp_path / "child.py"  # a file: ember reads the function's source
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


_CHILD = """
import numpy as np
from ember import jit
@jit(cache=False)
def inv(a):
    return np.linalg.inv(a)
a = np.array([[4.0, 1.0], [2.0, 3.0]])
try:
    print(np.array_equal(inv(a), np.linalg.inv(a)))
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
"""


def test_ember_blas_names_the_library(tmp_path: Any) -> None:
    from ember.native.boundary.blas import find_blas

    blas = find_blas()
    if blas is None:
        pytest.skip("no bundled BLAS here")
    assert _run(tmp_path, _CHILD, EMBER_BLAS=blas.path) == "True"


def test_without_a_lapack_np_linalg_is_refused_at_compile_time(tmp_path: Any) -> None:
    out = _run(tmp_path, _CHILD, EMBER_BLAS="none")
    assert out.startswith("EmberError") and "needs a LAPACK" in out, out


_KERNEL = """\
import ember
import numpy as np


@ember.jit
def factor(a):
    return np.linalg.cholesky(a), np.linalg.det(a)
"""

_MAIN = """\
import sys
import numpy as np
from kernel import factor
a = np.arange(16.0).reshape(4, 4)
a = a @ a.T + 4 * np.eye(4)
low, d = factor(a)
print(bool(np.array_equal(low, np.linalg.cholesky(a)) and d == np.linalg.det(a)),
      "llvmlite" in sys.modules)
"""


def test_cache_round_trip_resolves_lapack(tmp_path: Any) -> None:
    # The warm path loads the cached shared object with a plain dlopen: it must name
    # NumPy's OpenBLAS as a dependency for LAPACK symbols as for CBLAS ones.
    import os
    import subprocess
    import sys
    from pathlib import Path

    from ember.native.backend.engine import find_cc

    if find_cc() is None:
        pytest.skip("no C compiler/linker")
    (tmp_path / "kernel.py").write_text(_KERNEL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    src = Path(__file__).resolve().parents[2] / "src"
    env.update(PYTHONPATH=os.pathsep.join([str(src), str(tmp_path)]),
               XDG_CACHE_HOME=str(tmp_path / "xdg"), EMBER_DEBUG="cache")
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", _MAIN], capture_output=True, text=True,
                              cwd=tmp_path, env=env, check=False, timeout=300)
        assert done.returncode == 0, done.stderr
        runs.append((done.stdout.split(), done.stderr))
    assert runs[0][0] == ["True", "True"] and "miss" in runs[0][1]
    assert runs[1][0] == ["True", "False"] and "hit" in runs[1][1]  # warm: no llvmlite
