"""Keyword arguments and defaults in the CPython entry, in LLVM IR: a FASTCALL call
``(args, nargs, kwnames)`` → one borrowed ``PyObject*`` per parameter, which the entry
then unboxes exactly as it unboxes a positional call.

    f(data, poly=0x1021)      args = [data, 0x1021], nargs = 1, kwnames = ("poly",)
      → slots = [data, 0x1021]                       (a keyword matched by identity)
    f(data)
      → slots = [data, <the default object>]         (made once, at module init)

Keyword names are matched by pointer against the interned parameter names (CPython
interns the names a call site writes, and the names in a ``**`` dict built from
identifiers): a name that is equal but not the same object, a duplicate, an unknown or
missing argument, or too many positional ones all forward the call down the chain, to
the dispatcher's slow path, which binds as CPython does (support/binding.py) and raises
CPython's own TypeError. Defaults are the constants of :class:`CallShape` (read at
compile time); the default objects and interned names live in two private globals of
the unit that ``PyInit`` fills (:func:`fill_globals`).
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from ember.native.boundary.capi import CApi
from ember.native.boundary.llvm import I8, I64, PTR, entry_alloca
from ember.native.ir.calls import CallShape

OFF_SIZE = 16  # PyVarObject.ob_size
OFF_ITEMS = 24  # PyTupleObject.ob_item


def shape_globals(module: ir.Module, symbol: str, shape: CallShape) -> tuple[ir.GlobalVariable,
                                                                           ir.GlobalVariable]:
    """``@<symbol>__names`` and ``@<symbol>__defaults``: one ``PyObject*`` per parameter
    (NULL until :func:`fill_globals` runs; a default slot stays NULL where there is none)."""
    ty = ir.ArrayType(PTR, max(len(shape.names), 1))
    out = []
    for part in ("names", "defaults"):
        g = ir.GlobalVariable(module, ty, f"{symbol}__{part}")
        g.linkage = "internal"
        g.initializer = ir.Constant(ty, None)
        out.append(g)
    return out[0], out[1]


def fill_globals(b: ir.IRBuilder, capi: CApi, shape: CallShape, names: ir.GlobalVariable,
                 defaults: ir.GlobalVariable) -> None:
    """In ``PyInit``: intern each parameter name and box each default (new references,
    kept for the life of the process, as the module's code is). A NULL (out of memory)
    only makes the entry forward calls that need it."""
    for i, name in enumerate(shape.names):
        obj = b.call(capi.fn("PyUnicode_InternFromString"), [capi.cstring(name)])
        b.store(obj, _at(b, names, i))
    for i, value in shape.defaults:
        b.store(_box_constant(b, capi, value), _at(b, defaults, i))
    # Interning cannot fail but for memory; clear what a NULL left, so PyInit returns
    # its module with no exception pending.
    b.call(capi.fn("PyErr_Clear"), [])


def _box_constant(b: ir.IRBuilder, capi: CApi, value: object) -> ir.Value:
    if value is None or type(value) is bool:
        name = {None: "_Py_NoneStruct", True: "_Py_TrueStruct", False: "_Py_FalseStruct"}
        obj = capi.obj(name[value])  # type: ignore[index]
        b.call(capi.fn("Py_IncRef"), [obj])
        return obj
    if type(value) is float:
        return b.call(capi.fn("PyFloat_FromDouble"), [ir.Constant(ir.DoubleType(), value)])
    return b.call(capi.fn("PyLong_FromLongLong"), [ir.Constant(I64, value)])


def _at(b: ir.IRBuilder, array: ir.Value, i: int | ir.Value) -> ir.Value:
    index = ir.Constant(I64, i) if isinstance(i, int) else i
    p = b.gep(array, [index], source_etype=PTR)
    p.type = PTR  # opaque, so that a ptr can be stored through it (llvmlite checks)
    return p


def bind(b: ir.IRBuilder, shape: CallShape, names: ir.GlobalVariable,
         defaults: ir.GlobalVariable, call: tuple[ir.Value, ir.Value, ir.Value],
         forward: ir.Block) -> ir.Value:
    """Emit the binding of ``call`` = ``(args, nargs, kwnames)`` to ``shape``'s
    parameters; returns the argument vector (borrowed references, one per parameter),
    with ``b`` positioned after it. Every call it cannot bind branches to ``forward``."""
    fn = b.function
    args, nargs, kwnames = call
    n = len(shape.names)
    null = ir.Constant(PTR, None)
    slots = entry_alloca(b, ir.ArrayType(PTR, max(n, 1)), "slots")
    for i in range(n):
        b.store(null, _at(b, slots, i))
    copy = fn.append_basic_block("bind.positional")
    b.cbranch(b.icmp_signed(">", nargs, ir.Constant(I64, shape.positional)), forward, copy)
    b.position_at_end(copy)
    _loop(b, nargs, "bind.copy", lambda i: b.store(b.load(_at(b, args, i), typ=PTR),
                                                   _at(b, slots, i)))
    keywords = fn.append_basic_block("bind.keywords")
    fill = fn.append_basic_block("bind.defaults")
    b.cbranch(b.icmp_unsigned("==", kwnames, null), fill, keywords)
    b.position_at_end(keywords)
    nkw = b.load(b.gep(kwnames, [ir.Constant(I64, OFF_SIZE)], source_etype=I8), typ=I64)

    def one_keyword(j: ir.Value) -> None:
        item = b.gep(kwnames, [b.add(b.mul(j, ir.Constant(I64, 8)), ir.Constant(I64, OFF_ITEMS))],
                     source_etype=I8)
        key = b.load(item, typ=PTR)
        index: ir.Value = ir.Constant(I64, -1)
        for i in range(shape.posonly, n):  # positional-only names never match a keyword
            same = b.icmp_unsigned("==", key, b.load(_at(b, names, i), typ=PTR))
            index = b.select(same, ir.Constant(I64, i), index)
        known = fn.append_basic_block("bind.known")
        b.cbranch(b.icmp_signed("<", index, ir.Constant(I64, 0)), forward, known)
        b.position_at_end(known)
        slot = _at(b, slots, index)
        free = fn.append_basic_block("bind.free")
        b.cbranch(b.icmp_unsigned("!=", b.load(slot, typ=PTR), null), forward, free)
        b.position_at_end(free)
        b.store(b.load(_at(b, args, b.add(nargs, j)), typ=PTR), slot)

    _loop(b, nkw, "bind.kw", one_keyword)
    b.branch(fill)
    b.position_at_end(fill)
    for i in range(n):
        slot = _at(b, slots, i)
        value = b.load(slot, typ=PTR)
        if i in {k for k, _ in shape.defaults}:
            value = b.select(b.icmp_unsigned("==", value, null),
                             b.load(_at(b, defaults, i), typ=PTR), value)
            b.store(value, slot)
        bound = fn.append_basic_block("bind.bound")
        b.cbranch(b.icmp_unsigned("==", value, null), forward, bound)
        b.position_at_end(bound)
    return slots


def _loop(b: ir.IRBuilder, count: ir.Value, name: str, body: Callable[[ir.Value], object]
          ) -> None:
    """``for i in range(count): body(i)`` (``body`` may add blocks); ``b`` ends after it."""
    fn = b.function
    before = b.block
    head = fn.append_basic_block(f"{name}.head")
    step = fn.append_basic_block(f"{name}.body")
    done = fn.append_basic_block(f"{name}.done")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), before)
    b.cbranch(b.icmp_signed("<", i, count), step, done)
    b.position_at_end(step)
    body(i)
    i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
    b.branch(head)
    b.position_at_end(done)
