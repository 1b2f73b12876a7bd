"""prange kernels on 1..N threads: ember ``parallel=True`` against the serial loop
(the same code without ``parallel=True``) and Numba ``parallel=True``, one run.

    .venv/bin/python benchmarks/bench_parallel.py [--quick] [--repeat N] [--threads N]
                                                  [--no-numba] [--src DIR]

Kernels (parallel_kernels.py): element-wise ``out[i] = sqrt(a[i])*2 + sin(a[i])``; a
float dot-product reduction; a 5-point 2-D stencil (prange over rows). Wall time, best
of ``--repeat`` runs after a warm-up call (which compiles and starts the pool), and the
process's CPU time over wall time of that best run: about the number of cores the run
really got. On a shared machine that number, not the thread count, bounds the speed-up:
quote both. A script, not a test: it checks results, asserts nothing about time.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

from _common import add_src_option, anchor_note, have, use_src

HERE = Path(__file__).resolve().parent


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, HERE / "parallel_kernels.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _best(fn: Any, args: tuple[Any, ...], repeat: int) -> tuple[float, float]:
    """(best wall seconds, CPU seconds / wall seconds of that run)."""
    fn(*args)  # warm-up: compile, start the pool's threads
    best, cores = float("inf"), 0.0
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn(*args)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        if wall < best:
            best, cores = wall, cpu / wall
    return best, cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None,
                        help="most threads to try (default: ember.get_num_threads())")
    parser.add_argument("--no-numba", action="store_true", help="skip Numba")
    add_src_option(parser)
    opts = parser.parse_args()
    use_src(opts.src)
    import numpy as np  # noqa: PLC0415 - after --src is on sys.path

    import ember  # noqa: PLC0415

    n = 400_000 if opts.quick else 4_000_000
    side = 600 if opts.quick else 2000
    rng = np.random.default_rng(0)
    a, b = rng.random(n), rng.random(n)
    grid = rng.random((side, side))
    cases = {
        f"elementwise n={n:,}": ("elementwise", lambda: (a, np.empty_like(a))),
        f"reduction n={n:,}": ("reduction", lambda: (a, b)),
        f"stencil {side}x{side}": ("stencil", lambda: (grid, np.zeros_like(grid))),
    }
    serial = _load("parallel_kernels_serial")
    par = _load("parallel_kernels_ember")
    for name in serial.KERNELS:
        setattr(serial, name, ember.jit(cache=False)(getattr(serial, name)))
        setattr(par, name, ember.jit(parallel=True, cache=False)(getattr(par, name)))
    nb = None
    if have("numba") and not opts.no_numba:
        import numba  # noqa: PLC0415

        nb = _load("parallel_kernels_numba")
        nb.prange = numba.prange
        for name in nb.KERNELS:
            setattr(nb, name, numba.njit(parallel=True)(getattr(nb, name)))
    elif not opts.no_numba:
        anchor_note("numba")
    top = opts.threads or ember.get_num_threads()
    cpus = ember.native.runtime.threads.available_cpus()
    print(f"threads 1..{top} (CPUs available to this process: {cpus}); wall time, best of "
          f"{opts.repeat}; 'cores' = CPU time / wall time of that run\n")
    print(f"{'kernel':26} {'threads':>7} {'serial':>9} {'ember':>9} {'cores':>5} "
          f"{'speed-up':>8} {'numba':>9} {'cores':>5} {'ember/numba':>11}")
    for label, (name, make) in cases.items():
        args = make()
        t_serial, _ = _best(getattr(serial, name), args, opts.repeat)
        want = getattr(serial, name)(*args)
        for k in range(1, top + 1):
            ember.set_num_threads(k)
            got = getattr(par, name)(*args)
            if name == "reduction":
                assert abs(got - want) <= 1e-9 * abs(want), (got, want)
            t_em, c_em = _best(getattr(par, name), args, opts.repeat)
            nb_cols = f"{'n/a':>9} {'':>5} {'':>11}"
            if nb is not None:
                numba.set_num_threads(min(k, numba.config.NUMBA_NUM_THREADS))
                t_nb, c_nb = _best(getattr(nb, name), args, opts.repeat)
                nb_cols = f"{t_nb * 1e3:7.2f}ms {c_nb:5.2f} {t_em / t_nb:10.2f}x"
            print(f"{label:26} {k:7} {t_serial * 1e3:7.2f}ms {t_em * 1e3:7.2f}ms {c_em:5.2f} "
                  f"{t_serial / t_em:7.2f}x {nb_cols}")
    ember.set_num_threads(top)


if __name__ == "__main__":
    main()
