"""Generators and the one comparison of the NumPy differential suite.

Every test here compiles a small kernel once (``kernel``: a ``@jit`` function from source,
registered with linecache as a file's would be) and feeds it arrays that hypothesis
generates: every dtype ember has, shapes with 0-size and 1-element axes, broadcast pairs
(and pairs that do not broadcast), and five layouts — C, Fortran, a stepped view, a
negative-stride view and a transposed view. :func:`agree` runs the kernel's Python original
(plain NumPy) and the compiled code on independent copies of the same inputs and demands
the same outcome:

- the same exception type (ember's compile-time errors are its own subclasses of the
  built-in exception NumPy raises; ``np.exceptions.AxisError`` counts as its bases);
- otherwise results equal bit for bit (:func:`_harness.same`: dtype, shape, values, NaN
  positions, signed zeros), tuples item by item, and every array argument equal after the
  call (so in-place operations are compared too);
- a NumPy scalar result against ember's Python number: the value must be exactly the
  NumPy scalar's value (``float(np.float32(x))`` is exact) — the scalar's *type* is the
  one documented difference (README: "over every axis they return ember's int/float/bool");
  ``test_diff_scalars.py`` holds the strict xfail that records it.

A drawn example is one array *signature* (dtype, ndim, layout) and several shapes of it, so
one compilation serves many inputs; ``EMBER_DIFF_EXAMPLES`` scales every test's examples
(``CI=1`` derandomizes, as in ``_harness``). Tolerances exist only where the brief allows
them, for reorderable reductions, and each one is named where it is used.
"""

from __future__ import annotations

import math
import struct
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # _harness, any import mode
import _harness as H  # noqa: E402

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.types import DTYPE_NAMES  # noqa: E402

# Real dtypes: complex arrays have their own suite (tests/native/test_complex_arrays.py).
DTYPES: tuple[str, ...] = tuple(n for n in DTYPE_NAMES if not n.startswith("complex"))
INTS = tuple(d for d in DTYPES if d[0] in "iu")
FLOATS = ("float32", "float64")
LAYOUTS = ("C", "F", "step", "reverse", "T")
NS: dict[str, Any] = {"np": np, "math": math}


def examples(default: int) -> settings:
    """The harness's profile with ``default`` examples, scaled by ``EMBER_DIFF_EXAMPLES``
    (its default 200 is the harness's scalar budget; here each example compiles)."""
    return H.examples(default)


def kernel(name: str, source: str) -> Any:
    """``def dx_<name>(...)`` compiled lazily (per signature) from ``source``: the body
    after the ``def`` line, so a test names its kernel once."""
    return H.define(source.replace("def k(", f"def dx_{name}(", 1), f"dx_{name}", NS)


# ------------------------------------------------------------ values and arrays

_EDGE_F = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 7.0, -7.0, 1e-3, 1e10, -1e10, 1e300,
           5e-324, math.inf, -math.inf, math.nan, 2.0**31, 255.5, -128.5, 0.1]
_EDGE_I = [0, 1, -1, 2, -2, 3, 5, 7, -7, 63, 64, 100, 127, -128, 255, 256, 1000, 32767,
           -32768, 2**31 - 1, -(2**31), 2**32, 2**62]


def values(dtype: str) -> st.SearchStrategy[Any]:
    """Values of ``dtype``: its edges (min, max, 0, NaN, inf, -0.0, ...) and random ones."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return st.booleans()
    if dt.kind == "f":
        return st.one_of(st.sampled_from(_EDGE_F), st.floats(-1e3, 1e3),
                         st.floats(width=32 if dt.itemsize == 4 else 64))
    info = np.iinfo(dt)
    edges = [v for v in _EDGE_I if info.min <= v <= info.max] + [int(info.min), int(info.max)]
    return st.one_of(st.sampled_from(edges), st.integers(int(info.min), int(info.max)),
                     st.integers(max(-20, int(info.min)), 20))


def python_scalars(dtype: str) -> st.SearchStrategy[Any]:
    """Weak Python scalars (bool, int within int64, float) of ``dtype``'s values."""
    def as_python(v: Any) -> Any:
        return bool(v) if dtype == "bool" else float(v) if dtype[0] == "f" else int(v)

    return values(dtype).map(as_python).filter(
        lambda v: type(v) is not int or -(2**63) <= v < 2**63)  # int args are int64 (README)


