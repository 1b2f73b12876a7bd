"""Differential tests, statements: ``for`` over ``range`` with any step (negative, zero
→ ValueError, near the int64 edges), ``while``, ``break``/``continue``, loop ``else``,
early return, tuples (build, unpack, index, return, pass in), calls between @jit
functions and recursion — interpreted vs compiled; and no crash under hostile inputs.

The harness and the documented differences are in ``_harness.py``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the harness, whatever the import mode

from _harness import (  # noqa: E402
    INT64_MAX,
    INT64_MIN,
    PROFILE,
    check,
    floats,
    ints,
    numbers,
    same,
    unified,
)

from ember.native.runtime.dispatch import jit  # noqa: E402

# ------------------------------------------------------------------- for / range


@jit(cache=False)
def range_walk(start, stop, step):
    # Count, first, last and a checksum that cannot overflow (values mod a prime).
    n = 0
    first = 0
    last = 0
    acc = 0
    for i in range(start, stop, step):
        if n == 0:
            first = i
        last = i
        acc = (acc * 31 + i % 1000003) % 1000003
        n += 1
        if n == 100:
            break
    else:
        n = -n  # the else runs only when the loop was not broken
    return n, first, last, acc


@jit(cache=False)
def range_one(stop):
    t = 0
    for i in range(stop):
        t += i
    return t


@jit(cache=False)
def range_two(start, stop):
    t = 0
    for _ in range(start, stop):
        t += 1
        if t > 50:
            return -1
    return t


int64_edges = st.sampled_from([INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1, 0, -1, 1])
bounds = st.one_of(st.integers(-300, 300), int64_edges, ints)
steps = st.one_of(st.integers(-7, 7), st.sampled_from([INT64_MIN, INT64_MAX, 2**62, -(2**62),
                                                       2**32, 0, 1, -1]), ints)


@PROFILE
@given(start=bounds, stop=bounds, step=steps)
@example(start=0, stop=10, step=0)
@example(start=10, stop=0, step=-3)
@example(start=INT64_MAX - 5, stop=INT64_MAX, step=1)
@example(start=INT64_MIN, stop=INT64_MIN + 5, step=1)
@example(start=INT64_MAX, stop=INT64_MIN, step=-(2**62))
@example(start=INT64_MIN, stop=INT64_MAX, step=2**62)
@example(start=INT64_MIN, stop=INT64_MAX, step=INT64_MAX)
@example(start=INT64_MAX, stop=INT64_MIN, step=INT64_MIN)
@example(start=INT64_MAX, stop=INT64_MAX - 3, step=-1)
@example(start=-5, stop=5, step=7)
def test_range_any_step(start: int, stop: int, step: int) -> None:
    check(range_walk, start, stop, step)


def _walk_with_step(step: int):
    """range_walk with a constant step (the lowering counts such loops its own way)."""
    source = f"""
def walk(start, stop):
    n = 0
    first = 0
    last = 0
    for i in range(start, stop, {step}):
        if n == 0:
            first = i
        last = i
        n += 1
        if n == 100:
            break
    else:
        n = -n
    return n, first, last
