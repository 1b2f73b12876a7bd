"""The differential harness: one strict comparison of a function run interpreted
(CPython, ``f.py_func(*args)``) and compiled (``f(*args)``), shared by every
``test_differential*.py`` file and by the fuzzer's oracle (``_fuzz/oracle.py``).

"Agree" is strict: the same type (``1`` is not ``1.0`` is not ``True``), floats equal
bit for bit or both NaN (``-0.0`` is not ``0.0``), arrays by dtype, shape, values, NaN
positions and signed zeros, the same printed output, or the same exception type. The
only accepted differences are the ones ember documents (the frontend's module docstring
and the native issue), each encoded exactly in :func:`check`:

1. an int result that leaves int64 (CPython's exact answer does not fit) raises
   OverflowError in compiled code — and compiled code must raise exactly that;
2. ``int ** int`` with a negative exponent not known at compile time raises ValueError
   where CPython returns a float (CPython's own errors, ``0 ** -1``, stay as they are);
3. ``x if c else y``, ``a and b``, ``min``/``max`` over mixed types give the unified
   type (int with float → float, bool with int → int): the same value, converted;
4. a negative float raised to a fractional power raises ValueError where CPython returns
   a complex number (ember has no complex type; see ``messages.MSG_COMPLEX_POW``).

Functions are compiled once per type signature; hypothesis drives the values. ``CI=1``
selects a derandomized profile, so a CI failure reproduces locally with the same
command; ``EMBER_DIFF_EXAMPLES=2000`` hunts deeper than the default 200 examples per
test. Imported as the top-level module ``_harness`` (``tests/native`` on ``sys.path``:
the test files put it there, the fuzzer's workers get it in ``PYTHONPATH``), so there
is one copy of it, and of :func:`define`'s registry, per process.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import math
import os
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ember.native.runtime.dispatch import jit

settings.register_profile(
    "ember-differential", max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "ember-differential-ci", parent=settings.get_profile("ember-differential"),
    derandomize=True, database=None, print_blob=True,
)
# EMBER_DIFF_EXAMPLES=2000 for a deeper hunt than the default 200; every budget of the
# differential tests scales with it (examples()).
SCALE = int(os.environ.get("EMBER_DIFF_EXAMPLES", "200")) / 200
PROFILE = settings(settings.get_profile("ember-differential-ci" if os.environ.get("CI")
                                        else "ember-differential"),
                   max_examples=max(1, round(200 * SCALE)))


def examples(default: int) -> settings:
    """The profile with ``default`` examples at the default scale (``EMBER_DIFF_EXAMPLES``
    scales them all): the budget of a test whose examples each compile."""
    return settings(PROFILE, max_examples=max(1, round(default * SCALE)))

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EDGE_INTS = [0, 1, -1, 2, -2, 3, -3, 5, -5, 7, -7, 10, 62, 63, 64, 65, -63, -64, 255, 2**31,
             -(2**31), 2**32, 2**53, 2**53 + 1, -(2**53) - 1, 2**62, -(2**62), 3037000499,
             3037000500, -3037000500, 10**18, -(10**18), INT64_MAX, INT64_MAX - 1, INT64_MIN,
             INT64_MIN + 1, INT64_MAX // 2, INT64_MIN // 2]
SUBNORMALS = [5e-324, -5e-324, 2.225073858507201e-308, -2.225073858507201e-308, 1e-310,
              -1e-310]
EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 2.0, -2.0, 3.0, 0.1,
               1e-5, 123.456, 1e16, 710.0, -745.5, 2.0**53, 2.0**53 + 2, 2.0**63, -(2.0**63),
               2.0**64, 9.2e18, 1e308, -1e308, 1.7976931348623157e308, 2.2250738585072014e-308,
               math.inf, -math.inf, math.nan, -math.nan, math.pi, *SUBNORMALS]

int64s = st.integers(INT64_MIN, INT64_MAX)
ints = st.one_of(st.sampled_from(EDGE_INTS), int64s, st.integers(-1000, 1000))
small_ints = st.integers(-70, 70)
floats = st.one_of(st.sampled_from(EDGE_FLOATS), st.floats(), st.floats(-1e3, 1e3),
                   st.integers(-10**6, 10**6).map(lambda i: i / 4))  # exact halves, quarters
bools = st.booleans()
numbers = st.one_of(ints, floats, bools)


def run(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, type | None, str]:
    """(value, exception type or None, printed text) of ``fn(*args)``; the value is the
    exception's message when it raised."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            value = fn(*args)
    except Exception as exc:  # noqa: BLE001 - comparing exception types is the point
        return str(exc)[:400], type(exc), out.getvalue()
    return value, None, out.getvalue()


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type; floats bit for bit (any NaN equals any NaN, ``-0.0`` is
    not ``0.0``); tuples item by item; NumPy arrays by dtype, shape, values, NaN positions
    and signed zeros."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _same_array(a, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, np.floating):  # np.float32 (not a float): as a 0-d array, NaN included
        return _same_array(np.asarray(a), np.asarray(b))
    return bool(a == b)


