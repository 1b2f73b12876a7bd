"""Facts about loops and branches that let codegen drop work while keeping CPython's
answers: which ``if`` may be computed branch-free (speculation), which loop counters
and accumulators stay bounded (their overflow checks can wait until the loop ends),
and parity tests on ``k*x + c`` forms. Pure facts over typed IR: no llvmlite."""

from __future__ import annotations

from collections import Counter

from ember.native.ir import arrays as A
from ember.native.ir import nodes as T
from ember.native.types import INT64_MIN, Bool, Float64, Int64, NpScalar, Type

_SPECULATE_BUDGET = 8  # operators over both arms, all of which then run every time


_SPECULATE_INT = {"+", "-", "*", "&", "|", "^", "<<", ">>"}


_SPECULATE_FLOAT = {"+", "-", "*", "/"}  # fdiv never traps (its zero check is a guard)


def is_scalar(t: Type) -> bool:
    return isinstance(t, Int64 | Float64 | Bool)


def speculation_cost(e: T.Expr) -> int | None:
    """Operators in ``e`` when it is safe to compute whether or not Python would (no
    call, no trap, no branch: errors are guards, overflows are flags), else None."""
    cost = 0
    for node in T.nodes(e):
        own = _own_cost(node)
        if own is None:
            return None
        cost += own
    return cost


def _own_cost(e: object) -> int | None:
    """The operators one node of a speculated expression adds (not counting its
    operands), or None when the node cannot be speculated."""
    if isinstance(e, T.Const | T.Name):
        return 0 if is_scalar(e.type) else None
    if isinstance(e, T.Cast | T.Truth):
        return 0
    if isinstance(e, T.UnaryOp):
        return 1
    if isinstance(e, T.BinOp):
        lt = e.left.type
        ok = (e.op in _SPECULATE_FLOAT) if isinstance(lt, Float64) else (
            e.op in _SPECULATE_INT
            or (e.op in ("//", "%") and isinstance(e.right, T.Const) and e.right.value != 0)
        )
        if not ok or not is_scalar(e.type) or (isinstance(lt, Int64) and e.op == "/"):
            return None
        return 2 if e.op in ("//", "%") else 1
    if isinstance(e, T.Compare) and len(e.ops) == 1:
        a, c = e.operands
        if e.ops[0] in ("is", "is not") or not (is_scalar(a.type) and a.type == c.type):
            return None
        return 1
    return None


def speculable_if(s: T.If) -> bool:
    """Whether :func:`ember.native.codegen.loops.if_select` may lower ``s``: each arm assigns
    scalars with speculable values, and reads nothing it assigned itself earlier."""
    total = 0
    for body in (s.body, s.orelse):
        assigned: set[str] = set()
        for st in body:
            if isinstance(st, T.Pass):
                continue
            if not isinstance(st, T.Assign) or st.target in assigned or not is_scalar(st.value.type):
                return False
            cost = speculation_cost(st.value)
            if cost is None or assigned.intersection(names_read(st.value)):
                return False
            total += cost
            assigned.add(st.target)
    return 0 < total <= _SPECULATE_BUDGET or (total == 0 and bool(s.body or s.orelse))


def counter_step(a: T.Assign) -> tuple[T.Name, int] | None:
    """``(n, k)`` for ``n = n + k`` or ``n = n - k`` on int64 with a constant ``k``."""
    e = a.value
    if not (isinstance(e, T.BinOp) and e.op in ("+", "-") and isinstance(e.type, Int64)):
        return None
    name, k = e.left, int_const(e.right)
    if e.op == "+" and k is None:
        name, k = e.right, int_const(e.left)
    if k is None or not (isinstance(name, T.Name) and name.name == a.target):
        return None
    if not isinstance(name.type, Int64) or (e.op == "-" and k == INT64_MIN):
        return None
    return name, (k if e.op == "+" else -k)


def int_const(e: T.Expr) -> int | None:
    if isinstance(e, T.Const) and isinstance(e.type, Int64) and isinstance(e.value, int):
        return int(e.value)
    return None


