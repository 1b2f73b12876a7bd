"""Exception arguments as Python objects: numbers boxed, string constants, and the
messages of ir/exceptions.py built by CPython's own formatting, so every digit is the
one Python prints::

    f"got {x:.3f} for {n}"   pieces = ("got ", format(x, ".3f"), " for ", format(n, ""))
                             "".join(pieces)          (PyObject_Format, PyUnicode_Join)
    "%d items" % n           PyUnicode_Format("%d items", (n,))

String constants are made once per process (interned, kept in a private global), so a
validation loop that raises a million times builds only the formatted parts.
Every function returns a new reference, or NULL with the exception set (a bad format
spec raises ValueError, as in Python).
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.abi import box
from ember.native.boundary.capi import py_decref, py_incref
from ember.native.boundary.llvm import I64, PTR
from ember.native.ir.exceptions import Argument, Caught, FormatField, Message, PercentFormat
from ember.native.ir.nodes import Const

if TYPE_CHECKING:
    from ember.native.codegen.function import FunctionLowerer

_CONVERT = {"r": "PyObject_Repr", "s": "PyObject_Str", "a": "PyObject_ASCII"}


def str_slot(module: ir.Module, text: str) -> ir.GlobalVariable:
    """The private global that keeps the str ``text`` once made (NULL until then)."""
    data = text.encode()
    name = f"ember.pystr.{zlib.crc32(data):08x}.{len(data)}"
    slot = module.globals.get(name)
    if slot is None:
        slot = ir.GlobalVariable(module, PTR, name)
        slot.linkage = "private"
        slot.initializer = ir.Constant(PTR, None)
    return slot  # type: ignore[return-value]


def const_str(g: FunctionLowerer, text: str) -> ir.Value:
    """A borrowed reference to the str ``text`` (made on first use, then kept)."""
    slot = str_slot(g.module, text)
    b = g.b
    cached = b.load(slot, typ=PTR)
    before = b.block
    make, have = g.block("str.make"), g.block("str.have")
    b.cbranch(b.icmp_unsigned("==", cached, ir.Constant(PTR, None)), make, have).set_weights([1, 1 << 20])
    b.position_at_end(make)
    made = b.call(g.capi.fn("PyUnicode_InternFromString"), [g.capi.cstring(text)])
    g.check_null(made)
    b.store(made, slot)
    made_in = b.block
    b.branch(have)
    b.position_at_end(have)
    phi = b.phi(PTR)
    phi.add_incoming(cached, before)
    phi.add_incoming(made, made_in)
    return phi


def argument(g: FunctionLowerer, a: Argument) -> ir.Value:
    """A new reference to the Python object of an exception argument (or NULL)."""
    if isinstance(a, Message):
        return _message(g, a)
    if isinstance(a, PercentFormat):
        args = _tuple(g, [lambda v=v: argument(g, v) for v in a.args])
        return _consume(g, args, lambda: g.b.call(
            g.capi.fn("PyUnicode_Format"), [const_str(g, a.template), args]))
    if isinstance(a, Caught):
        # slot 0 of the handler's slots (codegen/exceptions.py) holds the exception
        obj = g.b.load(g.caught[a.depth], typ=PTR)
        py_incref(g.b, obj)
        return obj
    if isinstance(a, Const) and isinstance(a.value, str):
        s = const_str(g, a.value)
        py_incref(g.b, s)
        return s
    return box(g.b, g.capi, g.expr(a), a.type)


def _field(g: FunctionLowerer, f: FormatField) -> ir.Value:
    obj = argument(g, f.value)
    if f.conversion:
        obj = _consume(g, obj, lambda: g.b.call(g.capi.fn(_CONVERT[f.conversion]), [obj]))
    spec = const_str(g, f.spec) if f.spec else ir.Constant(PTR, None)
    return _consume(g, obj, lambda: g.b.call(g.capi.fn("PyObject_Format"), [obj, spec]))


def _message(g: FunctionLowerer, m: Message) -> ir.Value:
    if len(m.pieces) == 1 and isinstance(m.pieces[0], FormatField):
        return _field(g, m.pieces[0])
    makers = [
        (lambda p=p: argument(g, p)) if isinstance(p, Const) else (lambda p=p: _field(g, p))
        for p in m.pieces
    ]
    pieces = _tuple(g, makers)
    return _consume(g, pieces, lambda: g.b.call(
        g.capi.fn("PyUnicode_Join"), [const_str(g, ""), pieces]))


def _consume(g: FunctionLowerer, obj: ir.Value, make: object) -> ir.Value:
    """``make()`` (a call returning a new reference or NULL), then release ``obj``;
    NULL from ``obj`` itself skips the call."""
    b = g.b
    null = ir.Constant(PTR, None)
    before = b.block
    call, done = g.block("fmt.call"), g.block("fmt.done")
    b.cbranch(b.icmp_unsigned("==", obj, null), done, call).set_weights([1, 1 << 20])
    b.position_at_end(call)
    made = make()  # type: ignore[operator]
    py_decref(b, obj)
    called = b.block
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(PTR)
    phi.add_incoming(null, before)
    phi.add_incoming(made, called)
    return phi


def _tuple(g: FunctionLowerer, makers: list) -> ir.Value:  # type: ignore[type-arg]
    """A new tuple of the objects ``makers`` make (each a new reference or NULL: the
    tuple is released and NULL returned)."""
    b = g.b
    null = ir.Constant(PTR, None)
    t = b.call(g.capi.fn("PyTuple_New"), [ir.Constant(I64, len(makers))])
    g.check_null(t)
    failed = g.block("tuple.failed")
    done = g.block("tuple.done")
    for i, make in enumerate(makers):
        item = make()
        ok = g.block("tuple.item")
        b.cbranch(b.icmp_unsigned("==", item, null), failed, ok).set_weights([1, 1 << 20])
        b.position_at_end(ok)
        b.call(g.capi.fn("PyTuple_SetItem"), [t, ir.Constant(I64, i), item])  # steals
    built = b.block
    b.branch(done)
    b.position_at_end(failed)
    py_decref(b, t)
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(PTR)
    phi.add_incoming(t, built)
    phi.add_incoming(null, failed)
    return phi


def argument_tuple(g: FunctionLowerer, args: tuple[Argument, ...]) -> ir.Value:
    """A new tuple of an exception's arguments (NULL with the exception set)."""
    return _tuple(g, [lambda a=a: argument(g, a) for a in args])

