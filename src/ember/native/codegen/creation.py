"""The nodes of :mod:`ember.native.ir.creation` → LLVM IR: literals, casts, fill,
linspace, eye, triu/tril, diag, joins, strides, dtype values.

Every new array comes from NumPy's C API (:func:`ember.native.codegen.array_ops.new_array`)
and is filled here with NumPy's element casts (:mod:`ember.native.codegen.casts`). An
array that must be released when a later step raises sits on ``ctx.pending`` while that
step runs (the reference-counting rule of :mod:`ember.native.codegen.arrays`)::

    np.linspace(0.0, 1.0, n)   %a = @Empty(1, [n], float64); for i: a[i] = i*step + start
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import format_error_helper, py_decref, py_incref, set_error
from ember.native.boundary.llvm import F64, I8, I32, I64, PTR, storage_type
from ember.native.boundary.numpy import (
    API_DESCR_FROM_TYPE,
    API_NDARRAY_TYPE,
    API_NEW_FROM_DESCR,
    API_SET_BASE_OBJECT,
    OFFSET_FLAGS,
)
from ember.native.buffers import numpy_type_number
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import (
    convert_for_store,
    counted_loop,
    data_of,
    dim_of,
    make_value,
    nested_loops,
    owner_of,
    size_of,
    stride_of,
    unchecked_pointer,
    unlikely,
)
from ember.native.codegen.arrays import ArrayState, operand
from ember.native.codegen.casts import cast_element
from ember.native.ir import creation as N
from ember.native.messages import (
    CONCAT_SHAPE_MESSAGE,
    LINSPACE_NUM_MESSAGE,
    STACK_SHAPE_MESSAGE,
)
from ember.native.types import Array, DType

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

NPY_ARRAY_WRITEABLE = 0x0400


def _const(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


def dtype_const(gen: FunctionLowerer, e: N.DTypeConst) -> ir.Value:
    """A dtype value is known at compile time: nothing at run time."""
    return ir.Constant(I8, 0)


def strides(gen: FunctionLowerer, e: N.ArrayStrides) -> ir.Value:
    t = e.array.type
    with operand(gen.arrays, e.array) as v:
        result = gen.make_struct(e.type, [stride_of(gen.b, v, k) for k in range(t.ndim)])
    return result


def _store_at(b: ir.IRBuilder, dst: ir.Value, t: Array, indices: Sequence[ir.Value],
              raw: ir.Value) -> None:
    b.store(raw, unchecked_pointer(b, dst, t, indices), align=1)


def _load_at(b: ir.IRBuilder, src: ir.Value, t: Array, indices: Sequence[ir.Value]) -> ir.Value:
    return b.load(unchecked_pointer(b, src, t, indices), typ=storage_type(t.dtype), align=1)


def literal(gen: FunctionLowerer, e: N.ArrayLiteral) -> ir.Value:
    """``np.array([...])``: the items (already in the compute type) first, as Python
    evaluates the list, then the array; an item out of the dtype's range raises
    OverflowError and releases it."""
    ctx, b = gen.arrays, gen.b
    if e.source is not None:
        ctx.elements.append(gen.expr(e.source))
    try:
        values = [gen.expr(i) for i in e.items]
    finally:
        if e.source is not None:
            ctx.elements.pop()
    ctx.check_overflow()
    value = new.new_array(ctx, e.type, [_const(d) for d in e.shape], zero=False)
    ctx.pending.append(owner_of(b, value))
    stored = [convert_for_store(ctx, v, e.type.dtype) for v in values]
    ctx.pending.pop()
    data, elem = data_of(b, value), storage_type(e.type.dtype)
    for k, raw in enumerate(stored):
        b.store(raw, b.gep(data, [_const(k)], inbounds=True, source_etype=elem), align=1)
    return value


def _fortran_like(b: ir.IRBuilder, v: ir.Value, ndim: int) -> ir.Value:
    """Whether the magnitudes of ``v``'s strides increase with the axis (the order
    NumPy's ``order='K'`` keeps as Fortran order)."""
    def magnitude(x: ir.Value) -> ir.Value:
        return b.select(b.icmp_signed("<", x, _const(0)), b.sub(_const(0), x), x)

    out: ir.Value = ir.Constant(ir.IntType(1), ndim > 1)
    for axis in range(ndim - 1):
        out = b.and_(out, b.icmp_signed("<", magnitude(stride_of(b, v, axis)),
                                        magnitude(stride_of(b, v, axis + 1))))
    return out