def affine_form(e: T.BinOp) -> tuple[T.Expr, int, int] | None:
    """``(x, k, c)`` when ``e`` is ``k*x ± c`` or ``c ± k*x`` on int64 with constant
    ``k`` and ``c`` (either order of ``k*x``): one range check covers it
    (:func:`ember.native.codegen.operators.affine`)."""
    if e.op not in ("+", "-") or not isinstance(e.type, Int64):
        return None
    for prod, const, sign in ((e.left, e.right, 1), (e.right, e.left, -1)):
        c = int_const(const)
        if c is None or not (isinstance(prod, T.BinOp) and prod.op == "*"):
            continue
        if not isinstance(prod.type, Int64) or not isinstance(prod.left.type, Int64):
            continue
        for kx, x in ((prod.left, prod.right), (prod.right, prod.left)):
            k = int_const(kx)
            if k is None or k == 0 or int_const(x) is not None:
                continue
            if e.op == "+":
                return x, k, c
            # k*x - c, or c - k*x
            return (x, k, -c) if sign == 1 else (x, -k, c)
    return None


def _bound(e: T.Expr) -> int | None:
    """``B`` when the int64 ``e`` is always within ``[0, B]`` (B < 2**32), else None."""
    k = int_const(e)
    if k is not None:
        return k if 0 <= k < 2**32 else None
    if isinstance(e, T.Cast) and isinstance(e.value.type, Bool) and isinstance(e.type, Int64):
        return 1
    if isinstance(e, T.Cast) and isinstance(e.type, Int64) and isinstance(e.value.type, NpScalar):
        e = e.value  # int(a[i]) of a NumPy scalar element: the element's own range
    dtype = getattr(e.array.type, "dtype", None) if isinstance(e, A.Index) else None
    if dtype is not None and dtype.kind == "u":
        return 2 ** (8 * dtype.itemsize) - 1 if dtype.itemsize <= 4 else None
    return None


def _assignments(body: tuple[T.Stmt, ...]) -> Counter[str]:
    """How many statements in ``body`` (at any depth) assign each local."""
    return Counter(n.target for n in T.nodes(body) if isinstance(n, T.Assign | T.ForRange))


def names_read(node: object) -> list[str]:
    """Every read of a local in a typed IR tree (statements included), once per
    occurrence: the name of each :class:`T.Name` node (an Assign's target is no read)."""
    return [n.name for n in T.nodes(node) if isinstance(n, T.Name)]


def _once_per_iteration(body: tuple[T.Stmt, ...]) -> list[T.Assign]:
    """The assignments of a loop body that run at most once per iteration: at its top
    level or in the arms of its ifs, not inside a nested loop."""
    out: list[T.Assign] = []
    for st in body:
        if isinstance(st, T.Assign):
            out.append(st)
        elif isinstance(st, T.If):
            out += _once_per_iteration(st.body) + _once_per_iteration(st.orelse)
    return out


def step_bound(st: T.Assign) -> int | None:
    """``B`` when ``st`` is ``c = c + e`` (or ``c = e + c``) on int64 with ``e`` always in
    ``[0, B]`` and not reading ``c``; else None."""
    e = st.value
    if not (isinstance(e, T.BinOp) and e.op == "+" and isinstance(e.type, Int64)):
        return None
    for mine, other in ((e.left, e.right), (e.right, e.left)):
        if isinstance(mine, T.Name) and mine.name == st.target:
            bound = _bound(other)
            return bound if bound is not None and st.target not in names_read(other) else None
    return None


def bounded_accumulators(s: T.ForRange) -> dict[str, int]:
    """``{c: B}`` for the int64 locals the loop body changes only by one ``c += e``
    (or ``c = e + c``) that runs at most once per iteration (at the top level or in an
    ``if``, not in a nested loop) with ``e`` in ``[0, B]`` and not reading ``c``: their
    overflow can be judged by one compare (:func:`ember.native.codegen.loops.for_range`)."""
    counts = _assignments(s.body)
    out: dict[str, int] = {}
    for st in _once_per_iteration(s.body):
        if counts.get(st.target) != 1 or st.target == s.target:
            continue
        bound = step_bound(st)
        if bound is not None:
            out[st.target] = bound
    return out


