"""The native issues' requirements checked the way a user meets them: a module file,
fresh processes, the messages people read. Each test names the requirement it guards
(and the regressions found while auditing them)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from ember import jit
from ember.diagnostics import EmberError
from ember.insight.explain import ExplainError, parse_type_list
from ember.native.backend.engine import find_cc
from ember.native.runtime.dispatch import EmberFallbackWarning
from ember.native.types import BOOL, FLOAT64, INT64, NONE, Array, DType, Tuple

SRC = Path(__file__).resolve().parents[2] / "src"


def run_python(folder: Path, script: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    """``python script`` in ``folder`` in a fresh process, with ember's sources and the
    folder importable and a private per-user cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    env.update(PYTHONPATH=os.pathsep.join([str(SRC), str(folder)]),
               XDG_CACHE_HOME=str(folder / "xdg"), **env_extra)  # fmt: skip
    (folder / "main.py").write_text(textwrap.dedent(script))
    return subprocess.run([sys.executable, str(folder / "main.py")], capture_output=True,
                          text=True, env=env, cwd=folder, check=False)  # fmt: skip


# ------------------------------------------------------- issue 4: the API end to end

LIB = """\
from ember import jit

SCALE = 3


@jit
def scale(x):
    return x * SCALE
"""

APP = '''\
import math

from ember import jit
from lib import scale

OFFSET = 0.5


@jit
def plain(a, b):
    """Adds scaled a to b."""
    return scale(a) + b


@jit(fastmath=True, cache=False)
def annotated(x: float, n: int) -> float:
    return x * n + OFFSET + math.pi


@jit
def chatty(n):
    print("n is", n, 2.5, True, None, sep=" ", end="!\\n")
    return n


@jit
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


@jit
def even(n):
    if n == 0:
        return True
    return odd(n - 1)


@jit
def odd(n):
    if n == 0:
        return False
    return even(n - 1)
'''


