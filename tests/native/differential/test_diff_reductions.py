"""Reductions against NumPy (see ``_gen``): each reduction as a method and an ``np.``
function, over every axis spelling (None, int, negative, tuple), ``keepdims`` and
``dtype=``, for every dtype and layout with 0-size and 1-element shapes — values,
result dtypes, and NumPy's exceptions (an empty min/max/argmin is a ValueError, an axis out
of range an AxisError).

Tolerance: none by default — ember claims NumPy's summation order (README: floats bit for
bit). ``mean`` of float32 and ``sum``/``prod``/``cumsum``/``cumprod`` of float32 are compared
exactly too; where a test needs a tolerance it says so on the spot.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ._gen import Spec, agree, batch, edge_shapes, examples, float16_refused, kernel, signature

OPS = ["sum", "prod", "min", "max", "mean", "all", "any", "argmin", "argmax", "cumsum",
       "cumprod", "nansum", "nanmin", "nanmax"]
METHODS = {"sum", "prod", "min", "max", "mean", "all", "any", "argmin", "argmax", "cumsum",
           "cumprod"}
AXES = ["", "axis=None", "axis=0", "axis=-1", "axis=1", "keepdims=True", "axis=0, keepdims=True",
        "axis=(0, -1)", "axis=(0, 1), keepdims=True", "axis=-2", "axis=2"]
DTYPE_KW = ["dtype=np.float64", "dtype=np.int64", "axis=0, dtype=np.float32",
            "dtype=np.int8", "axis=-1, dtype=np.uint32"]
TAKES_DTYPE = {"sum", "prod", "mean", "cumsum", "cumprod", "nansum"}
NO_TUPLE = {"argmin", "argmax", "cumsum", "cumprod"}  # NumPy: an int axis only
NO_KEEPDIMS = {"cumsum", "cumprod"}


def _specs(op: str) -> list[str]:
    out = [s for s in AXES if not (op in NO_TUPLE and "(" in s)
           and not (op in NO_KEEPDIMS and "keepdims" in s)]
    return out + (DTYPE_KW if op in TAKES_DTYPE else [])


CASES = [(op, how, spec) for op in OPS for spec in _specs(op)
         for how in (("method", "function") if op in METHODS else ("function",))]
KERNELS = {case: kernel(f"red_{i}", "def k(a):\n    return " + (
    f"a.{case[0]}({case[2]})" if case[1] == "method" else
    f"np.{case[0]}(a{', ' + case[2] if case[2] else ''})") + "\n")
    for i, case in enumerate(CASES)}


def refused(case):  # noqa: ANN001, ANN201
    """The clear compile errors this suite accepts in place of NumPy's answer: ``mean``
    with an integer ``dtype=`` (its hint: pass a float dtype), and float16 results."""

    def why(py, args):  # noqa: ANN001, ANN202
        if case[0] == "mean" and ("int" in case[2]):
            return "mean() with an integer dtype"
        return float16_refused(py, args)

    return why


def overflows(case):  # noqa: ANN001, ANN201
    """The documented difference (README): a reduction over every axis returns ember's
    int, so one whose exact value leaves int64 (an int sum or product, a uint64 result of
    2**63 or more) raises OverflowError where NumPy wraps."""

    def why(py, args) -> bool:  # noqa: ANN001
        if not isinstance(py, np.integer):
            return False
        if int(py) > 2**63 - 1:
            return True
        if case[0] not in ("sum", "prod", "nansum"):
            return False
        items = [int(x) for x in args[0].astype(py.dtype).ravel()]
        exact = math.prod(items) if case[0] == "prod" else sum(items)
        return not -(2**63) <= exact <= 2**63 - 1

    return why


@examples(90)
@given(st.sampled_from(CASES), signature(), st.data())
def test_reductions(case, sig, data) -> None:  # noqa: ANN001
    if sig[0] == "bool" and case[0] == "prod" and "int8" in case[2]:
        return  # test_bool_prod_into_int8_compiles' strict xfail: a known bug
    for spec in data.draw(batch(sig, n=4, forced=edge_shapes(sig[1]))):
        agree(KERNELS[case], spec, refused=refused(case), overflows=overflows(case))



@pytest.mark.xfail(strict=True, reason=(
    "a.prod(dtype=np.int8) of a bool array is an internal compile error (an i64 product "
    "stored into the i8 accumulator): to fix in codegen's reductions"))
def test_bool_prod_into_int8_compiles() -> None:
    agree(KERNELS[("prod", "method", "dtype=np.int8")], Spec("bool", (0,), "C", ()))


@pytest.mark.parametrize("case", [("sum", "method", "axis=-1, dtype=np.uint32"),
                                  ("sum", "function", "dtype=np.int8"),
                                  ("cumsum", "method", "dtype=np.int64")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floats_reduced_into_an_int_dtype_are_numpys_cast(case, dtype: str) -> None:  # noqa: ANN001
    # Regression: sum(dtype=np.uint32) of floats converted with LLVM's fptoui (poison for
    # a negative value: -2.0 became 4294967295); now NumPy's C cast, as astype.
    agree(KERNELS[case], Spec(dtype, (3,), "C", (-2.5, -1.0, -2.0, 3.7, -0.5, 0.0)))
