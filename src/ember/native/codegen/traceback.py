"""The traceback entry an exception gets as it leaves a compiled function: the user's
file, function name and line, as if the function had a Python frame.

CPython's ``_PyTraceback_Add(func, file, line)`` does this, but builds a code object
and a frame per call (names, tuples, a line table: most of a raise's cost in a loop
that raises and catches through a call). Here the code object of each (function,
line), and from 3.11 its frame, is made once and kept in a private global; each exit
makes only the traceback object (``PyCode_NewEmpty``, ``PyFrame_New``,
``PyTraceBack_Here``: public on 3.10-3.13). The frame has not run, so CPython reports
its line as the code object's first line: the line that raised. An exit whose line is known only at run time (an exception that
went through a ``try`` and was not caught) uses ``_PyTraceback_Add``.
"""

from __future__ import annotations

import sys
import zlib

from llvmlite import ir

from ember.native.boundary.capi import (
    capi_function,
    cstring,
    extern_function,
    py_decref,
    set_error,
)
from ember.native.boundary.llvm import I1, I32, PTR, VOID
from ember.native.messages import OVERFLOW

_NULL = ir.Constant(PTR, None)

# From 3.11 a frame object made by PyFrame_New refers to nothing but its code and
# globals (its f_back is computed, not held), so one frame per (function, line) is made
# once and every traceback entry shares it. 3.10's PyFrame_New holds the current frame
# as f_back: a kept one would keep that caller (and its locals) alive, so 3.10 makes
# a frame per entry from the kept code object.
CACHE_FRAMES = sys.version_info >= (3, 11)


def add_entry(b: ir.IRBuilder, name: str, path: str, line: ir.Value,
              overflow: ir.Value | None = None) -> None:
    """At ``b`` (an exception set): add the entry ``path:line in name``; first, when
    ``overflow`` (an i1) is true, replace the exception by OverflowError (a pending
    overflow came first: builder.py)."""
    module = b.module
    if not isinstance(line, ir.Constant):
        assert overflow is None
        b.call(capi_function(module, "_PyTraceback_Add"),
               [cstring(module, name), cstring(module, path), line])
        return
    key = zlib.crc32(f"{path}\0{name}".encode())
    slot_name = f"ember.tb_code.{name[:40]}.{key:08x}.{line.constant}"
    slot = module.globals.get(slot_name)
    if slot is None:
        slot = ir.GlobalVariable(module, PTR, slot_name)
        slot.linkage = "private"
        slot.initializer = _NULL
    args = [slot, cstring(module, name), cstring(module, path), line]
    if overflow is None:
        b.call(_helper(module), args)
    else:
        b.call(_overflow_helper(module), [overflow, *args])


def _overflow_helper(module: ir.Module) -> ir.Function:
    """``void ember.tb.exit(i1 overflow, code_slot, name, path, line)``."""
    existing = module.globals.get("ember.tb.exit")
    if existing is not None:
        return existing  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(VOID, [I1, PTR, PTR, PTR, I32]), "ember.tb.exit")
    fn.linkage = "private"
    for attribute in ("cold", "noinline", "optnone", "nounwind"):
        fn.attributes.add(attribute)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    overflow, *rest = fn.args
    with b.if_then(overflow):
        set_error(b, "OverflowError", OVERFLOW)  # clears the pending one first
    b.call(_helper(module), rest)
    b.ret_void()
    return fn


def _global(module: ir.Module, name: str) -> ir.GlobalVariable:
    g = module.globals.get(name)
    if g is None:
        g = ir.GlobalVariable(module, PTR, name)
        g.linkage = "private"
        g.initializer = _NULL
    return g  # type: ignore[return-value]


def _helper(module: ir.Module) -> ir.Function:
    """``void ember.tb.add(ptr slot, ptr name, ptr path, i32 line)``: the slot keeps the
    frame (3.11+) or the code object (3.10) of that line."""
    existing = module.globals.get("ember.tb.add")
    if existing is not None:
        return existing  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR, PTR, PTR, I32]), "ember.tb.add")
    fn.linkage = "private"
    for attribute in ("cold", "noinline", "optnone", "nounwind"):
        fn.attributes.add(attribute)
    slot, name, path, line = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def call(func: str, *args: ir.Value) -> ir.Value:
        return b.call(capi_function(module, func), list(args))

    def ext(func: str, ret: ir.Type, params: list[ir.Type], *args: ir.Value) -> ir.Value:
        return b.call(extern_function(module, func, ret, params), list(args))

    def aside() -> list[ir.Value]:
        # The exception is put aside while a code object or frame is made: decoding
        # the file name may run Python code, and PyFrame_New's builtins lookup fails
        # with an exception pending (it checks PyErr_Occurred).
        saved = [b.alloca(PTR) for _ in range(3)]
        call("PyErr_Fetch", *saved)
        return saved

    def back(saved: list[ir.Value]) -> None:
        call("PyErr_Clear")  # a failure here only costs the entry
        call("PyErr_Restore", *(b.load(s, typ=PTR) for s in saved))

    def new_frame(code: ir.Value) -> ir.Value:
        glob = b.load(globals_slot, typ=PTR)
        return ext("PyFrame_New", PTR, [PTR, PTR, PTR, PTR], call("PyThreadState_Get"), code,
                   glob, _NULL)

    globals_slot = _global(module, "ember.tb_globals")
    with b.if_then(b.icmp_unsigned("==", b.load(slot, typ=PTR), _NULL), likely=False):
        saved = aside()
        with b.if_then(b.icmp_unsigned("==", b.load(globals_slot, typ=PTR), _NULL)):
            b.store(call("PyDict_New"), globals_slot)
        code = ext("PyCode_NewEmpty", PTR, [PTR, PTR, I32], path, name, line)
        ok = b.and_(b.icmp_unsigned("!=", code, _NULL),
                    b.icmp_unsigned("!=", b.load(globals_slot, typ=PTR), _NULL))
        with b.if_then(ok):
            if CACHE_FRAMES:
                b.store(new_frame(code), slot)
                py_decref(b, code)
            else:
                b.store(code, slot)
        back(saved)
        with b.if_then(b.icmp_unsigned("==", b.load(slot, typ=PTR), _NULL), likely=False):
            b.ret_void()
    kept = b.load(slot, typ=PTR)
    if CACHE_FRAMES:
        ext("PyTraceBack_Here", I32, [PTR], kept)
    else:
        saved = aside()
        frame = new_frame(kept)
        back(saved)
        with b.if_then(b.icmp_unsigned("!=", frame, _NULL)):
            ext("PyTraceBack_Here", I32, [PTR], frame)
            py_decref(b, frame)
    b.ret_void()
    return fn
