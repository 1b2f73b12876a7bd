"""Safety at no cost (issue 15): ember's checked integer and array loops against
Numba's unchecked ones and CPython, in one run, as ratios.

    .venv/bin/python benchmarks/bench_safety.py [--quick] [--repeat N] [--src DIR]

Kernels in safety_kernels.py: ``s += i*i % 7``, bit mixing, prefix sums, an affine
stencil, a sieve, collatz, spectral norm, pairwise distances, CRC-16. Best of N runs
each, the compiled backends alternating run by run; CPython once (it is the slow
column). Numba only when installed. A script, not a test: it asserts nothing but that
every backend returns the same answer.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from _common import add_src_option, anchor_note, have, use_src

HERE = Path(__file__).resolve().parent
KERNELS = HERE / "safety_kernels.py"


def cases(quick: bool) -> dict[str, tuple[Any, ...]]:
    """Arguments per kernel (made fresh per backend: some write into ``out``)."""
    import numpy as np

    rng = np.random.default_rng(7)
    k = 10 if quick else 1
    n_arr = 2_000_000 // k
    a = rng.integers(-1000, 1000, n_arr)
    pts = rng.random((800 // (3 if quick else 1), 3))
    data = rng.integers(0, 256, 200_000 // k).astype(np.uint8)
    return {
        "isum": (10_000_000 // k,),
        "bitmix": (10_000_000 // k,),
        "prefix": (a, np.empty_like(a)),
        "stencil": (a, np.empty_like(a)),
        "sieve": (5_000_000 // k,),
        "collatz": (300_000 // k,),
        "spectral": (400 // (4 if quick else 1),),
        "pairwise": (pts, np.empty((len(pts), len(pts)))),
        "crc16": (data, 0x1021),
    }


def load(backend: str) -> ModuleType:
    name = f"safety_kernels_{backend}"
    spec = importlib.util.spec_from_file_location(name, KERNELS)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    mod.BACKEND = backend  # type: ignore[attr-defined]
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def once(fn: Any, args: tuple[Any, ...]) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller inputs")
    p.add_argument("--repeat", type=int, default=7, help="runs per kernel (best is kept)")
    p.add_argument("--only", nargs="*", help="kernels to run (default: all)")
    add_src_option(p)
    ns = p.parse_args(argv)
    use_src(ns.src)
    names = ["python", "ember"] + (["numba"] if have("numba") else [])
    if "numba" not in names:
        anchor_note("numba")
    backends = {n: load(n) for n in names}
    print(f"\n== steady state (best of {ns.repeat}; ms) ==")
    print(f"{'kernel':<10}" + "".join(f"{n:>11}" for n in names) + f"{'py/ember':>10}"
          + (f"{'ember/numba':>13}" if "numba" in names else ""))
    ratios = []
    for kernel, args in cases(ns.quick).items():
        if ns.only and kernel not in ns.only:
            continue
        fns = {n: getattr(m, kernel) for n, m in backends.items()}
        results = {n: fn(*args) for n, fn in fns.items()}  # warm-up (compiles)
        # Same answer everywhere (a NumPy scalar from CPython compares as its value).
        assert len({repr(getattr(v, "item", lambda v=v: v)()) for v in results.values()}) == 1, (
            kernel, results)
        row = {"python": once(fns["python"], args)}
        for _ in range(ns.repeat):
            for n, fn in fns.items():
                if n != "python":
                    row[n] = min(row.get(n, math.inf), once(fn, args))
        line = f"{kernel:<10}" + "".join(f"{1000 * row[n]:>11.2f}" for n in names)
        line += f"{row['python'] / row['ember']:>9.0f}x"
        if "numba" in row:
            ratios.append(row["ember"] / row["numba"])
            line += f"{ratios[-1]:>12.2f}x"
        print(line)
    if ratios:
        print(f"geomean ember/numba {geomean(ratios):.2f}x (goal <= 0.95), "
              f"worst {max(ratios):.2f}x (goal <= 1.05)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
