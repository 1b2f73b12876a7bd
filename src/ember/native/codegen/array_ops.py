"""Arrays made inside compiled code → real NumPy arrays, through NumPy's C API table.

``np.zeros((n, m))`` in a jitted function lowers to a call of ``PyArray_Zeros`` found in
the ``_ARRAY_API`` capsule of ``numpy._core.multiarray`` (``numpy.core.multiarray`` on
NumPy 1.x). The table's address is read once per unit, on the first allocation, into a
private global::

    %api = load ptr, ptr @ember.numpy_api_table   ; NULL: call @ember.numpy_api() (import)
    %descr = call ptr %DescrFromType(i32 12)  ; table slot 45
    %obj = call ptr %Zeros(i32 2, ptr %dims, ptr %descr, i32 0)   ; slot 183

The new array is an ordinary ``ndarray`` whose memory CPython's reference counts manage:
returning it costs nothing, and the last reference gone frees it. A unit that never
creates an array never imports NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence

import llvmlite.ir as ir

from ember.native.boundary.capi import extern_function
from ember.native.boundary.llvm import F32, F64, I1, I32, I64, PTR, VOID, storage_type
from ember.native.boundary.numpy import (
    API_DESCR_FROM_TYPE,
    API_EMPTY,
    API_ZEROS,
    OFFSET_DATA,
    api_table,
    numpy_api,
)
from ember.native.buffers import numpy_type_number
from ember.native.codegen.array_access import (
    Context,
    contiguous_strides,
    counted_loop,
    data_of,
    dim_of,
    load_element,
    local_alloca,
    make_value,
    nested_loops,
    owner_of,
    raise_message,
    raise_store_overflow,
    size_of,
    unchecked_pointer,
    unlikely,
)
from ember.native.types import Array, DType


def api_slot(builder: ir.IRBuilder, api: ir.Value, slot: int, fnty: ir.FunctionType) -> ir.Value:
    """Load table entry ``slot`` as a callable function pointer of type ``fnty``."""
    p = builder.gep(api, [ir.Constant(I64, slot)], inbounds=True, source_etype=PTR)
    return builder.load(p, typ=fnty.as_pointer())


def get_api(ctx: Context) -> ir.Value:
    """The C API table: one load once NumPy's table is known; else import it (or fail)."""
    b = ctx.builder
    null = ir.Constant(PTR, None)
    cached = b.load(api_table(b.module), typ=PTR)
    known = b.block
    with b.if_then(b.icmp_unsigned("==", cached, null), likely=False):
        loaded = b.call(numpy_api(b.module), [])
        loading = b.block
    api = b.phi(PTR)
    api.add_incoming(cached, known)
    api.add_incoming(loaded, loading)
    with unlikely(ctx, b.icmp_unsigned("==", api, ir.Constant(PTR, None))):
        ctx.fail()
    return api


def new_array(ctx: Context, t: Array, shape: Sequence[ir.Value], zero: bool) -> ir.Value:
    """A new NumPy array of ``shape`` (a new reference, in an array value), C-ordered
    unless ``t.layout`` is ``"F"``. Negative dimensions raise ValueError (NumPy's own
    check and message)."""
    b = ctx.builder
    api = get_api(ctx)
    null = ir.Constant(PTR, None)
    descr_fn = api_slot(b, api, API_DESCR_FROM_TYPE, ir.FunctionType(PTR, [I32]))
    descr = b.call(descr_fn, [ir.Constant(I32, numpy_type_number(t.dtype))])
    with unlikely(ctx, b.icmp_unsigned("==", descr, null)):
        ctx.fail()
    dims = local_alloca(ctx, ir.ArrayType(I64, t.ndim), name="dims")
    for axis, d in enumerate(shape):
        slot = b.gep(dims, [ir.Constant(I64, axis)], inbounds=True, source_etype=I64)
        slot.type = PTR  # opaque (llvmlite's typed-pointer check)
        b.store(d, slot)
    make = api_slot(b, api, API_ZEROS if zero else API_EMPTY,
                    ir.FunctionType(PTR, [I32, PTR, PTR, I32]))
    fortran = t.layout == "F"
    obj = b.call(make, [ir.Constant(I32, t.ndim), dims, descr, ir.Constant(I32, int(fortran))])
    with unlikely(ctx, b.icmp_unsigned("==", obj, null)):
        ctx.fail()  # ValueError("negative dimensions are not allowed"), MemoryError...
    data = b.load(b.gep(obj, [ir.Constant(I64, OFFSET_DATA)], inbounds=True,
                        source_etype=ir.IntType(8)), typ=PTR)
    strides = contiguous_strides(b, shape, t.dtype.itemsize, "F" if fortran else "C")
    return make_value(b, t.ndim, data, obj, shape, strides)


