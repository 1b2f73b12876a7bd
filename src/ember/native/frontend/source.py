"""The native frontend: a Python function → its ``ast`` with real file positions, plus
the names it can see (closure cells, module globals, builtins).

    >>> def some_func(x):
    ...     return x + 1
    >>> src = parse_function(some_func)
    >>> src.tree.name, src.tree.lineno, src.path
    ('some_func', 1, '<doctest ember.native.frontend.source[0]>')

Positions in ``tree`` are the file's own (line numbers and columns), even for a method
indented in a class or a function nested in another, so a diagnostic points at the
user's text. Functions the subset can never compile (lambdas, generators, coroutines,
functions without source such as built-ins or ``exec``'d code) are rejected here with an
:class:`~ember.diagnostics.EmberError`.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass
from typing import Any

from ember.diagnostics import Diagnostic, EmberError, Span

FALLBACK_HINT = (
    "ember compiles numeric code: ints, floats, bools, tuples, arrays; "
    "use @jit(fallback=True) to run this function as plain Python"
)

# Code flags (inspect.CO_*), named here so the checks read as prose.
_GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR
_COROUTINE_FLAGS = inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE


class _Missing:
    """The result of :meth:`FunctionSource.lookup` for a name nobody defines."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class FunctionSource:
    """One function as the frontend found it.

    ``tree`` has absolute positions; ``source`` is the whole file's text (what
    diagnostics quote); ``digest`` is the sha256 of the function's dedented source text
    (the native cache's key for this function).
    """

    func: types.FunctionType
    tree: ast.FunctionDef
    path: str
    source: str
    module: str
    qualname: str
    digest: str
    freevars: tuple[tuple[str, Any], ...]  # closure cells: (name, value or MISSING)

    @property
    def name(self) -> str:
        return self.tree.name

    def span(self, node: ast.AST) -> Span:
        return Span.of(self.path, node)

    def error(self, node: ast.AST, message: str, hint: str | None = FALLBACK_HINT) -> EmberError:
        """An :class:`EmberError` pointing at ``node`` (raise it)."""
        return EmberError(Diagnostic(self.span(node), message, hint), self.source)

    def lookup(self, name: str) -> Any:
        """The value a free name has now: a closure cell, then the module's globals,
        then builtins (Python's own order); :data:`MISSING` when undefined."""
        for cell_name, value in self.freevars:
            if cell_name == name:
                return value
        scope = self.func.__globals__
        if name in scope:
            return scope[name]
        return getattr(builtins, name, MISSING)


# Parsing is the costly part and depends only on the code object (closures made in a
# loop share one), so it is kept per code object; cells are read fresh every time.
_PARSED: dict[types.CodeType, tuple[ast.FunctionDef, str, str]] = {}


def parse_function(func: object) -> FunctionSource:
    """Find, parse and check the source of ``func``; raises :class:`EmberError` for a
    function that cannot be compiled at all.

    >>> def f(x):
    ...     return x + 1
    >>> parse_function(f).tree.body[0]
    <ast.Return object at ...>
    """
    if not isinstance(func, types.FunctionType):
        raise _no_source_error(func)
    code = func.__code__
    path = code.co_filename
    parsed = _PARSED.get(code) or _parse_source(func)
    _PARSED[code] = parsed
    fn, source, digest = parsed
    cells = func.__closure__ or ()
    freevars = tuple(
        (name, _cell_value(cell)) for name, cell in zip(code.co_freevars, cells, strict=True)
    )
    return FunctionSource(
        func=func,
        tree=fn,
        path=path,
        source=source,
        module=func.__module__ or "__main__",
        qualname=func.__qualname__,
        digest=digest,
        freevars=freevars,
    )


def _parse_source(func: types.FunctionType) -> tuple[ast.FunctionDef, str, str]:
    code = func.__code__
    path = code.co_filename
    def_span = Span(path, code.co_firstlineno, 0)
    if func.__name__ == "<lambda>":
        raise EmberError(
            Diagnostic(def_span, "a lambda cannot be compiled", "write it as a def function"),
            _file_text(path),
        )
    if code.co_flags & _GENERATOR_FLAGS:
        raise EmberError(
            Diagnostic(_def_line_span(path, code.co_firstlineno),
                       f"'{func.__name__}' is a generator, which ember cannot compile",
                       FALLBACK_HINT),
            _file_text(path),
        )
    if code.co_flags & _COROUTINE_FLAGS:
        raise EmberError(
            Diagnostic(_def_line_span(path, code.co_firstlineno),
                       f"'{func.__name__}' is a coroutine (async def), which ember "
                       "cannot compile", FALLBACK_HINT),
            _file_text(path),
        )
    try:
        lines, start = inspect.getsourcelines(func)
    except (OSError, TypeError):
        raise EmberError(
            Diagnostic(def_span, f"cannot find the source code of '{func.__qualname__}'",
                       "ember compiles from source: define the function in a .py file "
                       "(not with exec or in an interactive prompt without source)"),
        ) from None
    text = "".join(lines)
    tree = _parse_at(text, start)
    fn = _find_def(tree, func.__name__)
    if fn is None:
        raise EmberError(
            Diagnostic(def_span, f"cannot find the definition of '{func.__qualname__}' in its "
                       "source", "ember compiles functions written with def"),
            _file_text(path),
        )
    source = _file_text(path) or "\n" * (start - 1) + text
    return fn, source, hashlib.sha256(textwrap.dedent(text).encode()).hexdigest()


def _def_line_span(path: str, first: int) -> Span:
    """The ``def`` line of a function whose code starts at line ``first`` (that is its
    first decorator's line): where a diagnostic about the whole function points."""
    lines = linecache.getlines(path)
    for n in range(first, min(first + 100, len(lines)) + 1):
        text = lines[n - 1].rstrip()
        stripped = text.lstrip()
        if stripped.startswith(("def ", "async def ")):
            return Span(path, n, 0, n, len(text))  # column 1, as for other whole-def errors
    return Span(path, first, 0)


def _parse_at(text: str, start: int) -> ast.Module:
    """Parse the lines of a function that begin at file line ``start``, keeping the
    file's columns: an indented def is wrapped in ``if 1:`` instead of dedented, so no
    column needs shifting (and no string literal is altered, as dedent could)."""
    if text[:1] in (" ", "\t"):
        tree = ast.parse("if 1:\n" + text)
        ast.increment_lineno(tree, start - 2)
        body = tree.body[0]
        assert isinstance(body, ast.If)
        return ast.Module(body=body.body, type_ignores=[])
    tree = ast.parse(text)
    ast.increment_lineno(tree, start - 1)
    return tree


def _find_def(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    for node in tree.body:  # inspect may start at a decorator that wraps another def
        if isinstance(node, ast.FunctionDef):
            return node
    return None


def _cell_value(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell: the variable was not assigned yet
        return MISSING


def _file_text(path: str) -> str | None:
    lines = linecache.getlines(path)
    return "".join(lines) if lines else None


def _no_source_error(func: object) -> EmberError:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    if isinstance(func, (types.BuiltinFunctionType, types.MethodWrapperType)):
        what = f"'{name}' is a built-in function, not a Python function"
    elif isinstance(func, types.MethodType):
        what = f"'{name}' is a bound method; ember compiles plain functions"
    else:
        what = f"{name} is not a Python function (it is a {type(func).__name__})"
    return EmberError(
        Diagnostic(Span("<unknown>", 1, 0), f"cannot compile {what}",
                   "decorate a function defined with def in a .py file"),
    )
