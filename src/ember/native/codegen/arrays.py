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
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary import lists as list_refs
from ember.native.boundary.capi import py_decref, py_incref
from ember.native.boundary.llvm import I1, I64, VOID, storage_type, value_type
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import (
    convert_for_store,
    dim_of,
    element_pointer,
    load_element,
    owner_of,
    size_of,
    store_element,
)
from ember.native.codegen.casts import cast_element
from ember.native.ir import arrays as A
from ember.native.ir import nodes as T
from ember.native.ir.lists import ListGet
from ember.native.ir.nodes import nodes
from ember.native.types import FLOAT64, Array, DType, List, NpScalar, Tuple, Type

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

#: An expression node of the array IR, and any expression a function body holds.
ArrayExpr = (
    A.Index | A.Element | A.ArrayDim | A.ArrayAttr | A.ArrayNew | A.ArrayCopy | A.ArrayRange
    | A.ArrayReduce
)
Expr = T.Expr | ArrayExpr

# ---------------------------------------------- one function's array state
#
# Reference counting, the one rule: every array value stored in a local, in ``%result``
# or in a tuple owns one reference to its ``owner``, except array *parameters* that the
# body never reassigns (borrowed from the caller, who holds them for the call). Reads of
# a local (a ``Name``) are borrowed; ``own`` turns any expression into a new reference.
# Every ``ret`` of a function is preceded by the release of its owned array locals.


class ArrayState:
    """The :class:`~ember.native.codegen.array_access.Context` of one function being
    lowered (``FunctionLowerer.arrays``), plus what the array lowering tracks in it."""

    def __init__(self, gen: FunctionLowerer) -> None:
        self.gen = gen
        self.elements: list[ir.Value] = []  # values of Element nodes, innermost last
        self.pending: list[ir.Value] = []  # temporary new references to release on error
        # The slots of the array locals the function owns (released before every ret).
        self.owned: list[tuple[ir.Value, Type]] = []

    @property
    def builder(self) -> ir.IRBuilder:
        return self.gen.b

    @property
    def boundscheck(self) -> bool:
        return bool(self.gen.options.boundscheck)

    def alloca(self, ty: ir.Type, name: str = "") -> ir.Value:
        return self.gen.alloca(ty, name=name)

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


def holds_arrays(t: Type) -> bool:
    """Whether values of type ``t`` hold references (an array, a list, or a tuple with
    one): lists are counted by the same rule (their own count: boundary/lists.py)."""
    if isinstance(t, Array | List):
        return True
    return isinstance(t, Tuple) and any(holds_arrays(i) for i in t.items)


def _each_owner(b: ir.IRBuilder, value: ir.Value, t: Type) -> Iterator[ir.Value]:
    if isinstance(t, List):
        return  # not a PyObject: incref_all/decref_all count lists themselves
    if isinstance(t, Array):
        yield owner_of(b, value)
        return
    if isinstance(t, Tuple):
        for i, item in enumerate(t.items):
            if holds_arrays(item):
                yield from _each_owner(b, b.extract_value(value, i), item)


def incref_all(b: ir.IRBuilder, value: ir.Value, t: Type) -> None:
    if isinstance(t, List):
        list_refs.incref(b, value)
        return
    if isinstance(t, Tuple) and any(isinstance(i, List) for i in t.items):
        for i, item in enumerate(t.items):
            if holds_arrays(item):
                incref_all(b, b.extract_value(value, i), item)
        return
    for owner in list(_each_owner(b, value, t)):
        py_incref(b, owner)


def decref_all(b: ir.IRBuilder, value: ir.Value, t: Type) -> None:
    if isinstance(t, List):
        list_refs.decref(b, value, t)
        return
    if isinstance(t, Tuple) and any(isinstance(i, List) for i in t.items):
        for i, item in enumerate(t.items):
            if holds_arrays(item):
                decref_all(b, b.extract_value(value, i), item)
        return
    for owner in list(_each_owner(b, value, t)):
        py_decref(b, owner)


def _is_borrowed(e: Expr) -> bool:
    if isinstance(e, T.Name | ListGet):  # an item of a list of lists: its list's
        return True
    if isinstance(e, T.TupleGet):
        return _is_borrowed(e.value)
    if isinstance(e, T.IfExp):
        return _is_borrowed(e.body) and _is_borrowed(e.orelse)
    if isinstance(e, T.BoolOp):
        return all(_is_borrowed(v) for v in e.values)
    return False


