"""ember's values in LLVM: the LLVM type of every native type, and the one entry-block
allocator. The array value is ``{ptr data, ptr owner, [n x i64] shape, [n x i64] strides}``
(see :mod:`ember.native.codegen.arrays`).

>>> from ember.native.types import INT64, FLOAT64, Tuple
>>> str(value_type(Tuple((INT64, FLOAT64))))
'{i64, double}'
"""

from __future__ import annotations

from llvmlite import ir

from ember.native.types import (
    Array,
    Bool,
    Complex128,
    DType,
    DTypeValue,
    Float64,
    Function,
    Int64,
    List,
    NoneType,
    NpScalar,
    Tuple,
    Type,
)

I1 = ir.IntType(1)


I8 = ir.IntType(8)


I32 = ir.IntType(32)


I64 = ir.IntType(64)


F64 = ir.DoubleType()


PTR = ir.PointerType()


C128 = ir.LiteralStructType([F64, F64])


VOID = ir.VoidType()


def value_type(t: Type) -> ir.Type:
    """The LLVM type of a native value in registers and in locals.

    >>> from ember.native.types import FLOAT64, INT64
    >>> str(value_type(Tuple((INT64, FLOAT64))))
    '{i64, double}'
    """
    if isinstance(t, Int64):
        return I64
    if isinstance(t, Float64):
        return F64
    if isinstance(t, Bool):
        return I1
    if isinstance(t, NpScalar):
        return storage_type(t.dtype)  # as in the array: i8 for int8 and bool, float ...
    if isinstance(t, Complex128):
        return C128  # (real, imag): PyComplexObject's cval, Py_complex
    if isinstance(t, NoneType | DTypeValue):
        return I8  # no value: a none (or a dtype, known at compile time) is i8 0
    if isinstance(t, Tuple):
        return ir.LiteralStructType([value_type(i) for i in t.items])
    if isinstance(t, Function):  # the values an inner function captured (frontend/closures.py)
        return ir.LiteralStructType([value_type(i) for i in t.captures])
    if isinstance(t, Array):
        return struct_type(t.ndim)  # {data, owner, shape, strides}
    if isinstance(t, List):
        return PTR  # the list's header (codegen/list_refs.py); NULL: none assigned yet
    raise NotImplementedError(f"no machine representation for {t}")


def zero_value(t: Type) -> ir.Constant:
    """A placeholder value of type ``t`` (never observed: reads are guarded)."""
    ty = value_type(t)
    if isinstance(t, Tuple):
        return ir.Constant(ty, [zero_value(i) for i in t.items])
    if isinstance(t, Function):
        return ir.Constant(ty, [zero_value(i) for i in t.captures])
    if isinstance(t, Complex128):
        return ir.Constant(ty, [ir.Constant(F64, 0.0), ir.Constant(F64, 0.0)])
    if isinstance(t, Array | List):
        return ir.Constant(ty, None)  # a zeroed struct: owner NULL
    return ir.Constant(ty, 0)


def spec_type(arg_types: tuple[Type, ...]) -> ir.FunctionType:
    """``i32 (ptr %result, params...)``: the ABI of every specialization."""
    return ir.FunctionType(I32, [PTR, *[value_type(t) for t in arg_types]])


def entry_alloca(builder: ir.IRBuilder, typ: ir.Type, name: str = "") -> ir.Value:
    """An ``alloca`` at the top of the current function's entry block: a fixed stack
    slot, even in a function that is not optimised (elsewhere it is a dynamic
    allocation, every time the block runs)."""
    saved = builder.block
    entry = builder.function.entry_basic_block
    if entry.instructions:
        builder.position_before(entry.instructions[0])
    else:
        builder.position_at_end(entry)
    slot = builder.alloca(typ, name=name)
    builder.position_at_end(saved)
    return slot


F32 = ir.FloatType()


def struct_type(ndim: int) -> ir.LiteralStructType:
    """The LLVM type of an ``ndim``-dimensional array value."""
    return ir.LiteralStructType([PTR, PTR, ir.ArrayType(I64, ndim), ir.ArrayType(I64, ndim)])


def storage_type(dtype: DType) -> ir.Type:
    """How one element is laid out in memory (bool is a byte)."""
    if dtype.kind == "f":
        return F32 if dtype.itemsize == 4 else F64
    if dtype.kind == "c":  # (real, imag), as NumPy stores complex64/complex128
        return ir.LiteralStructType([F32, F32]) if dtype.itemsize == 8 else C128
    return ir.IntType(dtype.itemsize * 8)
