"""Function values at the call boundary: a @jit function passed from Python (``apply(sq,
2.0)``) is a :class:`~ember.native.types.Function`, known at compile time, so the entry
only checks that the object is that function, and passes nothing (its value holds no
captures).

The check is one pointer compare once the function has been seen: the first time (and
after a cache load, when addresses are new), the entry reads the object's
``__ember_ident__`` (set by the dispatcher when it typed the argument) and compares it with
the ident compiled in; a match is remembered for the process.
"""

from __future__ import annotations

import hashlib

from llvmlite import ir

from ember.native.boundary.capi import CApi, py_decref, py_incref
from ember.native.boundary.llvm import I32, PTR, value_type
from ember.native.types import Function


def _seen(module: ir.Module, t: Function) -> ir.GlobalVariable:
    name = "ember.fnref." + hashlib.sha256(t.ident.encode()).hexdigest()[:16]
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    g = ir.GlobalVariable(module, PTR, name)
    g.linkage = "private"
    g.initializer = ir.Constant(PTR, None)
    return g


def unbox_function(b: ir.IRBuilder, capi: CApi, obj: ir.Value, t: Function,
                   mismatch: ir.Block) -> ir.Value:
    """The (empty) value of ``t`` if ``obj`` is its function, else a branch to ``mismatch``."""
    seen = _seen(b.module, t)
    fn = b.function
    ok = fn.append_basic_block("fn.ok")
    check = fn.append_basic_block("fn.check")
    b.cbranch(b.icmp_unsigned("==", obj, b.load(seen, typ=PTR)), ok, check)
    b.position_at_end(check)
    attr = b.call(capi.fn("PyObject_GetAttrString"), [obj, capi.cstring("__ember_ident__")])
    has = fn.append_basic_block("fn.has")
    none = fn.append_basic_block("fn.none")
    b.cbranch(b.icmp_unsigned("==", attr, ir.Constant(PTR, None)), none, has)
    b.position_at_end(none)
    b.call(capi.fn("PyErr_Clear"), [])
    b.branch(mismatch)
    b.position_at_end(has)
    differs = b.call(capi.fn("PyUnicode_CompareWithASCIIString"), [attr, capi.cstring(t.ident)])
    py_decref(b, attr)
    same = fn.append_basic_block("fn.same")
    b.cbranch(b.icmp_signed("==", differs, ir.Constant(I32, 0)), same, mismatch)
    b.position_at_end(same)
    py_incref(b, obj)  # remembered for the process (the function is a module global)
    b.store(obj, seen)
    b.branch(ok)
    b.position_at_end(ok)
    return ir.Constant(value_type(t), [])
