"""Array creation in compiled code against NumPy: ``np.array`` of nested lists and
tuples, ``np.linspace``, ``np.eye``/``np.identity``, ``np.triu``/``np.tril``,
``np.diag``, the joins (``np.concatenate``, ``np.stack``, ``np.hstack``, ``np.vstack``),
``a.fill``, ``*_like`` with ``dtype=``, dtypes as values (``a.dtype``, dtype arguments
and their specializations, comparisons) and ``.strides``/``.itemsize``/``.nbytes``.
Values, dtypes, shapes and exception types compared (``_harness.check``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness, any import mode

from _harness import PROFILE, check, define, examples, floats, same  # noqa: E402

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.runtime.dispatch import jit  # noqa: E402
from ember.native.types import DTYPE_NAMES  # noqa: E402

dtypes = st.sampled_from(DTYPE_NAMES)
# Each new dtype pair compiles new specializations: fewer examples keep the joins quick.
JOINS = examples(25)
small = st.integers(-6, 6)


def jitted(f: Any) -> Any:
    return jit(cache=False)(f)


# ------------------------------------------------------------- np.array


@jitted
def literals(x, y, n):
    return (np.array([[1.0, 2.0], [x, y]]), np.array([1, 2, n]), np.array([True, False]),
            np.array((1, True)), np.array([[n], [n]], dtype=np.float32),
            np.asarray([x, n], dtype=np.int64), np.array([True, n > 0, 2.5]),
            np.array([[], []]), np.array([n, n, n], np.uint8))


@jitted
def from_tuples(a, t):
    u = (t, t)
    return np.array(a.shape), np.array(t), np.array(u), np.asarray((t, (1.5, 2)))


@PROFILE
@given(x=floats, y=floats, n=st.integers(-300, 300))
def test_literals(x: float, y: float, n: int) -> None:
    check(literals, x, y, n)


def test_tuple_values() -> None:
    check(from_tuples, np.zeros((2, 3)), (4, 5))


@jitted
def ragged(x):
    return np.array([[1, 2], [x]])


@jitted
def ragged_deep(x):
    return np.array([[[x], [x]], [[x], [x, x]]])


def test_ragged_is_numpys_value_error() -> None:
    for f, args in ((ragged, (3,)), (ragged_deep, (1.0,))):
        with pytest.raises(ValueError) as want:
            f.py_func(*args)
        with pytest.raises(ValueError) as got:
            f(*args)
        assert str(want.value) in str(got.value)


@jitted
def array_of_arrays(a):
    return np.array([a, a])


def test_array_of_arrays_is_refused_with_a_hint() -> None:
    with pytest.raises(EmberError, match="np.stack"):
        array_of_arrays(np.zeros(2))


# ------------------------------------------------------------- linspace

def _linspace(endpoint: bool, dt: str | None) -> Any:
    ns: dict[str, Any] = {"np": np}
    dtype = "" if dt is None else f", dtype=np.{dt}"
    name = f"lin_{endpoint}_{dt}"
    return define(f"def {name}(a, b, n):\n    return np.linspace(a, b, n, endpoint={endpoint}"
                  f"{dtype})\n", name, ns)


LINSPACE = {(e, d): _linspace(e, d) for e in (True, False)
            for d in (None, "float32", "int64", "int8", "uint8", "bool")}


@PROFILE
@given(a=floats, b=floats, n=st.integers(-2, 60), endpoint=st.booleans(),
       dt=st.sampled_from([None, "float32", "int64", "int8", "uint8", "bool"]))
def test_linspace(a: float, b: float, n: int, endpoint: bool, dt: str | None) -> None:
    with np.errstate(all="ignore"):
        check(LINSPACE[(endpoint, dt)], a, b, n)


@pytest.mark.parametrize("n", [0, 1, 2, 50])
def test_linspace_ints_and_small_counts(n: int) -> None:
    check(LINSPACE[(True, None)], 0, 10, n)
    check(LINSPACE[(False, None)], -3, 7.5, n)
    check(LINSPACE[(True, "int64")], -1, 2.5, n)
    check(LINSPACE[(True, None)], 5e-324, 1e-323, n)  # a step that underflows to 0


@jitted
def linspace_default(a, b):
    return np.linspace(a, b)


def test_linspace_default_num_and_negative_message() -> None:
    check(linspace_default, 0.0, 1.0)
    with pytest.raises(ValueError, match="Number of samples, -1, must be non-negative."):
        LINSPACE[(True, None)](0.0, 1.0, -1)


# ----------------------------------------------------- eye, tri, diag


@jitted
def eyes(n, m, k):
    return (np.eye(n), np.eye(n, m), np.eye(n, m, k), np.eye(n, k=k, dtype=np.int8),
            np.identity(n), np.identity(n, dtype=bool), np.eye(n, None, k, np.uint16))


@PROFILE
@given(n=st.integers(-1, 6), m=st.integers(-1, 6),
       k=st.one_of(small, st.sampled_from([2**62, -(2**62), 2**63 - 1, -(2**63)])))
def test_eye(n: int, m: int, k: int) -> None:
    check(eyes, n, m, k)


@jitted
def tris(a, k):
    return np.triu(a), np.tril(a), np.triu(a, k), np.tril(a, k=k)


@jitted
def diags(v, k):
    return np.diag(v), np.diag(v, k)


def arrays_2d(dtype: str, n: int, m: int, layout: str) -> np.ndarray:
    a = (np.arange(n * m * 2).reshape(n, 2 * m) - 3).astype(dtype)
    return {"C": a[:, :m].copy(), "F": np.asfortranarray(a[:, :m]), "S": a[:, ::2],
            "T": a[:, :m].T}[layout]


@examples(60)  # each dtype and layout compiles
@given(dtype=dtypes, n=st.integers(0, 5), m=st.integers(0, 5), k=small,
       layout=st.sampled_from("CFST"))
def test_tri_and_diag_2d(dtype: str, n: int, m: int, k: int, layout: str) -> None:
    a = arrays_2d(dtype, n, m, layout)
    check(tris, a, k)
    check(diags, a, k)
    got = diags(a, k)
    assert not got[1].flags.writeable  # NumPy's read-only view
    assert np.shares_memory(got[1], a) == np.shares_memory(np.diag(a, k), a)


@PROFILE
@given(dtype=dtypes, n=st.integers(0, 6), k=small)
def test_diag_1d(dtype: str, n: int, k: int) -> None:
    v = (np.arange(n) - 2).astype(dtype)
    check(diags, v, k)
    check(diags, v[::-1], k)


@jitted
def diag_of_temporary(n):
    return np.diag(np.eye(n) if n > 0 else np.ones((2, 2)), 1)


def test_diag_view_keeps_its_base_alive() -> None:
    v = diag_of_temporary(4)
    assert v.base is not None and v.base.shape == (4, 4) and same(v, np.zeros(3))
    a = np.arange(12.0).reshape(3, 4)
    w = diags(a, 1)[1]
    del a
    assert same(w, np.array([1.0, 6.0, 11.0]))


def test_diag_of_a_plain_buffer_is_a_read_only_copy() -> None:
    import array

    buf = memoryview(array.array("d", range(9))).cast("B").cast("d", (3, 3))
    got = diags(buf, 0)[1]
    assert same(got, np.array([0.0, 4.0, 8.0])) and not got.flags.writeable


@jitted
def diag_3d(a):
    return np.diag(a)


def test_diag_3d_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Input must be 1- or 2-d."):
        diag_3d(np.zeros((1, 1, 1)))


# ------------------------------------------------------------------ joins


@jitted
def concat0(a, b):
    return np.concatenate((a, b))


@jitted
def concat1(a, b):
    return np.concatenate((a, b), axis=1), np.concatenate([a, b, a], axis=-1)


@jitted
def stacks(a, b):
    return np.stack((a, b)), np.stack((a, b), axis=1), np.stack((a, b), axis=-1)


@jitted
def hv(a, b):
    return np.hstack((a, b)), np.vstack((a, b))


@jitted
def join_dtype(a, b):
    return np.concatenate((a, b), dtype=np.float32)


@JOINS
@given(da=dtypes, db=dtypes, n=st.integers(0, 3), m=st.integers(0, 3), n2=st.integers(0, 3),
       m2=st.integers(0, 3), layout=st.sampled_from("CFST"))
def test_joins_2d(da: str, db: str, n: int, m: int, n2: int, m2: int, layout: str) -> None:
    a = arrays_2d(da, n, m, layout)
    b = arrays_2d(db, n2, m2, "C")
    # complex → float32 is refused at compile time (test_join_complex_into_real_is_refused)
    real = "c" not in (a.dtype.kind, b.dtype.kind)
    for f in (concat0, concat1, stacks, hv, *([join_dtype] * real)):
        check(f, a, b)


def test_join_complex_into_real_is_refused() -> None:
    with pytest.raises(TypeError, match="according to the rule 'same_kind'"):
        join_dtype(np.zeros((1, 1)), np.zeros((1, 1), np.complex128))


@JOINS
@given(da=dtypes, db=dtypes, n=st.integers(0, 4), n2=st.integers(0, 4))
def test_joins_1d(da: str, db: str, n: int, n2: int) -> None:
    a, b = np.arange(n).astype(da), (np.arange(n2) - 1).astype(db)
    for f in (concat0, stacks, hv):
        check(f, a, b)


@jitted
def vstack_mixed(a, b):
    return np.vstack((a, b))


def test_vstack_rows_and_matrices() -> None:
    check(vstack_mixed, np.ones(3), np.zeros((2, 3)))
    check(vstack_mixed, np.ones(3), np.zeros((2, 4)))


@jitted
def concat_ranks(a, b):
    return np.concatenate((a, b))


@jitted
def concat_axis(a, b):
    return np.concatenate((a, b), axis=2)


def test_join_errors_known_at_compile_time() -> None:
    with pytest.raises(ValueError, match="must have same number of dimensions, but the array "
                       "at index 0 has 2 dimension"):
        concat_ranks(np.ones((2, 2)), np.ones(2))
    with pytest.raises(IndexError, match="axis 2 is out of bounds for array of dimension 2"):
        concat_axis(np.ones((2, 2)), np.ones((2, 2)))


# ------------------------------------------------------------ fill, *_like


@jitted
def filled(a, v):
    a.fill(v)
    return a


@PROFILE
@given(dtype=dtypes, v=st.one_of(floats, st.integers(-300, 70000), st.booleans()),
       layout=st.sampled_from("CFST"))
def test_fill(dtype: str, v: Any, layout: str) -> None:
    a = arrays_2d(dtype, 2, 3, layout)
    py_a, jit_a = a.copy(order="A"), a.copy(order="A")
    if layout in "ST":
        py_a, jit_a = arrays_2d(dtype, 2, 3, layout), arrays_2d(dtype, 2, 3, layout)
    try:
        with np.errstate(over="ignore"):  # NumPy warns as a big float becomes inf
            want, want_exc = filled.py_func(py_a, v), None
    except Exception as exc:  # noqa: BLE001 - the type is compared
        want, want_exc = None, type(exc)
    if dtype == "uint64" and isinstance(v, float) and 2.0**63 <= v < 2.0**64:
        want_exc = OverflowError  # the store rule: through int64 (see ir/arrays.py)
    try:
        got, got_exc = filled(jit_a, v), None
    except Exception as exc:  # noqa: BLE001
        got, got_exc = None, type(exc)
    assert got_exc is want_exc, (dtype, v, got_exc, want_exc)
    if want_exc is None:
        assert same(got, want) and got is jit_a


@jitted
def likes(a):
    return (np.zeros_like(a, dtype=np.int8), np.ones_like(a, np.float32),
            np.full_like(a, 7, dtype=np.uint16), np.empty_like(a, dtype=bool).shape,
            np.full((2, 2), 1.5, dtype=np.int64), np.zeros(3, dtype=None))


def test_likes_with_dtype() -> None:
    check(likes, np.arange(6.0).reshape(2, 3))


# ------------------------------------------------------------- dtype values


@jitted
def with_dtype(a, dt):
    return np.zeros(a.shape, dtype=dt), np.empty(a.shape, a.dtype).dtype, dt, a.astype(dt)


@pytest.mark.parametrize("dt", [np.float32, np.dtype("float32"), np.int8, np.dtype("uint16"),
                                float, int, bool, np.bool_, np.dtype("float64")])
def test_dtype_arguments(dt: Any) -> None:
    a = np.arange(4.0).reshape(2, 2)
    got, want = with_dtype(a, dt), with_dtype.py_func(a, dt)
    assert same(got[0], want[0]) and same(got[3], want[3])
    assert got[1] == want[1] and type(got[1]) is type(want[1])
    assert got[2] is want[2]  # the object passed in comes back


def test_dtype_arguments_are_separate_specializations() -> None:
    @jitted
    def zeros_of(n, dt):
        return np.zeros(n, dt)

    for dt in (np.float32, np.dtype("float32"), np.int64, int, np.float32):
        assert zeros_of(2, dt).dtype == np.dtype(dt)
    assert [str(s[1]) for s in zeros_of.signatures] == [
        "type[float32]", "dtype[float32]", "type[int64]", "builtin[int]"]
    with pytest.raises(TypeError, match="dtypes"):
        zeros_of(2, np.dtype(">f8"))  # foreign byte order: no native type


@jitted
def dtype_facts(a):
    return (a.dtype == np.float64, a.dtype != np.float64, a.dtype == "float32",
            a.dtype == float, np.float32 == np.float32, np.float32 == a.dtype, a.itemsize,
            a.nbytes, a.strides, a.dtype.itemsize, a.dtype is np.float64,
            a.dtype is not np.float64, a.dtype == "f4")


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
@pytest.mark.parametrize("layout", "CFST")
def test_dtype_facts(dtype: str, layout: str) -> None:
    check(dtype_facts, arrays_2d(dtype, 3, 4, layout))


@jitted
def passes_dtype_on(a, dt):
    return with_dtype(a, dt)[0]


def test_dtype_passed_to_another_jit_function() -> None:
    a = np.ones((2, 2))
    assert same(passes_dtype_on(a, np.int16), np.zeros((2, 2), np.int16))


@jitted
def unknown_dtype_kw(a):
    return np.zeros(3, dtype=a)


def test_a_non_dtype_is_a_compile_error_with_a_hint() -> None:
    with pytest.raises(EmberError, match="the dtype must be a constant"):
        unknown_dtype_kw(np.ones(2))


@jitted
def same_dtype(a, dt):
    return a.dtype is dt, a.dtype == dt, dt is np.float64, dt == np.float64


@pytest.mark.parametrize("dt", [np.dtype("float64"), np.float64, float, np.dtype("int8"),
                                np.int8])
def test_dtype_identity_and_equality(dt: Any) -> None:
    check(same_dtype, np.ones(2), dt)


@pytest.mark.parametrize(("f", "a", "b"), [
    (concat0, np.ones((2, 2)), np.ones((2, 3))),
    (concat1, np.ones((2, 2)), np.ones((3, 2))),
    (stacks, np.ones(2), np.ones(3)),
    (vstack_mixed, np.ones(3), np.ones((2, 2))),
])
def test_join_shape_messages_are_numpys(f: Any, a: np.ndarray, b: np.ndarray) -> None:
    with pytest.raises(ValueError) as want:
        f.py_func(a, b)
    with pytest.raises(ValueError) as got:
        f(a, b)
    assert str(got.value) == str(want.value)


@jitted
def literal_as(x, n, dt):
    return np.array([x, n, True], dtype=dt), np.array([[n], [n]], dt), np.asarray((n, x), dt)


@PROFILE
@given(x=floats, n=st.integers(-70000, 70000), dt=st.sampled_from(
    [getattr(np, name) for name in DTYPE_NAMES]))
def test_literals_with_a_dtype_argument(x: float, n: int, dt: Any) -> None:
    # A float of 2**63 or more stored into uint64 goes through int64 (the store rule of
    # ir/arrays.py: compute types are int64): ember raises OverflowError there.
    big = dt is np.uint64 and 2.0**63 <= x < 2.0**64
    with np.errstate(over="ignore"):  # NumPy warns as a big float becomes float32's inf
        check(literal_as, x, n, dt, overflows=big)


@jitted
def ordered(a):
    z = np.zeros((2, 3), order="F")
    z[1, 0] = 5.0
    o = np.ones_like(a)
    o[1, 0] = 7
    return z, o, np.full((2, 3), 2, np.int8, "F"), np.zeros_like(a, order="C")


@pytest.mark.parametrize("layout", "CF")
def test_orders_of_new_arrays(layout: str) -> None:
    a = arrays_2d("float64", 2, 3, layout)
    for g, w in zip(ordered(a), ordered.py_func(a), strict=True):
        assert same(g, w) and g.flags.f_contiguous == w.flags.f_contiguous
        assert g.flags.c_contiguous == w.flags.c_contiguous


@jit
def _full_of_numpy_scalars(a):
    return np.full(3, a.sum()), np.full(2, a[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int8])
def test_full_takes_numpy_scalars_and_their_dtype(dtype) -> None:
    # A reduction or a narrow element is a NumPy scalar: np.full keeps its dtype.
    a = np.arange(3, dtype=dtype)
    for got, want in zip(_full_of_numpy_scalars(a), (np.full(3, a.sum()), np.full(2, a[0])),
                         strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)
