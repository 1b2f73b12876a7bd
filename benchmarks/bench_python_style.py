"""Python-style kernels (lists built and read in loops): CPython vs Numba vs ember, in
one run, with ratios.

    .venv/bin/python benchmarks/bench_python_style.py [--quick] [--rounds N] [--no-numba]
                                                       [--src DIR]

The kernels build lists as people write them: a 10**6-append loop, a comprehension with
``if``, a sieve over ``[True] * n``, a running-sum list, sorting and min/max over a list,
a loop over a list argument that appends to it, an inner function closing over a local,
random-walk and Monte Carlo loops drawing from ``random``/``np.random``. Each runs as the plain function
(CPython), under numba.njit (when installed: it reflects list arguments too) and under
ember.jit; every engine's result is checked against CPython's first (a kernel an engine
does not compile is reported, not timed). The engines take turns, round after round,
and the best round of each is shown (the random kernels seed inside, so ember must give
CPython's value exactly; Numba's generator seeds differently, so its result is checked
only to be statistically the same, within the kernel's tolerance); ratios are CPython / engine (above 1: faster than
CPython) and ember / Numba (at most 1.0: as fast as Numba).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import add_src_option, anchor_note, have, use_src

# ----------------------------------------------------------------- kernels


def append_loop(n):
    out = []
    for i in range(n):
        out.append(i * 3 + 1)
    return len(out) + out[-1]


def comprehension(n):
    xs = [i * 0.5 for i in range(n) if i % 3 != 0]
    return len(xs) + xs[-1]


def sieve(n):
    flags = [True] * (n + 1)
    flags[0] = False
    flags[1] = False
    i = 2
    while i * i <= n:
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
        i += 1
    count = 0
    for f in flags:
        if f:
            count += 1
    return count


def running_sums(n):
    sums = [0.0]
    for i in range(1, n):
        sums.append(sums[i - 1] + i * 0.25)
    return sums[-1]


def sort_and_scan(n):
    xs = [(i * 7919) % 10007 for i in range(n)]
    xs.sort()
    return xs[n // 2] + min(xs) + max(xs) + sum(xs)


def extend_argument(xs):
    total = 0
    for x in xs:
        total += x
    xs.append(total)
    xs.pop()
    return total


def build_returned(n):
    return [i * i for i in range(n)]


def inner_function(n):
    scale = 0.5

    def f(x):
        return x * scale + 1.0
    total = 0.0
    for i in range(n):
        total += f(i)
    return total


def random_walk(n):
    random.seed(12345)
    total = 0.0
    walks = n // 100
    for _ in range(walks):
        pos = 0.0
        for _ in range(100):
            pos += random.gauss(0.0, 1.0)
        total += pos * pos
    return total / walks


def monte_carlo_pi(n):
    np.random.seed(7)
    inside = 0
    for _ in range(n):
        x = np.random.random()
        y = np.random.random()
        if x * x + y * y < 1.0:
            inside += 1
    return 4.0 * inside / n


# A kernel drawing random numbers: the relative tolerance another generator must meet.
STATISTICAL = {"random_walk": 0.1, "monte_carlo_pi": 0.02}


def cases(scale: float) -> dict[str, tuple[Callable[..., Any], Callable[[], tuple[Any, ...]]]]:
    n = max(10, int(10**6 * scale))
    return {
        "append_loop": (append_loop, lambda: (n,)),
        "comprehension": (comprehension, lambda: (n,)),
        "sieve": (sieve, lambda: (n,)),
        "running_sums": (running_sums, lambda: (n,)),
        "sort_and_scan": (sort_and_scan, lambda: (n // 4,)),
        "extend_argument": (extend_argument, lambda: (list(range(n // 10)),)),
        "build_returned": (build_returned, lambda: (n // 10,)),
        "inner_function": (inner_function, lambda: (n,)),
        "random_walk": (random_walk, lambda: (n,)),
        "monte_carlo_pi": (monte_carlo_pi, lambda: (n,)),
    }


# ------------------------------------------------------------------- driver


def best_time(fn: Callable[..., Any], make_args: Callable[[], tuple[Any, ...]]) -> float:
    args = make_args()
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller inputs, 3 rounds")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-numba", action="store_true")
    add_src_option(parser)
    opts = parser.parse_args()
    use_src(opts.src)
    import ember  # after use_src: the tree being measured

    engines: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
        "cpython": lambda f: f, "ember": ember.jit}
    if have("numba") and not opts.no_numba:
        import numba  # an optional anchor

        engines["numba"] = numba.njit
    elif not opts.no_numba:
        anchor_note("numba")
    rounds = 3 if opts.quick else opts.rounds
    scale = 0.1 if opts.quick else 1.0
    print(f"{'kernel':16}" + "".join(f"{e:>12}" for e in engines)
          + f"{'cpy/ember':>11}" + (f"{'ember/numba':>13}" if "numba" in engines else ""))
    ratios = []
    for name, (kernel, make_args) in cases(scale).items():
        expected = kernel(*make_args())
        compiled: dict[str, Callable[..., Any]] = {}
        notes = []
        for engine, wrap in engines.items():
            try:
                fn = wrap(kernel)
                got = fn(*make_args())
            except Exception as exc:  # reported, not timed
                notes.append(f"{engine} does not compile: {str(exc).splitlines()[0]}")
                continue
            tol = STATISTICAL.get(name) if engine == "numba" else None
            if got != expected and (tol is None or abs(got - expected) > tol * abs(expected)):
                notes.append(f"{engine} gives {got!r}, CPython {expected!r}")
                continue
            compiled[engine] = fn
        best = {e: math.inf for e in compiled}
        for _ in range(rounds):
            for engine, fn in compiled.items():
                best[engine] = min(best[engine], best_time(fn, make_args))
        row = f"{name:16}" + "".join(
            f"{best[e] * 1e3:10.2f}ms" if e in best else f"{'-':>12}" for e in engines)
        if "ember" in best:
            ratio = best["cpython"] / best["ember"]
            ratios.append(ratio)
            row += f"{ratio:10.0f}x"
            if "numba" in best:
                row += f"{best['ember'] / best['numba']:12.2f}x"
        print(row)
        for note in notes:
            print("    " + note)
    if ratios:
        print(f"geomean CPython/ember: {math.exp(sum(map(math.log, ratios)) / len(ratios)):.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
