"""Array arguments → native array types: the buffer protocol read once, at the boundary.

A buffer-protocol object (NumPy array, ``array.array``, ``memoryview``, ``bytearray``)
becomes a :class:`~ember.native.types.Array`: element type from the buffer's format,
number of dimensions, layout (``"C"``, ``"F"`` or ``"A"`` for any other strides) and
whether it is read-only::

    >>> import array
    >>> typeof_array(array.array("d", [1.0, 2.0]))
    array(float64, 1d, C)
    >>> typeof_array(bytes(4))
    array(uint8, 1d, C, readonly)
    >>> typeof_array(3) is None
    True

The dispatcher's slow path calls :func:`typeof_array` for any argument that is not a
scalar; the compiled entry repeats the same classification in machine code
(:mod:`ember.native.boundary.arrays`), so both agree on which specialization an argument
takes. NumPy is never imported here: plain buffers work without it.
"""

from __future__ import annotations

import struct
import sys

from ember.native.types import DTYPE_NAMES, Array, DType, DTypeValue

# Buffer format letters (PEP 3118 / the struct module) by NumPy kind.
SIGNED_LETTERS = "bhilqn"
UNSIGNED_LETTERS = "BHILQN"
FLOAT_LETTERS = "fd"
BOOL_LETTERS = "?"
# Byte-order prefixes that mean "this machine's order" here.
NATIVE_PREFIXES = ("@", "=", "<") if sys.byteorder == "little" else ("@", "=", ">", "!")


def kind_of_letter(letter: str) -> str | None:
    """NumPy's kind (``"b" "i" "u" "f"``) of a one-letter buffer format, or None.

    >>> kind_of_letter("d"), kind_of_letter("B"), kind_of_letter("e")
    ('f', 'u', None)
    """
    if letter in BOOL_LETTERS:
        return "b"
    if letter in SIGNED_LETTERS:
        return "i"
    if letter in UNSIGNED_LETTERS:
        return "u"
    if letter in FLOAT_LETTERS:
        return "f"
    return None


def dtype_of_format(fmt: str | None, itemsize: int) -> DType | None:
    """The element type of a buffer whose format is ``fmt`` and items ``itemsize`` bytes,
    or None when ember has no such element type (structs, float16, foreign byte order).

    >>> dtype_of_format("d", 8), dtype_of_format("<i", 4), dtype_of_format(">d", 8)
    (float64, int32, None)
    """
    if fmt is None:  # PEP 3118: no format means unsigned bytes
        fmt = "B"
    if fmt[:1] in NATIVE_PREFIXES:
        fmt = fmt[1:]
    if fmt in ("Zf", "Zd") and itemsize == (8 if fmt == "Zf" else 16):
        return DType(f"complex{itemsize * 8}")  # NumPy's complex64, complex128
    if len(fmt) != 1:
        return None
    kind = kind_of_letter(fmt)
    if kind is None:
        return None
    if kind == "b":
        return DType("bool") if itemsize == 1 else None
    if kind == "f":
        if (fmt, itemsize) in (("f", 4), ("d", 8)):
            return DType(f"float{itemsize * 8}")
        return None
    if itemsize not in (1, 2, 4, 8):
        return None
    return DType(("int" if kind == "i" else "uint") + str(itemsize * 8))


