"""Kernels of the sample package: annotated, declared and helper-calling @jit functions."""

import ember

from aotpkg.util import square

SCALE = 3


@ember.jit
def steps(n: int) -> int:
    count = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else SCALE * n + 1
        count += 1
    return count


@ember.jit
def norm2(a):
    s = 0
    for i in range(a.shape[0]):
        s += square(a[i])
    return s


@ember.jit
def clamp(x, lo, hi):
    if lo > hi:
        raise ValueError("lo > hi")
    return min(max(x, lo), hi)


if __name__ == "__main__":
    print(steps(27))
