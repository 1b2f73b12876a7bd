"""The kernels of bench_numpy_style.py: NumPy code written the way people write it
(slices, broadcasting, whole-array expressions, reductions with axis=), not loops.

Loaded once per engine by _numpy_engines.load with ``BACKEND`` set before it runs:
"numpy" (plain CPython + NumPy), "ember" (ember.jit) or "numba" (numba.njit). Calls
between kernels (``cg_poisson`` → ``laplacian``) go through the module's globals, so each
engine compiles its own callee. No kernel writes to its arguments.
"""

from __future__ import annotations

import numpy as np
from _numpy_engines import decorator

BACKEND: str = globals().get("BACKEND", "numpy")
jit = decorator(BACKEND)


@jit
def smooth_1d(a):
    """Three-point moving average: one stencil over shifted slices."""
    b = a.copy()
    b[1:-1] = (a[:-2] + a[1:-1] + a[2:]) / 3
    return b


@jit
def heat_2d(u, steps):
    """Explicit heat-equation steps in place: the right side is read before it is written."""
    u = u.copy()
    for _ in range(steps):
        u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (
            u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1]
        )
    return u


@jit
def jacobi_2d(u, steps):
    """Jacobi sweeps between two grids, swapped each step."""
    a = u.copy()
    b = u.copy()
    for _ in range(steps):
        b[1:-1, 1:-1] = 0.25 * (a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:])
        a, b = b, a
    return a


@jit
def standardize(x):
    """Column standardisation: reductions with axis= broadcast back."""
    return (x - x.mean(axis=0)) / x.std(axis=0)


@jit
def softmax(x):
    """Row-wise softmax, stabilised by the row max (keepdims= to broadcast)."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@jit
def pairwise_dist(X):
    """Distance matrix by broadcasting a (n, 1, d) against a (1, n, d)."""
    return np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))


@jit
def row_stats(a):
    """Reductions along the last axis, combined element-wise."""
    return a.sum(axis=1) + a.max(axis=1) - a.min(axis=1)


@jit
def col_sums(a):
    """A reduction along the first (strided) axis."""
    return a.sum(axis=0)


@jit
def fused(x):
    """One element-wise expression of several ufuncs: a loop when fused, five temporaries
    in NumPy."""
    return np.exp(-x * x / 2) * np.cos(3 * x) + 0.5 * x


@jit
def sieve(n):
    """Sieve of Eratosthenes with strided slice assignment of a scalar."""
    is_prime = np.ones(n + 1, dtype=np.bool_)
    is_prime[:2] = False
    for i in range(2, int(n**0.5) + 1):
        if is_prime[i]:
            is_prime[i * i :: i] = False
    return is_prime.sum()


@jit
def positive_sum(a):
    """Mask indexing, then a reduction."""
    return a[a > 0].sum()


@jit
def running_mean(a):
    """Cumulative sum over arange."""
    return np.cumsum(a) / np.arange(1, a.size + 1)


@jit
def leaky_clip(x):
    """where and clip."""
    return np.clip(np.where(x > 0, x, 0.01 * x), -1.0, 1.0)


@jit
def wave_1d(u, steps):
    """Leapfrog steps of the 1-d wave equation, three grids rotated."""
    prev = u.copy()
    cur = u.copy()
    nxt = np.zeros_like(u)
    for _ in range(steps):
        nxt[1:-1] = 2 * cur[1:-1] - prev[1:-1] + 0.25 * (cur[2:] - 2 * cur[1:-1] + cur[:-2])
        prev, cur, nxt = cur, nxt, prev
    return cur


@jit
def nbody_accel(pos, mass):
    """Gravitational accelerations of n bodies, all pairs at once by broadcasting."""
    d = pos[None, :, :] - pos[:, None, :]
    r2 = (d**2).sum(-1) + 0.01
    w = mass[None, :] / (r2 * np.sqrt(r2))
    return (d * w[:, :, None]).sum(axis=1)


@jit
def laplacian(u):
    """The 5-point Laplacian applied without a matrix (zero boundary)."""
    out = np.zeros_like(u)
    out[1:-1, 1:-1] = (
        4 * u[1:-1, 1:-1] - u[:-2, 1:-1] - u[2:, 1:-1] - u[1:-1, :-2] - u[1:-1, 2:]
    )
    return out


@jit
def cg_poisson(b, iters):
    """Conjugate-gradient iterations on the matrix-free Laplacian."""
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = (r * r).sum()
    for _ in range(iters):
        ap = laplacian(p)
        alpha = rr / (p * ap).sum()
        x += alpha * p
        r -= alpha * ap
        rr_new = (r * r).sum()
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x
