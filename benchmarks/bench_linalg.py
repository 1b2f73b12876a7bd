"""Matrix products and np.linalg: ember vs NumPy vs Numba, in one run, with ratios.

    .venv/bin/python benchmarks/bench_linalg.py [--quick] [--src DIR]

Kernels are written once (``KERNELS``) and loaded three times as modules: undecorated
(plain NumPy called from Python), under ``ember.jit`` and under ``numba.njit``. Each is
warmed up (compiled), then timed as the best of several repeats of a batch of calls.
Numba is a benchmark-only extra (``pip install -e '.[bench]'``); its column is skipped
without it, and its `@`/np.dot need SciPy (a failure line says so). BLAS threads: ember
and NumPy share NumPy's OpenBLAS pool; Numba calls SciPy's, a second pool. Both pools
busy-wait between calls, so on a machine with few cores a run with Numba oversubscribes
(a 200x200 gemm took 18 ms for all three instead of 0.23 ms on 2 cores): compare with
OPENBLAS_NUM_THREADS=1 (or threadpoolctl) set.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
import types
from collections.abc import Callable
from typing import Any

from _common import add_src_option, anchor_note, have, use_src

KERNELS = textwrap.dedent(
    '''
    import math

    import numpy as np

    @JIT
    def gemm(a, b):
        return a @ b

    @JIT
    def atax(a, x):
        return a.T @ (a @ x)

    @JIT
    def chain3x3(m, n):
        # n small fixed products in a loop: a 3x3 matrix times a 3-vector
        v = np.ones(3)
        s = 0.0
        for i in range(n):
            w = m @ v
            s += w[0] + w[1] + w[2]
        return s

    @JIT
    def solve3x3(ms, bs):
        # a batch of small systems, one np.linalg.solve (dgesv) per 3x3 matrix
        s = 0.0
        for i in range(ms.shape[0]):
            x = np.linalg.solve(ms[i], bs[i])
            s += x[0] + x[1] + x[2]
        return s

    @JIT
    def solve_stack(ms, bs):
        return np.linalg.solve(ms, bs)

    @JIT
    def solve(a, b):
        return np.linalg.solve(a, b)

    @JIT
    def inv(a):
        return np.linalg.inv(a)

    @JIT
    def det(a):
        return np.linalg.det(a)

    @JIT
    def cholesky(a):
        return np.linalg.cholesky(a)

    @JIT
    def eigh(a):
        return np.linalg.eigh(a)

    @JIT
    def svd(a):
        return np.linalg.svd(a)

    @JIT
    def dots(a, b):
        return np.dot(a[0], b[0]) + np.vdot(a[1], b[1])

    @JIT
    def fft(x):
        return np.fft.fft(x)

    @JIT
    def rfft(x):
        return np.fft.rfft(x, norm="ortho")

    @JIT
    def irfft(z, n):
        return np.fft.irfft(z, n)

    @JIT
    def fft_rows(xs):
        # many short transforms in a loop: the spectrum's energy of each row
        s = 0.0
        for i in range(xs.shape[0]):
            s += np.abs(np.fft.rfft(xs[i])).sum()
        return s

    @JIT
    def radix2_fft(x):
        # an iterative radix-2 FFT written in Python (n a power of two)
        n = x.shape[0]
        out = np.empty(n, dtype=np.complex128)
        bits = 0
        while (1 << bits) < n:
            bits += 1
        for i in range(n):
            r = 0
            v = i
            for _ in range(bits):
                r = (r << 1) | (v & 1)
                v >>= 1
            out[r] = x[i]
        size = 2
        while size <= n:
            half = size // 2
            step = -2.0 * math.pi / size
            for start in range(0, n, size):
                for k in range(half):
                    w = complex(math.cos(step * k), math.sin(step * k))
                    t = w * out[start + k + half]
                    u = out[start + k]
                    out[start + k] = u + t
                    out[start + k + half] = u - t
            size *= 2
        return out

    @JIT
    def mandelbrot(width, height, max_iter):
        # escape counts over a grid, in complex arithmetic (plain Python: the numpy column)
        total = 0
        for y in range(height):
            for x in range(width):
                c = complex(-2.0 + 3.0 * x / width, -1.5 + 3.0 * y / height)
                z = 0j
                n = 0
                while n < max_iter and abs(z) <= 2.0:
                    z = z * z + c
                    n += 1
                total += n
        return total
    '''
)


def load(engine: str) -> types.ModuleType:
    """The kernels as a module whose ``JIT`` is ``engine``'s decorator."""
    mod = types.ModuleType(f"linalg_{engine}")
    if engine == "ember":
        import ember

        jit: Callable[..., Any] = ember.jit
    elif engine == "numba":
        import numba

        jit = numba.njit
    else:
        def jit(f: Callable[..., Any]) -> Callable[..., Any]:
            return f
    mod.__dict__["JIT"] = jit
    path = f"<bench_linalg_{engine}>"
    import linecache

    linecache.cache[path] = (len(KERNELS), None, KERNELS.splitlines(True), path)
    exec(compile(KERNELS, path, "exec"), mod.__dict__)
    return mod


