# A float loop with while/break and an int/float mix: the escape count of one point.
# ruff: noqa: F821  (jit is injected by test_golden.py)
from ember.native.types import FLOAT64, INT64

ENTRY = ("escape", (FLOAT64, FLOAT64, INT64))


def escape(cr, ci, limit):
    zr = zi = 0.0
    n = 0
    while n < limit:
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4:
            break
        zi = 2 * zr * zi + ci
        zr = zr2 - zi2 + cr
        n += 1
    else:
        return -1
    return n
