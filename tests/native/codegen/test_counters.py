"""Counters judged at loop exits, and ``k*x + c`` under a parity test (codegen/function.py's
module docstring states the rules; analysis/loops.py decides which code qualifies).

Each rule is tested on both sides: the unchecked code keeps exact results, and every
way the counter can really leave int64 still raises OverflowError, before anything
observes the wrapped value. Which locals qualify is pinned on typed IR, and the
lowering on unoptimized LLVM IR (stable: it is ember's own output, before LLVM).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.native.analysis import loops as loop_facts
from ember.native.frontend.statements import infer_unit
from ember.native.ir import nodes as T
from ember.native.options import Options
from ember.native.runtime.dispatch import jit
from ember.native.types import INT64

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
SADD = 'call {i64, i1} @"llvm.sadd.with.overflow.i64"'


def first(kind: type, body: tuple[T.Stmt, ...]) -> Any:
    """The first statement of type ``kind`` in ``body``, searching nested bodies."""
    for st_ in body:
        if isinstance(st_, kind):
            return st_
        for field in ("body", "orelse"):
            found = first(kind, getattr(st_, field, ()))
            if found is not None:
                return found
    return None


def typed_body(func: Any, n_args: int) -> tuple[T.Stmt, ...]:
    py = getattr(func, "py_func", func)
    return infer_unit(py, (INT64,) * n_args, Options()).root.body


# ------------------------------------------------------ while: silent counters


@jit(cache=False)
def collatz_steps(n):
    steps = 0
    for start in range(1, n + 1):
        x = start
        while x != 1:
            if x % 2 == 0:
                x = x // 2
            else:
                x = 3 * x + 1
            steps += 1
    return steps


@jit(cache=False)
def count_up(c, n):
    k = 0
    while k < n:
        k += 1
        c += 1
    return c


@jit(cache=False)
def count_then_break(c, n):
    k = 0
    while True:
        c += 1
        k += 1
        if k == n:
            break
    return c


@jit(cache=False)
def count_then_return_other(c, n):
    k = 0
    while True:
        c += 1
        k += 1
        if k == n:
            return k  # c is never read again: its overflow still raises


@jit(cache=False)
def count_and_print(c, n):
    k = 0
    while k < n:
        c += 1
        k += 1
        print(k)


@jit(cache=False)
def count_then_divide(c, n):
    k = 0
    r = 0
    while k < n:
        c += 1
        k += 1
        r = 10 // (n - k)  # ZeroDivisionError on the last iteration
    return r


@jit(cache=False)
def count_conditionally(c, n):
    k = 0
    while k < n:
        k += 1
        if k % 3 == 0:
            c += 1
    return c


@jit(cache=False)
def count_with_else(c, n):
    k = 0
    while k < n:
        k += 1
        c += 1
    else:
        k = -1
    return c


def test_silent_counters_keep_exact_results() -> None:
    assert collatz_steps(3000) == collatz_steps.py_func(3000)
    assert count_up(5, 10) == 15
    assert count_up(INT64_MAX - 10, 10) == INT64_MAX
    assert count_up(INT64_MIN, 3) == INT64_MIN + 3
    assert count_then_break(INT64_MAX - 4, 4) == INT64_MAX
    assert count_conditionally(INT64_MAX - 3, 9) == INT64_MAX
    assert count_with_else(INT64_MAX - 1, 1) == INT64_MAX


def test_a_silent_counter_that_leaves_int64_raises_at_every_exit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(OverflowError):
        count_up(INT64_MAX - 2, 3)  # the loop's normal end
    with pytest.raises(OverflowError):
        count_then_break(INT64_MAX - 2, 3)  # break
    with pytest.raises(OverflowError):
        count_then_return_other(INT64_MAX, 2)  # return inside the loop
    with pytest.raises(OverflowError):
        count_conditionally(INT64_MAX - 2, 9)  # conditional increments
    with pytest.raises(OverflowError):
        count_with_else(INT64_MAX, 1)  # before the else clause
    assert count_then_return_other(0, 2) == 2
    # A check point inside the loop sees the verdict: nothing is printed after the wrap.
    with pytest.raises(OverflowError):
        count_and_print(INT64_MAX, 3)
    assert capsys.readouterr().out == ""
    count_and_print(INT64_MAX - 2, 2)
    assert capsys.readouterr().out == "1\n2\n"
    # An error exit inside the loop after the wrap raises OverflowError instead.
    with pytest.raises(ZeroDivisionError):
        count_then_divide(0, 3)
    with pytest.raises(OverflowError):
        count_then_divide(INT64_MAX, 3)


@settings(max_examples=200, deadline=None)
@given(st.integers(-40, 40), st.integers(0, 60))
def test_silent_counters_near_the_edge_match_python(offset: int, n: int) -> None:
    c = INT64_MAX - offset if offset >= 0 else INT64_MIN - offset
    for f in (count_up, count_then_break, count_conditionally, count_with_else):
        if f is count_then_break and n == 0:
            continue  # k == 0 is never reached: it would count forever
        want = f.py_func(c, n)
        if want > INT64_MAX:
            with pytest.raises(OverflowError):
                f(c, n)
        else:
            assert f(c, n) == want


@jit(cache=False)
def count_and_jump(c, n, big):
    k = 0
    while k < n:
        k += 1
        c += 1
        if k == 2:
            c += big
    return c


@jit(cache=False)
def count_by_two(c, n):
    k = 0
    while k < n:
        k += 1
        c += 2
    return c


@jit(cache=False)
def count_and_test(c, n):
    k = 0
    while c < n:  # c steers the loop: checked at the latch
        c += 1
        k += 1
    return k


def test_counters_with_any_other_use_keep_their_checks() -> None:
    with pytest.raises(OverflowError):
        count_and_jump(0, 3, INT64_MAX)
    assert count_and_jump(0, 3, 10) == 13
    with pytest.raises(OverflowError):
        count_by_two(INT64_MAX - 3, 2)
    assert count_by_two(INT64_MAX - 3, 1) == INT64_MAX - 1
    assert count_and_test(INT64_MAX - 3, INT64_MAX) == 3


def _counters(func: Any, n_args: int) -> set[str]:
    return loop_facts.silent_counters(first(T.While, typed_body(func, n_args)))


def test_which_locals_are_silent_counters() -> None:
    assert _counters(collatz_steps, 1) == {"steps"}
    assert _counters(count_up, 2) == {"c"}  # k is read by the test
    assert _counters(count_then_break, 2) == {"c"}  # k is read by the if
    assert _counters(count_conditionally, 2) == {"c"}
    assert _counters(count_and_jump, 3) == set()  # a second assignment
    assert _counters(count_by_two, 2) == set()  # steps of 2
    assert _counters(count_and_test, 2) == {"k"}  # c is read by the test, k is not


@jit(cache=False)
def nested_counter(c, n):
    k = 0
    while k < n:
        k += 1
        for _ in range(n):
            c += 1  # in a nested loop: many times per iteration of the while
    return c


@jit(cache=False)
def counter_read_in_body(c, n):
    k = 0
    t = 0
    while k < n:
        k += 1
        c += 1
        t = c
    return t


def test_a_counter_in_a_nested_loop_or_read_in_the_body_is_not_silent() -> None:
    assert _counters(nested_counter, 2) == set()
    assert _counters(counter_read_in_body, 2) == set()
    with pytest.raises(OverflowError):
        nested_counter(INT64_MAX - 3, 2)
    assert nested_counter(INT64_MAX - 4, 2) == INT64_MAX
    with pytest.raises(OverflowError):
        counter_read_in_body(INT64_MAX - 1, 2)


def test_a_silent_counter_adds_without_a_check_in_the_ir() -> None:
    # count_up's only int additions: k += 1 (read by the test: checked) and c += 1.
    text = count_up.inspect_llvm((INT64, INT64), optimized=False)
    assert text.count(SADD) == 1
    text = count_by_two.inspect_llvm((INT64, INT64), optimized=False)
    assert text.count(SADD) == 2


# --------------------------------------------- for: conditional accumulators


@jit(cache=False)
def count_inside(n, seed, inside):
    state = seed
    for _ in range(n):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        if state < 1073741824:
            inside += 1
    return inside


@jit(cache=False)
def count_flagged(n, c):
    for i in range(n):
        if i % 2 == 0:
            print(i)  # not an if-converted arm: the plain statement path
            c += 1
    return c


def test_a_conditional_accumulator_is_exact_and_still_raises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = count_inside.py_func(1000, 12345, 0)
    assert count_inside(1000, 12345, 0) == expected
    assert count_inside(1000, 12345, INT64_MAX - expected) == INT64_MAX
    with pytest.raises(OverflowError):
        count_inside(1000, 12345, INT64_MAX - expected + 1)
    assert count_flagged(3, INT64_MAX - 2) == INT64_MAX
    assert capsys.readouterr().out == "0\n2\n"
    with pytest.raises(OverflowError):
        count_flagged(5, INT64_MAX - 1)  # wraps at i == 2; print(4) is a check point
    assert capsys.readouterr().out == "0\n2\n"


def test_which_locals_are_conditional_accumulators() -> None:
    loop = first(T.ForRange, typed_body(count_inside, 3))
    assert loop_facts.bounded_accumulators(loop) == {"inside": 1}
    loop = first(T.ForRange, typed_body(count_flagged, 2))
    assert loop_facts.bounded_accumulators(loop) == {"c": 1}


# ------------------------------------------------- k*x + c under a parity test


@jit(cache=False)
def step_even_first(x):
    if x % 2 == 0:
        x = x // 2
    else:
        x = 3 * x + 1
    return x


@jit(cache=False)
def step_odd_first(x):
    if x % 2 == 1:
        x = 3 * x + 1
    else:
        x = x // 2
    return x


@jit(cache=False)
def step_and(x):
    if x & 1:
        x = 5 * x - 3
    else:
        x = x >> 1
    return x


@jit(cache=False)
def step_even_affine(x):
    if not x % 2:
        x = -3 * x + 7
    else:
        x = x - 1
    return x


@jit(cache=False)
def step_ne(x):
    if 1 & x != 0:
        x = x * 7 + 2
    else:
        x = 0
    return x


STEPS = (step_even_first, step_odd_first, step_and, step_even_affine, step_ne)


def _python(f: Any, x: int) -> int | None:
    """CPython's result, or None where it leaves int64 (ember raises OverflowError)."""
    r = f.py_func(x)
    return r if INT64_MIN <= r <= INT64_MAX else None


