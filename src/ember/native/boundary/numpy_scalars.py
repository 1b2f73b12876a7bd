"""NumPy scalars at the call boundary, in LLVM IR: an ``np.float64``/``np.int64``/
``np.bool_`` object → the float64/int64/bool it holds, for the parameters that
analysis/numpy_scalars.py found safe (elsewhere the entry forwards it to the slow path,
which refuses it with a TypeError); and ember's :class:`NpScalar` values (``np.float32``,
``np.int8`` ...) unboxed from and boxed as NumPy's own scalar objects.

NumPy's scalar objects are ``{PyObject_HEAD; value}``: the value is at byte 16 (double,
long long, or an npy_bool byte). The type is recognised without NumPy's C API, by its
``tp_name`` ("numpy.float64", set by NumPy's static type; a Python subclass has its own
bare name) and ``tp_basicsize`` (24), once per process: the type pointer is then cached
in a private global, so later calls compare one pointer.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from ember.native.boundary.capi import CApi
from ember.native.boundary.llvm import F64, I8, I32, I64, PTR, entry_alloca, storage_type
from ember.native.boundary.numpy import API_DESCR_FROM_TYPE, api_table, numpy_api
from ember.native.buffers import numpy_type_number
from ember.native.types import Bool, Float64, Int64, NpScalar, Type

API_SCALAR = 60  # PyArray_Scalar(void *data, PyArray_Descr *descr, PyObject *base)

OFF_TYPE = 8  # PyObject.ob_type
OFF_VALUE = 16  # the scalar's value, after the object header
OFF_TP_NAME = 24  # PyTypeObject.tp_name
OFF_TP_BASICSIZE = 32
SCALAR_SIZE = 24  # tp_basicsize of NumPy's 8-byte (and bool) scalar types

# ember's type → (Python's own type, NumPy's scalar type name, how the value is loaded)
KINDS: dict[type, tuple[str, str, ir.Type]] = {
    Float64: ("PyFloat_Type", "numpy.float64", F64),
    Int64: ("PyLong_Type", "numpy.int64", I64),
    Bool: ("PyBool_Type", "numpy.bool", I8),
}


def _load(b: ir.IRBuilder, base: ir.Value, offset: int, typ: ir.Type) -> ir.Value:
    return b.load(b.gep(base, [ir.Constant(I64, offset)], source_etype=I8), typ=typ)


def unbox_either(b: ir.IRBuilder, capi: CApi, obj: ir.Value, t: Type, mismatch: ir.Block,
                 python: Callable[[], ir.Value]) -> ir.Value:
    """The value of ``obj``: a Python int/float/bool (``python()`` emits that unboxing)
    or NumPy's scalar of the same type; anything else branches to ``mismatch``."""
    py_type, np_name, storage = KINDS[type(t)]
    fn = b.function
    py_block, np_block = fn.append_basic_block("unbox.py"), fn.append_basic_block("unbox.np")
    load, done = fn.append_basic_block("unbox.np.value"), fn.append_basic_block("unbox.done")
    typ = _load(b, obj, OFF_TYPE, PTR)
    b.cbranch(b.icmp_unsigned("==", typ, capi.obj(py_type)), py_block, np_block)
    b.position_at_end(py_block)
    from_py = python()
    py_end = b.block
    b.branch(done)
    b.position_at_end(np_block)
    _type_check(b, capi, typ, np_name, load, mismatch)
    b.position_at_end(load)
    from_np = _load(b, obj, OFF_VALUE, storage)
    if isinstance(t, Bool):
        from_np = b.icmp_unsigned("!=", from_np, ir.Constant(I8, 0))
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(from_py.type)
    phi.add_incoming(from_py, py_end)
    phi.add_incoming(from_np, load)
    return phi