def fill(ctx: Context, value: ir.Value, t: Array, stored: ir.Value) -> None:
    """Store the storage value ``stored`` into every element of a new C array (a loop
    LLVM turns into a memset or vector stores)."""
    b = ctx.builder
    data = data_of(b, value)
    elem = storage_type(t.dtype)
    with counted_loop(b, size_of(b, value, t.ndim), name="fill") as i:
        b.store(stored, b.gep(data, [i], inbounds=True, source_etype=elem), align=1)


def copy_into(ctx: Context, dst: ir.Value, src: ir.Value, src_type: Array) -> None:
    """Copy every element of ``src`` (any layout) into the new C array ``dst``."""
    b = ctx.builder
    elem = storage_type(src_type.dtype)
    if src_type.layout == "C":
        nbytes = b.mul(size_of(b, src, src_type.ndim), ir.Constant(I64, src_type.dtype.itemsize))
        memcpy = extern_function(b.module, "llvm.memcpy.p0.p0.i64", VOID,
                                 [PTR, PTR, I64, ir.IntType(1)])
        b.call(memcpy, [data_of(b, dst), data_of(b, src), nbytes, ir.Constant(ir.IntType(1), 0)])
        return
    shape = [dim_of(b, src, axis) for axis in range(src_type.ndim)]
    out = data_of(b, dst)
    slot = local_alloca(ctx, I64, name="k")
    b.store(ir.Constant(I64, 0), slot)
    with nested_loops(b, shape) as indices:
        k = b.load(slot, typ=I64)
        raw = b.load(unchecked_pointer(b, src, src_type, indices), typ=elem, align=1)
        b.store(raw, b.gep(out, [k], inbounds=True, source_etype=elem), align=1)
        b.store(b.add(k, ir.Constant(I64, 1), flags=["nsw"]), slot)


