"""Start-up cost of ember itself, for one or more source trees in one run.

    $ .venv/bin/python benchmarks/bench_start.py [--runs 20] [--src OLD/src --src src]

Two fresh-process probes per tree:

- ``import ember``;
- the warm start: a fresh process importing a module whose ``@ember.jit`` kernel is
  already in the native cache, and calling it once (what a program pays before its
  compiled code runs).

For each: the modules it loads beyond ``python -c pass`` (from ``python -X importtime``;
the names that one tree loads and the first does not are listed), and the best and
median of --runs timed processes: wall time beyond ``python -c pass``, and the time
inside the process (``perf_counter`` around the probe). The trees and probes take turns
run after run, so a burst of load on a shared machine hits all of them alike; ratios
are against the first --src. Every warm run is checked not to load llvmlite (a cache
miss would).

To say where a difference comes from, --runs more ``-X importtime`` processes per probe
give each module's best self time; the modules whose best differs most from the first
tree's are listed, and the sums of ember's own (``ember.*``) and of all modules.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import CHECKOUT_SRC, describe
from bench_cache import EMBER_KERNEL as KERNEL  # the same warm start bench_cache times

EXPECTED = sum(i * i if i % 3 == 0 else -i for i in range(1000))

TIMED = "import time\nt0 = time.perf_counter()\n{probe}\nprint(time.perf_counter() - t0)\n"
PROBES = {
    "import ember": "import ember",
    "warm start": f"from k import kernel\nassert kernel(1000) == {EXPECTED}",
}


def environment(src: Path) -> dict[str, str]:
    """ember from ``src`` only; .pyc files written and read as for an installed copy
    (the machine may set PYTHONDONTWRITEBYTECODE); no EMBER_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMBER_", "NUMBA_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(src)
    return env


def imported(code: str, env: dict[str, str], cwd: Path) -> dict[str, int]:
    """module → self time (us) of each import ``python -X importtime -c code`` reports."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], env=env, cwd=cwd,
                          capture_output=True, text=True, check=True)
    out = {}
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "imported package" not in line:
            self_us, _cumulative, name = line[len("import time:"):].split("|")
            out[name.strip()] = int(self_us)
    return out


def self_times(rows: dict[str, int], best: dict[str, int]) -> None:
    """Fold one importtime run into ``best`` (the least self time of each module)."""
    for name, us in rows.items():
        best[name] = min(best.get(name, us), us)


def timed(code: str, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, seconds inside the process) of one fresh ``python -c code``."""
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd,
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    return wall, float(done.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed processes per probe")
    parser.add_argument("--src", type=Path, action="append", metavar="DIR",
                        help=f"a src/ folder to measure; repeat to compare (default: {CHECKOUT_SRC})")
    args = parser.parse_args()
    trees = [s.resolve() for s in (args.src or [CHECKOUT_SRC])]
    for src in trees:
        if not (src / "ember" / "__init__.py").is_file():
            raise SystemExit(f"--src {src}: no ember package there")
    labels = [f"{src} ({describe(src)})" for src in trees]

    with tempfile.TemporaryDirectory(prefix="ember-bench-start-") as tmp:
        folders = []
        for i in range(len(trees)):  # one folder each: the cache entries stay apart
            folder = Path(tmp, f"tree{i}")
            folder.mkdir()
            (folder / "k.py").write_text(KERNEL)
            folders.append(folder)
        envs = [environment(src) for src in trees]
        base_env = environment(Path(tmp))
        for env, folder in zip(envs, folders, strict=True):  # fill the caches, write the .pyc files
            for probe in PROBES.values():
                timed(TIMED.format(probe=probe), env, folder)

        bare = set(imported("pass", base_env, Path(tmp)))
        modules = {(i, name): set(imported(probe, envs[i], folders[i])) - bare
                   for i in range(len(trees)) for name, probe in PROBES.items()}
        for i in range(len(trees)):
            if "llvmlite" in modules[(i, "warm start")]:
                raise SystemExit(f"{labels[i]}: the warm start loaded llvmlite (cache missed)")

        base_walls = []
        runs: dict[tuple[int, str], list[tuple[float, float]]] = {k: [] for k in modules}
        for _ in range(args.runs):
            base_walls.append(timed(TIMED.format(probe="pass"), base_env, Path(tmp))[0])
            for i in range(len(trees)):
                for name, probe in PROBES.items():
                    runs[(i, name)].append(timed(TIMED.format(probe=probe), envs[i], folders[i]))
        best_self: dict[tuple[int, str], dict[str, int]] = {k: {} for k in modules}
        for _ in range(args.runs):  # after the timed runs: -X importtime slows a process
            for i in range(len(trees)):
                for name, probe in PROBES.items():
                    self_times(imported(probe, envs[i], folders[i]), best_self[(i, name)])

    base = min(base_walls)
    print(f"Python {sys.version.split()[0]}; {args.runs} fresh processes per probe, interleaved; "
          f"python -c pass: best {base * 1e3:.1f} ms")
    for i, label in enumerate(labels):
        print(f"  [{i}] {label}")
    print(f"\n{'probe':14}{'tree':>5}{'modules':>9}{'wall best':>11}{'median':>9}"
          f"{'beyond pass':>13}{'inside best':>13}{'median':>9}{'ratio: wall, inside':>22}")
    for name in PROBES:
        first: tuple[float, float] | None = None
        for i in range(len(trees)):
            walls = [w for w, _ in runs[(i, name)]]
            insides = [t for _, t in runs[(i, name)]]
            best = (min(walls), min(insides))
            first = first or best
            ratio = f"{best[0] / first[0]:.3f}, {best[1] / first[1]:.3f}" if i else ""
            print(f"{name:14}{i:>5}{len(modules[(i, name)]):>9}{best[0] * 1e3:>8.1f} ms"
                  f"{statistics.median(walls) * 1e3:>9.1f}{(best[0] - base) * 1e3:>10.1f} ms"
                  f"{best[1] * 1e3:>10.1f} ms{statistics.median(insides) * 1e3:>9.1f}{ratio:>22}")
    print("(modules: beyond python -c pass; ratios: best against best of tree [0])")
    for name in PROBES:
        for i in range(1, len(trees)):
            more = sorted(modules[(i, name)] - modules[(0, name)])
            fewer = sorted(modules[(0, name)] - modules[(i, name)])
            print(f"{name}, [{i}] vs [0]: +{len(more)} {' '.join(more) or '-'}; "
                  f"-{len(fewer)} {' '.join(fewer) or '-'}")
    print(f"\nbest self time per module over {args.runs} `-X importtime` runs (us)")
    for name in PROBES:
        sums = []
        for i in range(len(trees)):
            best = {m: us for m, us in best_self[(i, name)].items() if m in modules[(i, name)]}
            sums.append(f"[{i}] ember.* {sum(us for m, us in best.items() if m.startswith('ember')):>6}"
                        f", all {sum(best.values()):>6}")
        print(f"{name}: " + "; ".join(sums))
        for i in range(1, len(trees)):
            first, this = best_self[(0, name)], best_self[(i, name)]
            both = modules[(0, name)] | modules[(i, name)]
            diffs = sorted(both, key=lambda m: -abs(this.get(m, 0) - first.get(m, 0)))[:8]
            print(f"  [{i}] vs [0], largest differences: " + ", ".join(
                f"{m} {first.get(m, '-')}->{this.get(m, '-')}" for m in diffs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
