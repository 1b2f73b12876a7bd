# Recursion: the return type comes from the base case.
# ruff: noqa: F821  (jit is injected by test_golden.py)
from ember.native.types import INT64

ENTRY = ("fib", (INT64,))


@jit
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
