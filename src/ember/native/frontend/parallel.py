"""Outlining ``prange`` loops: a typed :class:`CompileUnit` → the same unit where each
parallel ``ForRange`` of a ``parallel=True`` function is a
:class:`~ember.native.ir.parallel.ParallelFor` and its body a function of its own (one
chunk of iterations), or a compile error naming what makes the loop unsafe.

    def f(a, n):                          def f(a, n):
        s = 0.0                               s = 0.0
        for i in prange(n):        →          parallel for f$prange1 over (0, n, 1) with (a):
            s += a[i]                             s = s + $s.p
        return s                              return s
                                          def f$prange1($lo, $hi, $start, $step, a):
                                              s = -0.0
                                              for $k in range($lo, $hi, 1):
                                                  i = $start + $k * $step
                                                  s = s + a[i]
                                              return (s,)

Rules (analysis/parallel.py finds the facts): reductions start each chunk at their
identity (``-0.0``/``0`` for sums, ``1`` for products, ±inf or the int64 extremes for
min/max) and are combined in chunk order; a local assigned in the body is private to
an iteration, so reading it before assigning it in the same iteration (a loop-carried
dependency) or after the loop is an error; ``break`` and ``return`` cannot leave the
loop. A prange loop inside a parallel loop's body runs serially (as in Numba).
"""

from __future__ import annotations

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.analysis import parallel as facts
from ember.native.analysis.unbound import maybe_unbound
from ember.native.ir import nodes as T
from ember.native.ir.arrays import ArrayDim
from ember.native.ir.parallel import ParallelFor
from ember.native.types import FLOAT64, INT64, INT64_MAX, INT64_MIN, NONE, Tuple, Type

_SERIAL_HINT = "or iterate with range(...) for a serial loop"


def outline_unit(unit: T.CompileUnit) -> T.CompileUnit:
    """``unit`` with its parallel loops outlined (itself when it has none).

    Raises :class:`EmberError` (file:line:col, caret, hint) for a loop that cannot run
    in parallel."""
    if not any(isinstance(n, T.ForRange) and n.parallel for n in T.nodes(unit.functions)):
        return unit
    out: list[T.TypedFunction] = []
    for fn in unit.functions:
        outliner = _Outliner(fn)
        body = outliner.stmts(fn.body)
        if not outliner.made:
            out.append(fn)
            continue
        local_types = dict(fn.locals) | outliner.new_locals
        out.append(T.TypedFunction(
            fn.name, fn.qualname, fn.module, fn.symbol, fn.params, fn.return_type,
            tuple(sorted(local_types.items())), body, fn.span, fn.captured,
        ))
        out.extend(outliner.made)
    root = next(f for f in out if f.symbol == unit.root.symbol)
    return T.CompileUnit(root, tuple(out), unit.sources, unit.call)


