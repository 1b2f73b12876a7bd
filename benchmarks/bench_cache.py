"""Warm start of a cached kernel: ember's native cache against Numba's ``cache=True``.

    $ .venv/bin/python benchmarks/bench_cache.py [--runs 15] [--src DIR] [--no-numba]

The same loop kernel is written twice in a temporary folder, once ``@ember.jit`` and once
``@numba.njit(cache=True)``. Each is run once to fill its cache; then fresh processes,
interleaved round by round so machine noise hits both alike, measure inside the process:

    t0 = perf_counter(); import ember (or numba); from kernel import f; f(N); elapsed

that is, the import of the JIT plus the first call of a cached kernel (what a program
pays before its compiled code runs). Whole-process wall time is shown too, and for
context the first call with an empty cache. Goal (issue 6): ember's warm figure <=
1/10 of Numba's. Every ember warm run is checked to hit its cache and not to import
llvmlite; the modules it loads beyond ``python -c pass`` are counted. Numba is a
benchmark-only extra: without it (or with --no-numba) only ember's figures are shown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import add_src_option, anchor_note, have, use_src

BODY = """
def kernel(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            total += i * i
        else:
            total -= i
    return total
"""

EMBER_KERNEL = "import ember\n\n\n@ember.jit" + BODY
NUMBA_KERNEL = "import numba\n\n\n@numba.njit(cache=True)" + BODY

PROBE = """
import time, sys
t0 = time.perf_counter()
import {jit}
from {module} import kernel
r = kernel(1000)
t1 = time.perf_counter()
assert r == {expected}, r
print(f"{{(t1 - t0) * 1e3:.3f}}", "llvmlite" in sys.modules, len(sys.modules))
"""


def expected() -> int:
    ns: dict[str, object] = {}
    exec(BODY, ns)
    return ns["kernel"](1000)  # type: ignore[operator]


Run = tuple[float, float, str, int]


def run(folder: Path, jit: str, module: str, env: dict[str, str]) -> Run:
    """(ms inside the process, ms wall, the llvmlite flag, len(sys.modules)) of one fresh
    process."""
    code = PROBE.format(jit=jit, module=module, expected=expected())
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True
    )
    wall = (time.perf_counter() - t) * 1e3
    if done.returncode != 0:
        raise SystemExit(f"{jit} run failed:\n{done.stderr}")
    inside, flag, modules = done.stdout.split()
    return float(inside), wall, flag, int(modules)


def baseline_modules(env: dict[str, str]) -> int:
    """len(sys.modules) of a bare interpreter: what start-up loads before any import."""
    code = "import sys; print(len(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    return int(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="warm runs of each (default 15)")
    parser.add_argument("--no-numba", action="store_true", help="skip Numba even if installed")
    add_src_option(parser)
    args = parser.parse_args()
    use_src(args.src)  # sets PYTHONPATH, which env copies below
    numba = have("numba") and not args.no_numba
    if not numba and not args.no_numba:
        anchor_note("numba")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMBER_", "NUMBA_"))}
    # Both sides may keep .pyc files and their caches (a normal user's setting).
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    with tempfile.TemporaryDirectory(prefix="ember-bench-cache-") as tmp:
        folder = Path(tmp)
        (folder / "k_ember.py").write_text(EMBER_KERNEL)
        (folder / "k_numba.py").write_text(NUMBA_KERNEL)
        sides = {"ember": ("ember", "k_ember")}
        if numba:
            sides["numba"] = ("numba", "k_numba")

        cold = {name: run(folder, jit, mod, env) for name, (jit, mod) in sides.items()}
        for jit, mod in sides.values():  # the caches are in place; one more run each
            run(folder, jit, mod, env)
        warm: dict[str, list[Run]] = {name: [] for name in sides}
        for _ in range(args.runs):
            for name, (jit, mod) in sides.items():
                warm[name].append(run(folder, jit, mod, env))
        if any(flag != "False" for _, _, flag, _ in warm["ember"]):
            raise SystemExit("an ember warm run imported llvmlite: the cache was not hit")
        entries = list((folder / "__pycache__").glob("k_ember.kernel.*.ember-*.so"))
        if len(entries) != 1:
            raise SystemExit(f"expected one ember cache entry, found {entries}")
        shutil.rmtree(folder / "__pycache__", ignore_errors=True)

    def stats(rows: list[Run], i: int) -> tuple[float, float]:
        values = [r[i] for r in rows]
        return statistics.median(values), min(values)

    print(f"{args.runs} warm runs each, fresh processes, interleaved (ms; median / min)")
    print(f"{'':28}{'ember':>18}" + (f"{'numba':>18}{'ratio':>10}" if numba else ""))
    for label, i in (("import + first call", 0), ("whole process (wall)", 1)):
        e = stats(warm["ember"], i)
        line = f"{label + ', warm cache':28}{e[0]:>9.1f} /{e[1]:>6.1f}"
        if numba:
            n = stats(warm["numba"], i)
            line += f"{n[0]:>10.1f} /{n[1]:>6.1f}{e[0] / n[0]:>10.3f}"
        print(line)
    line = f"{'import + first call, cold':28}{cold['ember'][0]:>18.1f}"
    if numba:
        line += f"{cold['numba'][0]:>18.1f}{cold['ember'][0] / cold['numba'][0]:>10.3f}"
    print(line)
    base = baseline_modules(env)
    print(f"{'modules loaded, warm run':28}"
          + "".join(f"{max(r[3] for r in warm[name]) - base:>18}" for name in sides)
          + "   (beyond python -c pass)")
    if numba:
        ratio = stats(warm["ember"], 0)[0] / stats(warm["numba"], 0)[0]
        print(f"goal: warm ratio <= 0.100 -> {'met' if ratio <= 0.1 else 'NOT met'} ({ratio:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