@dataclass(frozen=True)
class Spec:
    """How to build one input array, so both sides get their own identical copy."""

    dtype: str
    shape: tuple[int, ...]
    layout: str
    flat: tuple[Any, ...]  # 2 * size values: room for a stepped view

    def build(self) -> np.ndarray:
        size = math.prod(self.shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NaN/inf into an int dtype cannot come here
            base = np.array(self.flat, dtype=self.dtype)
        if self.layout == "step":
            return base[::2].reshape(self.shape) if self.shape else base[:1].reshape(())
        if self.layout == "reverse":
            return base[:size][::-1].reshape(self.shape)
        if self.layout == "T":
            return base[:size].reshape(self.shape[::-1]).T
        a = base[:size].reshape(self.shape)
        return np.asfortranarray(a) if self.layout == "F" else a

    def __repr__(self) -> str:
        return f"np.array({self.build()!r}) [{self.layout}]"


@st.composite
def specs(draw: st.DrawFn, dtype: str, shape: tuple[int, ...], layout: str) -> Spec:
    size = math.prod(shape)
    flat = draw(st.lists(values(dtype), min_size=2 * size, max_size=2 * size))
    return Spec(dtype, shape, layout, tuple(flat))


def shapes(ndim: int, max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes of ``ndim`` axes, 0-size and 1-element ones often."""
    side = st.one_of(st.sampled_from([0, 1, 1, 2, 3]), st.integers(0, max_side))
    return st.tuples(*[side] * ndim)


@st.composite
def signature(draw: st.DrawFn, dtypes: tuple[str, ...] = DTYPES, ndims: tuple[int, ...] =
              (1, 2, 3), layouts: tuple[str, ...] = LAYOUTS) -> tuple[str, int, str]:
    return (draw(st.sampled_from(dtypes)), draw(st.sampled_from(ndims)),
            draw(st.sampled_from(layouts)))


@st.composite
def batch(draw: st.DrawFn, sig: tuple[str, int, str], n: int = 4,
          forced: tuple[tuple[int, ...], ...] = ()) -> list[Spec]:
    """``n`` arrays of one signature (one compilation): the ``forced`` shapes first (the
    edges every run should see), then drawn ones."""
    dtype, ndim, layout = sig
    out = [draw(specs(dtype, s, layout)) for s in forced if len(s) == ndim]
    while len(out) < n:
        out.append(draw(specs(dtype, draw(shapes(ndim)), layout)))
    return out


def edge_shapes(ndim: int) -> tuple[tuple[int, ...], ...]:
    """A 0-size and a 1-element shape of ``ndim`` axes."""
    return ((0,) + (2,) * (ndim - 1), (1,) * ndim)


@st.composite
def broadcast_pair(draw: st.DrawFn, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast (trailing axes aligned, some of them 1, the second often
    shorter) or, one time in eight, two that do not (NumPy's ValueError)."""
    a = draw(shapes(ndim))
    b = list(a[draw(st.integers(0, ndim - 1)):])  # 0-d arrays are refused (README)
    for i in range(len(b)):
        if draw(st.integers(0, 3)) == 0:
            b[i] = 1
    a = tuple(1 if draw(st.integers(0, 5)) == 0 else s for s in a)
    if b and draw(st.integers(0, 7)) == 0:
        b[-1] = a[-1] + 2  # does not broadcast
    pair = (a, tuple(b))
    return pair[::-1] if draw(st.booleans()) else pair


# ------------------------------------------------------------ the comparison


def _build(v: Any) -> Any:
    if isinstance(v, Spec):
        return v.build()
    if isinstance(v, tuple):
        return tuple(_build(x) for x in v)
    return v


def run(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, type | None, list[Any]]:
    """(result or message, exception type, the arguments after the call)."""
    built = [_build(a) for a in args]
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # warnings are test_diff_warnings.py's subject
            return fn(*built), None, built
    except Exception as exc:  # noqa: BLE001 - the exception type is what is compared
        return f"{type(exc).__name__}: {str(exc)[:300]}", type(exc), built


def same_exception(got: type, expected: type) -> bool:
    """Is ember's exception NumPy's? The same class, a subclass (ember's compile-time
    errors are EmberError subclasses of the built-in kind), or — for NumPy's own classes
    (AxisError, UFuncTypeError) — an EmberError that is each of their built-in bases."""
    if issubclass(got, expected):
        return True
    return issubclass(got, EmberError) and expected.__module__.startswith("numpy") and all(
        issubclass(got, b) for b in expected.__mro__[1:] if b.__module__ == "builtins"
        and b not in (object, BaseException, Exception))


def same_value(got: Any, expected: Any) -> bool:
    """:func:`_harness.same`, and a NumPy scalar against ember's Python number by exact
    value (the scalar type is the one documented difference; see the module docstring)."""
    if isinstance(expected, np.generic) and not isinstance(got, np.generic):
        if isinstance(got, bool) or type(got) not in (int, float):
            return type(got) is bool and expected.dtype.kind == "b" and got == bool(expected)
        if expected.dtype.kind == "f":
            if type(got) is not float:
                return False
            e = float(expected)
            if math.isnan(e):
                return math.isnan(got)
            return struct.pack("<d", e) == struct.pack("<d", got)
        return type(got) is int and expected.dtype.kind in "iu" and got == int(expected)
    if isinstance(expected, tuple) and isinstance(got, tuple):
        return len(got) == len(expected) and all(
            same_value(g, e) for g, e in zip(got, expected, strict=True))
    return H.same(got, expected)


def close(rtol: float, atol: float = 0.0) -> Callable[[Any, Any], bool]:
    """A comparison for reorderable reductions: dtype and shape exactly, NaN/inf
    positions exactly, finite values within ``rtol``/``atol``."""

    def compare(got: Any, expected: Any) -> bool:
        if isinstance(expected, np.generic | float) and not isinstance(got, np.ndarray):
            expected = np.asarray(expected)
            got = np.asarray(got, dtype=expected.dtype)
        if not (isinstance(got, np.ndarray) and isinstance(expected, np.ndarray)):
            return False
        if got.dtype != expected.dtype or got.shape != expected.shape:
            return False
        return bool(np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True))

    return compare


def float16_refused(py: Any, args: list[Any]) -> str | None:
    """The documented refusal (README): a result NumPy computes in float16 is a compile
    error naming float16."""
    results = py if isinstance(py, tuple) else (py,)
    return "float16" if any(getattr(r, "dtype", None) == np.float16 for r in results) else None


def agree(fn: Any, *args: Any, compare: Callable[[Any, Any], bool] = same_value,
          shares: bool = False,
          refused: Callable[[Any, list[Any]], str | None] = float16_refused,
          overflows: Callable[[Any, list[Any]], bool] | None = None) -> Any:
    """``fn`` (a kernel) compiled and its Python original (NumPy) agree on ``args``
    (Specs are built afresh for each side): the exception type, or the value and the
    arguments after the call; with ``shares``, whether the result is a view of the first
    argument too. ``refused(numpy_result, arguments)`` names a documented compile-time refusal: then
    ember must raise EmberError with that text in its message; ``overflows(numpy_result,
    arguments)`` names the documented OverflowError (an int leaving int64 where NumPy
    wraps). Returns NumPy's result."""
    py, py_exc, py_args = run(fn.py_func, args)
    got, got_exc, got_args = run(fn, args)
    where = (f"{fn.__name__}{tuple(_build(a) for a in args)!r}: numpy={py!r} ({py_exc}), "
             f"ember={got!r} ({got_exc})")
    # A documented refusal is a compile error: it comes before any run-time error NumPy
    # raises (then ``refused`` sees None for NumPy's result).
    refusal = refused(py if py_exc is None else None, py_args)
    if refusal is not None:
        assert got_exc is not None and issubclass(got_exc, EmberError), where
        assert refusal in got, where
        return py
    if overflows is not None and py_exc is None and overflows(py, py_args):
        assert got_exc is OverflowError, where  # the documented difference, nothing looser
        return py
    if py_exc is not None or got_exc is not None:
        assert py_exc is not None and got_exc is not None, where
        assert same_exception(got_exc, py_exc), where
        return None
    assert compare(got, py), where
    for p, g in zip(py_args, got_args, strict=True):
        if isinstance(p, np.ndarray):
            assert H.same(g, p), f"{where}; arguments after the call: {p!r} vs {g!r}"
    if shares and isinstance(py, np.ndarray):
        assert np.shares_memory(got, got_args[0]) == np.shares_memory(py, py_args[0]), \
            f"{where}: a view in one and a copy in the other"
    return py
