"""Returned arrays → Python objects, views included: one private helper per returned
array type, ``ptr @"ember.box.float64.2.rw"(ptr %value)`` (``%value`` points to the
array struct; its owner reference is handed over; NULL with an exception set on
failure, the reference released).

- The value *is* its owner (same data pointer, ndim, shape and strides as the owner's
  ndarray struct or buffer): the owner itself comes back, so ``f(a) is a``.
- A view of a NumPy array: a new ndarray over the same memory
  (``PyArray_NewFromDescr`` with the owner's descr, then ``PyArray_SetBaseObject``
  with the handed-over owner reference, which keeps the base alive).
- A view of another buffer exporter (bytearray, array.array, an ndarray subclass):
  its buffer export ends with the call, so the new ndarray's base is a *memoryview*
  of the owner, which holds an export of its own for as long as the view lives
  (a bytearray cannot be resized while it is held, as with ``np.frombuffer``).

Read-only types give read-only arrays. Note: a view equal to its owner (``a[:]``,
``a.reshape(a.shape)`` of a C array) comes back as the owner itself.
"""

from __future__ import annotations

import llvmlite.ir as ir

from ember.native.boundary.capi import capi_function, py_decref, py_incref
from ember.native.boundary.llvm import I8, I32, I64, PTR, struct_type
from ember.native.boundary.numpy import (
    API_DESCR_FROM_TYPE,
    API_NDARRAY_TYPE,
    API_NEW_FROM_DESCR,
    API_SET_BASE_OBJECT,
    DESCR_TYPE_NUM,
    OFFSET_DATA,
    OFFSET_DESCR,
    OFFSET_DIMENSIONS,
    OFFSET_ND,
    OFFSET_STRIDES,
    api_table,
    numpy_api,
)
from ember.native.buffers import numpy_type_number, numpy_type_numbers
from ember.native.types import Array

VIEW_TYPE = ir.ArrayType(I64, 10)  # Py_buffer (boundary/arrays.py has the layout)
VIEW_BUF, VIEW_ITEMSIZE, VIEW_NDIM, VIEW_SHAPE, VIEW_STRIDES = 0, 24, 36, 48, 56
PYBUF_RECORDS_RO = 0x0010 | 0x0008 | 0x0004
OB_TYPE = 8
NPY_ARRAY_WRITEABLE = 0x400


def _at(b: ir.IRBuilder, base: ir.Value, offset: int) -> ir.Value:
    return b.gep(base, [ir.Constant(I64, offset)], inbounds=True, source_etype=I8)


def _load(b: ir.IRBuilder, base: ir.Value, offset: int, ty: ir.Type) -> ir.Value:
    return b.load(_at(b, base, offset), typ=ty)


def _slot(b: ir.IRBuilder, api: ir.Value, slot: int, fnty: ir.FunctionType) -> ir.Value:
    p = b.gep(api, [ir.Constant(I64, slot)], inbounds=True, source_etype=PTR)
    return b.load(p, typ=fnty.as_pointer())


def _same(b: ir.IRBuilder, nd: ir.Value, data: ir.Value, dims_p: ir.Value,
          strides_p: ir.Value, value: ir.Value, t: Array) -> ir.Value:
    """Whether (nd, data, dims, strides) describe exactly the array value (strides
    compared only where they matter: not on axes of length 0 or 1, nor for an empty
    array, whose strides NumPy 2 sets to 0)."""
    same_nd = b.icmp_signed("==", nd, ir.Constant(I32, t.ndim))
    before = b.block
    compare = b.append_basic_block("same.compare")
    done = b.append_basic_block("same.done")
    b.cbranch(same_nd, compare, done)  # read dims and strides only when nd matches
    b.position_at_end(compare)
    ok = b.icmp_unsigned("==", data, b.extract_value(value, 0))
    strides_ok: ir.Value = ir.Constant(ir.IntType(1), 1)
    empty: ir.Value = ir.Constant(ir.IntType(1), 0)
    for k in range(t.ndim):
        dim = b.extract_value(value, [2, k])
        got = b.load(b.gep(dims_p, [ir.Constant(I64, k)], source_etype=I64), typ=I64)
        ok = b.and_(ok, b.icmp_signed("==", got, dim))
        empty = b.or_(empty, b.icmp_signed("==", dim, ir.Constant(I64, 0)))
        stride = b.load(b.gep(strides_p, [ir.Constant(I64, k)], source_etype=I64), typ=I64)
        same = b.icmp_signed("==", stride, b.extract_value(value, [3, k]))
        short = b.icmp_signed("<=", dim, ir.Constant(I64, 1))
        strides_ok = b.and_(strides_ok, b.or_(same, short))
    result = b.and_(ok, b.or_(strides_ok, empty))
    compared = b.block
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(ir.IntType(1))
    phi.add_incoming(ir.Constant(ir.IntType(1), 0), before)
    phi.add_incoming(result, compared)
    return phi