def array_map(ctx: Context, func: str, src: ir.Value, src_type: Array, t: Array) -> ir.Value:
    """``np.sqrt(src)`` / ``np.absolute(src)`` into a new array of type ``t`` (see
    :class:`ember.native.ir.arrays.ArrayMap`). A source in ``t``'s order (C or F)
    is one flat loop that LLVM vectorises; any other layout walks the source's strides.
    abs of a signed minimum is noted in a flag and raised after the loop (an exit inside
    it would stop vectorisation), releasing the new array."""
    b = ctx.builder
    ndim = src_type.ndim
    shape = [dim_of(b, src, axis) for axis in range(ndim)]
    dst = new_array(ctx, t, shape, zero=False)
    elem_in, elem_out = storage_type(src_type.dtype), storage_type(t.dtype)
    checked = func == "absolute" and src_type.dtype.kind == "i"
    flag = local_alloca(ctx, I1, name="map.bad") if checked else None
    if flag is not None:
        b.store(ir.Constant(I1, 0), flag)

    def apply(x: ir.Value) -> ir.Value:
        y, bad = map_element(b, func, x, src_type.dtype, t.dtype)
        if bad is not None and flag is not None:
            b.store(b.or_(b.load(flag, typ=I1), bad), flag)
        return y

    out = data_of(b, dst)
    if src_type.layout == t.layout:  # C → C or F → F: the same linear order
        data = data_of(b, src)
        with counted_loop(b, size_of(b, src, ndim), name="map") as i:
            x = b.load(b.gep(data, [i], inbounds=True, source_etype=elem_in), typ=elem_in,
                       align=1)
            b.store(apply(x), b.gep(out, [i], inbounds=True, source_etype=elem_out), align=1)
    else:
        slot = local_alloca(ctx, I64, name="k")
        b.store(ir.Constant(I64, 0), slot)
        with nested_loops(b, shape) as indices:
            k = b.load(slot, typ=I64)
            x = b.load(unchecked_pointer(b, src, src_type, indices), typ=elem_in, align=1)
            b.store(apply(x), b.gep(out, [k], inbounds=True, source_etype=elem_out), align=1)
            b.store(b.add(k, ir.Constant(I64, 1), flags=["nsw"]), slot)
    if flag is not None:
        ctx.pending.append(owner_of(b, dst))  # released if we raise
        with unlikely(ctx, b.load(flag, typ=I1)):
            if src_type.dtype.itemsize == 8:
                from ember.native.messages import OVERFLOW

                raise_message(ctx, "OverflowError", OVERFLOW)
            else:
                bits = src_type.dtype.itemsize * 8
                raise_store_overflow(ctx, ir.Constant(I64, 1 << (bits - 1)), src_type.dtype)
        ctx.pending.pop()
    return dst


def map_element(
    b: ir.IRBuilder, func: str, x: ir.Value, dtype: DType, out: DType
) -> tuple[ir.Value, ir.Value | None]:
    """One element of :func:`array_map`: the storage value ``x`` of ``dtype`` → the
    storage value of ``out``, and an i1 that is true where abs overflows (else None).
    sqrt computes in float64 (exact conversions from every source dtype; a float32
    result rounded once from the float64 root equals float32's own correctly rounded
    sqrt); abs works in the storage type (exact)."""
    module = b.module
    if func == "absolute":
        if dtype.kind == "f":
            ty = F32 if dtype.itemsize == 4 else F64
            fabs = extern_function(module, f"llvm.fabs.{'f32' if ty is F32 else 'f64'}", ty, [ty])
            return b.call(fabs, [x]), None
        if dtype.kind != "i":
            return x, None  # unsigned and bool: abs is the identity
        zero = ir.Constant(x.type, 0)
        lowest = ir.Constant(x.type, -(1 << (dtype.itemsize * 8 - 1)))
        y = b.select(b.icmp_signed("<", x, zero), b.neg(x), x)
        return y, b.icmp_signed("==", x, lowest)
    if dtype.kind == "f":
        xf = x if dtype.itemsize == 8 else b.fpext(x, F64)
    elif dtype.kind == "i":
        xf = b.sitofp(x, F64)
    else:
        xf = b.uitofp(x, F64)
    r = b.call(extern_function(module, "llvm.sqrt.f64", F64, [F64]), [xf])
    return (r if out.itemsize == 8 else b.fptrunc(r, F32)), None