def allocate(gen: FunctionLowerer, t: Array, shape: Sequence[ir.Value], zero: bool,
             like: ir.Value | None = None) -> ir.Value:
    """A new array of type ``t``; a "A" type (order='K' of an any-layout source) is
    Fortran-ordered when ``like``'s strides are, else C."""
    ctx, b = gen.arrays, gen.b
    if t.layout != "A" or like is None:
        return new.new_array(ctx, t, shape, zero)
    with b.if_else(_fortran_like(b, like, t.ndim)) as (then, otherwise):
        with then:
            f_value = new.new_array(ctx, Array(t.dtype, t.ndim, "F"), shape, zero)
            f_block = b.block
        with otherwise:
            c_value = new.new_array(ctx, Array(t.dtype, t.ndim, "C"), shape, zero)
            c_block = b.block
    phi = b.phi(f_value.type)
    phi.add_incoming(f_value, f_block)
    phi.add_incoming(c_value, c_block)
    return phi


def copy_cast(gen: FunctionLowerer, src: ir.Value, st: Array, dst: ir.Value, dt: Array,
              where: Callable[[list[ir.Value]], list[ir.Value]] | None = None) -> None:
    """Every element of ``src`` cast into ``dst`` at ``where(indices)`` (the same
    indices by default); one flat loop when both are contiguous in one order."""
    b = gen.b
    shape = [dim_of(b, src, k) for k in range(st.ndim)]
    if where is None and st.layout == dt.layout and st.layout in ("C", "F"):
        es, ed = storage_type(st.dtype), storage_type(dt.dtype)
        sdata, ddata = data_of(b, src), data_of(b, dst)
        with counted_loop(b, size_of(b, src, st.ndim), name="cast") as i:
            x = b.load(b.gep(sdata, [i], inbounds=True, source_etype=es), typ=es, align=1)
            y = cast_element(b, x, st.dtype, dt.dtype)
            b.store(y, b.gep(ddata, [i], inbounds=True, source_etype=ed), align=1)
        return
    with nested_loops(b, shape) as indices:
        x = cast_element(b, _load_at(b, src, st, indices), st.dtype, dt.dtype)
        _store_at(b, dst, dt, where(indices) if where else indices, x)


def cast(gen: FunctionLowerer, e: N.ArrayCast) -> ir.Value:
    """``a.astype(dtype)``, ``np.array(a)``, ``a.copy(order)``."""
    st = e.array.type
    with operand(gen.arrays, e.array) as src:
        shape = [dim_of(gen.b, src, k) for k in range(st.ndim)]
        dst = allocate(gen, e.type, shape, zero=False, like=src)
        copy_cast(gen, src, st, dst, e.type)  # an "A" result: through its strides
    return dst


def fill_with(gen: FunctionLowerer, e: N.ArrayFillWith) -> ir.Value:
    """``a.fill(value)``: the value, converted as a store, into every element."""
    ctx, b = gen.arrays, gen.b
    t = e.array.type
    value = gen.expr(e.value)
    with operand(ctx, e.array) as arr:
        ctx.check_overflow()
        if e.stored is not None:
            ctx.elements.append(value)
            try:
                value = gen.expr(e.stored)
            finally:
                ctx.elements.pop()
        raw = convert_for_store(ctx, value, t.dtype)
        if t.layout in ("C", "F"):
            elem, data = storage_type(t.dtype), data_of(b, arr)
            with counted_loop(b, size_of(b, arr, t.ndim), name="fill") as i:
                b.store(raw, b.gep(data, [i], inbounds=True, source_etype=elem), align=1)
        else:
            with nested_loops(b, [dim_of(b, arr, k) for k in range(t.ndim)]) as indices:
                _store_at(b, arr, t, indices, raw)
    return ir.Constant(I8, 0)