class _Outliner:
    """Rewrites one function's statements, collecting the outlined bodies."""

    def __init__(self, fn: T.TypedFunction) -> None:
        self.fn = fn
        self.types = dict(fn.locals)
        self.made: list[T.TypedFunction] = []
        self.new_locals: dict[str, Type] = {}
        self.derived: dict[str, T.Expr] = {}  # of the loop being outlined: _derived

    def stmts(self, body: tuple[T.Stmt, ...]) -> tuple[T.Stmt, ...]:
        out: list[T.Stmt] = []
        for s in body:
            if isinstance(s, T.ForRange) and s.parallel:
                out.extend(self.outline(s))
            else:
                out.append(self.inner(s))
        return tuple(out)

    def inner(self, s: T.Stmt) -> T.Stmt:
        """``s`` with the parallel loops of its blocks outlined (If, While, ForRange)."""
        if isinstance(s, T.If):
            return T.If(s.test, self.stmts(s.body), self.stmts(s.orelse), s.span)
        if isinstance(s, T.While):
            return T.While(s.test, self.stmts(s.body), self.stmts(s.orelse), s.span)
        if isinstance(s, T.ForRange):
            return T.ForRange(s.target, s.start, s.stop, s.step, self.stmts(s.body),
                              self.stmts(s.orelse), s.span)
        return s  # a try's or a list loop's prange stays serial

    def outline(self, loop: T.ForRange) -> tuple[T.Stmt, ...]:
        found = facts.loop_facts(loop)
        # The stop's names too: the chunk bounds its loop by the stop again (_chunk_loop).
        stop_names = {n.name for n in T.nodes(loop.stop) if isinstance(n, T.Name)}
        derived = self._derived(set(found.captures) | stop_names)
        extra = {n.name for e in derived.values() for n in T.nodes(e) if isinstance(n, T.Name)}
        known = set(found.captures) | extra | set(derived)
        fixed = {p.name for p in self.fn.params} - facts.assigned_names(self.fn.body)
        if stop_names <= known | fixed:
            extra |= stop_names
        found = facts.LoopFacts(found.reductions, found.privates,
                                tuple(sorted(set(found.captures) | extra)), found.exit)
        self.derived = derived
        if found.exit is not None:
            raise _error(found.exit, "break and return cannot leave a prange loop: its "
                         "iterations run at once, on several threads",
                         "compute a flag or an index per iteration instead, " + _SERIAL_HINT)
        self._check_outside_reads(loop, found)
        symbol = f"{self.fn.symbol}$prange{len(self.made) + 1}"
        span = loop.span
        for r in found.reductions:
            if self.types[r.name] not in (INT64, FLOAT64):
                raise _error(facts.first_read(loop.body, r.name) or span,
                             f"reduction variable '{r.name}' of a prange loop must be an int "
                             f"or a float, not {self.types[r.name]}",
                             "accumulate into a float or an int local, " + _SERIAL_HINT)
        body_fn = self._body_function(loop, found, symbol)
        self._check_dependencies(loop, found, body_fn)
        self.made.append(body_fn)
        partials = tuple(f"${r.name}.p.{len(self.made)}" for r in found.reductions)
        combine: list[T.Stmt] = []
        for r, p in zip(found.reductions, partials, strict=True):
            t = self.types[r.name]
            self.new_locals[p] = t
            x, part = T.Name(r.name, t, span), T.Name(p, t, span)
            if r.op in ("min", "max"):
                args = (x, part) if r.left else (part, x)
                value: T.Expr = T.Call(r.op, args, t, span)
            else:
                value = T.BinOp(r.op, x, part, t, span)
            combine.append(T.Assign(r.name, value, span))
        captures = tuple(T.Name(c, self.types[c], span) for c in found.captures)
        result = body_fn.return_type
        node = ParallelFor(symbol, loop.start, loop.stop, loop.step, captures, partials,
                           tuple(combine), result, span)
        return (node, *self.stmts(loop.orelse))

    def _derived(self, candidates: set[str]) -> dict[str, T.Expr]:
        """Captured ints the function assigns once, from what never changes (``m =
        a.shape[1]`` with ``a`` a parameter never reassigned): the chunk computes them
        again, so that it knows what the serial loop knows (``j < m`` bounds ``a[i, j]``:
        no bounds check, a vectorised inner loop). Still passed in too: reading them
        before the loop keeps its UnboundLocalError."""
        assigned = facts.assigned_names(self.fn.body)
        fixed = {p.name for p in self.fn.params} - assigned
        out: dict[str, T.Expr] = {}
        for c in sorted(candidates):
            if self.types[c] != INT64 or c in fixed:
                continue
            defs = [n for n in T.nodes(self.fn.body)
                    if isinstance(n, T.Assign | T.ForRange) and n.target == c]
            if len(defs) == 1 and isinstance(defs[0], T.Assign) \
                    and _reevaluable(defs[0].value, fixed):
                out[c] = defs[0].value
        return out

    def _check_outside_reads(self, loop: T.ForRange, found: facts.LoopFacts) -> None:
        """A private read outside the loop would see some iteration's value."""
        inside = {id(n) for n in T.nodes(loop)}
        rest = [n for n in T.nodes(self.fn.body) if id(n) not in inside]
        for name in found.privates:
            if name.startswith("$"):
                continue  # a temporary of the typer's (its user-visible twin is checked)
            for n in rest:
                if isinstance(n, T.Name) and n.name == name:
                    raise _error(n.span, f"'{name}' is assigned in the prange loop at line "
                                 f"{loop.span.line} and read outside it: after a parallel loop "
                                 "its value would be whichever iteration ran last",
                                 "store per-iteration values in an array (out[i] = ...), or make "
                                 "it a reduction (x += ..., x = min(x, ...)), " + _SERIAL_HINT)

    def _check_dependencies(self, loop: T.ForRange, found: facts.LoopFacts,
                            body_fn: T.TypedFunction) -> None:
        """A private that an iteration may read before assigning it carries a value from
        the iteration before: not parallel (a reduction is the one allowed form)."""
        carried = maybe_unbound(body_fn) & set(found.privates)
        for name in sorted(carried, key=lambda n: _position(facts.first_read(loop.body, n))):
            where = facts.first_read(loop.body, name) or loop.span
            raise _error(where, f"'{name}' is read before it is assigned in an iteration of the "
                         "prange loop, so each iteration depends on the one before (a "
                         "loop-carried dependency) and the loop cannot run in parallel",
                         f"assign '{name}' in the iteration before reading it, make it a "
                         f"reduction ({name} += ..., {name} = min({name}, ...)), " + _SERIAL_HINT)

    def _body_function(self, loop: T.ForRange, found: facts.LoopFacts, symbol: str
                       ) -> T.TypedFunction:
        span = loop.span
        lo, hi, start, step = "$lo", "$hi", "$start", "$step"

        chunk = _chunk_loop(loop, found, span)
        init = tuple(T.Assign(r.name, _identity(r, self.types[r.name], span), span)
                     for r in found.reductions)
        if found.reductions:
            rtype: Type = Tuple(tuple(self.types[r.name] for r in found.reductions))
            value: T.Expr = T.MakeTuple(tuple(T.Name(r.name, self.types[r.name], span)
                                              for r in found.reductions), rtype, span)
        else:
            rtype, value = NONE, T.Const(None, NONE, span)
        prelude = tuple(T.Assign(c, e, span) for c, e in sorted(self.derived.items()))
        body = (*prelude, *init, chunk, T.Return(value, span))
        params = tuple(T.Param(n, INT64) for n in (lo, hi, start, step)) + tuple(
            T.Param(c, self.types[c]) for c in found.captures)
        used = {n for n in _strings(loop.body) if n in self.types} | {loop.target}
        local_types = {n: self.types[n] for n in used} | {p.name: p.type for p in params}
        local_types["$k"] = INT64
        fn = self.fn
        return T.TypedFunction(fn.name, fn.qualname, fn.module, symbol, params, rtype,
                               tuple(sorted(local_types.items())), body, fn.span, fn.captured)


