"""The deferred ("sticky") int64 overflow rule of src/ember/native/codegen/function.py.

Arithmetic computes the wrapped value and records its overflow bit; OverflowError is
raised at the next *check point* (a call that is not check-free, print, an array store
or allocation, a return, a ``while`` latch, a range loop's bounds, or any other raise).
So an overflow is never observable as anything but OverflowError, only later. These
tests pin each check point, the exception-type rule, and the if-conversion that the
deferral makes possible (an arm's errors count only when it is the arm Python runs).
"""

from __future__ import annotations

import numpy as np
import pytest

from ember.native.runtime.dispatch import jit

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


# ------------------------------------------------------------ the exception type


@jit(cache=False)
def loop_then_divide(a, n):
    x = a
    for _ in range(n):
        x = x * 65536
    return 100 // x


def test_division_by_a_wrapped_zero_raises_overflow_not_zero_division() -> None:
    # 65536**4 == 2**64 wraps to 0 inside the loop; the division's ZeroDivisionError
    # path sees the pending overflow and raises OverflowError (CPython: 100 // 2**64).
    with pytest.raises(OverflowError):
        loop_then_divide(1, 4)
    with pytest.raises(ZeroDivisionError):
        loop_then_divide(0, 4)  # no overflow: the real error stays
    assert loop_then_divide(1, 3) == 100 // 65536**3


@jit(cache=False)
def invert(x):
    return 10 // x


@jit(cache=False)
def call_check_free(a):
    return invert(a * 4)


def test_error_in_a_check_free_callee_of_a_wrapped_argument_is_overflow() -> None:
    # invert is check-free (no call point check); its ZeroDivisionError on the wrapped 0
    # becomes OverflowError in the caller, whose overflow is pending.
    with pytest.raises(OverflowError):
        call_check_free(2**62)
    assert call_check_free(1) == 2


@jit(cache=False)
def times4(x):
    return x * 4


@jit(cache=False)
def looping_times(x, n):
    for _ in range(n):
        x = x * 4
    return x


@jit(cache=False)
def use_wrapped_results(a, n):
    y = times4(a)  # check-free: no check before the call, the overflow comes back
    z = looping_times(a, n)  # returns 1 (pending) to its caller instead of raising
    return y - z


def test_a_callee_hands_its_pending_overflow_to_the_caller() -> None:
    with pytest.raises(OverflowError):
        use_wrapped_results(2**62, 0)  # times4 overflows, its caller raises
    with pytest.raises(OverflowError):
        use_wrapped_results(2**40, 20)  # looping_times overflows inside its loop
    assert use_wrapped_results(3, 1) == 0


@jit(cache=False)
def index_wrapped(a, i):
    return a[i * 4]


def test_index_error_from_a_wrapped_index_is_overflow() -> None:
    a = np.arange(4.0)
    with pytest.raises(OverflowError):
        index_wrapped(a, 2**62)  # wraps to index 0, still an overflow
    with pytest.raises(OverflowError):
        index_wrapped(a, 2**62 + 5)  # wraps to 20: the IndexError path raises Overflow
    with pytest.raises(IndexError):
        index_wrapped(a, 5)


# ----------------------------------------------------------------- check points


@jit(cache=False)
def doubles_until_three(x):
    k = 0
    while x != 3:
        x = x + x
        k += 1
    return k


def test_a_wrapping_while_loop_ends_with_overflow() -> None:
    # x doubles to 2**64, which wraps to 0 and stays 0: without the check at the latch
    # this loop would never end (in CPython it grows until memory runs out).
    with pytest.raises(OverflowError):
        doubles_until_three(1)
    assert doubles_until_three(3) == 0


@jit(cache=False)
def store_powers(a, x):
    for i in range(a.shape[0]):
        a[i] = x
        x = x * 65536


def test_overflow_raises_before_the_array_store() -> None:
    a = np.full(6, -7, dtype=np.int64)
    with pytest.raises(OverflowError):
        store_powers(a, 1)
    # 65536**4 wrapped to 0: the store of a[4] never happened.
    assert a.tolist() == [1, 65536, 65536**2, 65536**3, -7, -7]


