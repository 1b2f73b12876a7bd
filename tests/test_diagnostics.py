from __future__ import annotations

from pathlib import Path

from ember.diagnostics import Diagnostic, EmberError, Span, source_line


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
