"""Typed IR of exceptions: ``raise``, ``try/except/else/finally``, ``assert``, and the
messages they carry (f-strings, ``%`` and ``str.format`` of numbers), built by
:mod:`ember.native.frontend.exceptions` and lowered by :mod:`ember.native.codegen.exceptions`.

    raise ValueError(f"bad {x}")      Raise ValueError(Message("bad ", {x!:}))
    try:                              Try
        q = a // b                        body: q = a // b
    except ZeroDivisionError as e:        Handler (ZeroDivisionError) depth 0
        raise KeyError(b) from e              Raise KeyError(b) from Caught(0)

Exception classes are named, not held: an :class:`ExcClass` is a module and a qualified
name, looked up (once per process) when compiled code first needs the class object, so
a cached or ahead-of-time build never holds a pointer of another process.
"""

from __future__ import annotations

from ember.diagnostics import Span
from ember.native.ir.nodes import Const, Expr, Node, Stmt
from ember.native.types import Type
from ember.support.record import record


@record
class ExcClass(Node):
    """An exception class: ``getattr(import_module(module), qualname)`` (``builtins``
    for ValueError and the other builtin classes)."""

    module: str
    qualname: str
    span: Span
    # A builtin class whose constructor is BaseException's own (any arguments, no side
    # effects): raising it may leave making the object to CPython (when it is needed).
    plain: bool = False


@record
class Caught(Node):
    """The exception an enclosing handler caught (``e`` of ``except E as e``): ``depth``
    counts handlers from the function's outermost (0)."""

    depth: int
    span: Span


@record
class FormatField(Node):
    """``{value!conversion:spec}`` of an f-string or ``str.format``: formatted by
    Python's own ``format()`` (``conversion`` is ``""``, ``"r"``, ``"s"`` or ``"a"``)."""

    value: Expr
    conversion: str
    spec: str
    span: Span


@record
class Message(Node):
    """A string built at run time (an f-string, ``"...".format(...)``): the text of
    an exception; its type is str. Only an argument of ``raise``/``assert``."""

    pieces: tuple[Const | FormatField, ...]
    type: Type
    span: Span


@record
class PercentFormat(Node):
    """``template % args``: Python's own ``str %`` (``PyUnicode_Format``)."""

    template: str
    args: tuple[Expr | Caught, ...]
    type: Type
    span: Span


Argument = Expr | Message | PercentFormat | Caught


@record
class Raise(Node):
    """``raise cls(*args) [from cause]``; with ``cls`` None a re-raise: of ``caught``
    (``raise e``), or of the exception being handled (bare ``raise``). ``has_cause``
    with ``cause`` None is ``from None``."""

    cls: ExcClass | None
    args: tuple[Argument, ...]
    caught: Caught | None
    cause: ExcClass | Caught | None
    has_cause: bool
    span: Span


@record
class Handler(Node):
    """``except (classes) [as name]:`` (``classes`` empty: a bare ``except``)."""

    classes: tuple[ExcClass, ...]
    body: tuple[Stmt, ...]
    span: Span


@record
class Try(Node):
    body: tuple[Stmt, ...]
    handlers: tuple[Handler, ...]
    orelse: tuple[Stmt, ...]
    finalbody: tuple[Stmt, ...]
    span: Span


@record
class Assert(Node):
    """``assert test, message`` (AssertionError); absent under ``python -O``."""

    test: Expr
    message: Argument | None
    span: Span


ExcStmt = Raise | Try | Assert
