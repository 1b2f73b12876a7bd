"""Basic indexing and views in compiled code, differential against NumPy (the same
function run by CPython on a copy of the same arrays): slices with any bounds and
steps, integer indices, ``...``, new axes, transposes, flips, reshapes; returned views
share memory with and keep alive their base; RSS stays flat over many calls."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from _harness import PROFILE, same  # noqa: E402

from ember import jit  # noqa: E402
from ember.diagnostics import EmberError  # noqa: E402

BIG = 2**63 - 1
bounds = st.one_of(st.integers(-9, 9), st.sampled_from([BIG, -BIG - 1, 2**40, -(2**40)]))
steps = st.one_of(st.integers(-4, 4), st.sampled_from([BIG, -BIG - 1, 2**40, -(2**40)]))
DTYPES = ["float64", "float32", "int64", "int8", "uint16", "bool"]


def variants(base: np.ndarray) -> list[np.ndarray]:
    """The same values in C, F, non-contiguous and negative-stride layouts."""
    out = [base, np.asfortranarray(base)]
    if base.ndim:
        out.append(np.repeat(base, 2, axis=0)[::2])  # non-contiguous (stride doubled)
        out.append(base[::-1].copy()[::-1])  # negative stride
    return out


@st.composite
def arrays(draw: st.DrawFn, min_ndim: int = 1, max_ndim: int = 3) -> np.ndarray:
    ndim = draw(st.integers(min_ndim, max_ndim))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(DTYPES))
    base = (np.arange(int(np.prod(shape))) % 7 - 2).astype(dtype).reshape(shape)
    return draw(st.sampled_from(variants(base)))


def both(f, *args):  # type: ignore[no-untyped-def]
    """(CPython's result or exception type, ember's), each on its own copies."""
    out = []
    for fn in (f.py_func, f):
        copies = [a.copy(order="K") if isinstance(a, np.ndarray) else a for a in args]
        try:
            out.append((fn(*copies), None, copies))
        except Exception as exc:  # noqa: BLE001 - the exception type is compared
            out.append((None, type(exc), copies))
    (py, py_exc, py_args), (got, got_exc, got_args) = out
    assert got_exc is py_exc, (args, py_exc, got_exc)
    if py_exc is None:
        if isinstance(py, tuple):
            assert all(same(x, y) for x, y in zip(got, py, strict=True)), (got, py)
        else:
            assert same(got, py), (got, py)
    for p, g in zip(py_args, got_args, strict=True):
        if isinstance(p, np.ndarray):
            assert same(g, p), (g, p)
    return got, py


@jit(cache=False)
def slice3(a, i, j, k):  # type: ignore[no-untyped-def]
    return a[i:j:k]


@jit(cache=False)
def slice_omitted(a, i, k):  # type: ignore[no-untyped-def]
    return a[i:], a[:i], a[::k], a[:i:k], a[i::k], a[:]


@jit(cache=False)
def mixed(a, i, j, k):  # type: ignore[no-untyped-def]
    return a[i, j:k], a[..., i], a[:, None], a[None, i], a[i]


@PROFILE
@given(arrays(), bounds, bounds, steps)
def test_slices_match_numpy(a: np.ndarray, i: int, j: int, k: int) -> None:
    got, _ = both(slice3, a, i, j, k)
    if k != 0 and got.size:
        assert got.dtype == a.dtype
    if k != 0:
        both(slice_omitted, a, i, k)


@PROFILE
@given(arrays(min_ndim=2), st.integers(-6, 6), bounds, bounds)
def test_mixed_indexing_matches_numpy(a: np.ndarray, i: int, j: int, k: int) -> None:
    both(mixed, a, i, j, k)


def test_returned_views_share_memory_and_writes_go_through() -> None:
    a = np.arange(24.0).reshape(4, 6)
    r = slice3(a, 1, 3, 1)
    assert np.shares_memory(r, a) and r.base is not None
    r[0, 0] = -1.0
    assert a[1, 0] == -1.0
    assert slice_omitted(a, 2, 1)[5] is a  # the whole array is its owner: the same object


@jit(cache=False)
def identity(a):  # type: ignore[no-untyped-def]
    return a


def test_returning_an_argument_returns_the_same_object() -> None:
    for a in (np.arange(5), np.zeros((3, 2), order="F"), bytearray(b"abc")):
        assert identity(a) is a


def test_views_keep_their_base_alive() -> None:
    a = np.arange(100.0)
    ref = weakref.ref(a)
    r = slice3(a, 10, 20, 2)
    del a
    gc.collect()
    assert ref() is not None and r.tolist() == list(np.arange(10.0, 20.0, 2))
    del r
    gc.collect()
    assert ref() is None


def test_a_view_of_a_bytearray_holds_a_buffer_export() -> None:
    buf = bytearray(range(10))
    r = slice3(buf, 2, 8, 2)
    assert isinstance(r, np.ndarray) and r.tolist() == [2, 4, 6]
    assert isinstance(r.base, memoryview)
    with pytest.raises(BufferError):
        buf.extend(b"x")  # the view's export pins the memory, as np.frombuffer's does
    r[0] = 99
    assert buf[2] == 99
    ro = slice3(bytes(range(10)), 1, 3, 1)
    assert not ro.flags.writeable and ro.tolist() == [1, 2]


def test_integer_indices_are_bounds_checked_with_numpys_message() -> None:
    a = np.zeros((3, 4))
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        mixed(a, 5, 0, 1)


def test_zero_step_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        slice3(np.arange(3), 0, 3, 0)


@jit(cache=False)
def shapes(a):  # type: ignore[no-untyped-def]
    return a.T, a.transpose(), np.transpose(a), np.flip(a), a[::-1], a.ravel(), \
        np.ravel(a), a.flatten(), a.reshape(-1), np.reshape(a, (-1,))


@jit(cache=False)
def shapes2(a):  # type: ignore[no-untyped-def]
    return a.transpose(1, 0), np.transpose(a, (1, 0)), np.flip(a, 0), np.flip(a, axis=1), \
        a.reshape(a.shape[1], a.shape[0]), a.reshape((-1, 1)), a[::-1, ::-2]


@PROFILE
@given(arrays(max_ndim=3))
def test_transpose_flip_reshape_match_numpy(a: np.ndarray) -> None:
    both(shapes, a)
    if a.ndim == 2:
        both(shapes2, a)
    # A view where NumPy gives a view, a copy where it copies (same memory or not).
    got = shapes(a)
    for g, p in zip(got, shapes.py_func(a), strict=True):
        assert np.shares_memory(g, a) == np.shares_memory(p, a), (a, g, p)
    assert got[7].flags.owndata  # flatten: a new array of its own, as NumPy's


@jit(cache=False)
def reshape2(a, n, m):  # type: ignore[no-untyped-def]
    return a.reshape(n, m)


@pytest.mark.parametrize(("n", "m"), [(4, -1), (-1, -1), (2, 3), (-1, 2), (-3, 3), (7, 1),
                                      (2**62, 4)])
def test_reshape_errors_match_numpy(n: int, m: int) -> None:
    got, py = both(reshape2, np.arange(6), n, m)
    try:
        reshape2.py_func(np.arange(6), n, m)
    except ValueError as exc:
        if abs(n) < 2**40:
            with pytest.raises(ValueError, match=str(exc).replace("(", r"\(").replace(")", r"\)")):
                reshape2(np.arange(6), n, m)


def test_reshape_views_exactly_when_numpy_does() -> None:
    base = np.arange(24).reshape(4, 6)
    for src, (n, m) in [(np.arange(12), (3, 4)), (base[:, ::2], (4, 3)), (base[:, :2], (2, 4)),
                        (base.T, (6, 4)), (base[::-1], (3, 8)), (base[:2, 1:], (5, 2))]:
        got, expected = reshape2(src, n, m), reshape2.py_func(src, n, m)
        assert same(got, expected)
        assert np.shares_memory(got, src) == np.shares_memory(expected, src), (src, n, m)


@jit(cache=False)
def rows(a):  # type: ignore[no-untyped-def]
    total = 0.0
    for r in a:
        for x in r:
            total += x
    return float(total)  # (CPython's sum of NumPy scalars is one)


@jit(cache=False)
def last_row(a):  # type: ignore[no-untyped-def]
    out = a[0]
    for r in a:
        out = r
    return out


@PROFILE
@given(arrays(min_ndim=2, max_ndim=2))
def test_iterating_a_2d_array_yields_rows(a: np.ndarray) -> None:
    both(rows, a.astype(np.float64))
    if a.shape[0]:
        both(last_row, a)


def test_memory_stays_flat_over_many_view_calls() -> None:
    a = np.arange(100.0).reshape(10, 10)

    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    for _ in range(2000):
        mixed(a, 1, 2, 8)
    before = rss()
    for _ in range(200_000):
        slice3(a, 1, 9, 2)
    assert rss() - before < 4 * 2**20


@pytest.mark.parametrize(("src", "message", "hint"), [
    ("def f(a):\n    return a[..., 0]\n", "0-d array", "a[i, j]"),
    ("def f(a):\n    return a[True:]\n", None, None),
    ("def f(a):\n    return a[1, 2, 3]\n", "needs 1 indices", "index every dimension"),
    ("def f(a):\n    return a[1, 2, :]\n", "too many indices", "one int or slice"),
    ("def f(a):\n    return a[::0]\n", "slice step cannot be zero", "step of 1"),
    ("def f(a, n):\n    return a.transpose(n)\n", "constant ints", "a.transpose(1, 0)"),
])
def test_unsupported_forms_are_compile_errors_with_a_hint(tmp_path: Path, src: str,
                                                          message: str | None,
                                                          hint: str | None) -> None:
    path = tmp_path / "m.py"
    path.write_text(src)
    ns: dict[str, object] = {"np": np}
    exec(compile(src, str(path), "exec"), ns)
    f = jit(cache=False)(ns["f"])
    args = (np.zeros(3),) if "n)" not in src else (np.zeros((2, 2)), 1)
    if message is None:  # a bool slice bound is an int, as in Python
        assert f(*args).tolist() == f.py_func(*args).tolist()
        return
    with pytest.raises(EmberError) as info:
        f(*args)
    text = str(info.value)
    assert message in text and hint in text, text


@jit(cache=False)
def made(n):  # type: ignore[no-untyped-def]
    return np.zeros((n, 2))


def test_arrays_made_in_compiled_code_come_back_as_themselves() -> None:
    for n in (0, 1, 3):  # NumPy 2 gives empty arrays strides of 0: still no view
        r = made(n)
        assert r.base is None and r.flags.owndata, n
