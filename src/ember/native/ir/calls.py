"""How Python may call a compiled root: the parameter list its CPython entry binds
(names, which may be passed by position or by keyword, the defaults), as plain data.

    >>> shape = CallShape(("x", "poly"), positional=2, posonly=0, defaults=((1, 0x8408),))
    >>> shape.default(1), shape.default(0) is NO_DEFAULT, shape.keyword_only
    (33800, True, ())

The frontend fills it in from the function (``frontend/calls.py``), the boundary reads it
(``boundary/keywords.py``); no ast, no llvmlite here.
"""

from __future__ import annotations

from ember.support.record import record

NO_DEFAULT = object()  # a parameter with no default the entry can fill in


@record
class CallShape:
    """The parameters of a root specialization, in ABI order: positional ones first
    (``posonly`` of them positional-only), then keyword-only ones. ``defaults`` holds
    (parameter index, constant) for every default the entry fills in itself: ints,
    floats, bools and None, as compile-time constants (read when the unit compiles)."""

    names: tuple[str, ...]
    positional: int
    posonly: int
    defaults: tuple[tuple[int, object], ...] = ()

    def default(self, index: int) -> object:
        """The constant default of parameter ``index``, else :data:`NO_DEFAULT`."""
        for i, value in self.defaults:
            if i == index:
                return value
        return NO_DEFAULT

    @property
    def keyword_only(self) -> tuple[str, ...]:
        return self.names[self.positional:]

    @property
    def plain(self) -> bool:
        """Every call that binds is a positional call of all parameters (nothing to bind)."""
        return self.positional == len(self.names) and not self.defaults
