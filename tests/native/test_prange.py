"""``prange`` and ``@jit(parallel=True)`` (frontend/parallel.py, codegen/parallel.py,
codegen/pool.py): parallel loops agree with the serial loop (``f.py_func``) on every
size (0, 1, fewer than the threads, odd, many chunks), integer reductions exactly and
float ones in the documented chunk order, exceptions by iteration order; unsafe loops
are compile errors naming the variable."""

from __future__ import annotations

import math
import os
import sys
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from ember import jit, prange
from ember.diagnostics import EmberError
from ember.native.codegen.parallel import MAX_CHUNKS
from ember.native.runtime import threads

FEW = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture])  # set once per test
SIZES = st.one_of(st.sampled_from([0, 1, 2, 3, 7, 255, 256, 257, 1001]), st.integers(0, 3000))


@pytest.fixture(params=[1, 2, 3], ids=lambda n: f"threads={n}")
def num_threads(request: pytest.FixtureRequest) -> object:
    """Run with 1 (the serial path), 2 and 3 threads (more threads than cores is fine)."""
    before = ember.get_num_threads()
    ember.set_num_threads(request.param)
    yield request.param
    ember.set_num_threads(before)


def chunked(values: list[float], x0: float, op: str = "+") -> float:
    """The documented float order: ``min(n, MAX_CHUNKS)`` contiguous chunks (the first
    ``n % chunks`` one longer), each summed from -0.0, added to ``x0`` in order."""
    n = len(values)
    k = min(n, MAX_CHUNKS)
    x = x0
    start = 0
    for c in range(k):
        size = n // k + (1 if c < n % k else 0)
        p = -0.0 if op == "+" else 1.0
        for v in values[start:start + size]:
            p = p + v if op == "+" else p * v
        x = x + p if op == "+" else x * p
        start += size
    return x


@jit(parallel=True)
def scale(a, out, k):
    for i in prange(a.shape[0]):
        out[i] = a[i] * k + 1.0
    return 0


@jit(parallel=True)
def int_reductions(a):
    s = 0
    d = 100
    p = 1
    lo = 10**9
    hi = -(10**9)
    for i in prange(len(a)):
        s += a[i]
        d -= a[i] * 2
        p *= 1 + (a[i] % 2)
        lo = min(lo, a[i])
        hi = max(a[i], hi)
    return s, d, p % 1000003, lo, hi


@jit(parallel=True)
def float_sum(a, x0):
    s = x0
    for i in prange(a.shape[0]):
        s += a[i]
    return s


@jit(parallel=True)
def float_minmax(a):
    lo = math.inf
    hi = -math.inf
    for i in prange(a.shape[0]):
        lo = min(lo, a[i])
        hi = max(hi, a[i])
    return lo, hi


@jit(parallel=True)
def stepped(start, stop, step, out):
    total = 0
    for i in prange(start, stop, step):
        out[(i - start) // step] = i  # each iteration its own element
        total += i
    return total


@jit(parallel=True)
def divide(a, b, out):
    for i in prange(a.shape[0]):
        out[i] = int(a[i]) // int(b[i])  # Python ints: ZeroDivisionError, not NumPy's 0
    return 0


@jit(parallel=True)
def gather(a, idx):
    s = 0.0
    for i in prange(idx.shape[0]):
        s += a[idx[i]]
    return s


@jit(parallel=True)
def square_sum(a):
    s = 0
    for i in prange(a.shape[0]):
        s += a[i] * a[i]
    return s


@jit(parallel=True)
def stencil(a, out):
    n, m = a.shape
    for i in prange(1, n - 1):
        for j in range(1, m - 1):
            out[i, j] = 0.25 * (a[i - 1, j] + a[i + 1, j] + a[i, j - 1] + a[i, j + 1])
    return 0


@jit(parallel=True)
def nested(n, m):
    s = 0
    for i in prange(n):
        for j in prange(m):  # inside a parallel body: serial, as in Numba
            s += i * j
    return s


@jit(parallel=True)
def private_temp(a, out):
    for i in prange(a.shape[0]):
        t = a[i] * 2.0
        if t > 1.0:
            t = 1.0
        out[i] = t
    return 0


@jit
def serial_prange(a):
    s = 0.0
    for i in prange(a.shape[0]):
        s += a[i]
    return s


def test_prange_as_python_is_range() -> None:
    assert list(prange(5)) == list(range(5))
    assert prange(2, 9, 3) == range(2, 9, 3)
    assert ember.prange is prange


@FEW
@given(n=SIZES)
def test_elementwise_agrees_with_the_serial_loop(num_threads: int, n: int) -> None:
    a = np.linspace(-3.0, 5.0, n)
    got, want = np.empty(n), np.empty(n)
    assert scale(a, got, 2.5) == scale.py_func(a, want, 2.5)
    assert np.array_equal(got, want)


@FEW
@given(values=st.lists(st.integers(-1000, 1000), max_size=2000))
def test_int_reductions_equal_the_serial_loop(num_threads: int, values: list[int]) -> None:
    a = np.array(values, dtype=np.int64)
    assert int_reductions(a) == int_reductions.py_func(a)


@FEW
@given(values=st.lists(st.floats(-1e6, 1e6), max_size=1500), x0=st.floats(-10, 10))
def test_float_sum_follows_the_documented_chunk_order(num_threads: int, values: list[float],
                                                      x0: float) -> None:
    a = np.array(values, dtype=np.float64)
    got = float_sum(a, x0)
    assert got == chunked(values, x0) or (math.isnan(got) and math.isnan(chunked(values, x0)))
    assert math.isclose(got, float_sum.py_func(a, x0), rel_tol=1e-9, abs_tol=1e-3)


def test_float_sum_is_the_same_on_any_number_of_threads() -> None:
    a = np.random.default_rng(7).standard_normal(100_003)
    before = ember.get_num_threads()
    try:
        results = set()
        for n in (1, 2, 3, 4):
            ember.set_num_threads(n)
            results.update(float_sum(a, 0.0) for _ in range(3))
    finally:
        ember.set_num_threads(before)
    assert len(results) == 1
    assert results == {chunked(a.tolist(), 0.0)}


def test_signed_zero_survives_the_identity() -> None:
    assert math.copysign(1.0, float_sum(np.array([-0.0, -0.0]), -0.0)) == -1.0


@FEW
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=600))
def test_float_min_max_are_exact(num_threads: int, values: list[float]) -> None:
    a = np.array(values, dtype=np.float64)
    got, want = float_minmax(a), float_minmax.py_func(a)
    assert [math.copysign(1, g) for g in got] == [math.copysign(1, w) for w in want] or got == want
    assert all(g == w or (math.isnan(g) and math.isnan(w)) for g, w in zip(got, want, strict=True))


