"""Inner functions, lambdas and functions as arguments (frontend/closures.py): the same
source interpreted and compiled (closure_samples.py), values and exception types."""

from __future__ import annotations

import importlib.util
import pathlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.diagnostics import EmberError

SAMPLES = pathlib.Path(__file__).with_name("closure_samples.py")
SETTINGS = settings(max_examples=25, deadline=None)
ints = st.integers(-50, 50)


def _load(name: str, jit: Any) -> Any:
    spec = importlib.util.spec_from_file_location(name, SAMPLES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.jit = jit  # type: ignore[attr-defined]
    source = SAMPLES.read_text().replace("jit = None", "pass", 1)
    exec(compile(source, str(SAMPLES), "exec"), module.__dict__)  # noqa: S102
    return module


PY = _load("closure_samples_py", lambda f: f)
JIT = _load("closure_samples_jit", ember.jit)


def same(name: str, *args: object) -> None:
    try:
        expected: object = getattr(PY, name)(*args)
    except Exception as exc:  # noqa: BLE001 - the interpreter's exception is the answer
        with pytest.raises(type(exc)):
            getattr(JIT, name)(*args)
        return
    got = getattr(JIT, name)(*args)
    assert got == expected and type(got) is type(expected)


@SETTINGS
@given(st.integers(0, 30), st.integers(0, 3))
def test_inner_def_reads_enclosing_locals(n: int, p: int) -> None:
    same("power_sum", n, p)


@SETTINGS
@given(ints)
def test_captured_local_rebound_after_def_is_seen(a: int) -> None:
    same("rebound", a)


@SETTINGS
@given(ints, ints)
def test_lambdas_defaults_and_calls(x: int, k: int) -> None:
    same("lambdas", x, k)


@SETTINGS
@given(ints, ints)
def test_functions_passed_to_jit_functions(x: int, a: int) -> None:
    same("passed", x, a)


@SETTINGS
@given(st.integers(0, 20), ints, ints)
def test_recursion_nesting_keywords(n: int, x: int, y: int) -> None:
    same("factorial", n)
    same("nested", x, y)
    same("keywords", x)


@SETTINGS
@given(ints, st.integers(-3, 3))
def test_exception_inside_inner_function(x: int, d: int) -> None:
    same("divides", x, d)  # ZeroDivisionError for d == 0


def test_jit_function_passed_from_python() -> None:
    assert JIT.apply(JIT.sq, 3.0) == 9.0
    assert JIT.apply(JIT.sq, 4) == 16
    assert JIT.apply_twice(JIT.sq, 3) == 81
    assert len(JIT.apply.signatures) == 2
    with pytest.raises(TypeError, match="decorate it with @ember.jit"):
        JIT.apply(lambda y: y, 1)


def _error(src: str) -> str:
    namespace: dict[str, Any] = {}
    path = SAMPLES.with_name("_closure_error_case.py")
    try:
        path.write_text(src)
        exec(compile(src, str(path), "exec"), namespace)  # noqa: S102
        with pytest.raises(EmberError) as info:
            ember.jit(namespace["f"])(1)
    finally:
        path.unlink()
    return str(info.value)


def test_nonlocal_is_refused_with_the_form_to_write() -> None:
    text = _error("def f(x):\n    def g(y):\n        nonlocal x\n        x = y\n    g(2)\n"
                  "    return x\n")
    assert "'nonlocal' statements are not supported" in text
    assert "x = g(x)" in text and ":3:" in text


def test_returning_a_function_is_refused() -> None:
    text = _error("def f(x):\n    return lambda y: y + x\n")
    assert "returns a function" in text


def test_inner_call_checked_as_cpython_checks_it() -> None:
    text = _error("def f(x):\n    def g(y):\n        return y\n    return g(x, 2)\n")
    assert "takes 1 positional argument but 2 were given" in text


def test_name_bound_twice_is_refused() -> None:
    text = _error("def f(x):\n    def g(y):\n        return y\n    g = 3\n    return g\n")
    assert "nested function" in text and "bound elsewhere" in text
