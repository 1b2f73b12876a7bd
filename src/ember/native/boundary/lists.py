"""The list value at the C boundary: its header layout and reference count (what
codegen/list_refs.py builds on), a Python list argument unboxed and *reflected* (its
changes written back into the same list object on every exit), a returned list boxed.

The header, a ``ptr`` in registers::

    { i64 refcnt, i64 len, i64 cap, ptr data, ptr parent, i64 dirty }

``data`` holds ``cap`` unboxed items (``value_type(item)``), the first ``len`` of them
the list's. ``parent`` is the Python list an argument came from (a reference of its own, so
an inner list's object outlives a write back that replaces it), NULL for a list made
in compiled code; ``dirty`` is set by
every mutation, so only a changed argument is written back (``PyList_SetSlice`` of the
whole list: the object keeps its identity, the caller sees the new items). A returned
list with a parent is that parent (as Python returns the argument itself). The count is
not atomic: compiled code runs holding the GIL and its lists never cross threads. NULL
is "no list" (a local not assigned yet): incref and decref accept it.

Layout facts used: ``PyListObject.ob_item`` at 24, ``ob_size`` at 16 (64-bit CPython).
llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from ember.native.boundary.capi import CApi, extern_function
from ember.native.boundary.llvm import I8, I32, I64, PTR, VOID, entry_alloca, value_type
from ember.native.types import Array, List, Tuple, Type

REFCNT, LEN, CAP, DATA, PARENT, DIRTY = 0, 8, 16, 24, 32, 40
HEADER_SIZE = 48
OFF_SIZE, OFF_ITEMS, OFF_TYPE = 16, 24, 8
NULL = ir.Constant(PTR, None)

# Callbacks into boundary/abi.py (which imports this module): one item boxed, unboxed.
Boxer = Callable[[ir.IRBuilder, CApi, ir.Value, Type], ir.Value]
Unboxer = Callable[[ir.IRBuilder, CApi, ir.Value, Type, ir.Block, list], ir.Value]


def item_type(t: List) -> ir.Type:
    """How one item is held in the buffer (a byte for ``list[?]``: a list nothing was
    ever put into, so never read)."""
    return I8 if t.item is None else value_type(t.item)


def size_of(ty: ir.Type) -> ir.Constant:
    """``sizeof(ty)`` on x86-64 and arm64 (C's layout: each field at its alignment)."""
    return ir.Constant(I64, _layout(ty)[0])


def _layout(ty: ir.Type) -> tuple[int, int]:
    """(size, alignment): i1/i8 a byte, i64/double/ptr 8, a struct laid out as C's."""
    if isinstance(ty, ir.LiteralStructType):
        offset, align = 0, 1
        for field in ty.elements:
            size, a = _layout(field)
            offset = -(-offset // a) * a + size
            align = max(align, a)
        return -(-offset // align) * align, align
    if isinstance(ty, ir.ArrayType):  # an array value's shape and strides
        size, a = _layout(ty.element)
        return size * ty.count, a
    if isinstance(ty, ir.IntType):
        n = max(1, ty.width // 8)
        return n, n
    return 8, 8  # double, ptr


def at(b: ir.IRBuilder, lst: ir.Value, offset: int) -> ir.Value:
    return b.gep(lst, [ir.Constant(I64, offset)], source_etype=I8)


def load(b: ir.IRBuilder, lst: ir.Value, offset: int) -> ir.Value:
    """A header field: ``LEN``, ``CAP``, ``REFCNT``, ``DIRTY`` (i64) or ``DATA``,
    ``PARENT`` (ptr)."""
    return b.load(at(b, lst, offset), typ=PTR if offset in (DATA, PARENT) else I64)


def store(b: ir.IRBuilder, lst: ir.Value, offset: int, value: ir.Value) -> None:
    b.store(value, at(b, lst, offset))


def item_pointer(b: ir.IRBuilder, t: List, lst: ir.Value, i: ir.Value) -> ir.Value:
    return b.gep(load(b, lst, DATA), [i], source_etype=item_type(t))


def mark_dirty(b: ir.IRBuilder, lst: ir.Value) -> None:
    store(b, lst, DIRTY, ir.Constant(I64, 1))


# ------------------------------------------------------------ reference counts


def holds_references(t: Type | None) -> bool:
    """Whether items of type ``t`` hold references (a list or an array, or a tuple with
    one): copying one takes a reference, dropping one releases it."""
    if isinstance(t, List | Array):
        return True
    return isinstance(t, Tuple) and any(holds_references(i) for i in t.items)


def incref(b: ir.IRBuilder, lst: ir.Value) -> None:
    b.call(_refcount_function(b.module, "incref"), [lst])


def decref(b: ir.IRBuilder, lst: ir.Value, t: List | None = None) -> None:
    """Release one reference to ``lst`` (of type ``t``: needed when its items hold
    references, which the last release releases in turn)."""
    if t is not None and holds_references(t.item):
        b.call(_release_function(b.module, t), [lst])
        return
    b.call(_refcount_function(b.module, "decref"), [lst])


def incref_item(b: ir.IRBuilder, value: ir.Value, t: Type) -> None:
    """Take a reference for an item value of type ``t``."""
    if isinstance(t, List):
        incref(b, value)
    elif isinstance(t, Array):
        b.call(extern_function(b.module, "Py_IncRef", VOID, [PTR]), [b.extract_value(value, 1)])
    elif isinstance(t, Tuple):
        for k, item in enumerate(t.items):
            if holds_references(item):
                incref_item(b, b.extract_value(value, k), item)


def decref_item(b: ir.IRBuilder, value: ir.Value, t: Type) -> None:
    """Release the reference an item value of type ``t`` holds."""
    if isinstance(t, List):
        decref(b, value, t)
    elif isinstance(t, Array):
        b.call(extern_function(b.module, "Py_DecRef", VOID, [PTR]), [b.extract_value(value, 1)])
    elif isinstance(t, Tuple):
        for k, item in enumerate(t.items):
            if holds_references(item):
                decref_item(b, b.extract_value(value, k), item)


def _release_function(module: ir.Module, t: List) -> ir.Function:
    """``ember.list.release.<type>(ptr)``: decref; the last reference releases each
    item, then frees the buffer and the header."""
    name = "ember.list.release." + "".join(c if c.isalnum() else "_" for c in str(t))
    fn = module.globals.get(name)
    if fn is not None:
        return fn  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR]), name)
    fn.linkage = "private"
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    lst = fn.args[0]
    with b.if_then(b.icmp_unsigned("!=", lst, NULL)):
        count = b.sub(load(b, lst, REFCNT), ir.Constant(I64, 1))
        store(b, lst, REFCNT, count)
        with b.if_then(b.icmp_signed("==", count, ir.Constant(I64, 0))):
            for_items(b, t, lst, ir.Constant(I64, 0), load(b, lst, LEN),
                      lambda v: decref_item(b, v, t.item))  # type: ignore[arg-type]
            _free(b, lst)
    b.ret_void()
    return fn


def for_items(b: ir.IRBuilder, t: List, lst: ir.Value, start: ir.Value, stop: ir.Value,
              body: Callable[[ir.Value], None]) -> None:
    """``body(item)`` for the items ``start <= i < stop`` of ``lst`` (no error exits)."""
    fn = b.function
    counter = entry_alloca(b, I64)
    b.store(start, counter)
    head, loop, done = (fn.append_basic_block("items.head"), fn.append_basic_block("items"),
                        fn.append_basic_block("items.done"))
    b.branch(head)
    b.position_at_end(head)
    i = b.load(counter, typ=I64)
    b.cbranch(b.icmp_signed("<", i, stop), loop, done)
    b.position_at_end(loop)
    body(b.load(item_pointer(b, t, lst, i), typ=item_type(t)))
    b.store(b.add(b.load(counter, typ=I64), ir.Constant(I64, 1)), counter)
    b.branch(head)
    b.position_at_end(done)


def _refcount_function(module: ir.Module, which: str) -> ir.Function:
    """``ember.list.incref(ptr)`` / ``ember.list.decref(ptr)`` (NULL: nothing); the last
    reference frees the buffer and the header (items hold no references)."""
    name = f"ember.list.{which}"
    fn = module.globals.get(name)
    if fn is not None:
        return fn  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR]), name)
    fn.linkage = "private"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    lst = fn.args[0]
    with b.if_then(b.icmp_unsigned("!=", lst, NULL)):
        delta = 1 if which == "incref" else -1
        count = b.add(load(b, lst, REFCNT), ir.Constant(I64, delta))
        store(b, lst, REFCNT, count)
        if which == "decref":
            with b.if_then(b.icmp_signed("==", count, ir.Constant(I64, 0))):
                _free(b, lst)
    b.ret_void()
    return fn