def linspace(gen: FunctionLowerer, e: N.ArrayLinspace) -> ir.Value:
    """NumPy's ``linspace`` (numpy/_core/function_base.py), element by element:
    ``y = i * step + start`` with ``step = delta / div`` (``i / div * delta`` when the
    step underflows to 0; ``i * delta`` when ``div <= 0``), the last set to ``stop``
    with ``endpoint``, floored for an integer dtype, then cast."""
    ctx, b = gen.arrays, gen.b
    start, stop, num = gen.expr(e.start), gen.expr(e.stop), gen.expr(e.num)
    with unlikely(ctx, b.icmp_signed("<", num, _const(0))):
        helper = format_error_helper(b.module, "ember.linspace_num", "ValueError",
                                     LINSPACE_NUM_MESSAGE, [I64])
        b.call(helper, [num])
        ctx.fail()
    ctx.check_overflow()
    value = new.new_array(ctx, e.type, [num], zero=False)
    div = b.sub(num, _const(1)) if e.endpoint else num
    divf = b.sitofp(div, F64)
    delta = b.fsub(stop, start)
    step = b.fdiv(delta, divf)
    positive = b.icmp_signed(">", div, _const(0))
    step_zero = b.fcmp_ordered("==", step, ir.Constant(F64, 0.0))
    floor = b.module.declare_intrinsic("llvm.floor", [F64])
    data, elem = data_of(b, value), storage_type(e.type.dtype)
    last = b.sub(num, _const(1))
    with counted_loop(b, num, name="linspace") as i:
        fi = b.sitofp(i, F64)
        scaled = b.select(step_zero, b.fmul(b.fdiv(fi, divf), delta), b.fmul(fi, step))
        y = b.fadd(b.select(positive, scaled, b.fmul(fi, delta)), start)
        if e.endpoint:
            is_last = b.and_(b.icmp_signed("==", i, last), b.icmp_signed(">", num, _const(1)))
            y = b.select(is_last, stop, y)
        if e.type.dtype.kind in "iu":
            y = b.call(floor, [y])
        raw = cast_element(b, y, DType("float64"), e.type.dtype)
        b.store(raw, b.gep(data, [i], inbounds=True, source_etype=elem), align=1)
    return value


def _one(b: ir.IRBuilder, dtype: DType) -> ir.Value:
    return cast_element(b, ir.Constant(I8, 1), DType("bool"), dtype)


def eye(gen: FunctionLowerer, e: N.ArrayEye) -> ir.Value:
    """``np.eye(n, m, k)``: zeros, then ones where ``0 <= r + k < m``."""
    b = gen.b
    n = gen.expr(e.n)
    m = n if e.m is None else gen.expr(e.m)
    k = gen.expr(e.k)
    gen.arrays.check_overflow()
    value = new.new_array(gen.arrays, e.type, [n, m], zero=True)
    one = _one(b, e.type.dtype)
    with counted_loop(b, n, name="eye") as r:
        # r + k in [0, m) without computing an overflowing r + k.
        inside = b.and_(b.icmp_signed(">=", k, b.sub(_const(0), r)),
                        b.icmp_signed("<", k, b.sub(m, r)))
        with b.if_then(inside):
            _store_at(b, value, e.type, [r, b.add(r, k)], one)
    return value


def tri(gen: FunctionLowerer, e: N.ArrayTri) -> ir.Value:
    """``np.triu(a, k)`` keeps ``j - i >= k``; ``np.tril`` keeps ``j - i <= k``."""
    b = gen.b
    st = e.array.type
    k = gen.expr(e.k)
    with operand(gen.arrays, e.array) as src:
        shape = [dim_of(b, src, 0), dim_of(b, src, 1)]
        dst = new.new_array(gen.arrays, e.type, shape, zero=False)
        zero = ir.Constant(storage_type(st.dtype), None)  # zeroinitializer, complex too
        with nested_loops(b, shape) as (i, j):
            offset = b.sub(j, i)
            keep = b.icmp_signed(">=" if e.kind == "triu" else "<=", offset, k)
            _store_at(b, dst, e.type, [i, j], b.select(keep, _load_at(b, src, st, [i, j]), zero))
    return dst


