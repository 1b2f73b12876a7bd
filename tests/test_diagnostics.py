from __future__ import annotations

import sys
from pathlib import Path

from ember.diagnostics import (
    DecodeProblem,
    Diagnostic,
    EmberError,
    Span,
    dangling_symlink,
    show_tabs,
    source_line,
    undecodable_source,
)


def test_render_single_line_span_with_hint() -> None:
    source = "def f(x):\n    return x + 'a'\n"
    d = Diagnostic(Span("m.py", 2, 15, 2, 18), "cannot add int64 and str", hint="convert first")
    assert d.render(source) == (
        "m.py:2:16: error: cannot add int64 and str\n"
        "    return x + 'a'\n"
        "               ^^^\n"
        "hint: convert first"
    )


def test_render_reads_the_file_when_no_source_given(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("x = (1,\n     2\n")
    d = Diagnostic(Span(str(path), 1, 4, 2, 6), "'(' was never closed", severity="error")
    lines = str(d).splitlines()
    assert lines[0] == f"{path}:1:5: error: '(' was never closed"
    # A span running onto later lines underlines to the end of its first line.
    assert lines[1:] == ["    x = (1,", "        ^^^"]


def test_render_without_source_line_keeps_the_location() -> None:
    d = Diagnostic(Span("/no/such/file.py", 7, 0), "cannot read file", hint="check the path")
    assert d.render() == "/no/such/file.py:7:1: error: cannot read file\nhint: check the path"


def test_caret_under_tab_indented_code() -> None:
    d = Diagnostic(Span("t.py", 1, 5, 1, 6), "bad")
    assert d.render("\tif x:\n").splitlines()[1:] == ["    if x:", "        ^"]


def test_span_of_ast_node() -> None:
    import ast

    node = ast.parse("a = b + c").body[0].value  # type: ignore[attr-defined]
    assert Span.of("f.py", node) == Span("f.py", 1, 4, 1, 9)


def test_ember_error_str_is_the_rendering() -> None:
    d = Diagnostic(Span("f.py", 1, 0, 1, 1), "boom")
    err = EmberError(d, "x\n")
    assert str(err) == "f.py:1:1: error: boom\n    x\n    ^"
    assert err.diagnostic is d


def test_source_line_out_of_range() -> None:
    assert source_line("x.py", 3, "a\nb\n") is None
    assert source_line("x.py", 2, "a\nb\n") == "b"


def test_control_characters_are_shown_as_one_visible_character() -> None:
    d = Diagnostic(Span("n.py", 1, 4, 1, 5), "source code cannot contain null bytes")
    assert d.render("x = \0 + 1\n").splitlines()[1:] == ["    x = \ufffd + 1", "        ^"]


def test_bom_on_the_first_line_does_not_shift_the_caret() -> None:
    d = Diagnostic(Span("b.py", 1, 4, 1, 5), "bad")
    assert d.render("\ufeffx = ?\n").splitlines()[1:] == ["    x = ?", "        ^"]


# -- an indentation problem keeps its indentation, tabs visible -----------------------


def test_indentation_error_keeps_tabs_visible_and_underlines_them() -> None:
    d = Diagnostic(Span("t.py", 3, 0), "TabError: inconsistent", indentation=True)
    assert d.render("if x:\n        y\n\tz = 2\n").splitlines()[1:] == ["    →   z = 2", "    ^^^^"]


def test_indentation_error_with_a_column_past_the_line_underlines_the_indentation() -> None:
    # CPython puts "unindent does not match" at the end of the line.
    d = Diagnostic(Span("u.py", 1, 8), "unindent", indentation=True)
    assert d.render("\t  z = 2\n").splitlines()[1:] == ["    →     z = 2", "    ^^^^^^"]


def test_indentation_span_on_code_lines_up_after_a_tab() -> None:
    d = Diagnostic(Span("t.py", 1, 4, 1, 5), "bad", indentation=True)
    assert d.render("\tif x:\n").splitlines()[1:] == ["    →   if x:", "           ^"]


def test_show_tabs_pads_to_the_next_stop() -> None:
    assert show_tabs("  \tx\t") == ("  → x→  ", [0, 1, 2, 4, 5, 8])


# -- a message about no file is a plain line -------------------------------------------


def test_no_path_no_line_is_a_plain_error_line() -> None:
    assert Diagnostic(Span("", 0), "--plot needs matplotlib").render() == (
        "error: --plot needs matplotlib"
    )


# -- problems worded once ----------------------------------------------------------------


def test_undecodable_source_without_a_declaration() -> None:
    found = undecodable_source(b'x = 1\ns = "caf\xe9"\n')
    assert found == DecodeProblem(2, 8, 0xE9, "utf-8", False)
    assert found.message.startswith("Non-UTF-8 code starting with '\\xe9', but no encoding")
    url = (  # the address python itself prints, which moved in 3.11
        "https://peps.python.org/pep-0263/"
        if sys.version_info >= (3, 11)
        else "https://python.org/dev/peps/pep-0263/"
    )
    assert found.python_message("/a/m.py") == (
        "Non-UTF-8 code starting with '\\xe9' in file /a/m.py on line 2, but no encoding "
        f"declared; see {url} for details"
    )


def test_undecodable_source_with_a_declaration_or_none() -> None:
    found = undecodable_source(b"# coding: ascii\ns = '\xe9'\n")
    assert found is not None and found.declared and found.encoding == "ascii"
    assert found.message == "source is not valid ascii: byte 0xe9 cannot be decoded"
    assert undecodable_source(b"# coding: latin-1\ns = '\xe9'\n") is None
    assert undecodable_source("s = 'café'\n".encode()) is None


def test_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "l.py"
    link.symlink_to("missing.py")
    assert dangling_symlink(link) == "dangling symlink (points to missing.py, which does not exist)"
    (tmp_path / "missing.py").write_text("")
    assert dangling_symlink(link) is None
    assert dangling_symlink(tmp_path / "nothing") is None
