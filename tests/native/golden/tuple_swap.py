# Tuples: build, swap by unpacking, constant index, return.
# ruff: noqa: F821  (jit is injected by test_golden.py)
from ember.native.types import INT64

ENTRY = ("gcd_steps", (INT64, INT64))


def gcd_steps(a, b):
    steps = 0
    while b:
        a, b = b, a % b
        steps += 1
    pair = (a, steps / 2)
    return pair[0], pair[-1]