def _check(f: Any, x: int) -> None:
    want = _python(f, x)
    if want is None:
        with pytest.raises(OverflowError):
            f(x)
    else:
        assert f(x) == want, (f.__name__, x)


def _edges() -> list[int]:
    out = [INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1, 0, 1, -1, 2, -2]
    for k, c in ((3, 1), (5, -3), (-3, 7), (7, 2)):
        for bound in ((INT64_MAX - c) // k, (INT64_MIN - c) // k):
            out += [bound + d for d in range(-3, 4)]
    return out


def test_parity_fused_checks_at_the_edges() -> None:
    for f in STEPS:
        for x in _edges():
            if INT64_MIN <= x <= INT64_MAX:
                _check(f, x)


@settings(max_examples=300, deadline=None)
@given(st.integers(INT64_MIN, INT64_MAX))
def test_parity_fused_checks_match_python(x: int) -> None:
    for f in STEPS:
        _check(f, x)


def test_parity_tests_are_recognised() -> None:
    def test_of(f: Any) -> tuple[str, bool] | None:
        return loop_facts.parity_test(first(T.If, typed_body(f, 1)).test)

    assert test_of(step_even_first) == ("x", False)
    assert test_of(step_odd_first) == ("x", True)
    assert test_of(step_and) == ("x", True)
    assert test_of(step_even_affine) == ("x", False)
    assert test_of(step_ne) == ("x", True)


@jit(cache=False)
def not_parity(x, y):
    if x % 2 == y:
        x = 3 * x + 1
    return x


@jit(cache=False)
def parity_of_another(x, y):
    if y % 2 == 0:
        x = 3 * x + 1
    return x


def test_other_tests_keep_the_predicated_check() -> None:
    assert loop_facts.parity_test(first(T.If, typed_body(not_parity, 2)).test) is None
    assert "llvm.fshr.i64" not in parity_of_another.inspect_llvm((INT64, INT64), optimized=False)
    assert "llvm.fshr.i64" in step_even_first.inspect_llvm((INT64,), optimized=False)
    big = (INT64_MAX - 1) // 3 + 1  # odd, 3*big + 1 leaves int64
    assert parity_of_another(big, 1) == big  # the arm did not run
    with pytest.raises(OverflowError):
        parity_of_another(big, 0)
    assert not_parity(big, 0) == big
    with pytest.raises(OverflowError):
        not_parity(big, 1)


def test_parity_range_is_exact_at_every_point_of_a_small_width() -> None:
    bits = 6
    mod, half = 2**bits, 2 ** (bits - 1)

    def ror(u: int) -> int:
        return (u >> 1) | ((u & 1) << (bits - 1))

    for lo in range(-half, half):
        for hi in range(lo, half):
            for odd in (True, False):
                fused = loop_facts.parity_range(lo, hi, odd, bits=bits)
                for x in range(-half, half):
                    want = (x % 2 == 1) == odd and not lo <= x <= hi
                    if fused is None:
                        assert want == ((x % 2 == 1) == odd)
                    else:
                        assert (ror((x - fused[0]) % mod) > fused[1]) == want
