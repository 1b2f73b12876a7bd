"""List typed IR (:mod:`ember.native.ir.lists`) → LLVM IR, with CPython's results and
exceptions. The value is a pointer to a header and an unboxed buffer
(:mod:`ember.native.codegen.list_refs`); ``lst.append(x)`` is inline::

    %n = load i64, len ; %cap = load i64, cap
    br (%n + 1 > %cap), label %list.grow (cold: @ember.list.grow doubles), label %room
    store x, data[%n] ; store %n + 1, len ; store 1, dirty

The frontend hands list operands over as locals (a computed list is held in a
temporary first), so every operand here is borrowed; nodes that make a list return a
new reference, which the array rule for locals, results and call arguments
(codegen/arrays.py) then owns. llvmlite.ir only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.abi import box
from ember.native.boundary.capi import capi_function, cstring
from ember.native.boundary.lists import decref_item, for_items, holds_references, incref_item
from ember.native.boundary.llvm import I1, I8, I64, PTR, value_type
from ember.native.codegen import list_refs as R
from ember.native.codegen import operators as ops
from ember.native.codegen import sorting
from ember.native.codegen.arrays import own
from ember.native.codegen.builder import Gen
from ember.native.ir import lists as L
from ember.native.types import FLOAT64, INT64, NONE, Bool, Float64, Int64, List, Type

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

OUT_OF_RANGE = "list index out of range"


# ------------------------------------------------------------------ helpers


def _loop(gen: Gen, start: ir.Value, stop: ir.Value, body: Callable[[ir.Value], None],
          step: int = 1) -> None:
    """``for i in range(start, stop, step)`` (step ±1) in IR; ``body(i)`` may branch out
    (raise) but falls through to the next iteration."""
    b = gen.b
    slot = gen.alloca(I64)
    b.store(start, slot)
    head, loop, done = gen.block("list.loop"), gen.block("list.body"), gen.block("list.done")
    b.branch(head)
    b.position_at_end(head)
    i = b.load(slot, typ=I64)
    more = b.icmp_signed("<" if step > 0 else ">", i, stop)
    b.cbranch(more, loop, done)
    b.position_at_end(loop)
    body(i)
    b.store(b.add(b.load(slot, typ=I64), ir.Constant(I64, step)), slot)
    b.branch(head)
    b.position_at_end(done)


def _search(gen: Gen, t: List, lst: ir.Value, found: Callable[[ir.Value], ir.Value]
            ) -> ir.Value:
    """The first index ``i`` where ``found(item)``, else -1."""
    b = gen.b
    result = gen.alloca(I64)
    b.store(ir.Constant(I64, -1), result)
    slot = gen.alloca(I64)
    b.store(ir.Constant(I64, 0), slot)
    head, loop, nxt, done = (gen.block("find.head"), gen.block("find.body"),
                             gen.block("find.next"), gen.block("find.done"))
    b.branch(head)
    b.position_at_end(head)
    i = b.load(slot, typ=I64)
    b.cbranch(b.icmp_signed("<", i, R.load(b, lst, R.LEN)), loop, done)
    b.position_at_end(loop)
    hit = found(_load_item(b, t, lst, i))
    hit_block = gen.block("find.hit")
    b.cbranch(hit, hit_block, nxt)
    b.position_at_end(hit_block)
    b.store(i, result)
    b.branch(done)
    b.position_at_end(nxt)
    b.store(b.add(i, ir.Constant(I64, 1)), slot)
    b.branch(head)
    b.position_at_end(done)
    return b.load(result, typ=I64)


def _load_item(b: ir.IRBuilder, t: List, lst: ir.Value, i: ir.Value) -> ir.Value:
    return b.load(R.item_pointer(b, t, lst, i), typ=R.item_type(t))


def _store_item(b: ir.IRBuilder, t: List, lst: ir.Value, i: ir.Value, v: ir.Value) -> None:
    b.store(v, R.item_pointer(b, t, lst, i))


def _item(t: Type) -> Type:
    assert isinstance(t, List) and t.item is not None
    return t.item


def _checked_index(gen: Gen, lst: ir.Value, i: ir.Value, message: str = OUT_OF_RANGE
                   ) -> ir.Value:
    """``i`` wrapped (negative from the end) and checked: IndexError outside."""
    b = gen.b
    n = R.load(b, lst, R.LEN)
    wrapped = b.select(b.icmp_signed("<", i, ir.Constant(I64, 0)), b.add(i, n), i)
    gen.guard(b.icmp_unsigned(">=", wrapped, n), "IndexError", message)
    return wrapped


def _equal(gen: Gen, a: ir.Value, c: ir.Value, t: Type) -> ir.Value:
    return ops.compare(gen, "==", a, t, c, t)


def _raise_not_found(gen: Gen, x: ir.Value, t: Type) -> None:
    """ValueError ``f"{x!r} is not in list"``, as list.index raises it."""
    b = gen.b
    obj = box(b, gen.capi, x, t)
    fmt = capi_function(gen.module, "PyErr_Format")
    with b.if_then(b.icmp_unsigned("!=", obj, R.NULL)):
        b.call(fmt, [gen.capi.exc(b, "ValueError"), cstring(gen.module, "%R is not in list"), obj])
        b.call(capi_function(gen.module, "Py_DecRef"), [obj])
    b.branch(gen.fail_block())


# -------------------------------------------------------------- expressions


def _take_copies(gen: Gen, t: List, lst: ir.Value, start: ir.Value, stop: ir.Value) -> None:
    """After items were copied into ``lst[start:stop]``: a reference for each, when the
    items hold references (lists, arrays)."""
    if holds_references(t.item):
        for_items(gen.b, t, lst, start, stop, lambda v: incref_item(gen.b, v, t.item))  # type: ignore[arg-type]


def list_new(gen: FunctionLowerer, e: L.ListNew) -> ir.Value:
    values = [own(gen, i) if holds_references(i.type) else gen.expr(i) for i in e.items]
    gen.check_overflow()  # a check point: no wrapped value is stored
    t = e.type
    assert isinstance(t, List)
    lst = R.new_list(gen, t, ir.Constant(I64, len(values)))
    for k, v in enumerate(values):
        _store_item(gen.b, t, lst, ir.Constant(I64, k), v)
    return lst


def list_repeat(gen: FunctionLowerer, e: L.ListRepeat) -> ir.Value:
    b = gen.b
    src = gen.expr(e.list)
    count = gen.expr(e.count)
    gen.check_overflow()
    t = e.type
    assert isinstance(t, List)
    count = b.select(b.icmp_signed("<", count, ir.Constant(I64, 0)), ir.Constant(I64, 0), count)
    n = R.load(b, src, R.LEN)
    total = b.mul(n, count)
    # n * count beyond what memory holds: MemoryError, as CPython (its size check).
    big = b.and_(b.icmp_signed(">", n, ir.Constant(I64, 0)),
                 b.icmp_signed(">", count, b.sdiv(ir.Constant(I64, 2**62), b.select(
                     b.icmp_signed(">", n, ir.Constant(I64, 0)), n, ir.Constant(I64, 1)))))
    gen.guard(big, "MemoryError", "")
    lst = R.new_list(gen, t, total)
    one = b.icmp_signed("==", n, ir.Constant(I64, 1))
    single, general, done = gen.block("rep.one"), gen.block("rep.many"), gen.block("rep.done")
    b.cbranch(one, single, general)
    b.position_at_end(single)  # [x] * n: a fill loop LLVM vectorises
    x = _load_item(b, t, src, ir.Constant(I64, 0))
    _loop(gen, ir.Constant(I64, 0), total, lambda i: _store_item(gen.b, t, lst, i, x))
    b.branch(done)
    b.position_at_end(general)
    _loop(gen, ir.Constant(I64, 0), count, lambda k: R.copy_items(
        gen.b, t, lst, gen.b.mul(k, n), src, ir.Constant(I64, 0), n))
    b.branch(done)
    b.position_at_end(done)
    _take_copies(gen, t, lst, ir.Constant(I64, 0), total)
    return lst


def list_get(gen: FunctionLowerer, e: L.ListGet) -> ir.Value:
    lst = gen.expr(e.list)
    i = _checked_index(gen, lst, gen.expr(e.index))
    return _load_item(gen.b, e.list.type, lst, i)  # type: ignore[arg-type]


def list_len(gen: FunctionLowerer, e: L.ListLen) -> ir.Value:
    return R.load(gen.b, gen.expr(e.list), R.LEN)


def list_build(gen: FunctionLowerer, e: L.ListBuild) -> ir.Value:
    """The comprehension's loops, then its list moved out of the local (which is left
    NULL: released at the end as no list)."""
    gen.stmts(e.body)
    slot = gen.locals[e.result][0]
    value = gen.b.load(slot, typ=PTR)
    if e.move:
        gen.b.store(R.NULL, slot)
    return value


def list_call(gen: FunctionLowerer, e: L.ListCall) -> ir.Value:
    rule = _CALLS.get(e.name)
    if rule is None:
        raise NotImplementedError(f"list {e.name}")
    lst = gen.expr(e.list)
    stored = len(e.args) - 1 if e.name in ("append", "insert") else -1  # the new item: owned
    args = [own(gen, a) if k == stored and holds_references(a.type) else gen.expr(a)
            for k, a in enumerate(e.args)]
    return rule(gen, e, lst, args)


# ---------------------------------------------------------------- methods


def _append(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    b = gen.b
    t = e.list.type
    gen.check_overflow()
    n = R.load(b, lst, R.LEN)
    need = b.add(n, ir.Constant(I64, 1))
    R.reserve(gen, t, lst, need)  # type: ignore[arg-type]
    _store_item(b, t, lst, n, args[0])  # type: ignore[arg-type]
    R.store(b, lst, R.LEN, need)
    R.mark_dirty(b, lst)
    return ir.Constant(I8, 0)


def _pop(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    b = gen.b
    t = e.list.type
    n = R.load(b, lst, R.LEN)
    if not args:
        gen.guard(b.icmp_signed("==", n, ir.Constant(I64, 0)), "IndexError", "pop from empty list")
        i = b.sub(n, ir.Constant(I64, 1))
    else:
        gen.guard(b.icmp_signed("==", n, ir.Constant(I64, 0)), "IndexError", "pop from empty list")
        i = _checked_index(gen, lst, args[0], "pop index out of range")
    item = _load_item(b, t, lst, i)  # type: ignore[arg-type]
    last = b.sub(n, ir.Constant(I64, 1))
    R.move_items(b, t, lst, i, b.add(i, ir.Constant(I64, 1)), b.sub(last, i))  # type: ignore[arg-type]
    R.store(b, lst, R.LEN, last)
    R.mark_dirty(b, lst)
    return item


def _insert(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    b = gen.b
    t = e.list.type
    gen.check_overflow()
    n = R.load(b, lst, R.LEN)
    zero = ir.Constant(I64, 0)
    i = args[0]  # CPython clamps: i < 0 counts from the end, then to [0, n]
    i = b.select(b.icmp_signed("<", i, zero), b.add(i, n), i)
    i = b.select(b.icmp_signed("<", i, zero), zero, i)
    i = b.select(b.icmp_signed(">", i, n), n, i)
    R.reserve(gen, t, lst, b.add(n, ir.Constant(I64, 1)))  # type: ignore[arg-type]
    R.move_items(b, t, lst, b.add(i, ir.Constant(I64, 1)), i, b.sub(n, i))  # type: ignore[arg-type]
    _store_item(b, t, lst, i, args[1])  # type: ignore[arg-type]
    R.store(b, lst, R.LEN, b.add(n, ir.Constant(I64, 1)))
    R.mark_dirty(b, lst)
    return ir.Constant(I8, 0)


def _extend(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    b = gen.b
    t = e.list.type
    other = args[0]
    n, m = R.load(b, lst, R.LEN), R.load(b, other, R.LEN)  # m first: a.extend(a) doubles
    R.reserve(gen, t, lst, b.add(n, m))  # type: ignore[arg-type]
    R.copy_items(b, t, lst, n, other, ir.Constant(I64, 0), m)  # type: ignore[arg-type]
    R.store(b, lst, R.LEN, b.add(n, m))
    _take_copies(gen, t, lst, n, b.add(n, m))  # type: ignore[arg-type]
    R.mark_dirty(b, lst)
    return ir.Constant(I8, 0)


def _clear(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    t = e.list.type
    if holds_references(t.item):  # type: ignore[attr-defined]
        for_items(gen.b, t, lst, ir.Constant(I64, 0), R.load(gen.b, lst, R.LEN),  # type: ignore[arg-type]
                  lambda v: decref_item(gen.b, v, t.item))  # type: ignore[attr-defined]
    R.store(gen.b, lst, R.LEN, ir.Constant(I64, 0))
    R.mark_dirty(gen.b, lst)
    return ir.Constant(I8, 0)


def _index(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    b = gen.b
    t = e.list.type
    item_t = _item(t)
    i = _search(gen, t, lst, lambda v: _equal(gen, v, args[0], item_t))  # type: ignore[arg-type]
    missing, ok = gen.block("index.missing"), gen.block("index.ok")
    b.cbranch(b.icmp_signed("<", i, ir.Constant(I64, 0)), missing, ok).set_weights([1, 1 << 20])
    b.position_at_end(missing)
    _raise_not_found(gen, args[0], item_t)
    b.position_at_end(ok)
    return i


def _contains(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    t = e.list.type
    i = _search(gen, t, lst, lambda v: _equal(gen, v, args[0], _item(t)))  # type: ignore[arg-type]
    return gen.b.icmp_signed(">=", i, ir.Constant(I64, 0))


def _count(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    b = gen.b
    t = e.list.type
    total = gen.alloca(I64)
    b.store(ir.Constant(I64, 0), total)

    def body(i: ir.Value) -> None:
        hit = _equal(gen, _load_item(gen.b, t, lst, i), args[0], _item(t))  # type: ignore[arg-type]
        gen.b.store(gen.b.add(gen.b.load(total, typ=I64), gen.b.zext(hit, I64)), total)

    _loop(gen, ir.Constant(I64, 0), R.load(b, lst, R.LEN), body)
    return b.load(total, typ=I64)


def _reverse_in_place(gen: Gen, t: List, lst: ir.Value) -> None:
    b = gen.b
    n = R.load(b, lst, R.LEN)
    half = b.sdiv(n, ir.Constant(I64, 2))

    def body(i: ir.Value) -> None:
        bb = gen.b
        j = bb.sub(bb.sub(n, ir.Constant(I64, 1)), i)
        x, y = _load_item(bb, t, lst, i), _load_item(bb, t, lst, j)
        _store_item(bb, t, lst, i, y)
        _store_item(bb, t, lst, j, x)

    _loop(gen, ir.Constant(I64, 0), half, body)


def _reverse(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    _reverse_in_place(gen, e.list.type, lst)  # type: ignore[arg-type]
    R.mark_dirty(gen.b, lst)
    return ir.Constant(I8, 0)


def _sort_in_place(gen: Gen, t: List, lst: ir.Value, reverse: ir.Value) -> None:
    """CPython's stable sort: ``reverse=True`` reverses, sorts, reverses back (equal
    items keep their order)."""
    b = gen.b
    with b.if_then(reverse):
        _reverse_in_place(gen, t, lst)
    n = R.load(b, lst, R.LEN)
    tmp = R.new_list(gen, t, n)
    fn = _sort_function(gen, t)
    b.call(fn, [R.load(b, lst, R.DATA), R.load(b, tmp, R.DATA), n])
    R.decref(b, tmp)
    with b.if_then(reverse):
        _reverse_in_place(gen, t, lst)
    R.mark_dirty(b, lst)


def _sort_function(gen: Gen, t: List) -> ir.Function:
    """``void @ember.list.sort.<item>(ptr items, ptr tmp, i64 n)``: the stable merge
    sort of codegen/sorting.py with Python's ``<`` on the items."""
    name = f"ember.list.sort.{''.join(c if c.isalnum() else '_' for c in str(t.item))}"
    existing = gen.module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    fn = ir.Function(gen.module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64]), name)
    fn.linkage = "private"
    g = Gen(gen.module, gen.capi, fn, gen.options)
    item_t = _item(t)
    a, tmp, n = fn.args
    sorting.merge_sort(g.b, R.item_type(t), lambda x, y: ops.compare(g, "<", x, item_t, y, item_t),
                       a, tmp, n, int(R.size_of(R.item_type(t)).constant), g.entry)
    g.b.ret_void()
    # Not g.finish(): its builder's place in the entry block is stale once the sort's
    # slots were put at the block's start; a fresh builder appends at its real end.
    ir.IRBuilder(g.entry).branch(fn.blocks[1])
    return fn


