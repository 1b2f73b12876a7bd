"""Views (:mod:`ember.native.ir.views`) → LLVM IR: the same array struct with a moved
data pointer, a new shape and new strides, and the *same* owner.

Reference counting (the rule of :mod:`ember.native.codegen.arrays`): a view is a new
reference. Of a borrowed source (a local) it increfs the owner once every check has
passed; of a temporary source it takes over the temporary's reference (held in
``pending`` while the checks may still raise, so an error exit releases it).

Slicing follows ``PySlice_Unpack`` + ``PySlice_AdjustIndices`` on any int64 bounds
(the step clamped to ``-PY_SSIZE_T_MAX``); every intermediate stays within
``[-2**63, 2**63)``, and strides are multiplied only for axes of two or more elements
(``|step| < length`` then), so no arithmetic here can overflow. As NumPy does, an empty
slice keeps the source's stride and offset 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.box_views import box_function
from ember.native.boundary.capi import format_error_helper, py_decref, py_incref
from ember.native.boundary.llvm import I1, I8, I32, I64, PTR, struct_type
from ember.native.boundary.numpy import OFFSET_DATA, OFFSET_DIMENSIONS, OFFSET_STRIDES
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import (
    checked_index,
    contiguous_strides,
    data_of,
    dim_of,
    make_value,
    owner_of,
    raise_message,
    stride_of,
    unlikely,
)
from ember.native.codegen.arrays import is_borrowed, operand
from ember.native.ir import arrays as A
from ember.native.ir import views as V
from ember.native.types import Array

if TYPE_CHECKING:
    from ember.native.codegen.arrays import ArrayState
    from ember.native.codegen.function import FunctionLowerer

MAX = 2**63 - 1
MSG_STEP_ZERO = "slice step cannot be zero"
MSG_ONE_UNKNOWN = "can only specify one unknown dimension"
API_NEWSHAPE = 135  # PyArray_Newshape(array, PyArray_Dims*, order)


def _c(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


class _Source:
    """The source array of a view: its value, and its reference held in ``pending``
    when it is a temporary (released by an error exit, taken over by the view)."""

    def __init__(self, gen: FunctionLowerer, e: object) -> None:
        self.ctx: ArrayState = gen.arrays
        self.borrowed = is_borrowed(e)  # type: ignore[arg-type]
        self.value = gen.expr(e)  # type: ignore[arg-type]
        self.owner = owner_of(gen.b, self.value)
        if not self.borrowed:
            self.ctx.pending.append(self.owner)

    def finish(self) -> None:
        """Every check passed: the view owns a reference to the owner."""
        if self.borrowed:
            py_incref(self.ctx.builder, self.owner)
        else:
            self.ctx.pending.pop()


def slice_indices(ctx: ArrayState, length: ir.Value, item: V.ViewSlice,
                  bounds: Sequence[ir.Value | None]) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(start, count, step) of ``start:stop:step`` on an axis of ``length`` elements, as
    ``slice.indices`` and ``len(range(...))`` give them, overflow-free."""
    b = ctx.builder
    start, stop, step = bounds
    if step is None:
        step = _c(1)
    else:
        with unlikely(ctx, b.icmp_signed("==", step, _c(0))):
            raise_message(ctx, "ValueError", MSG_STEP_ZERO)
        step = b.select(b.icmp_signed("<", step, _c(-MAX)), _c(-MAX), step)
    neg = b.icmp_signed("<", step, _c(0))
    if start is None:
        start = b.select(neg, _c(MAX), _c(0))
    if stop is None:
        stop = b.select(neg, _c(-MAX - 1), _c(MAX))
    low = b.select(neg, _c(-1), _c(0))
    high = b.select(neg, b.sub(length, _c(1)), length)

    def adjust(v: ir.Value) -> ir.Value:
        wrapped = b.add(v, length)  # v < 0 <= length: no overflow
        under = b.select(b.icmp_signed("<", wrapped, _c(0)), low, wrapped)
        over = b.select(b.icmp_signed(">=", v, length), high, v)
        return b.select(b.icmp_signed("<", v, _c(0)), under, over)

    start, stop = adjust(start), adjust(stop)
    # Both now lie in [-1, length]: the differences below cannot overflow.
    up = b.add(b.udiv(b.sub(b.sub(stop, start), _c(1)), step), _c(1))
    down = b.add(b.udiv(b.sub(b.sub(start, stop), _c(1)), b.neg(step)), _c(1))
    count = b.select(neg, b.select(b.icmp_signed("<", stop, start), down, _c(0)),
                     b.select(b.icmp_signed("<", start, stop), up, _c(0)))
    start = b.select(b.icmp_signed(">", count, _c(0)), start, _c(0))
    return start, count, step


