# Mutual recursion: each return type found by rounds of guessing.
# ruff: noqa: F821  (jit is injected by test_golden.py)
from ember.native.types import INT64

ENTRY = ("hofstadter_f", (INT64,))


@jit
def hofstadter_f(n):
    if n == 0:
        return 1
    return n - hofstadter_m(hofstadter_f(n - 1))


@jit
def hofstadter_m(n):
    if n == 0:
        return 0
    return n - hofstadter_f(hofstadter_m(n - 1))