def _type_check(b: ir.IRBuilder, capi: CApi, typ: ir.Value, name: str, yes: ir.Block,
                no: ir.Block) -> None:
    """Branch to ``yes`` if the type object ``typ`` is NumPy's ``name``, else ``no``."""
    module = b.module
    symbol = f"ember.numpy_type.{name}"
    cache = module.globals.get(symbol)
    if cache is None:
        cache = ir.GlobalVariable(module, PTR, symbol)
        cache.linkage = "internal"
        cache.initializer = ir.Constant(PTR, None)
    fn = b.function
    slow = fn.append_basic_block("np.type.name")
    sized = fn.append_basic_block("np.type.size")
    found = fn.append_basic_block("np.type.found")
    b.cbranch(b.icmp_unsigned("==", typ, b.load(cache, typ=PTR)), yes, slow)
    b.position_at_end(slow)
    strcmp = capi.declare("strcmp", I32, [PTR, PTR])
    same = b.call(strcmp, [_load(b, typ, OFF_TP_NAME, PTR), capi.cstring(name)])
    b.cbranch(b.icmp_signed("==", same, ir.Constant(I32, 0)), sized, no)
    b.position_at_end(sized)
    size = _load(b, typ, OFF_TP_BASICSIZE, I64)
    b.cbranch(b.icmp_signed("==", size, ir.Constant(I64, SCALAR_SIZE)), found, no)
    b.position_at_end(found)
    b.store(typ, cache)
    b.branch(yes)


# --------------------------------------------- NpScalar: NumPy's own fixed-width scalars


def unbox_numpy(b: ir.IRBuilder, capi: CApi, obj: ir.Value, t: NpScalar,
                mismatch: ir.Block) -> ir.Value:
    """The storage value of ``obj`` when it is exactly NumPy's scalar type of
    ``t.dtype`` (``numpy.float32`` ...), else a branch to ``mismatch``."""
    ok = b.function.append_basic_block("unbox.np.ok")
    name = "numpy.bool" if t.dtype.kind == "b" else f"numpy.{t.dtype}"
    _type_check(b, capi, _load(b, obj, OFF_TYPE, PTR), name, ok, mismatch)
    b.position_at_end(ok)
    return _load(b, obj, OFF_VALUE, storage_type(t.dtype))


def box_numpy(b: ir.IRBuilder, capi: CApi, value: ir.Value, t: NpScalar) -> ir.Value:
    """A new ``numpy.<dtype>`` object holding ``value`` (``PyArray_Scalar`` of the
    dtype's descriptor), NULL with an exception set if NumPy fails to import or
    allocate."""
    module = b.module
    null = ir.Constant(PTR, None)
    fn = b.function
    load, done = fn.append_basic_block("box.np.api"), fn.append_basic_block("box.np.done")
    make = fn.append_basic_block("box.np.make")
    cached = b.load(api_table(module), typ=PTR)
    start = b.block
    b.cbranch(b.icmp_unsigned("==", cached, null), load, make)
    b.position_at_end(load)
    loaded = b.call(numpy_api(module), [])
    b.cbranch(b.icmp_unsigned("==", loaded, null), done, make)
    b.position_at_end(make)
    api = b.phi(PTR)
    api.add_incoming(cached, start)
    api.add_incoming(loaded, load)
    descr_fn = _slot(b, api, API_DESCR_FROM_TYPE, ir.FunctionType(PTR, [I32]))
    descr = b.call(descr_fn, [ir.Constant(I32, numpy_type_number(t.dtype))])
    slot = entry_alloca(b, value.type)
    b.store(value, slot)
    scalar_fn = _slot(b, api, API_SCALAR, ir.FunctionType(PTR, [PTR, PTR, PTR]))
    # The descriptor of a builtin type is immortal-in-practice (NumPy's static table):
    # PyArray_Scalar does not steal it, and DescrFromType handed us a reference.
    obj = b.call(scalar_fn, [slot, descr, null])
    b.call(capi.fn("Py_DecRef"), [descr])
    made = b.block
    b.branch(done)
    b.position_at_end(done)
    out = b.phi(PTR)
    out.add_incoming(null, load)
    out.add_incoming(obj, made)
    return out


def _slot(b: ir.IRBuilder, api: ir.Value, slot: int, fnty: ir.FunctionType) -> ir.Value:
    """NumPy's C API table entry ``slot``, as a callable pointer of type ``fnty``."""
    p = b.gep(api, [ir.Constant(I64, slot)], inbounds=True, source_etype=PTR)
    return b.load(p, typ=fnty.as_pointer())