def best(fns: dict[str, Callable[[], Any]], budget: float) -> dict[str, float | None]:
    """Seconds per call of each engine: the best of 5 batches each (about budget/5), the
    engines taking turns batch by batch (the machine's load hits all alike). An engine
    that raises (Numba without SciPy refuses ``@``) is None; its error in FAILURES."""
    calls: dict[str, int] = {}
    for e, fn in fns.items():
        try:
            fn()
            start = time.perf_counter()
            fn()
        except Exception as exc:  # noqa: BLE001 -- reported, not fatal
            FAILURES.append(f"{e}: {type(exc).__name__}: {str(exc).splitlines()[0][:100]}")
            continue
        calls[e] = max(1, int(budget / 5 / max(time.perf_counter() - start, 1e-7)))
    times: dict[str, list[float]] = {e: [] for e in calls}
    for _ in range(5):
        for e, count in calls.items():
            start = time.perf_counter()
            for _ in range(count):
                fns[e]()
            times[e].append((time.perf_counter() - start) / count)
    return {e: min(times[e]) if e in times else None for e in fns}


FAILURES: list[str] = []


def cases() -> list[tuple[str, str, tuple[Any, ...]]]:
    import numpy as np

    rng = np.random.default_rng(0)
    out: list[tuple[str, str, tuple[Any, ...]]] = []
    for n in (8, 200, 1000):
        a, b = rng.standard_normal((n, n)), rng.standard_normal((n, n))
        out.append((f"gemm {n}x{n}", "gemm", (a, b)))
    a = rng.standard_normal((400, 500))
    out.append(("atax 400x500", "atax", (a, rng.standard_normal(500))))
    out.append(("3x3 @ v, 10000 times", "chain3x3", (rng.standard_normal((3, 3)), 10000)))
    out.append(("dot+vdot n=1000", "dots", (rng.standard_normal((2, 1000)), rng.standard_normal((2, 1000)))))
    out.append(("mandelbrot 100x100x50 (py)", "mandelbrot", (100, 100, 50)))

    def cplx(*shape: int, dtype: Any = np.complex128) -> Any:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)

    for n in (8, 200):
        out.append((f"zgemm {n}x{n}", "gemm", (cplx(n, n), cplx(n, n))))
    out.append(("cgemm 200x200", "gemm", (cplx(200, 200, dtype=np.complex64),
                                          cplx(200, 200, dtype=np.complex64))))
    out.append(("zgemv 400x500 @ v", "gemm", (cplx(400, 500), cplx(500))))
    out.append(("float64 @ complex 200", "gemm", (rng.standard_normal((200, 200)), cplx(200, 200))))
    out.append(("zdot+zdotc n=1000", "dots", (cplx(2, 1000), cplx(2, 1000))))
    out.append(("fft 1024 complex", "fft", (cplx(1024),)))
    out.append(("fft 1000 (2^3 5^3)", "fft", (cplx(1000),)))
    out.append(("fft 1009 (prime)", "fft", (cplx(1009),)))
    out.append(("rfft 4096 ortho", "rfft", (rng.standard_normal(4096),)))
    out.append(("irfft 2049 -> 4096", "irfft", (cplx(2049), 4096)))
    out.append(("rfft 64, 1000 rows", "fft_rows", (rng.standard_normal((1000, 64)),)))
    out.append(("radix-2 fft 4096 (py)", "radix2_fft", (cplx(4096),)))
    ms = rng.standard_normal((1000, 3, 3)) + 3 * np.eye(3)
    out.append(("solve 3x3, 1000 times", "solve3x3", (ms, rng.standard_normal((1000, 3)))))
    out.append(("solve (1000,3,3) stack", "solve_stack", (ms, rng.standard_normal((1000, 3, 1)))))
    for n in (4, 200):
        a = rng.standard_normal((n, n))
        spd = a @ a.T + n * np.eye(n)
        out.append((f"solve {n}x{n}", "solve", (a, rng.standard_normal(n))))
        out.append((f"inv {n}x{n}", "inv", (a,)))
        out.append((f"det {n}x{n}", "det", (a,)))
        out.append((f"cholesky {n}x{n}", "cholesky", (spd,)))
        out.append((f"eigh {n}x{n}", "eigh", (spd,)))
        out.append((f"svd {n}x{n}", "svd", (a,)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing batches")
    add_src_option(parser)
    args = parser.parse_args()
    use_src(args.src)
    engines = ["numpy", "ember"] + (["numba"] if have("numba") else [])
    if "numba" not in engines:
        anchor_note("numba")
    mods = {e: load(e) for e in engines}
    budget = 0.2 if args.quick else 1.0
    head = f"{'kernel':24}" + "".join(f"{e + ' (us)':>14}" for e in engines)
    print(head + f"{'ember/numpy':>13}" + (f"{'ember/numba':>13}" if "numba" in engines else ""))
    for label, name, call_args in cases():
        t = best({e: (lambda e=e, name=name, args=call_args: getattr(mods[e], name)(*args))
                  for e in engines}, budget)
        row = f"{label:24}" + "".join(_cell(t[e], 14, 1e6, ".1f") for e in engines)
        row += _ratio(t["ember"], t["numpy"])
        if "numba" in t:
            row += _ratio(t["ember"], t["numba"])
        print(row)
        sys.stdout.flush()
    for line in dict.fromkeys(FAILURES):
        print("failed:", line)


def _cell(value: float | None, width: int, scale: float, fmt: str) -> str:
    return f"{'n/a':>{width}}" if value is None else f"{value * scale:{width}{fmt}}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{'n/a':>13}" if a is None or b is None else f"{a / b:13.3g}"


if __name__ == "__main__":
    main()
