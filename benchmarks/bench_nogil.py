"""Threads calling a ``nogil=True`` kernel: ember against ember with the GIL held and
against Numba's ``nogil=True``, in one run.

    $ .venv/bin/python benchmarks/bench_nogil.py [--repeat 5] [--n 20000000] [--no-numba]

The same loop kernel (a sum over one slice of a large array) is split over 1..N Python
threads (N = the cores this process may use); each figure is the best of ``--repeat``
wall times of the whole split (the machine's load average is printed: on a shared
machine the speed-up is bounded by the cores actually free). Shown per thread count: the time, the speed-up over one
thread, and ember/Numba. A second table gives the cost of the release itself: ns per
call of a tiny function with and without ``nogil`` (PyEval_SaveThread/RestoreThread).
Numba is a benchmark-only extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from _common import add_src_option, anchor_note, have, use_src


def kernel(a, lo, hi):
    s = 0.0
    for i in range(lo, hi):
        s += math.sqrt(a[i]) * 0.5 + a[i] * 1e-9  # a >= 0: no domain error
    return s


def tiny(x):
    return x + 1.0


def split_run(f: Callable[..., float], a: Any, threads: int) -> float:
    """Wall time of summing ``a`` with ``threads`` threads, each calling ``f`` on its slice."""
    n = a.shape[0]
    bounds = [(n * k // threads, n * (k + 1) // threads) for k in range(threads)]
    out = [0.0] * threads

    def work(k: int) -> None:
        out[k] = f(a, *bounds[k])

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    expected = f(a, 0, n)
    assert math.isclose(sum(out), expected, rel_tol=1e-9), (sum(out), expected)
    return elapsed


def best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def per_call_ns(f: Callable[[float], float], calls: int = 1_000_000) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        f(1.5)
    return (time.perf_counter() - t0) / calls * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=20_000_000, help="array length")
    parser.add_argument("--no-numba", action="store_true")
    add_src_option(parser)
    args = parser.parse_args()
    use_src(args.src)
    import numpy as np

    import ember

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    a = np.random.default_rng(0).random(args.n)
    # boundscheck=False: Numba's default, so the kernels do the same work.
    engines: dict[str, Callable[..., float]] = {
        "ember nogil": ember.jit(nogil=True, cache=False, boundscheck=False)(kernel),
        "ember (GIL held)": ember.jit(cache=False, boundscheck=False)(kernel),
    }
    tinies = {"ember nogil": ember.jit(nogil=True, cache=False)(tiny),
              "ember": ember.jit(cache=False)(tiny)}
    if have("numba") and not args.no_numba:
        import numba

        engines["numba nogil"] = numba.njit(nogil=True)(kernel)
        tinies["numba nogil"] = numba.njit(nogil=True)(tiny)
        tinies["numba"] = numba.njit(tiny)
    elif not args.no_numba:
        anchor_note("numba")
    for f in engines.values():
        f(a, 0, 10)  # compile outside the timings
    counts = sorted({1, 2, cores, 2 * cores})
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{cores} core(s) available, load average {load:.1f}; array of {args.n:,} "
          f"float64; best of {args.repeat}")
    print(f"{'threads':>7}  " + "  ".join(f"{name:>24}" for name in engines)
          + ("  ember/numba" if "numba nogil" in engines else ""))
    one: dict[str, float] = {}
    for threads in counts:
        times = {name: best(lambda f=f, t=threads: split_run(f, a, t), args.repeat)
                 for name, f in engines.items()}
        one = one or times
        cells = [f"{t * 1e3:8.1f} ms ({one[name] / t:4.2f}x)" for name, t in times.items()]
        ratio = (f"  {times['ember nogil'] / times['numba nogil']:10.2f}x"
                 if "numba nogil" in times else "")
        print(f"{threads:>7}  " + "  ".join(f"{c:>24}" for c in cells) + ratio)
    print("\nns per call of f(1.5), best of 5:")
    for name, f in tinies.items():
        f(1.5)
        print(f"  {name:>12}: {min(per_call_ns(f) for _ in range(5)):6.1f}")


if __name__ == "__main__":
    main()
