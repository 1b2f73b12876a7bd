"""Creation functions and ``astype`` against NumPy (see ``_gen``): shapes from ints
(negative ones: NumPy's ValueError), dtypes passed in as arguments (one specialization
each), fill values of every kind (a weak Python scalar into any dtype: NumPy's
OverflowError for an int out of range), ``arange``/``linspace`` with int and float bounds,
``eye``/``identity``, the ``*_like`` functions of every layout, copies, and ``astype``
between every pair of dtypes (NaN, inf and out-of-range floats to ints included: NumPy's
C casts on x86-64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ember.diagnostics import EmberError

from ._gen import (
    DTYPES,
    Spec,
    agree,
    batch,
    edge_shapes,
    examples,
    float16_refused,
    kernel,
    signature,
    values,
)

dtypes = st.sampled_from([getattr(np, d) if d != "bool" else np.bool_ for d in DTYPES])
sides = st.one_of(st.integers(0, 4), st.sampled_from([-1, 0, 1]))

SHAPED = {name: kernel(f"new_{name}", f"def k(n, m, dt):\n    return {src}\n") for name, src in {
    "zeros": "np.zeros((n, m), dt)", "ones": "np.ones((m, n), dtype=dt)",
    "zeros1": "np.zeros(n, dtype=dt)", "empty": "np.empty((n, m), dt).shape",
    "empty_dtype": "np.empty(n, dtype=dt)[:0]", "eye": "np.eye(n, m, 1, dtype=dt)",
    "eye_k": "np.eye(n, k=-m, dtype=dt)", "identity": "np.identity(n, dt)",
    "arange": "np.arange(n, dtype=dt)", "arange3": "np.arange(m, n, 2, dtype=dt)",
}.items()}
FULL = kernel("full", "def k(n, v, dt):\n    return np.full((n, 2), v, dt)\n")
FULL_WEAK = kernel("full_weak", "def k(n, v):\n    return np.full(n, v)\n")
RANGES = {src: kernel(f"range_{i}", f"def k(a, b, n):\n    return {src}\n") for i, src in
          enumerate(["np.arange(a, b)", "np.arange(a, b, n)", "np.arange(b)",
                     "np.linspace(a, b, n)", "np.linspace(a, b, n, endpoint=False)"])}
LIKES = {src: kernel(f"like_{i}", f"def k(a, v, dt):\n    return {src}\n") for i, src in
         enumerate(["np.zeros_like(a)", "np.ones_like(a, dtype=dt)", "np.full_like(a, v)",
                    "np.full_like(a, v, dt)", "np.empty_like(a).shape", "np.copy(a)",
                    "a.copy()", "np.empty_like(a, dtype=dt).dtype", "a.astype(dt)",
                    "np.array(a)", "np.asarray(a, dtype=dt)"])}
LITERAL = kernel("literal", "def k(x, y):\n    return np.array([[x, y], [y, x]]), "
                 "np.array((x, 1, True)), np.asarray([y, 2.5])\n")


def arange_bool_refused(py, args):  # noqa: ANN001, ANN201
    """``np.arange`` with a bool dtype is a clear compile error (NumPy allows it only for
    at most 2 elements)."""
    return "arange() with a bool dtype" if args[-1] is np.bool_ else float16_refused(py, args)


@examples(40)
@given(st.sampled_from(sorted(SHAPED)), dtypes, sides, sides)
def test_shaped_creation(name: str, dt, n: int, m: int) -> None:  # noqa: ANN001
    refused = arange_bool_refused if name.startswith("arange") else float16_refused
    if refused is arange_bool_refused and dt is np.bool_:
        with pytest.raises(EmberError, match="arange.. with a bool dtype"):
            SHAPED[name](n, m, dt)
        return
    agree(SHAPED[name], n, m, dt)
    agree(SHAPED[name], m, n, dt)  # the same signature again


def _weak(dtype: str):  # noqa: ANN202
    return values(dtype).map(lambda v: bool(v) if dtype == "bool" else float(v)
                             if dtype[0] == "f" else int(v)).filter(
        lambda v: not isinstance(v, int) or -(2**63) <= v < 2**63)


EMPTY_DTYPE = kernel("empty_dtype_attr", "def k(n):\n    return np.empty(n).dtype, 0\n")


@pytest.mark.xfail(strict=True, reason=(
    "frontend/creation.attribute folds a.dtype (and a.itemsize) to a constant without "
    "evaluating the array expression, so np.empty(-1).dtype returns float64 where NumPy "
    "raises ValueError (negative dimensions)"))
def test_dtype_of_a_failing_expression_raises() -> None:
    agree(EMPTY_DTYPE, -1)


@pytest.mark.parametrize("v", [1e10, 128.0, -129.5, 300.7, math.nan, -math.inf, 2.0**63, -1.5])
@pytest.mark.parametrize("dt", [np.int8, np.uint8, np.int32, np.uint64, np.int64])
def test_full_casts_a_float_fill_unsafely(dt, v: float) -> None:  # noqa: ANN001
    # Regression: np.full/full_like are copyto(..., casting="unsafe"), so a float fill is
    # C-cast (np.full(2, 1e10, np.int8) is [0, 0]); compiled code used to apply setitem's
    # rule and raise OverflowError. (a.fill(v) and a[...] = v do raise: setitem's rule.)
    agree(FULL, 2, v, dt)
    agree(LIKES["np.full_like(a, v)"], Spec(np.dtype(dt).name, (3,), "C", (0,) * 6), v, dt)


@examples(30)
@given(dtypes, st.sampled_from(["bool", "int64", "float64"]), st.data())
def test_full_with_weak_scalars(dt, vkind: str, data) -> None:  # noqa: ANN001
    for _ in range(3):
        v = data.draw(_weak(vkind))
        agree(FULL, data.draw(sides), v, dt)
        agree(FULL_WEAK, data.draw(sides), v)


@examples(40)
@given(st.sampled_from(sorted(RANGES)), st.sampled_from([int, float]), st.data())
def test_ranges(src: str, kind, data) -> None:  # noqa: ANN001
    num = (st.integers(-20, 20) if kind is int else
           st.one_of(st.floats(-20, 20), st.sampled_from([0.0, -0.0, 0.5, 1e-9])))
    step = st.integers(-5, 5) if "arange" in src else st.integers(0, 7)
    for _ in range(3):
        agree(RANGES[src], data.draw(num), data.draw(num), data.draw(step))


@examples(50)
@given(st.sampled_from(sorted(LIKES)), signature(), dtypes, st.data())
def test_likes_copies_and_astype(src: str, sig, dt, data) -> None:  # noqa: ANN001
    v = data.draw(_weak(data.draw(st.sampled_from(["bool", "int64", "float64"]))))
    for spec in data.draw(batch(sig, n=3, forced=edge_shapes(sig[1]))):
        agree(LIKES[src], spec, v, dt)


@examples(20)
@given(st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(), st.booleans()),
       st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(), st.booleans()))
def test_array_literals(x, y) -> None:  # noqa: ANN001
    agree(LITERAL, x, y)