def _chunk_loop(loop: T.ForRange, found: facts.LoopFacts, span: Span) -> T.ForRange:
    """The serial loop over one chunk, iterations ``$lo <= k < $hi`` of the range.

    With a constant step > 0 (most loops) it iterates over ``i`` itself, from
    ``start + $lo*step`` to ``min(start + ($hi-1)*step + 1, stop)``, the stop evaluated
    again when it only reads captures (``a.shape[0]``): the ``min`` changes nothing,
    but the loop then knows ``i < a.shape[0]``, as the serial loop does, and LLVM
    drops ``a[i]``'s bounds check and vectorises as it would there."""

    def name(n: str) -> T.Name:
        return T.Name(n, INT64, span)

    def binop(op: str, a: T.Expr, b: T.Expr) -> T.Expr:
        return T.BinOp(op, a, b, INT64, span)

    st = loop.step
    if isinstance(st, T.Const) and isinstance(st.value, int) and st.value > 0:
        first = loop.start if isinstance(loop.start, T.Const) else name("$start")
        # max(start + $lo*step, start) is the first operand; it tells LLVM that
        # i >= start, so a[i - 1] in range(1, n) needs no negative-index wrap and
        # ``i - 1`` cannot overflow, as in the serial loop.
        lo = binop("+", first, binop("*", name("$lo"), st) if st.value != 1 else name("$lo"))
        lo = T.Call("max", (lo, first), INT64, span)
        last = binop("+", first, binop("*", binop("-", name("$hi"), T.Const(1, INT64, span)), st))
        stop: T.Expr = binop("+", last, T.Const(1, INT64, span))
        if _reevaluable(loop.stop, set(found.captures)):
            stop = T.Call("min", (stop, loop.stop), INT64, span)
        return T.ForRange(loop.target, lo, stop, st, loop.body, (), span)
    index = binop("+", name("$start"), binop("*", name("$k"), name("$step")))
    return T.ForRange("$k", name("$lo"), name("$hi"), T.Const(1, INT64, span),
                      (T.Assign(loop.target, index, span), *loop.body), (), span)


def _reevaluable(e: T.Expr, captures: set[str]) -> bool:
    """Whether ``e`` can be computed again in the chunk: constants, captures, their
    extents (``a.shape[0]``, ``len(a)``) and int arithmetic, nothing that raises."""
    for n in T.nodes(e):
        if isinstance(n, T.Name) and n.name not in captures:
            return False
        if not isinstance(n, T.Name | T.Const | ArrayDim) and not (
                isinstance(n, T.BinOp) and n.op in "+-"):
            return False
    return True


def _identity(r: facts.Reduction, t: Type, span: Span) -> T.Const:
    """The start of each chunk's partial: ``x op identity == x`` exactly (``-0.0 + x``
    keeps a ``-0.0``; ``min(inf, x)`` is ``x``...)."""
    if r.op == "+":
        return T.Const(-0.0 if t == FLOAT64 else 0, t, span)
    if r.op == "*":
        return T.Const(1.0 if t == FLOAT64 else 1, t, span)
    if t == FLOAT64:
        return T.Const(float("inf") if r.op == "min" else float("-inf"), t, span)
    return T.Const(INT64_MAX if r.op == "min" else INT64_MIN, t, span)


def _strings(tree: object) -> set[str]:
    """Every str-valued field of the nodes of ``tree``: the locals it names (reads,
    targets, bindings of every IR family), with some non-names, filtered by the caller."""
    found: set[str] = set()
    for n in T.nodes(tree):
        for f in type(n).__record_fields__:  # type: ignore[attr-defined]
            v = getattr(n, f)
            if isinstance(v, str):
                found.add(v)
    return found


def _position(span: Span | None) -> tuple[int, int]:
    return (0, 0) if span is None else (span.line, span.col)


def _error(span: Span, message: str, hint: str) -> EmberError:
    return EmberError(Diagnostic(span, message, hint))
