"""Differential tests, builtins and ``math``: every builtin of the subset (abs min max
round int float bool len pow print) and every ``math`` function and constant ember
compiles (the table in ``ember.native.frontend.builtins``), interpreted vs compiled.

The harness and the documented differences are in ``_harness.py``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness, whatever the import mode

from _harness import (  # noqa: E402
    EDGE_FLOATS,
    EDGE_INTS,
    INT64_MAX,
    INT64_MIN,
    PROFILE,
    bools,
    check,
    check_overflow,
    define,
    floats,
    ints,
    numbers,
    unified,
)

from ember.native.frontend.builtins import (  # noqa: E402
    MATH_FLOAT1,
    MATH_FLOAT2,
    MATH_INT,
    MATH_PREDICATES,
    MATH_TO_INT,
)

# ------------------------------------------------------------------- builtins

B1 = {src: define(f"def bi{i}(a):\n    return {src}\n", f"bi{i}")
      for i, src in enumerate(["abs(a)", "int(a)", "float(a)", "bool(a)", "round(a)",
                               "abs(-a)", "int(a) + 0", "bool(a) + 0", "len((a, a, 1))",
                               "float(a) == a", "round(a, 0)", "round(a, 1)",
                               "round(a, -1)", "round(a, 15)", "round(a, 400)",
                               "round(a, -400)", "pow(a, 3)", "pow(a, 0.5)", "min((a,))"])}
NO_ARGS = define("def bi_none(a):\n"
                 "    return int(), float(), bool(), float('inf'), float('-0.0'), "
                 "float('nan'), float(' 1e3 '), len(()), a\n", "bi_none")
MINMAX2 = {src: define(f"def bm{i}(a, b):\n    return {src}\n", f"bm{i}")
           for i, src in enumerate(["min(a, b)", "max(a, b)", "max((b, a))", "max(a, b, a)"])}
MINMAX3 = {src: define(f"def bmm{i}(a, b, c):\n    return {src}\n", f"bmm{i}")
           for i, src in enumerate(["min(a, b, c)", "max(a, c, b, a)", "min((a, b, c))"])}


@PROFILE
@given(a=numbers)
@example(a=INT64_MIN)
@example(a=INT64_MAX)
@example(a=-0.0)
@example(a=0.5)
@example(a=2.5)
@example(a=-2.5)
@example(a=2.675)
@example(a=1e300)
@example(a=2.0**63)
@example(a=-(2.0**63))
@example(a=9.223372036854775e18)
@example(a=math.nan)
@example(a=-math.inf)
@example(a=5e-324)
@example(a=15)
@example(a=-25)
def test_one_argument_builtins(a: Any) -> None:
    for src, fn in B1.items():
        # -a overflows for INT64_MIN before abs() sees it (difference 1).
        check(fn, a, overflows=src == "abs(-a)" and type(a) is int and a == INT64_MIN)
    check(NO_ARGS, a)


@PROFILE
@given(a=numbers, b=numbers, c=numbers)
@example(a=2, b=1.0, c=0)
@example(a=math.nan, b=1.0, c=0)
@example(a=1.0, b=math.nan, c=0)
@example(a=0.0, b=-0.0, c=0)
@example(a=-0.0, b=0.0, c=False)
@example(a=True, b=1, c=1.0)
@example(a=INT64_MAX, b=2.0**63, c=INT64_MIN)
def test_min_max(a: Any, b: Any, c: Any) -> None:
    # The unified type of all the items (difference 3): max(2, 1.0) is 2.0 in ember.
    for fn in MINMAX2.values():
        check(fn, a, b, unify_to=unified(a, b))
    for fn in MINMAX3.values():
        check(fn, a, b, c, unify_to=unified(a, b, c))


@pytest.mark.parametrize("a", [0.5, 1.5, 2.5, -0.5, -1.5, 1e300, 2.0**63, -(2.0**63), 4.5,
                               math.nan, math.inf, -math.inf])
def test_round_half_even_and_errors(a: float) -> None:
    # round() is half-to-even; round() and int() of inf/NaN/huge raise CPython's errors.
    check(B1["round(a)"], a)
    check(B1["int(a)"], a)


ROUND2 = define("def bround2(a, n):\n    return round(a, n)\n", "bround2")
ROUND_POW = define("def bpow(a, b):\n    return pow(a, b)\n", "bpow")


@PROFILE
@given(a=st.one_of(floats, ints, bools),
       n=st.one_of(st.integers(-40, 40), st.sampled_from([INT64_MIN, INT64_MAX, -400, 400])))
@example(a=2.675, n=2)
@example(a=0.125, n=2)
@example(a=0.5, n=0)
@example(a=1.5, n=0)
@example(a=-0.5, n=0)
@example(a=1e308, n=-308)
@example(a=1.7976931348623157e308, n=-308)
@example(a=5e-324, n=323)
@example(a=INT64_MAX, n=-1)
@example(a=INT64_MIN, n=-18)
@example(a=25, n=-1)
@example(a=35, n=-1)
@example(a=-15, n=-1)
def test_round_ndigits(a: Any, n: int) -> None:
    if type(a) is not float and n < -400:
        n = -400  # int.__round__ computes 10 ** -n: CPython (and ember, which calls it) hang
    check(ROUND2, a, n)


@PROFILE
@given(a=numbers, b=st.one_of(st.integers(-70, 70), floats, bools))
@example(a=0, b=-1)
@example(a=-8.0, b=1 / 3)
@example(a=2, b=63)
@example(a=-2, b=63)
def test_builtin_pow(a: Any, b: Any) -> None:
    ints_only = type(a) is not float and type(b) is not float
    check(ROUND_POW, a, b, negative_int_pow=ints_only and b < 0)


PRINTS = {src: define(f"def bp{i}(a, b):\n    {src}\n    return a\n", f"bp{i}")
          for i, src in enumerate(["print(a)", "print(a, b)", "print('a =', a, 'b =', b)",
                                   "print(a, b, sep='')", "print(a, end='|')",
                                   "print(a, b, sep=', ', end='.\\n')", "print()",
                                   "print(None, a > b, -a)", "print('\\u00e9\\u4e2d', a)",
                                   "print((a, b)[1])"])}


@PROFILE
@given(a=numbers, b=numbers)
@example(a=-0.0, b=math.nan)
@example(a=1e16, b=1e-5)
@example(a=True, b=INT64_MIN)
@example(a=0.1, b=-math.inf)
def test_print(a: Any, b: Any) -> None:
    for src, fn in PRINTS.items():
        check(fn, a, b, overflows="-a" in src and type(a) is int and a == INT64_MIN)


# ----------------------------------------------------------------------- math

def _math(name: str, arity: int) -> Any:
    params = ", ".join("abc"[:arity])
    fname = f"bmath_{name}{arity}"
    return define(f"def {fname}({params}):\n    return math.{name}({params})\n", fname)


MATH_ONE = [n for n in (*MATH_FLOAT1, *MATH_TO_INT, *MATH_PREDICATES, "log", "frexp", "modf")
            if hasattr(math, n)]
MATH_TWO = [n for n in (*MATH_FLOAT2, "log", "ldexp") if hasattr(math, n)]
M1 = {n: _math(n, 1) for n in MATH_ONE}
M2 = {n: _math(n, 2) for n in MATH_TWO}
MI = {n: _math(n, k) for n, k in MATH_INT.items()}
MATH_EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, 0.9999999999999999, 1.0000000000000002,
              171.0, 171.7, 172.0, -170.5, 1e-300, 709.78, 710.0, -745.2, -746.0, 1e16,
              math.pi, math.pi / 2, 1e22, 2.0**1023, -2.0**1023, 18.0, -18.0, 1e-8, 0.1,
              0.9999, 1.0000001, 2.5e305, 800.0, -800.0]
math_args = st.one_of(floats, st.sampled_from(MATH_EDGES), st.integers(-200, 200),
                      st.sampled_from(EDGE_INTS), bools)


@pytest.mark.parametrize("name", MATH_ONE)
@PROFILE
@given(x=math_args)
def test_math_one_argument(name: str, x: Any) -> None:
    check(M1[name], x)


@pytest.mark.parametrize("name", MATH_TWO)
@PROFILE
@given(x=math_args, y=st.one_of(math_args, st.sampled_from([1.0, 10.0, 2.0, 0.5, -1.0, 400.0])))
@example(x=0.0, y=-1.0)
@example(x=-1.0, y=0.5)
@example(x=10.0, y=400.0)
@example(x=1.0, y=math.inf)
@example(x=5.0, y=1.0)
@example(x=math.inf, y=0.0)
@example(x=1e308, y=1e308)
def test_math_two_arguments(name: str, x: Any, y: Any) -> None:
    if name == "ldexp":
        if type(y) is float:
            return  # ldexp's exponent is an int (a float one is a compile error)
        check(M2[name], x, y)
        return
    check(M2[name], x, y)


@PROFILE
@given(x=floats, n=st.one_of(st.integers(-1200, 1200), st.sampled_from([INT64_MAX, INT64_MIN])))
@example(x=1.0, n=1024)
@example(x=1.0, n=-1075)
@example(x=0.75, n=-1074)
@example(x=5e-324, n=1)
def test_math_ldexp(x: float, n: int) -> None:
    check(M2["ldexp"], x, n)


def _too_big(name: str, args: tuple[int, ...]) -> bool:
    """Whether comb/perm's exact result certainly leaves int64 — CPython would spend
    forever computing comb(2**62, 2**61), so ember raises OverflowError up front."""
    if name in ("comb", "perm") and all(a >= 0 for a in args):
        n, k = args
        if k <= n and (min(k, n - k) >= 34 if name == "comb" else k >= 21):
            return True
    return False


def test_comb_perm_overflow_bounds_are_the_least() -> None:
    from ember.native.codegen.builtins import COMB_MIN_OVERFLOW as M
    from ember.native.codegen.builtins import PERM_MIN_OVERFLOW as K

    # C(n, m) >= C(2m, m) for n >= 2m; perm(n, k) >= k! for n >= k.
    assert math.comb(2 * M, M) > INT64_MAX >= math.comb(2 * M - 2, M - 1)
    assert math.factorial(K) > INT64_MAX >= math.factorial(K - 1)


def check_int_math(name: str, args: tuple[int, ...]) -> None:
    if name == "factorial" and args[0] > 20 or _too_big(name, args):
        check_overflow(MI[name], *args)  # 21! > 2**63; CPython's 10**18! never ends
    else:
        check(MI[name], *args)


@pytest.mark.parametrize("name", list(MI))
@PROFILE
@given(data=st.data())
def test_math_integer_functions(name: str, data: st.DataObject) -> None:
    arg = st.one_of(st.integers(-5, 70), ints, bools)
    check_int_math(name, tuple(data.draw(arg, label=f"arg{i}") for i in range(MATH_INT[name])))


@pytest.mark.parametrize(
    ("name", "args"),
    [("factorial", (20,)), ("factorial", (21,)), ("factorial", (0,)), ("factorial", (-1,)),
     ("factorial", (INT64_MAX,)), ("isqrt", (INT64_MAX,)), ("isqrt", (3037000499**2,)),
     ("isqrt", (3037000499**2 - 1,)), ("isqrt", (-1,)), ("isqrt", (0,)),
     ("gcd", (INT64_MIN, 0)), ("gcd", (INT64_MIN, INT64_MIN)), ("gcd", (0, 0)),
     ("gcd", (INT64_MIN, 6)), ("lcm", (INT64_MIN, 1)), ("lcm", (2**32, 2**31 + 1)),
     ("lcm", (0, INT64_MIN)), ("lcm", (-4, 6)), ("comb", (67, 33)), ("comb", (66, 33)),
     ("comb", (68, 34)), ("comb", (10, 11)), ("comb", (-1, 1)), ("comb", (5, -1)),
     ("comb", (INT64_MAX, 1)), ("comb", (INT64_MAX, INT64_MAX - 1)), ("comb", (10**18, 2)),
     ("perm", (20, 20)), ("perm", (21, 21)), ("perm", (INT64_MAX, 1)), ("perm", (5, 6)),
     ("perm", (3037000500, 2)), ("perm", (-1, 0)),
     # huge: CPython would compute the exact integer for ages; ember's OverflowError is
     # immediate (and CPython agrees the results leave int64: see _too_big).
     ("comb", (2**62, 2**61)), ("comb", (INT64_MAX, 2**62)), ("comb", (68, 34)),
     ("comb", (10**18, 10**18 - 40)), ("perm", (2**62, 2**61)), ("perm", (INT64_MAX, 21)),
     ("perm", (21, 21)), ("comb", (2**62, 2**62 + 1)), ("perm", (2**62, 2**62 + 1)),
     ("comb", (-(2**62), 2**61)), ("perm", (2**62, -1)), ("isqrt", (2**62,)),
     ("factorial", (2**62,)), ("factorial", (3037000499**2,)),
     # each two-argument function at the int64 edge, and where comb/perm leave int64
     *[(name, args) for name in ("gcd", "lcm", "comb", "perm")
       for args in ((INT64_MIN, 0), (67, 33), (68, 34), (20, 20))]],
)
def test_math_integer_edges(name: str, args: tuple[int, ...]) -> None:
    check_int_math(name, args)


CONSTANTS = define("def bconst(a):\n"
                   "    return math.pi, math.e, math.tau, math.inf, -math.inf, math.nan, "
                   "a * math.pi, math.pi == 3.141592653589793\n", "bconst")


@pytest.mark.parametrize("a", [0, 1, -1, 2.5, -0.0, True, math.nan])
def test_math_constants(a: Any) -> None:
    check(CONSTANTS, a)


@pytest.mark.parametrize("x", EDGE_FLOATS)
def test_math_edges_cross_product(x: float) -> None:
    for fn in M1.values():
        check(fn, x)
    for name, fn in M2.items():
        if name != "ldexp":
            for y in EDGE_FLOATS:
                check(fn, x, y)


@pytest.mark.parametrize(("x", "y"), [(6.501153159565214e-275, 5e-324), (-6.501153159565214e-275, 5e-324),
                                      (3.0, 1.0), (-3.0, 1.0), (-0.0, 2.0), (1e-310, -5e-324),
                                      (2.5, 1.0), (-2.5, -1.0), (5e-324, 1e-323)])
def test_remainder_zero_has_the_sign_of_x(x: float, y: float) -> None:
    # Regression: glibc's remainder returned -0.0 for an exact multiple of a subnormal y,
    # where CPython's own m_remainder returns +0.0 (a zero result has the sign of x).
    check(M2["remainder"], x, y)
