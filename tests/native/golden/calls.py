# Calls of other @jit functions (specialized per argument types), math, builtins, print.
# ruff: noqa: F821  (jit is injected by test_golden.py)
import math

from ember.native.types import INT64

ENTRY = ("monte_carlo", (INT64,))


@jit
def lcg(state):
    return (state * 1103515245 + 12345) % 2147483648


@jit
def unit(state):
    return state / 2147483648


def monte_carlo(n):
    state = 42
    inside = 0
    for _ in range(n):
        state = lcg(state)
        x = unit(state)
        state = lcg(state)
        y = unit(state)
        if math.hypot(x, y) <= 1.0:
            inside += 1
    estimate = 4 * inside / max(n, 1)
    print("pi ~", round(estimate, 4), sep=" ")
    return estimate