def _free(b: ir.IRBuilder, lst: ir.Value) -> None:
    """Free a list whose last reference is gone (its items released already): the
    reference to its parent, the buffer, the header."""
    parent = load(b, lst, PARENT)
    with b.if_then(b.icmp_unsigned("!=", parent, NULL)):
        b.call(extern_function(b.module, "Py_DecRef", VOID, [PTR]), [parent])
    free = extern_function(b.module, "free", VOID, [PTR])
    b.call(free, [load(b, lst, DATA)])
    b.call(free, [lst])


def alloc_function(module: ir.Module) -> ir.Function:
    """``ptr @ember.list.alloc(i64 len, i64 itemsize)``: a list of ``len`` items (not
    set), refcount 1, room for at least 4; NULL with MemoryError set if the memory is
    not there (or the size is beyond any memory, as CPython's ``[0] * 2**62``)."""
    fn = module.globals.get("ember.list.alloc")
    if fn is not None:
        return fn  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(PTR, [I64, I64]), "ember.list.alloc")
    fn.linkage = "private"
    fn.attributes.add("nounwind")
    length, itemsize = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    no_memory = fn.append_basic_block("nomem")
    malloc = extern_function(module, "malloc", PTR, [I64])
    free = extern_function(module, "free", VOID, [PTR])
    four = ir.Constant(I64, 4)
    cap = b.select(b.icmp_signed("<", length, four), four, length)
    too_big = b.icmp_unsigned(">", cap, b.udiv(ir.Constant(I64, 2**62), itemsize))
    sized = fn.append_basic_block("sized")
    b.cbranch(too_big, no_memory, sized)
    b.position_at_end(sized)
    lst = b.call(malloc, [ir.Constant(I64, HEADER_SIZE)])
    got_header = fn.append_basic_block("header")
    b.cbranch(b.icmp_unsigned("==", lst, NULL), no_memory, got_header)
    b.position_at_end(got_header)
    data = b.call(malloc, [b.mul(cap, itemsize)])
    got_data = fn.append_basic_block("data")
    lost = fn.append_basic_block("lost")
    b.cbranch(b.icmp_unsigned("==", data, NULL), lost, got_data)
    b.position_at_end(lost)
    b.call(free, [lst])
    b.branch(no_memory)
    b.position_at_end(got_data)
    store(b, lst, REFCNT, ir.Constant(I64, 1))
    store(b, lst, LEN, length)
    store(b, lst, CAP, cap)
    store(b, lst, DATA, data)
    store(b, lst, PARENT, NULL)
    store(b, lst, DIRTY, ir.Constant(I64, 0))
    b.ret(lst)
    b.position_at_end(no_memory)
    b.call(extern_function(module, "PyErr_NoMemory", PTR, []), [])
    b.ret(NULL)
    return fn


