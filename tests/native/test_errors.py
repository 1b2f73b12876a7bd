"""Error messages of the native frontend and inference, with their exact text.

Each case renders the EmberError as the user sees it; to keep the expected text
readable and stable, the file path is written FILE and line numbers relative to the
function's ``def`` line (``FILE:+2:9`` is two lines below it, column 9).
"""

from __future__ import annotations

import math
import re
import textwrap

import pytest

from ember.diagnostics import EmberError
from ember.native.frontend.statements import infer_unit
from ember.native.options import Options
from ember.native.types import FLOAT64, INT64, Tuple, Type

HINT = (
    "hint: ember compiles numeric code: ints, floats, bools, tuples, arrays; use "
    "@jit(fallback=True) to run this function as plain Python"
)
NOT_A_CONSTANT = [1, 2]


class FakeJit:
    __ember_jit__ = True

    def __init__(self, func: object) -> None:
        self.py_func = func
        self.options = Options()


def plain_helper(x):
    return x


def error_text(func: object, *arg_types: Type) -> str:
    with pytest.raises(EmberError) as info:
        infer_unit(func, arg_types, Options())
    text = str(info.value)
    code = func.__code__  # type: ignore[attr-defined]
    def_line = code.co_firstlineno

    def relative(m: re.Match[str]) -> str:
        return f"FILE:+{int(m.group(1)) - def_line}:"

    return re.sub(re.escape(code.co_filename) + r":(\d+):", relative, text)


def check(func: object, arg_types: tuple[Type, ...], expected: str) -> None:
    assert error_text(func, *arg_types) == textwrap.dedent(expected).strip("\n")


def test_list_of_strings():
    def f(x):
        return [x, "a"]

    check(f, (INT64,), """
        FILE:+1:20: error: lists of strings are not supported in compiled code
            return [x, "a"]
                       ^^^
        hint: strings are only supported as print() arguments; a compiled list holds one kind of item: ints, floats, bools or tuples of them; for rows of numbers use a 2-d NumPy array
        """)


def test_string_operation():
    def f(x):
        return "a" + x

    check(f, (INT64,), """
        FILE:+1:16: error: unsupported operand types for +: str and int64
            return "a" + x
                   ^^^^^^^
        hint: arithmetic works on int, float and bool values
        """)


def test_undefined_name():
    def f(x):
        return x + y  # noqa: F821

    check(f, (INT64,), """
        FILE:+1:20: error: name 'y' is not defined
            return x + y  # noqa: F821
                       ^
        hint: compiled code can read locals, module constants, builtins, math and @jit functions
        """)


def test_maybe_unassigned_local():
    def f(x):
        if x > 0:
            y = 1
        return y

    check(f, (INT64,), """
        FILE:+3:16: error: local variable 'y' may be used before it is assigned
            return y
                   ^
        hint: assign 'y' on every path before this line (for example before the if or the loop)
        """)


def test_incompatible_assignments():
    def f(x):
        y = 1
        y = (1, 2)
        return y

    check(f, (INT64,), """
        FILE:+2:9: error: 'y' is assigned a tuple[int64, int64] here but holds a int64 (line +1)
            y = (1, 2)
            ^
        hint: a variable keeps one type in compiled code (int and float mix as float); use another name for the other value
        """.replace("(line +1)", f"(line {f.__code__.co_firstlineno + 1})"))


def test_return_types_conflict():
    def f(x):
        if x:
            return 1
        return (1, 2)

    first = f.__code__.co_firstlineno + 2
    check(f, (INT64,), f"""
        FILE:+3:9: error: 'test_return_types_conflict.<locals>.f' returns tuple[int64, int64] here but int64 at line {first}
            return (1, 2)
            ^^^^^^^^^^^^^
        hint: a compiled function returns one type (int and float mix as float)
        """)


def test_missing_return_at_the_end():
    def f(x):
        if x:
            return 1

    first = f.__code__.co_firstlineno + 2
    check(f, (INT64,), f"""
        FILE:+0:5: error: 'test_missing_return_at_the_end.<locals>.f' returns int64 at line {first} but can also reach its end, which returns None
            def f(x):
            ^^^^^
        hint: add a return statement at the end of the function
        """)


def test_plain_python_function_call():
    def f(x):
        return plain_helper(x)

    check(f, (INT64,), """
        FILE:+1:16: error: 'plain_helper' is a plain Python function; compiled code can only call @jit functions, builtins and math functions
            return plain_helper(x)
                   ^^^^^^^^^^^^^^^
        hint: decorate plain_helper with @ember.jit
        """)


def test_non_constant_global():
    def f(x):
        return NOT_A_CONSTANT

    check(f, (INT64,), """
        FILE:+1:16: error: global 'NOT_A_CONSTANT' is a list; compiled code can only read int, float, bool, None and tuple constants from globals
            return NOT_A_CONSTANT
                   ^^^^^^^^^^^^^^
        hint: pass the value as an argument
        """)


def test_with_statement():
    # try/except compiles now (tests/native/test_exceptions.py); with does not yet.
    def f(x):
        with x:
            return 1 // x

    check(f, (INT64,), f"""
        FILE:+1:9: error: with statements are not supported
            with x:
            ^^^^^^^
        {HINT}
        """)


