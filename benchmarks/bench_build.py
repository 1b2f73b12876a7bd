"""ember build vs ``python -m compileall -q -j0`` on a fresh copy of the stdlib.

Copies this Python's standard library sources (without ``test/`` and
``site-packages/``) to a temp folder, then, in one run and interleaved so that machine
noise hits both alike, times:

- cold: no caches at all, each tool builds everything;
- no-op: every cache is fresh, each tool only checks.

Both tools are given the same absolute folder, so their pycs must be byte-identical;
the script checks that too. Prints best and median wall seconds, the best CPU
seconds (user + system of each tool and its workers: steadier than the wall clock on a
shared machine), and the ratios ember / compileall (goal: <= 0.75 cold, <= 1.0
no-op)::

    $ PYTHONPATH=src .venv/bin/python benchmarks/bench_build.py --rounds 5
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_stdlib(dest: Path) -> int:
    """Copy the stdlib's .py files into ``dest``; returns how many."""
    root = Path(sysconfig.get_paths()["stdlib"])
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel.parts[:1] in (("test",), ("site-packages",)):
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith(".py"):
                target = dest / rel / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(dirpath, name), target)
                count += 1
    return count


def remove_caches(tree: Path) -> None:
    for cache in list(tree.rglob("__pycache__")):
        shutil.rmtree(cache)


def digest(tree: Path) -> str:
    h = hashlib.sha256()
    for pyc in sorted(tree.rglob("*.pyc")):
        h.update(str(pyc.relative_to(tree)).encode())
        h.update(pyc.read_bytes())
    return h.hexdigest()


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system, the process and its workers):
    on a shared, noisy machine the CPU figure moves far less than the wall clock."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--jobs", default="", help="ember -j value (default: all cores)")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(REPO / "src")
    compileall = [sys.executable, "-m", "compileall", "-q", "-j0"]
    ember = [sys.executable, "-m", "ember", "build", "-q"] + (
        ["-j", args.jobs] if args.jobs else []
    )

    with tempfile.TemporaryDirectory(prefix="ember-bench-") as tmp:
        tree = Path(tmp, "stdlib")
        files = copy_stdlib(tree)
        print(
            f"{files} stdlib files from {sysconfig.get_paths()['stdlib']}, "
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
        )
        keys = ("ca-cold", "em-cold", "ca-noop", "em-noop")
        times: dict[str, list[float]] = {k: [] for k in keys}
        cpus: dict[str, list[float]] = {k: [] for k in keys}
        digests = {}
        tools = [("ca", compileall), ("em", ember)]
        for round_ in range(args.rounds):
            # Alternate who goes first, so that a slow spell does not always hit one.
            for name, cmd in tools if round_ % 2 == 0 else tools[::-1]:
                remove_caches(tree)
                for kind in ("cold", "noop"):
                    wall, cpu = timed([*cmd, str(tree)], env)
                    times[f"{name}-{kind}"].append(wall)
                    cpus[f"{name}-{kind}"].append(cpu)
                    if kind == "cold":
                        digests[name] = digest(tree)
        same = digests["ca"] == digests["em"]
        print(f"pycs byte-identical to compileall's: {'yes' if same else 'NO'}")
        print(f"{'':10}{'best':>8}{'median':>8}{'cpu best':>10}")
        for key in keys:
            values = times[key]
            print(
                f"{key:10}{min(values):8.3f}{statistics.median(values):8.3f}{min(cpus[key]):10.3f}"
            )
        for kind in ("cold", "noop"):
            ca, em = times[f"ca-{kind}"], times[f"em-{kind}"]
            print(
                f"ratio ember/compileall {kind:4}: best {min(em) / min(ca):.2f}x, "
                f"median {statistics.median(em) / statistics.median(ca):.2f}x, "
                f"cpu {min(cpus[f'em-{kind}']) / min(cpus[f'ca-{kind}']):.2f}x"
            )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
