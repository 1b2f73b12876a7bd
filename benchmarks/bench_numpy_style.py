"""NumPy-style kernels: CPython + NumPy vs Numba vs ember, in one run, with ratios.

    .venv/bin/python benchmarks/bench_numpy_style.py [--quick] [--scale X] [--no-numba]
                                                      [--src DIR]

The kernels (numpy_style_kernels.py) are NumPy code as people write it: stencils over
shifted slices, 2-d heat/Jacobi steps, standardisation with axis= reductions, softmax,
broadcast pairwise distances, a fused ufunc expression on 10**6 elements, a sieve with
strided slice assignment, mask filtering, cumsum, where/clip, matrix-free physics. Each
runs as the plain function (CPython running NumPy), under numba.njit (when installed)
and under ember.jit. Every engine's first result is checked against NumPy's (same shape
and dtype, np.allclose) before anything is timed; a kernel an engine does not compile
is reported as "does not compile: <its error's first line>", a wrong result as such,
and neither is timed. Then the engines take turns, round after round (a burst of load on
a shared machine hits all of them, not one ratio), and the best and the median round of
each are shown; ratios and geomeans are of the best times (below 1: ember is faster).
Numba is a benchmark-only extra (``pip install -e '.[bench]'``): without it (or with
--no-numba) its columns are skipped.
"""

from __future__ import annotations

import argparse
import faulthandler
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import add_src_option, anchor_note, have, use_src

KERNELS = Path(__file__).resolve().parent / "numpy_style_kernels.py"


def cases(scale: float) -> dict[str, tuple[Any, ...]]:
    """kernel name → its arguments, sized by ``scale`` (1.0: ~10**6 elements, where one
    NumPy call takes milliseconds)."""
    import numpy as np

    rng = np.random.default_rng(0)

    def n(full: int, least: int = 4) -> int:
        return max(least, int(full * scale))

    grid = rng.random((n(400), n(400)))
    grid[0, :] = grid[-1, :] = grid[:, 0] = grid[:, -1] = 0.0
    x = np.linspace(-5.0, 5.0, n(1_000_000))
    bodies = n(400)
    return {
        "smooth_1d": (rng.random(n(1_000_000)),),
        "heat_2d": (grid, 10),
        "jacobi_2d": (grid, 10),
        "standardize": (rng.random((n(100_000), 8)),),
        "softmax": (rng.normal(size=(n(5_000), 100)),),
        "pairwise_dist": (rng.random((n(300), 3)),),
        "row_stats": (rng.random((n(2_000), 500)),),
        "col_sums": (rng.random((n(2_000), 500)),),
        "fused": (x,),
        "sieve": (n(1_000_000, 10),),
        "positive_sum": (rng.normal(size=n(1_000_000)),),
        "running_mean": (rng.random(n(1_000_000)),),
        "leaky_clip": (rng.normal(size=n(1_000_000)) * 50,),
        "wave_1d": (np.exp(-np.linspace(-4.0, 4.0, n(10_000)) ** 2), 100),
        "nbody_accel": (rng.random((bodies, 3)), rng.random(bodies)),
        "cg_poisson": (grid, 20),
    }


