"""The kernels of bench_native.py, written once and compiled by each backend.

The module is loaded once per backend under its own name (see bench_native.load) with
``BACKEND`` set before it runs: "python" (plain CPython), "ember" (ember.jit) or
"numba" (numba.njit). Calls between kernels (``mc_pi`` → ``lcg``) go through the
module's globals, so each backend compiles its own callee.
"""

from __future__ import annotations

from typing import Any

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
def msum(n):
    """Modular sum loop: int arithmetic with a loop-carried dependency."""
    s = 0
    for i in range(n):
        s = (s + i * i) % 1000003
    return s


@jit
def fib(n):
    """Recursion."""
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit
def mandel(width, height, max_iter):
    """Mandelbrot over a grid of floats: nested loops, while with break."""
    total = 0
    for py in range(height):
        y0 = -1.5 + 3.0 * py / height
        for px in range(width):
            x0 = -2.0 + 3.0 * px / width
            x = 0.0
            y = 0.0
            k = 0
            while k < max_iter:
                x2 = x * x
                y2 = y * y
                if x2 + y2 > 4.0:
                    break
                y = 2.0 * x * y + y0
                x = x2 - y2 + x0
                k += 1
            total += k
    return total


@jit
def collatz(n):
    """Integer-heavy branches: total Collatz steps for 1..n."""
    steps = 0
    for start in range(1, n + 1):
        x = start
        while x != 1:
            if x % 2 == 0:
                x = x // 2
            else:
                x = 3 * x + 1
            steps += 1
    return steps


@jit
def lcg(state):
    """A hand-written linear congruential generator (31-bit state)."""
    return (state * 1103515245 + 12345) & 0x7FFFFFFF


@jit
def mc_pi(n, seed):
    """Monte Carlo estimate of pi: two calls of lcg per sample."""
    state = seed
    inside = 0
    for _ in range(n):
        state = lcg(state)
        x = state / 2147483648.0
        state = lcg(state)
        y = state / 2147483648.0
        if x * x + y * y <= 1.0:
            inside += 1
    return 4.0 * inside / n


@jit
def ident(x):
    """For the per-call overhead."""
    return x
