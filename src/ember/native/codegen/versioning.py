"""Loop versioning from range proofs: the entry test of a :class:`LoopPlan`
(:mod:`ember.native.analysis.ranges`) and the integer operations it proves, as LLVM IR.

    for i in range(n):            ok = (n + M) <=u 2M  and  count <=u K  and  |s0| < 2**62
        s += i * i % 7            br ok, for.proven, for.checked
                                  for.proven:  mul nsw, srem, add nsw   ; no flags: vectorised
                                  for.checked: the loop as before (every check)

The test runs before the first iteration, so when it fails the checked copy starts
from the same state and raises exactly where, and with what, Python would; when it
holds, no dropped check could have fired (the proofs of the plan). Hoisted bounds
checks test the first and last index of each access (an affine index is monotone in
the loop variable) against the array's shape: inside, indices need no check and no
negative wrap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.analysis.ranges import ACC_LIMIT, IndexCheck, LoopPlan
from ember.native.boundary.llvm import I1, I64, value_type
from ember.native.codegen.array_access import dim_of
from ember.native.ir import nodes as T

if TYPE_CHECKING:
    from ember.native.codegen.builder import Gen
    from ember.native.codegen.function import FunctionLowerer

#: Nested versioned loops double the code each: past this depth, loops are not split.
MAX_DEPTH = 3


def proven_binop(g: Gen, op: str, a: ir.Value, c: ir.Value) -> ir.Value:
    """``a op c`` on int64 where the range analysis proved the exact result fits (and,
    for ``%`` and ``//``, ``a >= 0 < c``): the plain instruction, no flag, no guard."""
    b = g.b
    if op == "+":
        return b.add(a, c, flags=["nsw"])
    if op == "-":
        return b.sub(a, c, flags=["nsw"])
    if op == "*":
        return b.mul(a, c, flags=["nsw"])
    if op == "<<":
        return b.shl(a, c, flags=["nsw"])
    if op == "%":
        return b.srem(a, c)
    if op == "//":
        return b.sdiv(a, c)
    raise NotImplementedError(f"proven int64 {op}")


def _raw(g: FunctionLowerer, name: str) -> ir.Value:
    """A local's value as stored (no unbound test: a read in the loop makes that)."""
    slot, t, _flag = g.locals[name]
    return g.b.load(slot, typ=value_type(t))


def _within(g: FunctionLowerer, v: ir.Value, bound: int) -> ir.Value:
    """``-bound <= v <= bound`` in one unsigned compare."""
    b = g.b
    return b.icmp_unsigned("<=", b.add(v, g.i64(bound)), g.i64(2 * bound))


def _checked(g: FunctionLowerer, name: str, a: ir.Value, c: ir.Value) -> tuple[ir.Value, ir.Value]:
    fn = g.intrinsic(f"llvm.{name}.with.overflow.i64", ir.LiteralStructType([I64, I1]), [I64, I64])
    pair = g.b.call(fn, [a, c])
    return g.b.extract_value(pair, 0), g.b.extract_value(pair, 1)


def _affine(g: FunctionLowerer, x: ir.Value, k: int, c: int) -> tuple[ir.Value, ir.Value]:
    """``k * x + c`` and whether it overflowed."""
    prod, o1 = _checked(g, "smul", x, g.i64(k))
    total, o2 = _checked(g, "sadd", prod, g.i64(c))
    return total, g.b.or_(o1, o2)


def _index_ok(
    g: FunctionLowerer, chk: IndexCheck, s: T.ForRange, first: ir.Value, last: ir.Value,
    nonempty: ir.Value,
) -> ir.Value:
    b = g.b
    dim = dim_of(b, _raw(g, chk.array), chk.axis)
    if chk.x is None:
        return b.icmp_unsigned("<", g.i64(chk.c), dim)
    if chk.x != s.target:
        v, bad = _affine(g, _raw(g, chk.x), chk.k, chk.c)
        return b.and_(b.not_(bad), b.icmp_unsigned("<", v, dim))
    lo, bad1 = _affine(g, first, chk.k, chk.c)
    hi, bad2 = _affine(g, last, chk.k, chk.c)
    inside = b.and_(b.icmp_unsigned("<", lo, dim), b.icmp_unsigned("<", hi, dim))
    ok = b.and_(b.not_(b.or_(bad1, bad2)), inside)
    return b.or_(b.not_(nonempty), ok)  # an empty loop indexes nothing


def entry_test(
    g: FunctionLowerer, plan: LoopPlan, s: T.ForRange, start: ir.Value, step: ir.Value,
    count: ir.Value,
) -> ir.Value:
    """The i1 under which the plan's proofs hold for this run of the loop."""
    b = g.b
    ok: ir.Value = ir.Constant(I1, 1)
    for name in plan.assume:
        ok = b.and_(ok, _within(g, _raw(g, name), plan.bound))
    for name, most in plan.accumulators:
        ok = b.and_(ok, b.icmp_unsigned("<=", count, g.i64(most)))
        ok = b.and_(ok, _within(g, _raw(g, name), ACC_LIMIT - 1))
    if plan.index_checks:
        nonempty = b.icmp_unsigned(">", count, g.i64(0))
        # The last value: start + (count - 1) * step, an element of the range (exact).
        last = b.add(start, b.mul(b.sub(count, g.i64(1)), step))
        for chk in plan.index_checks:
            ok = b.and_(ok, _index_ok(g, chk, s, start, last, nonempty))
    return ok
