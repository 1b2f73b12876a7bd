"""NumPy's edge semantics in compiled code: np.arange's length rule, integer and float
sums, min/max ties and NaN, and the order of a creator's checks — each compiled result
compared with the installed NumPy (values bit for bit, dtype, exception type and text)."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ember import jit

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@jit
def arange1(a):
    return np.arange(a)


@jit
def arange3(a, b, c):
    return np.arange(a, b, c)


@jit
def arange_f32(a, b, c):
    return np.arange(a, b, c, dtype=np.float32)


@jit
def arange_f64(a, b, c):
    return np.arange(a, b, c, dtype=np.float64)


@jit
def arange_i8(a, b, c):
    return np.arange(a, b, c, dtype=np.int8)


@jit
def arange_u8(a, b, c):
    return np.arange(a, b, c, dtype=np.uint8)


@jit
def arange_u64(a, b, c):
    return np.arange(a, b, c, dtype=np.uint64)


COMPILED = {None: arange3, "float32": arange_f32, "float64": arange_f64, "int8": arange_i8,
            "uint8": arange_u8, "uint64": arange_u64}

# (start, stop, step, dtype): every rule of NumPy 2's length computation and fill.
ARANGE_CASES: list[tuple[Any, Any, Any, str | None]] = [
    (0, 2**62 + 1, 2**62, None),            # one element: the quotient is rounded first
    (0, 2**62 + 1, 2**62, "float64"),
    (INT64_MIN, INT64_MAX, 2**62, None),    # the difference does not fit in int64
    (INT64_MAX, INT64_MIN, -1, None),       # 2**64 - 1 elements: too big
    (INT64_MIN, INT64_MAX, 1, None),
    (0, INT64_MAX, 1, None),                # ceil rounds to 2**63: NumPy gives []
    (0, INT64_MAX, INT64_MAX, None),
    (INT64_MIN, INT64_MIN + 5, 2, None),
    (INT64_MAX, INT64_MAX - 6, -2, None),
    (0, INT64_MIN, INT64_MIN, None),
    (0, 0, 0, None),                        # ZeroDivisionError even when start == stop
    (1, 1, 0, None),
    (10, 0, -3, None),
    (0, 10, 3, None),
    (0, 10, math.inf, None),                # 10 / inf == 0.0: one element
    (0, -10, math.inf, None),               # -0.0: none
    (-5, 5, math.inf, None),
    (0, 10, -math.inf, None),
    (0.0, 0.0, 1.0, None),                  # d == 0: no element, whatever the sign
    (0, -0.0, 1.0, None),
    (1e-320, 0.0, -math.inf, None),
    (0.0, 1.0, 0.0, None),                  # float division by zero
    (0, 1.0, 0, None),
    (0, math.nan, 1.0, None),               # ValueError: cannot compute length
    (math.nan, 1, 1.0, None),
    (0, 1, math.nan, None),
    (0, math.inf, 1.0, None),               # ValueError: Maximum allowed size exceeded
    (0, 1, 1e-300, None),
    (0, -1e300, 1e-300, None),
    (2**53 + 1, 2**53 + 3, 0.5, None),      # the int difference is exact: 4 elements
    (0.5, 3, 0.25, None),
    (0.1, 1, 0.1, None),
    (0.1, 1, 0.1, "float32"),               # the fill runs in float32
    (0, 10, 1, "float32"),
    (0, 10, 3, "int8"),
    (120, 130, 1, "int8"),                  # the fill wraps as NumPy's does
    (300, 310, 1, "int8"),                  # OverflowError converting start
    (-1, 3, 1, "uint8"),
    (5, -1, -1, "uint8"),
    (0, 10, 1, "uint64"),
]


def outcome(f: Any, *args: Any) -> tuple[Any, ...]:
    """What a call gives: the dtype and bytes of the array, or the exception."""
    try:
        r = f(*args)
    except Exception as exc:  # noqa: BLE001 - the exception is the outcome compared
        return (type(exc).__name__, str(exc))
    return (str(r.dtype), r.shape, r.tobytes())


@pytest.mark.parametrize("case", ARANGE_CASES, ids=repr)
def test_arange_like_numpy(case: tuple[Any, Any, Any, str | None]) -> None:
    start, stop, step, dtype = case
    expected = outcome(lambda *a: np.arange(*a, dtype=dtype), start, stop, step)
    assert outcome(COMPILED[dtype], start, stop, step) == expected


@pytest.mark.parametrize("stop", [0, 7, -3, INT64_MAX])
def test_arange_of_one_argument(stop: int) -> None:
    assert outcome(arange1, stop) == outcome(np.arange, stop)  # INT64_MAX: rounds to []


def test_arange_of_int64_min_by_minus_one_does_not_trap(tmp_path: Path) -> None:
    """``INT64_MIN // -1`` traps (SIGFPE) in a signed division: run it in a child
    process, so a crash fails this test rather than the session."""
    script = tmp_path / "arange_trap.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        from ember import jit

        @jit
        def f(a, b, c):
            return np.arange(a, b, c)

        r = f(0, -2**63, -1)
        print(r.dtype, r.tolist())
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "int64 []"


@jit
def full_u16(n, v):
    return np.full(n, v, np.uint16)


@jit
def full_2d_i8(n, m, v):
    return np.full((n, m), v, np.int8)


@jit
def empty_n(n):
    return np.empty(n)


@jit
def zeros_2n(n):
    return np.zeros((2, n))


@jit
def ones_n(n):
    return np.ones(n, np.int32)


@pytest.mark.parametrize(("n", "v"), [(-1, 70000), (-1, -1), (-1, 5), (3, 70000), (3, -1),
                                      (2, 7)])
def test_full_checks_the_shape_before_converting_the_fill(n: int, v: int) -> None:
    expected = outcome(lambda: np.full(n, v, np.uint16))
    assert outcome(full_u16, n, v) == expected
    expected = outcome(lambda: np.full((2, n), v, np.int8))
    assert outcome(full_2d_i8, 2, n, v) == expected


@pytest.mark.parametrize("creator", [empty_n, zeros_2n, ones_n], ids=lambda f: f.__name__)
def test_creators_reject_negative_shapes(creator: Any) -> None:
    with pytest.raises(ValueError, match="negative dimensions are not allowed"):
        creator(-2)
    assert creator(3).size in (3, 6)


# ------------------------------------------------------------------ reductions


@jit
def total(a):
    return a.sum()


@jit
def smallest(a):
    return a.min()


@jit
def largest(a):
    return a.max()


def make_array(values: np.ndarray, layout: str) -> np.ndarray:
    """``values`` (C order) as an argument of the given layout."""
    if layout == "F":
        return np.asfortranarray(values)
    if layout == "strided":  # every other element of a bigger array
        big = np.zeros(values.shape[:-1] + (2 * values.shape[-1],), values.dtype)
        big[..., ::2] = values
        return big[..., ::2]
    if layout == "rows":  # every other row: not one run in memory
        big = np.zeros((2 * values.shape[0], *values.shape[1:]), values.dtype)
        big[::2] = values
        return big[::2]
    if layout == "reversed":
        return np.ascontiguousarray(values[::-1])[::-1]
    if layout == "padded":  # rows end before the next begins
        big = np.zeros((*values.shape[:-1], values.shape[-1] + 3), values.dtype)
        big[..., : values.shape[-1]] = values
        return big[..., : values.shape[-1]]
    if layout == "F rows":  # every other row of a Fortran array: the inner axis is axis 0
        big = np.asfortranarray(np.zeros((2 * values.shape[0], *values.shape[1:]), values.dtype))
        big[::2] = values
        return big[::2]
    return values


def float_values(dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values of both signs within a factor of 16: the order of the additions shows in
    the last bits of a sum (widely spread magnitudes would hide it)."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(1, 2, shape) * 2.0 ** rng.integers(0, 4, shape)
    return (values * rng.choice([-1.0, 1.0], shape)).astype(dtype)


# Small and large (beyond NumPy's 8192-element buffer), rows shorter and longer than it.
SHAPES = [(0,), (1,), (7,), (8,), (9,), (127,), (128,), (129,), (1000,), (20001,), (3, 4),
          (20, 50), (300, 3), (129, 7), (0, 3), (300, 300), (20000, 3), (3, 20000),
          (2, 8193), (9000, 1)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "rows", "reversed", "padded",
                                    "F rows"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_float_sum_is_numpys_pairwise_sum(dtype: str, layout: str,
                                         shape: tuple[int, ...]) -> None:
    a = make_array(float_values(dtype, shape, seed=len(shape) * 1000 + sum(shape)), layout)
    got = total(a)
    assert type(got) is type(a.sum())  # NumPy's scalar: np.float64 or np.float32
    assert np.float64(got).tobytes() == np.float64(a.sum()).tobytes()


def test_float32_sum_accumulates_in_float32() -> None:
    a = np.full(10, 0.1, np.float32)
    assert total(a) == float(a.sum()) != float(a.astype(np.float64).sum())


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16", "uint16", "int32",
                                   "uint32", "int64", "uint64"])
def test_int_sum_is_exact(dtype: str) -> None:
    a = (np.arange(60) * 7 % 11).astype(dtype)
    assert total(make_array(a, "reversed")) == int(a.sum())
    assert total(make_array(a.reshape(6, 10), "rows")) == int(a.sum())


@pytest.mark.parametrize("values", [[2**62, 2**62], [-(2**63), -1], [INT64_MAX, 1]])
def test_int64_sum_overflow_raises(values: list[int]) -> None:
    from ember.native.messages import OVERFLOW

    with pytest.raises(OverflowError, match=OVERFLOW):
        total(np.array(values, np.int64))


def test_int_sum_overflows_only_when_the_total_does() -> None:
    # NumPy's wrapping accumulator is right when the total fits: so is ember's.
    assert total(np.array([2**62, 2**62, -(2**62), -(2**62), 5])) == 5
    assert total(np.array([INT64_MIN, 0])) == INT64_MIN
    assert total(np.array([INT64_MAX], np.uint64)) == INT64_MAX
    with pytest.raises(OverflowError):
        total(np.array([2**63, 1], np.uint64))  # NumPy's uint64 result has no int64


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("order", list(itertools.permutations([0.0, -0.0, math.nan, 1.0])),
                         ids=repr)
def test_min_max_ties_and_nan_like_numpy(dtype: str, order: tuple[float, ...]) -> None:
    for prefix in range(1, len(order) + 1):
        a = np.array(order[:prefix], dtype)
        for compiled, op in ((smallest, "min"), (largest, "max")):
            want = np.float64(getattr(a, op)()).tobytes()
            assert np.float64(compiled(a)).tobytes() == want, (op, a)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", ["C", "F", "F reversed", "transposed"])
def test_min_max_ties_of_2d_arrays_follow_memory_order(dtype: str, layout: str) -> None:
    # NumPy reduces a Fortran-ordered array down its columns, so which of 0.0 and -0.0
    # wins follows that order, not the C order of the indices (fuzz, item 10.4). Four
    # elements: NumPy's scalar loop, not its vector one (whose ties depend on the CPU).
    for values in itertools.product([0.0, -0.0, 1.0], repeat=4):
        base = np.array(values, dtype).reshape(2, 2)
        a = {"C": base, "F": np.asfortranarray(base), "transposed": base.copy().T,
             "F reversed": np.asfortranarray(base[::-1])[::-1]}[layout]
        for compiled, op in ((smallest, "min"), (largest, "max")):
            want = np.float64(getattr(a, op)()).tobytes()
            assert np.float64(compiled(a)).tobytes() == want, (op, a, a.strides)


def test_uint64_min_max_compare_unsigned() -> None:
    a = np.array([5, 2**64 - 1, 3], np.uint64)
    assert smallest(a) == 3
    with pytest.raises(OverflowError, match="does not fit in int64"):
        largest(a)  # NumPy's 2**64 - 1 has no int64
    assert largest(np.array([INT64_MAX, 0], np.uint64)) == INT64_MAX


def views_3d(values: np.ndarray) -> dict[str, np.ndarray]:
    """Non-contiguous 3-d views of ``values``: skipped planes or rows, padded rows,
    reversed, axes permuted in memory."""
    out = {}
    for axis in (0, 1):
        shape = list(values.shape)
        shape[axis] *= 2
        big = np.zeros(shape, values.dtype)
        every_other = tuple(slice(None, None, 2) if k == axis else slice(None) for k in range(3))
        big[every_other] = values
        out[f"skip{axis}"] = big[every_other]
    out["padded"] = make_array(values, "padded")
    out["reversed"] = make_array(values, "reversed")
    out["F rows"] = make_array(values, "F rows")
    out["permuted"] = np.ascontiguousarray(values.transpose(2, 0, 1)).transpose(1, 2, 0)
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(30, 40, 50), (2, 3, 9000), (100, 2, 100), (1, 300, 300),
                                   (20, 1, 3000), (0, 3, 4), (3, 1, 1)], ids=str)
def test_float_sum_3d_any_layout(dtype: str, shape: tuple[int, ...]) -> None:
    for name, a in views_3d(float_values(dtype, shape, seed=sum(shape))).items():
        assert np.float64(total(a)).tobytes() == np.float64(a.sum()).tobytes(), name
