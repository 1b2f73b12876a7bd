"""Loop versioning from range proofs (codegen/versioning.py, analysis/ranges.py):
both copies of each transformed loop against CPython, at the int64 edges and around
each entry test's threshold, so that the check-free copy gives the same answers and the
checked copy the same exceptions (OverflowError, IndexError with the same index, after
the same side effects) as before.

Patterns pinned here (counted in the note): i*i under a runtime bound, a term of an
accumulator bounded by ``% c``, an accumulator with terms of both signs, a loop-carried
value kept in range by ``% c``, and affine indices (``a[i]``, ``a[i + 1]``,
``a[2*i - 1]``, a negative index, a 2-d access with an invariant row).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))  # the harness, whatever the import mode

from _harness import INT64_MAX, check, run, same  # noqa: E402

from ember.native.runtime.dispatch import jit  # noqa: E402

FEW = settings(max_examples=40, deadline=None)
SQRT_MAX = 3037000499  # floor(sqrt(INT64_MAX)): the largest i with i*i in int64


@jit(cache=False)
def squares_mod(a, b):
    s = 0
    for i in range(a, b):
        s += i * i % 7
    return s


@jit(cache=False)
def squares(a, b):
    s = 0
    for i in range(a, b):
        s += i * i
    return s


def _product_leaves(a: int, b: int) -> bool:
    return any(i * i > INT64_MAX for i in range(a, b))


@FEW
@given(st.integers(SQRT_MAX - 12, SQRT_MAX + 12), st.integers(0, 8), st.booleans())
@example(SQRT_MAX - 4, 5, False)  # the last i is the largest square that fits
@example(SQRT_MAX - 4, 6, True)
def test_square_under_a_runtime_bound_both_copies(a: int, width: int, negate: bool) -> None:
    # The fast copy needs |a|, |b| <= M (the entry test); past it the checked copy
    # raises OverflowError at i*i exactly where immediate checks would.
    lo, hi = (-(a + width), -a) if negate else (a, a + width)
    check(squares_mod, lo, hi, overflows=_product_leaves(lo, hi))
    check(squares, lo, hi, overflows=_product_leaves(lo, hi))


def test_square_loop_small_and_large_counts() -> None:
    for n in (0, 1, 2, 7, 1000, 100_000):
        check(squares_mod, 0, n)
        check(squares_mod, -n, n)
    check(squares, 2**31, 2**31 + 3)


@jit(cache=False)
def signed_terms(s0, n):
    s = s0
    for i in range(n):
        s += i % 5 - 2
    return s


@FEW
@given(st.integers(2**62 - 6, 2**62 + 6) | st.integers(INT64_MAX - 6, INT64_MAX),
       st.integers(0, 12), st.booleans())
@example(2**62 - 1, 10, False)  # the largest start the entry test allows
@example(INT64_MAX - 2, 5, False)  # checked copy: 0 - 2 + ... wraps? no: +2 at i=4
def test_accumulator_with_terms_of_both_signs(s0: int, n: int, negate: bool) -> None:
    # |s0| < 2**62 and count * 2 <= 2**62: no check in the loop; otherwise the checked
    # copy raises where the running sum first leaves int64.
    start = -s0 - 1 if negate else s0
    sums = [start + sum(i % 5 - 2 for i in range(k + 1)) for k in range(n)]
    check(signed_terms, start, n, overflows=any(not -(2**63) <= v <= INT64_MAX for v in sums))


@jit(cache=False)
def carried(t0, n):
    t = t0
    for i in range(n):
        t = (t + i * i) % 1000003
    return t


@FEW
@given(st.integers(-(2**63), INT64_MAX), st.integers(0, 50))
@example(INT64_MAX, 3)
@example(INT64_MAX - 1, 3)
@example(-(2**63), 2)
def test_carried_value_kept_in_range_by_modulo(t0: int, n: int) -> None:
    # t's start is part of the entry test (a fixpoint in [0, 1000002] after one step).
    check(carried, t0, n)


@jit(cache=False)
def shifted(a, out, lo, hi):
    for i in range(lo, hi):
        out[i] = a[i + 1] + a[2 * i - 1]
    return out


@jit(cache=False)
def backwards(a, out, lo, hi):
    for i in range(lo, hi):
        out[i] = a[-i - 1] * 2
    return out


def _arrays(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(size, dtype=np.int64) * 3 + 1, np.zeros(size, dtype=np.int64)


def _same_call(f: object, size: int, lo: int, hi: int) -> None:
    """Same value or exception (and message: the same index) and the same ``out``."""
    a1, o1 = _arrays(size)
    a2, o2 = _arrays(size)
    want = run(f.py_func, (a1, o1, lo, hi))  # type: ignore[attr-defined]
    got = run(f, (a2, o2, lo, hi))
    assert want[1] is got[1], (want, got)
    if want[1] is None:
        assert same(got[0], want[0])
    else:
        assert want[0] == got[0], (want[0], got[0])  # IndexError naming the same index
    assert np.array_equal(o1, o2), (o1, o2)  # the side effects of earlier iterations


@FEW
@given(st.integers(0, 12), st.integers(-3, 12), st.integers(0, 14))
@example(10, 1, 4)  # in bounds: the hoisted check holds
@example(10, 1, 5)  # a[2*4 - 1 + ...]: 2*i - 1 = 9 ok, i + 1 = 5 ok
@example(10, 1, 6)  # i = 5: a[11] raises after out[1..4] were written
@example(10, 0, 3)  # i = 0: a[-1] wraps, as Python does
def test_affine_indices_hoisted_raise_at_the_same_iteration(size: int, lo: int, hi: int) -> None:
    _same_call(shifted, size, lo, hi)
    _same_call(backwards, size, lo, hi)


@jit(cache=False)
def row_sums(x, out):
    n = x.shape[0]
    for i in range(n):
        t = 0.0
        for k in range(3):
            t += x[i, k]
        out[i] = t
    return out


def test_two_dimensional_access_with_an_invariant_row() -> None:
    for cols in (3, 4, 2):  # 2 columns: x[i, 2] raises IndexError (the checked copy)
        x = np.arange(5 * cols, dtype=np.float64).reshape(5, cols)
        want = run(row_sums.py_func, (x, np.zeros(5)))
        got = run(row_sums, (x, np.zeros(5)))
        assert want[1] is got[1] and (want[1] is not None or same(got[0], want[0]))
