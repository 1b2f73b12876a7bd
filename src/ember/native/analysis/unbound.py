"""Which locals a function may read before assigning them: typed IR → a set of names.

Python raises UnboundLocalError on such a read, so the lowering gives each of these
locals an "assigned yet" flag, tested at every read. Most locals are assigned on every
path before any read (``acc = 0.0`` before the loop, a ``for`` target inside its body):
they need no flag, no tests and no error blocks, which is less IR for Python to build
and for LLVM to read (LLVM would fold most of them away, but only after paying for them).

    def f(n):                 maybe_unbound(f) == {"x"}
        acc = 0.0             # acc: assigned before any read
        for i in range(n):    # i: assigned by the loop before its body reads it
            acc += i
        if n > 2:
            x = acc
        return x              # x: unbound when n <= 2

A classic forward "definitely assigned" analysis over the structured statements. Along
any path the assigned set only grows (there is no ``del``), so a loop is analysed once
with the set it is entered with: every later iteration, and every exit, has at least
that set. ``None`` stands for "no path reaches here" (after a return or a break).
"""

from __future__ import annotations

from collections.abc import Sequence

from ember.native.ir import exceptions as X
from ember.native.ir import nodes as T

Assigned = frozenset[str] | None  # None: unreachable


def maybe_unbound(func: T.TypedFunction) -> set[str]:
    """The locals of ``func`` that some read may find unassigned."""
    risky: set[str] = set()

    def reads(expr: object, assigned: frozenset[str]) -> None:
        risky.update(n.name for n in T.nodes(expr)
                     if isinstance(n, T.Name) and n.name not in assigned)

    def block(stmts: Sequence[object], assigned: Assigned) -> Assigned:
        for s in stmts:
            if assigned is None:
                return None  # unreachable: its reads never run
            assigned = stmt(s, assigned)
        return assigned

    def stmt(s: object, a: frozenset[str]) -> Assigned:
        if isinstance(s, T.Assign):
            reads(s.value, a)
            return a | {s.target}
        if isinstance(s, T.Return):
            reads(s.value, a)
            return None
        if isinstance(s, T.Break | T.Continue):
            return None
        if isinstance(s, T.If):
            reads(s.test, a)
            then, orelse = block(s.body, a), block(s.orelse, a)
            if then is None or orelse is None:
                return orelse if then is None else then
            return then & orelse
        if isinstance(s, T.While):
            reads(s.test, a)
            block(s.body, a)
            block(s.orelse, a)
            return a  # every exit (test false, break, else) has at least ``a``
        if isinstance(s, T.ForRange):
            for e in (s.start, s.stop, s.step):
                reads(e, a)
            block(s.body, a | {s.target})
            block(s.orelse, a)  # after zero iterations the target is still unbound
            return a
        if isinstance(s, T.Pass):
            return a
        if isinstance(s, X.Raise):
            reads(s, a)
            return None
        if isinstance(s, X.Try):
            return try_(s, a)
        reads(s, a)  # an expression statement or an array store: reads only
        return a

    def try_(s: X.Try, a: frozenset[str]) -> Assigned:
        # A handler (and finally) may start after any statement of the body: with ``a``.
        body = block(s.body, a)
        exits = [None if body is None else block(s.orelse, body)]
        exits += [block(h.body, a) for h in s.handlers]
        live = [e for e in exits if e is not None]
        after = frozenset.intersection(*live) if live else None
        if not s.finalbody:
            return after
        final = block(s.finalbody, a)
        return None if final is None or after is None else after | final

    block(func.body, frozenset(p.name for p in func.params))
    return risky