@FEW
@given(start=st.integers(-500, 500), stop=st.integers(-500, 500),
       step=st.sampled_from([1, 2, 3, -1, -2, -7, 5]))
def test_any_range_agrees(num_threads: int, start: int, stop: int, step: int) -> None:
    size = len(range(start, stop, step))
    got, want = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
    assert stepped(start, stop, step, got) == stepped.py_func(start, stop, step, want)
    assert np.array_equal(got, want)


def test_a_zero_step_raises_value_error() -> None:
    with pytest.raises(ValueError, match="must not be zero"):
        stepped(0, 10, 0, np.zeros(10, dtype=np.int64))


@FEW
@given(n=SIZES, data=st.data())
def test_exceptions_propagate_first_by_iteration_order(num_threads: int, n: int,
                                                       data: st.DataObject) -> None:
    a = np.arange(n, dtype=np.int64)
    b = np.ones(n, dtype=np.int64)
    zeros = data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=3)) if n else []
    for z in zeros:
        b[z] = 0
    if zeros:
        with pytest.raises(ZeroDivisionError):
            divide.py_func(a, b, np.zeros(n, dtype=np.int64))
        with pytest.raises(ZeroDivisionError):
            divide(a, b, np.zeros(n, dtype=np.int64))
    else:
        out = np.zeros(n, dtype=np.int64)
        divide(a, b, out)
        assert np.array_equal(out, a)


def test_the_earliest_iteration_decides_which_exception() -> None:
    a = np.arange(4000.0)
    for bad_index, zero_at, first in ((100, 3000, IndexError), (3500, 10, ZeroDivisionError)):
        idx = np.arange(4000, dtype=np.int64)
        idx[bad_index] = 10**6
        den = np.ones(4000, dtype=np.int64)
        den[zero_at] = 0

        @jit(parallel=True)
        def both(a, idx, den):
            s = 0.0
            for i in prange(idx.shape[0]):
                s += a[idx[i]] + 1 // int(den[i])
            return s

        for _ in range(3):
            with pytest.raises(first):
                both(a, idx, den)
        with pytest.raises(first):
            both.py_func(a, idx, den)


def test_index_error_and_traceback_name_the_body_line() -> None:
    a = np.arange(10.0)
    with pytest.raises(IndexError) as info:
        gather(a, np.array([1, 2, 30, 4], dtype=np.int64))
    lines = [e.lineno for e in info.traceback]
    assert gather.py_func.__code__.co_firstlineno + 3 in lines  # the `s += a[idx[i]]` line
    assert gather(a, np.array([1, 2, 3], dtype=np.int64)) == 6.0


def test_overflow_in_a_reduction_raises() -> None:
    with pytest.raises(OverflowError):
        square_sum(np.full(64, 2**31 + 7, dtype=np.int64) * 2**10)
    assert square_sum(np.arange(10**5, dtype=np.int64)) == square_sum.py_func(
        np.arange(10**5, dtype=np.int64))


