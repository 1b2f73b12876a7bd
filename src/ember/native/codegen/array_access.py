"""Array values in LLVM IR: their fields, element addresses (with NumPy's bounds
checks and negative indices), loads and stores with NumPy's conversions, and counted
loops over their shape. Used by every array construct and by nothing below codegen."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import llvmlite.ir as ir

from ember.native.boundary.capi import (
    cstring,
    format_error_helper,
    set_error,
)
from ember.native.boundary.llvm import (
    F32,
    F64,
    I8,
    I64,
    PTR,
    storage_type,
    struct_type,
)
from ember.native.codegen.builder import LIKELY, UNLIKELY
from ember.native.messages import INDEX_MESSAGE, LOAD_OVERFLOW_MESSAGE, STORE_OVERFLOW_MESSAGE
from ember.native.types import Array, DType


class Context(Protocol):
    """What the scalar lowering gives the array lowering for one function."""

    @property
    def builder(self) -> ir.IRBuilder: ...

    @property
    def boundscheck(self) -> bool: ...

    #: Temporary new references (array owners) that an error exit must release.
    pending: list[ir.Value]

    def fail(self) -> None:
        """A Python exception is set: branch to the function's error exit (which releases
        the function's arrays). Leaves the builder in a terminated block."""

    def alloca(self, ty: ir.Type, name: str = "") -> ir.Value:
        """An entry-block alloca through the function builder's own allocator (two
        builders appending to one block would step on each other)."""


def raise_message(ctx: Context, exc: str, message: str) -> None:
    """Set ``exc(message)`` and leave through the error exit."""
    set_error(ctx.builder, exc, message)
    ctx.fail()


@contextmanager
def unlikely(ctx: Context, cond: ir.Value) -> Iterator[None]:
    """``if cond:`` for a failure branch: weighted cold, so the hot path stays straight."""
    b = ctx.builder
    then, after = b.append_basic_block("unlikely"), b.append_basic_block("likely")
    b.cbranch(cond, then, after).set_weights(UNLIKELY)
    b.position_at_end(then)
    yield
    if not b.block.is_terminated:
        b.branch(after)
    b.position_at_end(after)


