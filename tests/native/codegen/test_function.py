"""codegen/function.py: hand-built typed IR → LLVM IR that LLVM accepts, with the right shape and
the right run-time behaviour (independent of the frontend and inference)."""

from __future__ import annotations

from typing import Any

import pytest

from ember.diagnostics import Span
from ember.native.backend import engine
from ember.native.codegen.function import lower_unit
from ember.native.ir import nodes as T
from ember.native.options import Options
from ember.native.runtime.compiler import compile_typed
from ember.native.types import BOOL, FLOAT64, INT64, NONE, Type
from ember.native.types import STR as T_STR

S = Span("hand.py", 1, 0)
_ids = iter(range(10**6))


def c(v: Any, t: Type = INT64) -> T.Const:
    return T.Const(v, t, S)


def n(name: str, t: Type = INT64) -> T.Name:
    return T.Name(name, t, S)


def fn(body: tuple[T.Stmt, ...], params: tuple[tuple[str, Type], ...], ret: Type,
       local_types: dict[str, Type] | None = None, symbol: str | None = None) -> T.TypedFunction:
    locs = dict(params) | (local_types or {})
    sym = symbol or f"_ember_hand_{next(_ids)}"
    return T.TypedFunction("hand", "hand", "tests", sym,
                           tuple(T.Param(p, t) for p, t in params), ret,
                           tuple(sorted(locs.items())), body, S)


def run(f: T.TypedFunction, *args: Any, options: Options | None = None,
        callees: tuple[T.TypedFunction, ...] = ()) -> Any:
    unit = T.CompileUnit(f, (f, *callees))
    return compile_typed(unit, options or Options()).entry(*args)


def test_module_shape_root_external_callees_private() -> None:
    callee = fn((T.Return(T.BinOp("+", n("x"), c(1), INT64, S), S),), (("x", INT64),), INT64)
    root = fn((T.Return(T.CallJit(callee.symbol, (n("a"),), INT64, S), S),),
              (("a", INT64),), INT64)
    text = lower_unit(T.CompileUnit(root, (root, callee)), Options())
    engine.parse(text, "shape")  # LLVM accepts it
    assert f'define i32 @"{root.symbol}"' in text
    assert f'define internal i32 @"{callee.symbol}"' in text
    assert "llvm.sadd.with.overflow.i64" in text
    assert '!"branch_weights"' in text  # error paths are cold
    assert f'"PyInit_{root.symbol}"' in text
    assert run(root, 41, callees=(callee,)) == 42


def test_fastmath_flags_only_when_asked() -> None:
    f = fn((T.Return(T.BinOp("*", n("x", FLOAT64), n("x", FLOAT64), FLOAT64, S), S),),
           (("x", FLOAT64),), FLOAT64)
    assert "fmul fast" not in lower_unit(T.CompileUnit(f, (f,)), Options())
    assert "fmul fast" in lower_unit(T.CompileUnit(f, (f,)), Options(fastmath=True))


def _range_sum(step: int) -> T.TypedFunction:
    body = (
        T.Assign("s", c(0), S),
        T.ForRange("i", n("a"), n("b"), c(step),
                   (T.Assign("s", T.BinOp("+", T.BinOp("*", n("s"), c(3), INT64, S), n("i"),
                                          INT64, S), S),), (), S),
        T.Return(n("s"), S),
    )
    return fn(body, (("a", INT64), ("b", INT64)), INT64, {"s": INT64, "i": INT64})


@pytest.mark.parametrize("step", [1, 2, 3, -1, -3, 7])
@pytest.mark.parametrize(("a", "b"), [(0, 10), (10, 0), (-5, 5), (5, -5), (3, 3), (-7, -20)])
def test_for_range_matches_python(step: int, a: int, b: int) -> None:
    expected = 0
    for i in range(a, b, step):
        expected = expected * 3 + i
    if abs(expected) >= 2**63:
        pytest.skip("overflows int64")
    assert run(_range_sum(step), a, b) == expected


def test_for_range_near_int64_max_does_not_overflow_the_counter() -> None:
    body = (T.Assign("k", c(0), S),
            T.ForRange("i", n("a"), c(2**63 - 1), c(5),
                       (T.Assign("k", T.BinOp("+", n("k"), c(1), INT64, S), S),), (), S),
            T.Return(n("k"), S))
    f = fn(body, (("a", INT64),), INT64, {"k": INT64, "i": INT64})
    assert run(f, 2**63 - 12) == len(range(2**63 - 12, 2**63 - 1, 5))


def test_range_step_zero_raises_value_error() -> None:
    body = (T.ForRange("i", c(0), c(3), n("st"), (T.Pass(S),), (), S), T.Return(c(None, NONE), S))
    f = fn(body, (("st", INT64),), NONE, {"i": INT64})
    with pytest.raises(ValueError, match="must not be zero"):
        run(f, 0)


def test_while_else_break_continue() -> None:
    # i = 0; hits = 0
    # while i < n: i += 1; if i % 2: continue; if i == stop: break; hits += 1
    # else: hits += 100
    i_lt_n = T.Compare(("<",), (n("i"), n("n")), BOOL, S)
    odd = T.Truth(T.BinOp("%", n("i"), c(2), INT64, S), BOOL, S)
    at_stop = T.Compare(("==",), (n("i"), n("stop")), BOOL, S)
    body = (
        T.Assign("i", c(0), S), T.Assign("hits", c(0), S),
        T.While(i_lt_n, (
            T.Assign("i", T.BinOp("+", n("i"), c(1), INT64, S), S),
            T.If(odd, (T.Continue(S),), (), S),
            T.If(at_stop, (T.Break(S),), (), S),
            T.Assign("hits", T.BinOp("+", n("hits"), c(1), INT64, S), S),
        ), (T.Assign("hits", T.BinOp("+", n("hits"), c(100), INT64, S), S),), S),
        T.Return(n("hits"), S),
    )
    f = fn(body, (("n", INT64), ("stop", INT64)), INT64, {"i": INT64, "hits": INT64})

    def py(nn: int, stop: int) -> int:
        i = hits = 0
        while i < nn:
            i += 1
            if i % 2:
                continue
            if i == stop:
                break
            hits += 1
        else:
            hits += 100
        return hits

    for args in [(10, 4), (10, 99), (0, 0), (7, 6)]:
        assert run(f, *args) == py(*args)


