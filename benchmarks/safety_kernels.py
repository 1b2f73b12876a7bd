"""The kernels of bench_safety.py (issue 15): integer loops whose overflow and bounds
checks ember keeps and Numba drops, written once and compiled by each backend.

Loaded once per backend with ``BACKEND`` set ("python", "ember", "numba"), as
native_kernels.py is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

BACKEND: str = globals().get("BACKEND", "python")


def _decorator() -> Any:
    if BACKEND == "ember":
        from ember import jit

        return jit(cache=False)
    if BACKEND == "numba":
        import numba

        return numba.njit
    return lambda f: f


jit = _decorator()


@jit
def isum(n):
    """``s += i * i % 7``: a checked multiply and a checked accumulator per step."""
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


@jit
def bitmix(n):
    """Bit mixing: masks and shifts keep every value small."""
    h = 0
    for i in range(n):
        x = (i * 2654435761) & 0xFFFFFFFF
        h ^= (x >> 13) ^ (x & 0xFFFF)
    return h


@jit
def prefix(a, out):
    """Prefix sums of an int64 array into ``out``: bounds checks on both arrays."""
    s = 0
    for i in range(len(a)):
        s += a[i]
        out[i] = s
    return s


@jit
def stencil(a, out):
    """``out[i] = a[i-1] + 2*a[i] + a[i+1]``: affine indices, checked once per loop."""
    for i in range(1, len(a) - 1):
        out[i] = a[i - 1] + 2 * a[i] + a[i + 1]
    return out[len(a) // 2]


@jit
def sieve(n):
    """Sieve of Eratosthenes: strided stores into a bool array."""
    flags = np.ones(n + 1, np.bool_)
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i <= n:
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
        i += 1
    count = 0
    for k in range(n + 1):
        if flags[k]:
            count += 1
    return count


@jit
def collatz(n):
    """The longest Collatz chain below ``n``: ``3*x + 1`` checked per step."""
    best = 0
    for start in range(1, n):
        x = start
        steps = 0
        while x != 1:
            if x % 2 == 0:
                x = x // 2
            else:
                x = 3 * x + 1
            steps += 1
        if steps > best:
            best = steps
    return best


@jit
def spectral(n):
    """Spectral norm (benchmarks game): ``A(i, j)`` from integer arithmetic."""
    u = np.ones(n)
    v = np.zeros(n)
    for _ in range(10):
        for i in range(n):
            t = 0.0
            for j in range(n):
                t += u[j] / ((i + j) * (i + j + 1) // 2 + i + 1)
            v[i] = t
        for i in range(n):
            t = 0.0
            for j in range(n):
                t += v[j] / ((j + i) * (j + i + 1) // 2 + j + 1)
            u[i] = t
    vbv = 0.0
    vv = 0.0
    for i in range(n):
        vbv += u[i] * v[i]
        vv += v[i] * v[i]
    return (vbv / vv) ** 0.5


@jit
def pairwise(x, out):
    """Pairwise Euclidean distances of the rows of ``x`` (n, 3) into ``out`` (n, n)."""
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            d = 0.0
            for k in range(3):
                t = x[i, k] - x[j, k]
                d += t * t
            out[i, j] = math.sqrt(d)
    return out[n - 1, 0]


@jit
def crc16(data, poly):
    """CRC-16 of a uint8 array (bitwise, no table)."""
    crc = 0xFFFF
    for i in range(len(data)):
        crc ^= int(data[i]) << 8
        for _ in range(8):
            if crc & 0x8000:
                crc = ((crc << 1) ^ poly) & 0xFFFF
            else:
                crc = (crc << 1) & 0xFFFF
    return crc