def test_a_user_module_compiles_as_the_issue_describes(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text(LIB)
    (tmp_path / "app.py").write_text(APP)
    done = run_python(tmp_path, """\
        import app
        # eager: every parameter annotated, compiled at decoration
        print(app.annotated.signatures, app.plain.signatures)
        print(app.plain(2, 1), app.plain(2, 0.25), app.plain.signatures)
        print(app.plain.__name__, app.plain.__doc__, app.plain.py_func.__name__)
        print(app.annotated(2.0, 3), app.annotated.options.fastmath)
        print(app.chatty(7))
        print(app.fib(25), app.even(10), app.odd(10))
        assert "plain(a: int64, b: int64) -> int64" in app.plain.inspect_types()
        assert "scale(x: int64) -> int64" in app.plain.inspect_types()  # the callee's IR
        assert "define" in app.plain.inspect_llvm() and app.plain.inspect_asm()
        """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "[(float64, int64)] []",
        "7 6.25 [(int64, int64), (int64, float64)]",
        "plain Adds scaled a to b. plain",
        f"{2.0 * 3 + 0.5 + 3.141592653589793} True",
        "n is 7 2.5 True None!",
        "7",
        "75025 True False",
    ]


# ------------------------------------------------------------ call-time messages


@jit(cache=False)
def pair(a, b):
    return a


@pytest.mark.parametrize(("value", "expected"), [
    ("text", "argument 'b' must be int, float, complex, bool, None, tuples of these, arrays and dtypes, not str"),
    (["a", "b"], "is a list of str: compiled lists hold ints, floats, bools or tuples of them"),
    (range(3), "not range (pass a NumPy array or an array.array"),
    (np.float16(3), "not numpy.float16: its arithmetic is NumPy's float16 arithmetic"),
    (np.zeros(3, np.float16), "not ndarray: arrays of dtype float16 are not supported "
                              "(dtypes: bool, int8-64, uint8-64, float32, float64, complex64, "
                              "complex128)"),
    (np.array(2.0), "not ndarray: 0-dimensional buffers are not supported (pass a.item()"),
    (memoryview(b"ab").cast("c"), "not memoryview: buffer format 'c' is not supported"),
])  # fmt: skip
def test_wrong_argument_types_say_what_to_pass(value: object, expected: str) -> None:
    with pytest.raises(TypeError) as info:
        pair(1, value)
    assert str(info.value).startswith("pair() argument 'b'")
    assert expected in str(info.value)


class Holder:
    @jit(cache=False)
    def method(self, x):
        return x


def test_jit_on_a_method_says_it_is_not_supported() -> None:
    with pytest.raises(TypeError, match="looks like a method: @jit compiles plain functions"):
        Holder().method(1)


def test_fallback_warns_once_with_the_reason_at_the_users_line() -> None:
    @jit(cache=False, fallback=True)
    def loose(x):
        print(x)
        return x

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert loose(1) == 1
        line = sys._getframe().f_lineno + 1
        assert loose((2, 2.5)) == (2, 2.5)  # a second signature falls back, with its reason
        assert loose(3) == 3 and loose((4, 5)) == (4, 5)
    (w,) = seen
    assert w.category is EmberFallbackWarning
    assert ("running test_fallback_warns_once_with_the_reason_at_the_users_line.<locals>.loose "
            "as plain Python") in str(w.message)
    assert "error: print() of tuple[int64, float64] values is not supported" in str(w.message)
    assert (w.filename, w.lineno) == (__file__, line)


@jit(cache=False)
def ident(x):
    return x


def test_calling_an_existing_specialization_runs_no_python_code() -> None:
    ident(1)
    ident(2.5)
    events: list[str] = []

    def profile(frame, event, arg):  # type: ignore[no-untyped-def]
        if event == "call":  # a Python frame started (c_call is a builtin)
            events.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        ident(3)
        ident(4.5)  # found through the chain of entries, still machine code
    finally:
        sys.setprofile(None)
    assert events == []


# -------------------------------------------------------- issue 5: arrays, found gaps


@jit(cache=False)
def arange_of(n, start):
    return (np.arange(n, dtype=np.float32), np.arange(start, start + n, dtype=np.int8),
            np.arange(n, dtype=np.uint16), np.arange(0.0, n, 0.5, dtype=np.float32),
            np.arange(0, n, 2, np.int32))


def test_arange_stores_each_dtype_at_its_width() -> None:
    # Regression: elements were stored as 8-byte values whatever the dtype (float32
    # arrays came back zero, narrow ints wrote past the end of the array).
    for n, start in ((5, 0), (10, 120), (0, 3), (17, -128)):
        got, want = arange_of(n, start), arange_of.py_func(n, start)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w), (g, w)


@jit(cache=False)
def at3(a, i, j, k):
    return a[i, j, k]


def test_index_error_names_each_axis_of_a_3d_array() -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    assert at3(a, -1, -1, -1) == 23.0
    for args, axis, size in (((2, 0, 0), 0, 2), ((0, -4, 0), 1, 3), ((0, 0, 4), 2, 4)):
        with pytest.raises(IndexError) as info:
            at3(a, *args)
        bad = args[axis]
        assert str(info.value) == f"index {bad} is out of bounds for axis {axis} with size {size}"
        with pytest.raises(IndexError, match=str(info.value)):
            at3.py_func(a, *args)


# ---------------------------------------------------------------- ember explain


def test_explain_types_accept_arrays() -> None:
    assert parse_type_list("int, float64[:, ::1],uint8[::1, :], bool[:]") == (
        INT64, Array(DType("float64"), 2, "C"), Array(DType("uint8"), 2, "F"),
        Array(DType("bool"), 1, "A"),
    )  # fmt: skip
    assert parse_type_list("float,int32[::1]") == (FLOAT64, Array(DType("int32"), 1, "C"))
    assert parse_type_list("(int, (float, bool)), None") == (
        Tuple((INT64, Tuple((FLOAT64, BOOL)))), NONE)
    for bad in ("complex[:]", "float64[::1, ::1]", "float64[1:]", "str", "(int", "int)"):
        with pytest.raises(ExplainError, match="--types|::1"):
            parse_type_list(bad)