def _same_array(a: Any, b: Any) -> bool:
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return False
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "c":  # part by part, each as a float array
        return _same_array(a.real.copy(), b.real.copy()) and _same_array(a.imag.copy(),
                                                                           b.imag.copy())
    if a.dtype.kind != "f":
        return bool(np.array_equal(a, b))
    nan = np.isnan(a)
    if not np.array_equal(nan, np.isnan(b)):
        return False
    return bool(np.array_equal(a[~nan], b[~nan])
                and np.array_equal(np.signbit(a[~nan]), np.signbit(b[~nan])))


def leaves_int64(v: Any) -> bool:
    """Does a (possibly nested) result hold an int outside int64?"""
    if type(v) is int:
        return not INT64_MIN <= v <= INT64_MAX
    if isinstance(v, tuple):
        return any(leaves_int64(x) for x in v)
    return False


def unified(*values: Any) -> type:
    """The Python type of ember's unified type of ``values`` (documented difference 3)."""
    kinds = {type(v) for v in values}
    return float if float in kinds else int if int in kinds else bool


def _convert(value: Any, to: type) -> Any:
    return to(value) if type(value) is not to else value


def show(v: Any) -> str:
    return "<an int beyond int64>" if leaves_int64(v) else repr(v)


def check(jf: Any, *args: Any, unify_to: type | None = None,
          negative_int_pow: bool = False, overflows: bool = False) -> Any:
    """Assert that ``jf(*args)`` behaves as ``jf.py_func(*args)`` up to the documented
    differences, and return CPython's value.

    ``unify_to``: the static result type (difference 3) of a function whose result may
    be either operand. ``negative_int_pow``: the caller knows this call raises an int to
    a negative int exponent not known at compile time (difference 2). ``overflows``: the
    caller knows an intermediate int result leaves int64 (difference 1), so compiled code
    raises OverflowError even where CPython's final answer fits.
    """
    py, py_exc, py_out = run(jf.py_func, args)
    got, got_exc, got_out = run(jf, args)
    where = (f"{jf.__name__}{args!r}: python={show(py)} raised {py_exc}, "
             f"ember={got!r} raised {got_exc}")
    if py_exc is not None:
        py = None  # (it held the message, for ``where``)
    if (py_exc is None and leaves_int64(py)) or (overflows and py_exc is None):
        assert got_exc is OverflowError, where  # difference 1, and nothing looser
        assert py_out.startswith(got_out), f"{where}; printed {py_out!r} vs {got_out!r}"
        return py
    assert got_out == py_out, f"{where}; printed {py_out!r} vs {got_out!r}"
    if py_exc is None and negative_int_pow:
        assert isinstance(py, float) and got_exc is ValueError, where  # difference 2
        return py
    if py_exc is None and isinstance(py, complex):
        assert got_exc is ValueError, where  # difference 4
        return py
    assert got_exc is py_exc, where
    if py_exc is None:
        expected = _convert(py, unify_to) if unify_to is not None else py
        assert same(got, expected), where
    return py


_DEFINED: set[str] = set()


def define(source: str, name: str, namespace: dict[str, Any] | None = None) -> Any:
    """A @jit function from generated source, registered with linecache so that ember's
    frontend finds the source as it would in a file (so each name only once)."""
    assert name not in _DEFINED, f"{name} already defined: its source would be replaced"
    _DEFINED.add(name)
    filename = f"<ember-differential-{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns: dict[str, Any] = {"math": math, **(namespace or {})}
    exec(compile(source, filename, "exec"), ns)
    return jit(cache=False)(ns[name])


def check_overflow(jf: Any, *args: Any) -> None:
    """The compiled call raises OverflowError (the caller knows the exact int result
    leaves int64 without asking CPython to compute it)."""
    with pytest.raises(OverflowError):
        jf(*args)
