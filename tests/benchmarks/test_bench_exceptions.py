"""benchmarks/bench_exceptions.py runs end to end (tiny inputs, no Numba, no timing
asserts): every kernel's compiled result equals CPython's, and the table prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numpy")

ROOT = Path(__file__).resolve().parents[2]


def test_bench_exceptions_prints_a_table(tmp_path: Path) -> None:
    env = {**os.environ, "EMBER_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_exceptions.py"), "--n", "2000",
         "--repeat", "1", "--no-numba", "--src", str(ROOT / "src")],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    for name in ("validate", "safe_ratios", "guarded_sum", "lookup_or_default",
                 "raise to Python"):
        assert any(line.startswith(name) for line in done.stdout.splitlines()), done.stdout
