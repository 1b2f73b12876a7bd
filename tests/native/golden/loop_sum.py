# A modular sum loop: an int accumulator, a module constant folded in.
# ruff: noqa: F821  (jit is injected by test_golden.py)
from ember.native.types import INT64

MOD = 1_000_003

ENTRY = ("modsum", (INT64,))


def modsum(n):
    total = 0
    for i in range(n):
        total = (total + i * i) % MOD
    return total
