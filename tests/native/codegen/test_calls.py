"""codegen/calls.py: calls between the functions of a unit. A scalar result of an internal
function comes back in registers from its ``.v`` twin (``{i32 status, value}``); the
status (0 done, 1 overflow pending, -1 raised) and the recursion guard work as with the
out-pointer convention, which the root and the declared functions keep."""

from __future__ import annotations

import os

import pytest

from ember.native.runtime.dispatch import jit
from ember.native.types import FLOAT64, INT64

INT64_MAX = 2**63 - 1


@jit(cache=False)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit(cache=False)
def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 1)


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
def halves(x, n):
    if n == 0:
        return x
    return halves(x / 2.0, n - 1) + 0.0


@jit(cache=False)
def invert_down(n):
    if n < 0:
        return 0
    return 10 // n + invert_down(n - 1)


@jit(cache=False)
def deep(n):
    if n == 0:
        return 0
    return deep(n - 1) + 1


def test_recursive_scalar_results_are_exact() -> None:
    assert fib(20) == 6765
    assert fact(20) == 2432902008176640000
    assert is_even(10) is True and is_even(7) is False
    assert is_odd(7) is True
    assert halves(3.0, 4) == 3.0 / 16
    assert deep(500) == 500


def test_errors_from_a_twin_keep_their_type() -> None:
    with pytest.raises(OverflowError):
        fact(21)  # 21! leaves int64 in the innermost callee's multiplication
    with pytest.raises(ZeroDivisionError):
        invert_down(3)  # 10 // 0 three calls deep
    with pytest.raises(RecursionError):
        deep(100_000)


@jit(cache=False)
def scaled(x):
    return x * 4  # check-free: its overflow comes back as status 1


@jit(cache=False)
def call_scaled(a, n):
    t = 0
    for _ in range(n):
        t = scaled(a)
    return t - 1


def test_a_pending_overflow_comes_back_through_the_status() -> None:
    with pytest.raises(OverflowError):
        call_scaled(2**62, 1)
    assert call_scaled(2**62, 0) == -1
    assert call_scaled(5, 3) == 19


def test_internal_scalar_functions_return_in_registers() -> None:
    fib(2)
    text = fib.inspect_llvm((INT64,), optimized=False)
    assert 'define internal {i32, i64} @"_ember_fib_' in text and '.rec.v"(i64' in text
    # The recursive root keeps its contract: (ptr out, i64 n) -> i32, around the twin.
    assert text.count("define i32 @\"_ember_fib_") == 1
    is_even(2)
    text = is_even.inspect_llvm((INT64,), optimized=False)
    assert "define internal {i32, i1} @" in text  # a bool result
    halves(1.0, 1)
    assert "define internal {i32, double} @" in halves.inspect_llvm(
        (FLOAT64, INT64), optimized=False
    )


@jit(cache=False)
def pair(x):
    return (x, x + 1)


@jit(cache=False)
def use_pair(x):
    a, b = pair(x)
    return a * b


def test_non_scalar_results_keep_the_out_pointer() -> None:
    assert use_pair(3) == 12
    text = use_pair.inspect_llvm((INT64,), optimized=False)
    assert ".v\"(" not in text
    with pytest.raises(OverflowError):
        use_pair(INT64_MAX)


@jit(cache=False)
def inv(i):
    return 1.0 / (i * (i + 1) // 2 + 1)


@jit(cache=False)
def inv_sum(n):
    s = 0.0
    for i in range(n):
        s += inv(i)
    return s


def test_a_callee_that_cannot_recurse_keeps_the_out_pointer() -> None:
    """It is inlined, where the out-pointer costs nothing; a twin's {status, value} phi
    would keep its error paths inside the caller's loop (spectral_norm: 9% slower)."""
    assert inv_sum(10) == sum(1.0 / (i * (i + 1) // 2 + 1) for i in range(10))
    text = inv_sum.inspect_llvm((INT64,), optimized=False)
    assert ".v\"(" not in text
    calls = [line for line in inv_sum.inspect_llvm((INT64,)).splitlines()
             if " call " in line and "@_ember_inv_" in line and "_ember_inv_sum" not in line]
    assert calls == []  # inlined


def test_a_callee_that_raises_does_not_leak_the_temporary_arrays_passed_to_it() -> None:
    np = pytest.importorskip("numpy")
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("needs Linux's /proc to read the resident size")

    @jit(cache=False)
    def div_len(a, k):
        return a.shape[0] // k

    @jit(cache=False)
    def div_len_deep(a, k):
        if k > 0:
            return div_len_deep(a, k - 1)
        return a.shape[0] // k

    @jit(cache=False)
    def scalar_result(n):  # the callee returns a scalar in registers
        return div_len(np.ones(n), 0)

    @jit(cache=False)
    def through_recursion(n):
        return div_len_deep(np.ones(n), 3)

    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    # 800 KB per temporary, written (np.ones): NumPy maps it and unmaps it when freed, so a leak shows
    # at once in the resident size (300 calls: ~240 MB).
    for f in (scalar_result, through_recursion):
        with pytest.raises(ZeroDivisionError):
            f(100_000)
        before = rss()
        for _ in range(300):
            with pytest.raises(ZeroDivisionError):
                f(100_000)
        assert rss() - before < 50 * 2**20, f.__name__
