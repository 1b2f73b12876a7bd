"""``ember profile`` measured: its overhead, and whether its prediction comes true.

    $ .venv/bin/python benchmarks/bench_profile.py [--runs 3] [--src DIR]

For each program (the bundled sample app, examples/profile/simulate.py, a numeric
script, and examples/profile/calls.py, a million calls of small functions):

1. the program's wall time under plain ``python`` (best of --runs fresh processes);
2. the wall time of ``ember profile --json`` on it (best of --runs; the trials it runs
   after the program are timed separately, as they are not part of the program), and
   the program's time as the report states it (the recorder's cost taken out);
3. the run's predicted time with the suggested functions compiled, then the time it
   really takes: a copy of the program with ``@ember.jit`` added above each suggested
   function (what ``--apply`` prints), run once to fill the native cache, then timed
   (best of --runs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import add_src_option, use_src

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = {
    "sample app": ROOT / "examples" / "sampleapp" / "main.py",
    "numeric script": ROOT / "examples" / "profile" / "simulate.py",
    "call-heavy": ROOT / "examples" / "profile" / "calls.py",
}


def best_wall(argv: list[str], cwd: Path, runs: int, env: dict[str, str]) -> float:
    return best_run(argv, cwd, runs, env)[0]


def best_run(argv: list[str], cwd: Path, runs: int, env: dict[str, str]
             ) -> tuple[float, float]:
    """Best wall seconds and best CPU seconds (user + system) of a command: CPU time is
    what other processes on a busy machine do not inflate."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime + after.ru_stime
                       - before.ru_utime - before.ru_stime)
    return best, best_cpu


def apply(script: Path, rows: list[dict]) -> int:
    """Add ``@ember.jit`` above each suggested function of ``script`` (in place), as
    ``ember profile --apply --write`` does."""
    from ember.insight.profile.report import with_decorators

    chosen = [r["line"] for r in rows if r["verdict"] == "compile"]
    script.write_text(with_decorators(script.read_text(), chosen))
    return len(chosen)


def measure(name: str, program: Path, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "prog"
        shutil.copytree(program.parent, work, ignore=shutil.ignore_patterns("__pycache__"))
        script = work / program.name
        env = {**os.environ, "EMBER_CACHE_DIR": str(Path(tmp) / "cache")}
        plain, plain_cpu = best_run([sys.executable, str(script)], work, runs, env)
        profiled, profiled_cpu = best_run(
            [sys.executable, "-m", "ember", "profile", "--no-trial", "--json", "r.json",
             str(script)], work, runs, env)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ember", "profile", "--json", "r.json",
                        str(script)], cwd=work, env=env, check=True, capture_output=True)
        with_trials = time.perf_counter() - start
        report = json.loads((work / "r.json").read_text())
        applied = apply(script, report["functions"])
        subprocess.run([sys.executable, str(script)], cwd=work, env=env, check=True,
                       capture_output=True)  # fills the native cache
        after = best_wall([sys.executable, str(script)], work, runs, env) if applied else None
    return {"program": name, "plain": plain, "profiled": profiled, "trials": with_trials,
            "cpu_ratio": profiled_cpu / max(plain_cpu, 1e-9),
            "reported": report["wall_s"], "predicted": report["combined_s"],
            "applied": applied, "after": after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    add_src_option(parser)
    args = parser.parse_args()
    use_src(args.src)
    print(f"Python {sys.version.split()[0]}, best of {args.runs} processes\n")
    head = (f"{'program':<15} {'python':>8} {'profiled':>9} {'overhead':>9} {'cpu':>6} "
            f"{'reported':>9} "
            f"{'+trials':>8} {'predicted':>10} {'compiled':>9}")
    print(head)
    for name, program in PROGRAMS.items():
        r = measure(name, program, args.runs)
        predicted = f"{r['predicted']:.3f}s" if r["predicted"] is not None else "-"
        after = f"{r['after']:.3f}s" if r["after"] is not None else "-"
        print(f"{name:<15} {r['plain']:>7.3f}s {r['profiled']:>8.3f}s "
              f"{r['profiled'] / r['plain']:>8.2f}x {r['cpu_ratio']:>5.2f}x "
              f"{r['reported']:>8.3f}s "
              f"{r['trials']:>7.2f}s {predicted:>10} {after:>9}")
    print("\npython: the program alone; profiled: `ember profile --no-trial` (process wall "
          "time; overhead its ratio to python's, cpu the same in CPU seconds, which a busy machine does not inflate; both include ember's start-up and its cost calibration); reported: the run's time as the report gives it (recorder cost taken out); "
          "+trials: the whole `ember profile` with its compile trials; predicted: the "
          "report's time with its suggestions compiled; compiled: the program with "
          "@ember.jit added where suggested, warm cache (process wall time, start-up "
          "included).")


if __name__ == "__main__":
    main()