def test_read_before_assignment_is_unbound_local_error() -> None:
    body = (T.If(n("flag", BOOL), (T.Assign("x", c(1), S),), (), S), T.Return(n("x"), S))
    f = fn(body, (("flag", BOOL),), INT64, {"x": INT64})
    assert run(f, True) == 1
    with pytest.raises(UnboundLocalError, match="'x'"):
        run(f, False)


def test_error_inside_callee_propagates() -> None:
    callee = fn((T.Return(T.BinOp("//", c(1), n("x"), INT64, S), S),), (("x", INT64),), INT64)
    root = fn((T.Return(T.CallJit(callee.symbol, (n("a"),), INT64, S), S),),
              (("a", INT64),), INT64)
    with pytest.raises(ZeroDivisionError):
        run(root, 0, callees=(callee,))


def test_tuples_build_get_and_return() -> None:
    from ember.native.types import Tuple

    pair = Tuple((INT64, FLOAT64))
    body = (T.Assign("t", T.MakeTuple((n("a"), T.Cast(n("a"), FLOAT64, S)), pair, S), S),
            T.Return(T.MakeTuple((T.TupleGet(n("t", pair), 1, FLOAT64, S),
                                  T.TupleGet(n("t", pair), 0, INT64, S)),
                                 Tuple((FLOAT64, INT64)), S), S))
    f = fn(body, (("a", INT64),), Tuple((FLOAT64, INT64)), {"t": pair})
    assert run(f, 7) == (7.0, 7)


def test_missing_return_is_a_system_error_not_garbage() -> None:
    f = fn((T.Pass(S),), (("a", INT64),), INT64)
    with pytest.raises(SystemError, match="ended without return"):
        run(f, 1)


def test_print_goes_through_sys_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    call = T.Call("print", (c("x =", T_STR), n("a"), c(0.1, FLOAT64), c(True, BOOL)), NONE, S)
    f = fn((T.ExprStmt(call, S), T.Return(c(None, NONE), S)), (("a", INT64),), NONE)
    assert run(f, 3) is None
    assert capsys.readouterr().out == "x = 3 0.1 True\n"



# ------------------------------------------------------------ recursion guard


def _countdown(symbol: str, callee: str) -> T.TypedFunction:
    """``def f(x): if x <= 0: return 0; return callee(x - 1) + 1``."""
    call = T.CallJit(callee, (T.BinOp("-", n("x"), c(1), INT64, S),), INT64, S)
    body = (
        T.If(T.Compare(("<=",), (n("x"), c(0)), BOOL, S), (T.Return(c(0), S),), (), S),
        T.Return(T.BinOp("+", call, c(1), INT64, S), S),
    )
    return fn(body, (("x", INT64),), INT64, symbol=symbol)


def test_recursive_calls_are_the_calls_inside_a_strongly_connected_component() -> None:
    from ember.native.analysis.recursion import recursive_calls

    even, odd, rec = _countdown("even", "odd"), _countdown("odd", "even"), _countdown("r", "r")
    leaf = fn((T.Return(c(1), S),), (("x", INT64),), INT64, symbol="leaf")
    root = fn((T.Return(T.BinOp("+", T.CallJit("even", (n("a"),), INT64, S),
                                T.CallJit("r", (T.CallJit("leaf", (n("a"),), INT64, S),),
                                          INT64, S), INT64, S), S),),
              (("a", INT64),), INT64, symbol="root")
    unit = T.CompileUnit(root, (root, even, odd, rec, leaf))
    assert recursive_calls(unit) == {
        "root": frozenset(), "even": {"odd"}, "odd": {"even"}, "r": {"r"}, "leaf": frozenset()
    }


def test_runaway_mutual_recursion_raises_recursion_error_and_later_calls_work() -> None:
    from ember.native.options import recursion_limit

    even, odd = _countdown("_ember_even_t", "_ember_odd_t"), _countdown("_ember_odd_t",
                                                                         "_ember_even_t")
    root = fn((T.Return(T.CallJit(even.symbol, (n("a"),), INT64, S), S),), (("a", INT64),),
              INT64)
    entry = compile_typed(T.CompileUnit(root, (root, even, odd)), Options()).entry
    limit = recursion_limit()
    assert entry(limit) == limit  # the depth the limit allows (the first call is free)
    for _ in range(3):  # the error path leaves nothing behind
        with pytest.raises(RecursionError, match="maximum recursion depth exceeded"):
            entry(limit + 1)
        assert entry(10) == 10


def test_recursive_root_keeps_the_contract_signature() -> None:
    rec = _countdown("_ember_rec_t", "_ember_rec_t")
    text = lower_unit(T.CompileUnit(rec, (rec,)), Options())
    assert 'define i32 @"_ember_rec_t"(ptr %".1", i64 %".2")' in text
    assert 'define internal i32 @"_ember_rec_t.rec"' in text
    entry = compile_typed(T.CompileUnit(rec, (rec,)), Options()).entry
    assert entry(500) == 500
    with pytest.raises(RecursionError):
        entry(10**9)
