"""abi_arrays.py: the array argument boundary — here, what the buffer path refuses that
an ndarray cannot even express (the rest is covered through @jit in test_arrays_jit)."""

from __future__ import annotations

import ctypes
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ember import jit
from ember.native.abi_arrays import MSG_BAD_EXTENT


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
