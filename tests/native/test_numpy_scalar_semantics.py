"""NumPy scalars in compiled code (types.NpScalar, frontend/np_scalars.py,
codegen/np_scalars.py): the same function run by CPython + NumPy and compiled gives the
same value (floats bit for bit, NaN as NaN), the same ``type(result)``, the same warnings
(category and message, in order) and the same exception type."""

from __future__ import annotations

import itertools
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from _harness import PROFILE, define  # noqa: E402

from ember.native.runtime.dispatch import jit  # noqa: E402
from ember.native.types import (  # noqa: E402
    BOOL,
    DTYPE_NAMES,
    FLOAT64,
    INT64,
    DType,
    NpScalar,
    promote_dtypes,
    unify,
    weak_dtype,
)

# NumPy scalars are the real dtypes' (complex values are Python complex: test_complex.py).
REAL_DTYPES = tuple(n for n in DTYPE_NAMES if not n.startswith("complex"))

NARROW = ("int8", "int16", "int32", "uint8", "uint16", "uint32", "uint64", "float32")
OPS = ("+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


def outcome(fn: Any, *args: Any) -> tuple[Any, ...]:
    """(value, type, warnings) or ("raised", exception type)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn(*args)
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            return ("raised", _family(exc))
    seen = [(w.category, str(w.message)) for w in caught]
    return (_bits(value), type(value), seen)


def _family(exc: BaseException) -> type:
    # ember's compile errors are also the builtin type NumPy raises (TypeError ...).
    for kind in (OverflowError, ZeroDivisionError, ValueError, TypeError):
        if isinstance(exc, kind):
            return kind
    return type(exc)


def _bits(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(map(_bits, value))
    if isinstance(value, np.ndarray):
        return ("array", value.dtype, value.shape, value.tobytes())
    if isinstance(value, np.floating | float):
        return "nan" if math.isnan(value) else (float(value), math.copysign(1, value))
    return value


def same(f: Any, *args: Any, pow_ulps: bool = False) -> None:
    want = outcome(f.py_func, *_copies(args))
    got = outcome(f, *_copies(args))
    if pow_ulps and got != want and got[0] != "raised" and isinstance(got[0], tuple):
        # NumPy's ufunc loop for power (used when neither operand has the promoted type:
        # np.int8(7) ** 1.5) is its SIMD pow, which may differ from libm's in the last
        # bit; NumPy's scalar math (np.float32(7) ** 2) calls libm, as compiled code.
        assert got[1:] == want[1:] and math.isclose(got[0][0], want[0][0], rel_tol=4e-16)
        return
    assert got == want, (args, [type(a) for a in args])


def _copies(args: tuple[Any, ...]) -> tuple[Any, ...]:
    # Each run gets its own arrays: a function may store into its argument.
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def scalar(dtype: str) -> st.SearchStrategy[Any]:
    d = np.dtype(dtype)
    if d.kind == "f":
        edges = [0.0, -0.0, 1.0, -1.0, 0.5, 3.0, 1e30, -1e38, 3e38, math.inf, -math.inf,
                 math.nan, 1e-40]
        values = st.one_of(st.sampled_from(edges), st.floats(width=32),
                           st.integers(-1000, 1000).map(lambda i: i / 8))
    else:
        info = np.iinfo(d)
        edges = [0, 1, 2, 3, 7, info.max, info.min, info.max - 1, info.min + 1]
        if d.kind == "i":
            edges += [-1, -2, -7]
        values = st.one_of(st.sampled_from(edges), st.integers(int(info.min), int(info.max)),
                           st.integers(-3, 9).filter(lambda v: info.min <= v <= info.max))
    return values.map(d.type)


python_numbers = st.one_of(st.sampled_from([0, 1, 2, -1, 3, 100, 1000, -300, 2**40]),
                           st.sampled_from([0.0, 1.5, -2.0, 0.1, 1e300, math.inf, math.nan]))

_BINOPS = {op: define(f"def np_binop_{i}(x, y):\n    return x {op} y\n", f"np_binop_{i}")
           for i, op in enumerate(OPS)}
_COMPARES = {op: define(f"def np_cmp_{i}(x, y):\n    return x {op} y\n", f"np_cmp_{i}")
             for i, op in enumerate(COMPARISONS)}


# ----------------------------------------------------------------- promotion


def test_promotion_table_is_numpys() -> None:
    for a, b in itertools.product(REAL_DTYPES, repeat=2):
        assert promote_dtypes(DType(a), DType(b)).name == np.result_type(a, b).name, (a, b)


def test_weak_python_numbers_as_numpy() -> None:
    for name in REAL_DTYPES:
        zero = np.dtype(name).type(0)
        assert weak_dtype(INT64, DType(name)).name == np.result_type(zero, 1).name
        assert weak_dtype(FLOAT64, DType(name)).name == np.result_type(zero, 1.0).name
        assert weak_dtype(BOOL, DType(name)).name == np.result_type(name, np.bool_).name


def test_unify_meets_as_numpy_would() -> None:
    f32, i8 = NpScalar(DType("float32")), NpScalar(DType("int8"))
    assert unify(FLOAT64, f32) == f32  # s = 0.0; s += x: a float32
    assert unify(INT64, i8) == i8
    assert unify(f32, i8) == f32
    assert str(unify(FLOAT64, i8)) == "np.float64"


# ----------------------------------------------------------------- arithmetic

pairs = st.tuples(st.sampled_from(NARROW), st.sampled_from(NARROW), st.sampled_from(OPS))


@PROFILE
@given(data=st.data(), case=pairs)
def test_binary_operators_on_two_numpy_scalars(data: st.DataObject, case: tuple[str, ...]) -> None:
    left, right, op = case
    x, y = data.draw(scalar(left)), data.draw(scalar(right))
    same(_BINOPS[op], x, y, pow_ulps=op == "**")


@PROFILE
@given(data=st.data(), dtype=st.sampled_from(NARROW), op=st.sampled_from(OPS),
       python=python_numbers, flip=st.booleans())
def test_binary_operators_with_a_weak_python_number(data: st.DataObject, dtype: str, op: str,
                                                    python: Any, flip: bool) -> None:
    x = data.draw(scalar(dtype))
    same(_BINOPS[op], *((python, x) if flip else (x, python)), pow_ulps=op == "**")


@PROFILE
@given(data=st.data(), left=st.sampled_from(NARROW), right=st.sampled_from(NARROW),
       op=st.sampled_from(COMPARISONS), python=python_numbers)
def test_comparisons(data: st.DataObject, left: str, right: str, op: str, python: Any) -> None:
    x, y = data.draw(scalar(left)), data.draw(scalar(right))
    same(_COMPARES[op], x, y)
    same(_COMPARES[op], x, python)


@jit(cache=False)
def unary_ops(x):
    return -x, +x, abs(x)


@jit(cache=False)
def invert(x):
    return ~x


@PROFILE
@given(data=st.data(), dtype=st.sampled_from(NARROW))
def test_unary_operators(data: st.DataObject, dtype: str) -> None:
    x = data.draw(scalar(dtype))
    same(unary_ops, x)
    if np.dtype(dtype).kind != "f":
        same(invert, x)


def test_int8_overflow_wraps_with_numpys_warning() -> None:
    f = _BINOPS["+"]
    with pytest.warns(RuntimeWarning, match="overflow encountered in scalar add"):
        r = f(np.int8(100), np.int8(100))
    assert type(r) is np.int8 and r == -56
    with pytest.raises(OverflowError, match="Python integer 1000 out of bounds for int8"):
        f(np.int8(1), 1000)


def test_a_warning_turned_error_raises() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning, match="divide by zero encountered in scalar divide"):
            _BINOPS["/"](np.float32(1), np.float32(0))


# ----------------------------------------------------------------- conversions


@jit(cache=False)
def conversions(x):
    return float(x), bool(x), math.sqrt(abs(float(x)))


@jit(cache=False)
def to_int(x):
    return int(x)


@PROFILE
@given(data=st.data(), dtype=st.sampled_from(NARROW))
def test_builtin_conversions_give_pythons_numbers(data: st.DataObject, dtype: str) -> None:
    x = data.draw(scalar(dtype))
    same(conversions, x)
    if np.dtype(dtype).kind == "f" and not math.isfinite(x):
        return
    if -(2**63) <= int(x) < 2**63:  # beyond: ember's int64 raises OverflowError (documented)
        same(to_int, x)
    else:
        with pytest.raises(OverflowError):
            to_int(x)


def test_truth_and_branches() -> None:
    @jit(cache=False)
    def pick(x, y):
        if x < y:
            return x
        return y

    same(pick, np.float32(1.5), np.float32(2.5))
    same(pick, np.int8(-3), np.int8(-4))
    r = _COMPARES["<"](np.float32(1), 2)
    assert type(r) is np.bool_ and r


# ----------------------------------------------------------------- arrays


@jit(cache=False)
def element(a, i):
    return a[i]


@jit(cache=False)
def element_times(a, i):
    x = a[i]
    return x * 2.0


@jit(cache=False)
def dot_loop(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@jit(cache=False)
def int_sum(a):
    s = 0
    for x in a:
        s += x
    return s


def arrays(dtype: str, min_size: int = 1) -> st.SearchStrategy[np.ndarray]:
    return st.lists(scalar(dtype), min_size=min_size, max_size=12).map(
        lambda xs: np.array(xs, dtype=dtype))


@PROFILE
@given(data=st.data(), dtype=st.sampled_from(NARROW))
def test_elements_keep_their_dtype(data: st.DataObject, dtype: str) -> None:
    a = data.draw(arrays(dtype))
    i = data.draw(st.integers(-len(a), len(a) - 1))
    same(element, a, i)
    same(element_times, a, i)


@PROFILE
@given(data=st.data())
def test_float32_loops_round_per_operation(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 12))
    f32 = st.floats(-1e3, 1e3, width=32)
    a = np.array(data.draw(st.lists(f32, min_size=n, max_size=n)), np.float32)
    b = np.array(data.draw(st.lists(f32, min_size=n, max_size=n)), np.float32)
    same(dot_loop, a, b)
    assert type(dot_loop(a, b)) is np.float32


@PROFILE
@given(data=st.data(), dtype=st.sampled_from(("int8", "uint8", "int16", "uint32")))
def test_int_accumulators_wrap_as_numpy(data: st.DataObject, dtype: str) -> None:
    same(int_sum, data.draw(arrays(dtype)))


def test_empty_loop_keeps_the_merged_type() -> None:
    # A documented difference: interpreted, s stays the Python 0 when the loop never
    # runs; compiled, s has one type, the NumPy scalar both values convert to.
    r = int_sum(np.zeros(0, np.int8))
    assert r == 0 and type(r) is np.int8


@jit(cache=False)
def store(out, x):
    out[0] = x
    return out[0]


def test_storing_a_numpy_scalar_casts_as_numpy() -> None:
    same(store, np.zeros(1, np.int8), np.int16(300))  # OverflowError (via int)
    same(store, np.zeros(1, np.int8), np.int16(-3))
    same(store, np.zeros(1, np.uint8), np.int16(300))  # wraps to 44
    same(store, np.zeros(1, np.int8), np.float32(math.nan))  # ValueError
    same(store, np.zeros(1, np.int16), np.float32(-7.5))
    same(store, np.zeros(1, np.float32), np.float32(0.1))
    # (a float64 element reads back as Python's float: frontend/np_scalars.py)
    assert store(np.zeros(1, np.float64), np.float32(0.1)) == float(np.float32(0.1))
    same(store, np.zeros(1, np.uint8), np.int8(-1))
    same(store, np.zeros(1, np.int16), np.uint8(200))


def test_a_numpy_scalar_indexes() -> None:
    a = np.arange(5.0)
    assert element(a, np.int32(3)) == 3.0


# ----------------------------------------------------------------- the boundary


def test_arguments_are_part_of_the_signature() -> None:
    f = define("def np_sig(x):\n    return x\n", "np_sig")
    for value in (np.float32(1.5), np.int8(-3), np.uint64(2**64 - 1), np.uint16(7), 1.5):
        r = f(value)
        assert type(r) is type(value) and r == value
    assert [str(s[0]) for s in f.signatures] == [
        "np.float32", "np.int8", "np.uint64", "np.uint16", "float64"]


def test_python_floats_stay_python_floats() -> None:
    f = define("def np_plain(x):\n    return x + 1.0\n", "np_plain")
    assert type(f(1.0)) is float


def test_a_jit_call_passes_a_numpy_scalar() -> None:
    inner = define("def np_inner(x):\n    return x * 3\n", "np_inner")
    outer = define("def np_outer(x):\n    return np_inner(x) + 1\n", "np_outer",
                   {"np_inner": inner})
    same(outer, np.int8(50))
    same(outer, np.float32(0.1))


@jit(cache=False)
def aug_add(a, i, v):
    a[i] += v
    return a[i]


def test_augmented_stores_compute_in_the_dtype() -> None:
    same(aug_add, np.array([100, 0], np.int8), 0, 100)  # wraps to -56, with the warning
    same(aug_add, np.array([1.5], np.float32), 0, 0.1)
    same(aug_add, np.array([250], np.uint8), 0, np.uint8(10))


@jit(cache=False)
def scaled(a, i):
    return a * a[i]


def test_a_numpy_scalar_in_an_array_expression_is_strong() -> None:
    same(scaled, np.array([100, 2], np.int8), 0)
    same(scaled, np.array([1.5, 2.5], np.float32), 1)


# ----------------------------------------------------------------- reductions

_REDUCTIONS = {name: define(f"def np_red_{name}(a):\n    return a.{name}()\n", f"np_red_{name}")
               for name in ("sum", "max", "min", "mean", "all", "any", "argmax", "prod")}


@pytest.mark.parametrize("dtype", REAL_DTYPES)
@pytest.mark.parametrize("name", sorted(_REDUCTIONS))
def test_whole_array_reductions_return_numpys_scalar(dtype: str, name: str) -> None:
    a = (np.arange(1, 6) % 4).astype(dtype)
    same(_REDUCTIONS[name], a)


@jit(cache=False)
def count_up(a):
    n = 0
    for _ in range(a.sum()):
        n += 1
    return n


def test_a_reduction_is_usable_as_a_python_int() -> None:
    assert count_up(np.array([2, 3], np.int32)) == 5


@jit(cache=False)
def running_max(a):
    m = a[0]
    n = a[0]
    for x in a:
        m = max(m, x)
        n = min(x, n)
    return m, n


@PROFILE
@given(data=st.data(), dtype=st.sampled_from(NARROW))
def test_min_and_max_of_numpy_scalars(data: st.DataObject, dtype: str) -> None:
    same(running_max, data.draw(arrays(dtype)))


@jit(cache=False)
def show(a, i):
    print(a[i], a[i] > 0, a.sum())


@pytest.mark.parametrize("dtype", ["int8", "uint16", "int32", "bool", "float64"])
def test_print_of_numpy_scalars(dtype: str, capsys: pytest.CaptureFixture[str]) -> None:
    a = np.array([3, 0, 1], dtype)
    show.py_func(a, 0)
    want = capsys.readouterr().out
    show(a, 0)
    assert capsys.readouterr().out == want


def test_unsigned_comparisons_of_different_widths() -> None:
    # Regression: ufunc_arith.int_compare took a uint64 next to a uint8 for a signed pair.
    same(_COMPARES["<"], np.uint64(2**64 - 1), np.uint8(0))
    same(_COMPARES[">="], np.uint8(3), np.uint64(2**63))
