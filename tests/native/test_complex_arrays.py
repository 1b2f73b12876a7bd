"""Complex arrays, differentially against NumPy: each function run by NumPy
(``f.py_func``) and compiled (``f``) on the same arrays must give the same dtype, shape
and values bit for bit (signed zeros included, NaN matching NaN) or raise the same
exception type.

    .venv/bin/python -m pytest tests/native/test_complex_arrays.py -x -q -p no:cacheprovider
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness, whatever the import mode

from _harness import define  # noqa: E402

from ember import jit as _jit  # noqa: E402
from ember.diagnostics import EmberError  # noqa: E402

jit = _jit(cache=False)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

EDGE = [0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 1e-300, 1e300, -1e308, 5e-324, math.inf, -math.inf,
        math.nan, 2.0, -7.25]
reals = st.one_of(st.sampled_from(EDGE), st.floats(), st.floats(-100, 100))
complexes = st.builds(complex, reals, reals)
DTYPES = ["complex128", "complex64"]


def arrays(dtype: str, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[np.ndarray]:
    with warnings.catch_warnings():  # complex64 rounding of huge values: inf
        warnings.simplefilter("ignore")
        return st.lists(complexes, min_size=min_size, max_size=max_size).map(
            lambda xs: np.array(xs, dtype=np.complex128).astype(dtype))


def _bits(a: np.ndarray) -> np.ndarray:
    """The array as raw float parts, NaN canonicalised (any NaN matches any NaN)."""
    parts = a.view(a.real.dtype) if a.dtype.kind == "c" else a
    out = np.array(parts, copy=True)
    if out.dtype.kind == "f":
        out[np.isnan(out)] = np.nan
        return out.view(np.uint32 if out.dtype.itemsize == 4 else np.uint64)
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple):
        return type(b) is tuple and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(_bits(a), _bits(b)))
    if isinstance(a, (complex, np.complexfloating, float, np.floating)):
        a, b = complex(a), complex(b)
        bits = [_bits(np.array([x.real, x.imag])) for x in (a, b)]
        return bool(np.array_equal(*bits))
    return bool(a == b)


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "value", fn(*copies)
    except Exception as exc:  # noqa: BLE001 - the exception type is compared
        return type(exc).__name__, None


def check(f: Any, *args: Any) -> None:
    want, got = outcome(f.py_func, *args), outcome(f, *args)
    assert want[0] == got[0], (args, want, got)
    assert same(want[1], got[1]), (_hex(args), _hex(want[1]), _hex(got[1]))


def _hex(v: Any) -> Any:
    """Exact values for a failure message."""
    if isinstance(v, tuple):
        return tuple(map(_hex, v))
    if isinstance(v, np.ndarray):
        flat = v.astype(np.complex128).ravel() if v.dtype.kind == "c" else v.ravel()
        return [(float(x.real).hex(), float(x.imag).hex()) if v.dtype.kind == "c" else x
                for x in flat]
    return v


# ------------------------------------------------------------- arithmetic


@jit
def arith(a, b):
    return a + b, a - b, a * b, a / b, -a, +a


@jit
def with_scalars(a, z, x):
    return a * z + x, z / a, a - 2, 1j * a, a / x


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(st.data())
def test_arithmetic(dtype: str, data: st.DataObject) -> None:
    a = data.draw(arrays(dtype, 1, 30))
    b = data.draw(arrays(dtype, len(a), len(a)))
    check(arith, a, b)
    check(arith, a, b.astype(np.complex128))
    check(arith, a, b.real.copy())


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(st.data(), complexes, reals)
def test_weak_python_scalars(dtype: str, data: st.DataObject, z: complex, x: float) -> None:
    check(with_scalars, data.draw(arrays(dtype, 1)), z, x)


@jit
def ufuncs(a):
    return (np.conj(a), np.conjugate(a), np.abs(a), np.absolute(a), np.square(a),
            np.isnan(a), np.isinf(a), np.isfinite(a), a == a[::-1], a != a[::-1], abs(a))


@jit
def libm(a):
    return np.sqrt(a), np.exp(a), np.log(a)


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(st.data())
def test_ufuncs(dtype: str, data: st.DataObject) -> None:
    check(ufuncs, data.draw(arrays(dtype)))


@SETTINGS
@given(arrays("complex128"))
def test_sqrt_exp_log(a: np.ndarray) -> None:
    check(libm, a)


# ------------------------------------------------------------------ parts


@jit
def parts(a):
    return a.real, a.imag, np.real(a), np.imag(a), np.angle(a)


@jit
def write_parts(a, x):
    a.real[0] = x
    a.imag[:] = -x
    return a


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(st.data(), reals)
def test_parts_are_views(dtype: str, data: st.DataObject, x: float) -> None:
    a = data.draw(arrays(dtype, 1))
    check(parts, a)
    check(parts, a[::-2])
    check(parts, np.stack([a, a]).T)
    check(write_parts, a, x)
    b = a.copy()
    write_parts(b, x)
    assert same(b.imag, np.full(len(b), -x, b.real.dtype))


def test_part_of_a_real_array_and_of_scalars() -> None:
    @jit
    def real_parts(a, z):
        return np.real(a), np.angle(a), np.real(z), np.imag(z), np.angle(z), np.abs(z)

    check(real_parts, np.array([1.0, -2.0, -0.0]), 3 - 4j)


# ------------------------------------------------------- elements, creation


@jit
def elements(a, i, z):
    old = a[i]
    a[i] = old * z
    a[-1] = 2.5
    s = 0j
    for k in range(a.shape[0]):
        s += a[k]
    return old, a[i], s


# complex128 only: a complex64 element is read as a complex128 (as a float32 one is read
# as a float64), so scalar arithmetic on it is complex128's, not NumPy's complex64's.
@SETTINGS
@given(st.data(), complexes)
def test_elements(data: st.DataObject, z: complex) -> None:
    a = data.draw(arrays("complex128", 1))
    i = data.draw(st.integers(-len(a), len(a) - 1))
    want = elements.py_func(a.copy(), i, z)
    got = elements(a.copy(), i, z)
    # NumPy's scalars are np.complex128/np.complex64; ember's are Python complex.
    assert same(tuple(complex(v) for v in want), got)


@jit
def created(n, z):
    a = np.zeros(n, dtype=np.complex128)
    a[:] = z
    return (a, np.ones(n, dtype=np.complex64), np.full(n, z), np.empty(0, dtype=complex),
            np.array([z, 1, 2.5]), np.zeros((2, n), np.complex64), np.zeros_like(a))


@SETTINGS
@given(st.integers(0, 5), complexes)
def test_creation(n: int, z: complex) -> None:
    check(created, n, z)


@jit
def casts(a, x):
    return a.astype(np.complex64), a.astype(np.complex128), x.astype(np.complex128)


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(st.data())
def test_astype(dtype: str, data: st.DataObject) -> None:
    a = data.draw(arrays(dtype))
    check(casts, a, np.arange(len(a), dtype=np.int32) - 3)


@jit
def to_real(a):
    return a.astype(np.float64), a.astype(np.int64), a.astype(np.bool_)


def test_complex_to_real_casts() -> None:
    a = np.array([1.5 + 2j, -0.0 + 0j, 0 + 1j, complex(np.nan, 0), 3e30 - 1j])
    check(to_real, a[:3])  # int64 of nan/huge: platform values, checked elsewhere
    assert same(to_real(a)[2], to_real.py_func(a)[2])


# ------------------------------------------------------------- reductions


@jit
def reductions(a):
    return a.sum(), a.prod(), a.mean(), np.sum(a)


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(st.data())
def test_reductions(dtype: str, data: st.DataObject) -> None:
    a = data.draw(arrays(dtype, 0, 300))
    want, got = outcome(reductions.py_func, a), outcome(reductions, a)
    assert want[0] == got[0]
    assert same(tuple(complex(v) for v in want[1]), got[1]), (a, want, got)
    if len(a) > 2:
        b = a[::-3]
        assert same(tuple(complex(v) for v in reductions.py_func(b)), reductions(b))


def test_reductions_of_2d() -> None:
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((30, 20)) + 1j * rng.standard_normal((30, 20)))
    for x in (a, np.asfortranarray(a)):
        assert same(tuple(complex(v) for v in reductions.py_func(x)), reductions(x))


# ----------------------------------------------------------------- refused


@pytest.mark.parametrize("i, body, words", [
    (0, "np.sin(a)", "np.sin() of complex values is not supported"),
    (1, "a < a", "np.less() of complex values"),
    (2, "a.sum(axis=0)", "with axis= is not supported"),
    (3, "a.max()", "max() of a complex array is not supported"),
    (4, "a ** 2.5", "np.power() of complex values"),
])
def test_refused(i: int, body: str, words: str) -> None:
    f = define(f"def carr_refused_{i}(a):\n    return {body}\n", f"carr_refused_{i}",
               {"np": np})
    with pytest.raises(EmberError) as info:
        f(np.ones((2, 2), dtype=complex))
    assert words in str(info.value)


def test_store_complex_into_real_array_is_refused() -> None:
    f = define("def carr_store(a, z):\n    a[0] = z\n", "carr_store")
    with pytest.raises(EmberError, match="cannot store a complex128"):
        f(np.zeros(2), 1j)
