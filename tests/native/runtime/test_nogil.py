"""``@jit(nogil=True)`` (boundary/nogil.py): the machine code runs with the GIL released,
and every call the body makes into Python's C API takes it back for that call."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from ember import jit
from ember.native.boundary.nogil import hold_gil_for_python_calls
from ember.native.codegen.function import lower_module
from ember.native.frontend.statements import infer_unit
from ember.native.options import Options
from ember.native.types import FLOAT64, INT64


def spin(n):
    s = 0.0
    for i in range(n):
        s += (i % 7) * 0.5
    return s


def checked(a, i):
    return a[i] * 2.0


def test_the_entry_releases_the_gil_around_the_call() -> None:
    f = jit(nogil=True, cache=False)(spin)
    ir_text = f.inspect_llvm(optimized=False, signature=(INT64,))
    assert "PyEval_SaveThread" in ir_text and "PyEval_RestoreThread" in ir_text
    plain = jit(cache=False)(spin)
    assert "PyEval_SaveThread" not in plain.inspect_llvm(signature=(INT64,))


def _python_calls(func: Any, arg_types: tuple[Any, ...]) -> list[tuple[str, str]]:
    """(function, block) of each call the nogil pass wraps, for ``func``'s unit."""
    from llvmlite import ir

    from ember.native.boundary.nogil import needs_gil, reachable

    unit = infer_unit(func, arg_types, Options())
    root = lower_module(unit, Options()).get_global(unit.root.symbol)
    found = [(fn.name, block.name) for fn in reachable(root) for block in fn.blocks
             for instr in block.instructions
             if isinstance(instr, ir.CallInstr) and needs_gil(instr.callee)]
    assert hold_gil_for_python_calls(root) == len(found)
    return found


def test_only_calls_into_python_take_the_gil_back() -> None:
    # The loop itself calls nothing: every wrapped call raises (or adds the traceback).
    calls = _python_calls(spin, (INT64,))
    assert calls
    assert all(block.startswith("raise.") or fn.startswith("ember.tb.") for fn, block in calls)
    from ember.native.buffers import typeof_array

    array_calls = _python_calls(checked, (typeof_array(np.zeros(2)), INT64))
    assert any("index_error" in fn for fn, _ in array_calls), array_calls  # the bounds check


def _other_thread_progress(f: Any, n: int) -> int:
    """How many times this thread went round a Python loop while ``f(n)`` ran in another."""
    entered, done = threading.Event(), threading.Event()

    def worker() -> None:
        entered.set()
        f(n)
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    entered.wait()
    ticks = 0
    while not done.is_set():
        ticks += 1
    t.join()
    return ticks


def test_another_python_thread_runs_during_the_call() -> None:
    n = 100_000_000  # ~0.3 s of machine code
    free = jit(nogil=True, cache=False)(spin)
    held = jit(cache=False)(spin)
    free(1), held(1)
    # With the GIL held for the whole call this thread gets only the switch-interval
    # slice (5 ms) before the call starts, whatever n; released, it runs the whole call
    # (measured here: ~25x more iterations).
    assert _other_thread_progress(free, n) > 5 * max(1, _other_thread_progress(held, n))


def test_threads_raise_allocate_and_return_correctly() -> None:
    @jit(nogil=True, cache=False)
    def work(a, i, n):
        out = np.zeros(n)  # NumPy's allocation, through the C API
        for k in range(n):
            out[k] = a[i] + k  # IndexError for a bad i, raised with the GIL taken back
        return out

    a = np.arange(10.0)
    errors: list[BaseException] = []
    results: dict[int, Any] = {}

    def call(j: int) -> None:
        for _ in range(50):
            try:
                results[j] = work(a, j, 100)
            except IndexError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=call, args=(j,)) for j in (1, 5, 12, 20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [1, 5]
    assert results[5].tolist() == [5.0 + k for k in range(100)]
    assert len(errors) == 100
    assert all("out of bounds" in str(e) for e in errors)


def test_recursion_and_floats_without_the_gil() -> None:
    @jit("int64(int64)", nogil=True, cache=False)
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    out: list[int] = []
    threads = [threading.Thread(target=lambda: out.append(fib(18))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [2584] * 3
    def inv(x):
        return 1.0 / x

    g = jit(nogil=True, cache=False)(inv)
    assert g(4.0) == 0.25
    with pytest.raises(ZeroDivisionError):
        g(0.0)
    assert g.signatures == [(FLOAT64,)]
