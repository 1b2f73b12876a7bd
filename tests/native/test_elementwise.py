"""Array expressions (frontend/elementwise.py, codegen/elementwise.py, ufunc_arith.py):
differential against NumPy 2 — every dtype pair, broadcast shape pairs (0-size,
1-element, n-d), non-contiguous, negative-stride and Fortran inputs, weak scalars with
edge values, NaN/inf/-0.0 — comparing values bit for bit, dtype, shape and exception
type through the one harness; plus fusion (one allocation), in-place, errors."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, define, examples  # noqa: E402

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.types import DTYPE_NAMES  # noqa: E402

# The real dtypes: complex arrays are tested in test_complex_arrays.py (sorting, searching
# and NumPy's other complex loops are refused there).
DTYPE_NAMES = tuple(d for d in DTYPE_NAMES if not d.startswith("complex"))

NS = {"np": np}
BINARY = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>",
          "==", "!=", "<", "<=", ">", ">="]
FUNCS = {op: define(f"def ew_bin_{i}(a, b):\n    return a {op} b\n", f"ew_bin_{i}", NS)
         for i, op in enumerate(BINARY)}
UNARY = {op: define(f"def ew_un_{i}(a):\n    return {op}a\n", f"ew_un_{i}", NS)
         for i, op in enumerate(["-", "+", "~"])}
UFUNCS2 = ["minimum", "maximum", "fmin", "fmax", "fmod", "logical_and", "logical_or",
           "logical_xor", "float_power"]
UFUNCS1 = ["absolute", "negative", "sign", "square", "logical_not", "fabs"]
CALLS = {name: define(f"def ew_{name}(a, b):\n    return np.{name}(a, b)\n", f"ew_{name}", NS)
         for name in UFUNCS2}
CALLS.update({name: define(f"def ew_{name}(a):\n    return np.{name}(a)\n", f"ew_{name}", NS)
              for name in UFUNCS1})
FUSED = define("def ew_fused(a, b, c, d):\n    return (a * b + c) / d - 1\n", "ew_fused", NS)
WHERE = define("def ew_where(c, x, y):\n    return np.where(c, x, y)\n", "ew_where", NS)
CLIP = define("def ew_clip(a, lo, hi):\n    return np.clip(a, lo, hi)\n", "ew_clip", NS)
INPLACE = {op: define(f"def ew_ip_{i}(a, b):\n    a {op}= b\n    return a\n", f"ew_ip_{i}", NS)
           for i, op in enumerate(["+", "-", "*", "/", "//", "%", "&", "<<"])}

SHAPE_PAIRS = [((3,), (3,)), ((4,), (1,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((0,), (1,)),
               ((0, 3), (3,)), ((1,), (1,)), ((2, 3, 2), (3, 1)), ((3,), (4,)),
               ((2, 3), (2,)), ((0,), (2,)), ((5,), (5,))]
EDGE = {"f": [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.inf, -np.inf, np.nan, 1e300, -7.0,
              5e-324],
        "i": [0, 1, -1, 2, -2, 3, 7, -7, 63, 64, 100, -128, 127],
        "u": [0, 1, 2, 3, 7, 8, 63, 64, 200, 255],
        "b": [True, False]}


def _values(dtype: np.dtype) -> list:
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        return [v for v in EDGE["i"] if info.min <= v <= info.max] + [int(info.min),
                                                                        int(info.max)]
    if dtype.kind == "u":
        return [v for v in EDGE["u"] if v <= np.iinfo(dtype).max] + [int(np.iinfo(dtype).max)]
    return EDGE[dtype.kind]


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """An array of ``shape``: C, Fortran, non-contiguous or negative-stride."""
    dt = np.dtype(dtype)
    size = int(np.prod(shape))
    vals = draw(st.lists(st.sampled_from(_values(dt)), min_size=2 * size, max_size=2 * size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = np.array(vals, dtype=dt)
    kind = draw(st.sampled_from(["C", "F", "step", "reverse"]))
    if kind == "step":
        return base[::2].reshape(shape) if not shape else base.reshape(shape + (2,))[..., 0]
    if kind == "reverse":
        return base[:size][::-1].reshape(shape)
    a = base[:size].reshape(shape)
    return np.asfortranarray(a) if kind == "F" else a


dtypes = st.sampled_from(DTYPE_NAMES)
# Each new dtype/layout signature compiles once: fewer examples than the scalar tests.
FEW = examples(60)


def run_quiet(fn, *args):  # noqa: ANN001, ANN201 - NumPy's RuntimeWarnings are not compared
    """The harness's check; NumPy's TypeError (no loop for these dtypes) is ember's
    compile-time error, which is a TypeError too."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = fn.py_func(*args)
            if getattr(expected, "dtype", None) == np.float16:  # outside ember's dtypes
                with pytest.raises(EmberError, match="float16"):
                    fn(*args)
                return None
        except TypeError:
            with pytest.raises(TypeError):
                fn(*args)
            return None
        except Exception:  # noqa: BLE001, S110 - compared by check below
            pass
        return check(fn, *args)