def is_borrowed(e: Expr) -> bool:
    """Whether ``e``'s array value is borrowed (a local's) rather than a new reference."""
    return _is_borrowed(e)


def own(gen: FunctionLowerer, e: Expr) -> ir.Value:
    """The value of ``e`` as a new reference (for a local, a result or a tuple item)."""
    b = gen.b
    if isinstance(e, T.MakeTuple):
        assert isinstance(e.type, Tuple)
        items = [own(gen, i) if holds_arrays(i.type) else gen.expr(i) for i in e.items]
        return gen.make_struct(e.type, items)
    if isinstance(e, T.TupleGet) and not _is_borrowed(e.value):
        whole = own(gen, e.value)
        assert isinstance(e.value.type, Tuple)
        for i, item_t in enumerate(e.value.type.items):
            if i != e.index and holds_arrays(item_t):
                decref_all(b, b.extract_value(whole, i), item_t)
        return b.extract_value(whole, e.index)
    v = gen.expr(e)
    if _is_borrowed(e):
        incref_all(b, v, e.type)
    return v


def assign(gen: FunctionLowerer, target: str, e: Expr) -> None:
    """``target = e`` for an array-holding local: take the new reference, release the
    old value (after, so ``a = a`` is safe)."""
    b = gen.b
    new_value = own(gen, e)
    slot, t, _flag = gen.locals[target]
    old = b.load(slot, typ=new_value.type)
    gen.assign(target, new_value)
    decref_all(b, old, t)


def discard(gen: FunctionLowerer, e: Expr) -> None:
    """An expression statement whose value holds arrays (``helper(a)`` returning one)."""
    decref_all(gen.b, own(gen, e), e.type)


def returned(gen: FunctionLowerer, e: Expr) -> ir.Value:
    """The value a ``return e`` stores, as a new reference; an overflow pending at this
    check point (the root's) releases it before raising."""
    v = own(gen, e)
    if not gen.pending_return:
        gen.check_overflow(lambda: decref_all(gen.b, v, e.type))
    return v


def begin_function(gen: FunctionLowerer) -> None:
    """After the locals' slots are made and the parameters stored: zero the array
    locals (so releasing one never assigned is a no-op) and take a reference to every
    array parameter the body reassigns. Nothing for a function without array locals."""
    f = gen.func
    if not any(holds_arrays(t) for _name, t in f.locals):
        return
    b = gen.b
    params = {p.name for p in f.params}
    assigned = {n.target for n in nodes(f.body) if isinstance(n, T.Assign | T.ForRange)}
    owned = gen.arrays.owned
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


def end_function(gen: FunctionLowerer) -> None:
    """Before every ``ret`` of the function: release the owned array locals."""
    owned = gen.arrays.owned
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
def operand(ctx: ArrayState, e: Expr) -> Iterator[ir.Value]:
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


def _with_element(ctx: ArrayState, element: ir.Value, e: Expr) -> ir.Value:
    """The value of ``e`` with ``element`` bound to the :class:`Element` inside it."""
    ctx.elements.append(element)
    try:
        return ctx.gen.expr(e)
    finally:
        ctx.elements.pop()


def with_element(ctx: ArrayState, element: ir.Value, e: Expr) -> ir.Value:
    """The value of ``e`` with ``element`` bound to the :class:`Element` inside it."""
    return _with_element(ctx, element, e)


# ------------------------------------------------ expressions (see ir.arrays)
#
# The dispatcher in codegen/function.py maps each node class to one of these.


def element(gen: FunctionLowerer, e: A.Element) -> ir.Value:
    return gen.arrays.elements[-1]


def index(gen: FunctionLowerer, e: A.Index) -> ir.Value:
    ctx = gen.arrays
    # Indices first: only then the array (a temporary is held the shortest time).
    indices = [gen.expr(i) for i in e.indices]
    with operand(ctx, e.array) as v:
        ptr = element_pointer(ctx, v, e.array.type, indices, id(e) in gen.safe_index)
        if isinstance(e.type, NpScalar):  # the element as NumPy's scalar: as stored
            result = gen.b.load(ptr, typ=storage_type(e.array.type.dtype), align=1)
        else:
            result = load_element(ctx, ptr, e.array.type.dtype)
    return result


def dim(gen: FunctionLowerer, e: A.ArrayDim) -> ir.Value:
    with operand(gen.arrays, e.array) as v:
        result = dim_of(gen.b, v, e.axis)
    return result