@jit(cache=False)
def aug_store(a, x):
    a[0] += x * 4


def test_overflow_raises_before_an_augmented_store() -> None:
    a = np.array([5], dtype=np.int64)
    with pytest.raises(OverflowError):
        aug_store(a, 2**62)
    assert a[0] == 5


@jit(cache=False)
def add(a, b):
    return a + b


def test_overflow_then_return_raises() -> None:
    with pytest.raises(OverflowError):
        add(INT64_MAX, 1)
    with pytest.raises(OverflowError):
        add(INT64_MIN, -1)
    assert add(INT64_MAX, -1) == INT64_MAX - 1


@jit(cache=False)
def unused_overflow(a):
    t = a * 3  # noqa: F841 - never used: still an overflow
    return 1


def test_an_overflow_in_an_unused_value_still_raises() -> None:
    # CPython would not raise (ints are unbounded); ember raises at the next check point
    # (here the return), the documented difference. LLVM must not drop the check with
    # the dead multiplication.
    with pytest.raises(OverflowError):
        unused_overflow(2**62)
    assert unused_overflow(5) == 1


@jit(cache=False)
def show(x):
    print("value", x)


@jit(cache=False)
def print_wrapped(a):
    x = a * 4
    print(x)


@jit(cache=False)
def call_printer(a):
    show(a * 4)


def test_nothing_wrapped_is_ever_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(OverflowError):
        print_wrapped(2**62)
    with pytest.raises(OverflowError):
        call_printer(2**62)  # show() is not check-free: the call is a check point
    assert capsys.readouterr().out == ""


@jit(cache=False)
def range_of_wrapped(a):
    n = 0
    for _ in range(a * 4):
        n += 1
    return n


def test_range_bounds_are_a_check_point() -> None:
    # 2**62 * 4 wraps to 0: the loop would silently run 0 times; 2**62 + 1 wraps to 4.
    with pytest.raises(OverflowError):
        range_of_wrapped(2**62)
    with pytest.raises(OverflowError):
        range_of_wrapped(2**62 + 1)
    assert range_of_wrapped(3) == 12


@jit(cache=False)
def alloc_wrapped(a):
    return np.zeros(a * 4)


def test_allocation_is_a_check_point() -> None:
    with pytest.raises(OverflowError):
        alloc_wrapped(2**62 + 1)  # would allocate 4 elements
    assert alloc_wrapped(2).shape == (8,)


@jit(cache=False)
def floordiv_min(a, b):
    return a // b


def test_int64_min_floordiv_minus_one() -> None:
    with pytest.raises(OverflowError):
        floordiv_min(INT64_MIN, -1)
    assert floordiv_min(INT64_MIN, 1) == INT64_MIN
    assert floordiv_min(-7, 2) == -4


# ------------------------------------------------------- fused k*x + c checks


@jit(cache=False)
def collatz_step(x):
    return 3 * x + 1


@jit(cache=False)
def affine_forms(x):
    return (x * 1103515245 + 12345, 5 - 7 * x, x * -3 - 5)


