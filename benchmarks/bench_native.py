"""ember's native layer against CPython and Numba, in one run, as ratios.

    .venv/bin/python benchmarks/bench_native.py [--quick] [--repeat N] [--src DIR]

Reports (best of N runs each; Numba only when it is installed — it is a
benchmark-only extra, never an ember dependency):

1. steady-state time per kernel (native_kernels.py), after a warm-up call; the
   compiled backends alternate run by run (best of N each);
2. per-call overhead of ``f(1)`` and ``f(1.5)``, empty-loop time subtracted;
3. the first call in a fresh process: import + compile + run, in a subprocess
   (``python -c pass`` subtracted);
4. the compile time of one more small function in a warm process.

A script, not a test: it asserts nothing; the goals are printed next to the ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import timeit
from pathlib import Path
from types import ModuleType
from typing import Any

from _common import add_src_option, anchor_note, have, precompile_ember, use_src

HERE = Path(__file__).resolve().parent
KERNELS = HERE / "native_kernels.py"

CASES: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {
    # name: (full-size args, --quick args)
    "msum": ((5_000_000,), (500_000,)),
    "fib": ((27,), (22,)),
    "mandel": ((200, 150, 200), (80, 60, 100)),
    "collatz": ((100_000,), (20_000,)),
    "mc_pi": ((2_000_000, 12345), (200_000, 12345)),
}


def load(backend: str) -> ModuleType:
    """native_kernels.py as its own module for ``backend``."""
    name = f"native_kernels_{backend}"
    spec = importlib.util.spec_from_file_location(name, KERNELS)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    mod.BACKEND = backend  # type: ignore[attr-defined]
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def best_time(fn: Any, args: tuple[Any, ...], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


# ---------------------------------------------------------------- sections


def steady_state(backends: dict[str, ModuleType], quick: bool, repeat: int) -> None:
    print(f"\n== steady state (best of {repeat}; seconds) ==")
    names = list(backends)
    print(f"{'kernel':<9}" + "".join(f"{n:>12}" for n in names)
          + f"{'py/ember':>11}" + (f"{'ember/numba':>13}" if "numba" in backends else ""))
    vs_py, vs_numba, numba_vs_py = [], [], []
    for kernel, (full, small) in CASES.items():
        args = small if quick else full
        results = {}
        fns = {name: getattr(mod, kernel) for name, mod in backends.items()}
        for name, fn in fns.items():
            results[name] = fn(*args)  # warm-up (compiles)
        row = {"python": best_time(fns["python"], args, 1)}
        # Compiled backends take turns, run after run, so a burst of load on a shared
        # machine hits both instead of biasing the ratio.
        for _ in range(repeat):
            for name, fn in fns.items():
                if name != "python":
                    row[name] = min(row.get(name, math.inf), best_time(fn, args, 1))
        assert len({repr(v) for v in results.values()}) == 1, (kernel, results)
        speedup = row["python"] / row["ember"]
        vs_py.append(speedup)
        line = f"{kernel:<9}" + "".join(f"{row[n]:>12.5f}" for n in names) + f"{speedup:>10.1f}x"
        if "numba" in row:
            ratio = row["ember"] / row["numba"]
            vs_numba.append(ratio)
            numba_vs_py.append(row["python"] / row["numba"])
            line += f"{ratio:>12.2f}x"
        print(line)
    print(f"geomean: ember is {geomean(vs_py):.1f}x faster than CPython (goal >= 50x)"
          + (f"; numba is {geomean(numba_vs_py):.1f}x on these kernels" if numba_vs_py else ""))
    if vs_numba:
        print(f"geomean: ember time / numba time = {geomean(vs_numba):.2f} (goal <= 1.0, "
              f"worst {max(vs_numba):.2f}, goal <= 1.2)")


def call_overhead(backends: dict[str, ModuleType], repeat: int) -> None:
    print(f"\n== per-call overhead (ns per call, empty loop subtracted; best of {repeat}) ==")
    n = 1_000_000
    empty = min(timeit.repeat("pass", number=n, repeat=repeat)) / n * 1e9
    ns_: dict[tuple[str, str], float] = {}
    for name, mod in backends.items():
        f = mod.ident
        f(1)
        f(1.5)
        for arg in ("1", "1.5"):
            t = min(timeit.repeat(f"f({arg})", globals={"f": f}, number=n, repeat=repeat))
            ns_[(name, arg)] = t / n * 1e9 - empty
    for arg in ("1", "1.5"):
        cells = "  ".join(f"{name} {ns_[(name, arg)]:6.1f}" for name in backends)
        line = f"f({arg}):{'':<4}{cells}"
        if "numba" in backends:
            line += f"   ember/numba {ns_[('ember', arg)] / ns_[('numba', arg)]:.2f}x"
        line += f"   ember/python {ns_[('ember', arg)] / ns_[('python', arg)]:.2f}x"
        print(line)
    print("goal: <= numba's (~220 ns here), ideally <= 2x a plain Python call")


FIRST_CALL = """
import time
t0 = time.perf_counter()
{imports}
@{decorator}
def msum(n):
    s = 0
    for i in range(n):
        s = (s + i * i) % 1000003
    return s
