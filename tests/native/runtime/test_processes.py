"""``@jit`` functions in worker processes: ``multiprocessing`` with each start method
and ``concurrent.futures.ProcessPoolExecutor`` give the serial results, for functions
of an importable module (by reference) and of the main script (by value); N processes
missing the same entry at once compile it once, and a second start compiles nothing.

Each scenario is one real program run in a fresh interpreter, as a user runs it:
``__main__`` has to be a script for spawn and forkserver to mean anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ember.native.backend.engine import find_cc

SRC = Path(__file__).resolve().parents[3] / "src"

KERNELS = """\
import math

import ember


@ember.jit
def norm(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return math.sqrt(s)


@ember.jit("float64(float64, int64)", fastmath=True)
def poly(x, n):
    s = 0.0
    for k in range(n):
        s = s * x + k
    return s


@ember.jit
def stats_of(name):
    return 0
"""

POOLS = """\
import json
import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import ember
import kernels

OFFSET = 0.5


@ember.jit
def shifted(a, k):
    s = OFFSET
    for i in range(a.shape[0]):
        s += a[i] * k
    return s


if __name__ == "__main__":
    arrays = [np.arange(n, dtype=np.float64) for n in (3, 10, 100)]
    serial = {
        "norm": [kernels.norm(a) for a in arrays],
        "poly": [kernels.poly(1.5, n) for n in (1, 5, 9)],
        "shifted": [shifted(a, 3) for a in arrays],
    }
    out = {"serial": serial}
    for method in sys.argv[1:]:
        ctx = mp.get_context(method)
        with ctx.Pool(2) as pool:
            out[method] = {
                "norm": pool.map(kernels.norm, arrays),
                "poly": pool.starmap(kernels.poly, [(1.5, n) for n in (1, 5, 9)]),
                "shifted": pool.starmap(shifted, [(a, 3) for a in arrays]),
            }
    with ProcessPoolExecutor(2) as ex:
        out["executor"] = {
            "norm": list(ex.map(kernels.norm, arrays)),
            "poly": list(ex.map(kernels.poly, [1.5] * 3, (1, 5, 9))),
            "shifted": list(ex.map(shifted, arrays, [3] * 3)),
        }
    print(json.dumps(out))
"""

COLD = """\
import json
import multiprocessing as mp
import sys

import numpy as np


def work(barrier, queue):
    import kernels

    barrier.wait()  # all four miss the cache at the same moment
    a = np.arange(1000, dtype=np.float64)
    queue.put((kernels.norm(a), kernels.norm.stats))


if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    n = int(sys.argv[1])
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=work, args=(barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=120)
    print(json.dumps({"results": [r for r, _ in results], "stats": [s for _, s in results],
                      "codes": [p.exitcode for p in procs]}))
"""


def _run(folder: Path, script: str, *argv: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    env.update(PYTHONPATH=os.pathsep.join([str(SRC), str(folder)]),
               EMBER_CACHE_DIR=str(folder / "cache"), EMBER_DEBUG="cache")  # fmt: skip
    done = subprocess.run([sys.executable, str(folder / script), *argv], capture_output=True,
                          text=True, env=env, cwd=folder, timeout=240, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "kernels.py").write_text(KERNELS)
    (tmp_path / "pools.py").write_text(POOLS)
    (tmp_path / "cold.py").write_text(COLD)
    return tmp_path


def test_every_start_method_and_the_executor_give_the_serial_results(app: Path) -> None:
    methods = [m for m in ("fork", "spawn", "forkserver") if m in _start_methods()]
    out, err = _run(app, "pools.py", *methods)
    serial = out.pop("serial")
    assert set(out) == {*methods, "executor"}
    for how, results in out.items():
        assert results == serial, how
    # The parent compiled each kernel; every worker of every pool loaded its entry (a
    # fork while the entry was being stored once left the workers waiting on its lock).
    compiles = [line.split()[3] for line in err.splitlines() if " compile " in line]
    assert sorted(compiles) == ["norm(array(float64,", "poly(float64,", "shifted(array(float64,"]
    assert " lock taken over " not in err


@pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")
def test_four_cold_processes_compile_once_and_a_second_start_compiles_nothing(
        app: Path) -> None:
    first, err = _run(app, "cold.py", "4")
    expected = sum(float(i * i) for i in range(1000)) ** 0.5
    assert first["results"] == [expected] * 4 and first["codes"] == [0] * 4
    # One process compiled; the other three waited on its lock and loaded its entry.
    assert sum(s["compiled"] for s in first["stats"]) == 1, err
    assert sum(s["loaded"] for s in first["stats"]) == 3
    assert sum(" compile norm(" in line for line in err.splitlines()) == 1
    names = os.listdir(next((app / "cache" / "native").iterdir()))
    assert [n for n in names if ".norm." in n] == [n for n in names if n.startswith("kernels.norm.")]
    assert len([n for n in names if ".norm." in n]) == 1
    assert not [n for n in names if n.endswith(".lock")]  # each holder removed its own
    second, err = _run(app, "cold.py", "4")
    assert second["results"] == [expected] * 4
    assert [s["compiled"] for s in second["stats"]] == [0] * 4
    assert [s["waited"] for s in second["stats"]] == [0] * 4
    assert " compile " not in err


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()
