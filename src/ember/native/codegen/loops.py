"""Control flow that loops or picks: typed IR ``If``/``While``/``ForRange`` → LLVM
basic blocks, with the overflow check points loops need (see :mod:`ember.native.codegen.function`).

    for i in range(a, b, s):        k = 0; count = len(range(a, b, s))   ; no overflow
        n += i                      for.cond: br (k <u count), for.body, for.else
                                    for.body: i = a + k*s ; ... ; k += 1 ; br for.cond

``for`` over ``range`` iterates over a trip count computed as range's length (never
overflows near INT64_MAX; a canonical counted loop LLVM can vectorise); a ``while``
loop's latch is a check point.

Three lowerings build on the sticky overflow flag. A small ``if`` whose arms only assign
scalars from non-trapping expressions is if-converted (:func:`if_select`): both arms are
computed under a predicate, so their errors and overflow bits count only for the arm
Python runs, and ``select`` picks the values; ``if c: n += 1`` becomes
``n + (c ? 1 : 0)``. In a ``for`` loop, an accumulator changed only by one ``c += e``
per iteration with ``0 <= e <= B`` (a constant, a bool, an unsigned byte...) and a trip
count below ``2**63 / (B + 1)`` is added without checks: it overflowed iff it ends below
its value at loop entry, a verdict that every check point and error exit inside the loop
(and the loop's exits) fold into the flag (``Gen.accumulators``); a longer loop runs a second,
checked copy. And a ``while`` loop's silent counters (``steps += 1``, read nowhere else
in the loop) are judged the same way, but not at the latch (:func:`while_stmt`). Which
ifs, accumulators and counters qualify is decided in :mod:`ember.native.codegen.operators`;
why it is sound is in :mod:`ember.native.codegen.function`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.analysis import loops as loop_facts
from ember.native.analysis import ranges
from ember.native.boundary.llvm import I1, I64, value_type
from ember.native.codegen import operators as lower_ops
from ember.native.codegen import versioning
from ember.native.ir import nodes as T
from ember.native.messages import MSG_RANGE_STEP0
from ember.native.types import INT64_MIN

if TYPE_CHECKING:
    from ember.native.codegen.function import FunctionLowerer


def if_stmt(g: FunctionLowerer, s: T.If) -> None:
    if loop_facts.speculable_if(s):
        if_select(g, s)
        return
    cond = g.cond(s.test)
    then, orelse, end = g.block("if.then"), g.block("if.else"), g.block("if.end")
    g.b.cbranch(cond, then, orelse)
    for blk, body in ((then, s.body), (orelse, s.orelse)):
        g.b.position_at_end(blk)
        g.stmts(body)
        if not g.b.block.is_terminated:
            g.b.branch(end)
    g.b.position_at_end(end)


def if_select(g: FunctionLowerer, s: T.If) -> None:
    """A small ``if`` of pure assignments without branches: both arms computed,
    then ``select`` (an unpredictable ``if c: n += 1`` costs a mispredicted branch
    per iteration otherwise, and LLVM rarely if-converts arms that carry checks).
    Each arm runs under a predicate, so its errors and overflows count only when
    it is the arm Python runs; only arms that cannot trap are chosen."""
    b = g.b
    c = g.cond(s.test)
    # ``if x % 2 == 0``: each arm knows x's parity (lower_ops.affine uses it).
    parity = loop_facts.parity_test(s.test)
    arms: list[dict[str, ir.Value]] = []
    steps: dict[str, ir.Value] = {}  # counters: their new value, no select needed
    for pred, body, other, when in (
        (c, s.body, s.orelse, True), (b.not_(c), s.orelse, s.body, False)
    ):
        g.predicate = pred
        g.parity = None if parity is None else (parity[0], parity[1] == when)
        vals: dict[str, ir.Value] = {}
        others = {a.target for a in other if isinstance(a, T.Assign)}
        for a in body:
            if not isinstance(a, T.Assign):
                continue
            step = loop_facts.counter_step(a)
            if step is not None and a.target not in others:
                # ``if c: n += k`` → ``n + (c ? k : 0)``: adding 0 never overflows,
                # so the overflow bit needs no predicate.
                old = g.expr(step[0])
                g.predicate = None
                delta = b.select(pred, g.i64(step[1]), g.i64(0))
                if a.target in g.plain_adds:
                    steps[a.target] = b.add(old, delta)  # a bounded accumulator
                else:
                    steps[a.target] = lower_ops.int_binop(g, "+", old, delta)
                g.predicate = pred
                vals[a.target] = steps[a.target]
            else:
                plain = g.plain_add(a)
                vals[a.target] = g.expr(a.value) if plain is None else plain
        arms.append(vals)
    g.predicate = None
    g.parity = None
    then, orelse = arms
    for name in dict.fromkeys([*then, *orelse]):
        slot, t, flag = g.locals[name]
        ty = value_type(t)
        if name in steps:
            b.store(steps[name], slot)
        else:
            tv = then[name] if name in then else b.load(slot, typ=ty)
            ev = orelse[name] if name in orelse else b.load(slot, typ=ty)
            b.store(b.select(c, tv, ev), slot)
        if flag is not None:
            one = ir.Constant(I1, 1)
            if name in then and name in orelse:
                b.store(one, flag)
            else:
                old = b.load(flag, typ=I1)
                b.store(b.select(c, one, old) if name in then else b.select(c, old, one), flag)


def while_stmt(g: FunctionLowerer, s: T.While) -> None:
    head, body, latch, orelse, end = (
        g.block("while.cond"), g.block("while.body"), g.block("while.latch"),
        g.block("while.else"), g.block("while.end"),
    )  # fmt: skip
    # Silent counters (loop_facts.silent_counters): plain adds, judged like a for
    # loop's accumulators at every check point and exit of the loop but its latch.
    counters = sorted(loop_facts.silent_counters(s)) if g.defer_overflow else []
    mine = _entry_values(g, counters)
    exit_ = g.block("while.break") if mine else end
    g.accumulators.extend(mine)
    g.b.branch(head)
    g.b.position_at_end(head)
    g.b.cbranch(g.cond(s.test), body, orelse)
    g.b.position_at_end(body)
    g.loops.append((exit_, latch))
    saved_plain, g.plain_adds = g.plain_adds, g.plain_adds | set(counters)
    g.stmts(s.body)
    g.plain_adds = saved_plain
    g.loops.pop()
    if not g.b.block.is_terminated:
        g.b.branch(latch)
    # A check point: a wrapped value must not keep the loop running forever. The
    # silent counters are left out: nothing in the loop reads them, so they cannot
    # steer it (their verdict waits for the exits).
    g.b.position_at_end(latch)
    del g.accumulators[len(g.accumulators) - len(mine):]
    g.check_overflow()
    g.b.branch(head)
    g.b.position_at_end(orelse)
    if mine:
        g.fold_accumulators(g.b, mine)  # leaving the loop: the counters' verdict
        g.b.position_at_end(exit_)
        g.fold_accumulators(g.b, mine)
        g.b.branch(end)
        g.b.position_at_end(orelse)
    g.stmts(s.orelse)
    if not g.b.block.is_terminated:
        g.b.branch(end)
    g.b.position_at_end(end)


def _entry_values(g: FunctionLowerer, names: list[str]) -> list[tuple[ir.Value, ir.Value]]:
    """(slot, value at loop entry) of each accumulator or counter, for ``g.accumulators``."""
    b = g.b
    out: list[tuple[ir.Value, ir.Value]] = []
    for name in names:
        slot, _t, flag = g.locals[name]
        entry = b.load(slot, typ=I64)
        if flag is not None:
            # Unbound at entry: the first ``c += e`` raises UnboundLocalError, and
            # ``c <s INT64_MIN`` can never turn that into an OverflowError.
            entry = b.select(b.load(flag, typ=I1), entry, g.i64(INT64_MIN))
        out.append((slot, entry))
    return out


def for_range(g: FunctionLowerer, s: T.ForRange) -> None:
    b = g.b
    start, stop, step = g.expr(s.start), g.expr(s.stop), g.expr(s.step)
    count = trip_count(g, start, stop, step, s.step)
    end = g.block("for.end")
    plan = _plan(g, s)
    if plan is None:
        _checked_loops(g, s, start, stop, step, count, end)
    elif not plan.guarded:  # proofs that hold whatever the loop's inputs
        with _facts(g, plan):
            _checked_loops(g, s, start, stop, step, count, end)
    else:
        # One entry test, then the copy without the proven checks (vectorisable) or
        # the checked copy, which raises where Python would: no iteration ran yet.
        fast, slow = g.block("for.proven"), g.block("for.checked")
        ok = versioning.entry_test(g, plan, s, start, step, count)
        b.cbranch(ok, fast, slow).set_weights([1 << 20, 1])
        b.position_at_end(fast)
        with _facts(g, plan):
            _range_loop(g, s, start, stop, step, count, end, {})
        g.b.position_at_end(slow)
        _checked_loops(g, s, start, stop, step, count, end)
    g.b.position_at_end(end)


def _plan(g: FunctionLowerer, s: T.ForRange) -> ranges.LoopPlan | None:
    """The range proofs for ``s`` worth using here, or None."""
    if not g.defer_overflow:  # the immediate-checks mode stays the plain reference
        return None
    plan = ranges.plan_loop(s, g.range_env)
    if not g.options.boundscheck:  # unchecked indices still wrap: nothing to hoist
        plan = ranges.LoopPlan(
            safe_ops=plan.safe_ops, safe_index=frozenset(), assume=plan.assume,
            bound=plan.bound, accumulators=plan.accumulators, index_checks=(),
            entry=plan.entry,
        )
    if plan.guarded and g.version_depth >= versioning.MAX_DEPTH:
        return None
    if not (plan.safe_ops - g.safe_ops or plan.safe_index):
        return None
    return plan


@contextmanager
def _facts(g: FunctionLowerer, plan: ranges.LoopPlan) -> Iterator[None]:
    """Lower the loop under the plan's proofs (and its nested loops under its facts)."""
    saved = g.safe_ops, g.safe_index, g.range_env, g.version_depth
    g.safe_ops = g.safe_ops | plan.safe_ops
    g.safe_index = g.safe_index | plan.safe_index
    g.range_env = dict(plan.entry)
    g.version_depth += int(plan.guarded)
    try:
        yield
    finally:
        g.safe_ops, g.safe_index, g.range_env, g.version_depth = saved


