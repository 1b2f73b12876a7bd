"""boundary/abi.py: the CPython entry generated in LLVM IR — unboxing, boxing, forwarding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llvmlite import ir

from ember.native.backend import engine
from ember.native.boundary import abi, llvm
from ember.native.boundary.capi import CApi
from ember.native.boundary.llvm import spec_type
from ember.native.runtime.compiler import load_object
from ember.native.types import BOOL, FLOAT64, INT64, NONE, Tuple, Type

_count = iter(range(10**6))


def unit_module(symbol: str, arg_types: tuple[Type, ...], ret: Type,
                body: Callable[[ir.IRBuilder, list[ir.Value]], ir.Value | None]) -> str:
    """LLVM IR of a hand-built unit: a root ``body`` plus its entry."""
    m = ir.Module(name=symbol)
    capi = CApi(m)
    spec = ir.Function(m, spec_type(arg_types), symbol)
    b = ir.IRBuilder(spec.append_basic_block())
    value = body(b, list(spec.args[1:]))
    if value is not None:
        b.store(value, spec.args[0])
    b.ret(ir.Constant(llvm.I32, 0))
    abi.add_entry(m, capi, spec, symbol, symbol, arg_types, ret)
    return str(m)


def build(arg_types: tuple[Type, ...], ret: Type,
          body: Callable[[ir.IRBuilder, list[ir.Value]], ir.Value | None]) -> tuple[Any, Any]:
    symbol = f"abi_test_{next(_count)}"
    text = unit_module(symbol, arg_types, ret, body)
    obj = engine.emit_object(engine.optimize(text, symbol))
    entry, set_next, _lib = load_object(obj, symbol)
    return entry, set_next


def _slow(*args: Any, **kwargs: Any) -> Any:
    return ("slow", args, kwargs)


def test_ints_round_trip_and_mismatches_forward() -> None:
    entry, set_next = build((INT64, INT64), INT64, lambda b, a: b.sub(a[0], a[1]))
    set_next(_slow)
    assert entry(50, 8) == 42
    assert entry(-(2**63), 0) == -(2**63)
    assert entry(1.0, 2) == ("slow", (1.0, 2), {})  # wrong type
    assert entry(True, 2) == ("slow", (True, 2), {})  # bool is not taken as an int
    assert entry(1) == ("slow", (1,), {})  # wrong count
    assert entry(1, b=2) == ("slow", (1,), {"b": 2})  # keywords
    assert entry(2**63, 0) == ("slow", (2**63, 0), {})  # beyond int64: slow path explains


def test_floats_bools_none() -> None:
    entry, set_next = build((FLOAT64,), FLOAT64, lambda b, a: b.fmul(a[0], a[0]))
    set_next(_slow)
    assert entry(1.5) == 2.25
    assert entry(1) == ("slow", (1,), {})
    entry, set_next = build((BOOL,), BOOL, lambda b, a: b.not_(a[0]))
    assert entry(True) is False and entry(False) is True
    entry, set_next = build((NONE,), NONE, lambda b, a: None)
    assert entry(None) is None


def test_tuples_unbox_and_box() -> None:
    pair = Tuple((INT64, FLOAT64))

    def swap(b: ir.IRBuilder, a: list[ir.Value]) -> ir.Value:
        out = ir.Constant(llvm.value_type(Tuple((FLOAT64, INT64))), ir.Undefined)
        out = b.insert_value(out, b.extract_value(a[0], 1), 0)
        return b.insert_value(out, b.extract_value(a[0], 0), 1)

    entry, set_next = build((pair,), Tuple((FLOAT64, INT64)), swap)
    set_next(_slow)
    assert entry((1, 2.5)) == (2.5, 1)
    assert entry((1, 2)) == ("slow", ((1, 2),), {})
    assert entry((1, 2.5, 3)) == ("slow", ((1, 2.5, 3),), {})


def test_without_next_a_mismatch_is_a_type_error() -> None:
    entry, _ = build((INT64,), INT64, lambda b, a: a[0])
    with pytest.raises(TypeError, match="no specialization"):
        entry("x")


def test_set_next_replaces_and_keeps_a_reference() -> None:
    entry, set_next = build((INT64,), INT64, lambda b, a: a[0])

    def make() -> Callable[..., Any]:
        return lambda *a: "second"

    set_next(_slow)
    set_next(make())  # the only reference is the entry's
    assert entry("x") == "second"


def test_value_types() -> None:
    assert str(llvm.value_type(INT64)) == "i64"
    assert str(llvm.value_type(FLOAT64)) == "double"
    assert str(llvm.value_type(BOOL)) == "i1"
    assert str(llvm.value_type(Tuple((INT64, BOOL)))) == "{i64, i1}"
    assert str(spec_type((INT64, FLOAT64))) == "i32 (ptr, i64, double)"


def test_only_the_glue_skips_o3() -> None:
    """The entry, setter and PyInit are ``optnone`` (compile time); the user's code is
    never, and every entry alloca is a fixed slot in the entry block."""
    symbol = f"abi_test_{next(_count)}"
    text = unit_module(symbol, (INT64, Tuple((INT64, FLOAT64))), Tuple((INT64, FLOAT64)),
                       lambda b, a: a[1])
    heads = {line.split("@", 1)[1].split("(")[0].strip('"'): line
             for line in text.splitlines() if line.startswith("define")}
    for glue in (f"{symbol}__entry", f"{symbol}__set_next", f"PyInit_{symbol}"):
        assert "optnone" in heads[glue] and "noinline" in heads[glue], heads[glue]
    assert "optnone" not in heads[symbol]
    entry_fn = text.split(f'@"{symbol}__entry"', 1)[1].split("\n}", 1)[0]
    blocks = entry_fn.split(":\n")[1:]  # each block's text, the entry block first
    assert all("alloca" not in b for b in blocks[1:]), entry_fn
    entry, _ = build((INT64, Tuple((INT64, FLOAT64))), Tuple((INT64, FLOAT64)),
                     lambda b, a: a[1])
    assert entry(1, (2, 3.5)) == (2, 3.5)


def test_raising_is_an_inline_cold_call_not_a_helper() -> None:
    """Every raise calls ``PyErr_SetString`` (declared ``cold``) where it happens: no
    shared ``@ember.raise`` function, one function fewer per unit to compile."""
    symbol = f"abi_test_{next(_count)}"
    text = unit_module(symbol, (INT64,), INT64, lambda b, a: a[0])
    assert "ember.raise" not in text
    decl = next(line for line in text.splitlines() if '@"PyErr_SetString"' in line
                and line.startswith("declare"))
    assert decl.endswith("cold"), decl


def test_overflow_error_replaces_a_pending_exception_unchained() -> None:
    """``set_error(OverflowError)`` clears what is pending first: no ``__context__``."""
    symbol = f"abi_test_{next(_count)}"
    m = ir.Module(name=symbol)
    capi = CApi(m)
    spec = ir.Function(m, spec_type((INT64,)), symbol)
    b = ir.IRBuilder(spec.append_basic_block())
    capi.set_error(b, "ValueError", "first")
    capi.set_error(b, "OverflowError", "second")
    b.ret(ir.Constant(llvm.I32, -1))
    abi.add_entry(m, capi, spec, symbol, symbol, (INT64,), INT64)
    obj = engine.emit_object(engine.optimize(str(m), symbol))
    entry, _set_next, _lib = load_object(obj, symbol)
    with pytest.raises(OverflowError, match="second") as info:
        entry(1)
    assert info.value.__context__ is None