def box_function(module: ir.Module, t: Array) -> ir.Function:
    """The helper for returned arrays of type ``t`` (see the module docstring)."""
    name = f"ember.box.{t.dtype.name}.{t.ndim}.{'ro' if t.readonly else 'rw'}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR]), name)
    fn.linkage = "private"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    null = ir.Constant(PTR, None)
    value = b.load(fn.args[0], typ=struct_type(t.ndim))
    owner = b.extract_value(value, 1)
    ret_owner = fn.append_basic_block("owner")
    fail = fn.append_basic_block("fail")
    b.position_at_end(ret_owner)
    b.ret(owner)
    b.position_at_end(fail)
    py_decref(b, owner)
    b.ret(null)
    b.position_at_end(fn.entry_basic_block)
    api = b.load(api_table(module), typ=PTR)
    with b.if_then(b.icmp_unsigned("==", api, null)):
        b.call(numpy_api(module), [])
    api = b.load(api_table(module), typ=PTR)
    have_api = fn.append_basic_block("api")
    b.cbranch(b.icmp_unsigned("==", api, null), fail, have_api)
    b.position_at_end(have_api)
    ndarray = _load(b, api, API_NDARRAY_TYPE * 8, PTR)
    is_ndarray = b.icmp_unsigned("==", _load(b, owner, OB_TYPE, PTR), ndarray)
    numpy_owner = fn.append_basic_block("ndarray")
    buffer_owner = fn.append_basic_block("buffer")
    make = fn.append_basic_block("make")
    b.cbranch(is_ndarray, numpy_owner, buffer_owner)

    b.position_at_end(numpy_owner)
    same = _same(b, _load(b, owner, OFFSET_ND, I32), _load(b, owner, OFFSET_DATA, PTR),
                 _load(b, owner, OFFSET_DIMENSIONS, PTR), _load(b, owner, OFFSET_STRIDES, PTR),
                 value, t)
    own_descr = _load(b, owner, OFFSET_DESCR, PTR)
    type_ok = _same_dtype(b, own_descr, t)
    numpy_view = fn.append_basic_block("ndarray.view")
    b.cbranch(b.and_(same, type_ok), ret_owner, numpy_view)
    b.position_at_end(numpy_view)
    descr1 = _view_descr(b, api, own_descr, type_ok, t)
    numpy_view = b.block
    b.branch(make)

    b.position_at_end(buffer_owner)
    view = b.alloca(VIEW_TYPE)
    rc = b.call(capi_function(module, "PyObject_GetBuffer"),
                [owner, view, ir.Constant(I32, PYBUF_RECORDS_RO)])
    got = fn.append_basic_block("buffer.got")
    no_buffer = fn.append_basic_block("buffer.none")
    memview = fn.append_basic_block("buffer.memoryview")
    b.cbranch(b.icmp_signed("<", rc, ir.Constant(I32, 0)), no_buffer, got)
    b.position_at_end(no_buffer)
    b.call(capi_function(module, "PyErr_Clear"), [])
    b.branch(memview)
    b.position_at_end(got)
    same = _same(b, _load(b, view, VIEW_NDIM, I32), _load(b, view, VIEW_BUF, PTR),
                 _load(b, view, VIEW_SHAPE, PTR), _load(b, view, VIEW_STRIDES, PTR), value, t)
    same = b.and_(same, _itemsize_is(b, view, t))
    b.call(capi_function(module, "PyBuffer_Release"), [view])
    b.cbranch(same, ret_owner, memview)
    b.position_at_end(memview)
    mv = b.call(capi_function(module, "PyMemoryView_FromObject"), [owner])
    py_decref(b, owner)  # the memoryview holds its own reference and export
    have_mv = fn.append_basic_block("buffer.base")
    b.cbranch(b.icmp_unsigned("==", mv, null), fn.append_basic_block("buffer.fail"), have_mv)
    b.position_at_end(fn.blocks[-1])
    b.ret(null)
    b.position_at_end(have_mv)
    descr_of = _slot(b, api, API_DESCR_FROM_TYPE, ir.FunctionType(PTR, [I32]))
    descr2 = b.call(descr_of, [ir.Constant(I32, numpy_type_number(t.dtype))])
    from_buffer = b.block
    b.branch(make)

    b.position_at_end(make)
    _make(b, api, value, t, numpy_view, descr1, owner, from_buffer, descr2, mv)
    return fn


def _itemsize_is(b: ir.IRBuilder, view: ir.Value, t: Array) -> ir.Value:
    """Whether a buffer's items are ``t``'s (a complex buffer's .real view is not)."""
    size = _load(b, view, VIEW_ITEMSIZE, I64)
    return b.icmp_signed("==", size, ir.Constant(I64, t.dtype.itemsize))