@FEW
@given(st.sampled_from(BINARY), st.sampled_from(SHAPE_PAIRS), dtypes, dtypes, st.data())
def test_binary_operators_on_two_arrays(op: str, shapes, da: str, db: str, data) -> None:  # noqa: ANN001
    a = data.draw(arrays(shapes[0], da))
    b = data.draw(arrays(shapes[1], db))
    _guard_power(op, b)
    run_quiet(FUNCS[op], a, b)


def _guard_power(op: str, b: object) -> None:
    """int ** negative is NumPy's ValueError either way (tested); skip nothing else."""


@FEW
@given(st.sampled_from(BINARY), dtypes, st.data())
def test_array_with_weak_scalars(op: str, da: str, data) -> None:  # noqa: ANN001
    a = data.draw(arrays((4,), da))
    scalar = data.draw(st.one_of(st.sampled_from([0, 1, -1, 2, 7, 127, 128, 255, 256, 300,
                                                  -129, 2**31, 2**63 - 1, -(2**63)]),
                                 st.sampled_from([0.0, -0.0, 1.5, -2.0, np.inf, np.nan, 1e300]),
                                 st.booleans()))
    swap = data.draw(st.booleans())
    if op == "**" and da == "bool" and scalar == 2 and type(scalar) is int and not swap:
        scalar = 3  # a run-time bool ** 2 is np.square in NumPy (int8): not typed so here
    args = (scalar, a) if swap else (a, scalar)
    run_quiet(FUNCS[op], *args)


@FEW
@given(st.sampled_from(UFUNCS2), st.sampled_from(SHAPE_PAIRS[:8]), dtypes, dtypes, st.data())
def test_binary_ufunc_calls(name: str, shapes, da: str, db: str, data) -> None:  # noqa: ANN001
    run_quiet(CALLS[name], data.draw(arrays(shapes[0], da)), data.draw(arrays(shapes[1], db)))


@FEW
@given(st.sampled_from([*UFUNCS1, "-", "+", "~"]), dtypes, st.data())
def test_unary(name: str, da: str, data) -> None:  # noqa: ANN001
    a = data.draw(arrays(data.draw(st.sampled_from([(5,), (2, 3), (0,)])), da))
    run_quiet(UNARY.get(name) or CALLS[name], a)


@FEW
@given(st.sampled_from(["float64", "float32", "int64", "int32", "uint8"]), st.data())
def test_fused_expression(da: str, data) -> None:  # noqa: ANN001
    a, b, c, d = (data.draw(arrays(s, da)) for s in [(2, 3), (3,), (2, 1), (2, 3)])
    run_quiet(FUSED, a, b, c, d)


@FEW
@given(dtypes, dtypes, st.data())
def test_where(dx: str, dy: str, data) -> None:  # noqa: ANN001
    c = data.draw(arrays((2, 3), data.draw(dtypes)))
    x = data.draw(st.one_of(arrays((3,), dx), st.sampled_from([0, 300, -1, 1.5])))
    y = data.draw(arrays((2, 1), dy))
    run_quiet(WHERE, c, x, y)


@FEW
@given(st.sampled_from(["float64", "float32", "int8", "uint8", "int64"]), st.data())
def test_clip(da: str, data) -> None:  # noqa: ANN001
    a = data.draw(arrays((6,), da))
    lo = data.draw(st.sampled_from([0, -5, 1, 2.5, np.nan]))  # ties of ±0.0: see report
    hi = data.draw(st.sampled_from([3, 300, 1, 0.0, np.inf]))
    run_quiet(CLIP, a, lo, hi)


@FEW
@given(st.sampled_from(list(INPLACE)), st.sampled_from(SHAPE_PAIRS), dtypes, dtypes, st.data())
def test_in_place(op: str, shapes, da: str, db: str, data) -> None:  # noqa: ANN001
    a = data.draw(arrays(shapes[0], da))
    b = data.draw(st.one_of(arrays(shapes[1], db), st.sampled_from([1, 3, 300, 2.5])))
    fn = INPLACE[op]
    try:
        fn.py_func(a.copy(), b)
    except TypeError:  # same_kind refused: a compile-time TypeError in ember
        with pytest.raises(TypeError):
            fn(a.copy(), b)
        return
    except Exception:  # noqa: BLE001, S110 - other errors compared below
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(fn, a.copy(), b)


def test_in_place_with_itself_and_an_overlapping_view() -> None:
    a = np.arange(6.0)
    assert np.array_equal(INPLACE["+"](a.copy(), a.copy()), a * 2)
    x = np.arange(6.0)
    expect = x.copy()
    expect += expect[::-1]
    got = x.copy()
    INPLACE["+"](got, got[::-1])  # the same memory, reversed: copied first
    assert np.array_equal(got, expect)


