"""The Numba-compatible surface (runtime/surface.py and dispatch.py): ``njit``, Numba's
options, the dispatcher's Numba-shaped attributes, and a thread-safe first compile."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np
import pytest

import ember
import ember as numba  # the point: Numba code decorates unchanged
from ember.native.options import FIELDS
from ember.native.runtime import compiler
from ember.native.runtime.surface import NUMBA_ONLY, EmberCompatibilityWarning
from ember.native.types import FLOAT64, INT64


def test_njit_is_jit() -> None:
    assert ember.njit is ember.jit
    assert "njit" in ember.__all__


def test_numba_style_code_runs_unchanged() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these options warns

        @numba.njit(nopython=True, nogil=True, cache=False, fastmath=False,
                    boundscheck=None, error_model="python")
        def dot(a, b):
            s = 0.0
            for i in range(a.shape[0]):
                s += a[i] * b[i]
            return s

        @numba.jit(nopython=True)
        def scale(x, k):
            return x * k

    a = np.arange(4.0)
    assert dot(a, a) == dot.py_func(a, a) == 14.0
    assert scale(2, 3) == 6
    assert dot.options.nogil and not dot.options.fallback


@pytest.mark.parametrize("name", sorted(set(NUMBA_ONLY) - set(FIELDS)))
def test_other_numba_options_warn_once_naming_themselves(name: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        @ember.jit(cache=False, **{name: True})
        def f(x):
            return x + 1

    assert f(1) == 2
    assert len(caught) == 1
    w = caught[0]
    assert issubclass(w.category, EmberCompatibilityWarning)
    assert f"{name}=" in str(w.message)
    assert w.filename == __file__  # points at the decorator, not at ember


@pytest.mark.parametrize(("options", "text"), [
    ({"nopython": False}, "ember has no object mode"),
    ({"error_model": "numpy"}, "error_model='numpy' is not supported"),
    ({"fastmath": {"nnan", "contract"}}, "all fast-math flags"),
])  # fmt: skip
def test_numba_values_ember_treats_differently_warn(options: dict[str, Any], text: str) -> None:
    with pytest.warns(EmberCompatibilityWarning, match=text):
        ember.jit(cache=False, **options)(lambda x: x)


def test_set_fastmath_turns_it_on() -> None:
    with pytest.warns(EmberCompatibilityWarning):
        f = ember.jit(cache=False, fastmath={"nnan"})(lambda x: x)
    assert f.options.fastmath is True


def test_typos_stay_type_errors_with_a_hint() -> None:
    with pytest.raises(TypeError, match=r"unknown option\(s\) nogli \('nogli': did you mean 'nogil'\?\)"):
        ember.jit(nogli=True)
    with pytest.raises(TypeError, match=r"did you mean 'cache'"):
        ember.njit(cahce=True)
    with pytest.raises(TypeError, match="unknown option"):
        ember.jit(any_layout=True)  # ember's own field, not a keyword
    with pytest.raises(ValueError, match="error_model must be"):
        ember.jit(error_model="c")


def test_numba_shaped_attributes() -> None:
    @ember.njit(cache=False)
    def f(x):
        return x * 2.0

    assert f.signatures == []
    assert f(3.0) == 6.0
    assert f.py_func(3.0) == 6.0 and f.py_func.__name__ == "f"
    assert f.signatures == [(FLOAT64,)]
    assert "float64" in f.inspect_types()
    assert f.declared_signatures is None


def test_many_threads_compile_once(monkeypatch: pytest.MonkeyPatch) -> None:
    compiles: list[Any] = []
    real = compiler.compile_unit

    def counting(*args: Any, **kwargs: Any) -> Any:
        compiles.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(compiler, "compile_unit", counting)

    @ember.jit(cache=False)
    def poly(x):
        return 3 * x * x + 2 * x + 1

    n = 8
    start = threading.Barrier(n)
    results: list[Any] = [None] * n

    def call(i: int) -> None:
        start.wait()
        results[i] = poly(i)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [poly.py_func(i) for i in range(n)]
    assert compiles == [(INT64,)]
    assert poly.signatures == [(INT64,)]
