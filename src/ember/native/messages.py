"""The one message table: every error text compiled code raises. Where CPython has a
message of its own, it is taken from the running interpreter (texts differ across
versions), so compiled code says exactly what ``python`` says.

>>> MSG_INT_DIV0 == str(ZeroDivisionError(MSG_INT_DIV0))
True
"""

from __future__ import annotations

OVERFLOW = "integer overflow: result does not fit in 64 bits"


def message(expr: str) -> str:
    """The running Python's own message for an error (texts differ across versions)."""
    try:
        eval(expr, {})
    except Exception as exc:  # noqa: BLE001 - we want whatever CPython says
        return str(exc)
    raise AssertionError(f"{expr} did not raise")  # pragma: no cover


MSG_INT_DIV0 = message("(lambda a, b: a // b)(1, 0)")


MSG_INT_MOD0 = message("(lambda a, b: a % b)(1, 0)")


MSG_INT_TRUEDIV0 = message("(lambda a, b: a / b)(1, 0)")


MSG_FLOAT_DIV0 = message("(lambda a, b: a / b)(1.0, 0.0)")


MSG_FLOAT_FLOORDIV0 = message("(lambda a, b: a // b)(1.0, 0.0)")


MSG_FLOAT_MOD0 = message("(lambda a, b: a % b)(1.0, 0.0)")


MSG_ZERO_NEG_POW = message("(lambda a, b: a ** b)(0.0, -1.0)")


MSG_NEG_SHIFT = message("(lambda a, b: a << b)(1, -1)")


MSG_RANGE_STEP0 = message("range(0, 1, 0)")


MSG_COMPLEX_POW = (
    "negative number raised to a fractional power: CPython would return a complex "
    "number, which ember does not support"
)


MSG_POW_OVERFLOW = "float ** overflowed: result out of range"


MSG_NEG_INT_POW = (
    "negative exponent in int ** int: the result would be a float, but ember types "
    "int ** int as int; write float(x) ** n"
)


MSG_NAN_TO_INT = message("int(float('nan'))")


MSG_INF_TO_INT = message("int(float('inf'))")


MSG_DOMAIN = "math domain error"


MSG_RANGE = "math range error"


MSG_FACTORIAL = message("__import__('math').factorial(-1)")


MSG_ISQRT = message("__import__('math').isqrt(-1)")


MSG_RECURSION = "maximum recursion depth exceeded"


INDEX_MESSAGE = "index %lld is out of bounds for axis %lld with size %lld"


STORE_OVERFLOW_MESSAGE = "Python integer %lld out of bounds for %s"


LOAD_OVERFLOW_MESSAGE = "array element %llu of a uint64 array does not fit in int64"


MSG_BAD_EXTENT = (
    "array argument: the buffer's shape is invalid (an extent is negative or its size in "
    "bytes exceeds the largest Py_ssize_t)"
)


# Fancy and mask indexing, NumPy's data functions (codegen/fancy*.py): NumPy 2's texts.
MASK_SHAPE_MESSAGE = ("boolean index did not match indexed array along axis %lld; size of "
                      "axis is %lld but size of corresponding boolean axis is %lld")
MASK_ASSIGN_MESSAGE = ("NumPy boolean array indexing assignment cannot assign %lld input "
                       "values to the %lld output values where the mask is true")
TAKE_ASSIGN_MESSAGE = ("shape mismatch: value array of shape (%lld,) could not be broadcast "
                       "to indexing result of shape (%lld,)")
BINCOUNT_NEGATIVE = "'list' argument must have no negative elements"
BINCOUNT_MINLENGTH = "'minlength' must not be negative"
BINCOUNT_WEIGHTS = "The weights and list don't have the same length."
HISTOGRAM_BINS = "`bins` must be positive, when an integer"
HISTOGRAM_RANGE = "autodetected range of [%R, %R] is not finite"
HISTOGRAM_TOO_MANY = "Too many bins for data range. Cannot create %lld finite-sized bins."


# Array creation (codegen/creation.py), NumPy 2's texts.
LINSPACE_NUM_MESSAGE = "Number of samples, %lld, must be non-negative."


CONCAT_SHAPE_MESSAGE = (
    "all the input array dimensions except for the concatenation axis must match exactly, "
    "but along dimension %lld, the array at index %lld has size %lld and the array at "
    "index %lld has size %lld"
)


STACK_SHAPE_MESSAGE = "all input arrays must have the same shape"


# Complex numbers (codegen/complex.py): the running CPython's texts.
MSG_COMPLEX_DIV0 = message("(lambda a, b: a / b)(1j, 0j)")


MSG_COMPLEX_ZERO_POW = message("(lambda a, b: a ** b)(0j, -1j)")


MSG_COMPLEX_POW_RANGE = message("(lambda a, b: a ** b)(1e300 + 1e300j, 5.5)")


MSG_COMPLEX_ABS_RANGE = "absolute value too large"  # _Py_c_abs's ERANGE (CPython 3.11+)