def rounds_of(calls: dict[str, Callable[[], Any]], budget: float,
              rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each engine in each round: a batch sized to ~budget/rounds
    per engine, the engines taking turns round after round."""
    batches = {}
    for engine, call in calls.items():
        t0 = time.perf_counter()
        call()
        one = max(time.perf_counter() - t0, 1e-7)
        batches[engine] = max(1, int(budget / rounds / one))
    times: dict[str, list[float]] = {engine: [] for engine in calls}
    for _ in range(rounds):
        for engine, call in calls.items():
            t0 = time.perf_counter()
            for _ in range(batches[engine]):
                call()
            times[engine].append((time.perf_counter() - t0) / batches[engine])
    return times


def fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:7.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:7.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:7.2f} ms"
    return f"{seconds:7.3f} s "


def ratio(times: dict[str, list[float]], a: str, b: str) -> float:
    return min(times[a]) / min(times[b]) if a in times and b in times else math.nan


def print_header(engines: list[str]) -> None:
    cells = "".join(f" {e + ' best':>10} {'median':>10}" for e in engines)
    print(f"{'kernel':14}{cells} {'ember/numba':>11} {'ember/numpy':>11}")


def print_row(name: str, engines: list[str], times: dict[str, list[float]],
              notes: dict[str, str]) -> None:
    cells = "".join(
        f" {fmt(min(times[e]))} {fmt(statistics.median(times[e]))}" if e in times
        else f" {'-':>10} {'-':>10}" for e in engines
    )
    rn, rp = ratio(times, "ember", "numba"), ratio(times, "ember", "numpy")
    print(f"{name:14}{cells} "
          + (f"{rn:10.3g}x " if not math.isnan(rn) else f"{'-':>11} ")
          + (f"{rp:10.3g}x" if not math.isnan(rp) else f"{'-':>11}"), flush=True)
    for engine, note in notes.items():
        print(f"{'':14} {engine}: {note}", flush=True)


def geomean(xs: list[float]) -> str:
    return f"{statistics.geometric_mean(xs):10.3g}x" if xs else f"{'-':>11}"


def run(scale: float, rounds: int, budget: float, engines: list[str]) -> None:
    import _numpy_engines as eng

    modules = {e: eng.load(KERNELS, e) for e in engines}
    print_header(engines)
    by_numba, by_numpy = [], []
    compiled = 0
    for name, args in cases(scale).items():
        expected = getattr(modules["numpy"], name)(*eng.copied(args))
        calls, notes = {}, {}
        for engine in engines:
            fn = getattr(modules[engine], name)
            if engine != "numpy":
                outcome = eng.attempt(engine, fn, args, expected)
                if outcome.status != "ok":
                    notes[engine] = outcome.describe()
                    continue
            calls[engine] = (lambda fn=fn, args=args: fn(*args))
        compiled += "ember" in calls
        times = rounds_of(calls, budget, rounds)
        print_row(name, engines, times, notes)
        rn, rp = ratio(times, "ember", "numba"), ratio(times, "ember", "numpy")
        by_numba += [] if math.isnan(rn) else [rn]
        by_numpy += [] if math.isnan(rp) else [rp]
    width = 14 + 22 * len(engines)
    print(f"{'geomean':{width}} {geomean(by_numba)} {geomean(by_numpy)}")
    total = len(cases(scale))
    print(f"ember compiles and matches NumPy on {compiled} of {total} kernels; geomeans are "
          f"over the kernels both sides ran ({len(by_numba)} with Numba, "
          f"{len(by_numpy)} with NumPy); times are per call, ratios of the best rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="inputs a quarter of the size, fewer and shorter rounds")
    parser.add_argument("--scale", type=float, default=None,
                        help="input size factor (default 1, or 0.25 with --quick)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="timed rounds per engine (default 7, or 3 with --quick)")
    parser.add_argument("--no-numba", action="store_true", help="skip Numba even if installed")
    add_src_option(parser)
    args = parser.parse_args()
    faulthandler.enable()  # a crash in compiled code then names the kernel's frame
    use_src(args.src)
    numba = have("numba") and not args.no_numba
    if not numba and not args.no_numba:
        anchor_note("numba")
    scale = args.scale if args.scale is not None else (0.25 if args.quick else 1.0)
    rounds = args.rounds if args.rounds is not None else (3 if args.quick else 7)
    import numpy as np

    print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}"
          + (f", Numba {__import__('numba').__version__}" if numba else "")
          + f"; scale {scale:g}, best and median of {rounds} rounds")
    run(scale, rounds, 0.1 if args.quick else 0.5,
        ["numpy"] + (["numba"] if numba else []) + ["ember"])


if __name__ == "__main__":
    main()
