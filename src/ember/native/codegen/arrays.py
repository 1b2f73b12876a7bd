"""Array typed IR → LLVM IR: the array struct, element addresses, loads and stores.

An array value is a literal struct, held in registers (locals live in allocas that
LLVM's mem2reg turns into SSA values, so shape, strides and data pointer are loaded once
and are loop invariant)::

    { ptr data, ptr owner, [ndim x i64] shape, [ndim x i64] strides }

``owner`` is the ``PyObject*`` that keeps ``data`` alive: the argument object for an
argument, the NumPy array for an array created in compiled code. Specializations take
array parameters as a pointer to this struct (the ABI) and return it by value through
``%result``. ``a[i, j]`` of a C-ordered float64 array lowers to::

    %j.neg = icmp slt i64 %j, 0 ; wrap negative indices, then one unsigned compare
    %j.w = select i1 %j.neg, i64 %j.plus, i64 %j   ; per axis, failing to a cold block
    %lin = add nsw (mul nsw %i.w, %shape1), %j.w   ; that raises IndexError
    %p = getelementptr inbounds double, ptr %data, i64 %lin

Element conversions follow :func:`ember.native.ir.arrays.compute_type`; creating
arrays goes through NumPy's C API table (:mod:`ember.native.codegen.array_ops`).
llvmlite.ir only (no binding).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import llvmlite.ir as ir

from ember.native.boundary.capi import py_decref, py_incref
from ember.native.boundary.llvm import I1, I64, VOID, value_type
from ember.native.codegen.array_access import (
    convert_for_store,
    dim_of,
    element_pointer,
    load_element,
    owner_of,
    size_of,
    store_element,
)
from ember.native.types import Array

# ------------------------------------------------------------ module helpers


# ------------------------------------------------------------- struct access


# ---------------------------------------------------------- element access


# ------------------------------------------------------------------- loops


# ------------------------------------------------ the scalar lowering's hooks
#
# ``gen`` is lower.py's FunctionLowerer: ``gen.b`` (builder), ``gen.expr(e)``,
# ``gen.locals`` (name → (slot, type, flag)), ``gen.fail_block()``, ``gen.func``.
#
# Reference counting, the one rule: every array value stored in a local, in ``%result``
# or in a tuple owns one reference to its ``owner``, except array *parameters* that the
# body never reassigns (borrowed from the caller, who holds them for the call). Reads of
# a local (a ``Name``) are borrowed; ``own`` turns any expression into a new reference.
# Every ``ret`` of a function is preceded by the release of its owned array locals.


class GenContext:
    """The :class:`Context` of one function being lowered, plus the array state."""

    def __init__(self, gen: Any) -> None:
        self.gen = gen
        self.elements: list[ir.Value] = []  # values of Element nodes, innermost last
        self.pending: list[ir.Value] = []  # temporary new references to release on error

    @property
    def builder(self) -> ir.IRBuilder:
        return self.gen.b

    @property
    def boundscheck(self) -> bool:
        return bool(self.gen.options.boundscheck)

    def fail(self) -> None:
        for owner in self.pending:
            py_decref(self.builder, owner)
        self.builder.branch(self.gen.fail_block())

    def check_overflow(self) -> None:
        """A check point of the sticky overflow flag (before a store or an
        allocation), releasing the temporaries on the raising path."""
        pending = list(self.pending)

        def cleanup() -> None:
            for owner in pending:
                py_decref(self.builder, owner)

        self.gen.check_overflow(cleanup if pending else None)


def context(gen: Any) -> GenContext:
    ctx = getattr(gen, "_ember_arrays", None)
    if ctx is None:
        ctx = GenContext(gen)
        gen._ember_arrays = ctx
    return ctx


def holds_arrays(t: Any) -> bool:
    """Whether values of type ``t`` hold array references (an array, or a tuple with one)."""
    if isinstance(t, Array):
        return True
    items = getattr(t, "items", None)
    return isinstance(items, tuple) and any(holds_arrays(i) for i in items)


def _each_owner(b: ir.IRBuilder, value: ir.Value, t: Any) -> Iterator[ir.Value]:
    if isinstance(t, Array):
        yield owner_of(b, value)
        return
    for i, item in enumerate(getattr(t, "items", ())):
        if holds_arrays(item):
            yield from _each_owner(b, b.extract_value(value, i), item)


def incref_all(b: ir.IRBuilder, value: ir.Value, t: Any) -> None:
    for owner in list(_each_owner(b, value, t)):
        py_incref(b, owner)


def decref_all(b: ir.IRBuilder, value: ir.Value, t: Any) -> None:
    for owner in list(_each_owner(b, value, t)):
        py_decref(b, owner)


def _is_borrowed(e: Any) -> bool:
    kind = type(e).__name__
    if kind == "Name":
        return True
    if kind == "TupleGet":
        return _is_borrowed(e.value)
    if kind in ("IfExp",):
        return _is_borrowed(e.body) and _is_borrowed(e.orelse)
    if kind == "BoolOp":
        return all(_is_borrowed(v) for v in e.values)
    return False


def own(gen: Any, e: Any) -> ir.Value:
    """The value of ``e`` as a new reference (for a local, a result or a tuple item)."""
    b = gen.b
    kind = type(e).__name__
    if kind == "MakeTuple":
        items = [own(gen, i) if holds_arrays(i.type) else gen.expr(i) for i in e.items]
        return gen.make_struct(e.type, items)
    if kind == "TupleGet" and not _is_borrowed(e.value):
        whole = own(gen, e.value)
        for i, item_t in enumerate(e.value.type.items):
            if i != e.index and holds_arrays(item_t):
                decref_all(b, b.extract_value(whole, i), item_t)
        return b.extract_value(whole, e.index)
    v = gen.expr(e)
    if _is_borrowed(e):
        incref_all(b, v, e.type)
    return v


def assign(gen: Any, target: str, e: Any) -> None:
    """``target = e`` for an array-holding local: take the new reference, release the
    old value (after, so ``a = a`` is safe)."""
    b = gen.b
    new = own(gen, e)
    slot, t, _flag = gen.locals[target]
    old = b.load(slot, typ=new.type)
    gen.assign(target, new)
    decref_all(b, old, t)


def discard(gen: Any, e: Any) -> None:
    """An expression statement whose value holds arrays (``helper(a)`` returning one)."""
    decref_all(gen.b, own(gen, e), e.type)


def _assigned_names(body: Sequence[Any]) -> set[str]:
    names: set[str] = set()
    for s in body:
        kind = type(s).__name__
        if kind == "Assign":
            names.add(s.target)
        elif kind == "ForRange":
            names.add(s.target)
        for field in ("body", "orelse"):
            names |= _assigned_names(getattr(s, field, ()))
    return names


def begin_function(gen: Any) -> None:
    """After the locals' slots are made and the parameters stored: zero the array
    locals (so releasing one never assigned is a no-op) and take a reference to every
    array parameter the body reassigns."""
    b = gen.b
    f = gen.func
    params = {p.name for p in f.params}
    assigned = _assigned_names(f.body)
    owned: list[tuple[ir.Value, Any]] = []
    for name, (slot, t, _flag) in gen.locals.items():
        if not holds_arrays(t):
            continue
        if name in params and isinstance(t, Array):
            _assume_dims(b, b.load(slot, typ=value_type(t)), t)
        if name in params:
            if name not in assigned:
                continue  # borrowed for the whole call
            incref_all(b, b.load(slot, typ=value_type(t)), t)
        else:
            b.store(ir.Constant(value_type(t), None), slot)
        owned.append((slot, t))
    context(gen).owned = owned  # type: ignore[attr-defined]


def _assume_dims(b: ir.IRBuilder, value: ir.Value, t: Array) -> None:
    """Tell LLVM what every buffer guarantees: each extent times the item size fits in
    a Py_ssize_t (NumPy refuses bigger arrays, even broadcast views). With ``i`` and
    ``j`` below an extent, ``i + j`` then provably never overflows and its check goes."""
    fn = b.module.globals.get("llvm.assume")
    if fn is None:
        fn = ir.Function(b.module, ir.FunctionType(VOID, [I1]), "llvm.assume")
    limit = ir.Constant(I64, (2**63 - 1) // max(1, t.dtype.itemsize))
    for axis in range(t.ndim):
        b.call(fn, [b.icmp_unsigned("<=", dim_of(b, value, axis), limit)])


def end_function(gen: Any) -> None:
    """Before every ``ret`` of the function: release the owned array locals."""
    owned = getattr(context(gen), "owned", [])
    if not owned:
        return
    b = gen.b
    saved = b.block
    for blk in list(gen.fn.blocks):
        term = blk.terminator
        if term is None or term.opname != "ret":
            continue
        b.position_before(term)
        for slot, t in owned:
            decref_all(b, b.load(slot, typ=value_type(t)), t)
    b.position_at_end(saved)


@contextmanager
def operand(ctx: GenContext, e: Any) -> Iterator[ir.Value]:
    """An array operand used in place: borrowed if it is a local, otherwise a temporary
    reference released after the use (and on the error paths inside it)."""
    gen = ctx.gen
    if _is_borrowed(e):
        yield gen.expr(e)
        return
    value = gen.expr(e)
    owner = owner_of(ctx.builder, value)
    ctx.pending.append(owner)
    try:
        yield value
    finally:
        ctx.pending.pop()
    py_decref(ctx.builder, owner)


def lower_expr(gen: Any, e: Any) -> ir.Value:
    """The value of an array expression node (see typed_ir_arrays)."""
    from ember.native.codegen import array_ops as new

    ctx = context(gen)
    b = gen.b
    kind = type(e).__name__
    if kind == "Element":
        return ctx.elements[-1]
    if kind == "Index":
        # Indices first: only then the array (a temporary is held the shortest time).
        indices = [gen.expr(i) for i in e.indices]
        with operand(ctx, e.array) as v:
            ptr = element_pointer(ctx, v, e.array.type, indices)
            result = load_element(ctx, ptr, e.array.type.dtype)
        return result
    if kind == "ArrayDim":
        with operand(ctx, e.array) as v:
            result = dim_of(b, v, e.axis)
        return result
    if kind == "ArrayAttr":
        t = e.array.type
        with operand(ctx, e.array) as v:
            if e.attr == "size":
                result = size_of(b, v, t.ndim)
            else:
                result = gen.make_struct(e.type, [dim_of(b, v, k) for k in range(t.ndim)])
        return result
    if kind == "ArrayNew":
        shape_value = gen.expr(e.shape)
        shape = [b.extract_value(shape_value, k) for k in range(e.type.ndim)]
        fill = None if e.fill is None else gen.expr(e.fill)
        ctx.check_overflow()  # no allocation sized by a wrapped value
        value = new.new_array(ctx, e.type, shape, zero=e.kind == "zeros")
        if fill is not None:
            # NumPy's np.full is empty(shape) then copyto(fill): a bad shape raises
            # before the fill value is converted (and may raise OverflowError).
            ctx.pending.append(owner_of(b, value))
            if e.stored is not None:  # the fill's conversion to the element (typed IR)
                ctx.elements.append(fill)
                try:
                    fill = gen.expr(e.stored)
                finally:
                    ctx.elements.pop()
            stored = convert_for_store(ctx, fill, e.type.dtype)
            ctx.pending.pop()
            new.fill(ctx, value, e.type, stored)
        return value
    if kind == "ArrayCopy":
        t = e.array.type
        with operand(ctx, e.array) as src:
            shape = [dim_of(b, src, k) for k in range(t.ndim)]
            dst = new.new_array(ctx, e.type, shape, zero=False)
            new.copy_into(ctx, dst, src, t)
        return dst
    if kind == "ArrayMap":
        with operand(ctx, e.array) as src:
            dst = new.array_map(ctx, e.func, src, e.array.type, e.type)
        return dst
    if kind == "ArrayRange":
        start, stop, step = gen.expr(e.start), gen.expr(e.stop), gen.expr(e.step)
        ctx.check_overflow()
        return new.arange(ctx, e.type, start, stop, step)
    if kind == "ArrayReduce":
        with operand(ctx, e.array) as v:
            result = new.reduce(ctx, e.op, v, e.array.type)
        if result.type != value_type(e.type):
            result = b.trunc(result, I1)  # min/max of a bool array
        return result
    raise NotImplementedError(f"lowering of {kind}")


def lower_stmt(gen: Any, s: Any) -> None:
    """``a[i, ...] = v`` and ``a[i, ...] op= v``."""
    ctx = context(gen)
    kind = type(s).__name__
    t = s.array.type
    if kind == "SetItem":
        # Python's order: the value, the array, the indices; the conversion to the
        # element type only after the bounds check (NumPy's IndexError comes first).
        # Inference has put a computed array into a local, so ``v`` is borrowed here.
        value = gen.expr(s.value)
        with operand(ctx, s.array) as v:
            indices = [gen.expr(i) for i in s.indices]
            ptr = element_pointer(ctx, v, t, indices)
            ctx.check_overflow()  # a check point: no wrapped value is ever stored
            if s.stored is not None:
                ctx.elements.append(value)
                try:
                    value = gen.expr(s.stored)
                finally:
                    ctx.elements.pop()
            store_element(ctx, ptr, t.dtype, value)
        return
    if kind == "AugSetItem":
        # The array, the indices, the load, the value, the store (Python's order).
        with operand(ctx, s.array) as v:
            indices = [gen.expr(i) for i in s.indices]
            ptr = element_pointer(ctx, v, t, indices)
            ctx.elements.append(load_element(ctx, ptr, t.dtype))
            try:
                value = gen.expr(s.value)
            finally:
                ctx.elements.pop()
            ctx.check_overflow()
            store_element(ctx, ptr, t.dtype, value)
        return
    raise NotImplementedError(f"lowering of {kind}")


def release_call_arguments(gen: Any, args: Sequence[Any], values: Sequence[ir.Value]) -> None:
    """After a call of a jitted function: release array arguments that were temporaries
    (the callee borrowed them)."""
    for a, v in zip(args, values, strict=True):
        if holds_arrays(a.type) and not _is_borrowed(a):
            decref_all(gen.b, v, a.type)