def layout_of(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> str:
    """``"C"`` if the strides are C-contiguous, else ``"F"`` if Fortran-contiguous, else
    ``"A"`` — NumPy's definition: a dimension of length 1 may have any stride, and an
    empty array is contiguous. The compiled entry uses the same rule.

    >>> layout_of((2, 3), (24, 8), 8), layout_of((2, 3), (8, 16), 8), layout_of((2, 2), (24, 16), 8)
    ('C', 'F', 'A')
    """
    if is_contiguous(shape, strides, itemsize, reverse=True):
        return "C"
    if is_contiguous(shape, strides, itemsize, reverse=False):
        return "F"
    return "A"


def is_contiguous(
    shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int, *, reverse: bool
) -> bool:
    """C order walks the axes last to first (``reverse=True``), Fortran first to last."""
    if 0 in shape:
        return True
    expected = itemsize
    axes = range(len(shape) - 1, -1, -1) if reverse else range(len(shape))
    for axis in axes:
        if shape[axis] != 1:
            if strides[axis] != expected:
                return False
            expected *= shape[axis]
    return True


def typeof_array(value: object) -> Array | None:
    """The native type of a buffer-protocol argument, or None when it is not one ember
    can compile for (no buffer, an unsupported format, ndim 0, suboffsets).

    >>> typeof_array(memoryview(bytearray(16)).cast("d", (2, 1)))
    array(float64, 2d, C)
    """
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        return None
    with view:
        if view.ndim == 0 or view.suboffsets:
            return None
        dtype = dtype_of_format(view.format, view.itemsize)
        if dtype is None or (dtype.kind != "c"  # struct has no 'Z' (PEP 3118 complex)
                             and struct.calcsize(view.format) != view.itemsize):
            return None
        layout = layout_of(view.shape, view.strides, view.itemsize)  # type: ignore[arg-type]
        return Array(dtype, view.ndim, layout, view.readonly)


def describe_unsupported(value: object) -> str | None:
    """Why a buffer argument has no native type, for the dispatcher's TypeError (None if
    ``value`` is not a buffer at all).

    >>> describe_unsupported(memoryview(b"abcd").cast("c"))
    "buffer format 'c' is not supported (dtypes: bool, int8-64, uint8-64, float32, float64, complex64, complex128)"
    """
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        return None
    with view:
        if view.ndim == 0:
            return "0-dimensional buffers are not supported (pass a.item(), or a 1-d array)"
        if view.suboffsets:
            return "buffers with suboffsets (PIL-style) are not supported"
        return (
            f"buffer format {view.format!r} is not supported "
            "(dtypes: bool, int8-64, uint8-64, float32, float64, complex64, complex128)"
        )


def numpy_type_number(dtype: DType) -> int:
    """NumPy's type number for ``dtype`` on this platform (what ``np.dtype(x).num`` gives),
    computed without importing NumPy: int64 is ``NPY_LONG`` where C long has 64 bits.

    >>> numpy_type_number(DType("float64")), numpy_type_number(DType("bool"))
    (12, 0)
    """
    long_bits = struct.calcsize("l") * 8
    name = dtype.name
    fixed = {"bool": 0, "int8": 1, "uint8": 2, "int16": 3, "uint16": 4,
             "float32": 11, "float64": 12, "complex64": 14, "complex128": 15}  # fmt: skip
    if name in fixed:
        return fixed[name]
    bits = dtype.itemsize * 8
    unsigned = dtype.kind == "u"
    if bits == 32:
        return 6 if unsigned else 5  # NPY_UINT / NPY_INT: C int is 32 bits everywhere here
    if bits == long_bits:
        return 8 if unsigned else 7  # NPY_ULONG / NPY_LONG
    return 10 if unsigned else 9  # NPY_ULONGLONG / NPY_LONGLONG


def numpy_type_numbers(dtype: DType) -> tuple[int, ...]:
    """Every NumPy type number whose arrays hold ``dtype`` elements (int64 arrays may be
    ``NPY_LONG`` or ``NPY_LONGLONG`` when both are 64 bits)."""
    main = numpy_type_number(dtype)
    if dtype.kind in "iu" and dtype.itemsize == 8 and struct.calcsize("l") == 8:
        return (main, main + 2) if main in (7, 8) else (main,)
    return (main,)


_BUILTIN_DTYPES: dict[object, str] = {
    float: "float64", int: "int64", bool: "bool", complex: "complex128",
}  # fmt: skip


def typeof_dtype(obj: object) -> DTypeValue | None:
    """The dtype value a Python object is: a native-order ``numpy.dtype`` ember has
    (form ``"dtype"``; NumPy's own instance, the one the entry compares against), a
    NumPy scalar type (``np.float32``: ``"type"``), or ``float``, ``int``, ``bool``
    (``"builtin"``); else None.

    >>> typeof_dtype(float), typeof_dtype(3)
    (builtin[float], None)
    """
    try:
        builtin = _BUILTIN_DTYPES.get(obj)
    except TypeError:  # unhashable: no dtype
        return None
    if builtin is not None:
        return DTypeValue(DType(builtin), "builtin")
    np = sys.modules.get("numpy")
    if np is None:
        return None
    if isinstance(obj, np.dtype):
        canonical = obj.name in DTYPE_NAMES and obj.isnative and obj is np.dtype(obj.name)
        return DTypeValue(DType(obj.name), "dtype") if canonical else None
    if isinstance(obj, type) and issubclass(obj, np.generic):
        try:
            dt = np.dtype(obj)
        except TypeError:
            return None
        if dt.name in DTYPE_NAMES and dt.type is obj:
            return DTypeValue(DType(dt.name), "type")
    return None