def _sort(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    _sort_in_place(gen, e.list.type, lst, args[0])  # type: ignore[arg-type]
    return ir.Constant(I8, 0)


def _copy(gen: Gen, t: List, lst: ir.Value, start: ir.Value, count: ir.Value) -> ir.Value:
    new = R.new_list(gen, t, count)
    R.copy_items(gen.b, t, new, ir.Constant(I64, 0), lst, start, count)
    _take_copies(gen, t, new, ir.Constant(I64, 0), count)
    return new


def _copy_call(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    return _copy(gen, e.type, lst, ir.Constant(I64, 0), R.load(gen.b, lst, R.LEN))  # type: ignore[arg-type]


def _sorted(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    new = _copy_call(gen, e, lst, [])
    _sort_in_place(gen, e.type, new, args[0])  # type: ignore[arg-type]
    R.store(gen.b, new, R.DIRTY, ir.Constant(I64, 0))
    return new


def _concat(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    b = gen.b
    t = e.type
    n, m = R.load(b, lst, R.LEN), R.load(b, args[0], R.LEN)
    new = R.new_list(gen, t, b.add(n, m))  # type: ignore[arg-type]
    R.copy_items(b, t, new, ir.Constant(I64, 0), lst, ir.Constant(I64, 0), n)  # type: ignore[arg-type]
    R.copy_items(b, t, new, n, args[0], ir.Constant(I64, 0), m)  # type: ignore[arg-type]
    _take_copies(gen, t, new, ir.Constant(I64, 0), b.add(n, m))  # type: ignore[arg-type]
    return new


def _slice(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    """``lst[start:stop:step]`` with PySlice_AdjustIndices' rules; absent bounds are
    the none values (i8) of ``e.args``."""
    b = gen.b
    t = e.type
    assert isinstance(t, List)
    n = R.load(b, lst, R.LEN)
    zero, one = ir.Constant(I64, 0), ir.Constant(I64, 1)
    given = [a.type != NONE for a in e.args]
    step = args[2] if given[2] else one
    if given[2]:
        gen.guard(b.icmp_signed("==", step, zero), "ValueError", "slice step cannot be zero")
    negative = b.icmp_signed("<", step, zero)
    minus_one = ir.Constant(I64, -1)

    def adjust(v: ir.Value) -> ir.Value:
        # v < 0: v += n, then below 0 → (step < 0 ? -1 : 0); v >= n → (step < 0 ? n-1 : n)
        low = b.select(negative, minus_one, zero)
        high = b.select(negative, b.sub(n, one), n)
        w = b.add(v, n)
        neg_case = b.select(b.icmp_signed("<", w, zero), low, w)
        pos_case = b.select(b.icmp_signed(">=", v, n), high, v)
        return b.select(b.icmp_signed("<", v, zero), neg_case, pos_case)

    start = adjust(args[0]) if given[0] else b.select(negative, b.sub(n, one), zero)
    stop = adjust(args[1]) if given[1] else b.select(negative, minus_one, n)
    # length: step > 0: (stop - start - 1) // step + 1 if start < stop; step < 0 mirrored
    pos_len = b.select(b.icmp_signed("<", start, stop),
                       b.add(b.sdiv(b.sub(b.sub(stop, start), one), step), one), zero)
    neg_len = b.select(b.icmp_signed("<", stop, start),
                       b.add(b.sdiv(b.sub(b.sub(start, stop), one), b.sub(zero, step)), one),
                       zero)
    length = b.select(negative, neg_len, pos_len)
    new = R.new_list(gen, t, length)

    def body(k: ir.Value) -> None:
        bb = gen.b
        src = bb.add(start, bb.mul(k, step))
        _store_item(bb, t, new, k, _load_item(bb, t, lst, src))

    _loop(gen, zero, length, body)
    _take_copies(gen, t, new, zero, length)
    return new


def _sum(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    """``sum(lst[, start])`` as the running CPython adds: left to right (an int64
    overflow is OverflowError); float items on 3.12+ with its compensated (Neumaier)
    sum, int items into a float total plainly, as CPython's float path does."""
    b = gen.b
    t = e.list.type
    item_t = _item(t)
    ty = value_type(e.type)
    acc = gen.alloca(ty)
    start = args[0] if args else ir.Constant(ty, 0)
    start_t = e.args[0].type if args else e.type
    b.store(_widen(gen, start, start_t, e.type), acc)
    compensated = sys.version_info >= (3, 12) and item_t == FLOAT64
    comp = gen.alloca(ty)
    b.store(ir.Constant(ty, 0.0 if e.type == FLOAT64 else 0), comp)

    def body(i: ir.Value) -> None:
        bb = gen.b
        v = _widen(gen, _load_item(bb, t, lst, i), item_t, e.type)  # type: ignore[arg-type]
        cur = bb.load(acc, typ=ty)
        if compensated:
            total = bb.fadd(cur, v)
            bigger = bb.fcmp_ordered(">=", gen.fcall("llvm.fabs.f64", cur),
                                     gen.fcall("llvm.fabs.f64", v))
            lost = bb.select(bigger, bb.fadd(bb.fsub(cur, total), v),
                             bb.fadd(bb.fsub(v, total), cur))
            bb.store(bb.fadd(bb.load(comp, typ=ty), lost), comp)
            bb.store(total, acc)
        elif e.type == FLOAT64:
            bb.store(bb.fadd(cur, v), acc)
        else:
            bb.store(ops.binop(gen, "+", cur, v, INT64, INT64), acc)

    _loop(gen, ir.Constant(I64, 0), R.load(b, lst, R.LEN), body)
    result = b.load(acc, typ=ty)
    if compensated:  # CPython: `if (c && Py_IS_FINITE(c)) f_result += c;`
        c = b.load(comp, typ=ty)
        use = b.and_(b.fcmp_unordered("!=", c, ir.Constant(ty, 0.0)), gen.isfinite(c))
        result = b.select(use, b.fadd(result, c), result)
    return result


def _widen(gen: Gen, v: ir.Value, src: Type, dst: Type) -> ir.Value:
    b = gen.b
    if src == dst:
        return v
    if isinstance(src, Bool) and isinstance(dst, Int64):
        return b.zext(v, I64)
    if isinstance(src, Bool) and isinstance(dst, Float64):
        return b.uitofp(v, value_type(FLOAT64))
    if isinstance(src, Int64) and isinstance(dst, Float64):
        return b.sitofp(v, value_type(FLOAT64))
    raise NotImplementedError(f"{src} -> {dst}")


def _extreme(op: str, name: str) -> Callable[[Gen, L.ListCall, ir.Value, list[ir.Value]], ir.Value]:
    def rule(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
        """``min(lst)``/``max(lst)``: the first extreme item, as CPython keeps it."""
        b = gen.b
        t = e.list.type
        item_t = _item(t)
        n = R.load(b, lst, R.LEN)
        gen.guard(b.icmp_signed("==", n, ir.Constant(I64, 0)), "ValueError",
                  f"{name}() arg is an empty sequence")
        best = gen.alloca(R.item_type(t))  # type: ignore[arg-type]
        b.store(_load_item(b, t, lst, ir.Constant(I64, 0)), best)  # type: ignore[arg-type]

        def body(i: ir.Value) -> None:
            bb = gen.b
            v = _load_item(bb, t, lst, i)  # type: ignore[arg-type]
            cur = bb.load(best, typ=R.item_type(t))  # type: ignore[arg-type]
            better = ops.compare(gen, op, v, item_t, cur, item_t)
            gen.b.store(gen.b.select(better, v, cur), best)

        _loop(gen, ir.Constant(I64, 1), n, body)
        return b.load(best, typ=R.item_type(t))  # type: ignore[arg-type]

    return rule


def _truths(want_all: bool) -> Callable[[Gen, L.ListCall, ir.Value, list[ir.Value]], ir.Value]:
    def rule(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
        t = e.list.type
        item_t = _item(t)

        def decides(v: ir.Value) -> ir.Value:
            truth = gen.truth(v, item_t)
            return gen.b.not_(truth) if want_all else truth

        i = _search(gen, t, lst, decides)  # type: ignore[arg-type]
        hit = gen.b.icmp_signed(">=", i, ir.Constant(I64, 0))
        return gen.b.not_(hit) if want_all else hit

    return rule


def _eq(gen: Gen, e: L.ListCall, lst: ir.Value, args: list[ir.Value]) -> ir.Value:
    b = gen.b
    t = e.list.type
    other = args[0]
    n = R.load(b, lst, R.LEN)
    same_len = b.icmp_signed("==", n, R.load(b, other, R.LEN))
    result = gen.alloca(I1)
    b.store(same_len, result)

    def compare_items() -> None:
        def body(i: ir.Value) -> None:
            bb = gen.b
            eq = _equal(gen, _load_item(bb, t, lst, i), _load_item(bb, t, other, i), _item(t))  # type: ignore[arg-type]
            bb.store(bb.and_(bb.load(result, typ=I1), eq), result)

        _loop(gen, ir.Constant(I64, 0), n, body)

    gen.if_(same_len, compare_items)
    return b.load(result, typ=I1)


_CALLS: dict[str, Callable[[Gen, L.ListCall, ir.Value, list[ir.Value]], ir.Value]] = {
    "append": _append,
    "pop": _pop,
    "insert": _insert,
    "extend": _extend,
    "clear": _clear,
    "index": _index,
    "count": _count,
    "reverse": _reverse,
    "sort": _sort,
    "copy": _copy_call,
    "sorted": _sorted,
    "contains": _contains,
    "concat": _concat,
    "slice": _slice,
    "sum": _sum,
    "min": _extreme("<", "min"),
    "max": _extreme(">", "max"),
    "any": _truths(False),
    "all": _truths(True),
    "eq": _eq,
}


# ----------------------------------------------------------------- statements


def list_set(gen: FunctionLowerer, s: L.ListSet) -> None:
    """``lst[i] = v``: Python's order, the value first, then the list and the index."""
    b = gen.b
    t = s.list.type
    refs = holds_references(s.value.type)
    value = own(gen, s.value) if refs else gen.expr(s.value)
    lst = gen.expr(s.list)
    if refs:  # the new item is released if the index is bad
        n = R.load(b, lst, R.LEN)
        i = gen.expr(s.index)
        wrapped = b.select(b.icmp_signed("<", i, ir.Constant(I64, 0)), b.add(i, n), i)
        bad = gen.block("set.bad")
        ok = gen.block("set.ok")
        b.cbranch(b.icmp_unsigned(">=", wrapped, n), bad, ok).set_weights([1, 1 << 20])
        b.position_at_end(bad)
        decref_item(b, value, s.value.type)
        b.branch(gen.error_block("IndexError", "list assignment index out of range"))
        b.position_at_end(ok)
        old = _load_item(b, t, lst, wrapped)  # type: ignore[arg-type]
        _store_item(b, t, lst, wrapped, value)  # type: ignore[arg-type]
        decref_item(b, old, s.value.type)  # after the store: xs[0] = xs[0] is safe
        R.mark_dirty(b, lst)
        return
    i = _checked_index(gen, lst, gen.expr(s.index), "list assignment index out of range")
    gen.check_overflow()
    _store_item(b, t, lst, i, value)  # type: ignore[arg-type]
    R.mark_dirty(b, lst)


def list_del(gen: FunctionLowerer, s: L.ListDel) -> None:
    b = gen.b
    t = s.list.type
    lst = gen.expr(s.list)
    i = _checked_index(gen, lst, gen.expr(s.index), "list assignment index out of range")
    if holds_references(t.item):  # type: ignore[attr-defined]
        decref_item(b, _load_item(b, t, lst, i), t.item)  # type: ignore[arg-type, attr-defined]
    last = b.sub(R.load(b, lst, R.LEN), ir.Constant(I64, 1))
    R.move_items(b, t, lst, i, b.add(i, ir.Constant(I64, 1)), b.sub(last, i))  # type: ignore[arg-type]
    R.store(b, lst, R.LEN, last)
    R.mark_dirty(b, lst)

