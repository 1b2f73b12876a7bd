"""Every ufunc of ``ember.native.ufuncs`` against NumPy (see ``_gen``): unary ones on
arrays of every dtype and layout, binary ones on broadcast pairs of any two dtypes, and
both on Python scalars — values bit for bit (the README's claim: NumPy's own bits), result
dtypes, and the exception type where NumPy has no loop (TypeError: ``np.sqrt`` of a bool
array would be float16, ``np.invert`` of a float). A NumPy scalar result is compared with
ember's Python number by exact value (``_gen.same_value``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ember.native.ufuncs import ARITY

from ._gen import (
    DTYPES,
    LAYOUTS,
    agree,
    batch,
    broadcast_pair,
    examples,
    float16_refused,
    kernel,
    same_value,
    signature,
    specs,
)

UNARY = sorted(n for n, k in ARITY.items() if k == 1)
BINARY = sorted(n for n, k in ARITY.items() if k == 2)
CALLS = {name: kernel(f"uf_{name}", f"def k(a):\n    return np.{name}(a)\n") for name in UNARY}
CALLS.update({name: kernel(f"uf_{name}", f"def k(a, b):\n    return np.{name}(a, b)\n")
              for name in BINARY})




def _stride_dependent() -> list[tuple[str, str]]:
    """(ufunc, float dtype) pairs whose NumPy answer depends on the sign of the input
    stride on this machine: NumPy runs its SIMD (SVML) loop only for non-negative strides
    and the scalar libm loop otherwise, and the two differ by an ULP for some inputs.
    Measured here, on NumPy's own results (an empty list on a CPU without those loops)."""
    rng = np.random.default_rng(12)
    out = []
    for dt in ("float32", "float64"):
        x = np.concatenate([rng.uniform(-1, 1, 512), rng.uniform(-40, 40, 512)]).astype(dt)
        y = rng.uniform(-3, 3, x.size).astype(dt)
        for name in sorted(ARITY):
            args = (x, y)[:ARITY[name]]
            try:
                with np.errstate(all="ignore"):
                    forward = getattr(np, name)(*args)
                    backward = getattr(np, name)(*(a[::-1].copy()[::-1] for a in args))
            except TypeError:
                continue
            differ = int(np.sum(~((forward == backward) | np.isnan(forward) & np.isnan(backward))))
            if differ:
                out.append((name, dt, differ))
    return out


_DEPENDENT = _stride_dependent()
STRIDE_DEPENDENT = [(n, d) for n, d, _ in _DEPENDENT]
# The xfails: pairs where NumPy's two loops differ often enough (8 of 1024 values) that
# compiled code's single answer certainly differs from one of them on these inputs.
STRIDE_XFAILS = [(n, d) for n, d, k in _DEPENDENT if k >= 8]


def _positive_strides(name: str, dtype: str, layout: str) -> str:
    """``layout``, or "step" where NumPy's own answer would depend on a negative stride
    (those cases are test_negative_strides_pick_numpys_loop's strict xfails)."""
    return "step" if layout == "reverse" and (name, dtype) in STRIDE_DEPENDENT else layout


def refused(name: str):  # noqa: ANN201
    """The documented compile errors: a NumPy loop in float16 (``np.sqrt`` of a bool,
    int8 or uint8 array; ``np.signbit`` of a bool, whose result is bool), and
    ``np.reciprocal`` of ints (its hint says to write ``1.0 / a`` or ``1 // a``)."""
    ufunc = getattr(np, name)

    def why(py, args):  # noqa: ANN001, ANN202
        if name == "reciprocal" and getattr(py, "dtype", np.dtype("f8")).kind in "iub":
            return "reciprocal"
        ins = tuple(a.dtype if isinstance(a, np.ndarray) else
                    np.dtype(bool) if isinstance(a, bool) else type(a) for a in args)
        try:
            loop = ufunc.resolve_dtypes((*ins, None))
        except TypeError:
            return None  # no loop at all: compared as an exception
        return "float16" if np.dtype("f2") in loop else float16_refused(py, args)

    return why


