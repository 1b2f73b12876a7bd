"""analysis/effects.py: which function bodies are check-free (no loop, call, print or
memory access anywhere in them), over the whole tree: a disallowed node nested deep in
an allowed one still makes the body not check-free."""

from __future__ import annotations

import math

from ember.native.analysis.effects import check_free
from ember.native.frontend.statements import infer_unit
from ember.native.options import Options
from ember.native.types import FLOAT64, INT64, Array, DType


def body(func, *types):
    return infer_unit(func, types, Options()).root.body


def test_arithmetic_branches_and_safe_calls_are_check_free() -> None:
    def f(x, y):
        if x > 0 and y < 2.0:
            return abs(x) + int(math.floor(y)) if x else min(x, 3)
        return (x, y)[0]

    assert check_free(body(f, INT64, FLOAT64))


def test_a_loop_a_print_or_an_unsafe_call_anywhere_is_not() -> None:
    def loop(n):
        for i in range(n):
            n += i
        return n

    def nested_print(x):
        if x > 0:
            if x > 1:
                print(x)
        return x

    def unsafe_call(x):
        return 1 + (2 * round(x / 3.0))

    for f in (loop, nested_print, unsafe_call):
        assert not check_free(body(f, INT64)), f.__name__


def test_array_expressions_are_not_check_free() -> None:
    def f(a):
        return a.shape[0] + 1

    assert not check_free(body(f, Array(DType("float64"), 1, "C")))
