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
from ember.native.boundary.llvm import F64, I1, I32, I64, PTR, VOID, storage_type
from ember.native.boundary.numpy import (
    API_DESCR_FROM_TYPE,
    API_EMPTY,
    API_ZEROS,
    OFFSET_DATA,
    api_table,
    numpy_api,
)
from ember.native.buffers import numpy_type_number
from ember.native.codegen import complex_reductions
from ember.native.codegen.array_access import (
    Context,
    contiguous_strides,
    convert_for_store,
    counted_loop,
    data_of,
    dim_of,
    make_value,
    owner_of,
    raise_message,
    size_of,
    stride_of,
    unchecked_pointer,
    unlikely,
    walk_into_c,
)
from ember.native.codegen.reductions import int_sum, min_max, pairwise_sum, sum_any_layout
from ember.native.messages import MSG_FLOAT_DIV0, MSG_INT_TRUEDIV0
from ember.native.types import Array


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
    dims = ctx.alloca(ir.ArrayType(I64, t.ndim), name="dims")
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
    with walk_into_c(ctx, shape) as (indices, k):
        raw = b.load(unchecked_pointer(b, src, src_type, indices), typ=elem, align=1)
        b.store(raw, b.gep(out, [k], inbounds=True, source_etype=elem), align=1)


def arange(ctx: Context, t: Array, start: ir.Value, stop: ir.Value, step: ir.Value) -> ir.Value:
    """``np.arange``: NumPy 2's length rule (:func:`arange_length`), then NumPy's fill:
    element 0 is ``start`` and element 1 is ``start + step`` (each converted as a store,
    so an int dtype raises OverflowError as NumPy's does), the rest ``x0 + i * (x1 - x0)``
    computed in the dtype itself (float32 arithmetic for float32, wrapping ints)."""
    b = ctx.builder
    length = arange_length(ctx, start, stop, step)
    value = new_array(ctx, t, [length], zero=False)
    data = data_of(b, value)
    elem = storage_type(t.dtype)
    ctx.pending.append(owner_of(b, value))  # released if storing start / next raises
    kind = t.dtype.kind
    ct = F64 if kind == "f" else I64

    def compute(x: ir.Value) -> ir.Value:  # a Python number → the dtype's compute type
        if x.type == ct:
            return x
        return b.sitofp(x, F64)  # int → float (NumPy converts through a double, too)

    if all(x.type == I64 for x in (start, step)):
        nxt_py = b.add(start, step)  # exact: length >= 2 means it lies before stop
        nxt = compute(nxt_py)
    else:
        nxt = b.fadd(compute(start), compute(step))
    with b.if_then(b.icmp_signed(">", length, ir.Constant(I64, 0))):
        x0 = convert_for_store(ctx, compute(start), t.dtype)
        b.store(x0, b.gep(data, [ir.Constant(I64, 0)], inbounds=True, source_etype=elem),
                align=1)
    with b.if_then(b.icmp_signed(">", length, ir.Constant(I64, 1))):
        x1 = convert_for_store(ctx, nxt, t.dtype)
        b.store(x1, b.gep(data, [ir.Constant(I64, 1)], inbounds=True, source_etype=elem),
                align=1)
    ctx.pending.pop()
    with b.if_then(b.icmp_signed(">", length, ir.Constant(I64, 2))):
        zero = ir.Constant(I64, 0)
        first = b.load(b.gep(data, [zero], inbounds=True, source_etype=elem), typ=elem,
                       align=1)
        second = b.load(b.gep(data, [ir.Constant(I64, 1)], inbounds=True, source_etype=elem),
                        typ=elem, align=1)
        delta = b.fsub(second, first) if kind == "f" else b.sub(second, first)
        with counted_loop(b, b.sub(length, ir.Constant(I64, 2)), name="arange") as j:
            i = b.add(j, ir.Constant(I64, 2), flags=["nsw"])
            if kind == "f":
                x = b.fadd(first, b.fmul(b.sitofp(i, elem), delta))
            else:  # in the element's own width: wraps as NumPy's C fill does
                x = b.add(first, b.mul(b.trunc(i, elem) if elem != I64 else i, delta))
            b.store(x, b.gep(data, [i], inbounds=True, source_etype=elem), align=1)
    return value


# Where NumPy's length rule changes its answer near 2**63 (the doubles there are 1024
# apart): ceil(RN(x)) is 2**63 for x in [2**63 - 512, 2**63 + 1024], more above.
_ROUNDS_TO_2_63 = (1 << 63) - 512
_ROUNDS_ABOVE_2_63 = (1 << 63) + 1024


