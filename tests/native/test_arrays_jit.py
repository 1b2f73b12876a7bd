"""Arrays end to end: @jit functions over NumPy arrays and buffers, compared with CPython
running the same function on copies of the same arrays (differential tests)."""

from __future__ import annotations

import array
import math

import numpy as np
import pytest

from ember import jit
from ember.diagnostics import EmberError
from ember.native.types import DTYPE_NAMES

INT_DTYPES = [n for n in DTYPE_NAMES if n[0] in "iu"]
FLOAT_DTYPES = ["float32", "float64"]


def same(a: object, b: object, rtol: float = 0.0) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if rtol:
            return bool(np.allclose(a, b, rtol=rtol, equal_nan=True))
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y, rtol) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        if math.isnan(a) and math.isnan(b):  # type: ignore[arg-type]
            return True
        return math.isclose(a, b, rel_tol=rtol) if rtol else a == b  # type: ignore[arg-type]
    return a == b


def run_both(f, *args, rtol: float = 0.0):  # type: ignore[no-untyped-def]
    """Run the compiled and the Python function on separate copies; compare the result
    (or the exception) and every array argument afterwards."""
    py_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    jit_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        expected = f.py_func(*py_args)
        expected_exc = None
    except Exception as exc:  # noqa: BLE001
        expected, expected_exc = None, exc
    if expected_exc is not None:
        with pytest.raises(type(expected_exc)) as info:
            f(*jit_args)
        return info.value
    got = f(*jit_args)
    assert same(got, expected, rtol), (got, expected)
    for p, j in zip(py_args, jit_args, strict=True):
        if isinstance(p, np.ndarray):
            assert same(j, p, rtol), (j, p)
    return got


# ---------------------------------------------------------------- kernels


