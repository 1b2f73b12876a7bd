"""``ember profile``'s report: a ranked table for the terminal, JSON, and the decorator
lines ``--apply`` prints.

>>> breakdown_text(0.9, 0.0, 0.0, 0.0, 0.1)
'Python 90%, callees 10%'
"""

from __future__ import annotations

import linecache
from dataclasses import asdict
from typing import Any

from ember.insight.profile.analyze import Row, share_text
from ember.insight.profile.session import Report

_PARTS = ("Python", "NumPy", "I/O", "libraries", "callees")


def breakdown_text(own: float, numpy: float, blocked: float, c_other: float,
                   callees: float) -> str:
    """Where a function's time went, largest first, parts under 5% left out."""
    parts = sorted(zip((own, numpy, blocked, c_other, callees), _PARTS, strict=True),
                   key=lambda p: -p[0])
    shown = [f"{name} {share_text(x)}" for x, name in parts if x >= 0.05]
    return ", ".join(shown) or "-"


def _breakdown(row: Row) -> str:
    return breakdown_text(row.own, row.numpy, row.blocked, row.c_other, row.callees)


def text(report: Report) -> str:
    """The terminal report."""
    lines = [f"ember profile: {report.program} takes {report.wall_s:.2f} s "
             f"(exit status {report.exit_code}); recorded with {report.source}, which "
             f"made this run {_slower(report.overhead)} (left out of the times below)"]
    if report.busy:
        lines.append(f"note: {report.busy}")
    lines.append("")
    if not report.rows:
        lines.append("no function of your own code ran long enough to measure")
        return "\n".join(lines) + "\n"
    header = ("#", "function", "where", "calls", "time", "run", "its time is", "verdict")
    table = [header]
    for i, r in enumerate(report.rows, 1):
        table.append((str(i), r.name, r.where, calls_text(r), f"{r.total_s:.3f}s",
                      share_text(r.share), _breakdown(r), r.verdict))
    widths = [max(len(row[k]) for row in table) for k in range(len(header))]
    right = {0, 3, 4, 5}
    for row in table:
        cells = [c.rjust(w) if k in right else c.ljust(w)
                 for k, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    for i, r in enumerate(report.rows, 1):
        lines.append(f"{i}. {r.name} ({r.where}, called with {r.arg_types or 'no arguments'}): "
                     f"{r.verdict}")
        lines.append(f"   {r.reason}")
        if r.detail:
            lines.extend("   " + line for line in r.detail.splitlines()[1:] if line.strip())
    lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _slower(overhead: float) -> str:
    return f"{1 / (1 - overhead):.1f}x slower" if overhead < 0.99 else "much slower"


def summary(report: Report, hint: bool = True) -> str:
    """The report's conclusion in one sentence."""
    chosen = [r.name for r in report.rows if r.verdict == "compile"]
    if not chosen or report.combined_s is None:
        return ("nothing here is worth compiling with ember: the hot functions wait on "
                "I/O, run in NumPy or C already, or do not compile yet (see above)")
    ratio = report.wall_s / report.combined_s if report.combined_s > 0 else float("inf")
    names = ", ".join(chosen)
    text = (f"compile {names}: the run would take {report.wall_s:.2f} s -> "
            f"{report.combined_s:.2f} s ({ratio:.1f}x, by Amdahl's law on the measured "
            "speed-ups)")
    return text + ("; `ember profile --apply` shows the lines to add" if hint else "")


def calls_text(row: Row) -> str:
    """The calls column: ``+`` marks a function muted after its first calls (counted;
    the rest were sampled).

    >>> calls_text(Row("f", "f.py", 1, 500, 0.1, 0.1, 1, 0, 0, 0, 0, "int", sampled=True))
    '500+'
    """
    return f"{row.calls}+" if row.sampled else str(row.calls)


def to_json(report: Report) -> dict[str, Any]:
    rows = []
    for r in report.rows:
        d = asdict(r)
        d.pop("code", None)
        d["where"] = r.where
        if r.trial is not None:
            d["trial"]["speedup"] = r.trial.speedup if r.trial.native_s > 0 else None
        rows.append(d)
    return {"program": report.program, "wall_s": report.wall_s, "exit_code": report.exit_code,
            "recorder": report.source, "overhead": report.overhead, "events": report.events,
            "busy": report.busy,
            "combined_s": report.combined_s, "functions": rows}


def apply_text(report: Report) -> str:
    """The decorators to add, as a reviewer would like to see them (nothing is written)."""
    out = []
    files: dict[str, list[Row]] = {}
    for r in report.rows:
        if r.verdict == "compile":
            files.setdefault(r.filename, []).append(r)
    for filename, rows in files.items():
        out.append(f"# {rows[0].where.rsplit(':', 1)[0]}: add `import ember` at the top, then:")
        for r in sorted(rows, key=lambda r: r.line):
            line = linecache.getline(filename, r.line).rstrip("\n")
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{r.where}:")
            out.append(f"+{indent}@ember.jit")
            out.append(f" {line}")
        out.append("")
    if not out:
        return "nothing to apply: no function was found worth compiling\n"
    return "\n".join(out)


def with_decorators(source: str, lines: list[int]) -> str:
    """``source`` with ``@ember.jit`` above each def at ``lines`` (1-based first lines,
    decorators included) and ``import ember`` on top when it is not imported yet.

    >>> print(with_decorators("def f(n):\\n    return n\\n", [1]), end="")
    import ember
    @ember.jit
    def f(n):
        return n
    """
    text = source.splitlines(keepends=True)
    for line in sorted(set(lines), reverse=True):
        first = text[line - 1]
        indent = first[: len(first) - len(first.lstrip())]
        text.insert(line - 1, f"{indent}@ember.jit\n")
    if lines and not any(t.strip() in ("import ember", "import ember.native") for t in text):
        at = _after_preamble(text)
        text.insert(at, "import ember\n")
    return "".join(text)


def _after_preamble(text: list[str]) -> int:
    """Where a new import goes: after a shebang, encoding line, docstring and
    ``from __future__`` imports."""
    import ast

    try:
        tree = ast.parse("".join(text))
    except SyntaxError:
        return 0
    at = 0
    for node in tree.body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and \
            isinstance(node.value.value, str) and at == 0
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        at = node.end_lineno or at
    return at
