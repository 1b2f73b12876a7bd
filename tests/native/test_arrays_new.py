"""Arrays created inside compiled code: NumPy's creators, copies, reductions, returning
them, and their memory (released with the last reference)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import jit
from ember.native.types import DTYPE_NAMES


@jit
def make_zeros(n):
    return np.zeros(n)


@jit
def make_2d(n, m):
    a = np.zeros((n, m), np.int32)
    b = np.ones((n, m))
    c = np.full((n, m), 2.5, np.float32)
    e = np.empty((n, m))
    for i in range(n):
        for j in range(m):
            a[i, j] = i * m + j
            e[i, j] = b[i, j] + c[i, j]
    return a, b, c, e


@jit
def like(a):
    z = np.zeros_like(a)
    o = np.ones_like(a)
    e = np.empty_like(a)
    f = np.full_like(a, 3)
    for i in range(a.shape[0]):
        e[i] = a[i]
    return z, o, e, f


@jit
def copies(a):
    b = a.copy()
    b[0, 0] = 99
    return b


@jit
def ranges(n):
    return np.arange(n), np.arange(2, n, 3), np.arange(0.5, n, 0.25), np.arange(n, 0, -2)


@jit
def reductions(a):
    return a.sum(), a.min(), a.max()


@jit
def sieve(n):
    flags = np.ones(n + 1, np.uint8)
    flags[0] = 0
    flags[1] = 0
    i = 2
    while i * i <= n:
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = 0
        i += 1
    count = 0
    for x in flags:
        count += int(x)  # (x is NumPy's np.uint8: count += x would wrap, as in NumPy)
    return count


@jit
def reassign(n):
    a = np.zeros(n)
    for k in range(3):
        a = np.full(n, k * 1.0)
    b = a
    a = np.ones(n)
    return b, a


@jit
def helper_returns(n):
    return np.arange(n)


@jit
def caller(n):
    a = helper_returns(n)
    helper_returns(n)  # discarded: released
    return a.sum() + helper_returns(n).sum()


@jit
def negative_shape(n):
    return np.zeros(n)


@jit
def bad_index_after_alloc(n):
    a = np.zeros(3)
    return a[n]


DT: object = np.float64  # the dtype the creators below use; each test sets its own


def creators(n):
    return (np.zeros(n, DT), np.ones((n, 2), DT), np.empty(n, DT), np.full(n, 1, DT))


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_creators_every_dtype(dtype: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "DT", np.dtype(dtype).type)
    compiled = jit(creators)  # a fresh dispatcher: DT is read when it compiles
    z, o, e, f = compiled(4)
    ref = creators(4)
    for got, want in zip((z, o, e, f), ref, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.flags.c_contiguous and got.flags.owndata and got.flags.writeable
    assert np.array_equal(z, ref[0]) and np.array_equal(o, ref[1]) and np.array_equal(f, ref[3])


def test_returned_arrays_are_independent_numpy_arrays() -> None:
    a, b = make_zeros(5), make_zeros(5)
    assert type(a) is np.ndarray and a is not b
    a[0] = 1.0
    assert b[0] == 0.0
    assert make_zeros(0).shape == (0,)


def test_tuple_of_new_arrays() -> None:
    got = make_2d(3, 4)
    want = make_2d.py_func(3, 4)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and np.array_equal(g, w)


def test_like_and_copy() -> None:
    a = np.arange(5, dtype=np.int16)
    for g, w in zip(like(a), like.py_func(a), strict=True):
        assert g.dtype == w.dtype and np.array_equal(g, w)
    src = np.arange(12.0).reshape(3, 4)
    for view in (src, src.T, src[::2, ::-1]):
        got = copies(view)
        assert np.array_equal(got, copies.py_func(view)) and got.flags.c_contiguous
        assert view[0, 0] != 99  # the copy is independent


def test_arange_like_numpy() -> None:
    for n in (0, 1, 7, 10):
        for g, w in zip(ranges(n), ranges.py_func(n), strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w), (n, g, w)


@pytest.mark.parametrize("dtype", ["int8", "uint16", "int64", "float32", "float64", "bool"])
def test_reductions(dtype: str) -> None:
    a = (np.arange(24).reshape(4, 6) % 5 - 1).astype(dtype)
    got = reductions(a)
    want = reductions.py_func(a)
    assert got[0] == pytest.approx(want[0]) and got[1:] == want[1:]
    assert type(got[2]) is type(want[2])  # NumPy's scalar type (frontend/np_scalars.py)
    with pytest.raises(ValueError, match="zero-size array"):
        reductions(np.zeros((0, 3)))


def test_float_reductions_propagate_nan() -> None:
    a = np.array([1.0, np.nan, -3.0])
    s, lo, hi = reductions(a)
    assert np.isnan(s) and np.isnan(lo) and np.isnan(hi)


def test_sieve_allocates_its_flags() -> None:
    assert sieve(100) == 25
    # A uint8 element is NumPy's np.uint8 (frontend/np_scalars.py): int(x) counts in
    # Python ints, interpreted and compiled alike.
    assert sieve(10_000) == 1229 == sieve.py_func(10_000)


def test_reassigned_locals_and_helpers() -> None:
    b, a = reassign(3)
    assert np.array_equal(b, [2.0, 2.0, 2.0]) and np.array_equal(a, [1.0, 1.0, 1.0])
    assert caller(5) == 20


def test_errors_after_allocation() -> None:
    with pytest.raises(ValueError, match="negative dimensions"):
        negative_shape(-1)
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        bad_index_after_alloc(3)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(Path(ember.__file__).parents[1])
    return env


def _run(code: str, folder: Path) -> str:
    """Run ``code`` as a script file (ember compiles from source files)."""
    script = folder / "script.py"
    script.write_text(textwrap.dedent(code))
    out = subprocess.run([sys.executable, str(script)], capture_output=True,
                         text=True, env=_env(), timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_memory_stays_flat_over_a_million_allocating_calls(tmp_path: Path) -> None:
    out = _run(
        """
        import resource, numpy as np
        from ember import jit

        @jit
        def alloc(n):
            a = np.zeros(n)
            b = a.copy()
            a = np.ones(n)
            b[0] = a[1]
            return b

        @jit
        def temp(n):
            return np.arange(n).sum() + np.empty(n).shape[0]

        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * resource.getpagesize()

        for _ in range(20000):
            alloc(64); temp(64)
        before = rss()
        for _ in range(1_000_000):
            alloc(64)
            temp(64)
        print((rss() - before) // 1024)
        """,
        tmp_path,
    )
    # Leaking even one 64-element array per call would be well over 500 MB.
    assert int(out.strip()) < 20_000


def test_reference_counts_of_results(tmp_path: Path) -> None:
    out = _run(
        """
        import sys, numpy as np
        from ember import jit

        @jit
        def pair(n):
            a = np.zeros(n)
            return a, a

        x, y = pair(3)
        assert x is y
        p, q = pair.py_func(3)
        print(sys.getrefcount(x), sys.getrefcount(p))
        """,
        tmp_path,
    )
    ours, python = out.split()
    assert ours == python


def test_plain_buffers_work_without_numpy(tmp_path: Path) -> None:
    out = _run(
        """
        import array, sys
        from ember import jit

        @jit
        def scale(a, c):
            for i in range(len(a)):
                a[i] = a[i] * c
            s = 0.0
            for x in a:
                s += x
            return s

        @jit
        def count(m):
            n = 0
            for i in range(m.shape[0]):
                for j in range(m.shape[1]):
                    n += m[i, j]
            return n

        a = array.array('d', [1.0, 2.0, 3.0])
        print(scale(a, 2.0), list(a))
        print(count(memoryview(bytearray(range(6))).cast('B', (2, 3))))
        print(count(memoryview(b'\\x01\\x02\\x03\\x04').cast('B', (2, 2))))
        assert 'numpy' not in sys.modules, 'numpy was imported'
        """,
        tmp_path,
    )
    assert out.split("\n")[:3] == ["12.0 [2.0, 4.0, 6.0]", "15", "10"]