@jit
def sum1(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


@jit
def sum_neg(a):
    s = 0.0
    for i in range(1, len(a) + 1):
        s += a[-i] * i
    return s


@jit
def sum2(a):
    n, m = a.shape
    s = 0.0
    for i in range(n):
        for j in range(m):
            s += a[i, j] * (i + 2 * j + 1)
    return s


@jit
def sum3(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            for k in range(a.shape[2]):
                s += a[i, j, -k - 1] * (i + 3 * j + 7 * k + 1)
    return s


@jit
def scale_inplace(a, c):
    for i in range(len(a)):
        a[i] = a[i] * c + 1
    return a.size


@jit
def aug2(a):
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            a[i, j] += i - j
            a[-1 - i, j] *= 2


@jit
def iterate(a):
    s = 0
    for x in a:
        s += x
    return s


@jit
def attrs(a):
    return a.ndim, a.size, a.shape, len(a)


@jit
def count_true(flags):
    c = 0
    for i in range(flags.shape[0]):
        if flags[i]:
            c += 1
    return c


@jit
def get(a, i):
    return a[i]


@jit
def get2(a, i, j):
    return a[i, j]


@jit
def get3(a, i, j, k):
    return a[i, j, k]


@jit(boundscheck=False)
def get_unchecked(a, i):
    return a[i]


@jit
def put(a, i, v):
    a[i] = v


@jit
def returns_arg(a):
    return a


# ------------------------------------------------------------------ reading


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_sum_every_dtype_1d(dtype: str) -> None:
    a = (np.arange(20) % 7).astype(dtype)
    run_both(sum1, a, rtol=1e-6 if dtype == "float32" else 0.0)
    run_both(sum_neg, a, rtol=1e-6 if dtype == "float32" else 0.0)
    run_both(iterate, a, rtol=1e-6 if dtype == "float32" else 0.0)


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed", "transposed"])
def test_sum_2d_and_3d_layouts(dtype: str, layout: str) -> None:
    rtol = 1e-6 if dtype == "float32" else 0.0
    base2 = (np.arange(6 * 10).reshape(6, 10) % 5).astype(dtype)
    base3 = (np.arange(4 * 5 * 6).reshape(4, 5, 6) % 3).astype(dtype)
    views = {
        "C": (base2, base3),
        "F": (np.asfortranarray(base2), np.asfortranarray(base3)),
        "strided": (base2[::2, 1::3], base3[:, ::2, 1:]),
        "reversed": (base2[::-1, ::-2], base3[::-1, :, ::-1]),
        "transposed": (base2.T, base3.transpose(2, 0, 1)),
    }[layout]
    run_both(sum2, views[0], rtol=rtol)
    run_both(sum3, views[1], rtol=rtol)


def test_attributes() -> None:
    assert attrs(np.zeros((3, 4))) == (2, 12, (3, 4), 3)
    assert attrs(np.zeros(5, np.uint8)) == (1, 5, (5,), 5)
    assert attrs(np.zeros((2, 3, 4), np.float32)) == (3, 24, (2, 3, 4), 2)


def test_bool_elements_are_bools() -> None:
    flags = np.array([True, False, True, True])
    assert run_both(count_true, flags) == 3
    assert get(flags, 1) is False
    assert get(flags, -1) is True


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_element_types_match_python(dtype: str) -> None:
    # float64/int64/bool elements are Python's numbers; the other dtypes NumPy's own
    # scalar type (frontend/np_scalars.py: their arithmetic differs from Python's).
    a = np.array([1, 0, 1], dtype=dtype)
    got = get(a, 0)
    want = {"b": bool, "i": int, "u": int, "f": float, "c": complex}[np.dtype(dtype).kind]
    if dtype not in ("float64", "int64", "bool") and np.dtype(dtype).kind != "c":
        want = type(a[0])
    assert type(got) is want and got == 1


def test_float32_elements_are_widened_exactly() -> None:
    a = np.array([0.1, 1e30, -2.5], dtype=np.float32)
    assert get(a, 0) == float(np.float32(0.1))
    assert get(a, 1) == float(np.float32(1e30))


@jit
def get_int(a, i):
    return int(a[i])


def test_uint64_element_beyond_int64() -> None:
    # The element is NumPy's np.uint64 (any value); only int() of it into ember's int64
    # can overflow.
    a = np.array([2**63 - 1, 2**63], dtype=np.uint64)
    assert get(a, 0) == 2**63 - 1
    assert get(a, 1) == 2**63 and type(get(a, 1)) is np.uint64
    assert get_int(a, 0) == 2**63 - 1
    with pytest.raises(OverflowError, match="uint64"):
        get_int(a, 1)


# ------------------------------------------------------------------ bounds


def test_index_errors_match_numpy_message() -> None:
    a = np.zeros(3)
    for i in (3, 5, -4, 2**62):
        err = run_both(get, a, i)
        assert str(err) == f"index {i} is out of bounds for axis 0 with size 3"
    b = np.zeros((2, 3))
    assert str(run_both(get2, b, 2, 0)) == "index 2 is out of bounds for axis 0 with size 2"
    assert str(run_both(get2, b, 0, -4)) == "index -4 is out of bounds for axis 1 with size 3"
    c = np.zeros((2, 3, 4))
    for axis, idx in enumerate([(2, 0, 0), (0, 3, 0), (0, 0, 4)]):
        err = run_both(get3, c, *idx)
        assert str(err) == (f"index {idx[axis]} is out of bounds for axis {axis} with size "
                            f"{c.shape[axis]}")


def test_empty_array_index_raises() -> None:
    assert isinstance(run_both(get, np.zeros(0), 0), IndexError)


def test_negative_indices_wrap() -> None:
    a = np.arange(5.0)
    assert [get(a, i) for i in range(-5, 5)] == [float(a[i]) for i in range(-5, 5)]


def test_boundscheck_false_still_wraps_negative_indices() -> None:
    a = np.arange(5.0)
    assert get_unchecked(a, -1) == 4.0
    assert get_unchecked(a, 2) == 2.0


# ------------------------------------------------------------------ writing


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_inplace_update_every_dtype(dtype: str) -> None:
    a = (np.arange(12) % 4).astype(dtype)
    rtol = 1e-6 if dtype == "float32" else 0.0
    run_both(scale_inplace, a, 2 if dtype != "bool" else True, rtol=rtol)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "float32", "float64"])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_augmented_item_assignment(dtype: str, layout: str) -> None:
    a = (np.arange(30).reshape(5, 6) % 7).astype(dtype)
    view = {"C": a, "F": np.asfortranarray(a), "strided": a[::2, ::-1]}[layout]
    run_both(aug2, view)


@pytest.mark.parametrize(
    ("dtype", "value", "stored"),
    [("int64", 2.9, 2), ("int32", -2.9, -2), ("uint8", 255, 255), ("bool", 7, True),
     ("bool", 0.0, False), ("float32", 0.1, np.float32(0.1)), ("float64", 3, 3.0),
     ("int8", True, 1)],
)
def test_store_conversions_follow_numpy(dtype: str, value: object, stored: object) -> None:
    a = np.zeros(2, dtype)
    b = np.zeros(2, dtype)
    put(a, 1, value)
    b[1] = value  # NumPy's own rule
    assert a[1] == b[1] == stored


@pytest.mark.parametrize(("dtype", "value"), [("uint8", 256), ("uint8", -1), ("int8", 128),
                                              ("int16", -32769), ("uint32", 2**32),
                                              ("uint64", -1), ("int8", 300.5)])
def test_out_of_range_store_raises_overflow_like_numpy2(dtype: str, value: object) -> None:
    a = np.zeros(2, dtype)
    with pytest.raises(OverflowError) as ours:
        put(a, 0, value)
    with pytest.raises(OverflowError):
        np.zeros(2, dtype)[0] = value
    assert dtype in str(ours.value)
    assert a[0] == 0


