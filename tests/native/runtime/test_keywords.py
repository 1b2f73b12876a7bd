"""Keyword arguments and defaults: at the Python boundary (the FASTCALL entry binds them,
boundary/keywords.py; the slow path binds as CPython does, support/binding.py) and between
@jit functions (frontend/calls.py) — differential against the interpreted function,
CPython's TypeError texts, keyword-only and positional-only parameters."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness

from _harness import PROFILE, check, define, floats, ints, run, same  # noqa: E402

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.cache import key as K  # noqa: E402
from ember.native.runtime.dispatch import jit  # noqa: E402
from ember.support.binding import binder  # noqa: E402

CRC = define("""
def crc_step(x, poly=0x8408, *, init=65535, shift=1):
    return ((x ^ init) >> shift) ^ poly
""", "crc_step")

MIXED = define("""
def mixed(a, b=2.5, /, c=True, *, d, e=0):
    if e == 0:
        return a * b + d if c else a - d
    return a + b + d
""", "mixed")


def _calls(f: Any, *args: Any, **kwargs: Any) -> None:
    """``f(*args, **kwargs)`` compiled and interpreted agree: value, or exception type and
    message (CPython's TypeError texts included)."""
    want = run(lambda: f.py_func(*args, **kwargs), ())
    got = run(lambda: f(*args, **kwargs), ())
    assert got[1] is want[1], (args, kwargs, want, got)
    assert same(got[0], want[0]), (args, kwargs, want, got)


@PROFILE
@given(x=ints, poly=ints, init=ints, shift=st.integers(0, 70))
def test_defaults_and_keywords_agree(x: int, poly: int, init: int, shift: int) -> None:
    check(CRC, x)
    _calls(CRC, x, poly)
    _calls(CRC, x, poly=poly)
    _calls(CRC, x, init=init)
    _calls(CRC, poly=poly, x=x, shift=shift)
    _calls(CRC, x, poly, init=init, shift=shift)


@PROFILE
@given(a=ints, b=floats, d=floats)
def test_positional_only_and_keyword_only(a: int, b: float, d: float) -> None:
    _calls(MIXED, a, d=d)
    _calls(MIXED, a, b, d=d)
    _calls(MIXED, a, b, False, d=d)
    _calls(MIXED, a, c=False, d=d)
    _calls(MIXED, a, d=d, e=1)


@pytest.mark.parametrize("call", [
    lambda f: f(),                       # missing 1 required positional
    lambda f: f(1, 2, 3),                # too many positional
    lambda f: f(1, pol=3),               # unexpected keyword
    lambda f: f(1, x=3),                 # multiple values
    lambda f: f(1, init=2, **{"init": 3}),  # duplicate keyword (CPython raises first)
    lambda f: f(1, 2, 3, 4, init=2),
])  # fmt: skip
def test_binding_errors_have_cpythons_text(call: Any) -> None:
    want = run(lambda: call(CRC.py_func), ())
    got = run(lambda: call(CRC), ())
    assert want[1] is TypeError and got[1] is TypeError
    assert got[0] == want[0]


@pytest.mark.parametrize("call", [
    lambda f: f(1),                      # missing keyword-only 'd'
    lambda f: f(a=1, d=2),               # positional-only passed by keyword
    lambda f: f(1, 2.0, True, 4),        # keyword-only passed by position
    lambda f: f(1, d=2, z=3),
])  # fmt: skip
def test_positional_only_and_keyword_only_errors(call: Any) -> None:
    want = run(lambda: call(MIXED.py_func), ())
    got = run(lambda: call(MIXED), ())
    assert want[1] is TypeError and got[1] is TypeError
    assert got[0] == want[0]


def test_keyword_calls_are_bound_by_the_entry_not_the_slow_path() -> None:
    @jit(cache=False)
    def lin(x, a=2, *, b=1):
        return a * x + b

    assert lin(3) == 7
    lin.__dict__["_bind"] = None  # the slow path would now fail: it must not be reached
    assert (lin(3), lin(3, 5), lin(3, a=5), lin(x=3, b=0), lin(b=0, a=1, x=4)) == (7, 16, 16, 6, 4)
    assert lin.signatures == [(lin.signatures[0])]


def test_equal_but_not_interned_keyword_names_take_the_slow_path() -> None:
    @jit(cache=False)
    def lin(x, a=2):
        return a * x

    lin(1)
    name = "".join(["a", "\u00e9"])[:1]  # an 'a' that is not the interned 'a'
    assert lin(3, **{name: 5}) == 15


def test_a_default_of_another_type_than_the_specialization() -> None:
    @jit(cache=False)
    def f(x, y=1):
        return x + y

    assert f(1, 2.5) == 3.5
    assert type(f(1)) is int and f(1) == 2  # not the float specialization with y=1
    assert f(1.0) == 2.0
    assert len(f.signatures) == 3


def test_non_constant_defaults_are_bound_by_the_slow_path() -> None:
    @jit(cache=False)
    def f(x, y=(1, 2)):
        return x + y[0] + y[1]

    assert f(1) == 4 and f(1, y=(3, 4)) == 8


def test_defaults_are_in_the_cache_key() -> None:
    def f(x, poly=0x8408, *, n=3):
        return x

    before = K.bindings(f)
    f.__defaults__ = (0x1021,)
    assert K.bindings(f) != before
    f.__kwdefaults__ = {"n": 4}
    assert K.bindings(f)["<kwdefaults>"] == "const:(('n', 4),)"


def test_binder_matches_cpython() -> None:
    def f(a, /, b, c=3, *, d=4):
        return a, b, c, d

    bind = binder(f)
    assert bind is not None
    assert bind(1, 2) == f(1, 2) and bind(1, b=2, d=0) == f(1, b=2, d=0)
    assert binder(lambda *a: a) is None


# ------------------------------------------------------------- jit to jit


@jit(cache=False)
def scale(x, factor=2.0, *, offset=0.0):
    return x * factor + offset


def test_keywords_between_jit_functions() -> None:
    @jit(cache=False)
    def user(x, f):
        return (scale(x), scale(x, 3.0), scale(x, factor=f), scale(x, offset=f),
                scale(offset=1.0, x=x), scale(x, f, offset=x))

    for x, f in ((1.5, 2.0), (-3.0, 0.25), (0.0, -0.0)):
        check(user, x, f)


@pytest.mark.parametrize(("call", "message"), [
    ("scale()", "scale() missing 1 required positional argument: 'x'"),
    ("scale(x, c=2)", "scale() got an unexpected keyword argument 'c'"),
    ("scale(x, x=2)", "scale() got multiple values for argument 'x'"),
    ("scale(x, 1.0, 2.0)", "scale() takes from 1 to 2 positional arguments but 3 were given"),
    ("scale(*t)", "*-arguments are not supported"),
    ("scale(**d)", "**-arguments are not supported"),
])  # fmt: skip
def test_jit_call_errors_at_compile_time(call: str, message: str) -> None:
    f = define(f"def bad_{abs(hash(call))}(x):\n    t = (x,)\n    d = 0\n    return {call}\n",
               f"bad_{abs(hash(call))}", {"scale": scale})
    with pytest.raises(EmberError, match="error: " + re.escape(message)):
        f(1.0)
    if not message.startswith("*"):  # and CPython raises the same text
        with pytest.raises(TypeError, match="missing|unexpected|multiple|takes"):
            f.py_func(1.0)


def test_jit_call_keyword_order_with_effects_is_refused() -> None:
    f = define("def order_bad(x):\n    return scale(offset=scale(x), x=x + 1.0)\n",
               "order_bad", {"scale": scale})
    with pytest.raises(EmberError, match="must be written in parameter order"):
        f(1.0)
    ok = define("def order_ok(x):\n    return scale(offset=x, x=scale(x))\n",
                "order_ok", {"scale": scale})
    check(ok, 2.0)