def view(gen: FunctionLowerer, e: V.ArrayView) -> ir.Value:
    """``a[i, j:k, None]``: Python's order (the array, then the items left to right)."""
    b = gen.b
    ctx = gen.arrays
    src = _Source(gen, e.array)
    offset: ir.Value = _c(0)
    shape: list[ir.Value] = []
    strides: list[ir.Value] = []
    axis = 0
    for item in e.items:
        if isinstance(item, V.NewAxis):
            shape.append(_c(1))
            strides.append(_c(0))
            continue
        dim, stride = dim_of(b, src.value, axis), stride_of(b, src.value, axis)
        if isinstance(item, V.ViewSlice):
            bounds = [None if x is None else gen.expr(x) for x in (item.start, item.stop, item.step)]
            start, count, step = slice_indices(ctx, dim, item, bounds)
            offset = b.add(offset, b.mul(start, stride))
            shape.append(count)
            strides.append(b.select(b.icmp_signed(">", count, _c(1)), b.mul(stride, step), stride))
        else:
            index = checked_index(ctx, gen.expr(item), dim, axis)
            offset = b.add(offset, b.mul(index, stride))
        axis += 1
    data = b.gep(data_of(b, src.value), [offset], source_etype=I8)
    src.finish()
    return make_value(b, e.type.ndim, data, src.owner, shape, strides)


def permute(gen: FunctionLowerer, e: V.ArrayPermute) -> ir.Value:
    b = gen.b
    src = _Source(gen, e.array)
    shape = [dim_of(b, src.value, k) for k in e.axes]
    strides = [stride_of(b, src.value, k) for k in e.axes]
    src.finish()
    return make_value(b, e.type.ndim, data_of(b, src.value), src.owner, shape, strides)


def part(gen: FunctionLowerer, e: V.ArrayPart) -> ir.Value:
    """``a.real`` / ``a.imag``: the same strides, data moved to the part."""
    b = gen.b
    src = _Source(gen, e.array)
    t = e.type
    shape = [dim_of(b, src.value, k) for k in range(t.ndim)]
    strides = [stride_of(b, src.value, k) for k in range(t.ndim)]
    data = b.gep(data_of(b, src.value), [_c(e.part * t.dtype.itemsize)], source_etype=I8)
    src.finish()
    return make_value(b, t.ndim, data, src.owner, shape, strides)


def is_c_contiguous(b: ir.IRBuilder, value: ir.Value, t: Array) -> ir.Value:
    """NumPy's C-contiguity of an array value (length-1 axes ignored, empty arrays
    contiguous)."""
    if t.layout == "C":
        return ir.Constant(I1, 1)
    ok: ir.Value = ir.Constant(I1, 1)
    empty: ir.Value = ir.Constant(I1, 0)
    expected: ir.Value = _c(t.dtype.itemsize)
    for k in range(t.ndim - 1, -1, -1):
        dim, stride = dim_of(b, value, k), stride_of(b, value, k)
        one = b.icmp_signed("==", dim, _c(1))
        empty = b.or_(empty, b.icmp_signed("==", dim, _c(0)))
        ok = b.and_(ok, b.or_(one, b.icmp_signed("==", stride, expected)))
        expected = b.select(one, expected, b.mul(expected, dim))
    return b.or_(ok, empty)


