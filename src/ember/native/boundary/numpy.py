"""NumPy's C ABI as compiled code sees it: the C API table (imported once per unit, on
first use) and the field offsets of ``PyArrayObject`` and ``PyArray_Descr``."""

from __future__ import annotations

from llvmlite import ir

from ember.native.boundary.capi import capi_function, cstring, py_decref
from ember.native.boundary.llvm import PTR

# Slots of NumPy's C API table (stable across NumPy 1.x and 2.x).
API_NDARRAY_TYPE = 2


API_DESCR_FROM_TYPE = 45


API_NEW_FROM_DESCR = 94


API_ZEROS = 183


API_EMPTY = 184


API_SET_BASE_OBJECT = 282


# Offsets into PyArrayObject after the object header (numpy/ndarraytypes.h).
HEADER = object.__basicsize__  # 16 on every default (GIL) build


OFFSET_DATA = HEADER


OFFSET_ND = HEADER + 8


OFFSET_DIMENSIONS = HEADER + 16


OFFSET_STRIDES = HEADER + 24


OFFSET_DESCR = HEADER + 40


OFFSET_FLAGS = HEADER + 48


# PyArray_Descr: type_num (int) after typeobj, kind, type, byteorder, flags (1.x and 2.x).
DESCR_BYTEORDER = HEADER + 10


DESCR_TYPE_NUM = HEADER + 12


def api_table(module: ir.Module) -> ir.GlobalVariable:
    """``@ember.numpy_api_table``: the unit's copy of NumPy's C API table address, NULL
    until :func:`numpy_api` fills it."""
    existing = module.globals.get("ember.numpy_api_table")
    if existing is not None:
        return existing  # type: ignore[return-value]
    table = ir.GlobalVariable(module, PTR, "ember.numpy_api_table")
    table.linkage = "private"
    table.initializer = ir.Constant(PTR, None)
    return table


def numpy_api(module: ir.Module) -> ir.Function:
    """``ptr @ember.numpy_api()``: the C API table, importing NumPy on first use; NULL
    with an exception set (ImportError) when NumPy cannot be imported.

    Callers test the table first (:func:`get_api`) and call this only while it is NULL:
    it runs about once per unit, so it is kept out of line and unoptimised (``optnone``
    saves ~2 ms of O3 and codegen per unit that touches arrays)."""
    existing = module.globals.get("ember.numpy_api")
    if existing is not None:
        return existing
    table = api_table(module)
    fn = ir.Function(module, ir.FunctionType(PTR, []), "ember.numpy_api")
    fn.linkage = "private"
    for attribute in ("cold", "noinline", "optnone"):
        fn.attributes.add(attribute)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    cached = b.load(table, typ=PTR)
    null = ir.Constant(PTR, None)
    load_it = fn.append_basic_block("import")
    ready = fn.append_basic_block("ready")
    b.cbranch(b.icmp_unsigned("!=", cached, null), ready, load_it)
    b.position_at_end(ready)
    b.ret(cached)

    b.position_at_end(load_it)
    importer = capi_function(module, "PyImport_ImportModule")
    getattr_ = capi_function(module, "PyObject_GetAttrString")
    capsule_ptr = capi_function(module, "PyCapsule_GetPointer")
    clear = capi_function(module, "PyErr_Clear")
    fail = fn.append_basic_block("fail")
    got = fn.append_basic_block("got")
    retry = fn.append_basic_block("numpy1")
    mod2 = b.call(importer, [cstring(module, "numpy._core.multiarray")])
    first = b.block
    b.cbranch(b.icmp_unsigned("==", mod2, null), retry, got)
    b.position_at_end(retry)
    b.call(clear, [])
    mod1 = b.call(importer, [cstring(module, "numpy.core.multiarray")])
    b.cbranch(b.icmp_unsigned("==", mod1, null), fail, got)
    b.position_at_end(got)
    mod = b.phi(PTR)
    mod.add_incoming(mod2, first)
    mod.add_incoming(mod1, retry)
    capsule = b.call(getattr_, [mod, cstring(module, "_ARRAY_API")])
    py_decref(b, mod)
    have_capsule = fn.append_basic_block("capsule")
    b.cbranch(b.icmp_unsigned("==", capsule, null), fail, have_capsule)
    b.position_at_end(have_capsule)
    api = b.call(capsule_ptr, [capsule, null])
    # The multiarray module keeps its capsule (and the table) alive for the process.
    py_decref(b, capsule)
    store = fn.append_basic_block("store")
    b.cbranch(b.icmp_unsigned("==", api, null), fail, store)
    b.position_at_end(store)
    b.store(api, table)
    b.ret(api)
    b.position_at_end(fail)
    b.ret(null)
    return fn
