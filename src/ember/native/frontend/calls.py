"""Keyword arguments and defaults: a function's parameters → the root's
:class:`~ember.native.ir.calls.CallShape` (what its CPython entry binds), and a
jit-to-jit call's positional and keyword arguments → one argument per parameter.

    >>> def scale(x, factor=2.0, *, offset=0):
    ...     return x * factor + offset
    >>> call_shape(scale)
    CallShape(names=('x', 'factor', 'offset'), positional=2, posonly=0, defaults=((1, 2.0), (2, 0)))
    >>> import ast
    >>> bind_arguments(scale, ast.parse("scale(1, offset=3)").body[0].value)  # doctest: +ELLIPSIS
    [<ast.Constant ...>, Default(value=2.0), <ast.Constant ...>]

A call that CPython would refuse is refused at compile time with CPython's own message
(``bind_arguments`` asks :func:`ember.support.binding.binder`, which is CPython binding).
"""

from __future__ import annotations

import ast
from typing import Any

from ember.native.frontend.operators import RuleError
from ember.native.ir.calls import CallShape
from ember.native.types import INT64_MAX, INT64_MIN
from ember.support.binding import binder, parameter_names
from ember.support.record import record


def entry_constant(value: object) -> bool:
    """A default the CPython entry fills in itself (a scalar of one of ember's types)."""
    if value is None or type(value) in (bool, float):
        return True
    return type(value) is int and INT64_MIN <= value <= INT64_MAX  # type: ignore[operator]


def call_shape(func: Any) -> CallShape:
    """The parameters of ``func`` as its compiled entry binds them. Defaults are read
    now: the entry keeps them as constants (the native cache keys them too)."""
    code = func.__code__
    names = parameter_names(func)
    out: list[tuple[int, object]] = []
    positional_defaults = func.__defaults__ or ()
    first = code.co_argcount - len(positional_defaults)
    out += [(first + k, v) for k, v in enumerate(positional_defaults) if entry_constant(v)]
    kwdefaults = func.__kwdefaults__ or {}
    out += [(i, kwdefaults[n]) for i, n in enumerate(names) if i >= code.co_argcount
            and n in kwdefaults and entry_constant(kwdefaults[n])]
    return CallShape(names, code.co_argcount, code.co_posonlyargcount, tuple(out))


@record
class Default:
    """A parameter a call leaves out: filled with the callee's default ``value``."""

    value: object


class _Slot:
    """Marks the ``index``-th argument expression of a call while CPython binds it."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def bind_arguments(callee: Any, node: ast.Call) -> list[ast.expr | Default]:
    """One argument per parameter of ``callee`` (positional, then keyword-only) for the
    call ``node``: the argument's expression, or :class:`Default`. Raises RuleError with
    CPython's TypeError text for a call CPython would refuse; RuleError too when a
    keyword argument would run before one written ahead of it and either may have an
    effect (compiled code evaluates arguments in parameter order)."""
    # (``f(*t)`` and ``f(**d)`` are refused before this, as every call's are.)
    bind = binder(callee)
    if bind is None:
        raise RuleError(f"'{callee.__name__}' has *args or **kwargs parameters, which ember "
                        "cannot compile", "use named parameters (with defaults if needed)")
    written: list[ast.expr] = [*node.args, *(kw.value for kw in node.keywords)]
    slots = [_Slot(i) for i in range(len(written))]
    try:
        bound = bind(*slots[: len(node.args)],
                     **{kw.arg: s for kw, s in zip(node.keywords, slots[len(node.args):],
                                                    strict=True)})
    except TypeError as exc:
        raise RuleError(str(exc), "call it as Python would accept it") from None
    _check_order([b.index for b in bound if isinstance(b, _Slot)], written)
    return [written[b.index] if isinstance(b, _Slot) else Default(b) for b in bound]


def _check_order(order: list[int], written: list[ast.expr]) -> None:
    """Python evaluates arguments as written; compiled code in parameter order. Names
    and constants have no effect (a call cannot rebind the caller's locals), so only the
    arguments that may have one (a call, an error, printing) must keep their order."""
    effects = [i for i in order if not isinstance(written[i], (ast.Name, ast.Constant))]
    if effects != sorted(effects):
        raise RuleError("keyword arguments that compute something must be written in "
                        "parameter order (compiled code evaluates them in that order)",
                        "write them in parameter order, or assign the values to locals "
                        "first")