def data_of(builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
    return builder.extract_value(value, 0)


def owner_of(builder: ir.IRBuilder, value: ir.Value) -> ir.Value:
    return builder.extract_value(value, 1)


def dim_of(builder: ir.IRBuilder, value: ir.Value, axis: int) -> ir.Value:
    return builder.extract_value(value, [2, axis])


def stride_of(builder: ir.IRBuilder, value: ir.Value, axis: int) -> ir.Value:
    return builder.extract_value(value, [3, axis])


def size_of(builder: ir.IRBuilder, value: ir.Value, ndim: int) -> ir.Value:
    """The number of elements (product of the shape); cannot overflow for a real array."""
    size: ir.Value = ir.Constant(I64, 1)
    for axis in range(ndim):
        size = builder.mul(size, dim_of(builder, value, axis), flags=["nsw"])
    return size


def make_value(
    builder: ir.IRBuilder,
    ndim: int,
    data: ir.Value,
    owner: ir.Value,
    shape: Sequence[ir.Value],
    strides: Sequence[ir.Value],
) -> ir.Value:
    value: ir.Value = ir.Constant(struct_type(ndim), None)
    value = builder.insert_value(value, data, 0)
    value = builder.insert_value(value, owner, 1)
    for axis in range(ndim):
        value = builder.insert_value(value, shape[axis], [2, axis])
        value = builder.insert_value(value, strides[axis], [3, axis])
    return value


def contiguous_strides(
    builder: ir.IRBuilder, shape: Sequence[ir.Value], itemsize: int, order: str = "C"
) -> list[ir.Value]:
    """Byte strides of a contiguous array of ``shape`` in C or Fortran order."""
    ndim = len(shape)
    strides: list[ir.Value] = [ir.Constant(I64, itemsize)] * ndim
    axes = list(range(ndim - 1, -1, -1)) if order == "C" else list(range(ndim))
    step: ir.Value = ir.Constant(I64, itemsize)
    for axis in axes:
        strides[axis] = step
        step = builder.mul(step, shape[axis], flags=["nsw"])
    return strides


def element_pointer(
    ctx: Context, value: ir.Value, t: Array, indices: Sequence[ir.Value], proven: bool = False
) -> ir.Value:
    """The address of ``value[indices]``: negative indices wrap, each axis is checked
    (IndexError with NumPy's message) unless bounds checks are off. ``proven``: every
    index is already known to lie in ``[0, dim)`` (a check hoisted out of the loop,
    codegen/versioning.py), so it is used as it is.

    For C and Fortran layouts the strides are implied by the shape and the address is
    an element-typed GEP of the linear index, which is what lets LLVM see consecutive
    accesses and vectorise; other layouts use the byte strides.
    """
    b = ctx.builder
    fix: list[ir.Value] = []
    dims = [dim_of(b, value, axis) for axis in range(t.ndim)]
    for axis, index in enumerate(indices):
        dim = dims[axis]
        if proven:
            fix.append(index)
        elif ctx.boundscheck:
            fix.append(_checked_index(ctx, index, dim, axis))
        else:
            negative = b.icmp_signed("<", index, ir.Constant(I64, 0))
            fix.append(b.select(negative, b.add(index, dim), index))
    data = data_of(b, value)
    elem = storage_type(t.dtype)
    if t.layout in ("C", "F"):
        order = fix if t.layout == "C" else fix[::-1]
        order_dims = dims if t.layout == "C" else dims[::-1]
        linear = order[0]
        for axis in range(1, t.ndim):
            linear = b.add(b.mul(linear, order_dims[axis], flags=["nsw"]), order[axis], flags=["nsw"])
        return b.gep(data, [linear], inbounds=True, source_etype=elem)
    offset: ir.Value | None = None
    for axis, index in enumerate(fix):
        term = b.mul(index, stride_of(b, value, axis), flags=["nsw"])
        offset = term if offset is None else b.add(offset, term, flags=["nsw"])
    assert offset is not None
    return b.gep(data, [offset], inbounds=True, source_etype=I8)


def checked_index(ctx: Context, index: ir.Value, dim: ir.Value, axis: int) -> ir.Value:
    """``index`` wrapped if negative and checked against ``dim`` (IndexError naming
    ``axis``), or only wrapped when bounds checks are off."""
    if ctx.boundscheck:
        return _checked_index(ctx, index, dim, axis)
    b = ctx.builder
    return b.select(b.icmp_signed("<", index, ir.Constant(I64, 0)), b.add(index, dim), index)


def _checked_index(ctx: Context, index: ir.Value, dim: ir.Value, axis: int) -> ir.Value:
    """``index`` checked against ``dim``, a negative one wrapped: one unsigned compare on
    the common path (0 <= index < dim, ~5% faster than wrapping first in the sieve
    benchmark); a negative or too large index takes a cold block that wraps it
    (``index + dim``, unsigned-compared again: a still-negative or overflowed sum is
    huge) or raises IndexError."""
    b = ctx.builder
    fn = b.function
    common = b.block
    wrap = fn.append_basic_block("index.wrap")
    error = fn.append_basic_block("index.error")
    done = fn.append_basic_block("index.ok")
    # A negative index is ordinary Python (a[-1]): less likely, not a failure.
    b.cbranch(b.icmp_unsigned("<", index, dim), done, wrap).set_weights([99, 1])
    b.position_at_end(wrap)
    wrapped = b.add(index, dim)
    b.cbranch(b.icmp_unsigned("<", wrapped, dim), done, error).set_weights(LIKELY)
    b.position_at_end(error)
    helper = format_error_helper(
        b.module, "ember.index_error", "IndexError", INDEX_MESSAGE, [I64, I64, I64]
    )
    b.call(helper, [index, ir.Constant(I64, axis), dim])
    ctx.fail()
    b.position_at_end(done)
    fixed = b.phi(I64)
    fixed.add_incoming(index, common)
    fixed.add_incoming(wrapped, wrap)
    return fixed


def load_element(ctx: Context, ptr: ir.Value, dtype: DType) -> ir.Value:
    """Load one element and widen it to its compute type (float32 → double exactly,
    small ints sign/zero-extended, bool byte → i1; a uint64 of 2**63 or more raises
    OverflowError instead of silently turning negative)."""
    b = ctx.builder
    raw = b.load(ptr, typ=storage_type(dtype), align=1)
    if dtype.kind == "f":
        return raw if dtype.itemsize == 8 else b.fpext(raw, F64)
    if dtype.kind == "c":  # complex64 widens exactly, part by part
        return raw if dtype.itemsize == 16 else _complex_parts(b, raw, F64)
    if dtype.kind == "b":
        return b.icmp_unsigned("!=", raw, ir.Constant(I8, 0))
    if dtype.itemsize == 8:
        if dtype.kind == "u":
            with unlikely(ctx, b.icmp_signed("<", raw, ir.Constant(I64, 0))):
                helper = format_error_helper(
                    b.module, "ember.uint64_error", "OverflowError", LOAD_OVERFLOW_MESSAGE, [I64]
                )
                b.call(helper, [raw])
                ctx.fail()
        return raw
    return b.sext(raw, I64) if dtype.kind == "i" else b.zext(raw, I64)


def convert_for_store(ctx: Context, value: ir.Value, dtype: DType) -> ir.Value:
    """A compute-type value → the element's storage value; integers out of the dtype's
    range raise OverflowError as NumPy 2 does for Python ints."""
    b = ctx.builder
    if dtype.kind == "f":
        return value if dtype.itemsize == 8 else b.fptrunc(value, F32)
    if dtype.kind == "c":  # complex64 rounds each part once, as NumPy's cast
        return value if dtype.itemsize == 16 else _complex_parts(b, value, F32)
    if dtype.kind == "b":
        return b.zext(value, I8)
    bits = dtype.itemsize * 8
    if dtype.kind == "u":
        lo, hi = 0, (1 << bits) - 1
    else:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if bits == 64:
        if dtype.kind == "i":
            return value
        bad = b.icmp_signed("<", value, ir.Constant(I64, 0))
    else:
        # One unsigned compare checks both ends: value - lo must be <= hi - lo.
        shifted = b.sub(value, ir.Constant(I64, lo))
        bad = b.icmp_unsigned(">", shifted, ir.Constant(I64, hi - lo))
    with unlikely(ctx, bad):
        raise_store_overflow(ctx, value, dtype)
    return value if bits == 64 else b.trunc(value, ir.IntType(bits))


def _complex_parts(b: ir.IRBuilder, z: ir.Value, part: ir.Type) -> ir.Value:
    """A complex value with both parts converted to ``part`` (float ↔ double)."""
    conv = b.fpext if part == F64 else b.fptrunc
    out = ir.Constant(ir.LiteralStructType([part, part]), ir.Undefined)
    out = b.insert_value(out, conv(b.extract_value(z, 0), part), 0)
    return b.insert_value(out, conv(b.extract_value(z, 1), part), 1)


def raise_store_overflow(ctx: Context, value: ir.Value, dtype: DType) -> None:
    """OverflowError "Python integer <value> out of bounds for <dtype>" (NumPy 2's
    message) and leave through the error exit."""
    b = ctx.builder
    helper = format_error_helper(
        b.module, "ember.store_overflow", "OverflowError", STORE_OVERFLOW_MESSAGE, [I64, PTR]
    )
    b.call(helper, [value, cstring(b.module, dtype.name)])
    ctx.fail()


def store_element(ctx: Context, ptr: ir.Value, dtype: DType, value: ir.Value) -> None:
    b = ctx.builder
    stored = convert_for_store(ctx, value, dtype)
    b.store(stored, ptr, align=1)


@contextmanager
def counted_loop(builder: ir.IRBuilder, count: ir.Value, name: str = "i") -> Iterator[ir.Value]:
    """``for i in range(count)`` in IR (count >= 0); yields ``i``. The body must not
    terminate its block."""
    pre = builder.block
    header = builder.append_basic_block(f"{name}.header")
    body = builder.append_basic_block(f"{name}.body")
    done = builder.append_basic_block(f"{name}.done")
    builder.branch(header)
    builder.position_at_end(header)
    index = builder.phi(I64, name=name)
    index.add_incoming(ir.Constant(I64, 0), pre)
    builder.cbranch(builder.icmp_signed("<", index, count), body, done)
    builder.position_at_end(body)
    yield index
    nxt = builder.add(index, ir.Constant(I64, 1), flags=["nsw", "nuw"])
    index.add_incoming(nxt, builder.block)
    builder.branch(header)
    builder.position_at_end(done)


@contextmanager
def nested_loops(builder: ir.IRBuilder, shape: Sequence[ir.Value]) -> Iterator[list[ir.Value]]:
    """Loops over every multi-index of ``shape`` in C order; yields the indices."""
    with _nest(builder, list(shape), []) as indices:
        yield indices


@contextmanager
def walk_into_c(ctx: Context, shape: Sequence[ir.Value]) -> Iterator[tuple[list[ir.Value], ir.Value]]:
    """:func:`nested_loops` over ``shape`` that also yields ``k``, the running C-order
    position (0, 1, ...): where the element goes in a new C array of that shape. A
    counter in a slot (mem2reg makes it one phi), not ``k`` computed from the indices,
    which would cost a multiply per axis."""
    b = ctx.builder
    slot = ctx.alloca(I64, name="k")
    b.store(ir.Constant(I64, 0), slot)
    with nested_loops(b, shape) as indices:
        k = b.load(slot, typ=I64)
        yield indices, k
        b.store(b.add(k, ir.Constant(I64, 1), flags=["nsw"]), slot)


@contextmanager
def _nest(builder: ir.IRBuilder, shape: list[ir.Value], outer: list[ir.Value]) -> Iterator[list[ir.Value]]:
    if not shape:
        yield outer
        return
    with counted_loop(builder, shape[0], name=f"ax{len(outer)}") as i:
        with _nest(builder, shape[1:], [*outer, i]) as indices:
            yield indices


def unchecked_pointer(builder: ir.IRBuilder, value: ir.Value, t: Array, indices: Sequence[ir.Value]) -> ir.Value:
    """The address of an element whose indices are known in range (loops we generate)."""
    off: ir.Value | None = None
    for axis, index in enumerate(indices):
        term = builder.mul(index, stride_of(builder, value, axis), flags=["nsw"])
        off = term if off is None else builder.add(off, term, flags=["nsw"])
    assert off is not None
    return builder.gep(data_of(builder, value), [off], inbounds=True, source_etype=I8)
