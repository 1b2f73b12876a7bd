"""Typing ``raise``, ``try/except/else/finally`` and ``assert`` (ir/exceptions.py).

- ``raise E``, ``raise E(args)`` for any class deriving from BaseException that is a
  builtin or defined at module level (looked up by module and qualified name at run
  time, once); arguments are numbers, string constants, f-strings, ``"..." % args``
  and ``"...".format(args)`` of numbers. ``raise`` re-raises what a handler caught,
  ``raise e`` the exception ``e`` names, ``raise X from e`` / ``from None`` chain.
- ``except E``, ``except (A, B) as e``, a bare ``except``; ``e`` can be re-raised
  or be a ``from`` cause, not used as a value (there are no exception values).
- ``assert test, message`` raises AssertionError; with ``python -O`` (checked when the
  function is compiled, as CPython decides at compile time) it is left out.

Definite assignment: a handler may start after any statement of the ``try`` body, so
it sees only what was assigned before the ``try``; after the statement, what every
normal exit assigned, plus what ``finally`` assigns.
"""

from __future__ import annotations

import ast
import builtins
import string
import sys
from typing import TYPE_CHECKING

from ember.diagnostics import EmberError
from ember.native.frontend.operators import RuleError
from ember.native.frontend.unknown import UNKNOWN
from ember.native.ir.exceptions import (
    Argument,
    Assert,
    Caught,
    ExcClass,
    FormatField,
    Handler,
    Message,
    PercentFormat,
    Raise,
    Try,
)
from ember.native.ir.nodes import Const, Expr, Stmt
from ember.native.types import BOOL, FLOAT64, INT64, STR

if TYPE_CHECKING:
    from ember.native.frontend.expressions import ExprTyper

_CONVERSIONS = {-1: "", ord("s"): "s", ord("r"): "r", ord("a"): "a"}
_FORMATTABLE = (INT64, FLOAT64, BOOL, UNKNOWN)
# Builtin classes constructed by BaseException's own __new__/__init__ (CPython's
# SimpleExtendsException and KeyError): any arguments, nothing run. Not OSError (its
# constructor picks a subclass from errno), StopIteration, NameError, SystemExit ...
PLAIN = frozenset({
    "BaseException", "Exception", "ArithmeticError", "AssertionError", "BufferError",
    "EOFError", "FloatingPointError", "IndexError", "KeyError", "LookupError",
    "MemoryError", "NotImplementedError", "OverflowError", "RecursionError",
    "ReferenceError", "RuntimeError", "TypeError", "ValueError", "ZeroDivisionError",
})
_VALUE_HINT = "format ints, floats and bools, e.g. f'{x:.3f}' or '%d items' % n"


# ------------------------------------------------------------------ statements


def raise_stmt(typer: ExprTyper, node: ast.Raise, out: list[Stmt]) -> None:
    """``raise [E[(args)] [from cause]]``."""
    span = typer.span(node)
    has_cause = node.cause is not None
    cause = None if node.cause is None else _cause(typer, node.cause)
    if node.exc is None:
        depth = len(typer.handlers) - 1
        caught = Caught(depth, span) if depth >= 0 else None
        out.append(Raise(None, (), caught, cause, has_cause, span))
    elif isinstance(node.exc, ast.Name) and node.exc.id in typer.handlers:
        caught = Caught(_depth(typer, node.exc.id), span)
        out.append(Raise(None, (), caught, cause, has_cause, span))
    else:
        func, args = (node.exc.func, node.exc.args) if isinstance(node.exc, ast.Call) \
            else (node.exc, [])
        if isinstance(node.exc, ast.Call) and node.exc.keywords:
            raise typer.error(node.exc, "keyword arguments of an exception are not supported",
                              "pass the values positionally")
        cls = exception_class(typer, func)
        out.append(Raise(cls, tuple(argument(typer, a) for a in args), None, cause,
                         has_cause, span))
    typer.assigned = None  # nothing after a raise runs