# ----------------------------------------------------------------- boxing


def box_list(builder: ir.IRBuilder, capi: CApi, lst: ir.Value, t: List, box: Boxer) -> ir.Value:
    """The Python list for a returned list value, whose reference this consumes: the
    argument it came from (written back first), else a new ``list`` of boxed items.
    NULL with an exception set if boxing failed."""
    fn = builder.function
    result = entry_alloca(builder, PTR)
    parent = load(builder, lst, PARENT)
    reflected, fresh, done = (fn.append_basic_block("list.parent"),
                              fn.append_basic_block("list.fresh"),
                              fn.append_basic_block("list.boxed"))
    builder.cbranch(builder.icmp_unsigned("!=", parent, NULL), reflected, fresh)
    builder.position_at_end(reflected)
    write_back(builder, capi, lst, t, box)
    builder.call(capi.fn("Py_IncRef"), [parent])
    builder.store(parent, result)
    builder.branch(done)
    builder.position_at_end(fresh)
    builder.store(new_python_list(builder, capi, lst, t, box), result)
    builder.branch(done)
    builder.position_at_end(done)
    decref(builder, lst, t)
    return builder.load(result, typ=PTR)


def new_python_list(builder: ir.IRBuilder, capi: CApi, lst: ir.Value, t: List,
                    box: Boxer, start: ir.Value | None = None) -> ir.Value:
    """A new Python ``list`` of the items (from index ``start``) boxed; NULL with an
    exception set if that failed."""
    if t.item is None:  # nothing was ever put into it: empty
        return builder.call(extern_function(builder.module, "PyList_New", PTR, [I64]),
                            [ir.Constant(I64, 0)])
    fn = builder.function
    first = ir.Constant(I64, 0) if start is None else start
    n = builder.sub(load(builder, lst, LEN), first)
    out = builder.call(extern_function(builder.module, "PyList_New", PTR, [I64]), [n])
    result = entry_alloca(builder, PTR)
    builder.store(out, result)
    counter = entry_alloca(builder, I64)
    builder.store(ir.Constant(I64, 0), counter)
    head, body, fail, done = (fn.append_basic_block("pylist.head"),
                              fn.append_basic_block("pylist.item"),
                              fn.append_basic_block("pylist.fail"),
                              fn.append_basic_block("pylist.done"))
    builder.cbranch(builder.icmp_unsigned("==", out, NULL), done, head)
    builder.position_at_end(head)
    i = builder.load(counter, typ=I64)
    builder.cbranch(builder.icmp_signed("<", i, n), body, done)
    builder.position_at_end(body)
    value = builder.load(item_pointer(builder, t, lst, builder.add(i, first)), typ=item_type(t))
    incref_item(builder, value, t.item)  # boxing an array or list hands its reference over
    obj = box(builder, capi, value, t.item)
    stored = fn.append_basic_block("pylist.store")
    builder.cbranch(builder.icmp_unsigned("==", obj, NULL), fail, stored)
    builder.position_at_end(stored)
    # PyList_SET_ITEM: ob_item[i] = obj (steals the reference; the slot is empty).
    items = builder.load(builder.gep(out, [ir.Constant(I64, OFF_ITEMS)], source_etype=I8),
                         typ=PTR)
    builder.store(obj, builder.gep(items, [i], source_etype=PTR))
    builder.store(builder.add(i, ir.Constant(I64, 1)), counter)
    builder.branch(head)
    builder.position_at_end(fail)
    builder.call(capi.fn("Py_DecRef"), [out])
    builder.store(NULL, result)
    builder.branch(done)
    builder.position_at_end(done)
    return builder.load(result, typ=PTR)


