"""The type of a Python ``list`` argument: ``List(item)`` when every item has one
ember type (the entry then unboxes it as a reflected list: boundary/lists.py), else a
TypeError that says what to pass instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember.native.types import INT64_MAX, INT64_MIN, List, Tuple, Type


def list_type(function: str, name: str, value: list[Any],
              item_type: Callable[[Any], Type]) -> Type:
    """``List(t)`` for a non-empty list whose items all have type ``t`` (``item_type``
    of the first; ints must fit in int64). Raises TypeError for an empty list (no item
    type to compile for), mixed items and items no list can hold."""
    where = f"{function}() argument '{name}'"
    if not value:
        raise TypeError(
            f"{where} is an empty list: compiled code needs the type of its items to "
            "compile for (pass a list with at least one item, or create the list inside "
            "the function: xs = [] then xs.append(x))")
    first = value[0]
    kind = type(first)
    if kind is list:
        return _nested(function, name, value, item_type)
    if kind in (int, float, bool):
        if not all(type(v) is kind for v in value):
            other = next(type(v).__name__ for v in value if type(v) is not kind)
            raise TypeError(
                f"{where} is a list mixing {kind.__name__} and {other} items: a compiled "
                f"list holds one item type (convert them, e.g. [float(x) for x in xs])")
        if kind is int and not (INT64_MIN <= min(value) and max(value) <= INT64_MAX):
            raise OverflowError(f"{where}: a list item does not fit in 64 bits (ember "
                                "compiles int as int64)")
        return List(item_type(first))
    try:
        t = item_type(first)
    except TypeError:
        t = None  # type: ignore[assignment]
    if t is None or not (isinstance(t, Tuple) and all(type(i).__name__ in ("Int64", "Float64", "Bool")
                                         for i in t.items)):
        raise TypeError(
            f"{where} is a list of {kind.__name__}: compiled lists hold ints, floats, bools "
            "or tuples of them (for rows of numbers pass a 2-d NumPy array)")
    for v in value:
        if type(v) is not tuple or item_type(v) != t:
            raise TypeError(f"{where} is a list mixing {t} and other items: a compiled "
                            "list holds one item type")
    return List(t)


def _nested(function: str, name: str, value: list[Any], item_type: Callable[[Any], Type]
            ) -> Type:
    """A list of lists: every inner list (reflected in turn) has one type; empty inner
    lists take their siblings' type."""
    where = f"{function}() argument '{name}'"
    found: Type | None = None
    for inner in value:
        if type(inner) is not list:
            raise TypeError(f"{where} is a list mixing lists and {type(inner).__name__} "
                            "items: a compiled list holds one item type")
        if not inner:
            continue
        t = list_type(function, name, inner, item_type)
        if found is not None and t != found:
            raise TypeError(f"{where} is a list of lists of different item types ({found} "
                            f"and {t}): a compiled list holds one item type")
        found = t
    if found is None:
        raise TypeError(f"{where} is a list of empty lists: compiled code needs the type of "
                        "their items to compile for")
    return List(found)
