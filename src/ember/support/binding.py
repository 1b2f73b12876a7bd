"""Argument binding exactly as CPython does it: a generated function with the same
parameters (and defaults) as the original, whose body returns them as one tuple.

    >>> def crc16(data, poly=0x8408, *, init=0xFFFF):
    ...     pass
    >>> bind = binder(crc16)
    >>> bind(b"x"), bind(b"x", init=0)
    ((b'x', 33800, 65535), (b'x', 33800, 0))
    >>> bind(b"x", pol=1)
    Traceback (most recent call last):
    TypeError: crc16() got an unexpected keyword argument 'pol'

CPython itself checks the call, so every TypeError (missing, unexpected, duplicate,
positional-only passed by keyword, too many) has CPython's own text and the function's
``__qualname__``; a call costs about what calling an empty Python function costs. Stdlib
only: the dispatcher's slow path and the frontend's jit-to-jit calls share it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

VARARGS, VARKEYWORDS = 0x04, 0x08


def parameter_names(func: Any) -> tuple[str, ...]:
    """Every named parameter in call order: positional, then keyword-only."""
    code = func.__code__
    return code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]  # type: ignore[no-any-return]


def binder(func: Any) -> Callable[..., tuple[Any, ...]] | None:
    """A function binding a call of ``func`` to the tuple of its parameters (defaults
    filled in), raising CPython's TypeError for a call ``func`` would refuse; None for a
    function with ``*args`` or ``**kwargs`` (nothing compiled takes them). The defaults
    are ``func``'s at this moment."""
    code = func.__code__
    if code.co_flags & (VARARGS | VARKEYWORDS):
        return None
    names = parameter_names(func)
    positional, posonly = names[: code.co_argcount], code.co_posonlyargcount
    parts = list(positional[:posonly]) + (["/"] if posonly else []) + list(positional[posonly:])
    if len(names) > len(positional):
        parts += ["*", *names[len(positional):]]
    items = "".join(f"{n}, " for n in names)
    namespace: dict[str, Any] = {}
    # The names are a real function's parameters: identifiers, never code.
    exec(f"def bind({', '.join(parts)}):\n    return ({items})\n", namespace)  # noqa: S102
    bind = namespace["bind"]
    bind.__defaults__ = func.__defaults__
    bind.__kwdefaults__ = func.__kwdefaults__
    bind.__name__, bind.__qualname__ = func.__name__, func.__qualname__
    return bind  # type: ignore[no-any-return]