def _checked_loops(
    g: FunctionLowerer, s: T.ForRange, start: ir.Value, stop: ir.Value, step: ir.Value,
    count: ir.Value, end: ir.Block,
) -> None:
    """The loop with its checks: bounded accumulators judged at the exits when the trip
    count allows (a second copy otherwise)."""
    b = g.b
    accs = loop_facts.bounded_accumulators(s) if g.defer_overflow else {}
    if not accs:
        _range_loop(g, s, start, stop, step, count, end, {})
    else:
        # ``c += e`` with 0 <= e <= B, fewer than 2**63 / (B + 1) times: the sum
        # added stays below 2**63, so ``c`` overflowed iff it ends below where it
        # began. Plain adds (a reduction LLVM vectorises), one compare per check
        # point; a longer loop takes the checked copy.
        limit = 2**63 // (max(accs.values()) + 1)
        fast, slow = g.block("for.fast"), g.block("for.checked")
        b.cbranch(b.icmp_unsigned("<", count, g.i64(limit)), fast, slow).set_weights(
            [1 << 20, 1]
        )
        b.position_at_end(fast)
        _range_loop(g, s, start, stop, step, count, end, accs)
        g.b.position_at_end(slow)
        _range_loop(g, s, start, stop, step, count, end, {})


def trip_count(g: FunctionLowerer, start: ir.Value, stop: ir.Value, step: ir.Value,
               step_node: T.Expr) -> ir.Value:
    """``len(range(start, stop, step))`` as an i64 (ValueError for a zero step); a check
    point first. Shared by ``for`` and the parallel loop (codegen/parallel.py)."""
    b = g.b
    g.check_overflow()  # a wrapped bound could mean 2**63 iterations
    if not (isinstance(step_node, T.Const) and step_node.value != 0):
        g.guard(b.icmp_signed("==", step, g.i64(0)), "ValueError", MSG_RANGE_STEP0)
    # Iterate over a trip count, as range's length: no overflow near INT64_MAX, and
    # LLVM sees a canonical counted loop it can vectorise.
    # (step == 0 was rejected above, so no unsigned division can trap.) A constant
    # step, as in most loops, needs only its own direction's count.
    one = g.i64(1)
    known = step_node.value if isinstance(step_node, T.Const) and step_node.value != 0 else None

    def up() -> ir.Value:
        span = b.sub(b.sub(stop, start), one)
        return b.add(span if known == 1 else b.udiv(span, step), one)

    def down() -> ir.Value:
        span = b.sub(b.sub(start, stop), one)
        return b.add(span if known == -1 else b.udiv(span, b.sub(g.i64(0), step)), one)

    if known is not None and known > 0:
        count = b.select(b.icmp_signed("<", start, stop), up(), g.i64(0))
    elif known is not None:
        count = b.select(b.icmp_signed(">", start, stop), down(), g.i64(0))
    else:
        pos = b.icmp_signed(">", step, g.i64(0))
        nonempty = b.select(
            pos, b.icmp_signed("<", start, stop), b.icmp_signed(">", start, stop)
        )
        count = b.select(nonempty, b.select(pos, up(), down()), g.i64(0))
    return count


