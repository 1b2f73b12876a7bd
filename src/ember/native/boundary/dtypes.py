"""Dtype values at the call boundary: a :class:`~ember.native.types.DTypeValue` is
nothing at run time (an ``i8 0``), so passing one in is an identity check of the object
and returning one gives back the object Python spelled::

    f(a, np.float32)     entry: obj == @ember.dtype_obj.type.float32 ? (call) : (next entry)
    return a.dtype       box:   Py_IncRef(@ember.dtype_obj.dtype.float64)

The canonical objects (NumPy's built-in descriptors, their scalar types) are looked up
once per unit through NumPy's C API (``PyArray_DescrFromType``) and kept in a private
global: NumPy keeps them alive for the process. ``float``, ``int`` and ``bool`` are
CPython's own type objects.
"""

from __future__ import annotations

from llvmlite import ir

from ember.native.boundary.capi import CApi, py_decref, py_incref
from ember.native.boundary.llvm import I32, I64, PTR
from ember.native.boundary.numpy import API_DESCR_FROM_TYPE, HEADER, api_table, numpy_api
from ember.native.buffers import numpy_type_number
from ember.native.types import DTypeValue

_BUILTIN_TYPES = {"float64": "PyFloat_Type", "int64": "PyLong_Type", "bool": "PyBool_Type"}
# PyArray_Descr: PyObject_HEAD, then PyTypeObject *typeobj.
DESCR_TYPEOBJ = HEADER


def _descr_from_type(b: ir.IRBuilder, number: int) -> ir.Value:
    """A new reference to NumPy's descriptor for type ``number`` (NULL with an
    exception set if NumPy cannot be imported)."""
    null = ir.Constant(PTR, None)
    fn = b.function
    cached = b.load(api_table(b.module), typ=PTR)
    known = b.block
    load = fn.append_basic_block("dtype.api")
    have = fn.append_basic_block("dtype.have")
    b.cbranch(b.icmp_unsigned("==", cached, null), load, have)
    b.position_at_end(load)
    loaded = b.call(numpy_api(b.module), [])
    loading = b.block
    b.branch(have)
    b.position_at_end(have)
    api = b.phi(PTR)
    api.add_incoming(cached, known)
    api.add_incoming(loaded, loading)
    call = fn.append_basic_block("dtype.call")
    done = fn.append_basic_block("dtype.done")
    entry = b.block
    b.cbranch(b.icmp_unsigned("==", api, null), done, call)
    b.position_at_end(call)
    slot = b.gep(api, [ir.Constant(I64, API_DESCR_FROM_TYPE)], inbounds=True, source_etype=PTR)
    descr_fn = b.load(slot, typ=ir.FunctionType(PTR, [I32]).as_pointer())
    descr = b.call(descr_fn, [ir.Constant(I32, number)])
    called = b.block
    b.branch(done)
    b.position_at_end(done)
    out = b.phi(PTR)
    out.add_incoming(null, entry)
    out.add_incoming(descr, called)
    return out


def _cache(module: ir.Module, t: DTypeValue) -> ir.GlobalVariable:
    name = f"ember.dtype_obj.{t.form}.{t.dtype.name}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    g = ir.GlobalVariable(module, PTR, name)
    g.linkage = "private"
    g.initializer = ir.Constant(PTR, None)
    return g


def dtype_object(b: ir.IRBuilder, capi: CApi, t: DTypeValue) -> ir.Value:
    """A borrowed reference to the Python object of ``t`` (NULL with an exception set
    when NumPy's table cannot be had)."""
    if t.form == "builtin":
        return capi.obj(_BUILTIN_TYPES[t.dtype.name])
    g = _cache(b.module, t)
    null = ir.Constant(PTR, None)
    cached = b.load(g, typ=PTR)
    known = b.block
    fn = b.function
    fill = fn.append_basic_block("dtype.fill")
    ready = fn.append_basic_block("dtype.ready")
    b.cbranch(b.icmp_unsigned("==", cached, null), fill, ready)
    b.position_at_end(fill)
    descr = _descr_from_type(b, numpy_type_number(t.dtype))
    obj = descr
    if t.form == "type":
        got = fn.append_basic_block("dtype.typeobj")
        after = fn.append_basic_block("dtype.stored")
        before = b.block
        b.cbranch(b.icmp_unsigned("==", descr, null), after, got)
        b.position_at_end(got)
        typeobj = b.load(b.gep(descr, [ir.Constant(I64, DESCR_TYPEOBJ)], source_etype=ir.IntType(8)),
                         typ=PTR)
        py_incref(b, typeobj)  # ours for the process, as the descriptor is NumPy's
        py_decref(b, descr)
        got_end = b.block
        b.branch(after)
        b.position_at_end(after)
        phi = b.phi(PTR)
        phi.add_incoming(null, before)
        phi.add_incoming(typeobj, got_end)
        obj = phi
    b.store(obj, g)  # the reference is the unit's, for the process
    filled = b.block
    b.branch(ready)
    b.position_at_end(ready)
    out = b.phi(PTR)
    out.add_incoming(cached, known)
    out.add_incoming(obj, filled)
    return out


def box_dtype(b: ir.IRBuilder, capi: CApi, t: DTypeValue) -> ir.Value:
    """A new reference to ``t``'s object (NULL with an exception set on failure)."""
    obj = dtype_object(b, capi, t)
    py_incref(b, obj)  # Py_IncRef accepts NULL
    return obj


def unbox_dtype(b: ir.IRBuilder, capi: CApi, obj: ir.Value, t: DTypeValue,
                mismatch: ir.Block) -> ir.Value:
    """``i8 0`` if ``obj`` is ``t``'s object, else a branch to ``mismatch`` (an
    exception from the lookup is cleared: the next entry decides)."""
    expected = dtype_object(b, capi, t)
    if t.form != "builtin":
        fn = b.function
        fine = fn.append_basic_block("dtype.looked")
        failed = fn.append_basic_block("dtype.failed")
        b.cbranch(b.icmp_unsigned("==", expected, ir.Constant(PTR, None)), failed, fine)
        b.position_at_end(failed)
        b.call(capi.fn("PyErr_Clear"), [])
        b.branch(mismatch)
        b.position_at_end(fine)
    ok = b.function.append_basic_block("unbox.ok")
    b.cbranch(b.icmp_unsigned("==", obj, expected), ok, mismatch)
    b.position_at_end(ok)
    return ir.Constant(ir.IntType(8), 0)