def _reshape_error(ctx: ArrayState, size: ir.Value, dims: list[ir.Value],
                   unknown: ir.Value) -> None:
    """NumPy's "cannot reshape array of size 6 into shape (4,newaxis)" (the -1 shown
    as ``newaxis``), and leave through the error exit."""
    b = ctx.builder
    n = len(dims)
    for k in [*range(n), -1]:
        parts = ["newaxis" if j == k else "%lld" for j in range(n)]
        if k == -1:
            parts = ["%lld"] * n
        shape = "(" + ",".join(parts) + ("," if n == 1 else "") + ")"
        args = [size] + [d for j, d in enumerate(dims) if j != k]
        helper = format_error_helper(
            b.module, f"ember.reshape_error.{n}.{k}", "ValueError",
            "cannot reshape array of size %lld into shape " + shape, [I64] * len(args))
        with b.if_then(b.icmp_signed("==", unknown, _c(k))):
            b.call(helper, args)
            ctx.fail()
    ctx.fail()


def _new_shape(ctx: ArrayState, size: ir.Value, dims: list[ir.Value]) -> list[ir.Value]:
    """The new shape with the unknown (a negative entry, if any) inferred; NumPy's
    ValueErrors otherwise."""
    b = ctx.builder
    unknown: ir.Value = _c(-1)
    count: ir.Value = _c(0)
    known: ir.Value = _c(1)
    overflow: ir.Value = ir.Constant(I1, 0)
    mul = ir.Function(b.module, ir.FunctionType(ir.LiteralStructType([I64, I1]), [I64, I64]),
                      "llvm.smul.with.overflow.i64") \
        if "llvm.smul.with.overflow.i64" not in b.module.globals \
        else b.module.globals["llvm.smul.with.overflow.i64"]
    for k, d in enumerate(dims):
        is_unknown = b.icmp_signed("<", d, _c(0))  # NumPy: any negative is the unknown
        unknown = b.select(is_unknown, _c(k), unknown)
        count = b.add(count, b.zext(is_unknown, I64))
        product = b.call(mul, [known, b.select(is_unknown, _c(1), d)])
        overflow = b.or_(overflow, b.extract_value(product, 1))
        known = b.extract_value(product, 0)
    with unlikely(ctx, b.icmp_signed(">", count, _c(1))):
        raise_message(ctx, "ValueError", MSG_ONE_UNKNOWN)
    bad = overflow
    has_unknown = b.icmp_signed("==", count, _c(1))
    safe = b.select(b.icmp_signed("==", known, _c(0)), _c(1), known)
    inferred = b.sdiv(size, safe)
    ok_unknown = b.and_(b.icmp_signed("!=", known, _c(0)),
                        b.icmp_signed("==", b.srem(size, safe), _c(0)))
    ok = b.and_(b.not_(bad), b.select(has_unknown, ok_unknown, b.icmp_signed("==", known, size)))
    with unlikely(ctx, b.not_(ok)):
        _reshape_error(ctx, size, dims, b.select(has_unknown, unknown, _c(-1)))
    return [b.select(b.icmp_signed("==", unknown, _c(k)), inferred, d) for k, d in enumerate(dims)]


def _numpy_reshape(ctx: ArrayState, src: _Source, src_t: Array,
                   shape: list[ir.Value]) -> ir.Value:
    """NumPy's own reshape of a non-contiguous source (a view where its strides allow
    one, else a copy): the source boxed as an ndarray (a view of its owner), then
    ``PyArray_Newshape``; the result is the new value's owner."""
    b = ctx.builder
    api = new.get_api(ctx)
    py_incref(b, src.owner)  # the box takes a reference
    slot = ctx.alloca(struct_type(src_t.ndim), name="reshape.src")
    b.store(src.value, slot)
    obj = b.call(box_function(b.module, src_t), [slot])
    with unlikely(ctx, b.icmp_unsigned("==", obj, ir.Constant(PTR, None))):
        ctx.fail()
    n = len(shape)
    dims = ctx.alloca(ir.ArrayType(I64, n), name="reshape.dims")
    for k, d in enumerate(shape):
        p = b.gep(dims, [_c(k)], inbounds=True, source_etype=I64)
        p.type = PTR  # opaque (llvmlite's typed-pointer check)
        b.store(d, p)
    dims_struct = ir.LiteralStructType([PTR, I32])
    arg = ctx.alloca(dims_struct, name="reshape.newdims")
    packed = b.insert_value(ir.Constant(dims_struct, None), dims, 0)
    b.store(b.insert_value(packed, ir.Constant(I32, n), 1), arg)
    newshape = new.api_slot(b, api, API_NEWSHAPE, ir.FunctionType(PTR, [PTR, PTR, I32]))
    result = b.call(newshape, [obj, arg, ir.Constant(I32, 0)])  # NPY_CORDER
    py_decref(b, obj)
    with unlikely(ctx, b.icmp_unsigned("==", result, ir.Constant(PTR, None))):
        ctx.fail()
    data = b.load(b.gep(result, [_c(OFFSET_DATA)], source_etype=I8), typ=PTR)
    dims_p = b.load(b.gep(result, [_c(OFFSET_DIMENSIONS)], source_etype=I8), typ=PTR)
    strides_p = b.load(b.gep(result, [_c(OFFSET_STRIDES)], source_etype=I8), typ=PTR)
    out_shape = [b.load(b.gep(dims_p, [_c(k)], source_etype=I64), typ=I64) for k in range(n)]
    out_strides = [b.load(b.gep(strides_p, [_c(k)], source_etype=I64), typ=I64)
                   for k in range(n)]
    return make_value(b, n, data, result, out_shape, out_strides)


