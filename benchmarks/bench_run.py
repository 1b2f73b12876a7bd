"""Start-up of ``ember run`` against ``python``, in one run, best and median of N.

    $ .venv/bin/python benchmarks/bench_run.py [--runs 30]

Two scripts, generated in a temporary folder:

- ``big.py``, 5,000 lines of functions and classes: ``python big.py`` compiles it on
  every run; warm ``ember run big.py`` loads its pyc. Goal: <= 0.4x.
- ``hello.py``: what ember itself adds to start-up. Goal: <= +10 ms over python.

Each is started through the console script (pip's wrapper: ``import re`` +
``ember.cli``; the installed ``ember`` if it is one, else an identical wrapper written
here), through the launcher ``ember run --install-launcher`` writes, and through
``python -m ember run``. Every command runs with the same environment: ember on
PYTHONPATH, bytecode writing on, and a private PYTHONPYCACHEPREFIX so that all caches
(stdlib, ember, the scripts) are warm after the first round and nothing is written
into the checkout. Commands are interleaved round by round so drift hits them equally.
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

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

PIP_WRAPPER = """\
#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from ember.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def big_script(lines: int = 5000) -> str:
    """A deterministic script of ``lines`` lines: functions, classes, constants; it
    runs a little of itself so that the run is not only definitions."""
    out = ['"""A generated 5,000-line script."""', "import math", ""]
    i = 0
    while len(out) + 20 <= lines - 6:
        out += [
            f"def compute_{i}(n, scale={i % 7 + 1}):",
            f'    """Function number {i}."""',
            "    total = 0",
            "    for k in range(n):",
            "        if k % 3 == 0:",
            f"            total += k * scale + {i}",
            "        elif k % 3 == 1:",
            "            total -= math.isqrt(k + scale)",
            "        else:",
            f"            total ^= (k << 2) | {i % 13}",
            f"    label = 'result-{i}-' + str(total)",
            "    return total, label",
            "",
            f"class Record{i}:",
            "    __slots__ = ('a', 'b')",
            "    def __init__(self, a, b):",
            "        self.a, self.b = a, b",
            "    def combine(self):",
            f"        return {{'a': self.a, 'b': self.b, 'k': {i}}}",
            "",
        ]
        i += 1
    tail = [
        'if __name__ == "__main__":',
        f"    s = sum(globals()[f'compute_{{j}}'](20)[0] for j in range({i}))",
        f"    r = [Record{i - 1}(j, j).combine() for j in range(10)]",
        '    print("big", s, len(r))',
    ]
    out += [""] * (lines - len(out) - len(tail))  # pad to exactly `lines`
    return "\n".join(out + tail) + "\n"


def clean_env(prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    return env


def console_script(tmp: Path) -> tuple[list[str], str]:
    installed = shutil.which("ember", path=str(Path(sys.executable).parent))
    if installed and "from ember.cli import main" in Path(installed).read_text(errors="ignore"):
        return [installed], f"console script ({installed})"
    wrapper = tmp / "bin" / "ember"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(PIP_WRAPPER.format(python=sys.executable))
    wrapper.chmod(0o755)
    return [str(wrapper)], "console script (pip's wrapper, written here)"


def time_once(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr.decode()}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=30, help="timed runs per command (default 30)")
    opts = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="ember-bench-run-") as name:
        tmp = Path(name)
        (tmp / "big.py").write_text(big_script())
        (tmp / "hello.py").write_text('print("hello")\n')
        env = clean_env(tmp / "pycache-prefix")

        sys.path.insert(0, str(SRC))
        from ember.pyc.run import install_launcher

        launcher = install_launcher(tmp / "bin" / "ember-run")
        console, console_label = console_script(tmp)
        py = sys.executable
        entries = {
            "python": [py],
            "ember run, console script": [*console, "run"],
            "ember run, launcher": [launcher],
            "python -m ember run": [py, "-m", "ember", "run"],
        }
        scripts = ["hello.py", "big.py"]
        cmds = {(s, e): [*prefix, s] for s in scripts for e, prefix in entries.items()}

        for cmd in cmds.values():  # warm every cache: stdlib, ember, the scripts' pycs
            time_once(cmd, env, tmp)
            time_once(cmd, env, tmp)
        times: dict[tuple[str, str], list[float]] = {k: [] for k in cmds}
        for _ in range(opts.runs):
            for key, cmd in cmds.items():
                times[key].append(time_once(cmd, env, tmp))

    print(f"Python {sys.version.split()[0]} ({py}); {opts.runs} runs each, interleaved;")
    print(f"console script: {console_label}")
    print(f"{'script':<10} {'command':<28} {'min ms':>8} {'median':>8} {'vs python (median)':>20}")
    results: dict[tuple[str, str], tuple[float, float]] = {}
    for script in scripts:
        base = statistics.median(times[(script, "python")])
        for entry in entries:
            t = times[(script, entry)]
            best, med = min(t) * 1e3, statistics.median(t) * 1e3
            results[(script, entry)] = (best, med)
            if entry == "python":
                rel = ""
            elif script == "big.py":
                rel = f"{med / (base * 1e3):.2f}x"
            else:
                rel = f"{med - base * 1e3:+.1f} ms"
            print(f"{script:<10} {entry:<28} {best:8.1f} {med:8.1f} {rel:>20}")

    print("\ngoals (medians; min in brackets):")
    py_big, py_hello = results[("big.py", "python")], results[("hello.py", "python")]
    meets_both: list[str] = []
    for entry in ("ember run, console script", "ember run, launcher"):
        big, hello = results[("big.py", entry)], results[("hello.py", entry)]
        ratio, ratio_min = big[1] / py_big[1], big[0] / py_big[0]
        added, added_min = hello[1] - py_hello[1], hello[0] - py_hello[0]
        all_met = True
        for goal, met, text in (
            ("big.py <= 0.4x python", ratio <= 0.4, f"{ratio:.2f}x [{ratio_min:.2f}x]"),
            ("hello.py <= +10 ms", added <= 10, f"{added:+.1f} ms [{added_min:+.1f} ms]"),
        ):
            all_met &= met
            print(f"  {entry:<26} {goal:<22} {text:<22} {'met' if met else 'NOT MET'}")
        if all_met:
            meets_both.append(entry)
    # The issue accepts a documented faster way when the console script cannot make it.
    print(f"both goals met by: {', '.join(meets_both) or 'none'}")
    return 0 if meets_both else 1


if __name__ == "__main__":
    sys.exit(main())