def test_in_place_same_kind_is_numpy_text() -> None:
    with pytest.raises(TypeError, match=r"Cannot cast ufunc 'add' output from "
                       r"dtype\('float64'\) to dtype\('int64'\) with casting rule 'same_kind'"):
        INPLACE["+"](np.zeros(3, np.int64), 1.5)


def test_broadcast_messages_are_numpy_text() -> None:
    with pytest.raises(ValueError, match=r"^operands could not be broadcast together with "
                       r"shapes \(3,\) \(4,\) $"):
        FUNCS["+"](np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match=r"non-broadcastable output operand with shape \(3,\) "
                       r"doesn't match the broadcast shape \(2,3\)"):
        INPLACE["+"](np.ones(3), np.ones((2, 3)))


def test_weak_int_out_of_range_raises_numpy_overflow() -> None:
    with pytest.raises(OverflowError, match="Python integer 300 out of bounds for uint8"):
        FUNCS["+"](np.ones(3, np.uint8), 300)
    assert FUNCS["<"](np.ones(3, np.uint8), 300).all()  # comparisons are exact


def test_negative_int_power_is_numpy_value_error() -> None:
    with pytest.raises(ValueError, match="Integers to negative integer powers are not allowed"):
        FUNCS["**"](np.arange(3), np.array([1, -1, 2]))


def test_int_division_by_zero_warns_as_numpy() -> None:
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in floor_divide"):
        got = FUNCS["//"](np.array([5, 6]), np.array([0, 2]))
    assert got.tolist() == [0, 3]


def test_one_fused_expression_allocates_once() -> None:
    from ember.native.codegen.function import lower_unit
    from ember.native.frontend.statements import infer_unit
    from ember.native.options import Options
    from ember.native.types import Array, DType

    t = Array(DType("float64"), 1, "C")
    text = lower_unit(infer_unit(FUSED.py_func, (t, t, t, t), Options()), Options())
    # One PyArray_Empty (slot 184 of NumPy's table) for the result, no temporaries.
    assert text.count("i64 184") == 1


def test_truth_of_an_array_and_chained_comparisons_are_refused() -> None:
    f = define("def ew_truth(a):\n    if a:\n        return 1\n    return 0\n", "ew_truth", NS)
    with pytest.raises(EmberError, match="truth value of an array"):
        f(np.ones(2))
    g = define("def ew_chain(a):\n    return 0 < a < 1\n", "ew_chain", NS)
    with pytest.raises(EmberError, match="truth value of an array"):
        g(np.ones(2))


def test_no_loop_for_bool_subtract_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="boolean subtract"):
        FUNCS["-"](np.ones(2, bool), np.ones(2, bool))


def test_scalar_ufunc_is_numpy_semantics() -> None:
    f = define("def ew_sc(x, y):\n    return np.add(x, y), np.floor_divide(x, 0)\n", "ew_sc", NS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert f(2**63 - 1, 1) == (-(2**63), 0)  # int64 wraps, // 0 is 0


def test_bool_array_squared_is_int8_as_numpy() -> None:
    f = define("def ew_sq(a):\n    return a ** 2\n", "ew_sq", NS)
    check(f, np.array([True, False]))
    check(f, np.arange(4, dtype=np.int16))


def test_no_references_leak() -> None:
    f = define("def ew_leak(a, b):\n    c = (a.copy() + b) * 2\n    c += c\n    return c - b\n",
               "ew_leak", NS)
    g = INPLACE["+"]
    a, b = np.arange(6.0), np.ones(6)
    f(a, b)
    g(a, a[::-1])
    before = (sys.getrefcount(a), sys.getrefcount(b))
    for _ in range(2000):
        r = f(a, b)
        g(a, a[::-1])  # copies the overlapping operand each time
    assert (sys.getrefcount(a), sys.getrefcount(b)) == before
    assert sys.getrefcount(r) == 2  # only r (and getrefcount's argument)


def test_integer_reciprocal_is_refused_with_a_hint() -> None:
    f = define("def ew_recip(a):\n    return np.reciprocal(a)\n", "ew_recip", NS)
    with pytest.raises(EmberError, match="np.reciprocal"):
        f(np.arange(3))
    assert np.array_equal(f(np.array([2.0, 0.0])), np.reciprocal(np.array([2.0, 0.0])))


def test_math_ufuncs_fuse_with_the_arithmetic() -> None:
    f = define("def ew_exp(a):\n    return np.exp(-a * a / 2) * np.cos(3 * a)\n", "ew_exp", NS)
    check(f, np.array([0.0, 1.0, -np.inf, np.nan, 1e-300, 30.0]))
    check(f, np.linspace(-5, 5, 101, dtype=np.float32))
