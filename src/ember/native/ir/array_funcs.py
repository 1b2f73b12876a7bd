"""Typed-IR node of the NumPy functions written in the compiled subset
(:mod:`ember.native.frontend.array_library`): the one thing that subset lacks, raising
NumPy's own exception::

    fail("ValueError", "axis 2 is out of bounds")   Fail("ValueError", "..."): none

Built by :mod:`ember.native.frontend.array_funcs`, lowered by
:mod:`ember.native.codegen.array_funcs`. No ast and no llvmlite here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember.diagnostics import Span
from ember.native.ir.nodes import Node
from ember.native.types import Type
from ember.support.record import record

if TYPE_CHECKING:  # annotations only: ir/arrays.py imports this module
    from ember.native.ir.arrays import AnyExpr

#: The exception types a library function may raise (NumPy's, for its own errors).
EXCEPTIONS = ("ValueError", "IndexError", "TypeError")


@record
class Fail(Node):
    """Raise ``exc(message)`` where it is evaluated (an expression of type none, so that
    a library function writes it as a call: ``fail("ValueError", "...")``); with int64
    ``args``, ``message`` is a printf format of them (``%ld``)."""

    exc: str
    message: str
    args: tuple[AnyExpr, ...]
    type: Type
    span: Span