def _range_loop(
    g: FunctionLowerer, s: T.ForRange, start: ir.Value, stop: ir.Value, step: ir.Value,
    count: ir.Value, end: ir.Block, accs: dict[str, int],
) -> None:
    """The loop of :meth:`for_range` from the current block to ``end``; ``accs``
    are its bounded accumulators, added without overflow checks."""
    b = g.b
    mine = _entry_values(g, list(accs))
    k = g.alloca(I64, name="range.k")
    b.store(g.i64(0), k)
    head, body, latch = g.block("for.cond"), g.block("for.body"), g.block("for.next")
    orelse = g.block("for.else")
    exit_ = g.block("for.break") if accs else end
    b.branch(head)
    b.position_at_end(head)
    kv = b.load(k, typ=I64)
    b.cbranch(b.icmp_unsigned("<", kv, count), body, orelse)
    b.position_at_end(body)
    value = b.add(start, b.mul(kv, step))
    if isinstance(s.step, T.Const) and isinstance(s.step.value, int) and s.step.value != 0:
        # Facts, not checks: start <= i < stop (or start >= i > stop). They let LLVM
        # drop a bounds check of a[i] for i in range(len(a)) in nested loops.
        assume = g.intrinsic("llvm.assume", ir.VoidType(), [I1])
        up = s.step.value > 0
        b.call(assume, [b.icmp_signed(">=" if up else "<=", value, start)])
        b.call(assume, [b.icmp_signed("<" if up else ">", value, stop)])
    g.assign(s.target, value)
    g.loops.append((exit_, latch))
    g.accumulators.extend(mine)
    saved_plain, g.plain_adds = g.plain_adds, g.plain_adds | set(accs)
    g.stmts(s.body)
    g.plain_adds = saved_plain
    if not g.b.block.is_terminated:
        g.b.branch(latch)
    g.b.position_at_end(latch)
    g.b.store(g.b.add(g.b.load(k, typ=I64), g.i64(1)), k)
    g.b.branch(head)
    del g.accumulators[len(g.accumulators) - len(mine):]
    g.loops.pop()
    if accs:
        # Leaving the loop (by break or at its end): the accumulators' verdict
        # joins the flag before anything else runs.
        g.b.position_at_end(exit_)
        g.fold_accumulators(g.b, mine)
        g.b.branch(end)
        g.b.position_at_end(orelse)
        g.fold_accumulators(g.b, mine)
    else:
        g.b.position_at_end(orelse)
    g.stmts(s.orelse)
    if not g.b.block.is_terminated:
        g.b.branch(end)
