"""Exception-heavy loops: ember against CPython (and Numba when installed), one run.

    .venv/bin/python benchmarks/bench_exceptions.py [--quick] [--n N] [--repeat N]
                                                    [--no-numba] [--src DIR]

Kernels (exception_kernels.py, plain Python compiled unchanged): a validation loop that
raises and catches a user ValueError subclass with an f-string message for a tenth of
its items; a division loop catching ZeroDivisionError; try/finally around every
iteration with nothing raised; an IndexError from an array index, caught; the first two
again in the form Numba compiles (constant message, ``except Exception``); and the
per-call cost of a call that raises out to Python (half the calls).

Best of N runs each, after a warm-up call, in CPU time of this process
(``time.process_time``): on a shared machine a wall-clock run of tens of milliseconds is
preempted often and its best time grows with its length; ``--wall`` measures wall time.
A script, not a test: it asserts nothing.
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
KERNELS = ("check_value", "validate", "safe_ratios", "guarded_sum", "lookup_or_default",
           "raise_out", "check_value_const", "validate_const", "safe_ratios_any")


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, HERE / "exception_kernels.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


CLOCK = time.process_time


def _best(fn: Any, args: tuple[Any, ...], repeat: int) -> float:
    fn(*args)  # warm-up: compile
    best = float("inf")
    for _ in range(repeat):
        t = CLOCK()
        fn(*args)
        best = min(best, CLOCK() - t)
    return best


def _raising_calls(fn: Any, n: int) -> None:
    for i in range(n):
        try:
            fn(i)
        except ValueError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--n", type=int, default=None, help="items per kernel")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-numba", action="store_true", help="skip Numba")
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    add_src_option(parser)
    opts = parser.parse_args()
    use_src(opts.src)
    global CLOCK
    if opts.wall:
        CLOCK = time.perf_counter
    import numpy as np  # noqa: PLC0415 - after --src is on sys.path

    from ember import jit  # noqa: PLC0415

    n = opts.n or (100_000 if opts.quick else 1_000_000)
    rng = np.random.default_rng(0)
    xs = rng.random(n)
    xs[rng.random(n) < 0.1] = -1.0
    a = rng.integers(-1000, 1000, n)
    b = rng.integers(-3, 4, n)
    idx = rng.integers(-n // 10, n + n // 10, n)
    cases = {
        "validate (10% raise, f-string)": ("validate", (xs,)),
        "safe_ratios (ZeroDivisionError)": ("safe_ratios", (a, b)),
        "guarded_sum (try/finally, no raise)": ("guarded_sum", (xs,)),
        "lookup_or_default (IndexError)": ("lookup_or_default", (xs, idx)),
        "validate_const (Numba's form)": ("validate_const", (xs,)),
        "safe_ratios_any (Numba's form)": ("safe_ratios_any", (a, b)),
    }
    py = _load("exception_kernels_py")
    em = _load("exception_kernels_ember")
    for name in KERNELS:
        setattr(em, name, jit(cache=False)(getattr(em, name)))
    nb = None
    if have("numba") and not opts.no_numba:
        import numba  # noqa: PLC0415

        nb = _load("exception_kernels_numba")
        for name in KERNELS:
            setattr(nb, name, numba.njit(getattr(nb, name)))
    elif not opts.no_numba:
        anchor_note("numba")
    print(f"n = {n:,}; best of {opts.repeat} ({'wall' if opts.wall else 'CPU'} time)\n")
    print(f"{'kernel':38} {'CPython':>10} {'ember':>10} {'numba':>10} {'vs CPython':>11}")
    for label, (name, args) in cases.items():
        got, want = getattr(em, name)(*args), getattr(py, name)(*args)
        assert got == want, (name, got, want)
        t_py = _best(getattr(py, name), args, max(1, opts.repeat // 2))
        t_em = _best(getattr(em, name), args, opts.repeat)
        t_nb = "n/a"
        if nb is not None:
            try:
                t_nb = f"{_best(getattr(nb, name), args, opts.repeat) * 1e3:8.2f}ms"
            except Exception:  # noqa: BLE001 - Numba refuses f-strings, except E ...
                t_nb = "refused"
        print(f"{label:38} {t_py * 1e3:8.2f}ms {t_em * 1e3:8.2f}ms {t_nb:>10} "
              f"{t_py / t_em:10.1f}x")
    calls = n // 10
    t_py = _best(_raising_calls, (py.raise_out, calls), opts.repeat)
    t_em = _best(_raising_calls, (em.raise_out, calls), opts.repeat)
    print(f"{'raise to Python (per call)':38} {t_py / calls * 1e9:8.0f}ns "
          f"{t_em / calls * 1e9:8.0f}ns {'':>10} {t_py / t_em:10.1f}x")


if __name__ == "__main__":
    main()