def diag(gen: FunctionLowerer, e: N.ArrayDiag) -> ir.Value:
    """``np.diag(v, k)``: 1-d → a square array with ``v`` on diagonal ``k``; 2-d → the
    diagonal (:func:`diagonal`)."""
    b = gen.b
    st = e.array.type
    k = gen.expr(e.k)
    zero = _const(0)
    nonneg = b.icmp_signed(">=", k, zero)
    with operand(gen.arrays, e.array) as src:
        if st.ndim == 2:
            return diagonal(gen, e, src, k)
        n = dim_of(b, src, 0)
        absk = b.select(nonneg, k, b.sub(zero, k))
        size = b.add(n, absk)
        # |k| beyond int64 or n + |k| overflowing: a size NumPy refuses too.
        size = b.select(b.icmp_signed("<", size, n), _const(2**62), size)
        dst = new.new_array(gen.arrays, e.type, [size, size], zero=True)
        with counted_loop(b, n, name="diag") as i:
            r = b.select(nonneg, i, b.sub(i, k))
            c = b.select(nonneg, b.add(i, k), i)
            _store_at(b, dst, e.type, [r, c], _load_at(b, src, st, [i]))
    return dst


def diagonal(gen: FunctionLowerer, e: N.ArrayDiag, src: ir.Value, k: ir.Value) -> ir.Value:
    """Diagonal ``k`` of a 2-d array: as NumPy, a read-only view (a new ndarray whose
    base is the source's owner) when the source's owner is an ndarray; of any other
    buffer (whose export ends with the call) a read-only copy."""
    ctx, b = gen.arrays, gen.b
    st = e.array.type
    zero = _const(0)
    nonneg = b.icmp_signed(">=", k, zero)
    rows, cols = dim_of(b, src, 0), dim_of(b, src, 1)
    length = b.select(nonneg, _smin(b, rows, b.sub(cols, k)), _smin(b, b.add(rows, k), cols))
    length = b.select(b.icmp_signed("<", length, zero), zero, length)
    r0 = b.select(nonneg, zero, b.sub(zero, k))
    c0 = b.select(nonneg, k, zero)
    s0, s1 = stride_of(b, src, 0), stride_of(b, src, 1)
    empty = b.icmp_signed("==", length, zero)  # then r0/c0 may be past the end: not used
    offset = b.select(empty, zero, b.add(b.mul(r0, s0), b.mul(c0, s1)))
    data = b.gep(data_of(b, src), [offset], source_etype=I8)
    stride = b.add(s0, s1)
    api = new.get_api(ctx)
    owner = owner_of(b, src)
    ndarray = b.load(b.gep(api, [_const(API_NDARRAY_TYPE)], source_etype=PTR), typ=PTR)
    is_ndarray = b.icmp_unsigned("==", b.load(b.gep(owner, [_const(8)], source_etype=I8),
                                              typ=PTR), ndarray)
    with b.if_else(is_ndarray) as (then, otherwise):
        with then:
            view = _view(ctx, api, ndarray, st.dtype, length, stride, data, owner)
            view_block = b.block
        with otherwise:
            copy = new.new_array(ctx, Array(st.dtype, 1, "C"), [length], zero=False)
            with counted_loop(b, length, name="diag") as i:
                x = _load_at(b, src, st, [b.add(r0, i), b.add(c0, i)])
                _store_at(b, copy, e.type, [i], x)
            flags = b.gep(owner_of(b, copy), [_const(OFFSET_FLAGS)], source_etype=I8)
            old = b.load(flags, typ=I32)
            b.store(b.and_(old, ir.Constant(I32, ~NPY_ARRAY_WRITEABLE & 0xFFFFFFFF)), flags)
            copy_block = b.block
    out = b.phi(view.type)
    out.add_incoming(view, view_block)
    out.add_incoming(copy, copy_block)
    return out


def _view(ctx: ArrayState, api: ir.Value, ndarray: ir.Value, dtype: DType, length: ir.Value,
          stride: ir.Value, data: ir.Value, owner: ir.Value) -> ir.Value:
    """A new read-only 1-d ndarray over ``data`` whose base is ``owner``."""
    b = ctx.builder
    null = ir.Constant(PTR, None)
    descr_fn = new.api_slot(b, api, API_DESCR_FROM_TYPE, ir.FunctionType(PTR, [I32]))
    descr = b.call(descr_fn, [ir.Constant(I32, numpy_type_number(dtype))])
    with unlikely(ctx, b.icmp_unsigned("==", descr, null)):
        ctx.fail()
    dims = ctx.alloca(I64, name="view.dim")
    b.store(length, dims)
    strides_p = ctx.alloca(I64, name="view.stride")
    b.store(stride, strides_p)
    make = new.api_slot(b, api, API_NEW_FROM_DESCR,
                        ir.FunctionType(PTR, [PTR, PTR, I32, PTR, PTR, PTR, I32, PTR]))
    obj = b.call(make, [ndarray, descr, ir.Constant(I32, 1), dims, strides_p, data,
                        ir.Constant(I32, 0), null])  # steals descr; flags 0: read-only
    with unlikely(ctx, b.icmp_unsigned("==", obj, null)):
        ctx.fail()
    py_incref(b, owner)  # SetBaseObject steals this reference (also when it fails)
    set_base = new.api_slot(b, api, API_SET_BASE_OBJECT, ir.FunctionType(I32, [PTR, PTR]))
    rc = b.call(set_base, [obj, owner])
    with unlikely(ctx, b.icmp_signed("<", rc, ir.Constant(I32, 0))):
        py_decref(b, obj)
        ctx.fail()
    return make_value(b, 1, data, obj, [length], [stride])