def test_explain_reports_a_broken_file_without_a_traceback(tmp_path: Path, capsys) -> None:
    from ember.cli import main

    (tmp_path / "broken.py").write_text("def f(x):\n    return x +\n")
    (tmp_path / "raises.py").write_text("import no_such_module_here\n\ndef f(x):\n    return x\n")
    assert main(["explain", f"{tmp_path}/broken.py:f", "--types", "int"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path}/broken.py:2:") and "error: invalid syntax" in err
    assert "Traceback" not in err and "hint:" in err
    assert main(["explain", f"{tmp_path}/raises.py:f", "--types", "int"]) == 2
    err = capsys.readouterr().err
    assert err == (f"ember explain: error: running {tmp_path}/raises.py to find 'f' raised "
                   f"{tmp_path}/raises.py:1: ModuleNotFoundError: No module named "
                   "'no_such_module_here'\n")
    assert "no_such_module_here" not in sys.modules
    (tmp_path / "eager.py").write_text("from ember import jit\n\n\n@jit(cache=False)\n"
                                       "def f(x: int) -> int:\n    return {x}.pop()\n")
    assert main(["explain", f"{tmp_path}/eager.py:f"]) == 1  # compiled at import
    assert capsys.readouterr().err.startswith(
        f"{tmp_path}/eager.py:6:12: error: sets are not supported\n")


def test_explain_shows_an_array_kernel(tmp_path: Path, capsys) -> None:
    from ember.cli import main

    (tmp_path / "k.py").write_text("def total(a):\n    s = 0.0\n    for x in a:\n"
                                   "        s += x\n    return s\n")
    assert main(["explain", f"{tmp_path}/k.py:total", "--types", "float32[::1]",
                 "--stage", "types"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    # s = 0.0 + a float32 element is a float32 (NumPy 2's weak Python float)
    assert "def total(a: array(float32, 1d, C)) -> np.float32:" in out


# ------------------------------------------------------------- issue 6: the cache


@pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")
def test_a_refused_entry_is_reported_at_the_users_call_naming_what_differs(
    tmp_path: Path,
) -> None:
    (tmp_path / "kern.py").write_text("from ember import jit\n\n\n@jit\ndef f(x):\n"
                                      "    return x + 1\n")
    script = """\
        from kern import f
        print(f(1), f(1.5))
        """
    assert run_python(tmp_path, script).returncode == 0
    entries = sorted((tmp_path / "__pycache__").glob("kern.f.*.so"))
    assert len(entries) == 2  # one entry per signature
    # Swap the entries: each now holds the other signature's code.
    a, b = (p.read_bytes() for p in entries)
    entries[0].write_bytes(b)
    entries[1].write_bytes(a)
    done = run_python(tmp_path, script, EMBER_DEBUG="cache")
    assert done.returncode == 0 and done.stdout == "2 2.5\n", done.stderr
    warned = [line for line in done.stderr.splitlines() if "NativeCacheWarning" in line]
    assert len(warned) == 2
    for line in warned:
        assert line.startswith(f"{tmp_path}/main.py:2: NativeCacheWarning: ")
        assert "(mismatch: it holds another function: signature '(" in line
        assert "module" not in line.split("mismatch:")[1]  # only the field that differs
    rebuilt = run_python(tmp_path, script, EMBER_DEBUG="cache")
    assert [line.split()[2] for line in rebuilt.stderr.splitlines()] == ["hit", "hit"]


@pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")
def test_ember_status_and_clean_cover_native_entries(tmp_path: Path, capsys) -> None:
    from ember.cli import main

    source = "from ember import jit\n\n\n@jit\ndef f(x):\n    return x + 1\n"
    (tmp_path / "kern.py").write_text(source)
    assert run_python(tmp_path, "from kern import f\nprint(f(1), f(2.0))\n").returncode == 0
    main(["status", str(tmp_path / "kern.py")])
    out = capsys.readouterr().out
    native = out[out.index("native caches"):]
    assert "f(int64) [so]: sources unchanged" in native
    assert "f(float64) [so]: sources unchanged" in native and "2 caches: 2 fresh" in native
    (tmp_path / "kern.py").write_text(source.replace("x + 1", "x + 2"))
    main(["status", str(tmp_path / "kern.py")])
    native = capsys.readouterr().out.split("native caches")[1]
    assert native.count("stale") == 3 and "the source of f changed" in native
    assert main(["clean", str(tmp_path)]) == 0
    assert "native cache: removed 2 entries" in capsys.readouterr().out
    assert not list(tmp_path.glob("__pycache__/kern.f.*"))


# ------------------------------------------- compiled code fails like Python, never crashes


def test_runaway_recursion_raises_recursion_error_instead_of_crashing(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("from ember import jit\n\n\n@jit(cache=False)\n"
                                      "def depth(n):\n    if n == 0:\n        return 0\n"
                                      "    return 1 + depth(n - 1)\n")
    done = run_python(tmp_path, """\
        from deep import depth
        print(depth(1000))
        try:
            depth(10**9)
        except RecursionError:
            print("RecursionError")
        """)
    assert (done.returncode, done.stdout) == (0, "1000\nRecursionError\n"), done.stderr


def test_errors_inside_compiled_code_are_the_python_exceptions() -> None:
    @jit(cache=False)
    def risky(kind, x):
        if kind == 0:
            return 1 // x
        if kind == 1:
            return 1.0 / (x - x)
        if kind == 2:
            return int(x * 1e308 * 10.0)
        return int(x * 1e308 * 10.0 * 0.0)

    for kind, exc in ((0, ZeroDivisionError), (1, ZeroDivisionError), (2, OverflowError),
                      (3, ValueError)):  # fmt: skip
        with pytest.raises(exc) as want:
            risky.py_func(kind, 0 if kind == 0 else 1)
        with pytest.raises(exc) as got:
            risky(kind, 0 if kind == 0 else 1)
        assert str(got.value) == str(want.value)
    with pytest.raises(OverflowError, match="does not fit in 64 bits"):
        _times(2**62, 2)  # never a silent wrap


@jit(cache=False)
def _times(a, b):
    return a * b


def test_a_compile_error_is_a_diagnostic_not_an_internal_traceback() -> None:
    @jit(cache=False)
    def uses_set(n):
        return {n}

    with pytest.raises(EmberError) as info:
        uses_set(1)
    text = str(info.value)
    line = uses_set.py_func.__code__.co_firstlineno + 2  # the decorator's line, def, return
    assert text.startswith(f"{__file__}:{line}:16: error: ")
    assert text.splitlines()[1].strip() == "return {n}"
    assert text.splitlines()[2].strip() == "^^^"
    assert text.splitlines()[3].startswith("hint: ")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_decorated_generator_is_reported_at_its_def_line() -> None:
    @jit(cache=False)
    def counts(n):
        yield n

    with pytest.raises(EmberError) as info:
        counts(1)
    lines = str(info.value).splitlines()
    line = counts.py_func.__code__.co_firstlineno + 1  # below the decorator
    assert lines[0] == f"{__file__}:{line}:1: error: 'counts' is a generator, which ember " \
                       "cannot compile"
    assert lines[1].strip() == "def counts(n):" and lines[2].strip() == "^" * 14


def test_number_attributes_and_methods_say_what_is_supported() -> None:
    @jit(cache=False)
    def attr(x):
        return x.real

    @jit(cache=False)
    def method(x):
        return x.is_integer()

    for f, what in ((attr, "attribute 'real'"), (method, "method 'is_integer'")):
        with pytest.raises(EmberError) as info:
            f(1.5)
        text = str(info.value)
        assert f"error: float64 values have no {what} in compiled code" in text
        assert "\nhint: only arrays have" in text


@jit(cache=False)
def gcd(a, b):
    return a if b == 0 else gcd(b, a % b)


@jit(cache=False)
def halves(n):
    return fact(n) / 2 if n > 3 else 0.5 + halves(n + 1)


@jit(cache=False)
def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def test_recursion_whose_base_case_is_in_a_conditional_expression() -> None:
    # Regression: 'cannot find the return type' when the only base case was one branch
    # of `x if c else f(...)`.
    assert gcd(12, 18) == 6 and gcd(17, 5) == 1
    assert fact(20) == 2432902008176640000
    assert halves(1) == halves.py_func(1) == 13.5  # int and float branches unify
    assert "-> int64" in gcd.inspect_types() and "-> float64" in halves.inspect_types()
