"""ember.native.buffers: buffer-protocol objects → Array types (no compilation here)."""

from __future__ import annotations

import array
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.native.buffers import (
    dtype_of_format,
    layout_of,
    numpy_type_number,
    numpy_type_numbers,
    typeof_array,
)
from ember.native.types import DTYPE_NAMES, Array, DType

ALL_DTYPES = [DType(n) for n in DTYPE_NAMES]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_numpy_dtypes_map_to_their_names(dtype: DType) -> None:
    a = np.zeros(4, dtype=dtype.name)
    assert typeof_array(a) == Array(dtype, 1, "C")


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_type_numbers_match_numpy(dtype: DType) -> None:
    assert numpy_type_number(dtype) == np.dtype(dtype.name).num
    assert np.dtype(dtype.name).num in numpy_type_numbers(dtype)


def test_longlong_is_int64_too() -> None:
    assert np.dtype(np.longlong).num in numpy_type_numbers(DType("int64"))
    assert typeof_array(np.zeros(2, np.longlong)) == Array(DType("int64"), 1, "C")


@pytest.mark.parametrize(
    ("code", "name"),
    [("b", "int8"), ("B", "uint8"), ("h", "int16"), ("H", "uint16"), ("i", "int32"),
     ("I", "uint32"), ("q", "int64"), ("Q", "uint64"), ("f", "float32"), ("d", "float64")],
)
def test_array_array_codes(code: str, name: str) -> None:
    a = array.array(code, [1, 2, 3])
    assert typeof_array(a) == Array(DType(name), 1, "C")


def test_long_code_follows_the_platform() -> None:
    bits = struct.calcsize("l") * 8
    assert typeof_array(array.array("l", [1])) == Array(DType(f"int{bits}"), 1, "C")


def test_bytes_are_readonly_uint8_and_bytearray_writable() -> None:
    assert typeof_array(b"abc") == Array(DType("uint8"), 1, "C", readonly=True)
    assert typeof_array(bytearray(3)) == Array(DType("uint8"), 1, "C")


def test_layouts_of_numpy_views() -> None:
    a = np.zeros((4, 6))
    assert typeof_array(a).layout == "C"  # type: ignore[union-attr]
    assert typeof_array(a.T).layout == "F"  # type: ignore[union-attr]
    assert typeof_array(np.asfortranarray(a)).layout == "F"  # type: ignore[union-attr]
    assert typeof_array(a[:, ::2]).layout == "A"  # type: ignore[union-attr]
    assert typeof_array(a[::2]).layout == "A"  # type: ignore[union-attr]
    assert typeof_array(a[1:3]).layout == "C"  # type: ignore[union-attr]
    assert typeof_array(a.ravel()[::3]) == Array(DType("float64"), 1, "A")


def test_read_only_numpy_array() -> None:
    a = np.zeros(3)
    a.flags.writeable = False
    assert typeof_array(a) == Array(DType("float64"), 1, "C", readonly=True)


def test_memoryview_cast_shapes() -> None:
    m = memoryview(bytearray(48)).cast("d", (2, 3))
    assert typeof_array(m) == Array(DType("float64"), 2, "C")
    # Slicing a 2-d memoryview keeps both dimensions. One row left: an extent-1
    # dimension's stride is irrelevant, so the view is still C-contiguous (NumPy's rule).
    assert typeof_array(m[::2]) == Array(DType("float64"), 2, "C")
    # Every other row of four: rows 48 bytes apart, not 24, so not contiguous.
    tall = memoryview(bytearray(96)).cast("d", (4, 3))
    assert typeof_array(tall[::2]) == Array(DType("float64"), 2, "A")


@pytest.mark.parametrize(
    "value",
    [3, 2.5, "text", None, [1, 2], np.float64(2.0), np.zeros(3, np.clongdouble),
     np.zeros(3, np.float16), np.zeros(3, ">f8"), np.array(1.0), np.zeros(2, "U3")],
    ids=repr,
)
def test_unsupported_values_have_no_array_type(value: object) -> None:
    assert typeof_array(value) is None


@pytest.mark.parametrize(
    ("fmt", "size", "name"),
    [("d", 8, "float64"), ("<d", 8, "float64"), ("=f", 4, "float32"), ("@?", 1, "bool"),
     (None, 1, "uint8"), ("l", 8, "int64"), ("n", 8, "int64"), ("N", 8, "uint64")],
)
def test_dtype_of_format(fmt: str | None, size: int, name: str) -> None:
    assert dtype_of_format(fmt, size) == DType(name)


@pytest.mark.parametrize(("fmt", "size"), [("e", 2), ("2d", 16), ("T{d}", 8), ("c", 1),
                                           ("?", 2), ("d", 4), ("i", 3)])
def test_formats_without_dtype(fmt: str, size: int) -> None:
    assert dtype_of_format(fmt, size) is None


def test_layout_rules_match_numpy_flags() -> None:
    rng = np.random.default_rng(1)
    base = np.zeros((3, 4, 5))
    views = [base, base.T, base[:, 1:2], base[::2, :, ::-1], base[:, :1, :1], base[:0],
             np.zeros((1, 5))[:, ::2], np.zeros((5, 1)), base.transpose(1, 0, 2)]
    for _ in range(20):
        axes = tuple(rng.permutation(3))
        views.append(base.transpose(axes)[:: rng.integers(1, 3)])
    for v in views:
        expected = "C" if v.flags.c_contiguous else "F" if v.flags.f_contiguous else "A"
        assert layout_of(v.shape, v.strides, v.itemsize) == expected, (v.shape, v.strides)


def test_no_numpy_import_for_plain_buffers() -> None:
    code = textwrap.dedent(
        """
        import array, sys
        from ember.native.buffers import typeof_array
        print(typeof_array(array.array('d', [1.0])), typeof_array(memoryview(b'ab')))
        assert 'numpy' not in sys.modules
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(ember.__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "array(float64, 1d, C) array(uint8, 1d, C, readonly)"