def attr(gen: FunctionLowerer, e: A.ArrayAttr) -> ir.Value:
    b = gen.b
    t = e.array.type
    with operand(gen.arrays, e.array) as v:
        if e.attr == "size":
            result = size_of(b, v, t.ndim)
        else:
            result = gen.make_struct(e.type, [dim_of(b, v, k) for k in range(t.ndim)])
    return result


def new_array(gen: FunctionLowerer, e: A.ArrayNew) -> ir.Value:
    ctx = gen.arrays
    b = gen.b
    shape_value = gen.expr(e.shape)
    shape = [b.extract_value(shape_value, k) for k in range(e.type.ndim)]
    fill = None if e.fill is None else gen.expr(e.fill)
    ctx.check_overflow()  # no allocation sized by a wrapped value
    value = new.new_array(ctx, e.type, shape, zero=e.kind == "zeros")
    if fill is not None:
        # NumPy's np.full is empty(shape) then copyto(fill): a bad shape raises
        # before the fill value is converted (and may raise OverflowError).
        ctx.pending.append(owner_of(b, value))
        if e.fill.type == FLOAT64 and e.type.dtype.kind in "iu":  # copyto's unsafe cast
            stored = cast_element(b, fill, DType("float64"), e.type.dtype)
        else:
            if e.stored is not None:  # the fill's conversion to the element (typed IR)
                fill = _with_element(ctx, fill, e.stored)
            stored = convert_for_store(ctx, fill, e.type.dtype)
        ctx.pending.pop()
        new.fill(ctx, value, e.type, stored)
    return value


def copy(gen: FunctionLowerer, e: A.ArrayCopy) -> ir.Value:
    ctx = gen.arrays
    t = e.array.type
    with operand(ctx, e.array) as src:
        shape = [dim_of(gen.b, src, k) for k in range(t.ndim)]
        dst = new.new_array(ctx, e.type, shape, zero=False)
        new.copy_into(ctx, dst, src, t)
    return dst


def arange(gen: FunctionLowerer, e: A.ArrayRange) -> ir.Value:
    start, stop, step = gen.expr(e.start), gen.expr(e.stop), gen.expr(e.step)
    gen.arrays.check_overflow()
    return new.arange(gen.arrays, e.type, start, stop, step)


def reduce(gen: FunctionLowerer, e: A.ArrayReduce) -> ir.Value:
    with operand(gen.arrays, e.array) as v:
        result = new.reduce(gen.arrays, e.op, v, e.array.type)
    if result.type != value_type(e.type):
        result = gen.b.trunc(result, I1)  # min/max of a bool array
    return result


# ----------------------------------------------------------------- statements


def set_item(gen: FunctionLowerer, s: A.SetItem) -> None:
    """``a[i, ...] = v``. Python's order: the value, the array, the indices; the
    conversion to the element type only after the bounds check (NumPy's IndexError
    comes first). Inference has put a computed array into a local, so ``v`` is
    borrowed here."""
    ctx = gen.arrays
    t = s.array.type
    value = gen.expr(s.value)
    with operand(ctx, s.array) as v:
        indices = [gen.expr(i) for i in s.indices]
        ptr = element_pointer(ctx, v, t, indices, id(s) in gen.safe_index)
        ctx.check_overflow()  # a check point: no wrapped value is ever stored
        if s.stored is not None:
            value = _with_element(ctx, value, s.stored)
        store_element(ctx, ptr, t.dtype, value)


def aug_set_item(gen: FunctionLowerer, s: A.AugSetItem) -> None:
    """``a[i, ...] op= v``: the array, the indices, the load, the value, the store
    (Python's order)."""
    ctx = gen.arrays
    t = s.array.type
    with operand(ctx, s.array) as v:
        indices = [gen.expr(i) for i in s.indices]
        ptr = element_pointer(ctx, v, t, indices, id(s) in gen.safe_index)
        value = _with_element(ctx, load_element(ctx, ptr, t.dtype), s.value)
        ctx.check_overflow()
        store_element(ctx, ptr, t.dtype, value)


def release_call_arguments(gen: FunctionLowerer, args: Sequence[Expr],
                           values: Sequence[ir.Value]) -> None:
    """After a call of a jitted function: release array arguments that were temporaries
    (the callee borrowed them)."""
    for a, v in zip(args, values, strict=True):
        if holds_arrays(a.type) and not _is_borrowed(a):
            decref_all(gen.b, v, a.type)
