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

import os
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
    and a hint saying what to do.

    The quoted line is shown without its indentation, except when ``indentation``
    says the indentation is what is wrong (an IndentationError, a TabError): then
    it is kept as it is, each tab shown as ``→`` padded to the next 4-column stop,
    so a tab among spaces is visible, and the caret underlines the indentation.
    """

    span: Span
    message: str
    hint: str | None = None
    severity: str = "error"
    indentation: bool = False

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
            out += self._quote(line.rstrip("\r\n"))
        if self.hint:
            out.append(f"hint: {self.hint}")
        return "\n".join(out)

    def _quote(self, text: str) -> list[str]:
        """The source line and the caret line under the span (columns are characters
        of ``text``; a span past the end of the line points just after it)."""
        s = self.span
        if s.end_line == s.line and s.end_col is not None and s.end_col > s.col:
            width = s.end_col - s.col
        elif s.end_line is not None and s.end_line > s.line:
            width = max(1, len(text) - s.col)
        else:
            width = 1
        col = min(max(0, s.col), len(text))
        if self.indentation:
            shown, stops = show_tabs(text)
            indent = len(text) - len(text.lstrip())
            if indent and (col <= indent or col >= len(text)):
                # CPython's column for these is the indentation's end, or the line's
                # end: underline the indentation itself, the thing that is wrong.
                col, width = 0, indent
            start = stops[col]
            end = stops[min(col + width, len(text))]
            return ["    " + shown, "    " + " " * start + "^" * max(1, end - start)]
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        col = max(0, col - indent)
        caret = "^" * max(1, min(width, len(stripped) - col))
        return ["    " + stripped.expandtabs(1), "    " + " " * col + caret]

    def __str__(self) -> str:
        return self.render()


TAB_MARK = "\u2192"  # →
TAB_STOP = 4


def show_tabs(text: str) -> tuple[str, list[int]]:
    """``text`` with each tab shown as ``→`` padded to the next TAB_STOP column, and
    the display column of every character index (one more for the end).

    >>> show_tabs("\\tx")
    ('→   x', [0, 4, 5])
    """
    shown: list[str] = []
    stops: list[int] = []
    column = 0
    for char in text:
        stops.append(column)
        if char == "\t":
            pad = TAB_STOP - column % TAB_STOP
            shown.append(TAB_MARK + " " * (pad - 1))
            column += pad
        else:
            shown.append(char)
            column += 1
    stops.append(column)
    return "".join(shown), stops


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


# -- problems every command meets, worded once -----------------------------------------

PEP263_HINT = (
    "save the file as UTF-8, or declare its encoding on line 1 or 2 "
    "(PEP 263, e.g. '# -*- coding: latin-1 -*-')"
)

# PEP 263's coding declaration, as the tokenizer looks for it on lines 1 and 2.
_COOKIE = rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)"


@dataclass(frozen=True, slots=True)
class DecodeProblem:
    """Where a source's bytes stop decoding: ``line`` 1-based, ``col`` 0-based in
    characters as the caret renderer shows them (bad bytes as U+FFFD), the first bad
    byte, the encoding tried and whether the file declared it (a coding line or BOM)."""

    line: int
    col: int
    byte: int
    encoding: str
    declared: bool

    @property
    def message(self) -> str:
        """The problem as every ember command words it (with ``file:line:col:``)."""
        if not self.declared:
            # python's own wording (run `python x.py`), less the place the prefix has.
            return (
                f"Non-UTF-8 code starting with '\\x{self.byte:02x}', but no encoding "
                f"declared; see {_pep263_url()} for details"
            )
        return f"source is not valid {self.encoding}: byte {self.byte:#04x} cannot be decoded"

    def python_message(self, filename: str) -> str:
        """The SyntaxError message ``python FILE`` prints for an undeclared encoding
        (with the right line: 3.10's is one too many for a bad byte after line 1)."""
        return (
            f"Non-UTF-8 code starting with '\\x{self.byte:02x}' in file {filename} on line "
            f"{self.line}, but no encoding declared; see {_pep263_url()} for details"
        )

    def diagnostic(self, path: str) -> Diagnostic:
        return Diagnostic(Span(path, self.line, self.col), self.message, hint=PEP263_HINT)


def _pep263_url() -> str:
    import sys

    # The address python itself prints, which moved in 3.11.
    if sys.version_info < (3, 11):
        return "https://python.org/dev/peps/pep-0263/"
    return "https://peps.python.org/pep-0263/"


def undecodable_source(data: bytes) -> DecodeProblem | None:
    """Why ``data`` is not Python source text by PEP 263, or None if it decodes (or
    names an encoding Python does not know: a different problem).

    >>> undecodable_source(b'x = 1\\ns = "caf\\xe9"\\n')
    DecodeProblem(line=2, col=8, byte=233, encoding='utf-8', declared=False)
    """
    import io
    import re  # only on this error path
    import tokenize

    first_two = data.split(b"\n", 2)[:2]
    declared = data.startswith(b"\xef\xbb\xbf") or any(re.match(_COOKIE, x) for x in first_two)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        # No valid cookie and a first line that is not UTF-8: tokenize gives up where
        # the compiler goes on reading UTF-8, the default.
        encoding = "utf-8"
    try:
        data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
    except UnicodeDecodeError as err:
        line, col = byte_position(data, err.start)
        return DecodeProblem(line, col, data[err.start], encoding, declared)
    except LookupError:
        return None
    return None


def byte_position(data: bytes, pos: int) -> tuple[int, int]:
    """(line 1-based, column 0-based in characters as rendered) of byte ``pos``."""
    pos = max(pos, 0)
    line = data.count(b"\n", 0, pos) + 1
    start = data.rfind(b"\n", 0, pos) + 1
    return line, len(data[start:pos].decode("utf-8", "replace"))


def dangling_symlink(path: str | os.PathLike[str]) -> str | None:
    """``"dangling symlink (points to T, which does not exist)"`` when ``path`` is a
    symbolic link to nothing, else None: "no such file" would send a user looking for
    a file they can see in ``ls``."""
    try:
        if not os.path.islink(path) or os.path.exists(path):
            return None
        target = os.readlink(path)
    except OSError:
        return None
    return f"dangling symlink (points to {target}, which does not exist)"
