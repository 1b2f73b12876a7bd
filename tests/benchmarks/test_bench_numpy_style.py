"""The NumPy-style benchmark and coverage scripts run end to end (tiny inputs, no Numba,
no timing asserts): they finish and print their tables, whatever ember compiles today."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numpy")

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"


def run(script: str, *args: str, tmp_path: Path) -> str:
    env = {**os.environ, "EMBER_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", "--no-numba",
         "--src", str(ROOT / "src"), *args],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bench_numpy_style_prints_a_table(tmp_path: Path) -> None:
    out = run("bench_numpy_style.py", "--scale", "0.002", "--rounds", "1", tmp_path=tmp_path)
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("kernel"))
    assert "numpy best" in lines[header] and "ember best" in lines[header]
    assert "numba" not in lines[header].replace("ember/numba", "")
    for name in ("smooth_1d", "fused", "sieve", "cg_poisson"):
        row = next(line for line in lines if line.startswith(name))
        assert row.split()[1] != "-"  # NumPy itself always runs
    assert any(line.startswith("geomean") for line in lines)
    assert "ember compiles and matches NumPy on" in out


def test_numpy_coverage_prints_a_summary(tmp_path: Path) -> None:
    out = run("numpy_coverage.py", tmp_path=tmp_path)
    assert out.splitlines()[1].split() == ["kernel", "kind", "numba", "ember"]
    rows = [line for line in out.splitlines() if line.startswith(("forward_diff", "clamp_u8"))]
    assert len(rows) == 2
    assert " of 45 compile under ember" in out
    assert "Numba:" not in out.split("compile under ember")[1].splitlines()[0]