def arange_length(ctx: Context, start: ir.Value, stop: ir.Value, step: ir.Value) -> ir.Value:
    """NumPy 2's ``len(np.arange(start, stop, step))`` (``_calc_length``): with ``d =
    stop - start`` (exact) and ``v = d / step`` (Python's true division, one rounding):
    a zero step raises ZeroDivisionError; ``d == 0`` gives 0; a NaN ``v`` raises
    ValueError; ``v == 0`` (an underflow or a division by inf) gives 1 unless ``v`` is
    -0.0; else ``c = ceil(v)``: outside ``[-2**63, 2**63]`` raises ValueError, ``2**63``
    gives 0 (NumPy's cast wraps it negative), otherwise ``max(c, 0)``.

    Each of start, stop and step is an i64 (a Python int) or a double. Never a trapping
    division: all-int arguments use the unsigned quotient of the magnitudes."""
    b = ctx.builder
    floaty = any(x.type == F64 for x in (start, stop, step))
    zero_step = (b.fcmp_ordered("==", step, ir.Constant(F64, 0.0)) if step.type == F64
                 else b.icmp_signed("==", step, ir.Constant(I64, 0)))
    with unlikely(ctx, zero_step):
        # The running Python's message for d / step (NumPy divides Python numbers).
        raise_message(ctx, "ZeroDivisionError", MSG_FLOAT_DIV0 if floaty else MSG_INT_TRUEDIV0)
    if not floaty:
        length = b.call(_int_length_function(b.module), [start, stop, step])
        with unlikely(ctx, b.icmp_signed("<", length, ir.Constant(I64, 0))):
            raise_message(ctx, "ValueError", "Maximum allowed size exceeded")
        return length
    if start.type == I64 and stop.type == I64:
        diff = _exact_difference(b, start, stop)
    else:
        as_f = [x if x.type == F64 else b.sitofp(x, F64) for x in (start, stop)]
        diff = b.fsub(as_f[1], as_f[0])
    value = b.fdiv(diff, step if step.type == F64 else b.sitofp(step, F64))
    with unlikely(ctx, b.fcmp_unordered("uno", value, value)):
        raise_message(ctx, "ValueError", "arange: cannot compute length")
    ceil = extern_function(b.module, "llvm.ceil.f64", F64, [F64])
    c = b.call(ceil, [value])
    limit = float(1 << 63)
    fits = b.and_(b.fcmp_ordered(">=", c, ir.Constant(F64, -limit)),
                  b.fcmp_ordered("<=", c, ir.Constant(F64, limit)))
    with unlikely(ctx, b.not_(fits)):
        raise_message(ctx, "ValueError", "Maximum allowed size exceeded")
    top = b.fcmp_ordered("==", c, ir.Constant(F64, limit))
    count = b.fptosi(b.select(top, ir.Constant(F64, 0.0), c), I64)
    count = b.select(b.icmp_signed(">", count, ir.Constant(I64, 0)), count, ir.Constant(I64, 0))
    # v == 0 with d != 0: an underflow, or d / inf; NumPy gives 1 unless v is -0.0.
    nonzero = b.fcmp_unordered("!=", diff, ir.Constant(F64, 0.0))
    tiny = b.and_(nonzero, b.fcmp_ordered("==", value, ir.Constant(F64, 0.0)))
    negative = b.icmp_signed("<", b.bitcast(value, I64), ir.Constant(I64, 0))
    one_or_none = b.select(negative, ir.Constant(I64, 0), ir.Constant(I64, 1))
    return b.select(tiny, one_or_none, count)


def _exact_difference(b: ir.IRBuilder, start: ir.Value, stop: ir.Value) -> ir.Value:
    """``float(stop - start)`` of two int64s, rounded once (Python's int subtraction is
    exact; the magnitude of the difference always fits in 64 unsigned bits)."""
    below = b.icmp_signed("<", stop, start)
    magnitude = b.select(below, b.sub(start, stop), b.sub(stop, start))
    as_f = b.uitofp(magnitude, F64)
    return b.select(below, b.fneg(as_f), as_f)


