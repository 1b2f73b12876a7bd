"""NumPy's floating-point RuntimeWarnings, and what compiled code does instead (the
README's warnings policy). Values always agree (``_gen.agree``); the warnings are compared
here, per case, as (category, message) lists:

- integer division and remainder by zero: compiled code emits NumPy's own warning, once
  per call, with its text ("divide by zero encountered in floor_divide");
- float divide-by-zero, invalid, overflow (``a / 0.0``, ``np.log(-a)``, ``np.sqrt(-1.0)``,
  ``np.exp(1000.0 * a)``, a NaN cast to int): compiled code is silent — strict xfails
  below, so the day it warns they turn into passes to keep;
- the result is the same either way, and compiled code never raises for them even when
  warnings are errors (``-W error``) or under ``np.errstate(all="raise")``, where NumPy
  raises (also a strict xfail: errstate is not read).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ._gen import agree, kernel

A = np.array([0.0, 1.0, 2.0, -3.0])
INT_CASES = {"a // 0": np.arange(-2, 3), "a % 0": np.arange(-2, 3),
             "a // b": (np.arange(4, dtype=np.int8), np.array([1, 0, 2, 0], np.int8))}
FLOAT_CASES = {"a / 0.0": A, "np.log(-a)": A, "np.sqrt(-a)": A, "np.sqrt(a)": -1.0,
               "np.log(a)": 0.0, "np.exp(a * 1000.0)": A, "a * 1e308 * 10": A,
               "a.astype(np.int8)": np.array([np.nan, 1e10]), "np.arccos(a)": A,
               "(a - a) / a": np.array([np.inf, 0.0]), "a.astype(np.float32) * 2e38": A}
KERNELS = {src: kernel(f"warn_{i}", f"def k(a, b):\n    return {src}\n")
           for i, src in enumerate([*INT_CASES, *FLOAT_CASES])}


def _args(v: object) -> tuple:
    return v if isinstance(v, tuple) else (v, 0)


def warned(f, *args) -> list[tuple[type, str]]:  # noqa: ANN001
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f(*(a.copy() if isinstance(a, np.ndarray) else a for a in args))
    return sorted({(x.category, str(x.message)) for x in w}, key=str)


@pytest.mark.parametrize("src", sorted(INT_CASES))
def test_integer_division_by_zero_warns_as_numpy(src: str) -> None:
    f, args = KERNELS[src], _args(INT_CASES[src])
    agree(f, *args)
    assert warned(f, *args) == warned(f.py_func, *args) != []


@pytest.mark.parametrize("src", sorted(FLOAT_CASES))
@pytest.mark.xfail(strict=True, reason=(
    "compiled code does not emit NumPy's floating-point RuntimeWarnings (divide by zero, "
    "invalid value, overflow, invalid cast); the values are NumPy's (README, warnings policy)"))
def test_float_warnings_are_numpys(src: str) -> None:
    f, args = KERNELS[src], _args(FLOAT_CASES[src])
    assert warned(f, *args) == warned(f.py_func, *args)


@pytest.mark.parametrize("src", sorted(FLOAT_CASES))
def test_float_cases_give_numpys_values_silently(src: str) -> None:
    # The policy as it stands, pinned: the same values, no warning, and no exception even
    # when warnings are errors.
    f, args = KERNELS[src], _args(FLOAT_CASES[src])
    assert warned(f.py_func, *args) != []  # NumPy does warn here
    agree(f, *args)
    assert warned(f, *args) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f(*args)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "np.errstate is not read by compiled code: under errstate(all='raise') NumPy raises "
    "FloatingPointError, compiled code returns NumPy's default-mode values"))
def test_errstate_raise_is_honoured() -> None:
    f = KERNELS["a / 0.0"]
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError):
            f.py_func(A, 0)
        try:
            f(A, 0)
        except FloatingPointError:
            return
    raise AssertionError("no FloatingPointError from compiled code")