def test_global_statement():
    def f(x):
        global NOT_A_CONSTANT
        return x

    check(f, (INT64,), """
        FILE:+1:9: error: 'global' statements are not supported
            global NOT_A_CONSTANT
            ^^^^^^^^^^^^^^^^^^^^^
        hint: compiled code reads module constants at compile time and cannot rebind them; return the value instead
        """)


def test_for_over_something_else_than_range():
    def f(t):
        s = 0
        for x in t:
            s += x
        return s

    check(f, (Tuple((INT64, INT64)),), """
        FILE:+2:18: error: for loops can only iterate over range(...)
            for x in t:
                     ^
        hint: write: for i in range(len(t)) or for i in range(start, stop, step)
        """)


def test_range_of_a_float():
    def f(x):
        for i in range(x):  # noqa: B007
            pass

    check(f, (FLOAT64,), """
        FILE:+1:24: error: range() argument 1 must be an int, not float64
            for i in range(x):  # noqa: B007
                           ^
        hint: convert it with int(x)
        """)


def test_keyword_arguments_to_a_jit_function():
    @FakeJit
    def g(a, b):
        return a + b

    def f(x):
        return g(x, c=2)

    # CPython's own TypeError text, at compile time.
    check(f, (INT64,), """
        FILE:+1:16: error: test_keyword_arguments_to_a_jit_function.<locals>.g() got an unexpected keyword argument 'c'
            return g(x, c=2)
                   ^^^^^^^^^
        hint: call it as Python would accept it
        """)


def test_math_function_arity():
    def f(x):
        return math.sqrt(x, x)

    check(f, (FLOAT64,), """
        FILE:+1:16: error: math.sqrt() takes 1 argument (2 given)
            return math.sqrt(x, x)
                   ^^^^^^^^^^^^^^^
        """)


def test_unknown_math_attribute():
    def f(x):
        return math.sqroot(x)

    check(f, (FLOAT64,), """
        FILE:+1:16: error: module 'math' has no attribute 'sqroot'
            return math.sqroot(x)
                   ^^^^^^^^^^^^^^
        """)


def test_integer_literal_too_large():
    def f(x):
        return x + 10**30 + 100000000000000000000

    check(f, (INT64,), """
        FILE:+1:29: error: the integer 100000000000000000000 does not fit in int64
            return x + 10**30 + 100000000000000000000
                                ^^^^^^^^^^^^^^^^^^^^^
        hint: compiled ints are 64-bit; use a float for larger values
        """)


def test_tuple_index_not_constant():
    def f(t, i):
        return t[i]

    check(f, (Tuple((INT64, FLOAT64)), INT64), """
        FILE:+1:18: error: a tuple index must be a constant int
            return t[i]
                     ^
        hint: tuple items may have different types, so the index must be known at compile time; unpack the tuple instead
        """)


def test_error_in_a_method_points_at_the_real_line_and_column():
    class Holder:
        def method(x):
            return {x: 1}

    expected = textwrap.dedent("""
        FILE:+1:20: error: dicts are not supported
            return {x: 1}
                   ^^^^^^
        """).strip("\n")
    assert error_text(Holder.method, INT64) == expected + "\n" + HINT


def test_lambda_is_rejected():
    def check_lambda() -> str:
        square = lambda x: x * x  # noqa: E731
        with pytest.raises(EmberError) as info:
            infer_unit(square, (INT64,), Options())
        return str(info.value)

    text = check_lambda()
    assert text.splitlines()[0].endswith("error: a lambda cannot be compiled")
    assert text.splitlines()[-1] == "hint: write it as a def function"


def test_builtin_is_rejected():
    with pytest.raises(EmberError) as info:
        infer_unit(len, (INT64,), Options())
    assert str(info.value) == (
        "<unknown>:1:1: error: cannot compile 'len' is a built-in function, not a Python "
        "function\nhint: decorate a function defined with def in a .py file"
    )


def test_generator_is_rejected():
    def gen(n):
        yield n

    text = error_text(gen, INT64)
    assert text.splitlines()[0] == (
        "FILE:+0:1: error: 'gen' is a generator, which ember cannot compile")


def test_exec_code_without_source_is_rejected():
    namespace: dict[str, object] = {}
    exec("def made(x):\n    return x\n", namespace)
    with pytest.raises(EmberError) as info:
        infer_unit(namespace["made"], (INT64,), Options())
    assert str(info.value) == (
        "<string>:1:1: error: cannot find the source code of 'made'\n"
        "hint: ember compiles from source: define the function in a .py file (not with exec "
        "or in an interactive prompt without source)"
    )


def test_unsupported_builtin_and_math_function():
    def f(t):
        return sum(t)

    def g(t):
        return math.fsum(t)

    supported = ("hint: supported: abs, min, max, round, int, float, bool, len, range, print, "
                 "pow and the math module's number functions")
    assert error_text(f, Tuple((INT64, INT64))).splitlines()[::3] == [
        "FILE:+1:16: error: sum() is not supported in compiled code", supported]
    assert error_text(g, Tuple((INT64, INT64))).splitlines()[::3] == [
        "FILE:+1:16: error: math.fsum() is not supported in compiled code", supported]