def _same_dtype(b: ir.IRBuilder, descr: ir.Value, t: Array) -> ir.Value:
    """Whether the owner's descr is of ``t``'s dtype (a complex array's .real is not)."""
    typenum = _load(b, descr, DESCR_TYPE_NUM, I32)
    ok: ir.Value = ir.Constant(ir.IntType(1), 0)
    for num in numpy_type_numbers(t.dtype):
        ok = b.or_(ok, b.icmp_signed("==", typenum, ir.Constant(I32, num)))
    return ok


def _view_descr(b: ir.IRBuilder, api: ir.Value, own: ir.Value, type_ok: ir.Value,
                t: Array) -> ir.Value:
    """A new reference to the view's descr: the owner's, or ``t``'s own dtype's."""
    with b.if_else(type_ok) as (keep, other):
        with keep:
            py_incref(b, own)  # NewFromDescr steals it
            keep_block = b.block
        with other:
            descr_of_type = _slot(b, api, API_DESCR_FROM_TYPE, ir.FunctionType(PTR, [I32]))
            fresh = b.call(descr_of_type, [ir.Constant(I32, numpy_type_number(t.dtype))])
            other_block = b.block
    descr = b.phi(PTR)
    descr.add_incoming(own, keep_block)
    descr.add_incoming(fresh, other_block)
    return descr


def _make(b: ir.IRBuilder, api: ir.Value, value: ir.Value, t: Array, from_numpy: ir.Block,
          descr1: ir.Value, owner: ir.Value, from_buffer: ir.Block, descr2: ir.Value,
          mv: ir.Value) -> None:
    """The new ndarray over the value's memory with ``base`` (owner or memoryview)."""
    null = ir.Constant(PTR, None)
    descr = b.phi(PTR)
    descr.add_incoming(descr1, from_numpy)
    descr.add_incoming(descr2, from_buffer)
    base = b.phi(PTR)
    base.add_incoming(owner, from_numpy)
    base.add_incoming(mv, from_buffer)
    fn = b.function
    bad_descr = fn.append_basic_block("make.nodescr")
    go = fn.append_basic_block("make.go")
    b.cbranch(b.icmp_unsigned("==", descr, null), bad_descr, go)
    b.position_at_end(bad_descr)
    py_decref(b, base)
    b.ret(null)
    b.position_at_end(go)
    arrays = ir.ArrayType(I64, max(1, t.ndim))
    dims, strides = b.alloca(arrays), b.alloca(arrays)
    for field, slot in ((2, dims), (3, strides)):
        for k in range(t.ndim):
            p = b.gep(slot, [ir.Constant(I64, k)], inbounds=True, source_etype=I64)
            p.type = PTR  # opaque (llvmlite's typed-pointer check)
            b.store(b.extract_value(value, [field, k]), p)
    new_from_descr = _slot(b, api, API_NEW_FROM_DESCR,
                           ir.FunctionType(PTR, [PTR, PTR, I32, PTR, PTR, PTR, I32, PTR]))
    flags = 0 if t.readonly else NPY_ARRAY_WRITEABLE
    ndarray = _load(b, api, API_NDARRAY_TYPE * 8, PTR)
    obj = b.call(new_from_descr, [ndarray, descr, ir.Constant(I32, t.ndim), dims, strides,
                                  b.extract_value(value, 0), ir.Constant(I32, flags), null])
    made = fn.append_basic_block("make.base")
    failed = fn.append_basic_block("make.failed")
    b.cbranch(b.icmp_unsigned("==", obj, null), failed, made)
    b.position_at_end(failed)
    py_decref(b, base)
    b.ret(null)
    b.position_at_end(made)
    set_base = _slot(b, api, API_SET_BASE_OBJECT, ir.FunctionType(I32, [PTR, PTR]))
    rc = b.call(set_base, [obj, base])  # steals base, even when it fails
    ok = fn.append_basic_block("make.ok")
    bad = fn.append_basic_block("make.bad")
    b.cbranch(b.icmp_signed("<", rc, ir.Constant(I32, 0)), bad, ok)
    b.position_at_end(bad)
    py_decref(b, obj)
    b.ret(null)
    b.position_at_end(ok)
    b.ret(obj)


def box_array_value(builder: ir.IRBuilder, value: ir.Value, t: Array) -> ir.Value:
    """Call the boxing helper of ``t`` on ``value`` (an array struct in registers)."""
    fn = builder.function
    saved = builder.block
    builder.position_before(fn.entry_basic_block.instructions[0])
    slot = builder.alloca(struct_type(t.ndim), name="boxed")
    builder.position_at_end(saved)
    builder.store(value, slot)
    return builder.call(box_function(builder.module, t), [slot])

