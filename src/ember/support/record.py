"""Cheap frozen record classes for the compiler's many small types and IR nodes.

A class body with annotated fields → a slotted, frozen, hashable class, as
``@dataclass(frozen=True, slots=True)`` would make it, at about a fifth of the cost to
define (see :func:`record`).
"""

from __future__ import annotations

try:
    # The C attrgetter that `operator` re-exports, without operator.py (~0.3 ms of a
    # warm start): `_operator` is built into CPython.
    from _operator import attrgetter
except ImportError:  # pragma: no cover - an interpreter without it
    from operator import attrgetter

# Not `from typing import ...` (~3 ms of start-up), nor `collections.abc` (it imports
# `collections`, ~2 ms): these names serve annotations only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    _C = TypeVar("_C", bound=type)


def record(cls: _C) -> _C:
    """``@dataclass(frozen=True, slots=True)`` for the compiler's many small classes
    (types, typed-IR nodes), at about a fifth of the cost to define.

    >>> @record
    ... class Pair:
    ...     a: int
    ...     b: str = "x"
    >>> Pair(1), Pair(1) == Pair(1, "x"), hash(Pair(1)) == hash(Pair(1))
    (Pair(a=1, b='x'), True, True)

    Same behaviour where it is used: ``__init__`` with the fields in order (defaults
    allowed), ``__slots__`` of the class's own fields, frozen (assigning raises
    ``FrozenInstanceError``), equality and hash by field values and exact class, a
    field repr unless the class or a base defines one, ``__match_args__``, pickling.
    Not a dataclass for ``dataclasses.fields``/``replace`` (nothing uses them on these
    classes); as with ``slots=True``, the class is rebuilt, so its methods cannot use
    zero-argument ``super()``; a class defining ``__eq__`` defines ``__hash__`` too.

    Why: every ember process that compiles defines ~45 of them before its first call,
    and ``dataclass`` spends ~0.35 ms on each (3.11), mostly compiling six generated
    methods with ``exec``: here only ``__init__`` is made, as a renamed copy of a
    precompiled template (~0.01 ms, no compile; see :func:`_init_from_template`); the
    other methods are shared functions reading the fields through ``attrgetter``.
    """
    own = cls.__dict__.get("__annotations__", {})
    fields: tuple[str, ...] = (*getattr(cls, "__record_fields__", ()), *own)
    defaults = {name: cls.__dict__[name] for name in own if name in cls.__dict__}
    ns = {k: v for k, v in cls.__dict__.items()
          if k not in defaults and k not in ("__dict__", "__weakref__")}
    ns["__slots__"] = tuple(own)
    ns["__record_fields__"] = fields
    ns["__match_args__"] = fields
    ns["__record_key__"] = staticmethod(attrgetter(*fields) if len(fields) > 1
                                        else _single_key(fields[0]) if fields else _no_key)
    for name, method in _SHARED.items():
        if name not in ns and (name != "__repr__" or cls.__repr__ is object.__repr__):
            ns[name] = method
    if "__init__" not in ns:
        ns["__init__"] = _make_init(cls.__qualname__, fields, defaults, cls.__dict__)
    new = type(cls)(cls.__name__, cls.__bases__, ns)
    new.__qualname__ = cls.__qualname__
    return new  # type: ignore[return-value]


def _make_init(qualname: str, fields: tuple[str, ...], defaults: dict[str, Any],
               scope: Any) -> Callable[..., None]:
    init = _init_from_template(qualname, fields, defaults)
    if init is None:
        init = _compile_init(fields, defaults)
    init.__qualname__ = f"{qualname}.__init__"
    init.__module__ = scope.get("__module__")
    return init


def _init_from_template(qualname: str, fields: tuple[str, ...],
                        defaults: dict[str, Any]) -> Callable[..., None] | None:
    """``__init__`` as a copy of the precompiled template of its arity, parameters
    renamed to the fields (``code.replace``) and the defaults set as the function's
    ``__defaults__``; None for a shape the templates do not cover (more fields, a
    default before a field without one, a field named ``self`` or twice: compile()
    then raises the SyntaxError it always did).

    Why not ``compile``: the first compile() of a process costs ~1.4 ms (it builds
    the AST types), and a warm, cached start defines a dozen records but compiles
    nothing else when the user's modules have their .pyc."""
    n = len(fields)
    if n >= len(_TEMPLATES) or "self" in fields or len(set(fields)) != n:
        return None
    given = [name in defaults for name in fields]
    if given != sorted(given):  # a default before a required field: compile's error
        return None
    code = _TEMPLATES[n].__code__
    code = code.replace(co_varnames=("self", *fields), co_name="__init__")
    if hasattr(code, "co_qualname"):  # 3.11+: what tracebacks and profilers show
        code = code.replace(co_qualname=f"{qualname}.__init__")
    env: dict[str, Any] = {"_set": object.__setattr__}
    env.update((f"_f{i}", name) for i, name in enumerate(fields))
    # type(_make_init) is types.FunctionType, without importing types.
    init = type(_make_init)(code, env, "__init__",
                            tuple(defaults[name] for name in fields if name in defaults) or None)
    return init  # type: ignore[no-any-return]