def write_back(builder: ir.IRBuilder, capi: CApi, lst: ir.Value, t: List, box: Boxer) -> None:
    """If the reflected list ``lst`` changed, its parent (the same list object) gets
    its items: an item equal to the parent's at the same index keeps its object (only
    changed items are boxed), then the parent grows or shrinks to the new length. A
    pending exception (an error exit) is kept as it is."""
    if t.item is None:
        return  # never an argument (their items have a type), never written to
    fn = builder.function
    dirty = builder.icmp_signed("!=", load(builder, lst, DIRTY), ir.Constant(I64, 0))
    if isinstance(t.item, List):  # an inner list may have changed: always visited
        dirty = ir.Constant(ir.IntType(1), 1)
    go, done = fn.append_basic_block("reflect.write"), fn.append_basic_block("reflect.done")
    builder.cbranch(dirty, go, done)
    builder.position_at_end(go)
    saved = [entry_alloca(builder, PTR) for _ in range(3)]
    module = builder.module
    fetch = extern_function(module, "PyErr_Fetch", VOID, [PTR, PTR, PTR])
    restore = extern_function(module, "PyErr_Restore", VOID, [PTR, PTR, PTR])
    builder.call(fetch, saved)
    parent = load(builder, lst, PARENT)
    n = load(builder, lst, LEN)
    old_n = builder.load(builder.gep(parent, [ir.Constant(I64, OFF_SIZE)], source_etype=I8),
                         typ=I64)
    common = builder.select(builder.icmp_signed("<", n, old_n), n, old_n)
    _write_items(builder, capi, lst, t, box, parent, common)
    tail, after = fn.append_basic_block("reflect.tail"), fn.append_basic_block("reflect.after")
    builder.branch(tail)
    builder.position_at_end(tail)
    set_slice = extern_function(module, "PyList_SetSlice", I32, [PTR, I64, I64, PTR])
    shrink, grow = fn.append_basic_block("reflect.shrink"), fn.append_basic_block("reflect.grow")
    builder.cbranch(builder.icmp_signed("<", n, old_n), shrink, grow)
    builder.position_at_end(shrink)
    builder.call(set_slice, [parent, n, old_n, NULL])  # del parent[n:]
    builder.branch(after)
    builder.position_at_end(grow)
    with builder.if_then(builder.icmp_signed(">", n, old_n)):
        rest = new_python_list(builder, capi, lst, t, box, start=old_n)
        with builder.if_then(builder.icmp_unsigned("!=", rest, NULL)):
            builder.call(set_slice, [parent, old_n, old_n, rest])  # parent[old_n:] = rest
            builder.call(capi.fn("Py_DecRef"), [rest])
    builder.branch(after)
    builder.position_at_end(after)
    # A failure to box (MemoryError) is lost only if the call itself had raised.
    pending = builder.icmp_unsigned("!=", builder.load(saved[0], typ=PTR), NULL)
    with builder.if_then(pending):
        builder.call(restore, [builder.load(s, typ=PTR) for s in saved])
    store(builder, lst, DIRTY, ir.Constant(I64, 0))
    builder.branch(done)
    builder.position_at_end(done)


