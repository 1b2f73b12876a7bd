"""The native frontend (ember.native.frontend.source): source found and parsed with the file's own
line numbers and columns, names resolved as Python does, non-compilable functions refused."""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap

import pytest

from ember.diagnostics import EmberError
from ember.native.frontend.source import MISSING, parse_function

LIMIT = 10


def top_level(x):
    return x + LIMIT


class Shape:
    def area(self, w):
        text = """
a string whose lines
are less indented than the method"""
        return w * len(text)

    @staticmethod
    def decorated(x):
        return x


def make_closure(k):
    def inner(x):
        return x * k

    return inner


def test_top_level_function_positions_are_the_files():
    src = parse_function(top_level)
    assert src.tree.name == "top_level"
    assert src.tree.lineno == top_level.__code__.co_firstlineno
    assert src.tree.col_offset == 0
    ret = src.tree.body[0]
    assert isinstance(ret, ast.Return) and ret.lineno == src.tree.lineno + 1
    assert ret.col_offset == 4


def test_method_keeps_its_indentation_and_line_numbers():
    src = parse_function(Shape.area)
    lines, start = inspect.getsourcelines(Shape.area)
    assert src.tree.lineno == start
    assert src.tree.col_offset == 4
    ret = src.tree.body[-1]
    assert isinstance(ret, ast.Return)
    # the real file line holds the return statement at the reported column
    line = src.source.splitlines()[ret.lineno - 1]
    assert line[ret.col_offset:].startswith("return w * len(text)")
    # the string literal is untouched (textwrap.dedent would have changed nothing here,
    # but a dedent of less-indented string lines must never alter the program)
    assign = src.tree.body[0]
    assert isinstance(assign, ast.Assign) and isinstance(assign.value, ast.Constant)
    assert assign.value.value.startswith("\na string whose lines\nare less indented")


def test_decorated_function_is_found_below_its_decorator():
    src = parse_function(Shape.decorated)
    assert src.tree.name == "decorated"
    assert src.tree.col_offset == 4
    line = src.source.splitlines()[src.tree.lineno - 1]
    assert line.strip() == "def decorated(x):"


def test_nested_function_and_its_closure_cells():
    inner = make_closure(3)
    src = parse_function(inner)
    assert src.tree.col_offset == 4
    assert src.qualname == "make_closure.<locals>.inner"
    assert src.lookup("k") == 3
    assert src.freevars == (("k", 3),)


def test_lookup_order_closure_then_globals_then_builtins():
    src = parse_function(top_level)
    assert src.lookup("LIMIT") == 10
    assert src.lookup("abs") is abs
    assert src.lookup("no_such_name_anywhere") is MISSING


def test_digest_is_the_sha256_of_the_dedented_source():
    src = parse_function(Shape.area)
    text = textwrap.dedent("".join(inspect.getsourcelines(Shape.area)[0]))
    assert src.digest == hashlib.sha256(text.encode()).hexdigest()
    assert src.module == __name__ and src.path == __file__


def test_parsing_is_reused_for_the_same_code_object():
    a, b = make_closure(1), make_closure(2)
    sa, sb = parse_function(a), parse_function(b)
    assert sa.tree is sb.tree  # parsed once per code object
    assert (sa.lookup("k"), sb.lookup("k")) == (1, 2)  # cells read per function


def test_empty_closure_cell_is_missing():
    def outer():
        def inner():
            return later  # noqa: F821 - assigned after inner is made

        cell_holder = inner
        later = 1  # noqa: F841
        return cell_holder

    fn = outer()
    assert parse_function(fn).lookup("later") == 1

    def outer_unassigned():
        def inner():
            return never  # noqa: F821

        return inner
        never = 1  # noqa: F841 - unreachable: the cell stays empty

    assert parse_function(outer_unassigned()).lookup("never") is MISSING


@pytest.mark.parametrize(
    "func, message",
    [
        (lambda x: x, "a lambda cannot be compiled"),
        (len, "cannot compile 'len' is a built-in function, not a Python function"),
        (print, "cannot compile 'print' is a built-in function, not a Python function"),
        (Shape().area, "cannot compile 'Shape.area' is a bound method; ember compiles plain "
         "functions"),
        (Shape, "cannot compile Shape is not a Python function (it is a type)"),
    ],
)
def test_functions_that_cannot_be_compiled(func, message):
    with pytest.raises(EmberError) as info:
        parse_function(func)
    assert info.value.diagnostic.message == message


def test_generators_and_coroutines_are_refused():
    def gen(n):
        yield n

    async def coro(n):
        return n

    for func, word in ((gen, "generator"), (coro, "coroutine")):
        with pytest.raises(EmberError) as info:
            parse_function(func)
        assert word in info.value.diagnostic.message
        assert info.value.diagnostic.span.line == func.__code__.co_firstlineno


def test_exec_code_has_no_source():
    namespace: dict[str, object] = {}
    exec("def made(x):\n    return x\n", namespace)
    with pytest.raises(EmberError) as info:
        parse_function(namespace["made"])
    assert "cannot find the source code of 'made'" in str(info.value)


def test_error_helper_renders_at_the_node():
    src = parse_function(top_level)
    ret = src.tree.body[0]
    text = str(src.error(ret.value, "boom", "do this"))
    assert text.splitlines() == [
        f"{__file__}:{ret.lineno}:12: error: boom",
        "    return x + LIMIT",
        "           ^^^^^^^^^",
        "hint: do this",
    ]
