"""Memory: calls that create, slice and return arrays keep the resident size flat, and a
view returned to Python keeps its base alive after the base is deleted — for every kind of
view compiled code makes (slices, negative steps, ``None``, transposes, reshapes, rows of a
2-d array, views of arrays created inside the call, views inside a returned tuple).

Extends tests/native/test_views.py (200 000 calls of one slice, one 1-d view kept alive)
and tests/native/test_arrays_new.py (a million calls that allocate but return no view).
RSS is read from /proc/self/statm (skipped where there is none); a leak of even one
64-element array per call would be ~500 MB over the run, against a 32 MB allowance.
"""

from __future__ import annotations

import gc
import os
import resource
import weakref

import numpy as np
import pytest

from ._gen import kernel

CALLS = int(os.environ.get("EMBER_MEMORY_CALLS", "1000000"))

MAKE_AND_SLICE = kernel("mem_make_slice", """def k(n):
    a = np.arange(n * 4.0).reshape(n, 4)
    b = a[1:, ::-2]
    return b.T[None]
""")
SLICE_ARG = kernel("mem_slice_arg", """def k(a, m):
    c = (a[::2] * 2.0 + 1.0)[m]
    return a[1:][::-1], c
""")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc")
def test_a_million_calls_that_create_slice_and_return_arrays_keep_rss_flat() -> None:
    a = np.arange(64.0)
    m = np.arange(32) % 3 == 0
    for _ in range(20_000):  # warm up: compile, fill NumPy's small-block caches
        MAKE_AND_SLICE(16)
        SLICE_ARG(a, m)
    gc.collect()
    before = _rss()
    for _ in range(CALLS // 2):
        v = MAKE_AND_SLICE(16)
        w = SLICE_ARG(a, m)
    gc.collect()
    grown = _rss() - before
    assert v.shape == (1, 2, 15) and v[0, 0, 0] == 7.0 and w[1].shape == (11,)
    assert grown < 32 * 2**20, f"RSS grew by {grown // 2**20} MB over {CALLS} calls"


VIEWS = {src: kernel(f"mem_view_{i}", f"def k(a):\n    return {src}\n") for i, src in
         enumerate(["a[1:]", "a[::-1]", "a[None, 2:]", "a.T", "a.reshape(-1)[3:]", "a[1]",
                    "a[:, ::2].T[::-1]", "(a[1:], a[0])", "a.ravel()"])}
INNER = {src: kernel(f"mem_inner_{i}", f"def k(n):\n    b = {src}\n    return b[1:][::-1]\n")
         for i, src in enumerate(["np.arange(n * 2.0).reshape(n, 2)", "np.ones((n, 3)).T",
                                  "np.zeros(n)[::2]", "(np.arange(n) * 3)[None]"])}


def _churn() -> None:
    """Allocate and free arrays so freed memory is overwritten (a dangling view would
    then read garbage, not the old values)."""
    for n in (64, 256, 4096):
        junk = [np.full(n, -99.0) for _ in range(20)]
        del junk
    gc.collect()


@pytest.mark.parametrize("src", sorted(VIEWS))
def test_returned_views_keep_the_argument_alive(src: str) -> None:
    base = np.arange(24.0).reshape(4, 6).copy()  # owns its data (NumPy's bases collapse)
    expected = VIEWS[src].py_func(base.copy())
    ref = weakref.ref(base)
    got = VIEWS[src](base)
    del base
    _churn()
    assert ref() is not None  # the view holds its base
    pairs = zip(got, expected, strict=True) if isinstance(got, tuple) else [(got, expected)]
    for g, e in pairs:
        assert np.array_equal(g, e), (g, e)
    del got, g, pairs
    gc.collect()
    assert ref() is None  # and lets it go with the last view


@pytest.mark.parametrize("src", sorted(INNER))
def test_views_of_arrays_created_in_the_call_outlive_it(src: str) -> None:
    got = INNER[src](8)
    expected = INNER[src].py_func(8)
    _churn()
    assert got.base is not None and np.array_equal(got, expected), (got, expected)
    holder = weakref.ref(got.base)  # whatever owns the data dies with the view
    del got
    gc.collect()
    assert holder() is None
