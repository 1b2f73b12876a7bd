"""NumPy 2's type promotion for ufuncs, asked of NumPy itself at compile time: the loop
dtypes of ``np.<name>`` on operands that are dtypes (arrays, strong values) or Python
numbers (NumPy's *weak* scalars, NEP 50)::

    resolve("add", (DType("uint8"), "int"))      -> ((uint8, uint8), uint8)
    resolve("add", (DType("int8"), "float"))     -> ((float64, float64), float64)
    resolve("divide", (DType("int16"), DType("int16")))  -> ((float64, float64), float64)

NumPy is never imported here (the frontend imports no NumPy): it is looked up in
``sys.modules``, where a program that uses arrays has put it. A weak operand is written
``"int"`` or ``"float"`` (an ember int64 or float64 value); a Python bool is NumPy's
``bool`` dtype (the lowest kind, so weak or strong makes no difference).
"""

from __future__ import annotations

import sys
from typing import Any

from ember.native.frontend.operators import RuleError
from ember.native.types import DTYPE_NAMES, DType
from ember.native.ufuncs import COMPLEX, COMPLEX128_ONLY

#: One operand as the resolution sees it: a dtype, or a weak Python number.
Key = DType | str

SUPPORTED_HINT = "compiled code supports bool, int8-64, uint8-64, float32 and float64"


class UFuncTypeError(RuleError):
    """NumPy has no loop for these operand dtypes (NumPy raises a TypeError, e.g.
    ``numpy._core._exceptions._UFuncNoLoopError``); the frontend turns it into a
    compile error that is also a TypeError."""


def numpy_module() -> Any:
    """The imported ``numpy`` module; a RuleError when the program has not imported it
    (it cannot hold arrays then, but a ufunc name may still be reached)."""
    np = sys.modules.get("numpy")
    if np is None:
        raise RuleError("NumPy is not imported", "import numpy as np in this module")
    return np


def _numpy_key(np: Any, key: Key) -> Any:
    if key == "int":
        return int
    if key == "float":
        return float
    if key == "complex":
        return complex
    assert isinstance(key, DType)
    return np.dtype(key.name)


def ember_dtype(dtype: Any, what: str) -> DType:
    """The ember DType of a NumPy dtype; a RuleError naming ``what`` for one compiled
    code lacks (float16, complex, ...)."""
    name = dtype.name
    if name not in DTYPE_NAMES:
        raise RuleError(f"{what} gives {name} in NumPy, a dtype compiled code does not support",
                        "convert the operands first (a.astype(np.float64)); " + SUPPORTED_HINT)
    return DType(name)


def resolve(name: str, keys: tuple[Key, ...]) -> tuple[tuple[DType, ...], DType]:
    """(the dtype each input is cast to, the output dtype) of ``np.<name>`` for
    ``keys``, as ``np.<name>.resolve_dtypes`` answers (NumPy 2 promotion, weak scalars
    included). Raises :class:`UFuncTypeError` with NumPy's message when it has no loop,
    RuleError when the loop uses a dtype outside ember's set."""
    np = numpy_module()
    ufunc = getattr(np, name)
    if all(k in ("int", "float", "complex") for k in keys):
        # Only Python numbers: NumPy converts each to its own array first (np.equal(3, 2)
        # is int64 == int64), so no operand is weak; resolve_dtypes would answer object.
        keys = tuple(DType({"int": "int64", "float": "float64"}.get(k, "complex128"))  # type: ignore[arg-type]
                     for k in keys)
    try:
        dtypes = ufunc.resolve_dtypes((*(_numpy_key(np, k) for k in keys), None))
    except TypeError as exc:
        raise UFuncTypeError(str(exc), _no_loop_hint(name)) from None
    what = f"np.{name}() of {', '.join(map(str, keys))}"
    ins = tuple(ember_dtype(d, what) for d in dtypes[:-1])
    out = ember_dtype(dtypes[-1], what)
    if name not in COMPLEX and any(d.kind == "c" for d in (*ins, out)):
        raise RuleError(f"np.{name}() of complex values is not supported in compiled code",
                        "complex arrays support + - * / and np." + ", np.".join(
                            sorted(COMPLEX - {"add", "subtract", "multiply", "divide"})))
    if name in COMPLEX128_ONLY and DType("complex64") in (*ins, out):
        raise RuleError(f"np.{name}() of complex64 values is not supported in compiled code",
                        "compute in complex128: a.astype(np.complex128)")
    return ins, out


def _no_loop_hint(name: str) -> str:
    if name in ("subtract", "negative"):
        return "for bool arrays use ^ / np.logical_xor (subtract) or ~ / np.logical_not"
    return "convert an operand first, e.g. a.astype(np.int64) or float(x)"


def can_cast_same_kind(src: DType, dst: DType) -> bool:
    """Whether NumPy's ``same_kind`` rule lets a ufunc write ``src`` into ``dst``
    (``a += b``): float64 into float32 yes, float into int no."""
    np = numpy_module()
    return bool(np.can_cast(np.dtype(src.name), np.dtype(dst.name), "same_kind"))


def output_cast_message(name: str, src: DType, dst: DType) -> str:
    """NumPy's text for a same_kind violation of ``a op= b``."""
    return (f"Cannot cast ufunc '{name}' output from dtype('{src}') to dtype('{dst}') with "
            "casting rule 'same_kind'")
