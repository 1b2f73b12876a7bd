"""dispatch.py: the @jit object — specializations, the chain of entries, the slow path,
eager compilation, fallback, errors and inspection."""

from __future__ import annotations

import math
import warnings

import pytest

from ember.diagnostics import EmberError
from ember.native.runtime.dispatch import Dispatcher, EmberFallbackWarning, annotated_types, jit
from ember.native.types import BOOL, FLOAT64, INT64, Tuple


@jit(cache=False)
def add(a, b):
    """Add two numbers."""
    return a + b


def test_behaves_like_the_function() -> None:
    assert add.__name__ == "add"
    assert add.__doc__ == "Add two numbers."
    assert add.__wrapped__ is add.py_func
    assert add.__ember_jit__ is True
    assert isinstance(add, Dispatcher)
    assert "add" in repr(add)


def test_one_specialization_per_type_signature() -> None:
    @jit(cache=False)
    def twice(x):
        return x * 2

    assert twice(3) == 6
    assert twice(1.5) == 3.0
    assert twice(True) == 2
    assert twice(4) == 8  # found through the chain, not compiled again
    assert twice.signatures == [(INT64,), (FLOAT64,), (BOOL,)]


def test_entries_are_the_class_call() -> None:
    @jit(cache=False)
    def ident(x):
        return x

    ident(1)
    # The newest entry builtin is the class attribute: no Python frame on the call path.
    assert type(type(ident).__dict__["__call__"]).__name__ == "builtin_function_or_method"


def test_keywords_and_defaults_go_through_the_slow_path() -> None:
    @jit(cache=False)
    def lin(x, a=2, b=1):
        return a * x + b

    assert lin(3) == 7
    assert lin(3, b=0) == 6
    assert lin(x=1, a=5, b=5) == 10
    with pytest.raises(TypeError, match="lin\\(\\)"):
        lin(1, c=2)


def test_wrong_argument_types_name_the_parameter() -> None:
    with pytest.raises(TypeError, match="add\\(\\) argument 'b' must be int, float, bool"):
        add(1, "x")
    with pytest.raises(TypeError, match="argument 'a'.*not list"):
        add([1], 2)


def test_int_beyond_int64_is_an_overflow_error_naming_the_parameter() -> None:
    add(1, 2)
    with pytest.raises(OverflowError, match="argument 'b': int .* does not fit in 64 bits"):
        add(1, 2**64)


def test_errors_in_compiled_code_are_python_exceptions() -> None:
    @jit(cache=False)
    def div(a, b):
        return a // b

    with pytest.raises(ZeroDivisionError):
        div(1, 0)
    with pytest.raises(OverflowError, match="does not fit in 64 bits"):
        div(-(2**63), -1)
    assert div(7, -2) == -4


def test_recursion_and_mutual_recursion() -> None:
    @jit(cache=False)
    def fib(n):
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)

    assert fib(20) == 6765
    assert is_even(10) is True and is_even(7) is False


@jit(cache=False)
def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


@jit(cache=False)
def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


def test_eager_compile_when_every_parameter_is_annotated() -> None:
    @jit(cache=False)
    def hyp(a: float, b: float) -> float:
        return math.sqrt(a * a + b * b)

    assert hyp.signatures == [(FLOAT64, FLOAT64)]
    assert hyp(3.0, 4.0) == 5.0
    assert annotated_types(hyp.py_func) == (FLOAT64, FLOAT64)
    assert annotated_types(lambda x: x) is None


def test_eager_compile_error_is_raised_at_decoration() -> None:
    with pytest.raises(EmberError, match="error:"):
        @jit(cache=False)
        def bad(x: int) -> int:
            return [x][0]


def test_compile_error_at_first_call_is_a_diagnostic_not_a_traceback() -> None:
    @jit(cache=False)
    def bad(x):
        return {x: 1}

    with pytest.raises(EmberError) as info:
        bad(1)
    text = str(info.value)
    assert "test_dispatch.py:" in text and "error:" in text and "^" in text


def test_fallback_runs_python_with_one_warning() -> None:
    @jit(cache=False, fallback=True)
    def loose(x):
        return {x: 1}[x]

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert loose(3) == 1
        assert loose("k") == 1
    assert [w.category for w in seen] == [EmberFallbackWarning]


def test_unknown_option_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="unknown option\\(s\\) fastmeth"):
        jit(fastmeth=True)


def test_inspect_methods() -> None:
    @jit(cache=False)
    def sq(x):
        return x * x

    with pytest.raises(ValueError, match="no compiled specialization"):
        sq.inspect_types()
    sq(3)
    assert "sq(x: int64) -> int64:" in sq.inspect_types()
    assert "llvm.smul.with.overflow" in sq.inspect_llvm(optimized=False)
    assert "define" in sq.inspect_llvm()
    assert "sq" in sq.inspect_asm()
    assert "float64" in sq.inspect_types((FLOAT64,))


def test_tuple_arguments_and_results() -> None:
    @jit(cache=False)
    def swap(t):
        a, b = t
        return b, a

    assert swap((1, 2.5)) == (2.5, 1)
    assert swap.signatures == [(Tuple((INT64, FLOAT64)),)]