def _write_items(builder: ir.IRBuilder, capi: CApi, lst: ir.Value, t: List, box: Boxer,
                 parent: ir.Value, common: ir.Value) -> None:
    """The first ``common`` items of ``lst`` into ``parent``'s slots: an equal item (an
    inner list boxing as the same object) keeps its object, a changed one is replaced."""
    fn = builder.function
    counter = entry_alloca(builder, I64)
    builder.store(ir.Constant(I64, 0), counter)
    head, body, replace, nxt, done = (
        fn.append_basic_block("reflect.head"), fn.append_basic_block("reflect.item"),
        fn.append_basic_block("reflect.replace"), fn.append_basic_block("reflect.next"),
        fn.append_basic_block("reflect.items.done"))
    builder.branch(head)
    builder.position_at_end(head)
    i = builder.load(counter, typ=I64)
    builder.cbranch(builder.icmp_signed("<", i, common), body, done)
    builder.position_at_end(body)
    value = builder.load(item_pointer(builder, t, lst, i), typ=item_type(t))
    items = builder.load(builder.gep(parent, [ir.Constant(I64, OFF_ITEMS)], source_etype=I8),
                         typ=PTR)
    slot = builder.gep(items, [i], source_etype=PTR)
    if isinstance(t.item, List):
        # Boxed first (an inner list with a parent writes itself back and is that
        # object): the same object as the parent's item is kept as it is.
        incref_item(builder, value, t.item)
        obj = box(builder, capi, value, t.item)
        same = builder.icmp_unsigned("==", obj, builder.load(slot, typ=PTR))
        kept = fn.append_basic_block("reflect.kept")
        builder.cbranch(same, kept, replace)
        builder.position_at_end(kept)
        builder.call(capi.fn("Py_DecRef"), [obj])
        builder.branch(nxt)
    else:
        same = _same_item(builder, capi, builder.load(slot, typ=PTR), value, t)
        builder.cbranch(same, nxt, replace)
    builder.position_at_end(replace)
    if not isinstance(t.item, List):
        obj = box(builder, capi, value, t.item)  # type: ignore[arg-type]
    with builder.if_then(builder.icmp_unsigned("!=", obj, NULL)):
        old = builder.load(slot, typ=PTR)
        builder.store(obj, slot)  # PyList_SET_ITEM, then the old item released
        builder.call(capi.fn("Py_DecRef"), [old])
    builder.branch(nxt)
    builder.position_at_end(nxt)
    builder.store(builder.add(i, ir.Constant(I64, 1)), counter)
    builder.branch(head)
    builder.position_at_end(done)