def silent_counters(s: T.While) -> set[str]:
    """The int64 locals a ``while`` loop changes only by one ``c += e`` with ``e`` in
    ``[0, 1]`` that runs at most once per iteration, and reads nowhere else (not in its
    test, not in any other statement): their overflow is judged at the loop's exits
    and check points, never at its latch (:func:`ember.native.codegen.loops.while_stmt`)."""
    counts = _assignments(s.body)
    reads_ = names_read((s.test, s.body))
    out: set[str] = set()
    for st in _once_per_iteration(s.body):
        if counts.get(st.target) == 1 and reads_.count(st.target) == 1:
            if step_bound(st) in (0, 1):
                out.add(st.target)
    return out


def parity_test(test: T.Expr) -> tuple[str, bool] | None:
    """``(x, odd)`` when the ``if`` test ``test`` is true exactly when the int64 local
    ``x`` is odd (``odd``) or even (``not odd``): ``x % 2 == 0``, ``x % 2 != 0``,
    ``x % 2 == 1``, ``x & 1``, ``not x % 2``... (Python's ``x % 2`` is 0 or 1 for every
    sign, as ``x & 1``.)"""
    negate = False
    e = test
    while True:
        if isinstance(e, T.Truth) or (isinstance(e, T.Cast) and isinstance(e.type, Bool)):
            e = e.value
        elif isinstance(e, T.UnaryOp) and e.op == "not":
            e, negate = e.value, not negate
        else:
            break
    if isinstance(e, T.Compare) and len(e.ops) == 1 and e.ops[0] in ("==", "!="):
        bit, k = _low_bit(e.operands[0]), int_const(e.operands[1])
        if bit is None:
            bit, k = _low_bit(e.operands[1]), int_const(e.operands[0])
        if bit is None or k not in (0, 1):
            return None
        odd = (k == 1) == (e.ops[0] == "==")
        return bit, odd != negate
    bit = _low_bit(e)
    return None if bit is None else (bit, not negate)


def _low_bit(e: T.Expr) -> str | None:
    """``x`` when ``e`` is ``x % 2`` or ``x & 1`` (either order) on an int64 local."""
    if not (isinstance(e, T.BinOp) and isinstance(e.type, Int64)):
        return None
    if e.op == "%" and int_const(e.right) == 2:
        x = e.left
    elif e.op == "&" and int_const(e.right) == 1:
        x = e.left
    elif e.op == "&" and int_const(e.left) == 1:
        x = e.right
    else:
        return None
    return x.name if isinstance(x, T.Name) and isinstance(x.type, Int64) else None


def parity_range(lo: int, hi: int, odd: bool, bits: int = 64) -> tuple[int, int] | None:
    """``(L, T)`` such that, for every ``bits``-bit ``x``, ``ror(x - L, 1) >u T`` holds
    exactly when ``x`` has the parity ``odd`` and lies outside ``[lo, hi]`` (all
    arithmetic modulo ``2**bits``); None when no ``x`` of that parity is inside.

    ``u = x - L`` with ``L`` of the other parity is odd exactly for the ``x`` wanted,
    and rotating an odd ``u`` right by one sets the top bit, so one unsigned compare
    tests the parity and the range at once (:func:`affine`, under an ``if x % 2``).
    For those ``x``, ``first <= x <= last`` is ``1 <= u <= M`` with ``M = last - L``
    odd, i.e. ``u >> 1 <= M >> 1``; an even ``u`` rotates below ``2**(bits-1)``.

    >>> parity_range(-5, 5, True, bits=8)   # odd x outside [-5, 5]
    (250, 133)
    """
    first = lo if (lo % 2 == 1) == odd else lo + 1
    last = hi if (hi % 2 == 1) == odd else hi - 1
    if first > last:
        return None
    low_l = first - 1
    m = last - low_l
    mod = 2**bits
    return low_l % mod, 2 ** (bits - 1) + (m >> 1)