def arange(ctx: Context, t: Array, start: ir.Value, stop: ir.Value, step: ir.Value) -> ir.Value:
    """``np.arange``: length ``ceil((stop - start) / step)`` clamped at 0, elements
    ``start + i * step`` (NumPy's rule; float steps use ``(start + step) - start``)."""
    b = ctx.builder
    if t.dtype.kind == "f":
        with unlikely(ctx, b.fcmp_ordered("==", step, ir.Constant(F64, 0.0))):
            raise_message(ctx, "ZeroDivisionError", "float division by zero")
        ceil = extern_function(b.module, "llvm.ceil.f64", F64, [F64])
        span = b.call(ceil, [b.fdiv(b.fsub(stop, start), step)])
        positive = b.fcmp_ordered(">", span, ir.Constant(F64, 0.0))
        length = b.select(positive, b.fptosi(span, I64), ir.Constant(I64, 0))
        delta = b.fsub(b.fadd(start, step), start)
    else:
        with unlikely(ctx, b.icmp_signed("==", step, ir.Constant(I64, 0))):
            raise_message(ctx, "ZeroDivisionError", "division by zero")
        # ceil(d / s) for integers = -((-d) // s) with floor division.
        diff = b.sub(stop, start)
        q = b.sdiv(diff, step)
        r = b.srem(diff, step)
        up = b.and_(b.icmp_signed("!=", r, ir.Constant(I64, 0)),
                    b.icmp_signed("==", b.icmp_signed("<", r, ir.Constant(I64, 0)),
                                  b.icmp_signed("<", step, ir.Constant(I64, 0))))
        q = b.add(q, b.zext(up, I64))
        length = b.select(b.icmp_signed(">", q, ir.Constant(I64, 0)), q, ir.Constant(I64, 0))
        delta = step
    value = new_array(ctx, t, [length], zero=False)
    data = data_of(b, value)
    elem = storage_type(t.dtype)
    with counted_loop(b, length, name="arange") as i:
        if t.dtype.kind == "f":
            x = b.fadd(start, b.fmul(b.sitofp(i, F64), delta))
        else:
            x = b.add(start, b.mul(i, delta))
        if x.type != elem:  # float32 rounds, narrow ints wrap (NumPy); never a wide store
            x = b.fptrunc(x, elem) if t.dtype.kind == "f" else b.trunc(x, elem)
        b.store(x, b.gep(data, [i], inbounds=True, source_etype=elem), align=1)
    return value


def reduce(ctx: Context, op: str, value: ir.Value, t: Array) -> ir.Value:
    """``a.sum()`` / ``a.min()`` / ``a.max()`` in the compute type, in C order. Integer
    sums wrap in 64 bits as NumPy's do; min/max propagate NaN as NumPy's do and raise
    ValueError on an empty array."""
    b = ctx.builder
    dtype: DType = t.dtype
    ty = F64 if dtype.kind == "f" else I64
    shape = [dim_of(b, value, axis) for axis in range(t.ndim)]
    acc = local_alloca(ctx, ty, name="acc")
    if op == "sum":
        b.store(ir.Constant(ty, 0.0 if ty is F64 else 0), acc)
    else:
        empty = b.icmp_signed("==", size_of(b, value, t.ndim), ir.Constant(I64, 0))
        name = "minimum" if op == "min" else "maximum"
        with unlikely(ctx, empty):
            raise_message(
                ctx, "ValueError",
                f"zero-size array to reduction operation {name} which has no identity",
            )
        first = load_element(ctx, unchecked_pointer(b, value, t, [ir.Constant(I64, 0)] * t.ndim),
                             dtype)
        b.store(_widen(b, first, ty), acc)
    with nested_loops(b, shape) as indices:
        x = _widen(b, load_element(ctx, unchecked_pointer(b, value, t, indices), dtype), ty)
        cur = b.load(acc, typ=ty)
        if op == "sum":
            new = b.fadd(cur, x) if ty is F64 else b.add(cur, x)
        elif ty is F64:
            # NaN wins (NumPy): keep cur if it is NaN, take x if x is NaN or better.
            better = b.fcmp_unordered("<" if op == "min" else ">", x, cur)
            keep_nan = b.fcmp_unordered("uno", cur, cur)
            new = b.select(keep_nan, cur, b.select(better, x, cur))
        else:
            better = b.icmp_signed("<" if op == "min" else ">", x, cur)
            new = b.select(better, x, cur)
        b.store(new, acc)
    return b.load(acc, typ=ty)


def _widen(b: ir.IRBuilder, x: ir.Value, ty: ir.Type) -> ir.Value:
    if x.type == ty:
        return x
    return b.zext(x, ty)  # bool → int64
