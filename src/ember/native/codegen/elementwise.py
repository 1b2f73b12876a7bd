"""Fused array expressions (:mod:`ember.native.ir.elementwise`) → one loop nest.

``(a * b + c) / d`` on four float64 arrays lowers to: the operands, evaluated once in
Python's order (scalars converted to their loop dtype before the loop, NumPy's weak
rule); the broadcast shape, checked node by node with NumPy's message ("operands could
not be broadcast together with shapes (3,) (4,) "); ONE new array (C order, F when
every array operand is typed F); then the loop::

    flat:    when every array operand has the result's shape and is contiguous in its
             order (known from the layout, else tested once): for i in range(size):
             out[i] = (a[i] * b[i] + c[i]) / d[i]   -- element GEPs LLVM vectorises
    strided: otherwise a nest over the result's axes with one byte stride per operand
             and axis (0 on a broadcast axis)

No exit inside either loop: what NumPy reports from an element (an int to a negative
power) is a flag raised after it, releasing the new array. ``a op= b``
(:class:`~ember.native.ir.elementwise.ArrayStore`) runs the same loop into ``a``;
an operand overlapping ``a``'s memory in another layout is copied first (NumPy's rule).
llvmlite.ir only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import (
    cstring,
    extern_function,
    extern_global,
    format_error_helper,
    py_decref,
)
from ember.native.boundary.llvm import F64, I1, I8, I32, I64, PTR, storage_type
from ember.native.codegen import array_ops as new
from ember.native.codegen import ufunc_arith, ufunc_complex, ufunc_math
from ember.native.codegen.array_access import (
    contiguous_strides,
    convert_for_store,
    counted_loop,
    data_of,
    dim_of,
    owner_of,
    raise_message,
    stride_of,
    unlikely,
)
from ember.native.codegen.arrays import operand
from ember.native.ir import elementwise as W
from ember.native.messages import LOAD_OVERFLOW_MESSAGE
from ember.native.types import BOOL, COMPLEX128, FLOAT64, INT64, Array, DType, Type

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.arrays import ArrayState
    from ember.native.codegen.function import FunctionLowerer

BROADCAST = "operands could not be broadcast together with shapes"
_NATURAL = {INT64: DType("int64"), FLOAT64: DType("float64"), BOOL: DType("bool")}


class _Loop:
    """One fused loop being emitted: the kernel context (:class:`ufunc_arith.Kernel`)
    and the flags its elements record."""

    def __init__(self, ctx: ArrayState) -> None:
        self.ctx = ctx
        self.flags: dict[tuple[str, str], ir.Value] = {}
        self.start: ir.Block | None = None  # where the flags are cleared: before the loop

    def begin(self) -> None:
        """Mark the current block as the one before the loop."""
        self.start = self.b.block

    @property
    def b(self) -> ir.IRBuilder:
        return self.ctx.builder

    def flag(self, kind: str, ufunc: str, cond: ir.Value) -> None:
        slot = self.flags.get((kind, ufunc))
        if slot is None:
            slot = self.flags[(kind, ufunc)] = self.ctx.alloca(I1, name="flag")
            assert self.start is not None
            if self.start.is_terminated:  # cleared before the loop, not in it
                init = ir.IRBuilder(self.start)
                init.position_before(self.start.terminator)
                init.store(ir.Constant(I1, 0), slot)
            else:  # no loop (a scalar result): cleared right here
                self.b.store(ir.Constant(I1, 0), slot)
        self.b.store(self.b.or_(self.b.load(slot, typ=I1), cond), slot)


# ------------------------------------------------------------------ elements


def _emit(loop: _Loop, e: W.ElemExpr, leaf: Callable[[int], ir.Value]) -> ir.Value:
    b = loop.b
    if isinstance(e, W.Operand):
        return leaf(e.index)
    if isinstance(e, W.ElementCast):
        return ufunc_arith.cast(b, _emit(loop, e.value, leaf), e.value.type, e.type)
    args = [_emit(loop, a, leaf) for a in e.args]
    dtypes = [a.type for a in e.args]
    if ufunc_complex.handles(e.name, (*dtypes, e.type)):  # complex loops, np.conj
        return ufunc_complex.lower(b, e.name, args, dtypes, e.type)
    if e.name in ufunc_arith.RULES:
        return ufunc_arith.lower(loop, e.name, args, dtypes, e.type)
    return ufunc_math.lower(b, e.name, args, (*dtypes, e.type))


def _scalar(ctx: ArrayState, value: ir.Value, t: Type, want: DType) -> ir.Value:
    """An ember scalar → a storage value of ``want``, once before the loop: NumPy 2's
    weak-scalar conversion (an int out of ``want``'s range raises OverflowError "Python
    integer 300 out of bounds for uint8"); as its own dtype, a plain widening."""
    b = ctx.builder
    if t == BOOL:
        return ufunc_arith.cast(b, b.zext(value, I8), DType("bool"), want)
    if t == FLOAT64:
        return ufunc_arith.cast(b, value, DType("float64"), want)
    if t == COMPLEX128:
        return ufunc_arith.cast(b, value, DType("complex128"), want)
    if want.kind in "iu":
        return convert_for_store(ctx, value, want)
    return ufunc_arith.cast(b, value, DType("int64"), want)


def _to_ember(ctx: ArrayState, v: ir.Value, dtype: DType) -> ir.Value:
    """A result element as the ember scalar it becomes outside an array."""
    b = ctx.builder
    if dtype.kind == "b":
        return b.icmp_unsigned("!=", v, ir.Constant(I8, 0))
    if dtype.kind == "f":
        return v if dtype.itemsize == 8 else b.fpext(v, F64)
    if dtype.kind == "c":
        return ufunc_arith.cast(b, v, dtype, DType("complex128"))
    if dtype.itemsize == 8:
        if dtype.kind == "u":
            with unlikely(ctx, b.icmp_signed("<", v, ir.Constant(I64, 0))):
                helper = format_error_helper(b.module, "ember.uint64_error", "OverflowError",
                                             LOAD_OVERFLOW_MESSAGE, [I64])
                b.call(helper, [v])
                ctx.fail()
        return v
    return b.sext(v, I64) if dtype.kind == "i" else b.zext(v, I64)


def _leaves(body: W.ElemExpr) -> dict[int, W.Operand]:
    found: dict[int, W.Operand] = {}
    todo: list[W.ElemExpr] = [body]
    while todo:
        e = todo.pop()
        if isinstance(e, W.Operand):
            found[e.index] = e
        elif isinstance(e, W.ElementCast):
            todo.append(e.value)
        else:
            todo.extend(e.args)
    return found


# ---------------------------------------------------------------- broadcasting


def _shape_text(ndim: int) -> str:
    if ndim == 0:
        return "()"
    return "(" + ",".join(["%lld"] * ndim) + ("," if ndim == 1 else "") + ")"


def _broadcast(ctx: ArrayState, shapes: Sequence[list[ir.Value]],
               out_shape: Sequence[ir.Value] | None = None) -> list[ir.Value]:
    """NumPy's broadcast of ``shapes`` (right-aligned); a mismatch raises ValueError with
    NumPy's text. ``out_shape``, an in-place output, joins the check and is listed last
    in the message; the shape returned is the inputs' own."""
    every = [*shapes, list(out_shape)] if out_shape is not None else list(shapes)
    sized = [s for s in every if s]
    if len(sized) > 1:
        b = ctx.builder
        one = ir.Constant(I64, 1)
        bad: ir.Value = ir.Constant(I1, 0)
        ndim = max(len(s) for s in sized)
        for axis in range(ndim):
            r: ir.Value | None = None
            for s in sized:
                k = axis - (ndim - len(s))
                if k < 0:
                    continue
                d = s[k]
                if r is None:
                    r = d
                    continue
                clash = b.and_(b.icmp_unsigned("!=", d, one), b.icmp_unsigned("!=", r, one))
                bad = b.or_(bad, b.and_(clash, b.icmp_unsigned("!=", d, r)))
                r = b.select(b.icmp_unsigned("!=", d, one), d, r)
        with unlikely(ctx, bad):
            fmt = BROADCAST + " " + " ".join(_shape_text(len(s)) for s in every) + " "
            name = "ember.broadcast_error." + "_".join(str(len(s)) for s in every)
            dims = [d for s in every for d in s]
            helper = format_error_helper(b.module, name, "ValueError", fmt, [I64] * len(dims))
            b.call(helper, dims)
            ctx.fail()
    return _broadcast_quiet(ctx.builder, shapes)


def _broadcast_quiet(b: ir.IRBuilder, shapes: Sequence[list[ir.Value]]) -> list[ir.Value]:
    """The broadcast shape of ``shapes``, already known compatible."""
    ndim = max((len(s) for s in shapes), default=0)
    one = ir.Constant(I64, 1)
    out: list[ir.Value] = []
    for axis in range(ndim):
        r: ir.Value = one
        for s in shapes:
            k = axis - (ndim - len(s))
            if k >= 0:
                r = s[k] if r is one else b.select(b.icmp_unsigned("!=", s[k], one), s[k], r)
        out.append(r)
    return out


def _shape_of(ctx: ArrayState, e: W.ElemExpr, shapes: dict[int, list[ir.Value]],
              root_out: Sequence[ir.Value] | None = None,
              scalars: _Scalars | None = None) -> list[ir.Value]:
    """The broadcast shape of ``e``, checking each ufunc's operands as NumPy does when
    it evaluates them (the innermost first); ``root_out`` is the in-place output. A
    scalar operand is converted (``scalars``) where its ufunc is reached, so errors come
    in NumPy's order: ``(a + b) * 300`` on int8 arrays that do not broadcast is the
    ValueError of ``a + b``, not the OverflowError of 300."""
    if isinstance(e, W.Operand):
        if scalars is not None and e.index in scalars.raw:
            scalars[e.index]  # noqa: B018 - converts (and range-checks) it here
        return shapes[e.index]
    if isinstance(e, W.ElementCast):
        return _shape_of(ctx, e.value, shapes, root_out, scalars)
    args = [_shape_of(ctx, a, shapes, None, scalars) for a in e.args]
    return _broadcast(ctx, args, root_out)


class _Scalars(dict):
    """The scalar operands as loop-dtype values, each converted at its first use
    (:func:`_shape_of` orders them among the broadcast checks)."""

    def __init__(self, ctx: ArrayState, raw: dict[int, ir.Value], types: dict[int, Type],
                 leaves: dict[int, W.Operand]) -> None:
        super().__init__()
        self.ctx, self.raw, self.types, self.leaves = ctx, raw, types, leaves

    def __missing__(self, k: int) -> ir.Value:
        value = self[k] = _scalar(self.ctx, self.raw[k], self.types[k], self.leaves[k].type)
        return value

    def __iter__(self):  # noqa: ANN204 - every scalar operand, converted or not
        return iter(self.raw)

    def __contains__(self, k: object) -> bool:
        return k in self.raw

    def convert_all(self) -> None:
        """Convert those not converted yet (before a loop reads them)."""
        for k in self.raw:
            self[k]  # noqa: B018 - __missing__ converts


# ------------------------------------------------------------------- loops


@contextmanager
def _strided_nest(b: ir.IRBuilder, shape: Sequence[ir.Value], order: Sequence[int],
                  strides: Sequence[Sequence[ir.Value]]) -> Iterator[list[ir.Value]]:
    """Loops over ``shape`` (outermost axis first in ``order``), yielding each pointer's
    byte offset (``strides[p][axis]`` per pointer ``p``)."""
    offsets: list[ir.Value] = [ir.Constant(I64, 0)] * len(strides)
    with _nest_level(b, shape, list(order), strides, offsets) as inner:
        yield inner


@contextmanager
def _nest_level(b: ir.IRBuilder, shape: Sequence[ir.Value], order: list[int],
                strides: Sequence[Sequence[ir.Value]], offsets: list[ir.Value]
                ) -> Iterator[list[ir.Value]]:
    if not order:
        yield offsets
        return
    axis = order[0]
    with counted_loop(b, shape[axis], name=f"ew{axis}") as i:
        moved = [b.add(off, b.mul(i, s[axis])) for off, s in zip(offsets, strides, strict=True)]
        with _nest_level(b, shape, order[1:], strides, moved) as inner:
            yield inner


def _operand_strides(b: ir.IRBuilder, value: ir.Value, t: Array, ndim: int) -> list[ir.Value]:
    """Byte strides of an operand on the result's ``ndim`` axes: 0 on an axis it lacks
    or has extent 1 on (broadcast)."""
    zero, one = ir.Constant(I64, 0), ir.Constant(I64, 1)
    out = [zero] * (ndim - t.ndim)
    for axis in range(t.ndim):
        d = dim_of(b, value, axis)
        out.append(b.select(b.icmp_unsigned("==", d, one), zero, stride_of(b, value, axis)))
    return out


def _matches(b: ir.IRBuilder, value: ir.Value, t: Array, shape: Sequence[ir.Value],
             order: str) -> ir.Value:
    """Whether an operand can be read with the result's linear index: the same shape,
    contiguous in ``order`` (known from its layout, else tested)."""
    if t.ndim != len(shape):
        return ir.Constant(I1, 0)
    ok: ir.Value = ir.Constant(I1, 1)
    for axis in range(t.ndim):
        ok = b.and_(ok, b.icmp_unsigned("==", dim_of(b, value, axis), shape[axis]))
    if t.layout == order or t.ndim == 1 and t.layout in ("C", "F"):
        return ok
    want = contiguous_strides(b, shape, t.dtype.itemsize, order)
    for axis in range(t.ndim):
        ok = b.and_(ok, b.icmp_unsigned("==", stride_of(b, value, axis), want[axis]))
    return ok


def _run_loops(loop: _Loop, body: W.ElemExpr, arrays: dict[int, tuple[ir.Value, Array]],
               scalars: dict[int, ir.Value], shape: list[ir.Value],
               out: tuple[ir.Value, Array], order: str, out_known: bool) -> None:
    """The flat loop when every operand lines up with the output, else the strided nest."""
    b = loop.b
    out_value, out_t = out
    dtypes = {k: t.dtype for k, (_v, t) in arrays.items()}
    ok: ir.Value = ir.Constant(I1, 1)
    for _k, (value, t) in arrays.items():
        ok = b.and_(ok, _matches(b, value, t, shape, order))
    if not out_known:
        ok = b.and_(ok, _matches(b, out_value, out_t, shape, order))
    out_elem = storage_type(out_t.dtype)
    with b.if_else(ok, likely=True) as (flat, strided):
        with flat:
            size: ir.Value = ir.Constant(I64, 1)
            for d in shape:
                size = b.mul(size, d, flags=["nsw"])
            with counted_loop(b, size, name="ew") as i:
                def leaf(k: int) -> ir.Value:
                    if k in scalars:
                        return scalars[k]
                    elem = storage_type(dtypes[k])
                    p = b.gep(data_of(b, arrays[k][0]), [i], inbounds=True, source_etype=elem)
                    return b.load(p, typ=elem, align=1)

                v = _emit(loop, body, leaf)
                p = b.gep(data_of(b, out_value), [i], inbounds=True, source_etype=out_elem)
                b.store(v, p, align=1)
        with strided:
            ndim = len(shape)
            keys = list(arrays)
            strides = [_operand_strides(b, arrays[k][0], arrays[k][1], ndim) for k in keys]
            strides.append([stride_of(b, out_value, axis) for axis in range(ndim)])
            axes = list(range(ndim)) if order == "C" else list(range(ndim - 1, -1, -1))
            with _strided_nest(b, shape, axes, strides) as offsets:
                where = dict(zip(keys, offsets, strict=False))

                def strided_leaf(k: int) -> ir.Value:
                    if k in scalars:
                        return scalars[k]
                    elem = storage_type(dtypes[k])
                    p = b.gep(data_of(b, arrays[k][0]), [where[k]], inbounds=True,
                              source_etype=I8)
                    return b.load(p, typ=elem, align=1)

                v = _emit(loop, body, strided_leaf)
                p = b.gep(data_of(b, out_value), [offsets[-1]], inbounds=True, source_etype=I8)
                b.store(v, p, align=1)


def _raise_flags(loop: _Loop) -> None:
    """After the loop: NumPy's errors (raise) and warnings (RuntimeWarning, which may
    itself raise under ``-W error``)."""
    ctx = loop.ctx
    b = ctx.builder
    for (kind, text), slot in loop.flags.items():
        with unlikely(ctx, b.load(slot, typ=I1)):
            if kind == "error":
                raise_message(ctx, "ValueError", text)
            else:
                warn = extern_function(b.module, "PyErr_WarnEx", I32, [PTR, PTR, I64])
                category = b.load(extern_global(b.module, "PyExc_RuntimeWarning"), typ=PTR)
                message = cstring(b.module, f"divide by zero encountered in {text}")
                rc = b.call(warn, [category, message, ir.Constant(I64, 1)])
                with unlikely(ctx, b.icmp_signed("<", rc, ir.Constant(I32, 0))):
                    ctx.fail()


# ------------------------------------------------------------- entry points


@contextmanager
def _operands(gen: FunctionLowerer, e: W.ArrayEval) -> Iterator[tuple[
        dict[int, tuple[ir.Value, Array]], dict[int, ir.Value]]]:
    """Every operand evaluated once, in order; array temporaries released after the
    use (and on the error paths inside it); scalars converted to their loop dtype."""
    ctx = gen.arrays
    leaves = _leaves(e.body)
    arrays: dict[int, tuple[ir.Value, Array]] = {}
    raw: dict[int, ir.Value] = {}
    with ExitStack() as stack:
        for k, o in enumerate(e.operands):
            if isinstance(o.type, Array):
                arrays[k] = (stack.enter_context(operand(ctx, o)), o.type)
            else:
                raw[k] = gen.expr(o)
        yield arrays, _Scalars(ctx, raw, {k: e.operands[k].type for k in raw}, leaves)


def array_eval(gen: FunctionLowerer, e: W.ArrayEval) -> ir.Value:
    """A fused element-wise expression: a new array, or a scalar (no array operand)."""
    ctx = gen.arrays
    b = gen.b
    loop = _Loop(ctx)
    with _operands(gen, e) as (arrays, scalars):
        if not isinstance(e.type, Array):
            scalars.convert_all()  # in order, before the "loop"
            loop.begin()
            value = _emit(loop, e.body, lambda k: scalars[k])
            _raise_flags(loop)
            return _to_ember(ctx, value, e.body.type)
        shapes = {k: [dim_of(b, v, axis) for axis in range(t.ndim)]
                  for k, (v, t) in arrays.items()}
        for k in scalars:
            shapes[k] = []
        shape = _shape_of(ctx, e.body, shapes, scalars=scalars)
        scalars.convert_all()
        ctx.check_overflow()  # a check point before an allocation
        out = new.new_array(ctx, e.type, shape, zero=False)
        ctx.pending.append(owner_of(b, out))  # released if the loop's flags raise
        loop.begin()
        _run_loops(loop, e.body, arrays, scalars, shape, (out, e.type), e.type.layout, True)
        _raise_flags(loop)
        ctx.pending.pop()
    return out


def array_store(gen: FunctionLowerer, s: W.ArrayStore) -> None:
    """``a op= b``: the loop written into ``a`` (see :class:`W.ArrayStore`)."""
    ctx = gen.arrays
    b = gen.b
    e = s.value
    t = s.target.type
    assert isinstance(t, Array)
    loop = _Loop(ctx)
    with _operands(gen, e) as (arrays, scalars):
        target = gen.expr(s.target)
        target_shape = [dim_of(b, target, axis) for axis in range(t.ndim)]
        shapes = {k: [dim_of(b, v, axis) for axis in range(at.ndim)]
                  for k, (v, at) in arrays.items()}
        for k in scalars:
            shapes[k] = []
        body = e.body
        root = body.value if isinstance(body, W.ElementCast) else body
        inputs = _shape_of(ctx, root, shapes, root_out=target_shape, scalars=scalars)
        scalars.convert_all()
        _check_output(ctx, inputs, target_shape)
        depth = len(ctx.pending)
        arrays = _copy_overlapping(ctx, arrays, target, t)
        loop.begin()
        _run_loops(loop, body, arrays, scalars, target_shape, (target, t),
                   "F" if t.layout == "F" else "C", t.layout in ("C", "F"))
        _raise_flags(loop)
        copies = ctx.pending[depth:]
        del ctx.pending[depth:]
        for owner in copies:
            py_decref(b, owner)  # NULL-safe (Py_DecRef): no copy, nothing to release


def _check_output(ctx: ArrayState, inputs: list[ir.Value], out: list[ir.Value]) -> None:
    """NumPy's "non-broadcastable output operand" ValueError: the inputs' broadcast
    shape must fit the output's (more axes never do; per axis, equal or 1)."""
    b = ctx.builder
    one = ir.Constant(I64, 1)
    bad: ir.Value = ir.Constant(I1, int(len(inputs) > len(out)))
    shift = len(out) - len(inputs)
    for axis, d in enumerate(inputs):
        if axis + shift < 0:
            continue
        o = out[axis + shift]
        bad = b.or_(bad, b.and_(b.icmp_unsigned("!=", d, o), b.icmp_unsigned("!=", d, one)))
    with unlikely(ctx, bad):
        fmt = (f"non-broadcastable output operand with shape {_shape_text(len(out))} doesn't "
               f"match the broadcast shape {_shape_text(len(inputs))}")
        name = f"ember.output_shape_error.{len(out)}_{len(inputs)}"
        shown = _broadcast_quiet(b, [inputs, out]) if len(inputs) >= len(out) else inputs
        dims = [*out, *shown]
        b.call(format_error_helper(b.module, name, "ValueError", fmt, [I64] * len(dims)), dims)
        ctx.fail()


def _copy_overlapping(ctx: ArrayState, arrays: dict[int, tuple[ir.Value, Array]],
                      target: ir.Value, t: Array) -> dict[int, tuple[ir.Value, Array]]:
    """Operands whose memory overlaps the target's, other than the target itself read in
    place (same data pointer, shape and strides), are copied first, as NumPy does, so no
    element is read after the loop has overwritten it. Each copy's owner (NULL when no
    copy was made) is pushed on ``ctx.pending``: the caller releases it."""
    b = ctx.builder
    out = dict(arrays)
    null = ir.Constant(PTR, None)
    for k, (value, at) in arrays.items():
        same = _same_view(b, value, at, target, t)
        overlap = b.and_(b.not_(same), _overlaps(b, value, at, target, t))
        slot = ctx.alloca(value.type, name="ew.operand")
        b.store(value, slot)
        with b.if_then(overlap, likely=False):
            shape = [dim_of(b, value, axis) for axis in range(at.ndim)]
            copy = new.new_array(ctx, Array(at.dtype, at.ndim, "C"), shape, zero=False)
            new.copy_into(ctx, copy, value, at)
            b.store(copy, slot)
        fresh = b.load(slot, typ=value.type)
        ctx.pending.append(b.select(overlap, owner_of(b, fresh), null))
        out[k] = (fresh, Array(at.dtype, at.ndim, "A"))
    return out


def _same_view(b: ir.IRBuilder, v: ir.Value, vt: Array, w: ir.Value, wt: Array) -> ir.Value:
    ok = b.icmp_unsigned("==", data_of(b, v), data_of(b, w))
    if vt.ndim != wt.ndim or vt.dtype != wt.dtype:
        return b.and_(ok, ir.Constant(I1, 0))
    for axis in range(vt.ndim):
        ok = b.and_(ok, b.icmp_unsigned("==", dim_of(b, v, axis), dim_of(b, w, axis)))
        ok = b.and_(ok, b.icmp_unsigned("==", stride_of(b, v, axis), stride_of(b, w, axis)))
    return ok


def _extent(b: ir.IRBuilder, v: ir.Value, t: Array) -> tuple[ir.Value, ir.Value]:
    """[lowest, highest) byte addresses an array touches (empty when a dim is 0)."""
    lo = b.ptrtoint(data_of(b, v), I64)
    hi = b.add(lo, ir.Constant(I64, t.dtype.itemsize))
    empty: ir.Value = ir.Constant(I1, 0)
    zero = ir.Constant(I64, 0)
    for axis in range(t.ndim):
        d = dim_of(b, v, axis)
        empty = b.or_(empty, b.icmp_unsigned("==", d, zero))
        span = b.mul(b.sub(d, ir.Constant(I64, 1)), stride_of(b, v, axis))
        negative = b.icmp_signed("<", span, zero)
        lo = b.select(negative, b.add(lo, span), lo)
        hi = b.select(negative, hi, b.add(hi, span))
    return b.select(empty, zero, lo), b.select(empty, zero, hi)


def _overlaps(b: ir.IRBuilder, v: ir.Value, vt: Array, w: ir.Value, wt: Array) -> ir.Value:
    vlo, vhi = _extent(b, v, vt)
    wlo, whi = _extent(b, w, wt)
    return b.and_(b.icmp_unsigned("<", vlo, whi), b.icmp_unsigned("<", wlo, vhi))

