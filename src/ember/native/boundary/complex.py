"""Python ``complex`` at the C ABI: a ``PyComplexObject`` ↔ ember's ``{double, double}``.

    unbox(obj)        type is exactly complex → (ob_cval.real at 16, ob_cval.imag at 24)
    box({re, im})     PyComplex_FromDoubles(re, im)

CPython's layout (3.10-3.13, 64-bit): ``PyObject_HEAD`` is 16 bytes, then the
``Py_complex cval`` (two doubles). llvmlite.ir only.
"""

from __future__ import annotations

from llvmlite import ir

from ember.native.boundary.capi import CApi
from ember.native.boundary.llvm import C128, F64, I8, I64, PTR

OFF_REAL = 16
OFF_IMAG = 24


def _field(builder: ir.IRBuilder, obj: ir.Value, offset: int) -> ir.Value:
    p = builder.gep(obj, [ir.Constant(I64, offset)], source_etype=I8)
    return builder.load(p, typ=F64)


def is_complex(builder: ir.IRBuilder, capi: CApi, obj: ir.Value) -> ir.Value:
    """Whether ``obj``'s type is exactly ``complex`` (not a subclass, as for float)."""
    p = builder.gep(obj, [ir.Constant(I64, 8)], source_etype=I8)  # ob_type
    return builder.icmp_unsigned("==", builder.load(p, typ=PTR), capi.obj("PyComplex_Type"))


def fields(builder: ir.IRBuilder, obj: ir.Value) -> ir.Value:
    """The value of a ``complex`` object (its type already checked)."""
    v: ir.Value = ir.Constant(C128, ir.Undefined)
    v = builder.insert_value(v, _field(builder, obj, OFF_REAL), 0)
    return builder.insert_value(v, _field(builder, obj, OFF_IMAG), 1)


def box(builder: ir.IRBuilder, capi: CApi, value: ir.Value) -> ir.Value:
    """A new reference to ``complex(re, im)`` (NULL with MemoryError set on failure)."""
    re, im = builder.extract_value(value, 0), builder.extract_value(value, 1)
    return builder.call(capi.fn("PyComplex_FromDoubles"), [re, im])
