"""What the range proofs do to each loop, as text for ``ember explain``: for every
``for`` loop, the entry test of its check-free copy, the integer operations proven not
to overflow, the bounds checks hoisted to the entry, and the checks kept (so a user sees
why a loop is or is not vectorised). Typed IR in, lines of text out; it follows the
decisions of :mod:`ember.native.codegen.versioning` (nested loops are shown as in the
check-free copy of the loops around them).

    line 3: for i in range(n): one test at entry: n in [-3037000500, 3037000500]; ...
      proven: (i * i) % 7, s + ...     hoisted: a[i + 1]     kept: s + a[i] (overflow)
"""

from __future__ import annotations

from ember.native.analysis.ranges import ACC_LIMIT, LoopPlan, plan_loop
from ember.native.ir import arrays as A
from ember.native.ir import nodes as T
from ember.native.ir.printer import format_expr
from ember.native.types import Int64

_CHECKED_OPS = ("+", "-", "*", "<<")
MAX_DEPTH = 3  # as codegen/versioning.MAX_DEPTH (analysis cannot import codegen)


def _short(e: object, width: int = 60) -> str:
    """The printer's text of ``e`` without its type annotations, cut to ``width``."""
    import re  # only when a report is asked for

    try:
        text = format_expr(e)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a node the printer does not know: name its kind
        text = type(e).__name__
    text = re.sub(r":[a-z_][a-z0-9_]*", "", re.sub(r":array\([^)]*\)", "", text))
    return text if len(text) <= width else text[: width - 3] + "..."


def _access(n: object) -> str:
    arr = _short(n.array, 20)  # type: ignore[attr-defined]
    return f"{arr}[{', '.join(_short(i, 24) for i in n.indices)}]"  # type: ignore[attr-defined]


def _own_nodes(body: tuple[T.Stmt, ...]) -> list[object]:
    """The nodes of a loop body outside its nested loops (they have their own lines)."""
    out: list[object] = []
    todo: list[object] = list(body)
    while todo:
        n = todo.pop(0)
        if isinstance(n, T.ForRange | T.While):
            continue
        out.append(n)
        fields = type(n).__record_fields__  # type: ignore[attr-defined]
        for f in fields:
            if f in ("type", "span"):
                continue
            v = getattr(n, f)
            todo.extend(x for x in (v if isinstance(v, tuple) else (v,)) if isinstance(x, T.Node))
    return out


def _entry_text(plan: LoopPlan, target: str) -> str:
    tests = [f"{v} in [-{plan.bound}, {plan.bound}]" for v in plan.assume]
    tests += [f"|{v}| < {ACC_LIMIT} and trip count <= {k}" for v, k in plan.accumulators]
    for c in plan.index_checks:
        term = (f"{c.k}*{c.x}" if c.k != 1 else c.x) if c.x else ""
        value = f"{term}{c.c:+d}" if term and c.c else term or str(c.c)
        ends = f" for the first and last {target}" if c.x == target else ""
        tests.append(f"0 <= {value} < {c.array}.shape[{c.axis}]{ends}")
    return "; ".join(tests)


def loop_report(fn: T.TypedFunction, boundscheck: bool = True) -> list[str]:
    """The lines describing each loop of ``fn`` (empty when it has none)."""
    lines: list[str] = []

    def visit(body: tuple[T.Stmt, ...], env: dict[str, tuple[int, int]],
              safe: frozenset[int], safe_index: frozenset[int], depth: int) -> None:
        for s in body:
            if isinstance(s, T.ForRange):
                plan = plan_loop(s, env)
                guarded = bool(plan.assume or plan.accumulators or (boundscheck and plan.index_checks))
                used = not (guarded and depth >= MAX_DEPTH)
                mine = (safe | plan.safe_ops) if used else safe
                mine_index = (safe_index | plan.safe_index) if used and boundscheck else safe_index
                _describe(s, plan if used else None, guarded, mine, mine_index)
                visit(s.body, dict(plan.entry) if used else env, mine, mine_index,
                      depth + int(guarded and used))
                visit(s.orelse, env, safe, safe_index, depth)
            elif isinstance(s, T.While):
                lines.append(f"line {s.span.line}: while loop: its checks are kept "
                             "(range versioning covers for-range loops)")
                visit(s.body, env, safe, safe_index, depth)
            elif isinstance(s, T.If):
                visit(s.body, env, safe, safe_index, depth)
                visit(s.orelse, env, safe, safe_index, depth)
            else:
                inner = tuple(getattr(s, f) for f in ("body", "orelse", "finalbody")
                              if isinstance(getattr(s, f, None), tuple))
                for part in inner:
                    visit(part, env, safe, safe_index, depth)

    def _describe(s: T.ForRange, plan: LoopPlan | None, guarded: bool,
                  safe: frozenset[int], safe_index: frozenset[int]) -> None:
        head = f"line {s.span.line}: for {s.target} in range(...)"
        if plan is None:
            lines.append(f"{head}: not versioned (nested {MAX_DEPTH} versioned loops deep)")
        elif guarded:
            lines.append(f"{head}: check-free copy when, at entry: {_entry_text(plan, s.target)}")
        else:
            lines.append(f"{head}: no entry test needed")
        proven, kept, hoisted, checked = [], [], [], []
        for n in _own_nodes(s.body):
            if isinstance(n, T.BinOp | T.UnaryOp) and isinstance(n.type, Int64):
                op = n.op
                if id(n) in safe:
                    proven.append(_short(n))
                elif op in _CHECKED_OPS or (isinstance(n, T.UnaryOp) and op == "-"):
                    kept.append(_short(n))
            elif isinstance(n, A.Index | A.SetItem | A.AugSetItem) and boundscheck:
                (hoisted if id(n) in safe_index else checked).append(_access(n))
        for label, items in (("proven, no overflow check", proven),
                             ("bounds check hoisted to the entry", hoisted),
                             ("overflow check kept", kept), ("bounds check kept", checked)):
            if items:
                lines.append(f"  {label}: {', '.join(dict.fromkeys(items))}")

    visit(fn.body, {}, frozenset(), frozenset(), 0)
    return lines
