"""Function values' names: a :class:`~ember.native.types.Function` type holds an
``ident`` (plain data, as every type); this table maps it to the function it stands for
(a @jit function's ``py_func``, or an inner function of the frontend). Stdlib only, so
the dispatcher can name a @jit function passed in without importing the frontend.

    >>> def sq(x):
    ...     return x * x
    >>> register("app:sq", sq), target("app:sq") is sq
    ('app:sq', True)
"""

from __future__ import annotations

# Entries live for the process, as the compiled code specialized on them does.
_FUNCTIONS: dict[str, object] = {}


def register(ident: str, func: object) -> str:
    """The ident under which ``func`` is known: ``ident`` itself unless another function
    already has that name (two closures made by one ``def``), then ``ident#2`` ..."""
    n, name = 1, ident
    while _FUNCTIONS.get(name, func) is not func:
        n += 1
        name = f"{ident}#{n}"
    _FUNCTIONS[name] = func
    return name


def target(ident: str) -> object:
    """The function registered as ``ident`` (KeyError if none)."""
    return _FUNCTIONS[ident]


def ident_of(py_func: object) -> str:
    """The ident of a module-level function: ``module:qualname`` (registered)."""
    return register(f"{getattr(py_func, '__module__', '?')}:{getattr(py_func, '__qualname__', '?')}",
                    py_func)
