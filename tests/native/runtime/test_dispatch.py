"""runtime/dispatch.py: the @jit object — specializations, the chain of entries, the slow path,
eager compilation, fallback, errors and inspection."""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path
from typing import Any

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


def test_keywords_and_defaults_bind_as_in_python() -> None:
    @jit(cache=False)
    def lin(x, a=2, b=1):
        return a * x + b

    assert lin(3) == 7
    assert lin(3, b=0) == 6
    assert lin(x=1, a=5, b=5) == 10
    with pytest.raises(TypeError, match="lin\\(\\)"):
        lin(1, c=2)


def test_wrong_argument_types_name_the_parameter() -> None:
    with pytest.raises(TypeError, match="add\\(\\) argument 'b' must be int, float, complex, bool"):
        add(1, "x")
    with pytest.raises(TypeError, match="argument 'a' is a list of str"):
        add(["x"], 2)


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
            return {x}.pop()


RECURSIVE_MODULE = """\
import ember

@ember.jit(cache=False)
def deep(n: int) -> int:
    return 0 if n == 0 else deep(n - 1)

@ember.jit(cache=False)
def even(n: int) -> bool:
    return True if n == 0 else odd(n - 1)

@ember.jit(cache=False)
def odd(n: int) -> bool:
    return False if n == 0 else even(n - 1)

@ember.jit(cache=False, fallback=True)
def countdown(n: int) -> int:
    return n if n <= 0 else countdown(n - 1)
"""


def _import_file(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_annotated_recursion_compiles_at_the_first_call(tmp_path: Path) -> None:
    # At decoration a module-level function's own name (and, for mutual recursion, the
    # later function's) is not bound yet: the compile waits for the first call.
    path = tmp_path / "recursive_annotated.py"
    path.write_text(RECURSIVE_MODULE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and fallback=True does not fall back to Python
        m = _import_file(path)
        assert m.deep.signatures == [] and m.even.signatures == []
        assert m.deep(300) == 0
        assert m.even(10) is True and m.odd(7) is True and m.even(7) is False
        assert m.countdown(5) == 0
    assert m.deep.signatures == [(INT64,)] and m.odd.signatures == [(INT64,)]
    assert m.countdown.signatures == [(INT64,)]


def test_annotated_recursive_closure_compiles_at_the_first_call() -> None:
    @jit(cache=False)
    def steps(n: int) -> int:
        return 0 if n <= 0 else 1 + steps(n - 2)

    assert steps(9) == 5 and steps.signatures == [(INT64,)]


def test_a_name_still_undefined_at_the_first_call_is_the_compile_error() -> None:
    @jit(cache=False)
    def typo(n: int) -> int:
        return undefined_function(n)  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(EmberError, match="name 'undefined_function' is not defined") as info:
        typo(1)
    assert isinstance(info.value, NameError)  # as Python's own error at that call


def test_other_eager_errors_still_raise_at_decoration() -> None:
    with pytest.raises(EmberError, match="unsupported operand types"):
        @jit(cache=False)
        def bad(n: int) -> int:
            return n + "x"  # type: ignore[operator]


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


OBJECT_MODULE = """\
import ember

@ember.jit
def times(n):
    return n * 3 + 1

def other(n):
    return n
"""


def test_a_cached_object_the_jit_cannot_load_is_refused_and_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "cache"))
    from _handmade import build_unit, import_file

    from ember.native.backend import engine
    from ember.native.cache import lookup as cache
    from ember.native.options import Options
    from ember.native.runtime import dispatch

    monkeypatch.setenv("EMBER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(engine, "find_cc", lambda: None)  # entries hold object code
    path = tmp_path / "objmod.py"
    path.write_text(OBJECT_MODULE)
    m = import_file(path, "objmod_refused")
    unit, _ = build_unit(m.times.py_func, 7)
    _, foreign = build_unit(m.other, 7)  # a valid object file, without times' symbols
    entry = cache.store(m.times.py_func, (INT64,), Options(), unit, foreign)
    assert entry is not None and entry.endswith(".o")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert m.times(2) == 7  # compiled again (the stored unit would give 2 * 7 + 1)
    said = [str(w.message) for w in seen if w.category is cache.NativeCacheWarning]
    assert len(said) == 1 and entry in said[0] and "cannot be loaded" in said[0], said
    dispatch._finish_stores()  # the rebuilt entry is written in the background
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        again = import_file(path, "objmod_refused")  # a fresh dispatcher: a clean hit
        assert again.times(5) == 16
        assert again.times._specs[(INT64,)].compiled is None  # loaded, not compiled
    assert not [w for w in seen if w.category is cache.NativeCacheWarning]
