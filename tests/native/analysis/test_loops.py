"""analysis/loops.py: the facts that let codegen speculate an ``if`` and defer the
overflow checks of bounded accumulators, pinned on typed IR (the codegen tests check
what the lowering makes of them: tests/native/codegen/test_counters.py)."""

from __future__ import annotations

from typing import Any

from ember.native.analysis import loops as loop_facts
from ember.native.frontend.statements import infer_unit
from ember.native.ir import nodes as T
from ember.native.options import Options
from ember.native.types import INT64, Array, DType, Type


def first(kind: type, func: Any, *types: Type) -> Any:
    """The first node of type ``kind`` in ``func``'s typed body."""
    body = infer_unit(func, types, Options()).root.body
    return next(n for n in T.nodes(body) if isinstance(n, kind))


def test_speculation_cost_counts_every_operator_and_refuses_traps() -> None:
    def f(x, y):
        return (x * 2 + y // 3) < (x - 1)

    def g(x, y):
        return x // y  # may divide by zero: cannot run unless Python would

    cost = loop_facts.speculation_cost(first(T.Return, f, INT64, INT64).value)
    assert cost == 1 + 1 + 2 + 1 + 1  # *, +, // (2), <, -
    assert loop_facts.speculation_cost(first(T.Return, g, INT64, INT64).value) is None


def test_an_if_is_speculable_unless_an_arm_reads_what_it_assigned() -> None:
    def ok(x, c):
        y = 0
        if c:
            y = x + 1
        else:
            y = x - 1
        return y

    def reads_own(x, c):
        y = 0
        z = 0
        if c:
            y = x + 1
            z = y * 2  # reads y, assigned just above in this arm
        return y + z

    assert loop_facts.speculable_if(first(T.If, ok, INT64, INT64))
    assert not loop_facts.speculable_if(first(T.If, reads_own, INT64, INT64))


def test_bounded_accumulators_count_assignments_at_every_depth() -> None:
    def once(a, n):
        total = 0
        for i in range(n):
            total += int(a[i])  # (a[i] alone is NumPy's np.uint8, which wraps)
        return total

    def twice(a, n):
        total = 0
        for i in range(n):
            total += int(a[i])
            if n > 3:
                for _j in range(2):
                    total = 0  # a second assignment, two loops deep
        return total

    def signed(a, n):
        total = 0
        for i in range(n):
            total += int(a[i])  # int8 elements can be negative: no bound
        return total

    u8 = Array(DType("uint8"), 1, "C")
    assert loop_facts.bounded_accumulators(first(T.ForRange, once, u8, INT64)) == {"total": 255}
    assert loop_facts.bounded_accumulators(first(T.ForRange, twice, u8, INT64)) == {}
    i8 = Array(DType("int8"), 1, "C")
    assert loop_facts.bounded_accumulators(first(T.ForRange, signed, i8, INT64)) == {}
