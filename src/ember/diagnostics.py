"""Diagnostics shared by both layers: a message tied to a span of source, rendered
the way compilers do, so a user sees where and what to do.

    >>> d = Diagnostic(Span("app.py", 3, 8, 3, 11), "name 'foo' is not defined",
    ...                hint="define foo before use")
    >>> print(d.render(source="x = 1\\ny = 2\\nz = 1 + foo\\n"))
    app.py:3:9: error: name 'foo' is not defined
        z = 1 + foo
                ^^^
    hint: define foo before use
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A source range. ``line`` is 1-based and ``col`` 0-based, as in :mod:`ast`;
    rendering shows the column 1-based, as editors do. ``line`` 0 means the path as a
    whole (a folder, an unreadable file): rendered as ``path: error: ...``; with an
    empty ``path`` too, the message is about no file at all (a missing optional
    dependency): rendered as a plain ``error: ...``."""

    path: str
    line: int
    col: int = 0
    end_line: int | None = None
    end_col: int | None = None

    @classmethod
    def of(cls, path: str, node: object) -> Span:
        """The span of an ``ast`` node (anything with lineno/col_offset)."""
        return cls(
            path,
            getattr(node, "lineno", 1),
            getattr(node, "col_offset", 0),
            getattr(node, "end_lineno", None),
            getattr(node, "end_col_offset", None),
        )


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One message: ``file:line:col: severity: message``, the source line, a caret,
    and a hint saying what to do."""

    span: Span
    message: str
    hint: str | None = None
    severity: str = "error"

    def render(self, source: str | None = None) -> str:
        """The message as text. ``source`` is the file's text; when omitted the file
        is read (and the source line left out if it cannot be)."""
        s = self.span
        if s.line < 1:  # about a path as a whole (an OS error): no position, no line
            where = f"{s.path}: " if s.path else ""
            out = [f"{where}{self.severity}: {self.message}"]
            return "\n".join([*out, f"hint: {self.hint}"] if self.hint else out)
        out = [f"{s.path}:{s.line}:{s.col + 1}: {self.severity}: {self.message}"]
        line = source_line(s.path, s.line, source)
        if line is not None:
            text = line.rstrip("\r\n").expandtabs(1)
            stripped = text.lstrip()
            indent = len(text) - len(stripped)
            if s.end_line == s.line and s.end_col is not None and s.end_col > s.col:
                width = s.end_col - s.col
            elif s.end_line is not None and s.end_line > s.line:
                width = max(1, len(text) - s.col)
            else:
                width = 1
            col = max(0, s.col - indent)
            out.append("    " + stripped)
            out.append("    " + " " * col + "^" * max(1, min(width, len(stripped) - col)))
        if self.hint:
            out.append(f"hint: {self.hint}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.render()


class EmberError(Exception):
    """An error for the user, carrying a :class:`Diagnostic`; ``str()`` is its rendering."""

    def __init__(self, diagnostic: Diagnostic, source: str | None = None) -> None:
        self.diagnostic = diagnostic
        self.source = source
        super().__init__(diagnostic.render(source))


def source_line(path: str, lineno: int, source: str | None = None) -> str | None:
    """Line ``lineno`` (1-based) of ``source`` or of the file at ``path``; None when
    it cannot be had (missing file, undecodable bytes, line out of range)."""
    if source is None:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                source = f.read()
        except OSError:
            return None
    lines = source.splitlines()
    if not 1 <= lineno <= len(lines):
        return None
    line = lines[lineno - 1]
    if lineno == 1:
        line = line.removeprefix("\ufeff")  # columns do not count a BOM
    # Control characters (a NUL in a corrupt file) would garble the terminal; show one
    # visible character each so the caret below still lines up.
    return "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in line)