@FEW
@given(n=st.integers(0, 40), m=st.integers(0, 40))
def test_stencil_and_nested_loops_agree(num_threads: int, n: int, m: int) -> None:
    a = np.random.default_rng(n * 41 + m).standard_normal((n, m))
    got, want = np.zeros((n, m)), np.zeros((n, m))
    stencil(a, got)
    stencil.py_func(a, want)
    assert np.array_equal(got, want)
    assert nested(n, m) == nested.py_func(n, m)


def test_private_temporaries_are_per_iteration(num_threads: int) -> None:
    a = np.linspace(0, 1, 999)
    got, want = np.zeros(999), np.zeros(999)
    private_temp(a, got)
    private_temp.py_func(a, want)
    assert np.array_equal(got, want)


def test_prange_without_parallel_is_a_serial_loop() -> None:
    a = np.random.default_rng(3).standard_normal(5000)
    assert serial_prange(a) == serial_prange.py_func(a)  # the serial order, exactly


def test_concurrent_calls_from_python_threads() -> None:
    # The pool runs one loop at a time; a loop started meanwhile runs on its own thread.
    a = np.arange(200_000, dtype=np.int64)
    want = square_sum.py_func(a[:1000])
    results: list[int] = []

    def work() -> None:
        for _ in range(20):
            results.append(square_sum(a[:1000]))

    workers = [threading.Thread(target=work) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == [want] * 80


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_the_pool_works_in_a_forked_child() -> None:
    a = np.arange(5000, dtype=np.int64)
    want = square_sum(a)  # the parent's pool exists now
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.write(w, str(square_sum(a)).encode())
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 100)
    os.waitpid(pid, 0)
    assert int(got) == want


# ------------------------------------------------------------------ errors


def _compile_error(fn: object, *args: object) -> str:
    with pytest.raises(EmberError) as info:
        fn(*args)  # type: ignore[operator]
    return str(info.value)


def test_a_loop_carried_dependency_is_an_error_naming_the_variable() -> None:
    @jit(parallel=True)
    def carried(a):
        prev = 0.0
        for i in prange(a.shape[0]):
            a[i] = a[i] + prev
            prev = a[i]
        return 0

    text = _compile_error(carried, np.ones(4))
    assert "'prev'" in text and "loop-carried dependency" in text
    assert "a[i] = a[i] + prev" in text and "^" in text and "hint:" in text
    assert f"{__file__}:" in text


def test_a_conditional_assignment_read_later_is_carried() -> None:
    @jit(parallel=True)
    def maybe(a):
        t = 0.0
        for i in prange(a.shape[0]):
            if a[i] > 0:
                t = a[i]
            a[i] = t
        return 0

    assert "'t'" in _compile_error(maybe, np.ones(4))


def test_a_reduction_read_inside_the_loop_is_an_error() -> None:
    @jit(parallel=True)
    def peek(a, out):
        s = 0.0
        for i in prange(a.shape[0]):
            s += a[i]
            out[i] = s
        return s

    assert "'s'" in _compile_error(peek, np.ones(4), np.ones(4))


def test_a_private_read_after_the_loop_is_an_error() -> None:
    @jit(parallel=True)
    def last(a):
        t = 0.0
        for i in prange(a.shape[0]):
            t = a[i]
        return t

    text = _compile_error(last, np.ones(4))
    assert "'t'" in text and "read outside it" in text and "return t" in text


def test_break_cannot_leave_a_prange_loop() -> None:
    @jit(parallel=True)
    def early(a):
        for i in prange(a.shape[0]):
            if a[i] < 0:
                break
            a[i] = 1.0
        return 0

    assert "break and return cannot leave a prange loop" in _compile_error(early, np.ones(4))


def test_allocating_in_the_body_is_refused_clearly() -> None:
    @jit(parallel=True)
    def alloc(a):
        s = 0.0
        for i in prange(a.shape[0]):
            b = np.zeros(3)
            s += b[0] + a[i]
        return s

    text = _compile_error(alloc, np.ones(4))
    assert "cannot run on worker threads" in text and "before the loop" in text


# ------------------------------------------------------------------ threads


def test_num_threads_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        with pytest.raises(ValueError):
            ember.set_num_threads(0)
        with pytest.raises(TypeError):
            ember.set_num_threads(2.0)  # type: ignore[arg-type]
    finally:
        ember.set_num_threads(before)
    monkeypatch.setenv("EMBER_NUM_THREADS", "3")
    assert threads.default_threads() == 3
    monkeypatch.setenv("EMBER_NUM_THREADS", "lots")
    with pytest.warns(RuntimeWarning, match="EMBER_NUM_THREADS"):
        assert threads.default_threads() == threads.available_cpus()
    monkeypatch.delenv("EMBER_NUM_THREADS")
    if hasattr(os, "sched_getaffinity"):
        assert threads.available_cpus() <= len(os.sched_getaffinity(0))


def test_import_ember_does_not_build_the_pool() -> None:
    import subprocess

    code = ("import ember, sys; ember.prange; ember.get_num_threads(); "
            "print('llvmlite' in sys.modules, 'ember.native.runtime.parallel' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
