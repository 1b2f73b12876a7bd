"""NumPy scalars at the call boundary: np.float64, np.int64 and np.bool_ are taken as
float64, int64 and bool where the function gives NumPy's answer for them
(analysis/numpy_scalars.py), by the machine-code entry itself (boundary/numpy_scalars.py);
elsewhere, and for NumPy's narrow and unsigned scalars, a TypeError says what to pass.

Differential: the interpreted function runs on the NumPy scalar (NumPy's arithmetic);
the compiled result must equal it (as a Python number), or compiled code raises where
NumPy warns (overflow that wraps, division by zero giving inf/nan)."""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness

from _harness import (  # noqa: E402
    PROFILE,
    bools,
    check,
    define,
    floats,
    int64s,
    ints,
    leaves_int64,
    run,
    same,
)

from ember.native.runtime.dispatch import jit  # noqa: E402

ARITH = define("""
def arith(x, y):
    z = x * y + 1.5 - x
    if z < y:
        z = z + math.sqrt(abs(x))
    return z, x // 2.0 if x > 0 else x % 3.0, abs(x) >= y
""", "arith")

INTS = define("""
def ints_(a, b):
    t = 0
    for i in range(a % 50 if a > 0 else 3):
        t += i * b
    return a * b - a // 7 + (a ^ b) - (a >> 3), t, a == b
""", "ints_")

BOOLS = define("""
def bools_(p, q, x):
    if p and not q:
        return x * 2.0
    return x if p == q else -x
""", "bools_")


def _python(value: Any) -> Any:
    """The interpreted result as ember returns it: NumPy scalars as Python numbers."""
    if isinstance(value, tuple):
        return tuple(_python(v) for v in value)
    return value.item() if isinstance(value, np.generic) else value


def agree(f: Any, *args: Any) -> None:
    """Compiled == interpreted on NumPy scalars, or compiled raises where NumPy warns."""
    with np.errstate(all="raise"):
        strict = run(f.py_func, args)
    with np.errstate(all="ignore"):
        want = run(f.py_func, args)
    got = run(f, args)
    if strict[1] is FloatingPointError:  # NumPy wraps, or returns inf/nan, with a warning
        assert got[1] is not None or same(got[0], _python(want[0])), (args, want, got)
        return
    if want[1] is None and leaves_int64(_python(want[0])):  # a Python int beyond int64
        assert got[1] is OverflowError, (args, want, got)
        return
    assert got[1] is want[1], (args, want, got)
    if want[1] is None:
        assert same(got[0], _python(want[0])), (args, want, got)


@PROFILE
@given(x=floats, y=floats)
def test_float64_scalars_agree(x: float, y: float) -> None:
    agree(ARITH, np.float64(x), y)
    agree(ARITH, x, np.float64(y))
    agree(ARITH, np.float64(x), np.float64(y))


@PROFILE
@given(a=ints, b=int64s)
def test_int64_scalars_agree(a: int, b: int) -> None:
    agree(INTS, np.int64(a), b)
    agree(INTS, np.int64(a), np.int64(b))
    agree(INTS, np.intp(a), np.int64(b))


@PROFILE
@given(p=bools, q=bools, x=floats)
def test_bool_scalars_agree(p: bool, q: bool, x: float) -> None:
    agree(BOOLS, np.bool_(p), q, x)
    agree(BOOLS, np.bool_(p), np.bool_(q), np.float64(x))


def test_the_entry_takes_them_without_the_slow_path() -> None:
    @jit(cache=False)
    def h(x, n, b):
        return x * n if b else x

    assert h(1.5, 2, True) == 3.0
    h.__dict__["_call_with_numpy_scalars"] = None  # the slow path would fail now
    assert h(np.float64(1.5), np.int64(2), np.True_) == 3.0
    assert h(np.float64(1.5), 2, np.False_) == 1.5
    assert len(h.signatures) == 1


@pytest.mark.parametrize(("source", "args"), [
    ("def r_div(a, b):\n    return a / b\n", (np.int64(2**53 + 1), 3)),
    ("def r_cmp(x, n):\n    return x == n\n", (np.float64(2.0**53), 2**53 + 1)),
    ("def r_cmp2(n, x):\n    return n > x\n", (np.int64(2**53 + 1), 2.0**53)),
    ("def r_round(x):\n    return round(x, 2)\n", (np.float64(2.675),)),
    ("def r_bool(p, q):\n    return p + q\n", (np.True_, True)),
    ("def r_neg(p):\n    return -p\n", (np.True_,)),
    ("def r_pow(a):\n    return a ** -1\n", (np.int64(2),)),
    ("def r_minmax(x, n):\n    return max(x, n)\n", (np.float64(2.0**53), 2**53 + 1)),
])  # fmt: skip
def test_where_numpy_answers_differently_it_is_refused(source: str, args: tuple) -> None:
    f = define(source, source[4:source.index("(")])
    plain = tuple(_python(a) for a in args)
    with np.errstate(all="ignore"):
        numpy_answer = run(f.py_func, args)
    python_answer = run(f.py_func, plain)  # they do differ (else the test is moot):
    assert numpy_answer[1] is not python_answer[1] or not same(_python(numpy_answer[0]),
                                                               python_answer[0])
    with pytest.raises(TypeError, match=r"NumPy's scalar rules.*pass (int|float|bool)\(x\)"):
        f(*args)
    # As Python numbers it compiles (max of an int and a float: ember's unified float).
    check(f, *plain, unify_to=float if "max" in source else None)


def test_a_call_of_another_jit_function_with_one_is_refused() -> None:
    inner = define("def inner(x):\n    return x + 1.0\n", "inner")
    outer = define("def outer(x):\n    return inner(x)\n", "outer", {"inner": inner})
    with pytest.raises(TypeError, match="pass float"):
        outer(np.float64(1.0))
    assert outer(1.0) == 2.0


@pytest.mark.parametrize("value", [
    np.float32(0.1), np.int32(2**30), np.int16(3), np.int8(3), np.uint8(3), np.uint16(3),
    np.uint32(3), np.uint64(3),
])  # fmt: skip
def test_narrow_and_unsigned_scalars_keep_numpys_arithmetic(value: Any) -> None:
    """Their arithmetic wraps or rounds to their own width (np.int32(2**30) * 4 is 0,
    np.float32(0.1) * 3 is float32 math): compiled as NumPy scalars (types.NpScalar)."""
    @jit(cache=False)
    def times4(x):
        return x * 4

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # np.int32(2**30) * 4 overflows
        got, want = times4(value), value * 4
    assert type(got) is type(want) and got == want


@pytest.mark.parametrize(("value", "convert"), [
    (np.longlong(3), "int"), (np.float16(1.5), "float"),
])  # fmt: skip
def test_other_numpy_scalars_are_refused(value: Any, convert: str) -> None:
    @jit(cache=False)
    def times4(x):
        return x * 4

    with pytest.raises(TypeError, match=rf"argument 'x' .* not numpy\.\w+: .*pass {convert}\(x\)"):
        times4(value)
    assert times4(_python(value)) == _python(value) * 4


def test_a_subclass_of_float64_is_not_numpys_scalar() -> None:
    class Money(np.float64):
        def __mul__(self, other: object) -> Any:
            return "overridden"

    @jit(cache=False)
    def double(x):
        return x * 2.0

    double(1.0)
    with pytest.raises(TypeError, match="not Money"):
        double(Money(1.5))


def test_results_are_python_numbers() -> None:
    @jit(cache=False)
    def inc(x):
        return x + 1.0

    out = inc(np.float64(1.5))
    assert type(out) is float and out == 2.5 and math.isfinite(out)
