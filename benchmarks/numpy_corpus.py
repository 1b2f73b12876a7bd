"""The corpus of numpy_coverage.py: small NumPy-style kernels of the kinds scientific code
is made of (stencils, linear algebra without @, physics, ML layers, statistics, image
operations), each registered with its kind and a sample input.

Loaded once per engine by _numpy_engines.load with ``BACKEND`` set ("numpy", "ember" or
"numba"). ``@kernel(kind, make)`` sits above ``@jit``: ``make(rng)`` builds the
arguments. Kernels do not write to their arguments (engines are given copies anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _numpy_engines import decorator

BACKEND: str = globals().get("BACKEND", "numpy")
jit = decorator(BACKEND)

CORPUS: dict[str, tuple[str, Callable[[Any], tuple[Any, ...]], Any]] = {}


def kernel(kind: str, make: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], Any]:
    """Register a kernel under ``kind`` with ``make(rng)`` → its sample arguments."""
    def register(fn: Any) -> Any:
        CORPUS[fn.__name__] = (kind, make, fn)
        return fn

    return register


def _grid(r: Any) -> tuple[Any, ...]:
    return (r.random((7, 6)),)


def _vec(r: Any) -> tuple[Any, ...]:
    return (r.normal(size=12),)


def _image(r: Any) -> tuple[Any, ...]:
    return (r.random((8, 10)),)


# ------------------------------------------------------------------ stencils


@kernel("stencil", _vec)
@jit
def forward_diff(a):
    return a[1:] - a[:-1]


@kernel("stencil", _vec)
@jit
def laplace_1d(u):
    out = np.zeros_like(u)
    out[1:-1] = u[:-2] - 2 * u[1:-1] + u[2:]
    return out


@kernel("stencil", _grid)
@jit
def five_point(u):
    return u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1]


@kernel("stencil", lambda r: (r.random(10), 0.4))
@jit
def upwind_step(u, c):
    u = u.copy()
    u[1:] -= c * (u[1:] - u[:-1])
    return u


@kernel("stencil", _vec)
@jit
def periodic_smooth(a):
    return (np.roll(a, 1) + a + np.roll(a, -1)) / 3


@kernel("stencil", _grid)
@jit
def grad_norm2(f):
    gx = (f[1:-1, 2:] - f[1:-1, :-2]) / 2
    gy = (f[2:, 1:-1] - f[:-2, 1:-1]) / 2
    return gx**2 + gy**2


# ------------------------------------------------------------------ linear algebra without @


@kernel("linalg", lambda r: (r.random((5, 4)), r.random(4)))
@jit
def matvec_rows(A, x):
    y = np.zeros(A.shape[0])
    for i in range(A.shape[0]):
        y[i] = (A[i, :] * x).sum()
    return y


@kernel("linalg", lambda r: (r.random((4, 3)), r.random((3, 5))))
@jit
def matmul_axpy(A, B):
    C = np.zeros((A.shape[0], B.shape[1]))
    for i in range(A.shape[0]):
        for k in range(A.shape[1]):
            C[i, :] += A[i, k] * B[k, :]
    return C


@kernel("linalg", lambda r: (r.random(4), r.random(3)))
@jit
def outer(u, v):
    return u[:, None] * v[None, :]


@kernel("linalg", lambda r: (r.random((5, 5)) + 5 * np.eye(5), 20))
@jit
def power_iteration(A, iters):
    v = np.ones(A.shape[0])
    for _ in range(iters):
        w = (A * v[None, :]).sum(axis=1)
        v = w / np.sqrt((w * w).sum())
    return v


@kernel("linalg", lambda r: (r.random((6, 3)),))
@jit
def gram_schmidt(A):
    Q = A.copy()
    for j in range(Q.shape[1]):
        for k in range(j):
            Q[:, j] -= (Q[:, k] * Q[:, j]).sum() * Q[:, k]
        Q[:, j] /= np.sqrt((Q[:, j] ** 2).sum())
    return Q


@kernel("linalg", lambda r: (np.tril(r.random((5, 5))) + np.eye(5), r.random(5)))
@jit
def forward_subst(L, b):
    x = np.zeros_like(b)
    for i in range(b.shape[0]):
        x[i] = (b[i] - (L[i, :i] * x[:i]).sum()) / L[i, i]
    return x


@kernel("linalg", lambda r: (r.random(8), r.random(8)))
@jit
def cosine_similarity(x, y):
    return np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y))


@kernel("linalg", lambda r: (r.random((5, 5)),))
@jit
def trace_ratio(A):
    return np.trace(A) / np.abs(A).sum()


# ------------------------------------------------------------------ physics


@kernel("physics", lambda r: (r.random((6, 3)), r.random((6, 3)), r.random(6) + 0.5))
@jit
def nbody_energy(pos, vel, mass):
    kinetic = 0.5 * (mass * (vel**2).sum(axis=1)).sum()
    potential = 0.0
    for i in range(pos.shape[0]):
        d = pos[i + 1 :] - pos[i]
        r = np.sqrt((d**2).sum(axis=1))
        potential -= (mass[i] * mass[i + 1 :] / r).sum()
    return kinetic + potential


@kernel("physics", lambda r: (r.normal(size=5), r.normal(size=5), 0.01))
@jit
def verlet_step(x, v, dt):
    v_half = v - 0.5 * dt * x
    x_new = x + dt * v_half
    return x_new, v_half - 0.5 * dt * x_new


@kernel("physics", lambda r: (r.normal(size=(6, 2)) * 3, 2.0))
@jit
def wrap_periodic(x, box):
    return x - box * np.floor(x / box)


@kernel("physics", lambda r: (np.cumsum(r.random(8) + 0.5),))
@jit
def spring_forces(x):
    f = np.zeros_like(x)
    stretch = x[1:] - x[:-1] - 1.0
    f[:-1] += stretch
    f[1:] -= stretch
    return f


@kernel("physics", lambda r: (r.normal(size=(6, 3)), r.random(6) + 1.0))
@jit
def temperature(v, m):
    return (m[:, None] * v**2).sum() / (3 * len(m))


# ------------------------------------------------------------------ ML layers


@kernel("ml", _grid)
@jit
def relu(x):
    return np.maximum(x - 0.5, 0)


@kernel("ml", _vec)
@jit
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@kernel("ml", _grid)
@jit
def softmax_rows(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@kernel("ml", lambda r: (r.normal(size=(4, 6)), r.random(6), r.random(6)))
@jit
def layernorm(x, gamma, beta):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * gamma + beta


@kernel("ml", lambda r: (r.normal(size=(3, 4)), r.normal(size=(4, 5)), r.normal(size=5)))
@jit
def dense_relu(x, W, b):
    y = (x[:, :, None] * W[None, :, :]).sum(axis=1) + b
    return np.maximum(y, 0.0)


@kernel("ml", lambda r: (r.dirichlet(np.ones(4), size=6), r.integers(0, 4, size=6)))
@jit
def cross_entropy(p, labels):
    return -np.log(p[np.arange(labels.shape[0]), labels]).mean()


@kernel("ml", lambda r: (r.normal(size=3), r.normal(size=(8, 3)), r.normal(size=8), 0.1))
@jit
def sgd_step(w, X, y, lr):
    err = (X * w).sum(axis=1) - y
    grad = (err[:, None] * X).mean(axis=0)
    return w - lr * grad


@kernel("ml", lambda r: (r.integers(0, 4, size=7), 4))
@jit
def one_hot(labels, k):
    out = np.zeros((labels.shape[0], k))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


@kernel("ml", _vec)
@jit
def gelu(x):
    return 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))


# ------------------------------------------------------------------ statistics


@kernel("stats", _vec)
@jit
def zscore(x):
    return (x - x.mean()) / x.std()


@kernel("stats", lambda r: (r.normal(size=50), 5))
@jit
def histogram_counts(x, bins):
    counts = np.zeros(bins, np.int64)
    idx = ((x - x.min()) / (x.max() - x.min()) * (bins - 1)).astype(np.int64)
    for i in idx:
        counts[i] += 1
    return counts


@kernel("stats", lambda r: (r.normal(size=(10, 3)),))
@jit
def covariance(X):
    Xc = X - X.mean(axis=0)
    return (Xc[:, :, None] * Xc[:, None, :]).sum(axis=0) / (X.shape[0] - 1)


@kernel("stats", lambda r: (r.random(12), 3))
@jit
def moving_mean(x, w):
    c = np.cumsum(x)
    c[w:] = c[w:] - c[:-w]
    return c[w - 1 :] / w


@kernel("stats", lambda r: (r.random(9), r.random(9)))
@jit
def weighted_mean(x, w):
    return (x * w).sum() / w.sum()


@kernel("stats", _vec)
@jit
def median_abs_dev(x):
    return np.median(np.abs(x - np.median(x)))


@kernel("stats", _grid)
@jit
def argmax_rows(x):
    return x.argmax(axis=1)


@kernel("stats", lambda r: (r.normal(size=30), -0.5, 0.5))
@jit
def count_between(x, lo, hi):
    return ((x >= lo) & (x < hi)).sum()


@kernel("stats", lambda r: (r.random(10), r.random(10)))
@jit
def pearson(x, y):
    xm = x - x.mean()
    ym = y - y.mean()
    return (xm * ym).sum() / np.sqrt((xm**2).sum() * (ym**2).sum())


# ------------------------------------------------------------------ image operations


@kernel("image", lambda r: (r.random((4, 5, 3)),))
@jit
def to_gray(img):
    return 0.299 * img[:, :, 0] + 0.587 * img[:, :, 1] + 0.114 * img[:, :, 2]


@kernel("image", _image)
@jit
def box_blur(img):
    out = img.copy()
    out[1:-1, 1:-1] = (
        img[:-2, :-2] + img[:-2, 1:-1] + img[:-2, 2:]
        + img[1:-1, :-2] + img[1:-1, 1:-1] + img[1:-1, 2:]
        + img[2:, :-2] + img[2:, 1:-1] + img[2:, 2:]
    ) / 9
    return out


@kernel("image", lambda r: (r.random((6, 6)), 0.5))
@jit
def threshold(img, t):
    return (img > t).astype(np.uint8)


@kernel("image", _image)
@jit
def rotate_180(img):
    return img[::-1, ::-1].copy()


@kernel("image", _image)
@jit
def sobel_magnitude(img):
    gx = img[1:-1, 2:] - img[1:-1, :-2]
    gy = img[2:, 1:-1] - img[:-2, 1:-1]
    return np.hypot(gx, gy)


@kernel("image", lambda r: (r.integers(0, 256, size=(4, 4)).astype(np.uint8),))
@jit
def normalize_u8(img):
    return (img.astype(np.float64) / 255.0 - 0.5) * 2


@kernel("image", _image)
@jit
def downsample_2x(img):
    return (img[::2, ::2] + img[1::2, ::2] + img[::2, 1::2] + img[1::2, 1::2]) / 4


@kernel("image", lambda r: (r.random((5, 5)) * 300 - 20,))
@jit
def clamp_u8(img):
    return np.clip(img, 0, 255).astype(np.uint8)