def try_stmt(typer: ExprTyper, node: ast.Try, out: list[Stmt]) -> None:
    start = typer.assigned
    body = typer.block(node.body)
    orelse = typer.block(node.orelse)
    exits = [typer.assigned]
    handlers = []
    for h in node.handlers:
        classes = _handler_classes(typer, h.type)
        typer.assigned = start  # any statement of the body may have raised
        typer.handlers.append(h.name)
        try:
            hbody = typer.block(h.body)
        finally:
            typer.handlers.pop()
        exits.append(typer.assigned)
        handlers.append(Handler(classes, hbody, typer.span(h)))
    after = _meet_all(exits)
    finalbody: tuple[Stmt, ...] = ()
    if node.finalbody:
        typer.assigned = start
        finalbody = typer.block(node.finalbody)
        if typer.assigned is None:
            after = None  # finally always leaves (return, raise): nothing follows
        elif after is not None and start is not None:
            after = after | (typer.assigned - start)
    typer.assigned = after
    out.append(Try(body, tuple(handlers), orelse, finalbody, typer.span(node)))


def assert_stmt(typer: ExprTyper, node: ast.Assert, out: list[Stmt]) -> None:
    # CPython leaves asserts out when it compiles under -O; so does ember. The flag is
    # builtins.__debug__ to Python code: captured under that name, a cached entry made
    # under the other setting is stale when it loads (cache/lookup.py checks captures).
    typer.captured["__debug__"] = repr(not sys.flags.optimize)
    if sys.flags.optimize:
        return
    test = typer.condition(node.test)
    message = None if node.msg is None else argument(typer, node.msg)
    out.append(Assert(test, message, typer.span(node)))


# ------------------------------------------------------------------ classes


def exception_class(typer: ExprTyper, node: ast.expr) -> ExcClass:
    """The exception class ``node`` names (a global or a ``module.attr``)."""
    if not typer.is_static(node):
        raise typer.error(node, "raise needs an exception class by name here",
                          "raise a class defined at module level: raise ValueError('...')")
    try:
        value, dotted, user = typer.static(node)
    except RuleError as exc:
        raise typer.error(node, exc.message, exc.hint) from None
    if isinstance(value, BaseException):
        raise typer.error(node, f"'{dotted}' is an exception instance; compiled code raises "
                          "exception classes", f"raise {type(value).__name__}(...) here")
    if not (isinstance(value, type) and issubclass(value, BaseException)):
        raise typer.error(node, f"'{dotted}' is not an exception class",
                          "raise a class deriving from Exception, e.g. ValueError")
    span = typer.span(node)
    if getattr(builtins, value.__name__, None) is value:
        return ExcClass("builtins", value.__name__, span, value.__name__ in PLAIN)
    module = sys.modules.get(value.__module__)
    found: object = module
    for part in value.__qualname__.split("."):
        found = getattr(found, part, None)
    if module is None or found is not value:
        raise typer.error(node, f"exception class '{dotted}' is not reachable as "
                          f"{value.__module__}.{value.__qualname__}",
                          "define the exception class at module level")
    if user:  # the cache checks captures by repr when an entry loads
        typer.captured[dotted] = repr(value)
    return ExcClass(value.__module__, value.__qualname__, span)


def _handler_classes(typer: ExprTyper, node: ast.expr | None) -> tuple[ExcClass, ...]:
    if node is None:
        return ()
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    classes = tuple(exception_class(typer, item) for item in items)
    if any(c.module == "builtins" and c.qualname == "BaseException" for c in classes):
        return ()  # catches everything, as a bare except
    return classes


def _cause(typer: ExprTyper, node: ast.expr) -> ExcClass | Caught | None:
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    if isinstance(node, ast.Name) and node.id in typer.handlers:
        return Caught(_depth(typer, node.id), typer.span(node))
    return exception_class(typer, node)


def _depth(typer: ExprTyper, name: str) -> int:
    return len(typer.handlers) - 1 - typer.handlers[::-1].index(name)


def caught_name_error(typer: ExprTyper, node: ast.AST, name: str) -> EmberError:
    """The error for ``e`` (an ``except ... as e`` name) used as a value."""
    return typer.error(node, f"the caught exception '{name}' can only be re-raised or "
                       f"formatted into a message in compiled code (raise, raise {name}, "
                       f"raise X from {name}, raise X(f'...{{{name}}}'))",
                       "compiled code has no exception values: write the message with "
                       f"an f-string, e.g. raise RuntimeError(f'failed: {{{name}}}')")


# ------------------------------------------------------------------ messages


