"""The prange kernels of bench_parallel.py: plain Python that ember and Numba compile
unchanged (the benchmark swaps in ``numba.prange`` for Numba's copy of this module)."""

from __future__ import annotations

import math

from ember import prange


def elementwise(a, out):
    for i in prange(a.shape[0]):
        out[i] = math.sqrt(a[i]) * 2.0 + math.sin(a[i])
    return 0


def reduction(a, b):
    s = 0.0
    for i in prange(a.shape[0]):
        s += a[i] * b[i]
    return s


def stencil(a, out):
    n = a.shape[0]
    m = a.shape[1]
    for i in prange(1, n - 1):
        for j in range(1, m - 1):
            out[i, j] = 0.25 * (a[i - 1, j] + a[i + 1, j] + a[i, j - 1] + a[i, j + 1])
    return 0


KERNELS = ("elementwise", "reduction", "stencil")
