"""Facts about a ``prange`` loop's body (typed IR in, facts out; no ast, no LLVM):
which locals are reductions, which are private to an iteration, which are read-only
captures, and what stops the loop from running in parallel.

    s = 0.0; m = 0
    for i in prange(n):           reductions: s ("+", left), m ("min", left)
        t = a[i] * 2              privates:   i, t
        s += t                    captures:   a
        m = min(m, b[i])
        a[i] = t

A *reduction* is a local whose every assignment in the body is one of ``x = x + e``,
``x = x - e`` (both "+"), ``x = x * e`` ("*"), ``x = min(x, e)`` / ``min(e, x)``,
``max`` likewise (one operator and one argument order for all of them), with ``e`` not
reading ``x``, and which the body reads nowhere else. frontend/parallel.py decides what
the rest means (a private read before it is assigned is a loop-carried dependency).
"""

from __future__ import annotations

from collections.abc import Iterable

from ember.diagnostics import Span
from ember.native.ir import nodes as T
from ember.support.record import record

#: The combining operator of each reduction form's update (``-`` partials are sums).
_BINOPS = {"+": "+", "-": "+", "*": "*"}


@record
class Reduction:
    """``name`` is combined with ``op`` ("+", "*", "min", "max"); ``left`` says the
    user wrote ``min(x, e)`` (x first), which the combine step keeps."""

    name: str
    op: str
    left: bool = True


@record
class LoopFacts:
    """What :func:`loop_facts` found in one loop body."""

    reductions: tuple[Reduction, ...]
    privates: tuple[str, ...]  # assigned in the body (the loop target included)
    captures: tuple[str, ...]  # read, never assigned: passed by value, sorted
    exit: Span | None  # a break or return leaving the loop (not allowed), if any


def reduction_form(s: T.Assign) -> tuple[str, bool] | None:
    """(operator, x-first) when ``s`` is a reduction update of its target, else None.

    >>> from ember.native.types import INT64
    >>> sp = Span("f.py", 1)
    >>> x, e = T.Name("x", INT64, sp), T.Name("e", INT64, sp)
    >>> reduction_form(T.Assign("x", T.BinOp("-", x, e, INT64, sp), sp))
    ('+', True)
    >>> reduction_form(T.Assign("x", T.Call("max", (e, x), INT64, sp), sp))
    ('max', False)
    >>> reduction_form(T.Assign("x", T.BinOp("-", e, x, INT64, sp), sp)) is None
    True
    """
    v, x = s.value, s.target
    if isinstance(v, T.BinOp) and v.op in _BINOPS and _is_name(v.left, x):
        return None if reads(v.right, x) else (_BINOPS[v.op], True)
    if isinstance(v, T.Call) and v.func in ("min", "max") and len(v.args) == 2:
        a, b = v.args
        if _is_name(a, x) and not reads(b, x):
            return v.func, True
        if _is_name(b, x) and not reads(a, x):
            return v.func, False
    return None


def _is_name(e: T.Expr, name: str) -> bool:
    return isinstance(e, T.Name) and e.name == name


def reads(tree: object, name: str) -> bool:
    """Whether ``tree`` reads the local ``name``."""
    return any(isinstance(n, T.Name) and n.name == name for n in T.nodes(tree))


def first_read(tree: object, name: str) -> Span | None:
    """The span of the first read of ``name`` in ``tree`` (depth first), if any."""
    for n in T.nodes(tree):
        if isinstance(n, T.Name) and n.name == name:
            return n.span
    return None


def assigned_names(tree: object) -> set[str]:
    """Every local ``tree`` assigns: assignment targets and loop targets."""
    return {n.target for n in T.nodes(tree) if isinstance(n, T.Assign | T.ForRange)}


def loop_facts(loop: T.ForRange) -> LoopFacts:
    """The facts of ``loop``'s body (its target is a private)."""
    body = loop.body
    assigned = assigned_names(body) | {loop.target}
    read = {n.name for n in T.nodes(body) if isinstance(n, T.Name)}
    reductions: list[Reduction] = []
    for name in sorted(assigned - {loop.target}):
        found = _reduction(body, name)
        if found is not None:
            reductions.append(found)
    reduced = {r.name for r in reductions}
    privates = tuple(sorted(assigned - reduced))
    return LoopFacts(tuple(reductions), privates, tuple(sorted(read - assigned)),
                     _exit(body))


def _reduction(body: tuple[T.Stmt, ...], name: str) -> Reduction | None:
    updates = [n for n in T.nodes(body) if isinstance(n, T.Assign) and n.target == name]
    if any(isinstance(n, T.ForRange) and n.target == name for n in T.nodes(body)):
        return None
    forms = {reduction_form(u) for u in updates}
    if len(forms) != 1 or None in forms:
        return None
    (form,) = forms
    assert form is not None
    # Read only by its own updates (each reads it exactly once, as the operand).
    total = sum(1 for n in T.nodes(body) if isinstance(n, T.Name) and n.name == name)
    if total != len(updates):
        return None
    return Reduction(name, form[0], form[1])


def _exit(stmts: Iterable[T.Stmt]) -> Span | None:
    """A ``return`` anywhere, or a ``break`` of this loop (not of a nested one)."""
    for s in stmts:
        if isinstance(s, T.Return | T.Break):
            return s.span
        if isinstance(s, T.While | T.ForRange):
            for n in T.nodes(s.body):
                if isinstance(n, T.Return):
                    return n.span
            continue
        for n in T.nodes(s):
            if n is not s and isinstance(n, T.Return | T.Break):
                # an If's arm (or a try's body): still this loop's level
                if isinstance(n, T.Break) and _inside_loop(s, n):
                    continue
                return n.span
    return None


def _inside_loop(root: object, target: object) -> bool:
    """Whether ``target`` sits inside a loop nested in ``root``."""
    for n in T.nodes(root):
        if isinstance(n, T.While | T.ForRange) and any(m is target for m in T.nodes(n.body)):
            return True
    return False
