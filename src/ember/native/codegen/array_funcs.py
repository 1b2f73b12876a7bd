"""Lowering of :class:`ember.native.ir.array_funcs.Fail`: the error exit of the NumPy
functions that :mod:`ember.native.frontend.array_library` writes in the compiled subset
(everything else they do lowers as ordinary compiled code)."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.capi import format_error_helper
from ember.native.boundary.llvm import I1, I8, I64
from ember.native.codegen.builder import cold_branch
from ember.native.ir.array_funcs import Fail

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer


def fail(lowerer: FunctionLowerer, e: Fail) -> ir.Value:
    """Raise ``exc(message)`` (``message % args`` through PyErr_Format when the message
    has int operands); the code after it, which the library never reaches, continues in
    a dead block."""
    if not e.args:
        lowerer.guard(ir.Constant(I1, 1), e.exc, e.message)
        return ir.Constant(I8, 0)  # none, as a Const(None) lowers
    values = [lowerer.expr(a) for a in e.args]
    b = lowerer.b
    name = f"ember.fail.{e.exc}.{zlib.crc32(e.message.encode()):08x}.{len(values)}"
    helper = format_error_helper(b.module, name, e.exc, e.message, [I64] * len(values))
    raise_block = lowerer.block("fail.format")
    bad = ir.Constant(I1, 1) if lowerer.predicate is None else lowerer.predicate
    cold_branch(b, bad, raise_block)
    after = b.block
    b.position_at_end(raise_block)
    b.call(helper, values)
    b.branch(lowerer.fail_block())
    b.position_at_end(after)
    return ir.Constant(I8, 0)
