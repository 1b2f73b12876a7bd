"""The one C API table: every CPython function, global and string constant that
compiled code uses, declared once per LLVM module.

>>> from llvmlite import ir
>>> m = ir.Module()
>>> capi = CApi(m)
>>> capi.fn("PyFloat_FromDouble") is capi.fn("PyFloat_FromDouble")
True
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Sequence

from llvmlite import ir

from ember.native.boundary.llvm import F64, I8, I32, I64, PTR, VOID

# name -> (return type, parameter types, variadic)
_CAPI: dict[str, tuple[ir.Type, tuple[ir.Type, ...], bool]] = {
    "PyLong_AsLongLongAndOverflow": (I64, (PTR, PTR), False),
    "PyLong_FromLongLong": (PTR, (I64,), False),
    "PyFloat_FromDouble": (PTR, (F64,), False),
    "PyFloat_AsDouble": (F64, (PTR,), False),
    "PyComplex_FromDoubles": (PTR, (F64, F64), False),
    "PyBool_FromLong": (PTR, (I64,), False),
    "Py_IncRef": (VOID, (PTR,), False),
    "Py_DecRef": (VOID, (PTR,), False),
    "PyTuple_New": (PTR, (I64,), False),
    "PyTuple_SetItem": (I32, (PTR, I64, PTR), False),
    "PyObject_Vectorcall": (PTR, (PTR, PTR, I64, PTR), False),
    "PyObject_CallObject": (PTR, (PTR, PTR), False),
    "PyObject_Call": (PTR, (PTR, PTR, PTR), False),
    "PyDict_New": (PTR, (), False),
    "PyDict_SetItemString": (I32, (PTR, PTR, PTR), False),
    "PyObject_GetAttrString": (PTR, (PTR, PTR), False),
    "PyUnicode_CompareWithASCIIString": (I32, (PTR, PTR), False),
    "PyObject_CallOneArg": (PTR, (PTR, PTR), False),
    "PyNumber_TrueDivide": (PTR, (PTR, PTR), False),
    "PyImport_ImportModule": (PTR, (PTR,), False),
    "PyUnicode_DecodeUTF8": (PTR, (PTR, I64, PTR), False),
    "PyUnicode_InternFromString": (PTR, (PTR,), False),
    "PyErr_SetString": (VOID, (PTR, PTR), False),
    "PyErr_Occurred": (PTR, (), False),
    "PyCFunction_NewEx": (PTR, (PTR, PTR, PTR), False),
    "PyModule_Create2": (PTR, (PTR, I32), False),
    "PyLong_AsLongLong": (I64, (PTR,), False),
    "PyErr_Clear": (VOID, (), False),
    "PyErr_Format": (PTR, (PTR, PTR), True),
    "PyCapsule_GetPointer": (PTR, (PTR, PTR), False),
    "PyObject_GetBuffer": (I32, (PTR, PTR, I32), False),
    "PyBuffer_Release": (VOID, (PTR,), False),
    "PyMemoryView_FromObject": (PTR, (PTR,), False),
    "PyThreadState_Get": (PTR, (), False),
    "PyThreadState_GetID": (I64, (PTR,), False),
    # Used by the 3.10 shims below.
    "PyObject_VectorcallDict": (PTR, (PTR, PTR, I64, PTR), False),
    "PyDict_SetItem": (I32, (PTR, PTR, PTR), False),
    "PyTuple_Size": (I64, (PTR,), False),
    "PyTuple_GetItem": (PTR, (PTR, I64), False),
    # Exceptions and their messages (codegen/exceptions.py, codegen/formatting.py).
    "PyErr_Fetch": (VOID, (PTR, PTR, PTR), False),
    "PyErr_Restore": (VOID, (PTR, PTR, PTR), False),
    "PyErr_NormalizeException": (VOID, (PTR, PTR, PTR), False),
    "PyErr_GetExcInfo": (VOID, (PTR, PTR, PTR), False),
    "PyErr_SetExcInfo": (VOID, (PTR, PTR, PTR), False),
    "PyErr_GivenExceptionMatches": (I32, (PTR, PTR), False),
    "PyErr_SetObject": (VOID, (PTR, PTR), False),
    "PyException_SetTraceback": (I32, (PTR, PTR), False),
    "PyException_GetTraceback": (PTR, (PTR,), False),
    "PyException_SetCause": (VOID, (PTR, PTR), False),
    "PyException_SetContext": (VOID, (PTR, PTR), False),
    "PyException_GetContext": (PTR, (PTR,), False),
    "PyObject_Type": (PTR, (PTR,), False),
    "PyObject_Format": (PTR, (PTR, PTR), False),
    "PyObject_Repr": (PTR, (PTR,), False),
    "PyObject_Str": (PTR, (PTR,), False),
    "PyObject_ASCII": (PTR, (PTR,), False),
    "PyUnicode_Join": (PTR, (PTR, PTR), False),
    "PyUnicode_Format": (PTR, (PTR, PTR), False),
    # Private but exported on 3.10-3.13: a traceback entry (function, file, line)
    # without a frame of our own (CPython makes a code object and frame for it).
    "_PyTraceback_Add": (VOID, (PTR, PTR, I32), False),
}


# Static inline in CPython 3.10's headers, so no symbol to link against (exported from
# 3.11): on 3.10 CApi.fn gives a private function of the same signature instead, built
# on what 3.10 exports (see _define_shim).
INLINE_BEFORE_3_11 = frozenset({"PyObject_Vectorcall", "PyObject_CallOneArg"})


_SHIMMED = INLINE_BEFORE_3_11 if sys.version_info < (3, 11) else frozenset()


class CApi:
    """The C API for one LLVM module: what the scalar lowering and the boundary hold; a
    facade over this module's functions, which every stage shares (one declaration per
    name per module, whoever asks first)."""

    def __init__(self, module: ir.Module) -> None:
        self.module = module

    def fn(self, name: str) -> ir.Function:
        return capi_function(self.module, name)

    def declare(self, name: str, ret: ir.Type, params: Sequence[ir.Type]) -> ir.Function:
        return extern_function(self.module, name, ret, params)

    def obj(self, name: str) -> ir.GlobalVariable:
        return extern_global(self.module, name)

    def exc(self, builder: ir.IRBuilder, name: str) -> ir.Value:
        """The exception class ``PyExc_<name>`` (a ``PyObject*`` stored in a global)."""
        return builder.load(extern_global(self.module, f"PyExc_{name}"), typ=PTR)

    def cstring(self, text: str | bytes) -> ir.GlobalVariable:
        return cstring(self.module, text)

    def set_error(self, builder: ir.IRBuilder, exc: str, message: str) -> None:
        set_error(builder, exc, message)


def capi_function(module: ir.Module, name: str) -> ir.Function:
    """The C API function ``name`` of the table above, declared once per module (on 3.10,
    a private stand-in for one that 3.10 has only inline)."""
    symbol = f"ember.{name}" if name in _SHIMMED else name
    g = module.globals.get(symbol)
    if g is None:
        ret, params, var = _CAPI[name]
        g = ir.Function(module, ir.FunctionType(ret, params, var_arg=var), symbol)
        if name in _SHIMMED:
            _define_shim(CApi(module), g, name)
    if name in _COLD:  # also when another stage declared it first
        g.attributes.add("cold")  # type: ignore[attr-defined]
    return g  # type: ignore[return-value]


def set_error(builder: ir.IRBuilder, exc: str, message: str) -> None:
    """Raise ``exc(message)`` right here: ``PyErr_SetString(PyExc_<exc>, message)``,
    declared ``cold`` so the blocks that raise are laid out of the hot path. An
    OverflowError replaces any pending exception (the wrapped value caused it):
    ``PyErr_Clear`` first, so the pending one is not chained as its ``__context__``.

    Inline calls, not a shared ``@ember.raise`` helper: one function fewer per unit
    (~0.25 ms of LLVM time), for one load more per raising block."""
    module = builder.module
    if exc == "OverflowError":
        builder.call(capi_function(module, "PyErr_Clear"), [])
    error = builder.load(extern_global(module, f"PyExc_{exc}"), typ=PTR)
    builder.call(capi_function(module, "PyErr_SetString"), [error, cstring(module, message)])


_COLD = frozenset({"PyErr_SetString", "_PyTraceback_Add"})  # raising is never the hot path


def _define_shim(capi: CApi, fn: ir.Function, name: str) -> None:
    """The body of a private stand-in for a C API function 3.10 has only inline, from
    public functions 3.10 exports: ``PyObject_VectorcallDict`` calls through vectorcall
    (no tuple) when there are no keywords; keywords are passed as a dict."""
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    null = ir.Constant(PTR, None)
    vcall = capi.fn("PyObject_VectorcallDict")
    if name == "PyObject_CallOneArg":
        callable_, arg = fn.args
        slot = b.alloca(PTR)
        b.store(arg, slot)
        b.ret(b.call(vcall, [callable_, slot, ir.Constant(I64, 1), null]))
        return
    assert name == "PyObject_Vectorcall", name
    callable_, args, nargsf, kwnames = fn.args
    index = b.alloca(I64)
    with b.if_then(b.icmp_unsigned("==", kwnames, null), likely=True):
        b.ret(b.call(vcall, [callable_, args, nargsf, null]))
    # PY_VECTORCALL_ARGUMENTS_OFFSET is the top bit of nargsf, not part of the count.
    nargs = b.and_(nargsf, ir.Constant(I64, (1 << 63) - 1))
    kwargs = b.call(capi.fn("PyDict_New"), [])
    failed = fn.append_basic_block("failed")
    loop = fn.append_basic_block("loop")
    call = fn.append_basic_block("call")
    b.cbranch(b.icmp_unsigned("==", kwargs, null), failed, loop)
    b.position_at_end(failed)
    b.ret(null)
    b.position_at_end(loop)
    count = b.call(capi.fn("PyTuple_Size"), [kwnames])
    b.store(ir.Constant(I64, 0), index)
    head = fn.append_basic_block("loop.head")
    body = fn.append_basic_block("loop.body")
    b.branch(head)
    b.position_at_end(head)
    i = b.load(index, typ=I64)
    b.cbranch(b.icmp_signed("<", i, count), body, call)
    b.position_at_end(body)
    key = b.call(capi.fn("PyTuple_GetItem"), [kwnames, i])  # borrowed
    value = b.load(b.gep(args, [b.add(nargs, i)], source_etype=PTR), typ=PTR)
    rc = b.call(capi.fn("PyDict_SetItem"), [kwargs, key, value])  # no steal
    b.store(b.add(i, ir.Constant(I64, 1)), index)
    cleanup = fn.append_basic_block("cleanup")
    b.cbranch(b.icmp_signed("<", rc, ir.Constant(I32, 0)), cleanup, head)
    b.position_at_end(cleanup)
    b.call(capi.fn("Py_DecRef"), [kwargs])
    b.ret(null)
    b.position_at_end(call)
    result = b.call(vcall, [callable_, args, nargs, kwargs])
    b.call(capi.fn("Py_DecRef"), [kwargs])
    b.ret(result)


def glue_only(fn: ir.Function) -> None:
    """Skip LLVM's IR optimisation for a boundary function: ``optnone`` (which needs
    ``noinline``). A small compile spends most of its O3 and codegen time on the glue
    around the user's code (~2.5 ms of ~12 ms for a one-loop function); the glue is
    written the way O3 would leave it (allocas in the entry block, no redundant loads)
    and codegen still runs its instruction selection and register allocator on it, so
    ``f(1)`` costs the same (measured ~45 ns/call either way). Never for the user's
    code: that always gets the full O3 pipeline."""
    fn.attributes.add("noinline")
    fn.attributes.add("optnone")


def extern_function(
    module: ir.Module, name: str, ret: ir.Type, args: Sequence[ir.Type], var_arg: bool = False
) -> ir.Function:
    """Declare, once per module, a C function outside the C API table (libm, LLVM
    intrinsics, pthread)."""
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return ir.Function(module, ir.FunctionType(ret, list(args), var_arg=var_arg), name)


def extern_global(module: ir.Module, name: str) -> ir.GlobalVariable:
    """The address of an exported C global: an object (``PyLong_Type``) or a
    ``PyObject*`` variable to load (``PyExc_IndexError``)."""
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    g = ir.GlobalVariable(module, I8, name)
    g.linkage = "external"
    return g


def cstring(module: ir.Module, text: str | bytes) -> ir.GlobalVariable:
    """A private NUL-terminated constant, shared by every use of the same text."""
    data = (text.encode() if isinstance(text, str) else text) + b"\0"
    shown = text if isinstance(text, str) else text.decode("latin-1")
    name = "ember.str." + "".join(c if c.isalnum() else "_" for c in shown)[:40]
    # A stable digest (not hash(): salted per process), so the IR text is reproducible.
    name += f".{zlib.crc32(data):08x}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    ty = ir.ArrayType(I8, len(data))
    g = ir.GlobalVariable(module, ty, name)
    g.linkage = "private"
    g.global_constant = True
    g.unnamed_addr = True
    g.initializer = ir.Constant(ty, bytearray(data))
    return g


def cold_function(module: ir.Module, name: str, args: Sequence[ir.Type]) -> tuple[ir.Function, bool]:
    """A private, cold, never-inlined, unoptimised helper (a few instructions that only
    run to raise: O3 would only cost compile time); the flag says whether it needs a body."""
    existing = module.globals.get(name)
    if existing is not None:
        return existing, False
    fn = ir.Function(module, ir.FunctionType(VOID, list(args)), name)
    fn.linkage = "private"
    for attribute in ("cold", "noinline", "optnone"):
        fn.attributes.add(attribute)
    return fn, True


def format_error_helper(module: ir.Module, name: str, exc: str, fmt: str, args: Sequence[ir.Type]) -> ir.Function:
    """``void name(args...)``: ``PyErr_Format(PyExc_<exc>, fmt, args...)``."""
    fn, fresh = cold_function(module, name, args)
    if fresh:
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        pyerr_format = capi_function(module, "PyErr_Format")
        exc_obj = b.load(extern_global(module, f"PyExc_{exc}"), typ=PTR)
        b.call(pyerr_format, [exc_obj, cstring(module, fmt), *fn.args])
        b.ret_void()
    return fn


def py_incref(builder: ir.IRBuilder, obj: ir.Value) -> None:
    """``Py_XINCREF`` through the C API function, right on every Python version
    (immortal objects, free-threaded builds)."""
    builder.call(capi_function(builder.module, "Py_IncRef"), [obj])


def py_decref(builder: ir.IRBuilder, obj: ir.Value) -> None:
    """``Py_XDECREF`` (NULL is fine: an array local not assigned yet)."""
    builder.call(capi_function(builder.module, "Py_DecRef"), [obj])
