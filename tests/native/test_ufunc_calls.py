"""Every ufunc compiled code knows, called through ``@jit`` as users write it
(``np.<name>(a)`` / ``np.<name>(a, b)``) on arrays of each kind of dtype and on Python
numbers, compared with NumPy through the one differential harness: the same values (bit
for bit), dtype and shape, or the same exception; a loop NumPy runs in float16 is a
compile error (README)."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, define  # noqa: E402

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.ufuncs import ARITY  # noqa: E402

# Written out (not read from the table) so that this file names each one it tests.
NAMES = [
    "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
    "arctanh", "bitwise_and", "bitwise_or", "bitwise_xor", "cbrt", "ceil", "conjugate",
    "copysign",
    "cos", "cosh", "deg2rad", "degrees", "divide", "equal", "exp", "exp2", "expm1", "fabs",
    "float_power", "floor", "floor_divide", "fmax", "fmin", "fmod", "greater",
    "greater_equal", "hypot", "invert", "isfinite", "isinf", "isnan", "left_shift", "less",
    "less_equal", "log", "log10", "log1p", "log2", "logical_and", "logical_not",
    "logical_or", "logical_xor", "maximum", "minimum", "multiply", "negative", "not_equal",
    "positive", "power", "rad2deg", "radians", "reciprocal", "remainder", "right_shift",
    "rint", "sign", "signbit", "sin", "sinh", "sqrt", "square", "subtract", "tan", "tanh",
    "trunc",
]
NS = {"np": np}
FUNCS = {n: define(f"def uf_{n}(a{', b' if ARITY[n] == 2 else ''}):\n"
                  f"    return np.{n}(a{', b' if ARITY[n] == 2 else ''})\n", f"uf_{n}", NS)
         for n in NAMES}
SAMPLES = {
    "float64": [0.0, -0.0, 0.5, -1.5, 2.0, 3.0, 1e300, -np.inf, np.inf, np.nan, 0.75, -0.25],
    "float32": [0.0, -0.0, 0.5, -1.5, 2.0, 3.0, 1e30, -np.inf, np.inf, np.nan, 0.75, -0.25],
    "int64": [0, 1, -1, 2, -3, 7, 63, -64, 2**62, -2**63, 5, 9],
    "int16": [0, 1, -1, 2, -3, 7, 15, -16, 300, -32768, 5, 9],
    "uint8": [0, 1, 2, 3, 7, 8, 200, 255, 4, 5, 6, 9],
    "bool": [True, False, True, True, False, False, True, False, True, False, True, False],
}


def test_the_list_is_the_table() -> None:
    assert sorted(NAMES) == sorted(ARITY)


@pytest.mark.parametrize("dtype", list(SAMPLES))
@pytest.mark.parametrize("name", NAMES)
def test_ufunc_on_arrays(name: str, dtype: str) -> None:
    a = np.array(SAMPLES[dtype], dtype)
    args = (a,) if ARITY[name] == 1 else (a, a[::-1].copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            loop = getattr(np, name).resolve_dtypes((*(x.dtype for x in args), None))
        except TypeError:  # NumPy has no loop for these dtypes
            with pytest.raises(TypeError):
                FUNCS[name](*args)
            return
        if name == "reciprocal" and a.dtype.kind in "iub":
            # Refused with a hint (README): NumPy's integer reciprocal is C's 1 / x.
            with pytest.raises(EmberError, match="np.reciprocal"):
                FUNCS[name](*args)
            return
        if np.dtype("float16") in loop:
            with pytest.raises(EmberError, match="float16"):
                FUNCS[name](*args)
            return
        check(FUNCS[name], *args)  # values, or NumPy's exception (int ** negative)


@pytest.mark.parametrize("name", NAMES)
def test_ufunc_on_numbers(name: str) -> None:
    """Python numbers in, NumPy's answer out (as a Python number)."""
    for x in (2.5, -0.5, 3, 0):
        if name == "reciprocal" and isinstance(x, int):
            continue  # refused with a hint, as for integer arrays
        args = (x,) if ARITY[name] == 1 else (x, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                expected = getattr(np, name)(*args)
            except (TypeError, ValueError) as exc:
                with pytest.raises(type(exc)):
                    FUNCS[name](*args)
                continue
            got = FUNCS[name](*args)
        assert got == expected or (np.isnan(expected) and np.isnan(got)), (name, args)
        # The sign of a NaN made by an invalid operation (log(-0.5)) is not NumPy's to promise:
        # its SIMD loops and libm disagree by CPU (the CI machine's AVX-512 log gives +nan).
        if not np.isnan(expected):
            assert np.signbit(got) == np.signbit(expected), (name, args)


def test_amin_amax_are_min_max() -> None:
    f = define("def uf_amin(a):\n    return np.amin(a, axis=0), np.amax(a, axis=1)\n",
               "uf_amin", NS)
    check(f, np.arange(12.0).reshape(3, 4))
