"""The differential fuzzer (``tests/native/_fuzz``) in CI: a fixed seed, a small count,
every program in a worker subprocess; plus checks that the harness itself can fail."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _fuzz, any import mode

from _fuzz import run as fuzz_run  # noqa: E402
from _fuzz.gen import generate  # noqa: E402
from _fuzz.oracle import same  # noqa: E402

SEED, COUNT = 20261202, 80


def test_generated_programs_agree_with_cpython() -> None:
    findings, calls = fuzz_run.run(SEED, list(range(COUNT)), batch=40)
    assert calls > COUNT
    assert not findings, "\n\n".join(f.reproducer() for f in findings)


def test_generation_is_deterministic() -> None:
    assert generate(5, 7).source == generate(5, 7).source
    assert generate(5, 7).source != generate(5, 8).source


def test_comparison_tells_values_apart() -> None:
    assert not same(0.0, -0.0) and not same(1, 1.0) and not same(True, 1)
    assert same(float("nan"), -float("nan"))
    a = np.array([0.0, np.nan])
    assert same(a, a.copy()) and not same(a, np.array([-0.0, np.nan]))
    assert not same(a, a.astype(np.float32)) and not same(a, a[:1])


def test_a_crash_and_a_hang_are_attributed_to_their_program() -> None:
    findings, _ = fuzz_run.run(1, [0, 1, 2], batch=3, inject="crash:1")
    assert [(f.index, f.kind.split()[0]) for f in findings] == [(1, "crash")]
    findings, _ = fuzz_run.run(1, [0, 1], batch=2, timeout=3, inject="hang:0")
    assert [(f.index, f.kind.split()[0]) for f in findings] == [(0, "hang")]
