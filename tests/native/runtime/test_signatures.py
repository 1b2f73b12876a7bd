"""runtime/signatures.py: Numba's signature strings, eager compilation of exactly those,
conversions of other argument types, and the located errors for bad strings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember import jit, njit
from ember.native.runtime.signatures import SignatureError, parse
from ember.native.types import (
    BOOL,
    COMPLEX128,
    FLOAT64,
    INT64,
    NONE,
    Array,
    DType,
    NpScalar,
    Tuple,
)


def arr(dtype: str, ndim: int, layout: str = "A") -> Array:
    return Array(DType(dtype), ndim, layout)


@pytest.mark.parametrize(("text", "args", "ret"), [
    ("float64(float64[:], int64)", (arr("float64", 1), INT64), FLOAT64),
    ("int64(int64)", (INT64,), INT64),
    ("void(float64[:, :])", (arr("float64", 2),), NONE),
    ("(float64[:],)", (arr("float64", 1),), None),
    ("(float64[::1], float32[:, ::1], int8[::1, :])",
     (arr("float64", 1, "C"), arr("float32", 2, "C"), arr("int8", 2, "F")), None),
    ("boolean(b1, bool_)", (BOOL, BOOL), BOOL),
    ("complex128(c16, complex64[:])", (COMPLEX128, arr("complex64", 1)), COMPLEX128),
    ("intp(int32, uint8, float32, f8, i8)",
     (NpScalar(DType("int32")), NpScalar(DType("uint8")), NpScalar(DType("float32")),
      FLOAT64, INT64), INT64),
    ("UniTuple(int64, 3)(Tuple(float64, boolean), UniTuple(f8, 2))",
     (Tuple((FLOAT64, BOOL)), Tuple((FLOAT64, FLOAT64))), Tuple((INT64,) * 3)),
    ("  float64 ( float64 ,  ) ", (FLOAT64,), FLOAT64),
    ("none()", (), NONE),
    ("types.float64(numba.int64)", (INT64,), FLOAT64),
])  # fmt: skip
def test_numba_grammar(text: str, args: tuple[Any, ...], ret: Any) -> None:
    sig = parse(text)
    assert sig.args == args
    assert sig.ret == ret


@pytest.mark.parametrize(("text", "where", "message"), [
    ("float64(flaot64)", "        ^^^^^^^", "did you mean 'float64'"),
    ("float64(float64[:, 1])", "                   ^", "an array dimension is ':' or '::1'"),
    ("float64(float64", "               ^", "expected ',' or ')'"),
    ("int64(void)", "      ^^^^", "'void' is only a return type"),
    ("(float64[::1, ::1],)", "        ^^^^^^^^^^", "the one contiguous axis"),
    ("complex64(complex64)", "^^^^^^^^^", "complex64 scalars are not supported"),
    ("float64(float64) x", "                 ^", "expected the end of the signature, found 'x'"),
    ("float64(float64; int64)", "               ^", "unexpected character ';'"),
    ("UniTuple(int64, n)()", "                ^", "second argument is its length"),
])  # fmt: skip
def test_bad_strings_have_a_caret_into_the_string(text: str, where: str, message: str) -> None:
    with pytest.raises(SignatureError) as info:
        parse(text)
    shown = str(info.value).splitlines()
    assert message in str(info.value)
    assert shown[0].startswith("<signature>:1:")
    assert shown[1] == "    " + text.strip()
    assert shown[2] == "    " + where
    assert shown[3].startswith("hint: ")
    assert isinstance(info.value, TypeError)  # Numba raises TypeError-like errors


def test_the_caret_is_in_the_decorator_line() -> None:
    with pytest.raises(SignatureError) as info:
        @jit("float64(float64[:], in64)", cache=False)
        def f(a, n):
            return a[n]
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{__file__}:")
    assert ": error: bad signature 'float64(float64[:], in64)': unknown type 'in64'" in lines[0]
    assert lines[1].strip() == '@jit("float64(float64[:], in64)", cache=False)'
    assert lines[2].strip() == "^^^^"
    assert lines[1].index("in64") == lines[2].index("^")
    assert lines[3] == "hint: did you mean 'int64'?"


def test_arity_and_return_type_are_checked() -> None:
    with pytest.raises(SignatureError, match=r"has 1 argument type, but f\(\) takes 2 \(a, b\)"):
        @jit("int64(int64)", cache=False)
        def f(a, b):
            return a
    with pytest.raises(SignatureError, match=r"g\(\) returns float64, not the declared int64") as info:
        @jit("int64(float64)", cache=False)
        def g(x):
            return x * 2
    assert str(info.value).splitlines()[2].strip() == "^^^^^"


def test_compiled_at_decoration_and_only_those() -> None:
    @njit(["int64(int64)", "float64(float64)"], cache=False)
    def inc(x):
        return x + 1

    assert inc.signatures == [(INT64,), (FLOAT64,)]  # before any call
    assert inc.declared_signatures == [(INT64,), (FLOAT64,)]
    assert inc(1) == 2 and inc(2.5) == 3.5
    assert inc(True) == 2  # bool converts to the first signature it fits (int64)
    with pytest.raises(TypeError, match=r"No matching definition for argument type\(s\) complex128"):
        inc(1j)
    with pytest.raises(TypeError, match="No matching definition"):
        inc(np.arange(3))
    assert inc.signatures == [(INT64,), (FLOAT64,)]  # nothing new compiled


def test_signatures_keyword_and_missing_return_type() -> None:
    @jit(signatures=["(float64[:], int64)"], cache=False)
    def take(a, i):
        return a[i]

    assert take(np.arange(4.0), 2) == 2.0
    with pytest.raises(TypeError, match="give them once"):
        jit("int64(int64)", signatures=["int64(int64)"])
    with pytest.raises(TypeError, match="declares no signature"):
        jit(signatures=[])(lambda x: x)
    with pytest.raises(TypeError, match="not int"):
        jit([3])(lambda x: x)


def test_any_layout_parameter_takes_contiguous_arrays() -> None:
    @jit("float64(float64[:, :])", cache=False)
    def corner(a):
        return a[0, 1]

    m = np.arange(6.0).reshape(2, 3)
    assert corner(m) == 1.0  # C
    assert corner(np.asfortranarray(m)) == 1.0  # F
    assert corner(m[:, ::2]) == 2.0  # strided
    assert corner.signatures == [(arr("float64", 2),)]
    with pytest.raises(TypeError, match="No matching definition"):
        corner(m.astype(np.float32))

    @jit("float64(float64[:, ::1])", cache=False)
    def c_only(a):
        return a[1, 0]

    assert c_only(m) == 3.0
    with pytest.raises(TypeError, match="No matching definition"):
        c_only(np.asfortranarray(m))


def test_narrow_scalars_are_numpy_scalars() -> None:
    @jit("int32(int32)", cache=False)
    def dbl(x):
        return x * 2

    assert dbl(np.int32(21)) == 42 and type(dbl(np.int32(21))) is np.int32
    assert dbl(21) == 42  # a Python int is converted, as Numba converts it
    with pytest.raises(OverflowError):
        dbl(2**40)
    with pytest.raises(TypeError, match="No matching definition"):
        dbl(1.5)  # float → int would truncate: refused


def test_void_and_tuples() -> None:
    @jit("void(float64[::1], UniTuple(float64, 2))", cache=False)
    def fill(a, lohi):
        for i in range(a.shape[0]):
            a[i] = lohi[0] + i * lohi[1]

    out = np.zeros(3)
    assert fill(out, (1.0, 0.5)) is None
    assert out.tolist() == [1.0, 1.5, 2.0]
    fill(out, (1, 2))  # ints convert to the declared float64 items
    assert out.tolist() == [1.0, 3.0, 5.0]


def test_recursion_compiles_at_the_first_call() -> None:
    @jit("int64(int64)", cache=False)
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    assert fib.declared_signatures == [(INT64,)]
    assert fib(20) == 6765
    assert fib.signatures == [(INT64,)]


@jit("float64(float64[:], int64)", cache=False)
def partial_sum(a, n):
    s = 0.0
    for i in range(n):
        s += a[i]
    return s


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=20), st.integers(0, 25))
def test_differential(values: list[float], n: int) -> None:
    a = np.array(values, dtype=np.float64)
    try:
        expected: Any = partial_sum.py_func(a, n)
    except IndexError:
        with pytest.raises(IndexError):
            partial_sum(a, n)
        return
    assert partial_sum(a, n) == expected


def test_aot_takes_declared_signatures() -> None:
    from ember.native.aot.build import signatures_of

    @jit("float64(float64[:], int64)", cache=False)
    def k(a, n):
        return a[n]

    assert signatures_of("k", k, {}) == [(arr("float64", 1), INT64)]


WARM_KERNELS = """\
import ember