def _same_item(builder: ir.IRBuilder, capi: CApi, obj: ir.Value, value: ir.Value,
               t: List) -> ir.Value:
    """Whether the parent's item ``obj`` already is ``value`` (same type, same int, the
    same float bits, the same bool); tuples are always replaced."""
    item = t.item
    kind = type(item).__name__
    type_of = builder.load(builder.gep(obj, [ir.Constant(I64, OFF_TYPE)], source_etype=I8),
                           typ=PTR)
    if kind == "Bool":
        true = capi.obj("_Py_TrueStruct")
        return builder.icmp_unsigned("==", obj, builder.select(value, true, capi.obj(
            "_Py_FalseStruct")))
    if kind == "Float64":
        is_float = builder.icmp_unsigned("==", type_of, capi.obj("PyFloat_Type"))
        bits = builder.load(builder.gep(obj, [ir.Constant(I64, 16)], source_etype=I8), typ=I64)
        same = builder.icmp_unsigned("==", bits, builder.bitcast(value, I64))
        return builder.and_(is_float, same)
    if kind == "Int64":
        fn = builder.function
        result = entry_alloca(builder, ir.IntType(1))
        builder.store(ir.Constant(ir.IntType(1), 0), result)
        with builder.if_then(builder.icmp_unsigned("==", type_of, capi.obj("PyLong_Type"))):
            overflow = entry_alloca(builder, I32)
            builder.store(ir.Constant(I32, 0), overflow)
            v = builder.call(capi.fn("PyLong_AsLongLongAndOverflow"), [obj, overflow])
            fits = builder.icmp_signed("==", builder.load(overflow, typ=I32), ir.Constant(I32, 0))
            builder.store(builder.and_(fits, builder.icmp_signed("==", v, value)), result)
        del fn
        return builder.load(result, typ=ir.IntType(1))
    return ir.Constant(ir.IntType(1), 0)


# --------------------------------------------------------------- unboxing


def unbox_list(builder: ir.IRBuilder, capi: CApi, obj: ir.Value, t: List, mismatch: ir.Block,
               views: list, unbox: Unboxer, box: Boxer) -> ir.Value:
    """A reflected list for the Python ``list`` ``obj`` whose every item unboxes as
    ``t.item`` (a list item: a reflected list in turn); otherwise ``mismatch``. Its
    release (write back, decref) goes into ``views`` as ``(function, slot)``, which the
    entry runs after the call, on its error exit and on the way to ``mismatch``."""
    slot = entry_alloca(builder, PTR)
    _store_at_entry(builder, NULL, slot)  # released on every path, even before this
    views.append((reflect_function(builder.module, capi, t, box), slot))
    return _unbox_into(builder, capi, obj, t, mismatch, views, unbox,
                       lambda lst: builder.store(lst, slot))


