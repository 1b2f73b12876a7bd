"""The differential fuzzer (``tests/native/_fuzz``) in CI: a fixed seed, a small count,
every program in a worker subprocess; plus checks that the harness itself can fail."""

from __future__ import annotations

import itertools
import math
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


def test_the_scalar_loop_of_a_tie_is_numpys_below_a_vector() -> None:
    # Four float32 elements: NumPy's scalar loop on every CPU (a vector is at least
    # four lanes), so reference.Ties' model of it must give NumPy's answer exactly.
    from _fuzz.reference import _scalar_loop

    for values in itertools.product([0.0, -0.0, 1.0, math.nan], repeat=4):
        base = np.array(values, np.float32).reshape(2, 2)
        for a in (base, np.asfortranarray(base), base.copy().T, base.ravel()[::-1]):
            for op in ("min", "max"):
                want = np.float64(getattr(a, op)())
                assert np.float64(_scalar_loop(a, op)).tobytes() == want.tobytes() or (
                    np.isnan(want) and math.isnan(_scalar_loop(a, op))
                ), (a, op)


def test_a_cpu_dependent_zero_is_either_zero_and_nothing_else_is() -> None:
    from _fuzz import oracle
    from _fuzz.gen import Program

    # (float(): a reduction is NumPy's np.float64; the reference computes with floats.)
    source = "import math\n\ndef f(q0):\n    return math.copysign(1.0, q0.min()) + float(q0.max())\n"
    # NumPy's pick is the CPU's: on AVX-512, -0.0 for both, where its scalar loop (and
    # ember) gives 0.0.
    mixed = ("array", "float64", (9,), "C", [0.0, 0.0, -0.0] + [0.0] * 6)
    calls = [(mixed,), (("array", "float64", (40,), "strided", [-0.0, 0.0, 1.5] * 13 + [0.0]),)]
    assert oracle.check(Program(0, 0, source, calls, ["f"])) == []


def test_only_a_tie_of_two_zeros_is_given_the_other_answer() -> None:
    from _fuzz.reference import Ties, _min_max, _scalar_loop

    mixed = np.array([0.0, 0.0, -0.0] + [0.0] * 6)
    for a in (mixed, np.array([0.0, -0.0, math.nan] * 20), np.array([-0.0, 2.0] * 20)):
        for op in ("min", "max"):
            numpy_says = float(getattr(a, op)())
            Ties.seen = False
            assert same(_min_max(a, op), numpy_says)
            tie = bool(numpy_says == 0.0 and not same(_scalar_loop(a, op), numpy_says))
            assert Ties.seen is tie  # NaN and a non-zero result are never a tie
            Ties.scalar = True
            try:
                assert same(_min_max(a, op), _scalar_loop(a, op) if tie else numpy_says)
            finally:
                Ties.scalar = False


def test_a_float_stored_into_a_uint64_array_converts_as_int64() -> None:
    # Compiled code stores int(x), an int64: 2**63 or more raises OverflowError where
    # NumPy stores it (fuzz seed 1, program 382: `q0[13] *= 1.5` on a uint64 array).
    from _fuzz import oracle
    from _fuzz.gen import Program

    # An index out of bounds is reported before the value's conversion, NaN or not.
    source = "def f(q0, x, k):\n    q0[k] = x\n    q0[0] *= 1.5\n    return 0\n"
    array = ("array", "uint64", (2,), "C", [8967113820450798995, 0])
    calls = [(array, 2.0**63, 1), (array, 1e19, 1), (array, 2.0**62, 1), (array, math.nan, 5),
             (array, math.inf, -3), (array, math.nan, 1)]
    assert oracle.check(Program(0, 2, source, calls, ["f"])) == []