@examples(70)
@given(st.sampled_from(UNARY), signature(), st.data())
def test_unary_ufuncs_on_arrays(name: str, sig, data) -> None:  # noqa: ANN001
    sig = (sig[0], sig[1], _positive_strides(name, sig[0], sig[2]))
    for spec in data.draw(batch(sig, n=3)):
        agree(CALLS[name], spec, refused=refused(name))


@examples(60)
@given(st.sampled_from(BINARY), st.sampled_from([1, 2]), st.data())
def test_binary_ufuncs_on_arrays(name: str, ndim: int, data) -> None:  # noqa: ANN001
    sa, sb = data.draw(broadcast_pair(ndim))
    da, db = data.draw(st.sampled_from(DTYPES)), data.draw(st.sampled_from(DTYPES))
    la, lb = data.draw(st.sampled_from(LAYOUTS)), data.draw(st.sampled_from(LAYOUTS))
    la, lb = _positive_strides(name, da, la), _positive_strides(name, db, lb)
    for _ in range(2):
        agree(CALLS[name], data.draw(specs(da, sa, la)), data.draw(specs(db, sb, lb)),
              refused=refused(name))


scalars = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0]),
                    st.integers(-(2**63), 2**63 - 1), st.integers(-3, 3), st.booleans())


def _zero_tie(name: str, args: list) -> bool:
    # Zeros of any number type: fmax(-0.0, 0) converts the 0 and ties the same way.
    return (name in ("fmax", "fmin") and any(type(a) is float for a in args)
            and all(a == 0 for a in args))


@pytest.mark.parametrize("name", ["fmax", "fmin"])
@pytest.mark.xfail(strict=True, reason=(
    "NumPy's fmax/fmin of two scalars (its scalar loop: libm fmax) return the FIRST of "
    "0.0 and -0.0, of arrays (its SIMD loop) the second; compiled code gives the array "
    "answer for scalars too"))
def test_fmax_fmin_of_scalar_zeros(name: str) -> None:
    agree(CALLS[name], 0.0, -0.0)


@examples(60)
@given(st.sampled_from(UNARY + BINARY), st.data())
def test_ufuncs_on_python_scalars(name: str, data) -> None:  # noqa: ANN001
    args = [data.draw(scalars) for _ in range(ARITY[name])]
    kinds = [type(a) for a in args]
    for _ in range(3):  # more values of the same types: one compilation
        if not _zero_tie(name, args):  # test_fmax_fmin_of_scalar_zeros' strict xfail
            agree(CALLS[name], *args, refused=refused(name))
        args = [data.draw(scalars.filter(lambda v, t=t: type(v) is t)) for t in kinds]


@pytest.mark.parametrize(("name", "dtype"), STRIDE_XFAILS or [pytest.param(
    "none", "float64", marks=pytest.mark.skip(reason="NumPy's loops agree on this CPU"))])
@pytest.mark.xfail(strict=True, reason=(
    "NumPy computes these float ufuncs with its SVML loop for non-negative strides but "
    "with libm for a negative-stride input (an ULP apart for some values); compiled code "
    "always calls the SVML symbols, so a[::-1] inputs can differ from NumPy by an ULP"))
def test_negative_strides_pick_numpys_loop(name: str, dtype: str) -> None:
    rng = np.random.default_rng(12)
    x = np.concatenate([rng.uniform(-1, 1, 512), rng.uniform(-40, 40, 512)]).astype(dtype)
    y = rng.uniform(-3, 3, x.size).astype(dtype)
    args = tuple(a[::-1] for a in (x, y)[:ARITY[name]])
    with np.errstate(all="ignore"):
        assert same_value(CALLS[name](*args), getattr(np, name)(*args))


@pytest.mark.parametrize("name", ["power", "float_power", "arctan2"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_power_is_numpys_bit_for_bit(name: str, dtype: str) -> None:
    # Regression: np.power (and a ** b) of float arrays called libm's pow where NumPy's
    # AVX512_SKX loop calls SVML's (an ULP apart for ~1% of inputs); float_power is libm.
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-1, 1, 3000), rng.uniform(0, 40, 3000)]).astype(dtype)
    y = rng.uniform(-3, 3, x.size).astype(dtype)
    agree(CALLS[name], x, y)
