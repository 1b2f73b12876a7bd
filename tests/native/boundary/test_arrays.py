"""boundary/arrays.py: the array argument boundary — here, what the buffer path refuses that
an ndarray cannot even express (the rest is covered through @jit in test_arrays_jit)."""

from __future__ import annotations

import ctypes
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ember import jit
from ember.native.messages import MSG_BAD_EXTENT


@contextmanager
def forged_extent(m: memoryview, extent: int) -> Iterator[None]:
    """Make ``m`` (1-d) claim ``extent`` items, as a careless buffer exporter could: no
    Python object can export such a shape, so the memoryview's own Py_buffer (a stable
    ABI struct: buf, obj, len, itemsize, readonly, ndim, format, shape, strides) is
    patched through ctypes for the duration, and restored."""
    buf = ctypes.addressof(ctypes.c_char.from_buffer(m.obj))  # type: ignore[arg-type]
    base = id(m)
    words = [ctypes.c_ssize_t.from_address(base + 8 * i).value for i in range(32)]
    starts = [i for i in range(30) if words[i] == buf and words[i + 2] == m.nbytes
              and words[i + 3] == m.itemsize]
    if len(starts) != 1:
        pytest.skip("cannot locate the memoryview's Py_buffer on this build")
    shape = ctypes.c_void_p.from_address(base + 8 * (starts[0] + 6)).value
    slot = ctypes.c_ssize_t.from_address(shape)
    saved = slot.value
    assert saved == len(m)
    slot.value = extent
    try:
        yield
    finally:
        slot.value = saved


@pytest.mark.skipif(struct.calcsize("P") != 8 or sys.implementation.name != "cpython",
                    reason="the forged buffer assumes 64-bit CPython")
@pytest.mark.parametrize("extent", [2**61, 2**62, -1, -(2**63)])
def test_buffer_with_an_impossible_extent_is_a_value_error(extent: int) -> None:
    @jit(cache=False)
    def first(a):
        return a[0]

    m = memoryview(bytearray(16)).cast("d")
    assert first(m) == 0.0  # compiled for float64, 1-d, C: the entry's buffer path
    with forged_extent(m, extent):
        with pytest.raises(ValueError, match="shape is invalid"):
            first(m)
    assert first(m) == 0.0  # nothing held, nothing left set
    assert MSG_BAD_EXTENT.startswith("array argument")


def test_largest_valid_extent_passes_the_check() -> None:
    @jit(cache=False)
    def length(a):
        return len(a)

    m = memoryview(bytearray(16)).cast("B")
    assert length(m) == 16
    with forged_extent(m, 2**63 - 1):  # 1-byte items: exactly PY_SSIZE_T_MAX bytes
        assert length(m) == 2**63 - 1


# ------------------------------------------------ what is inlined, what is not


def _first_1d_ir() -> str:
    from ember.native.codegen import function as lower
    from ember.native.frontend import statements as infer
    from ember.native.options import Options
    from ember.native.types import Array, DType

    def first(a):  # type: ignore[no-untyped-def]
        return a[0]

    options = Options()
    unit = infer.infer_unit(first, (Array(DType("float64"), 1, "C"),), options)
    return lower.lower_unit(unit, options)


def _define_line(text: str, name: str) -> str:
    (line,) = [ln for ln in text.splitlines() if ln.startswith("define") and f'@"{name}"(' in ln]
    return line


def _body(text: str, name: str) -> str:
    start = text.index(_define_line(text, name))
    return text[start:text.index("\n}\n", start)]


def test_only_the_ndarray_fast_path_is_inlined_and_optimised() -> None:
    """The buffer protocol path and NumPy's import are out of line and unoptimised
    (compile time), the exact-ndarray path is inlined into the entry (call time)."""
    text = _first_1d_ir()
    fast = "ember.unbox.float64.1.C.rw"
    assert "alwaysinline" in _define_line(text, fast)
    assert "PyObject_GetBuffer" not in _body(text, fast)
    for cold in ("ember.unbox.buffer.float64.1.C.rw", "ember.numpy_api"):
        attributes = _define_line(text, cold).split(")")[-1].split()
        assert {"cold", "noinline", "optnone"} <= set(attributes), cold
    assert "PyObject_GetBuffer" in _body(text, "ember.unbox.buffer.float64.1.C.rw")


def test_after_optimisation_the_entry_reads_ndarrays_without_a_call() -> None:
    from ember.native.backend import engine

    optimized = str(engine.optimize(_first_1d_ir(), "first"))
    entry = [ln for ln in optimized.splitlines() if ln.startswith("define") and "__entry" in ln]
    assert len(entry) == 1
    start = optimized.index(entry[0])
    body = optimized[start:optimized.index("\n}\n", start)]
    assert "@ember.unbox.float64.1.C.rw" not in body  # inlined
    assert "@ember.unbox.buffer.float64.1.C.rw" in body  # called, only off the fast path


def test_every_path_into_the_buffer_function_gives_the_same_answers() -> None:
    """Objects the inlined ndarray path does not take: an ndarray subclass, a buffer
    exporter, and the very first ndarray a unit sees (before it has NumPy's table)."""
    np = pytest.importorskip("numpy")
    import array

    class Sub(np.ndarray):  # type: ignore[misc]
        pass

    @jit(cache=False)
    def total(a):
        s = 0.0
        for i in range(a.shape[0]):
            s += a[i]
        return s

    plain = np.arange(4.0)
    assert total(plain) == 6.0  # first call: NumPy's table fetched by the buffer path
    assert total(plain) == 6.0  # then the inlined path
    assert total(plain.view(Sub)) == 6.0
    assert total(array.array("d", [1.0, 2.5])) == 3.5
    assert total(memoryview(plain)) == 6.0
    with pytest.raises(TypeError):
        total(np.zeros(2, np.float16))  # no native type: refused, nothing left set
    assert total(plain) == 6.0