def _compile_init(fields: tuple[str, ...], defaults: dict[str, Any]) -> Callable[..., None]:
    params, body = ["self"], []
    for name in fields:
        params.append(f"{name}=_d_{name}" if name in defaults else name)
        body.append(f" _set(self, {name!r}, {name})")
    source = f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or " pass") + "\n"
    env: dict[str, Any] = {"_set": object.__setattr__}
    env.update((f"_d_{name}", value) for name, value in defaults.items())
    exec(source, env)  # one small function: the only code generated per class
    return env["__init__"]  # type: ignore[no-any-return]


# The __init__ of a record of 0..8 fields, parameters renamed per class; the field names
# are the globals _f0.._f7 of each copy (set by _init_from_template). Typed loosely on
# purpose: a template is never called as it is.
def _init0(self):  # type: ignore[no-untyped-def]
    pass


def _init1(self, a):  # type: ignore[no-untyped-def]
    _set(self, _f0, a)  # noqa: F821


def _init2(self, a, b):  # type: ignore[no-untyped-def]
    _set(self, _f0, a)  # noqa: F821
    _set(self, _f1, b)  # noqa: F821


def _init3(self, a, b, c):  # type: ignore[no-untyped-def]
    _set(self, _f0, a)  # noqa: F821
    _set(self, _f1, b)  # noqa: F821
    _set(self, _f2, c)  # noqa: F821


def _init4(self, a, b, c, d):  # type: ignore[no-untyped-def]
    _set(self, _f0, a)  # noqa: F821
    _set(self, _f1, b)  # noqa: F821
    _set(self, _f2, c)  # noqa: F821
    _set(self, _f3, d)  # noqa: F821


def _init5(self, a, b, c, d, e):  # type: ignore[no-untyped-def]
    _set(self, _f0, a)  # noqa: F821
    _set(self, _f1, b)  # noqa: F821
    _set(self, _f2, c)  # noqa: F821
    _set(self, _f3, d)  # noqa: F821
    _set(self, _f4, e)  # noqa: F821


def _init6(self, a, b, c, d, e, f):  # type: ignore[no-untyped-def]
    _set(self, _f0, a)  # noqa: F821
    _set(self, _f1, b)  # noqa: F821
    _set(self, _f2, c)  # noqa: F821
    _set(self, _f3, d)  # noqa: F821
    _set(self, _f4, e)  # noqa: F821
    _set(self, _f5, f)  # noqa: F821


def _init7(self, a, b, c, d, e, f, g):  # type: ignore[no-untyped-def]
    _set(self, _f0, a)  # noqa: F821
    _set(self, _f1, b)  # noqa: F821
    _set(self, _f2, c)  # noqa: F821
    _set(self, _f3, d)  # noqa: F821
    _set(self, _f4, e)  # noqa: F821
    _set(self, _f5, f)  # noqa: F821
    _set(self, _f6, g)  # noqa: F821


def _init8(self, a, b, c, d, e, f, g, h):  # type: ignore[no-untyped-def]
    _set(self, _f0, a)  # noqa: F821
    _set(self, _f1, b)  # noqa: F821
    _set(self, _f2, c)  # noqa: F821
    _set(self, _f3, d)  # noqa: F821
    _set(self, _f4, e)  # noqa: F821
    _set(self, _f5, f)  # noqa: F821
    _set(self, _f6, g)  # noqa: F821
    _set(self, _f7, h)  # noqa: F821


_TEMPLATES = (_init0, _init1, _init2, _init3, _init4, _init5, _init6, _init7, _init8)


def _single_key(name: str) -> Callable[[object], tuple[object]]:
    get = attrgetter(name)
    return lambda obj: (get(obj),)


def _no_key(obj: object) -> tuple[()]:
    return ()


def _record_eq(self: Any, other: object) -> bool:
    if other.__class__ is self.__class__:
        key = self.__record_key__
        return key(self) == key(other)  # type: ignore[no-any-return]
    return NotImplemented


def _record_hash(self: Any) -> int:
    return hash(self.__record_key__(self))


def _record_repr(self: Any) -> str:
    items = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_fields__)
    return f"{type(self).__qualname__}({items})"


def _frozen_error() -> type[AttributeError]:
    # dataclasses' own class, so `except dataclasses.FrozenInstanceError` (an
    # AttributeError) catches it as it would for a frozen dataclass; fetched only when
    # raised: importing dataclasses costs ~12 ms (it imports inspect), which a warm,
    # cached start must not pay.
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError


def _record_setattr(self: object, name: str, value: object) -> None:
    raise _frozen_error()(f"cannot assign to field {name!r}")


def _record_delattr(self: object, name: str) -> None:
    raise _frozen_error()(f"cannot delete field {name!r}")


def __getattr__(name: str) -> object:
    # `from ember.support.record import FrozenInstanceError` keeps working, lazily.
    if name == "FrozenInstanceError":
        return _frozen_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _record_reduce(self: Any) -> tuple[type, tuple[object, ...]]:
    return type(self), tuple(getattr(self, name) for name in self.__record_fields__)


_SHARED: dict[str, Callable[..., Any]] = {
    "__eq__": _record_eq,
    "__hash__": _record_hash,
    "__repr__": _record_repr,
    "__setattr__": _record_setattr,
    "__delattr__": _record_delattr,
    "__reduce__": _record_reduce,
}