def argument(typer: ExprTyper, node: ast.expr) -> Argument:
    """An exception's argument: a number, a string constant, a caught exception or a
    message built from them (f-string, ``%``, ``str.format``)."""
    if isinstance(node, ast.Name) and node.id in typer.handlers:
        return Caught(_depth(typer, node.id), typer.span(node))
    if isinstance(node, ast.JoinedStr):
        return _joined(typer, node)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_str(node.left):
        items = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return PercentFormat(node.left.value, tuple(_value(typer, i) for i in items),  # type: ignore[attr-defined]
                             STR, typer.span(node))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format" and _is_str(node.func.value)):
        return _str_format(typer, node)
    if _is_str(node):
        return Const(node.value, STR, typer.span(node))  # type: ignore[attr-defined]
    value = typer.expr(node)
    if value.type not in _FORMATTABLE:
        raise typer.error(node, f"an exception argument of type {value.type} is not supported",
                          _VALUE_HINT)
    return value


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _value(typer: ExprTyper, node: ast.expr) -> Expr | Caught:
    if isinstance(node, ast.Name) and node.id in typer.handlers:
        return Caught(_depth(typer, node.id), typer.span(node))  # f"{e}": str(e)
    if _is_str(node):
        return Const(node.value, STR, typer.span(node))  # type: ignore[attr-defined]
    value = typer.expr(node)
    if value.type not in _FORMATTABLE:
        raise typer.error(node, f"formatting a {value.type} into a message is not supported",
                          _VALUE_HINT)
    return value


def _joined(typer: ExprTyper, node: ast.JoinedStr) -> Message:
    pieces: list[Const | FormatField] = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            pieces.append(Const(part.value, STR, typer.span(part)))
            continue
        assert isinstance(part, ast.FormattedValue)
        spec = ""
        if part.format_spec is not None:
            values = part.format_spec.values  # type: ignore[attr-defined]
            if not all(_is_str(v) for v in values):
                raise typer.error(part.format_spec, "a computed format spec is not supported",
                                  "write the spec out: f'{x:.3f}'")
            spec = "".join(v.value for v in values)
        pieces.append(FormatField(_value(typer, part.value), _CONVERSIONS[part.conversion],
                                  spec, typer.span(part)))
    return Message(tuple(pieces), STR, typer.span(node))


def _str_format(typer: ExprTyper, node: ast.Call) -> Message:
    template = node.func.value.value  # type: ignore[attr-defined]
    if any(isinstance(a, ast.Starred) for a in node.args):
        raise typer.error(node, "*-arguments of str.format are not supported")
    args = [_value(typer, a) for a in node.args]
    kwargs = {k.arg: _value(typer, k.value) for k in node.keywords if k.arg is not None}
    if len(kwargs) != len(node.keywords):
        raise typer.error(node, "**-arguments of str.format are not supported")
    pieces: list[Const | FormatField] = []
    auto = 0
    numbering: set[str] = set()
    span = typer.span(node)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise typer.error(node.func.value, f"bad format string: {exc}") from None
    for literal, field, spec, conversion in parsed:
        if literal:
            pieces.append(Const(literal, STR, span))
        if field is None:
            continue
        if field == "":
            key: int | str = auto
            auto += 1
            numbering.add("automatic")
        elif field.isdigit():
            key = int(field)
            numbering.add("manual")
        else:
            key = field
        if len(numbering) > 1:  # str.format raises ValueError at run time
            raise typer.error(node, "str.format cannot mix automatic ({}) and manual ({0}) "
                              "field numbering", "number every field, or none")
        if spec and "{" in spec:
            raise typer.error(node, "a computed format spec is not supported",
                              "write the spec out: '{:.3f}'")
        try:
            value = args[key] if isinstance(key, int) else kwargs[key]
        except (IndexError, KeyError):
            raise typer.error(node, f"str.format has no argument for the field {{{field}}}",
                              "give one argument per {} field, or name the keyword") from None
        pieces.append(FormatField(value, conversion or "", spec or "", span))
    return Message(tuple(pieces), STR, span)


def _meet_all(states: list[frozenset[str] | None]) -> frozenset[str] | None:
    live = [s for s in states if s is not None]
    if not live:
        return None
    out = live[0]
    for s in live[1:]:
        out = out & s
    return out