msum(1000)
t1 = time.perf_counter()
@{decorator}
def poly(x, n):
    acc = 0.0
    for i in range(n):
        acc = acc * x + i
    return acc
poly(0.5, 10)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""

BACKEND_CODE = {
    "ember": ("from ember import jit", "jit(cache=False)"),
    "numba": ("import numba", "numba.njit"),
}


def fresh_process(backends: list[str], repeat: int) -> None:
    print(f"\n== fresh process (median of {repeat} subprocesses; ms) ==")
    precompile_ember()
    env = dict(os.environ)  # PYTHONPATH names the measured tree (use_src)
    tmp = Path(tempfile.mkdtemp(prefix="ember-bench-"))
    firsts: dict[str, list[float]] = {}
    nexts: dict[str, list[float]] = {}
    walls: dict[str, list[float]] = {}
    base = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        base.append(time.perf_counter() - t)
    for name in backends:
        imports, deco = BACKEND_CODE[name]
        script = tmp / f"first_{name}.py"
        script.write_text(textwrap.dedent(FIRST_CALL.format(imports=imports, decorator=deco)))
        for _ in range(repeat):
            t = time.perf_counter()
            out = subprocess.run([sys.executable, str(script)], check=True, env=env,
                                 capture_output=True, text=True).stdout.split()
            walls.setdefault(name, []).append(time.perf_counter() - t - statistics.median(base))
            firsts.setdefault(name, []).append(float(out[0]))
            nexts.setdefault(name, []).append(float(out[1]))
    for name in backends:
        print(f"{name:<6} process start to first result {1000 * statistics.median(firsts[name]):7.1f}"
              f"   (wall beyond python -c pass {1000 * statistics.median(walls[name]):7.1f})"
              f"   one more compile {1000 * statistics.median(nexts[name]):6.1f}")
    if "numba" in backends:
        r1 = statistics.median(firsts["ember"]) / statistics.median(firsts["numba"])
        r2 = statistics.median(nexts["ember"]) / statistics.median(nexts["numba"])
        print(f"ember/numba: first call {r1:.2f}x (goal <= 0.33), "
              f"one more compile {r2:.2f}x (goal <= 0.33)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    p.add_argument("--repeat", type=int, default=5, help="runs per measurement (best/median)")
    p.add_argument("--no-numba", action="store_true", help="skip Numba even if installed")
    add_src_option(p)
    args = p.parse_args(argv)
    use_src(args.src)
    numba = have("numba") and not args.no_numba
    if not numba and not args.no_numba:
        anchor_note("numba")
    names = ["python", "ember"] + (["numba"] if numba else [])
    print(f"Python {sys.version.split()[0]}; backends: {', '.join(names)}")
    backends = {name: load(name) for name in names}
    steady_state(backends, args.quick, args.repeat)
    call_overhead(backends, args.repeat)
    fresh_process([n for n in names if n != "python"], args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
