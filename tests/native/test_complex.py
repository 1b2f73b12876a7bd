"""Complex scalars, differentially: each function run by CPython (``f.py_func``) and
compiled (``f``) on the same values must give the same result bit for bit (signed zeros
included, any NaN matching any NaN) or raise the same exception type and message.

    .venv/bin/python -m pytest tests/native/test_complex.py -x -q -p no:cacheprovider
"""

from __future__ import annotations

import cmath
import math
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness, whatever the import mode

from _harness import define  # noqa: E402

from ember import jit as _jit  # noqa: E402
from ember.diagnostics import EmberError  # noqa: E402

jit = _jit(cache=False)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

EDGE = [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 3.0, 1e-300, 1e300, -1e308, 1.7976931348623157e308,
        5e-324, math.inf, -math.inf, math.nan, 2.0**53, 100.0, -100.0, 101.0, 0.1]
reals = st.one_of(st.sampled_from(EDGE), st.floats(), st.floats(-1e3, 1e3),
                  st.integers(-64, 64).map(float))
complexes = st.builds(complex, reals, reals)
ints = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-5, 5),
                 st.sampled_from([2**53 + 1, -(2**53) - 1, 2**63 - 1]))
small_exponents = st.one_of(st.integers(-101, 101).map(float), reals)


def _bits(x: float) -> bytes | str:
    return "nan" if math.isnan(x) else struct.pack("<d", x)