def _flatten(gen: FunctionLowerer, e: V.ArrayReshape, c: A.ArrayCopy) -> ir.Value:
    """``a.flatten()`` (a reshape of a copy): the copy made in the new shape at once,
    so the caller gets an array that owns its data, as NumPy's."""
    b = gen.b
    ctx = gen.arrays
    src_t: Array = c.array.type
    with operand(ctx, c.array) as src:
        size: ir.Value = _c(1)
        for k in range(src_t.ndim):
            size = b.mul(size, dim_of(b, src, k))
        dst = new.new_array(ctx, Array(src_t.dtype, e.type.ndim, "C"), [size], zero=False)
        new.copy_into(ctx, dst, src, src_t)
    return dst


def reshape(gen: FunctionLowerer, e: V.ArrayReshape) -> ir.Value:
    """A view of a C-contiguous source; else ravel copies and reshape asks NumPy
    (:func:`_numpy_reshape`)."""
    if isinstance(e.array, A.ArrayCopy):
        return _flatten(gen, e, e.array)
    b = gen.b
    ctx = gen.arrays
    src = _Source(gen, e.array)
    src_t: Array = e.array.type
    shape_value = gen.expr(e.shape)
    dims = [b.extract_value(shape_value, k) for k in range(e.type.ndim)]
    size: ir.Value = _c(1)
    for k in range(src_t.ndim):
        size = b.mul(size, dim_of(b, src.value, k))
    shape = _new_shape(ctx, size, dims)
    strides = contiguous_strides(b, shape, src_t.dtype.itemsize)
    contiguous = is_c_contiguous(b, src.value, src_t)
    if isinstance(contiguous, ir.Constant):
        src.finish()
        return make_value(b, e.type.ndim, data_of(b, src.value), src.owner, shape, strides)
    as_view = b.append_basic_block("reshape.view")
    as_copy = b.append_basic_block("reshape.copy")
    done = b.append_basic_block("reshape.done")
    b.cbranch(contiguous, as_view, as_copy)
    b.position_at_end(as_view)
    if src.borrowed:
        py_incref(b, src.owner)
    viewed = make_value(b, e.type.ndim, data_of(b, src.value), src.owner, shape, strides)
    from_view = b.block
    b.branch(done)
    b.position_at_end(as_copy)
    if e.ravel:
        dst = new.new_array(ctx, Array(src_t.dtype, e.type.ndim, "C"), shape, zero=False)
        new.copy_into(ctx, dst, src.value, src_t)
    else:
        dst = _numpy_reshape(ctx, src, src_t, shape)
    if not src.borrowed:
        py_decref(b, src.owner)
    from_copy = b.block
    b.branch(done)
    b.position_at_end(done)
    if not src.borrowed:
        ctx.pending.pop()
    result = b.phi(struct_type(e.type.ndim))
    result.add_incoming(viewed, from_view)
    result.add_incoming(dst, from_copy)
    return result

