"""Portable by default: an AOT extension holds x86-64-v2 code for every function and
newer versions of the looping ones, picks the best one the CPU runs at import (CPUID in
the extension, agreeing with LLVM's own host detection), gives the same results with
every version, and ``--cpu host`` builds one version for this machine."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ember.native.aot.targets import plan_for
from ember.native.backend import engine

pytestmark = pytest.mark.skipif(engine.linker(fallback=True) is None, reason="no linker (no cc, no ziglang)")
X86 = engine.host().triple.startswith("x86_64")

KERNEL = textwrap.dedent('''\
    import ember


    @ember.jit
    def dot(a, b):
        s = 0.0
        for i in range(a.shape[0]):
            s += a[i] * b[i]
        return s


    @ember.jit
    def axpy(x: float, y: float) -> float:
        return 2.0 * x + y
''')
PROBE = ("import json, sys; sys.path.insert(0, '.'); import numpy as np, v\n"
         "a = np.linspace(0.0, 1.0, 1001)\n"
         "print(json.dumps([v.__ember_aot__['cpu'], v.dot(a, a[::-1].copy()), "
         "v.axpy(1.5, 0.25)]))")


def _ember_aot(cwd: Path, *extra: str) -> Path:
    proc = subprocess.run(
        [sys.executable, "-m", "ember", "aot", "v.py", "-o", "out",
         "--signature", "dot:float64[::1],float64[::1]", *extra],
        cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "EMBER_CACHE": "0"})
    assert proc.returncode == 0, proc.stderr
    return cwd / "out"


def _probe(out: Path, cap: str | None = None) -> list:
    env = {k: v for k, v in os.environ.items() if k != "EMBER_AOT_CPU"}
    if cap is not None:
        env["EMBER_AOT_CPU"] = cap
    proc = subprocess.run([sys.executable, "-I", "-c", PROBE], cwd=out, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _expected_level() -> str:
    """The x86-64 level LLVM's host detection gives (what the CPUID check must agree
    with)."""
    f = engine.host().features
    v3 = all(f"+{x}" in f for x in ("avx2", "fma", "bmi", "bmi2", "lzcnt", "movbe", "f16c"))
    v4 = v3 and all(f"+avx512{x}" in f for x in ("f", "dq", "cd", "bw", "vl"))
    return "x86-64-v4" if v4 else "x86-64-v3" if v3 else "x86-64-v2"


def test_plans() -> None:
    assert plan_for("portable", "aarch64-unknown-linux-gnu").levels == (("generic", 0),)
    assert plan_for("znver4", "x86_64-pc-linux-gnu").levels == (("znver4", 0),)
    assert plan_for("portable", "x86_64-pc-linux-gnu").multiversioned


@pytest.mark.skipif(not X86, reason="x86-64 levels")
def test_portable_build_chooses_by_cpuid_and_every_version_agrees(tmp_path: Path) -> None:
    (tmp_path / "v.py").write_text(KERNEL)
    out = _ember_aot(tmp_path)
    data = next(out.iterdir()).read_bytes()
    # The loop has a version per level (those that differ); the scalar function one.
    assert set(re.findall(rb"PyInit__ember_dot_\w+__v(\d)", data)) >= {b"2", b"3"}
    assert set(re.findall(rb"PyInit__ember_axpy_\w+__v(\d)", data)) == {b"2"}
    best = _probe(out)
    assert best[0] == _expected_level()
    base = _probe(out, "x86-64-v2")
    assert base[0] == "x86-64-v2"
    assert base[1:] == pytest.approx(best[1:], rel=1e-12)  # FMA may round differently
    import numpy as np

    a = np.linspace(0.0, 1.0, 1001)
    assert best[1] == pytest.approx(float(a @ a[::-1]), rel=1e-12) and best[2] == 3.25
    assert _probe(out, "nonsense")[0] == best[0]  # an unknown cap is no cap


def test_cpu_host_builds_one_version(tmp_path: Path) -> None:
    (tmp_path / "v.py").write_text(KERNEL)
    out = _ember_aot(tmp_path, "--cpu", "host")
    data = next(out.iterdir()).read_bytes()
    assert b"__v3" not in data
    got = _probe(out)
    assert got[0] == engine.host().cpu and got[2] == 3.25