def test_nan_into_int_array_raises_value_error() -> None:
    with pytest.raises(ValueError):
        put(np.zeros(2, np.int64), 0, float("nan"))


def test_read_only_buffer_write_is_refused() -> None:
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"argument 'a' is a read-only buffer but put\(\) "
                                         r"writes to it"):
        put(ro, 0, 1.0)
    with pytest.raises(ValueError, match="read-only"):
        put(b"abc", 0, 1)
    assert get(ro, 0) == 0.0  # reading a read-only buffer is fine


# --------------------------------------------------------- plain buffers


def test_array_array_and_memoryview_arguments() -> None:
    a = array.array("d", [1.0, 2.0, 3.5])
    assert sum1(a) == 6.5
    scale_inplace(a, 2.0)
    assert list(a) == [3.0, 5.0, 8.0]
    m = memoryview(bytearray(8 * 6)).cast("q", (2, 3))
    m[1, 2] = 7
    assert get2(m, -1, -1) == 7
    assert iterate(array.array("i", [1, 2, 3])) == 6
    assert iterate(bytearray(b"\x01\x02")) == 3
    assert iterate(b"\x05\x06") == 11


def test_returning_an_argument_returns_the_same_object() -> None:
    import sys

    a = np.zeros(3)
    before = sys.getrefcount(a)
    for _ in range(100):
        assert returns_arg(a) is a
    assert sys.getrefcount(a) == before
    b = array.array("d", [1.0])
    assert returns_arg(b) is b


def test_argument_reference_counts_are_unchanged() -> None:
    import sys

    a = np.arange(10.0)
    b = array.array("d", [1.0, 2.0])
    ra, rb = sys.getrefcount(a), sys.getrefcount(b)
    for _ in range(1000):
        sum1(a)
        sum1(b)
    assert (sys.getrefcount(a), sys.getrefcount(b)) == (ra, rb)
    b.append(3.0)  # no buffer export is left behind (append would raise BufferError)


def test_wrong_arguments_still_raise_type_errors() -> None:
    with pytest.raises(TypeError):
        sum1(["1.0", "2.0"])
    with pytest.raises(EmberError, match="lists have no attribute 'shape'"):
        sum1([1.0, 2.0])  # a list compiles (a list[float64]), but has no .shape
    with pytest.raises(TypeError):
        sum1(np.zeros(3, np.float16))


def test_specializations_per_dtype_and_layout() -> None:
    @jit
    def first(a):
        return a[0, 0]

    first(np.ones((2, 2)))
    first(np.ones((2, 2)).T)
    first(np.ones((2, 4))[:, ::2])
    first(np.ones((2, 2), np.int32))
    layouts = sorted(str(sig[0]) for sig in first.signatures)
    assert layouts == ["array(float64, 2d, A)", "array(float64, 2d, C)",
                       "array(float64, 2d, F)", "array(int32, 2d, C)"]


# ------------------------------------------------------------- hypothesis

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from(DTYPE_NAMES),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4)),
    steps=st.tuples(*[st.sampled_from([1, 2, -1, -2]) for _ in range(3)]),
    order=st.permutations([0, 1, 2]),
    seed=st.integers(0, 2**16),
)
def test_random_views_3d(dtype: str, shape: tuple[int, int, int], steps: tuple[int, int, int],
                         order: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Elements 0..2: element * weight stays within int8 (<= 2 * 45), where NumPy's
    # int8 scalars would wrap and ember's elements (Python ints, documented) do not.
    base = rng.integers(0, 3, size=shape).astype(dtype)
    view = base[:: steps[0], :: steps[1], :: steps[2]].transpose(order)
    run_both(sum3, view, rtol=1e-6 if dtype == "float32" else 0.0)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 6), i=st.integers(-8, 8), j=st.integers(-8, 8),
       fortran=st.booleans())
def test_random_indices_2d(n: int, i: int, j: int, fortran: bool) -> None:
    a = np.arange(n * 3.0).reshape(n, 3)
    if fortran:
        a = np.asfortranarray(a)
    run_both(get2, a, i, j)


def test_boundscheck_option_controls_the_checks_in_the_ir() -> None:
    from ember.native.codegen import function as lower
    from ember.native.frontend import statements as infer
    from ember.native.options import Options
    from ember.native.types import INT64, Array, DType

    arg_types = (Array(DType("float64"), 2, "C"), INT64, INT64)
    texts = {}
    for flag in (True, False):
        options = Options(boundscheck=flag)
        texts[flag] = lower.lower_unit(infer.infer_unit(get2.py_func, arg_types, options),
                                       options)
    assert "ember.index_error" in texts[True]
    assert "ember.index_error" not in texts[False]
