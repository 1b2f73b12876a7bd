"""Range analysis over typed IR: the int64 operations of a ``for`` loop that cannot
overflow, proven from intervals, and the one entry test under which more of them (and
the loop's bounds checks) are proven.

    for i in range(n):        i in [0, n - 1]; with n in [-M, M] (tested at entry):
        s += i * i % 7        i * i in [0, (M-1)**2] (no check), % 7 in [0, 6];
                              s: |s0| < 2**62 and count * 6 <= 2**62 (tested at entry)

Input: a :class:`~ember.native.ir.nodes.ForRange` and the intervals already known at its
entry (from enclosing loops). Output: a :class:`LoopPlan`: ids of the operation nodes
proven not to overflow, of the array accesses whose indices are proven inside the
array, and the entry tests those proofs need (each loop-invariant name within
``[-M, M]``, accumulators' start and the trip count, the first and last index of each
hoisted access). Codegen (:mod:`ember.native.codegen.versioning`) runs the loop's
check-free copy when the entry tests hold, the checked copy otherwise; the checked copy
raises exactly where Python would, since no iteration has run when the tests are made.

Intervals are exact Python ints ``(lo, hi)``, inclusive. An operation whose exact
result interval leaves int64 gets the full int64 interval (its wrapped value may be
anything), so every fact is sound for values the code really computes. Pure: no
llvmlite, no ast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from ember.native.ir import arrays as A
from ember.native.ir import nodes as T
from ember.native.types import INT64_MAX, INT64_MIN, Bool, Int64, NpScalar, Type
from ember.support.record import record

Interval = tuple[int, int]
TOP: Interval = (INT64_MIN, INT64_MAX)
BOOL: Interval = (0, 1)
#: The bound of an accumulator's start and of its total change: together below 2**63.
ACC_LIMIT = 2**62
#: The loop sizes the versioned copy is meant for: a proof that holds for every
#: invariant up to this is worth an entry test (the test itself allows the largest M
#: for which the same proofs hold).
TARGET_M = 2**24


@record
class IndexCheck:
    """One axis of a hoisted access: ``k * x + c`` must lie in ``[0, array.shape[axis])``
    for every ``x`` the loop gives it; ``x`` is the loop variable (both ends of its range
    are tested), an invariant local (its one value), or None (the constant ``c``)."""

    array: str
    axis: int
    x: str | None
    k: int
    c: int


@record
class LoopPlan:
    """What :func:`plan_loop` proves for one ``for`` loop (see the module docstring)."""

    safe_ops: frozenset[int]  # id() of BinOp/UnaryOp nodes that cannot overflow
    safe_index: frozenset[int]  # id() of Index/SetItem/AugSetItem proven in bounds
    assume: tuple[str, ...]  # invariant int64 locals that must lie in [-bound, bound]
    bound: int
    accumulators: tuple[tuple[str, int], ...]  # (name, K): |start| < 2**62, count <= K
    index_checks: tuple[IndexCheck, ...]
    entry: tuple[tuple[str, Interval], ...]  # facts for nested loops of the fast copy

    @property
    def guarded(self) -> bool:
        """Whether the proofs need an entry test (else they hold unconditionally)."""
        return bool(self.assume or self.accumulators or self.index_checks)


def _fits(iv: Interval) -> bool:
    return INT64_MIN <= iv[0] and iv[1] <= INT64_MAX


def _type_interval(t: Type) -> Interval | None:
    """The values a local of type ``t`` holds, or None for types without an interval."""
    if isinstance(t, Bool):
        return BOOL
    if isinstance(t, Int64):
        return TOP
    return None


def dtype_interval(t: Type) -> Interval:
    """The values an element of a NumPy integer or bool dtype holds (int64 otherwise)."""
    dtype = getattr(t, "dtype", None)
    if dtype is None:
        return TOP
    if dtype.kind == "b":
        return BOOL
    bits = 8 * dtype.itemsize
    if dtype.kind == "u" and bits < 64:
        return (0, 2**bits - 1)
    if dtype.kind == "i" and bits < 64:
        return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return TOP


class _Walk:
    """One pass over a loop body under given entry intervals, collecting proofs."""

    def __init__(self, target: str, assigned: Counter[str]) -> None:
        self.target = target
        self.assigned = assigned  # locals assigned anywhere in the loop
        self.safe: set[int] = set()
        self.terms: dict[int, Interval] = {}  # id(Assign) of an accumulator: its term

    # ------------------------------------------------------------ expressions

    def expr(self, e: object, env: dict[str, Interval]) -> Interval:
        iv = self._expr(e, env)
        return iv if _fits(iv) else TOP

    def _expr(self, e: object, env: dict[str, Interval]) -> Interval:  # noqa: C901, PLR0911, PLR0912
        if isinstance(e, T.Const):
            if isinstance(e.value, bool):
                return (int(e.value), int(e.value))
            return (e.value, e.value) if isinstance(e.value, int) else TOP
        if isinstance(e, T.Name):
            own = _type_interval(e.type)
            return env.get(e.name, own or TOP) if own is not None else TOP
        if isinstance(e, T.Cast):
            inner = self.expr(e.value, env)
            if isinstance(e.value.type, Bool):
                return BOOL
            if isinstance(e.value.type, NpScalar) and isinstance(e.type, Int64):
                return dtype_interval(e.value.type) if e.value.type.dtype.kind in "biu" else TOP
            return inner
        if isinstance(e, T.BinOp) and isinstance(e.type, Int64) and isinstance(e.left.type, Int64):
            return self._binop(e, env)
        if isinstance(e, T.UnaryOp) and isinstance(e.type, Int64) and isinstance(e.value.type, Int64):
            lo, hi = self.expr(e.value, env)
            if e.op == "-":
                if lo > INT64_MIN:
                    self.safe.add(id(e))
                    return (-hi, -lo)
                return TOP
            if e.op == "~":
                return (~hi, ~lo)
            return (lo, hi)
        if isinstance(e, T.IfExp):
            self.expr(e.test, env)
            a, b = self.expr(e.body, env), self.expr(e.orelse, env)
            return (min(a[0], b[0]), max(a[1], b[1]))
        if isinstance(e, T.Call) and isinstance(e.type, Int64):
            args = [self.expr(a, env) for a in e.args]
            ints = all(isinstance(a.type, Int64 | Bool) for a in e.args)
            if e.func in ("min", "max") and args and ints:
                pick = min if e.func == "min" else max
                return (pick(a[0] for a in args), pick(a[1] for a in args))
            if e.func == "abs" and len(args) == 1 and ints:
                lo, hi = args[0]
                if lo > INT64_MIN:
                    return (0 if lo <= 0 <= hi else min(abs(lo), abs(hi)), max(abs(lo), abs(hi)))
            if e.func == "len":
                return (0, INT64_MAX)
            return TOP
        if isinstance(e, A.ArrayDim):
            self._children(e, env)
            return (0, INT64_MAX)
        if isinstance(e, A.ArrayAttr) and e.attr == "size":
            self._children(e, env)
            return (0, INT64_MAX)
        if isinstance(e, A.Index):
            self._children(e, env)
            return dtype_interval(e.array.type) if isinstance(e.type, Int64 | NpScalar | Bool) else TOP
        if isinstance(e, T.Compare | T.Truth | T.BoolOp):
            self._children(e, env)
            return BOOL
        self._children(e, env)
        return _type_interval(getattr(e, "type", None)) or TOP  # type: ignore[arg-type]

    def _children(self, e: object, env: dict[str, Interval]) -> None:
        """Walk the operands of a node the intervals do not model, for their proofs.
        Locals it assigns (a comprehension's body) are unknown throughout it."""
        inner = _assigned((e,))
        if inner:
            env = _forget(env, inner)
        fields = type(e).__record_fields__  # type: ignore[attr-defined]
        for f in fields:
            if f in ("type", "span"):
                continue
            v = getattr(e, f)
            for item in v if isinstance(v, tuple) else (v,):
                if isinstance(item, T.Node):
                    self.expr(item, env)

    def _binop(self, e: T.BinOp, env: dict[str, Interval]) -> Interval:  # noqa: C901, PLR0911, PLR0912
        (a, b), (c, d) = self.expr(e.left, env), self.expr(e.right, env)
        op = e.op
        exact: Interval | None = None
        if op == "+":
            exact = (a + c, b + d)
        elif op == "-":
            exact = (a - d, b - c)
        elif op == "*":
            ends = (a * c, a * d, b * c, b * d)
            exact = (min(ends), max(ends))
        elif op == "<<" and c >= 0 and d < 64:
            ends = (a << c, a << d, b << c, b << d)
            exact = (min(ends), max(ends))
        if exact is not None:
            if _fits(exact):
                self.safe.add(id(e))
                return exact
            return TOP
        if op == "%" and c > 0:
            if a >= 0:
                self.safe.add(id(e))  # srem of a non-negative: Python's modulo
                return (0, min(b, d - 1))
            return (0, d - 1)
        if op == "%" and d < 0:
            return (c + 1, 0)
        if op == "//" and c > 0:
            if a >= 0:
                self.safe.add(id(e))
            return (min(a // c, a // d), max(b // c, b // d))
        if op == ">>" and c >= 0:
            return (min(a >> c, a >> min(d, 63)), max(b >> c, b >> min(d, 63)))
        if op == "&":
            if a >= 0 and c >= 0:
                return (0, min(b, d))
            if a >= 0:
                return (0, b)
            if c >= 0:
                return (0, d)
        if op in ("|", "^") and a >= 0 and c >= 0:
            return (0, 2 ** max(b.bit_length(), d.bit_length()) - 1)
        return TOP

    # ------------------------------------------------------------- statements

    def stmts(self, body: tuple[T.Stmt, ...], env: dict[str, Interval]) -> dict[str, Interval]:
        for s in body:
            env = self.stmt(s, env)
        return env

    def stmt(self, s: object, env: dict[str, Interval]) -> dict[str, Interval]:  # noqa: PLR0911
        inner = _assigned(tuple(getattr(s, f) for f in ("value", "test") if hasattr(s, f)))
        if inner:  # a comprehension inside assigns them: unknown from here on
            env = _forget(env, inner)
        if isinstance(s, T.Assign):
            step = _accumulation(s)
            if step is not None:
                self.terms[id(s)] = self.expr(step, env)
            iv = self.expr(s.value, env)
            env = dict(env)
            if _type_interval(s.value.type) is not None:
                env[s.target] = iv
            else:
                env.pop(s.target, None)
            return env
        if isinstance(s, T.ExprStmt | T.Return):
            self.expr(s.value, env)
            return env
        if isinstance(s, T.If):
            self.expr(s.test, env)
            one, two = self.stmts(s.body, dict(env)), self.stmts(s.orelse, dict(env))
            return _join(one, two)
        if isinstance(s, T.While):
            inner = _forget(env, _assigned(s.body))
            self.expr(s.test, inner)
            self.stmts(s.body, inner)
            self.stmts(s.orelse, inner)
            return _forget(env, _assigned(s.body) | _assigned(s.orelse))
        if isinstance(s, T.ForRange):
            lo_env = env
            var = loop_interval(s, lambda e: self.expr(e, lo_env))
            inner = _forget(env, _assigned(s.body))
            inner[s.target] = var
            self.stmts(s.body, inner)
            after = _forget(env, _assigned(s.body) | {s.target})
            return self.stmts(s.orelse, after)
        if isinstance(s, A.SetItem | A.AugSetItem):
            for i in s.indices:
                self.expr(i, env)
            self.expr(s.value, env)
            return env
        if isinstance(s, T.Break | T.Continue | T.Pass):
            return env
        # try/raise/with...: no proofs inside; whatever they assign is unknown after.
        return _forget(env, _assigned((s,)))


def _assigned(body: tuple[object, ...]) -> set[str]:
    """The locals a tree assigns (statements at any depth, comprehensions included)."""
    return {n.target for n in T.nodes(body) if isinstance(n, T.Assign | T.ForRange)}


def _forget(env: Mapping[str, Interval], names: set[str]) -> dict[str, Interval]:
    return {k: v for k, v in env.items() if k not in names}


def _join(a: Mapping[str, Interval], b: Mapping[str, Interval]) -> dict[str, Interval]:
    return {k: (min(a[k][0], b[k][0]), max(a[k][1], b[k][1])) for k in a if k in b}


def loop_interval(s: T.ForRange, value: object) -> Interval:
    """The values ``s.target`` takes inside the loop, from its bounds' intervals
    (``value`` maps a bound expression to its interval)."""
    (a, b), (c, d) = value(s.start), value(s.stop)  # type: ignore[operator]
    step = s.step.value if isinstance(s.step, T.Const) and isinstance(s.step.value, int) else None
    if step is not None and step > 0:
        return (a, max(a, d - 1))
    if step is not None and step < 0:
        return (min(c + 1, b), b)
    return (min(a, c + 1), max(b, d - 1))


def _accumulation(s: T.Assign) -> T.Expr | None:
    """The term ``e`` of ``c = c + e``, ``c = e + c`` or ``c = c - e`` (int64, ``e`` not
    reading ``c``), else None."""
    e = s.value
    if not (isinstance(e, T.BinOp) and e.op in ("+", "-") and isinstance(e.type, Int64)):
        return None
    pairs = [(e.left, e.right)] + ([(e.right, e.left)] if e.op == "+" else [])
    for mine, other in pairs:
        if isinstance(mine, T.Name) and mine.name == s.target:
            reads = [n for n in T.nodes(other) if isinstance(n, T.Name) and n.name == s.target]
            return None if reads else other
    return None


def _once_per_iteration(body: tuple[T.Stmt, ...]) -> list[T.Assign]:
    out: list[T.Assign] = []
    for st in body:
        if isinstance(st, T.Assign):
            out.append(st)
        elif isinstance(st, T.If):
            out += _once_per_iteration(st.body) + _once_per_iteration(st.orelse)
    return out


# ----------------------------------------------------------------- the plan


def _invariants(s: T.ForRange, assigned: set[str]) -> list[str]:
    """The int64 locals the loop reads and never assigns, in order of first read."""
    out: dict[str, None] = {}
    for n in T.nodes((s.start, s.stop, s.body)):
        if isinstance(n, T.Name) and isinstance(n.type, Int64) and n.name not in assigned:
            out[n.name] = None
    return list(out)


def _affine_index(e: object, target: str, invariant: set[str]) -> tuple[str | None, int, int] | None:
    """``(x, k, c)`` when the index ``e`` is ``k * x + c`` with constants ``k``, ``c`` and
    ``x`` the loop variable or an invariant int64 local (None: the constant ``c``)."""
    if isinstance(e, T.Const) and isinstance(e.value, int) and not isinstance(e.value, bool):
        return None, 0, e.value
    if isinstance(e, T.Name) and (e.name == target or e.name in invariant):
        return e.name, 1, 0
    if not (isinstance(e, T.BinOp) and isinstance(e.type, Int64)):
        return None
    if e.op == "*":
        for kx, x in ((e.left, e.right), (e.right, e.left)):
            inner = _affine_index(x, target, invariant)
            if isinstance(kx, T.Const) and isinstance(kx.value, int) and inner and inner[0]:
                return inner[0], inner[1] * kx.value, inner[2] * kx.value
        return None
    if e.op in ("+", "-"):
        left, right = _affine_index(e.left, target, invariant), _affine_index(e.right, target, invariant)
        if left is None or right is None or (left[0] and right[0]):
            return None
        sign = 1 if e.op == "+" else -1
        x = left[0] or right[0]
        k = left[1] if left[0] else sign * right[1]
        return x, k, left[2] + sign * right[2]
    return None


def _hoistable(s: T.ForRange, assigned: set[str]) -> tuple[frozenset[int], tuple[IndexCheck, ...]]:
    """Array accesses in the loop whose every index is affine in the loop variable or
    invariant, on an array local the loop never assigns: checked once at entry."""
    invariant = {n for n in _invariants(s, assigned)}
    target_ok = s.target not in _assigned(s.body)
    ids: set[int] = set()
    checks: dict[IndexCheck, None] = {}
    for n in T.nodes(s.body):
        if not isinstance(n, A.Index | A.SetItem | A.AugSetItem):
            continue
        arr = n.array
        if not (isinstance(arr, T.Name) and arr.name not in assigned):
            continue
        forms = [_affine_index(i, s.target if target_ok else "", invariant) for i in n.indices]
        if any(f is None for f in forms) or len(forms) != arr.type.ndim:  # type: ignore[attr-defined]
            continue
        ids.add(id(n))
        for axis, (x, k, c) in enumerate(f for f in forms if f is not None):
            checks[IndexCheck(arr.name, axis, x, k, c)] = None
    return frozenset(ids), tuple(checks)


def _carried(s: T.ForRange, assigned: set[str]) -> list[str]:
    """The int64 locals the loop assigns (not its variable) and reads: their value at
    entry may be assumed too, when one iteration keeps them inside the assumption (a
    fixpoint). Not with a ``continue`` at this level (a second way to the latch)."""
    if any(isinstance(n, T.Continue) for n in T.nodes(s.body)):
        return []
    out: dict[str, None] = {}
    for n in T.nodes(s.body):
        if isinstance(n, T.Name) and isinstance(n.type, Int64) and n.name in assigned:
            if n.name != s.target:
                out[n.name] = None
    return list(out)


def plan_loop(s: T.ForRange, outer: Mapping[str, Interval]) -> LoopPlan:  # noqa: C901
    """The proofs for ``s`` (see the module docstring); ``outer`` holds the intervals
    known at its entry (only of locals the loop never assigns)."""
    counts = Counter(n.target for n in T.nodes(s.body) if isinstance(n, T.Assign | T.ForRange))
    assigned = set(counts) | {s.target}
    carried = set(_carried(s, assigned))
    invariants = [v for v in _invariants(s, assigned) if v not in outer] + sorted(carried)
    once = {id(a): a for a in _once_per_iteration(s.body) if counts[a.target] == 1}

    def walk(names: list[str], bound: int) -> tuple[set[int], dict[str, int], Interval, set[str]]:
        env: dict[str, Interval] = {k: v for k, v in outer.items() if k not in assigned}
        for v in names:
            env[v] = (-bound, bound)
        w = _Walk(s.target, counts)
        var = loop_interval(s, lambda e: w.expr(e, env))
        w.safe.clear()  # the bounds are computed before the loop, not in it
        inner = dict(env)
        inner[s.target] = var
        end = w.stmts(s.body, inner)
        # A carried local's assumption holds at every iteration's top only if one
        # iteration keeps it inside: otherwise nothing proven under it stands.
        broken = {
            v for v in names if v in carried
            and not (-bound <= end.get(v, TOP)[0] and end.get(v, TOP)[1] <= bound)
        }
        if broken:
            return set(), {}, var, broken
        accs: dict[str, int] = {}
        for key, term in w.terms.items():
            a = once.get(key)
            if a is None or a.target == s.target or not isinstance(a.value, T.BinOp):
                continue
            m = max(abs(term[0]), abs(term[1]), 1)
            if m <= 2**40 and a.target not in names:
                accs[a.target] = ACC_LIMIT // m
                w.safe.add(id(a.value))
        return w.safe, accs, var, set()

    def proves(names: list[str], bound: int, want: set[int]) -> bool:
        return want <= walk(names, bound)[0]

    static, static_accs, var, _ = walk([], 0)
    while True:  # drop the carried locals no fixpoint holds for
        want, _, _, broken = walk(invariants, TARGET_M)
        if not broken:
            break
        invariants = [v for v in invariants if v not in broken]
    names: list[str] = []
    bound = 0
    if not want <= static:
        names = list(invariants)
        for v in list(names):  # keep only the invariants the proofs need
            rest = [n for n in names if n != v]
            if proves(rest, TARGET_M, want):
                names = rest
        lo, hi = TARGET_M, ACC_LIMIT
        while lo < hi:  # the largest M that proves as much: a wider fast path
            mid = (lo + hi + 1) // 2
            if proves(names, mid, want):
                lo = mid
            else:
                hi = mid - 1
        bound = lo
    safe, accs, var, _ = walk(names, bound) if names else (static, static_accs, var, set())
    ids, checks = _hoistable(s, assigned)
    # A node object the IR holds at two places is proven at both or at neither: a fact
    # keyed by identity must not carry one place's proof to the other.
    seen = Counter(id(n) for n in T.nodes((s.body, s.orelse)))
    safe = {k for k in safe if seen[k] == 1}
    ids = frozenset(k for k in ids if seen[k] == 1)
    entry = {k: v for k, v in outer.items() if k not in assigned}
    entry.update({v: (-bound, bound) for v in names if v not in carried})
    if s.target not in _assigned(s.body):
        entry[s.target] = var
    return LoopPlan(
        safe_ops=frozenset(safe), safe_index=ids, assume=tuple(names), bound=bound,
        accumulators=tuple(sorted(accs.items())), index_checks=checks,
        entry=tuple(sorted(entry.items())),
    )