def test_affine_expressions_raise_exactly_when_the_result_leaves_int64() -> None:
    edge = (INT64_MAX - 1) // 3
    assert collatz_step(edge) == 3 * edge + 1 == INT64_MAX
    with pytest.raises(OverflowError):
        collatz_step(edge + 1)
    assert collatz_step(-(2**63 - 1) // 3) == 3 * (-(2**63 - 1) // 3) + 1
    with pytest.raises(OverflowError):
        collatz_step(INT64_MIN // 3 - 1)
    for x in (0, 1, -1, 8358173644, -8358173644, 2**32):
        assert affine_forms(x) == (x * 1103515245 + 12345, 5 - 7 * x, x * -3 - 5)
    for x in (8358173645, -8358173645):
        with pytest.raises(OverflowError):
            affine_forms(x)


# --------------------------------------------------------------- if-conversion


@jit(cache=False)
def guarded_shift(x, n):
    if n >= 0:
        y = x << n
    else:
        y = 0
    return y


@jit(cache=False)
def guarded_multiply(c, x):
    y = 1
    if c:
        y = x * 4
    return y


@jit(cache=False)
def guarded_counter(c, k):
    if c:
        k += 1
    return k


def test_a_speculated_arm_raises_only_when_python_runs_it() -> None:
    assert guarded_shift(3, -1) == 0  # x << -1 computed, its ValueError not raised
    assert guarded_shift(3, 2) == 12
    assert guarded_multiply(False, 2**62) == 1  # x * 4 wraps, but that arm did not run
    with pytest.raises(OverflowError):
        guarded_multiply(True, 2**62)
    assert guarded_counter(False, INT64_MAX) == INT64_MAX
    with pytest.raises(OverflowError):
        guarded_counter(True, INT64_MAX)
    assert guarded_counter(True, -5) == -4


@jit(cache=False)
def count_inside(n, seed):
    state = seed
    inside = 0
    for _ in range(n):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        if state < 1073741824:
            inside += 1
    return inside


def test_conditional_counter_matches_python() -> None:
    assert count_inside(1000, 12345) == count_inside.py_func(1000, 12345)


def test_if_conversion_emits_a_select_for_a_small_pure_if() -> None:
    text = guarded_counter.inspect_llvm(optimized=False)
    assert "select" in text and "if.then" not in text


# ------------------------------------------------------ bounded accumulators
# ``c += e`` with 0 <= e <= B in a for loop: plain adds, and c overflowed iff it ends
# below where it began (lower_loops.for_range). Every check point and error
# exit inside the loop still sees that verdict.


@jit(cache=False)
def count_bytes(a, c):
    for i in range(a.shape[0]):
        c += int(a[i])  # (a[i] alone is NumPy's np.uint8: c would wrap as NumPy's)
    return c


@jit(cache=False)
def count_bytes_past_end(a, c, extra):
    for i in range(a.shape[0] + extra):
        c += int(a[i])  # (a[i] alone is NumPy's np.uint8: c would wrap as NumPy's)
    return c


def test_accumulated_bytes_match_python_and_overflow_is_caught() -> None:
    a = np.arange(256, dtype=np.uint8).repeat(3)
    assert count_bytes(a, 0) == int(a.sum())
    assert count_bytes(a, -(2**62)) == int(a.sum()) - 2**62
    assert count_bytes(a, INT64_MAX - int(a.sum())) == INT64_MAX
    with pytest.raises(OverflowError):
        count_bytes(a, INT64_MAX - int(a.sum()) + 1)
    with pytest.raises(OverflowError):
        count_bytes(np.full(1000, 255, np.uint8), INT64_MAX - 10)


def test_an_error_after_an_accumulator_overflow_is_overflow() -> None:
    a = np.ones(4, dtype=np.uint8)
    with pytest.raises(IndexError):
        count_bytes_past_end(a, 0, 1)
    with pytest.raises(OverflowError):
        count_bytes_past_end(a, INT64_MAX, 1)  # overflow at a[0], IndexError at a[4]


@jit(cache=False)
def count_and_store(out, c):
    for i in range(out.shape[0]):
        c += 1
        out[i] = c


def test_no_store_after_an_accumulator_overflow() -> None:
    out = np.zeros(4, dtype=np.int64)
    with pytest.raises(OverflowError):
        count_and_store(out, INT64_MAX - 2)
    assert out.tolist() == [INT64_MAX - 1, INT64_MAX, 0, 0]


@jit(cache=False)
def count_until(n, c, stop):
    for i in range(n):
        c += 1
        if i == stop:
            break
    return c


def test_accumulator_with_break_and_with_the_checked_copy() -> None:
    assert count_until(10, 5, 3) == 9
    with pytest.raises(OverflowError):
        count_until(10, INT64_MAX - 1, 3)  # overflows at i == 1, then breaks
    # 2**62 iterations or more take the checked copy of the loop (same results).
    assert count_until(2**62, 5, 3) == 9
    with pytest.raises(OverflowError):
        count_until(2**62, INT64_MAX - 1, 3)
