"""The NumPy ufuncs compiled code knows, by NumPy's canonical name (``ufunc.__name__``:
``np.abs`` is ``absolute``, ``np.mod`` is ``remainder``, ``np.true_divide`` is ``divide``).

Both the frontend (which recognises ``np.<name>`` calls and operators on arrays, and asks
NumPy itself for the loop's dtypes: ``np.add.resolve_dtypes``) and codegen (which emits
one element of each) read this table, so they agree on what exists::

    >>> ARITY["arctan2"], "sqrt" in MATH, "add" in ARITHMETIC
    (2, True, True)

No llvmlite and no NumPy here.
"""

from __future__ import annotations

# Element-wise arithmetic, comparison, logical and bitwise ufuncs (the operators).
ARITHMETIC: dict[str, int] = {
    "add": 2, "subtract": 2, "multiply": 2, "divide": 2, "floor_divide": 2,
    "remainder": 2, "fmod": 2, "power": 2, "float_power": 2, "negative": 1, "positive": 1,
    "absolute": 1, "fabs": 1, "sign": 1, "square": 1, "reciprocal": 1,
    "minimum": 2, "maximum": 2, "fmin": 2, "fmax": 2,
    "equal": 2, "not_equal": 2, "less": 2, "less_equal": 2, "greater": 2,
    "greater_equal": 2,
    "logical_and": 2, "logical_or": 2, "logical_xor": 2, "logical_not": 1,
    "bitwise_and": 2, "bitwise_or": 2, "bitwise_xor": 2, "invert": 1,
    "left_shift": 2, "right_shift": 2, "conjugate": 1,
}  # fmt: skip

# Element-wise math ufuncs (libm-like functions and float classification).
MATH: dict[str, int] = {
    "sqrt": 1, "cbrt": 1, "exp": 1, "exp2": 1, "expm1": 1, "log": 1, "log2": 1,
    "log10": 1, "log1p": 1, "sin": 1, "cos": 1, "tan": 1, "arcsin": 1, "arccos": 1,
    "arctan": 1, "arctan2": 2, "sinh": 1, "cosh": 1, "tanh": 1, "arcsinh": 1,
    "arccosh": 1, "arctanh": 1, "hypot": 2, "floor": 1, "ceil": 1, "trunc": 1, "rint": 1,
    "isnan": 1, "isinf": 1, "isfinite": 1, "signbit": 1, "copysign": 2,
    "deg2rad": 1, "rad2deg": 1, "degrees": 1, "radians": 1,
}  # fmt: skip

ARITY: dict[str, int] = {**ARITHMETIC, **MATH}

# The ufuncs whose complex loops compiled code has (codegen/ufunc_complex.py); NumPy's
# other complex loops (np.sin of complex, ordering comparisons ...) are refused.
COMPLEX: frozenset[str] = frozenset({
    "add", "subtract", "multiply", "divide", "negative", "positive", "conjugate",
    "absolute", "square", "equal", "not_equal", "sqrt", "exp", "log", "isnan", "isinf",
    "isfinite",
})  # fmt: skip
# Of those, the ones with a complex128 loop only: NumPy's complex64 sqrt/exp/log call
# csqrtf & co., whose packed <2 x float> argument compiled code does not pass yet.
COMPLEX128_ONLY: frozenset[str] = frozenset({"sqrt", "exp", "log"})

# Python's operators on arrays → the ufunc NumPy's ndarray calls for them.
BINARY_OPERATORS: dict[str, str] = {
    "+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "floor_divide",
    "%": "remainder", "**": "power", "&": "bitwise_and", "|": "bitwise_or",
    "^": "bitwise_xor", "<<": "left_shift", ">>": "right_shift",
    "==": "equal", "!=": "not_equal", "<": "less", "<=": "less_equal", ">": "greater",
    ">=": "greater_equal",
}  # fmt: skip
UNARY_OPERATORS: dict[str, str] = {"-": "negative", "+": "positive", "~": "invert"}