def _smin(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.select(b.icmp_signed("<", x, y), x, y)


def _dims(b: ir.IRBuilder, v: ir.Value, t: Array, as_rows: bool) -> list[ir.Value]:
    """The shape of an input of a join (a 1-d input of vstack is one row)."""
    dims = [dim_of(b, v, k) for k in range(t.ndim)]
    return [_const(1), *dims] if as_rows and t.ndim == 1 else dims


def _check_join(gen: FunctionLowerer, e: N.ArrayJoin, shapes: list[list[ir.Value]]) -> None:
    """NumPy's ValueError when the inputs' shapes do not fit together."""
    ctx, b = gen.arrays, gen.b
    first = shapes[0]
    for index, shape in enumerate(shapes[1:], start=1):
        for axis, (d0, d) in enumerate(zip(first, shape, strict=True)):
            if e.kind != "stack" and axis == e.axis:
                continue
            with unlikely(ctx, b.icmp_signed("!=", d0, d)):
                if e.kind == "stack":
                    set_error(b, "ValueError", STACK_SHAPE_MESSAGE)
                else:
                    helper = format_error_helper(b.module, "ember.concat_shape", "ValueError",
                                                 CONCAT_SHAPE_MESSAGE, [I64] * 5)
                    b.call(helper, [_const(axis), _const(0), d0, _const(index), d])
                ctx.fail()


def join(gen: FunctionLowerer, e: N.ArrayJoin) -> ir.Value:
    """``np.concatenate`` / ``np.stack`` / ``np.vstack``: every input evaluated (left
    to right), the shapes checked, one new C array, each input cast into its slab."""
    ctx, b = gen.arrays, gen.b
    rows = e.kind == "vstack"
    with ExitStack() as stack:
        values = [stack.enter_context(operand(ctx, a)) for a in e.arrays]
        types: list[Array] = [a.type for a in e.arrays]  # type: ignore[misc]
        shapes = [_dims(b, v, t, rows) for v, t in zip(values, types, strict=True)]
        _check_join(gen, e, shapes)
        if e.kind == "stack":
            out_shape = [*shapes[0][:e.axis], _const(len(values)), *shapes[0][e.axis:]]
        else:
            total: ir.Value = _const(0)
            for shape in shapes:
                total = b.add(total, shape[e.axis])
            out_shape = [*shapes[0][:e.axis], total, *shapes[0][e.axis + 1:]]
        dst = new.new_array(ctx, e.type, out_shape, zero=False)
        offset: ir.Value = _const(0)
        for j, (v, t, shape) in enumerate(zip(values, types, shapes, strict=True)):
            copy_cast(gen, v, t, dst, e.type, _placer(b, e, j, offset, t, rows))
            if e.kind != "stack":
                offset = b.add(offset, shape[e.axis])
    return dst


def _placer(b: ir.IRBuilder, e: N.ArrayJoin, j: int, offset: ir.Value, t: Array,
            rows: bool) -> Callable[[list[ir.Value]], list[ir.Value]]:
    """Where element ``indices`` of input ``j`` goes in the joined array."""
    axis = e.axis

    def where(indices: list[ir.Value]) -> list[ir.Value]:
        if e.kind == "stack":
            return [*indices[:axis], _const(j), *indices[axis:]]
        if rows and t.ndim == 1:
            return [offset, indices[0]]
        out = list(indices)
        out[axis] = b.add(out[axis], offset)
        return out

    return where
