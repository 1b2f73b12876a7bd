"""Array kernels: CPython vs ember vs Numba, in one run, with ratios.

    .venv/bin/python benchmarks/bench_arrays.py [--quick] [--no-first-call] [--src DIR]

Steady state: each kernel is warmed up (compiled) and then timed as the best of several
repeats of a batch of calls, ember and Numba taking turns; CPython runs the same source
on the same NumPy arrays.
First call: a fresh interpreter per engine imports it, defines the kernels and times the
first call of the pairwise-distance kernel (ember with its disk cache off, then warm); the
engines take turns, repeat after repeat, and the median of each is shown.
Goals (issue 5): ember/Numba geomean <= 1.0 with no kernel over 1.2; ember >= 50x
CPython geomean; ember's cold first call <= 1/3 of Numba's. Numba is a benchmark-only
extra: without it (or with --no-numba) its columns are skipped.

Kernels are written once (``KERNELS``) and loaded three times as modules: undecorated,
under ``ember.jit`` and under ``numba.njit``.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

from _common import add_src_option, anchor_note, have, precompile_ember, use_src

KERNELS = textwrap.dedent(
    '''
    import math
    import numpy as np

    @JIT
    def matmul(a, b):
        n, k = a.shape
        m = b.shape[1]
        out = np.zeros((n, m))
        for i in range(n):
            for j in range(m):
                s = 0.0
                for p in range(k):
                    s += a[i, p] * b[p, j]
                out[i, j] = s
        return out

    @JIT
    def sieve(n):
        flags = np.ones(n + 1, np.uint8)
        flags[0] = 0
        flags[1] = 0
        i = 2
        while i * i <= n:
            if flags[i]:
                for j in range(i * i, n + 1, i):
                    flags[j] = 0
            i += 1
        count = 0
        for i in range(n + 1):
            count += flags[i]
        return count

    @JIT
    def nbody_step(pos, vel, mass, dt):
        n = pos.shape[0]
        for i in range(n):
            ax = 0.0
            ay = 0.0
            az = 0.0
            for j in range(n):
                dx = pos[j, 0] - pos[i, 0]
                dy = pos[j, 1] - pos[i, 1]
                dz = pos[j, 2] - pos[i, 2]
                d2 = dx * dx + dy * dy + dz * dz + 0.01
                inv = mass[j] / (d2 * math.sqrt(d2))
                ax += dx * inv
                ay += dy * inv
                az += dz * inv
            vel[i, 0] += ax * dt
            vel[i, 1] += ay * dt
            vel[i, 2] += az * dt
        for i in range(n):
            pos[i, 0] += vel[i, 0] * dt
            pos[i, 1] += vel[i, 1] * dt
            pos[i, 2] += vel[i, 2] * dt
        return pos[0, 0]

    @JIT
    def eval_a(i, j):
        return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)

    @JIT
    def mult_av(v, out):
        n = v.shape[0]
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += eval_a(i, j) * v[j]
            out[i] = s

    @JIT
    def mult_atv(v, out):
        n = v.shape[0]
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += eval_a(j, i) * v[j]
            out[i] = s

    @JIT
    def spectral_norm(n):
        u = np.ones(n)
        v = np.zeros(n)
        tmp = np.zeros(n)
        for _ in range(10):
            mult_av(u, tmp)
            mult_atv(tmp, v)
            mult_av(v, tmp)
            mult_atv(tmp, u)
        vbv = 0.0
        vv = 0.0
        for i in range(n):
            vbv += u[i] * v[i]
            vv += v[i] * v[i]
        return math.sqrt(vbv / vv)

    @JIT
    def pairwise(x):
        n, d = x.shape
        out = np.empty((n, n))
        for i in range(n):
            for j in range(n):
                s = 0.0
                for k in range(d):
                    t = x[i, k] - x[j, k]
                    s += t * t
                out[i, j] = math.sqrt(s)
        return out

    @JIT
    def strided_sum(a):
        s = 0.0
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                s += a[i, j] * a[i, j]
        return s

    @JIT
    def first(a):
        return a[0]
    '''
)


HEADERS = {
    "python": "def JIT(f):\n    return f\n",
    "ember": "import ember\nJIT = ember.jit(cache=False)\n",
    "ember-nobc": "import ember\nJIT = ember.jit(cache=False, boundscheck=False)\n",
    "ember-cached": "import ember\nJIT = ember.jit\n",
    "numba": "import numba\nJIT = numba.njit(cache=False)\n",
}


def load(engine: str, folder: str | None = None) -> dict[str, Any]:
    """The kernels under one engine ("python", "ember" or "numba"), as a real module
    (compilers read the source of what they compile)."""
    import importlib.util
    import tempfile

    if folder is None:
        import atexit
        import shutil

        folder = tempfile.mkdtemp(prefix="ember-bench-")
        atexit.register(shutil.rmtree, folder, True)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"kernels_{engine}.py")
    with open(path, "w") as f:
        f.write(HEADERS[engine] + KERNELS)
    spec = importlib.util.spec_from_file_location(f"kernels_{engine}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def cases(quick: bool) -> dict[str, tuple[Callable[[dict[str, Any]], Callable[[], Any]], int]]:
    """name → (make a zero-argument call for an engine's namespace, CPython scale-down)."""
    import numpy as np

    rng = np.random.default_rng(0)
    s = 0.5 if quick else 1.0
    n_mm = int(96 * s)
    a, b = rng.random((n_mm, n_mm)), rng.random((n_mm, n_mm))
    n_body = int(300 * s)
    pos0, vel0, mass = rng.random((n_body, 3)), np.zeros((n_body, 3)), rng.random(n_body)
    x = rng.random((int(300 * s), 3))
    big = rng.random((int(1200 * s), int(1500 * s)))
    strided = big[::2, ::3]
    vec = np.arange(10.0)

    def nbody(ns: dict[str, Any]) -> Callable[[], Any]:
        pos, vel = pos0.copy(), vel0.copy()
        return lambda: ns["nbody_step"](pos, vel, mass, 0.001)

    return {
        "matmul": (lambda ns: lambda: ns["matmul"](a, b), 1),
        "sieve": (lambda ns: lambda: ns["sieve"](int(400_000 * s)), 1),
        "nbody_step": (nbody, 1),
        "spectral_norm": (lambda ns: lambda: ns["spectral_norm"](int(100 * s)), 1),
        "pairwise": (lambda ns: lambda: ns["pairwise"](x), 1),
        "strided_sum": (lambda ns: lambda: ns["strided_sum"](strided), 1),
        "call_1d_array": (lambda ns: lambda: ns["first"](vec), 1),
    }


def best_time(call: Callable[[], Any], budget: float) -> float:
    """Seconds per call: the best of 5 repeats of a batch sized to ~budget/5."""
    call()
    t0 = time.perf_counter()
    call()
    one = max(time.perf_counter() - t0, 1e-7)
    batch = max(1, int(budget / 5 / one))
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(batch):
            call()
        best = min(best, (time.perf_counter() - t0) / batch)
    return best


def best_times(calls: dict[str, Callable[[], Any]], budgets: dict[str, float],
               rounds: int = 7) -> dict[str, float]:
    """Seconds per call for each engine: batches sized as in :func:`best_time`, the
    engines taking turns round after round (a burst of load on a shared machine then
    hits all of them instead of biasing a ratio); the best round of each."""
    batches = {}
    for e, call in calls.items():
        call()
        t0 = time.perf_counter()
        call()
        one = max(time.perf_counter() - t0, 1e-7)
        batches[e] = max(1, int(budgets[e] / rounds / one))
    best = dict.fromkeys(calls, math.inf)
    for _ in range(rounds):
        for e, call in calls.items():
            t0 = time.perf_counter()
            for _ in range(batches[e]):
                call()
            best[e] = min(best[e], (time.perf_counter() - t0) / batches[e])
    return best


def cell(times: dict[str, float], engine: str) -> str:
    """An engine's time, or '-' for one that was not run."""
    return fmt(times[engine]) if engine in times else f"{'-':>11}"


def fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:8.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    return f"{seconds * 1e3:8.2f} ms"


def steady_state(quick: bool, with_python: bool, with_numba: bool) -> None:
    engines = ["ember"] + (["numba"] if with_numba else []) + (["python"] if with_python else [])
    spaces = {e: load(e) for e in engines}
    table = cases(quick)
    print(f"{'kernel':15} {'ember':>11} {'numba':>11} {'python':>11} "
          f"{'ember/numba':>12} {'python/ember':>13}")
    ratios_numba, ratios_python = [], []
    for name, (make, _) in table.items():
        times = best_times({e: make(spaces[e]) for e in engines if e != "python"},
                           {"ember": 0.3, "numba": 0.3})
        if with_python:
            times["python"] = best_time(make(spaces["python"]),
                                        0.2 if name == "call_1d_array" else 0.5)
        rn = times["ember"] / times["numba"] if with_numba else math.nan
        rp = times.get("python", math.nan) / times["ember"]
        if name != "call_1d_array":
            ratios_numba.append(rn)
            if with_python:
                ratios_python.append(rp)
        print(f"{name:15} {fmt(times['ember'])} {cell(times, 'numba')} {cell(times, 'python')} "
              + (f"{rn:11.2f}x " if with_numba else f"{'-':>12} ")
              + (f"{rp:12.1f}x" if with_python else f"{'-':>13}"))
    numba_geo = (f"{statistics.geometric_mean(ratios_numba):11.2f}x" if with_numba
                 else f"{'-':>12}")
    python_geo = (f"{statistics.geometric_mean(ratios_python):12.1f}x" if ratios_python
                  else f"{'-':>13}")
    print(f"{'geomean':15} {'':11} {'':11} {'':11} {numba_geo} {python_geo}")
    print("(call_1d_array is call overhead with a 10-element float64 array; not in the "
          "geomeans)")


FIRST_CALL = textwrap.dedent(
    """
    import time, sys
    t0 = time.perf_counter()
    sys.path.insert(0, {bench!r})
    import numpy as np
    from bench_arrays import load
    ns = load({engine!r}, {folder!r})
    x = np.random.default_rng(0).random((200, 3))
    ns["pairwise"](x)
    print(time.perf_counter() - t0)
    """
)


def first_call(repeats: int, with_numba: bool) -> None:
    """Fresh processes, the engines taking turns repeat after repeat (a burst of load on
    a shared machine then hits every engine, not one), median per engine."""
    here = os.path.dirname(os.path.abspath(__file__))
    print("\nfirst call in a fresh process (import numpy + engine + compile + run pairwise),"
          f" median of {repeats}:")
    import shutil
    import tempfile

    precompile_ember()
    folder = tempfile.mkdtemp(prefix="ember-bench-first-")
    engines = (
        (("numba", "numba", {}, False),) if with_numba else ()
    ) + (
        ("ember (cache off)", "ember", {"EMBER_CACHE": "0"}, False),
        ("ember (warm cache)", "ember-cached", {}, True),
    )

    def run(engine: str, env_extra: dict[str, str]) -> float:
        code = FIRST_CALL.format(bench=here, engine=engine, folder=folder)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, **env_extra}, check=True)
        return float(out.stdout.strip().splitlines()[-1])

    for _label, engine, env_extra, warmup in engines:
        if warmup:  # fill the cache first: the warm-cache runs measure loading it
            run(engine, env_extra)
    runs: dict[str, list[float]] = {label: [] for label, *_ in engines}
    for _ in range(repeats):
        for label, engine, env_extra, _warmup in engines:
            runs[label].append(run(engine, env_extra))
    results = {label: statistics.median(times) for label, times in runs.items()}
    for label, seconds in results.items():
        print(f"  {label:20} {seconds * 1e3:8.1f} ms"
              + (f"   ({seconds / results['numba']:.2f}x numba)" if with_numba else ""))
    shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--no-python", action="store_true", help="skip CPython (slow)")
    parser.add_argument("--no-first-call", action="store_true")
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per engine")
    parser.add_argument("--no-numba", action="store_true", help="skip Numba even if installed")
    add_src_option(parser)
    args = parser.parse_args()
    use_src(args.src)
    numba = have("numba") and not args.no_numba
    if not numba and not args.no_numba:
        anchor_note("numba")
    steady_state(args.quick, not args.no_python, numba)
    if not args.no_first_call:
        first_call(args.repeats, numba)


if __name__ == "__main__":
    main()