@ember.njit(["float64(float64[:], int64)", "int64(int64[::1], int64)"], nogil=True)
def pick(a, i):
    return a[i]
"""

WARM_MAIN = """\
import sys
import array
from kernels import pick
print(pick(array.array("d", [1.0, 2.5]), 1), pick(array.array("q", [4, 7]), 0))
print(*sorted(sys.modules))
"""


def test_a_warm_start_of_declared_signatures_imports_nothing_heavy(tmp_path: Any) -> None:
    """Parsing good strings and the nogil entry cost a cached start nothing heavy."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.native.test_warm_start import NOT_UNDER, find_cc

    if find_cc() is None:
        pytest.skip("no C compiler/linker: cache hits need llvmlite by design")
    (tmp_path / "kernels.py").write_text(WARM_KERNELS)
    src = Path(__file__).resolve().parents[3] / "src"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    env.update(PYTHONPATH=os.pathsep.join([str(src), str(tmp_path)]),
               XDG_CACHE_HOME=str(tmp_path / "xdg"))

    def run(code: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=tmp_path, env=env, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    run(WARM_MAIN)  # compiles both signatures, fills the cache
    out = run(WARM_MAIN)
    assert out[0] == "2.5 4"
    bare = set(run("import sys; print(*sorted(sys.modules))")[0].split())
    loaded = set(out[1].split()) - bare
    heavy = {"dataclasses", "inspect", "typing", "llvmlite", "numpy", "ember.diagnostics"}
    assert not sorted(m for m in loaded if m in heavy or m.startswith(NOT_UNDER))
    assert "ember.native.runtime.signatures" in loaded