def _int_length_function(module: ir.Module) -> ir.Function:
    """``i64 @ember.arange_length(i64 start, i64 stop, i64 step)`` (step != 0): NumPy's
    length for int arguments, or -1 where NumPy raises "Maximum allowed size exceeded".

    ``v = d / step`` is the correctly rounded double of an exact quotient ``Q + R/S``
    (``Q, R`` from ``|d| udiv/urem |step|``), so ``ceil(v)`` is ``Q`` when the fraction
    rounds away, else the double ``Q + R/S`` rounds to, ceiled: that is why
    ``np.arange(0, 2**62 + 1, 2**62)`` has one element, not two."""
    existing = module.globals.get("ember.arange_length")
    if existing is not None:
        return existing
    fn = ir.Function(module, ir.FunctionType(I64, [I64, I64, I64]), "ember.arange_length")
    fn.linkage = "private"
    start, stop, step = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def k64(v: int) -> ir.Constant:
        return ir.Constant(I64, v)

    below = b.icmp_signed("<", stop, start)
    d = b.select(below, b.sub(start, stop), b.sub(stop, start))  # |stop - start|, unsigned
    neg_step = b.icmp_signed("<", step, k64(0))
    s = b.select(neg_step, b.sub(k64(0), step), step)  # |step|: -(-2**63) is 2**63 unsigned
    s = b.select(b.icmp_unsigned("==", s, k64(0)), k64(1), s)  # never a division by 0
    q, r = b.udiv(d, s), b.urem(d, s)
    ctlz = extern_function(module, "llvm.ctlz.i64", I64, [I64, I1])
    n = b.sub(k64(64), b.call(ctlz, [q, ir.Constant(I1, 0)]))  # bits of q
    # q < 2**53: v lies in [q, q + 1]; it rounds down to q when R/S is under half an ulp
    # of q (2**(n-54)), or exactly half and q's last significand bit is even.
    k = b.select(b.icmp_unsigned("<=", n, k64(53)), b.sub(k64(54), n), k64(1))
    under_half = b.icmp_unsigned("<=", r, b.lshr(b.sub(s, k64(1)), k))
    mask_k = b.sub(b.shl(k64(1), k), k64(1))
    half = b.and_(b.icmp_unsigned("==", b.and_(s, mask_k), k64(0)),
                  b.icmp_unsigned("==", r, b.lshr(s, k)))
    odd = b.and_(b.icmp_unsigned("==", n, k64(53)), b.trunc(q, I1))
    down = b.or_(b.icmp_unsigned("==", r, k64(0)),
                 b.or_(under_half, b.and_(half, b.not_(odd))))
    small = b.add(q, b.zext(b.not_(down), I64))
    # q >= 2**53: doubles are 2**e apart (e = n - 53); round q + R/S to a multiple of it.
    e = b.select(b.icmp_unsigned(">", n, k64(53)), b.sub(n, k64(53)), k64(1))
    mask_e = b.sub(b.shl(k64(1), e), k64(1))
    low = b.and_(q, b.not_(mask_e))
    rem = b.and_(q, mask_e)
    half_e = b.lshr(b.add(mask_e, k64(1)), k64(1))
    low_odd = b.trunc(b.lshr(low, e), I1)
    up = b.or_(b.icmp_unsigned(">", rem, half_e),
               b.and_(b.icmp_unsigned("==", rem, half_e),
                      b.or_(b.icmp_unsigned("!=", r, k64(0)), low_odd)))
    large = b.add(low, b.select(up, b.add(mask_e, k64(1)), k64(0)))
    length = b.select(b.icmp_unsigned("<=", n, k64(53)), small, large)
    length = b.select(b.icmp_unsigned("==", q, k64(0)), k64(1), length)  # 0 < v < 1
    length = b.select(b.icmp_unsigned(">=", q, k64(_ROUNDS_TO_2_63)), k64(0), length)
    negative = b.icmp_unsigned("!=", below, neg_step)
    length = b.select(negative, k64(0), length)
    length = b.select(b.icmp_unsigned("==", d, k64(0)), k64(0), length)
    too_big = b.or_(b.icmp_unsigned(">", q, k64(_ROUNDS_ABOVE_2_63)),
                    b.and_(b.icmp_unsigned("==", q, k64(_ROUNDS_ABOVE_2_63)),
                           b.icmp_unsigned("!=", r, k64(0))))
    b.ret(b.select(too_big, k64(-1), length))
    return fn


def reduce(ctx: Context, op: str, value: ir.Value, t: Array) -> ir.Value:
    """``a.sum()`` / ``a.min()`` / ``a.max()`` with NumPy's answers (see
    :mod:`ember.native.codegen.reductions`), in the compute type."""
    if t.dtype.kind == "c":  # sum, prod, mean: codegen/complex_reductions.py
        return complex_reductions.reduce(ctx, op, value, t)
    if op != "sum":
        return min_max(ctx, op, value, t)
    if t.dtype.kind != "f":
        return int_sum(ctx, value, t)
    b = ctx.builder
    itemsize = ir.Constant(I64, t.dtype.itemsize)
    if t.ndim == 1:  # NumPy sums a 1-d array pairwise along its strides, any sign
        return pairwise_sum(ctx, data_of(b, value), dim_of(b, value, 0),
                            stride_of(b, value, 0), t.dtype)
    n = size_of(b, value, t.ndim)
    if t.layout in ("C", "F"):  # one run in memory order: NumPy's iterator coalesces it
        return pairwise_sum(ctx, data_of(b, value), n, itemsize, t.dtype)
    # Any other layout: NumPy's iterator order, rows through its buffer.
    return sum_any_layout(ctx, value, t, lambda count: new_array(
        ctx, Array(t.dtype, 1, "C"), [count], zero=False))