"""
    return source


CONST_STEPS = (1, -1, 3, -3, 2**62, -(2**62), INT64_MAX, INT64_MIN)


@pytest.fixture(scope="module")
def const_step_walks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("const_steps")
    walks = {}
    for k, step in enumerate(CONST_STEPS):
        path = folder / f"walk_{k}.py"
        path.write_text(_walk_with_step(step))
        spec = importlib.util.spec_from_file_location(f"walk_{k}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        walks[step] = (module.walk, jit(cache=False)(module.walk))
    return walks


@PROFILE
@given(start=bounds, stop=bounds, step=st.sampled_from(CONST_STEPS))
@example(start=INT64_MIN, stop=INT64_MAX, step=1)
@example(start=INT64_MAX, stop=INT64_MIN, step=-1)
@example(start=INT64_MAX, stop=INT64_MIN, step=INT64_MIN)
def test_range_constant_step(const_step_walks, start: int, stop: int, step: int) -> None:
    py, compiled = const_step_walks[step]
    assert compiled(start, stop) == py(start, stop)


@PROFILE
@given(a=st.integers(-100, 2000), b=st.integers(-100, 100))
@example(a=0, b=0)
@example(a=-1, b=5)
def test_range_one_and_two_arguments(a: int, b: int) -> None:
    check(range_one, a)
    check(range_two, b, a)
    check(range_two, a, b)


@jit(cache=False)
def nested_loops(n, m):
    count = 0
    for i in range(n):
        if i % 3 == 0:
            continue
        for j in range(m, 0, -1):
            if j == i:
                break
            if (i + j) % 5 == 0:
                continue
            count += i * j
        else:
            count -= 1
    return count


@jit(cache=False)
def while_loop(n, limit):
    # Collatz steps, with break, continue and a while-else.
    steps = 0
    x = n
    while x != 1:
        steps += 1
        if steps > limit:
            break
        if x % 2 == 0:
            x //= 2
            continue
        x = 3 * x + 1
    else:
        steps = -steps
    return steps, x


@jit(cache=False)
def early_return(a, b):
    i = 0
    while True:
        if i * i > a:
            return i, 1.5
        if i > b:
            return -i, 0.5
        i += 1


@PROFILE
@given(n=st.integers(-5, 40), m=st.integers(-5, 40))
def test_nested_loops_break_continue_else(n: int, m: int) -> None:
    check(nested_loops, n, m)


@PROFILE
@given(n=st.integers(-50, 10**6), limit=st.integers(0, 400))
@example(n=1, limit=0)
@example(n=27, limit=200)
@example(n=0, limit=3)
def test_while_break_continue_else(n: int, limit: int) -> None:
    check(while_loop, n, limit)


@PROFILE
@given(a=st.integers(-10, 10**6), b=st.integers(-10, 2000))
def test_early_return_from_loops(a: int, b: int) -> None:
    check(early_return, a, b)


@jit(cache=False)
def float_loop(x, n):
    # Accumulate floats with a mix of operations, a while inside a for.
    s = 0.0
    for k in range(1, n):
        y = x / k
        j = 0
        while abs(y) > 10.0 and j < 40:  # inf stays inf: bounded
            y = y / 3.0
            j += 1
        s += y * y - k % 3
        if s != s:
            break
    return s


@PROFILE
@given(x=floats, n=st.integers(-2, 60))
def test_float_loops(x: float, n: int) -> None:
    check(float_loop, x, n)


# ------------------------------------------------------------------------ tuples


@jit(cache=False)
def tuple_ops(a, b):
    t = (a, b, a)
    x, y, z = t
    u = (y, x)
    x, z = z, x  # swap (same types: a local holding two types is float or int, not either)
    nested = ((a, b), (b,), ())
    (p, q), (r,), e = nested
    return t[0], t[-1], u, (x, y, z), len(t) + len(e), p, q, r, t


@jit(cache=False)
def tuple_param(t, k):
    a, b = t
    return b, a * k, (t, k)


@jit(cache=False)
def tuple_minmax(a, b, c):
    t = (a, b, c)
    return min(t), max(t), t[1]


@PROFILE
@given(a=numbers, b=numbers)
@example(a=-0.0, b=0.0)
@example(a=math.nan, b=True)
def test_tuples_build_unpack_index_return(a: Any, b: Any) -> None:
    check(tuple_ops, a, b)


@PROFILE
@given(a=numbers, b=numbers, k=st.one_of(st.integers(-3, 3), st.floats(-2, 2)))
@example(a=INT64_MAX, b=1, k=2)
def test_tuple_arguments(a: Any, b: Any, k: Any) -> None:
    check(tuple_param, (a, b), k)


@PROFILE
@given(a=numbers, b=numbers, c=numbers)
@example(a=math.nan, b=1.0, c=0.0)
@example(a=1, b=2.0, c=True)
def test_tuple_min_max(a: Any, b: Any, c: Any) -> None:
    # min/max of a mixed tuple is typed as the unified item type (difference 3); t[1]
    # keeps its own type.
    kinds = {type(v) for v in (a, b, c)}
    if len(kinds) == 1:
        check(tuple_minmax, a, b, c)
        return
    py_min, py_max, mid = tuple_minmax.py_func(a, b, c)
    got = tuple_minmax(a, b, c)
    to = float if float in kinds else int
    assert same(got, (to(py_min), to(py_max), mid)), (a, b, c, got)


# ------------------------------------------------------------ calls, recursion


@jit(cache=False)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit(cache=False)
def gcd_rec(a, b):
    if b == 0:
        return a
    return gcd_rec(b, a % b)


@jit(cache=False)
def gcd_ifexp(a, b):
    return a if b == 0 else gcd_ifexp(b, a % b)


@jit(cache=False)
def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


@jit(cache=False)
def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


@jit(cache=False)
def ackermann(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ackermann(m - 1, 1)
    return ackermann(m - 1, ackermann(m, n - 1))


@jit(cache=False)
def power_rec(x, n):
    # float recursion with an error deep inside: ZeroDivisionError must come back out.
    if n == 0:
        return 1.0
    if n < 0:
        return 1.0 / power_rec(x, -n)
    half = power_rec(x, n // 2)
    return half * half * (x if n % 2 else 1.0)


@jit(cache=False)
def raises_deep(n):
    if n == 0:
        return 1 // n
    return raises_deep(n - 1) + 1


@PROFILE
@given(n=st.integers(-3, 22), a=ints, b=ints)
@example(n=0, a=INT64_MIN, b=-1)
@example(n=1, a=0, b=0)
def test_recursion(n: int, a: int, b: int) -> None:
    check(fib, n)
    check(gcd_rec, a, b)
    check(is_even, abs(n) * 7)
    check(is_odd, abs(n) * 7)
    check(raises_deep, abs(n))


def test_recursion_in_a_conditional_expression() -> None:
    assert gcd_ifexp(12, 18) == gcd_ifexp.py_func(12, 18)


@pytest.mark.parametrize(("m", "n"), [(0, 0), (1, 5), (2, 3), (3, 3), (2, 0)])
def test_ackermann(m: int, n: int) -> None:
    check(ackermann, m, n)


@PROFILE
@given(x=floats, n=st.integers(-60, 60))
@example(x=0.0, n=-3)
@example(x=-0.0, n=-3)
@example(x=1e300, n=2)
def test_float_recursion_and_errors(x: float, n: int) -> None:
    check(power_rec, x, n)


# ------------------------------------------- globals, callees, unified results

BIG = 2**62
PAIR = (3, -0.5)
SCALE = 1.5


@jit(cache=False)
def add_any(a, b, c=1):
    return a + b * c


@jit(cache=False)
def uses_globals_and_callees(x):
    # Module constants are read at compile time; add_any is specialized twice in the unit.
    return add_any(x, BIG), add_any(x, SCALE, 2), PAIR[1] * x, add_any(PAIR[0], x)


@jit(cache=False)
def returns_either(a, b):
    if a > b:
        return a
    return b * 1


@PROFILE
@given(x=numbers)
@example(x=INT64_MAX - 2**62)
@example(x=INT64_MAX - 2**62 + 1)
def test_globals_and_calls_between_jit_functions(x: Any) -> None:
    check(uses_globals_and_callees, x)


@PROFILE
@given(a=numbers, b=numbers)
def test_returns_of_different_types_unify(a: Any, b: Any) -> None:
    # One return type per specialization: int and float returns give a float
    # (the same rule as difference 3; ``b * 1`` is an int for a bool b).
    check(returns_either, a, b, unify_to=unified(a, b * 1))


# --------------------------------------------------------------------- no crash

_HOSTILE = textwrap.dedent("""
    import math, sys
    sys.setrecursionlimit(100000)
    from ember.diagnostics import EmberError
    from ember.native.runtime.dispatch import jit

    @jit(cache=False)
    def arith(a, b):
        return (a // b, a % b, a << b, a >> b, a ** b, -a, abs(a), a * b, a - b)

    @jit(cache=False)
    def farith(x, y):
        return (x // y, x % y, x ** y, round(x), int(x), math.floor(x), math.log(x),
                math.factorial(int(y)), math.ldexp(x, int(y)), round(x, int(y)))

    @jit(cache=False)
    def loop(a, b, c):
        n = 0
        for i in range(a, b, c):
            n += 1
            if n > 1000:
                break
        return n

    @jit(cache=False)
    def rec(n):
        if n <= 0:
            return 0
        return rec(n - 1) + 1

    I = [0, 1, -1, 2**63 - 1, -2**63, 63, 64, -64, 2**62, 2**32]
    F = [0.0, -0.0, math.nan, math.inf, -math.inf, 5e-324, 1e308, -1e308, 2.0**63, 0.5]
    bad = ["x", None, [1], 2**64, -2**70, 1j, (1, 2)]
    errors = 0
    for a in I:
        for b in I:
            for fn in (arith, loop):
                args = (a, b) if fn is arith else (a, b, b)
                try:
                    fn(*args)
                except (ArithmeticError, ValueError):
                    errors += 1
    for x in F:
        for y in F:
            try:
                farith(x, y)
            except (ArithmeticError, ValueError):
                errors += 1
    for v in bad:  # wrong types at the boundary: a TypeError or OverflowError, no crash
        for fn, args in ((arith, (v, 1)), (arith, (1, v)), (farith, (v, 1.0)), (loop, (0, v, 1))):
            try:
                fn(*args)
            except (TypeError, OverflowError):
                errors += 1
            except EmberError:  # None, tuples, lists, complex are accepted types: arith(None, 1)
                assert v is None or isinstance(v, (tuple, list, complex))  # cannot compile
                errors += 1
    print(rec(10000), errors)
""")


def test_hostile_inputs_do_not_crash(tmp_path: Path) -> None:
    # In a child process, so a segfault fails this test instead of killing the run.
    script = tmp_path / "hostile.py"
    script.write_text(_HOSTILE)
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1] / "src")}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    depth, errors = map(int, proc.stdout.split())
    assert depth == 10000 and errors > 100


_DEEP = textwrap.dedent("""
    from ember.native.runtime.dispatch import jit

    @jit(cache=False)
    def rec(n):
        if n <= 0:
            return 0
        return rec(n - 1) + 1

    try:
        rec(10**8)
    except RecursionError:
        print("RecursionError")
""")


def test_deep_recursion_raises_instead_of_crashing(tmp_path: Path) -> None:
    script = tmp_path / "deep.py"
    script.write_text(_DEEP)
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1] / "src")}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "RecursionError", proc.returncode