def _unbox_into(builder: ir.IRBuilder, capi: CApi, obj: ir.Value, t: List, mismatch: ir.Block,
                views: list, unbox: Unboxer, adopt: Callable[[ir.Value], None]) -> ir.Value:
    """The native list of ``obj``, handed to ``adopt`` (its owner) before any item is
    read, its length counting only the items unboxed so far: a mismatch half way
    releases exactly what was made."""
    assert t.item is not None
    fn = builder.function
    ok = fn.append_basic_block("unbox.list")
    is_list = builder.icmp_unsigned(
        "==", builder.load(builder.gep(obj, [ir.Constant(I64, OFF_TYPE)], source_etype=I8),
                           typ=PTR), capi.obj("PyList_Type"))
    builder.cbranch(is_list, ok, mismatch)
    builder.position_at_end(ok)
    n = builder.load(builder.gep(obj, [ir.Constant(I64, OFF_SIZE)], source_etype=I8), typ=I64)
    lst = builder.call(alloc_function(builder.module), [n, size_of(item_type(t))])
    # NULL (out of memory, MemoryError set): the call goes down the chain, where the
    # slow path meets the same failure.
    got = fn.append_basic_block("unbox.list.ok")
    builder.cbranch(builder.icmp_unsigned("==", lst, NULL), mismatch, got)
    builder.position_at_end(got)
    store(builder, lst, LEN, ir.Constant(I64, 0))
    adopt(lst)
    store(builder, lst, PARENT, obj)
    # Its own reference: an inner list's object must outlive a write back that replaces
    # it in the outer one (the caller holds only the outermost for the call).
    builder.call(capi.fn("Py_IncRef"), [obj])
    items = builder.load(builder.gep(obj, [ir.Constant(I64, OFF_ITEMS)], source_etype=I8),
                         typ=PTR)
    counter = entry_alloca(builder, I64)
    builder.store(ir.Constant(I64, 0), counter)
    head, body, done = (fn.append_basic_block("unbox.item.head"),
                        fn.append_basic_block("unbox.item"),
                        fn.append_basic_block("unbox.items.done"))
    builder.branch(head)
    builder.position_at_end(head)
    i = builder.load(counter, typ=I64)
    builder.cbranch(builder.icmp_signed("<", i, n), body, done)
    builder.position_at_end(body)
    item = builder.load(builder.gep(items, [i], source_etype=PTR), typ=PTR)
    target = item_pointer(builder, t, lst, i)
    if isinstance(t.item, List):  # an inner reflected list, owned by this one
        def adopt_item(inner: ir.Value) -> None:
            builder.store(inner, target)
            store(builder, lst, LEN, builder.add(i, ir.Constant(I64, 1)))

        _unbox_into(builder, capi, item, t.item, mismatch, views, unbox, adopt_item)
    else:
        builder.store(unbox(builder, capi, item, t.item, mismatch, views), target)
        store(builder, lst, LEN, builder.add(i, ir.Constant(I64, 1)))
    builder.store(builder.add(i, ir.Constant(I64, 1)), counter)
    builder.branch(head)
    builder.position_at_end(done)
    return lst


def reflect_function(module: ir.Module, capi: CApi, t: List, box: Boxer) -> ir.Function:
    """``void @ember.list.reflect.<item>(ptr slot)``: write the list in ``*slot`` back
    into its parent if it changed, release it, leave the slot NULL."""
    name = "ember.list.reflect." + "".join(c if c.isalnum() else "_" for c in str(t.item))
    fn = module.globals.get(name)
    if fn is not None:
        return fn  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR]), name)
    fn.linkage = "private"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    slot = fn.args[0]
    lst = b.load(slot, typ=PTR)
    with b.if_then(b.icmp_unsigned("!=", lst, NULL)):
        write_back(b, capi, lst, t, box)
        decref(b, lst, t)
        b.store(NULL, slot)
    b.ret_void()
    return fn


def _store_at_entry(builder: ir.IRBuilder, value: ir.Value, slot: ir.Value) -> None:
    """``store value, slot`` in the function's entry block (before its terminator), so
    it holds on every path through the function."""
    saved = builder.block
    entry = builder.function.entry_basic_block
    if entry.terminator is not None:
        builder.position_before(entry.terminator)
    else:
        builder.position_at_end(entry)
    builder.store(value, slot)
    builder.position_at_end(saved)