def same(a: Any, b: Any) -> bool:
    """Equal types and values; floats and complex parts bit for bit (NaN ~ NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return _bits(a) == _bits(b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "value", fn(*args)
    except Exception as exc:  # noqa: BLE001 - the exception is what is compared
        return type(exc).__name__, str(exc)


def check(f: Any, *args: Any) -> None:
    want, got = outcome(f.py_func, *args), outcome(f, *args)
    assert want[0] == got[0], (args, want, got)
    if want[0] == "value":
        assert same(want[1], got[1]), (args, want[1], got[1])
    else:
        assert want[1] == got[1], (args, want, got)


# ------------------------------------------------------------ arithmetic


@jit
def add(a, b):
    return a + b


@jit
def sub(a, b):
    return a - b


@jit
def mul(a, b):
    return a * b


@jit
def div(a, b):
    return a / b


@jit
def power(a, b):
    return a**b


OPS = [add, sub, mul, div, power]


@pytest.mark.parametrize("f", OPS, ids=lambda f: f.__name__)
@SETTINGS
@given(complexes, complexes)
@example(1 + 1j, 0j)
@example(0j, -1 + 0j)
@example(0j, 1j)
@example(1e300 + 1e300j, 5.5 + 0j)
@example(1 + 1j, complex(math.inf, 0))
@example(2 + 3j, -3 + 0j)
def test_complex_complex(f: Any, a: complex, b: complex) -> None:
    check(f, a, b)


@pytest.mark.parametrize("f", OPS, ids=lambda f: f.__name__)
@SETTINGS
@given(complexes, reals)
@example(complex(-0.0, -0.0), 2.0)
@example(1 + 2j, 0.0)
def test_complex_float_both_ways(f: Any, z: complex, x: float) -> None:
    check(f, z, x)
    check(f, x, z)


@pytest.mark.parametrize("f", OPS, ids=lambda f: f.__name__)
@SETTINGS
@given(complexes, ints)
def test_complex_int_both_ways(f: Any, z: complex, n: int) -> None:
    check(f, z, n)
    check(f, n, z)


@pytest.mark.parametrize("f", [add, mul, div, power], ids=lambda f: f.__name__)
@given(complexes, st.booleans())
@SETTINGS
def test_complex_bool(f: Any, z: complex, t: bool) -> None:
    check(f, z, t)


@SETTINGS
@given(complexes, small_exponents)
def test_integral_exponents(z: complex, e: float) -> None:
    check(power, z, e)
    check(power, z, complex(e, 0.0))


# ----------------------------------------------------- unary, attributes


@jit
def unary(z):
    return -z, +z, abs(z), z.real, z.imag, z.conjugate(), bool(z), not z


@SETTINGS
@given(complexes)
@example(complex(1e308, 1e308))
@example(complex(math.inf, math.nan))
@example(complex(math.nan, -math.inf))
def test_unary(z: complex) -> None:
    check(unary, z)


@jit
def truthy(z):
    if z:
        return 1
    return 0


@given(complexes)
@SETTINGS
def test_truth_in_if(z: complex) -> None:
    check(truthy, z)


@jit
def eq(a, b):
    return a == b, a != b, b == a


@given(complexes, st.one_of(complexes, reals, ints, st.booleans()))
@SETTINGS
@example(complex(2.0**53, 0.0), 2**53 + 1)
@example(complex(1.0, 0.0), True)
@example(complex(1.0, -0.0), 1)
def test_equality(a: complex, b: Any) -> None:
    check(eq, a, b)


# ---------------------------------------------------------- constructors


@jit
def construct(a, b):
    return complex(a, b), complex(a), complex(imag=b), complex(real=a, imag=b)


@given(st.one_of(reals, complexes, ints, st.booleans()),
       st.one_of(reals, complexes, ints, st.booleans()))
@SETTINGS
@example(0.0, -0.0)
@example(1j, 1j)
@example(complex(1, -0.0), 0.0)
def test_constructor(a: Any, b: Any) -> None:
    check(construct, a, b)


@jit
def literals():
    return 1j, -1j, 2 + 3j, 0j, complex(1), -(0j), 1j * 1j, (1 + 2j) ** 2


def test_literals() -> None:
    check(literals)


# ------------------------------------------------------------------ cmath

CMATH_1 = ["sqrt", "exp", "log", "log10", "sin", "cos", "tan", "sinh", "cosh", "tanh",
           "asin", "acos", "atan", "asinh", "acosh", "atanh", "phase", "polar", "isnan",
           "isinf", "isfinite"]
CMATH_FUNCS = {name: define(f"def cmath_{name}(z):\n    return cmath.{name}(z)\n",
                            f"cmath_{name}", {"cmath": cmath})
               for name in CMATH_1}


@pytest.mark.parametrize("name", CMATH_1)
@given(complexes)
@SETTINGS
@example(0j)
@example(complex(-0.0, -0.0))
@example(complex(math.inf, math.nan))
@example(complex(-math.inf, 0.0))
@example(complex(1e308, 1e308))
def test_cmath(name: str, z: complex) -> None:
    check(CMATH_FUNCS[name], z)


@pytest.mark.parametrize("name", ["sqrt", "exp", "phase", "polar", "isinf"])
@given(st.one_of(reals, ints))
@SETTINGS
def test_cmath_of_reals(name: str, x: Any) -> None:
    check(CMATH_FUNCS[name], x)


@jit
def two_args(a, b):
    return cmath.log(a, b), cmath.rect(a.real, b.real)


@given(complexes, complexes)
@SETTINGS
def test_cmath_two_args(a: complex, b: complex) -> None:
    check(two_args, a, b)


# ----------------------------------------------------- loops, tuples, types


@jit
def mandel(c, n):
    z = 0
    for i in range(n):
        z = z * z + c
        if abs(z) > 2.0:
            return i
    return n


@given(complexes, st.integers(0, 60))
@SETTINGS
def test_mandelbrot_iterations(c: complex, n: int) -> None:
    check(mandel, c, n)


@jit
def pairs(t):
    a, b = t
    return (b, a * 2, (a.real, b))


def test_tuples_of_complex() -> None:
    check(pairs, (1 + 2j, 3.0 - 0j))
    assert pairs((1j, 2j)) == (2j, 2j, (0.0, 2j))


@jit
def widen(n):
    z = 0
    for i in range(n):
        z = z + 1j if i % 2 else z + 1
    return z


def test_widening_merge() -> None:
    check(widen, 5)
    assert same(widen(0), 0j)  # the unified type (a documented difference): CPython's 0
    assert str(widen.signatures) == "[(int64,)]"


def annotated(z: complex) -> complex:
    return z * 2


def test_annotation_and_print(capsys: pytest.CaptureFixture[str]) -> None:
    f = jit(annotated)
    assert f(1j) == 2j

    @jit
    def show(z):
        print(z, z.real)

    show(complex(1.5, -0.0))
    assert capsys.readouterr().out == "(1.5-0j) 1.5\n"


@pytest.mark.parametrize("i, body, words", [
    (0, "a < b", "'<' not supported between complex"),
    (1, "a // b", "unsupported operand type(s) for //: complex"),
    (2, "a % b", "unsupported operand type(s) for %: complex"),
    (3, "float(a)", "float() of a complex value"),
    (4, "a.foo", "no attribute 'foo'"),
])
def test_refused(i: int, body: str, words: str) -> None:
    f = define(f"def refused_{i}(a, b):\n    return {body}\n", f"refused_{i}")
    with pytest.raises(EmberError) as info:
        f(1j, 2j)
    assert words in str(info.value)
