"""analysis/ranges.py: intervals, the operations proven not to overflow, and the entry
tests a loop plan needs, pinned on typed IR (tests/native/codegen/test_versioning.py
runs both copies against CPython)."""

from __future__ import annotations

from typing import Any

from ember.native.analysis import ranges
from ember.native.frontend.statements import infer_unit
from ember.native.ir import nodes as T
from ember.native.options import Options
from ember.native.types import INT64, Array, DType, Type


def plan(func: Any, *types: Type) -> ranges.LoopPlan:
    body = infer_unit(func, types, Options()).root.body
    loop = next(n for n in T.nodes(body) if isinstance(n, T.ForRange))
    return ranges.plan_loop(loop, {})


def ops(func: Any, *types: Type) -> list[str]:
    body = infer_unit(func, types, Options()).root.body
    return [n.op for n in T.nodes(body) if isinstance(n, T.BinOp)]


def test_square_needs_the_runtime_bound_sqrt_int64_max() -> None:
    def f(n):
        s = 0
        for i in range(n):
            s += i * i % 7
        return s

    p = plan(f, INT64)
    assert p.assume == ("n",) and p.bound == 3037000500  # i <= n - 1 = 3037000499
    assert p.accumulators == (("s", 2**62 // 6),)  # the term is in [0, 6]
    assert len(p.safe_ops) == 3  # *, % and the accumulator's +


def test_static_proofs_need_no_entry_test() -> None:
    def f(a):
        s = 0
        for i in range(100):
            s = (i * 3 + 1) & 0xFF
        return s

    p = plan(f, INT64)
    assert not p.guarded and len(p.safe_ops) == 2


def test_nothing_is_proven_of_an_unbounded_product() -> None:
    def f(x, n):
        for _ in range(n):
            x = x * 3
        return x

    p = plan(f, INT64, INT64)
    assert not p.safe_ops and not p.assume  # x grows: no fixpoint, no assumption


def test_carried_value_with_a_fixpoint_is_assumed_at_entry() -> None:
    def f(t, n):
        for i in range(n):
            t = (t + i * i) % 1000003
        return t

    p = plan(f, INT64, INT64)
    # + and * proven; % keeps its floor adjustment (t + i*i may be negative)
    assert set(p.assume) == {"n", "t"} and len(p.safe_ops) == 2


def test_affine_indices_are_hoisted_with_both_ends() -> None:
    def f(a, out, n):
        for i in range(1, n):
            out[i] = a[i + 1] + a[2 * i - 1]
        return out

    arr = Array(DType("int64"), 1, "C")
    p = plan(f, arr, arr, INT64)
    got = {(c.array, c.x, c.k, c.c) for c in p.index_checks}
    assert got == {("out", "i", 1, 0), ("a", "i", 1, 1), ("a", "i", 2, -1)}
    assert len(p.safe_index) == 3


def test_reassigned_array_or_index_is_not_hoisted() -> None:
    def f(a, n):
        s = 0
        for i in range(n):
            s += a[i * i]  # not affine
            a = a
        return s

    p = plan(f, Array(DType("int64"), 1, "C"), INT64)
    assert not p.index_checks and not p.safe_index


def test_intervals_of_masks_modulo_and_dtypes() -> None:
    w = ranges._Walk("i", __import__("collections").Counter())  # noqa: SLF001
    span = T.Name("x", INT64, None).span  # type: ignore[arg-type]
    x = T.Name("x", INT64, span)
    env = {"x": (-50, 50)}

    def binop(op: str, right: int) -> T.BinOp:
        return T.BinOp(op, x, T.Const(right, INT64, span), INT64, span)

    assert w.expr(binop("%", 7), env) == (0, 6)
    assert w.expr(binop("%", -7), env) == (-6, 0)
    assert w.expr(binop("&", 0xF), env) == (0, 15)
    assert w.expr(binop("*", 2**62), env) == ranges.TOP  # leaves int64: any value
    assert ranges.dtype_interval(Array(DType("uint8"), 1)) == (0, 255)
    assert ranges.dtype_interval(Array(DType("int16"), 1)) == (-32768, 32767)
