"""``ember annotate FILE.py:FUNC``: a function's source, each line marked by what it
compiles to — in the spirit of Cython's ``-a``, for unmodified Python.

Marks, from the typed IR (so they say what the compiled code does, not a guess from
the text): ``=`` machine arithmetic only, ``O`` an int64 overflow check, ``Z`` a
division-by-zero check, ``D`` a math domain check, ``B`` an array bounds check,
``A`` an array allocation (NumPy's C API), ``P`` a call into CPython (``print``),
``J`` a call of another compiled function, ``L`` a loop. A line that stops the function
from compiling is marked ``X`` with ember's error under it.

>>> marks_text({"O", "B", "L"})
'L B O'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ember.diagnostics import EmberError, Span

LEGEND = {
    "L": "a loop",
    "=": "machine arithmetic only",
    "O": "int64 overflow check",
    "Z": "division-by-zero check",
    "D": "math domain check",
    "B": "array bounds check",
    "A": "allocates an array (NumPy C API)",
    "P": "calls into CPython (print)",
    "J": "calls another compiled function",
    "X": "stops the function from compiling",
}
ORDER = "XLABPJDZO="
_CHECKED_INT_OPS = {"+": "O", "-": "O", "*": "O", "**": "O", "<<": "O", "//": "Z", "%": "Z"}
_DOMAIN = ("math.sqrt", "math.log", "math.log2", "math.log10", "math.log1p", "math.acos",
           "math.asin", "math.acosh", "math.atanh", "math.pow", "math.fmod")
_ALLOCATING = ("ArrayNew", "ArrayCopy", "ArrayRange", "ArrayEval")


def marks_text(marks: set[str]) -> str:
    return " ".join(m for m in ORDER if m in marks)


@dataclass
class Annotated:
    """One function, annotated: ``lines`` are (line number, source text, marks)."""

    qualname: str
    filename: str
    signature: str
    lines: list[tuple[int, str, set[str]]]
    local_types: list[tuple[str, str]] = field(default_factory=list)
    error: EmberError | None = None
    error_line: int | None = None


def annotate_function(func: object, arg_types: tuple[object, ...], options: object) -> Annotated:
    """Type ``func`` for ``arg_types`` and mark each of its source lines."""
    import inspect

    from ember.native.frontend.statements import infer_unit

    source, first = inspect.getsourcelines(func)  # type: ignore[arg-type]
    filename = func.__code__.co_filename  # type: ignore[attr-defined]
    signature = "(" + ", ".join(map(str, arg_types)) + ")"
    lines = [(first + i, text.rstrip("\n"), set()) for i, text in enumerate(source)]
    out = Annotated(func.__qualname__, filename, signature, lines)  # type: ignore[attr-defined]
    try:
        unit = infer_unit(func, arg_types, options)
    except EmberError as exc:
        out.error = exc
        out.error_line = exc.diagnostic.span.line if exc.diagnostic.span.line else None
        for number, _, marks in lines:
            if number == out.error_line:
                marks.add("X")
        return out
    by_line = {number: marks for number, _, marks in lines}
    boundscheck = bool(getattr(options, "boundscheck", True))
    seen: set[int] = set()  # lines that compile to something
    for node in _walk(unit.root.body):
        span = getattr(node, "span", None)
        if not isinstance(span, Span) or span.line not in by_line:
            continue
        seen.add(span.line)
        mark = _mark(node, boundscheck)
        if mark:
            by_line[span.line].add(mark)
    for number in seen:
        if not by_line[number]:
            by_line[number].add("=")
    out.local_types = [(name, str(t)) for name, t in unit.root.locals]
    return out


def _walk(body: object) -> list[object]:
    from ember.native.ir.nodes import nodes

    return list(nodes(body))


def _mark(node: object, boundscheck: bool) -> str | None:
    from ember.native.types import INT64

    name = type(node).__name__
    if name in ("ForRange", "While"):
        return "L"
    if name in ("BinOp", "UnaryOp"):
        op = node.op  # type: ignore[attr-defined]
        if op in ("//", "%", "/"):  # checked unless the divisor is a non-zero constant
            right = node.right  # type: ignore[attr-defined]
            return None if type(right).__name__ == "Const" and right.value else "Z"
        if getattr(node, "type", None) == INT64:
            return _CHECKED_INT_OPS.get(op) if name == "BinOp" else ("O" if op == "-" else None)
        return None
    if name == "Call":
        func = node.func  # type: ignore[attr-defined]
        if func == "print":
            return "P"
        if func in _DOMAIN:
            return "D"
        return None
    if name == "CallJit":
        return "J"
    if name in ("Index", "SetItem", "AugSetItem"):
        return "B" if boundscheck else None
    if name in _ALLOCATING:
        return "A"
    return None


def render(a: Annotated) -> str:
    """The terminal view: marks, line numbers, source; then locals and the error."""
    lines = [f"{a.qualname}{a.signature}  ({a.filename})", ""]
    for number, text, marks in a.lines:
        lines.append(f"{marks_text(marks):<9} {number:5d}  {text}")
    lines.append("")
    if a.local_types:
        lines.append("locals: " + ", ".join(f"{n}: {t}" for n, t in a.local_types))
    if a.error is not None:
        lines.append("")
        lines.append(str(a.error))
    used = set().union(*(m for _, _, m in a.lines)) if a.lines else set()
    lines.append("")
    lines.append("marks: " + "; ".join(f"{m} {LEGEND[m]}" for m in ORDER if m in used))
    return "\n".join(lines) + "\n"



_COLOURS = {"X": "#ffc9c9", "A": "#ffe8cc", "P": "#ffe8cc", "B": "#fff3bf", "O": "#fff3bf",
            "Z": "#fff3bf", "D": "#fff3bf", "J": "#e7f5ff", "L": "#ebfbee", "=": "#ebfbee"}


def render_html(items: list[Annotated]) -> str:
    """The annotated functions as one self-contained page: each line tinted by its most
    significant mark (red: does not compile; orange: CPython or an allocation; yellow:
    a check; green: machine code only), the marks spelled out on hover."""
    import html

    e = html.escape
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             "<title>ember annotate</title><style>body{font:14px system-ui,sans-serif;"
             "margin:2em auto;max-width:1000px}pre{font-size:13px;line-height:1.5}"
             ".m{display:inline-block;width:6em;color:#495057}</style></head><body>",
             "<h1>ember annotate</h1><p>" + "; ".join(
                 f"<b>{e(m)}</b> {e(LEGEND[m])}" for m in ORDER) + "</p>"]
    for a in items:
        parts.append(f"<h2>{e(a.qualname)}{e(a.signature)}</h2><pre>")
        for number, text, marks in a.lines:
            top = next((m for m in ORDER if m in marks), None)
            style = f" style='background:{_COLOURS[top]}'" if top else ""
            title = "; ".join(LEGEND[m] for m in ORDER if m in marks)
            parts.append(f"<span{style} title='{e(title)}'><span class='m'>"
                         f"{e(marks_text(marks))}</span>{number:5d}  {e(text)}</span>")
        parts.append("</pre>")
        if a.local_types:
            parts.append("<p>locals: " + e(", ".join(f"{n}: {t}" for n, t in a.local_types))
                         + "</p>")
        if a.error is not None:
            parts.append(f"<pre style='color:#c92a2a'>{e(str(a.error))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)
