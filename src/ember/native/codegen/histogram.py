"""``np.bincount`` and ``np.histogram(a, bins)`` → LLVM IR, computed as NumPy 2.4's
Python code computes them (``numpy/lib/_histograms_impl.py``), so every edge and every
count is NumPy's own:

- the range is ``(a.min(), a.max())`` (``(0, 1)`` when empty; an empty range widened by
  0.5 each side; a NaN or infinite end raises ValueError);
- the edges are ``np.linspace(first, last, bins + 1)``: ``start + i * step`` (``step =
  (stop - start) / bins``; ``i / bins * delta`` when the step underflows to 0), the last
  one ``stop`` — in float32 for a float32 array, float64 otherwise;
- an item's bin is ``int((x - first) / (last - first) * bins)``, then NumPy's fix-ups
  against the edges (the last bin includes its right edge).
llvmlite.ir only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary.capi import (
    capi_function,
    extern_function,
    format_error_helper,
    py_decref,
)
from ember.native.boundary.llvm import F64, I1, I64, PTR
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import (
    Context,
    counted_loop,
    data_of,
    dim_of,
    load_element,
    nested_loops,
    owner_of,
    raise_message,
    unchecked_pointer,
    unlikely,
)
from ember.native.codegen.arrays import operand
from ember.native.codegen.fancy import raise_format
from ember.native.ir import fancy as F
from ember.native.messages import (
    BINCOUNT_MINLENGTH,
    BINCOUNT_NEGATIVE,
    BINCOUNT_WEIGHTS,
    HISTOGRAM_BINS,
    HISTOGRAM_RANGE,
    HISTOGRAM_TOO_MANY,
)
from ember.native.types import Array, DType, Tuple

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer


def _as_int(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    return b.zext(v, I64) if v.type == I1 else v


def _at(b: ir.IRBuilder, data: ir.Value, i: ir.Value, ty: ir.Type) -> ir.Value:
    return b.gep(data, [i], inbounds=True, source_etype=ty)


# ----------------------------------------------------------------- bincount


def bincount(gen: FunctionLowerer, e: F.FancyCall) -> ir.Value:
    """``np.bincount(x, weights, minlength)``: NumPy's checks in its order (minlength,
    negative items, the weights' length), then one counting pass."""
    ctx = gen.arrays
    b = gen.b
    xt = e.args[0].type
    assert isinstance(xt, Array) and isinstance(e.type, Array)
    minlength = gen.expr(e.args[1])
    zero = ir.Constant(I64, 0)
    with unlikely(ctx, b.icmp_signed("<", minlength, zero)):
        raise_message(ctx, "ValueError", BINCOUNT_MINLENGTH)
    with operand(ctx, e.args[0]) as x:
        n = dim_of(b, x, 0)
        top = ctx.alloca(I64, name="max")
        b.store(ir.Constant(I64, -1), top)
        with counted_loop(b, n, name="scan") as i:
            v = _as_int(b, load_element(ctx, unchecked_pointer(b, x, xt, [i]), xt.dtype))
            with unlikely(ctx, b.icmp_signed("<", v, zero)):
                raise_message(ctx, "ValueError", BINCOUNT_NEGATIVE)
            old = b.load(top, typ=I64)
            b.store(b.select(b.icmp_signed(">", v, old), v, old), top)
        size = b.add(b.load(top, typ=I64), ir.Constant(I64, 1))
        size = b.select(b.icmp_signed(">", minlength, size), minlength, size)
        if len(e.args) == 2:
            return _count_into(ctx, e.type, x, xt, n, size, None)
        with operand(ctx, e.args[2]) as w:
            with unlikely(ctx, b.icmp_signed("!=", dim_of(b, w, 0), n)):
                raise_message(ctx, "ValueError", BINCOUNT_WEIGHTS)
            result = _count_into(ctx, e.type, x, xt, n, size, w, e.args[2].type)
        return result


def _count_into(ctx: Context, t: Array, x: ir.Value, xt: Array, n: ir.Value, size: ir.Value,
                w: ir.Value | None, wt: object = None) -> ir.Value:
    b = ctx.builder
    out = new.new_array(ctx, t, [size], zero=True)
    data = data_of(b, out)
    elem = F64 if w is not None else I64
    with counted_loop(b, n, name="count") as i:
        v = _as_int(b, load_element(ctx, unchecked_pointer(b, x, xt, [i]), xt.dtype))
        slot = _at(b, data, v, elem)
        if w is None:
            b.store(b.add(b.load(slot, typ=I64), ir.Constant(I64, 1)), slot)
        else:
            assert isinstance(wt, Array)
            ctx.pending.append(owner_of(b, out))  # (a uint64 weight past int64 raises)
            weight = load_element(ctx, unchecked_pointer(b, w, wt, [i]), wt.dtype)
            ctx.pending.pop()
            if weight.type != F64:  # NumPy casts the weights to double
                weight = b.uitofp(weight, F64) if weight.type == I1 else b.sitofp(weight, F64)
            b.store(b.fadd(b.load(slot, typ=F64), weight), slot)
    return out


# ---------------------------------------------------------------- histogram


class _Edges:
    """The range and edge arithmetic of one histogram: ``E`` the edges' float type,
    ``first``/``last`` the range (ints on the integer path)."""

    def __init__(self, b: ir.IRBuilder, dtype: DType) -> None:
        self.b = b
        self.dtype = dtype
        self.E: ir.Type = ir.FloatType() if dtype.name == "float32" else F64

    def to_e(self, v: ir.Value) -> ir.Value:
        """A compute-type value (int64 or float64) as an edge float."""
        b = self.b
        if v.type == I64:
            return b.sitofp(v, self.E)
        return v if v.type == self.E else b.fptrunc(v, self.E)


def _min_max(ctx: Context, a: ir.Value, t: Array) -> tuple[ir.Value, ir.Value]:
    """``a.min()``, ``a.max()`` of a non-empty array (compute type; NaN propagates)."""
    b = ctx.builder
    is_float = t.dtype.kind == "f"
    ty = F64 if is_float else I64
    first = load_element(ctx, unchecked_pointer(b, a, t, [ir.Constant(I64, 0)] * t.ndim),
                         t.dtype)
    lo, hi = ctx.alloca(ty, name="lo"), ctx.alloca(ty, name="hi")
    b.store(first, lo)
    b.store(first, hi)
    with nested_loops(b, [dim_of(b, a, k) for k in range(t.ndim)]) as indices:
        x = load_element(ctx, unchecked_pointer(b, a, t, indices), t.dtype)
        old_lo, old_hi = b.load(lo, typ=ty), b.load(hi, typ=ty)
        if is_float:  # NaN sticks: keep the old one if it is NaN, take x if x is
            take_lo = b.or_(b.fcmp_unordered("uno", x, x), b.fcmp_ordered("<", x, old_lo))
            take_lo = b.and_(take_lo, b.fcmp_ordered("ord", old_lo, old_lo))
            take_hi = b.or_(b.fcmp_unordered("uno", x, x), b.fcmp_ordered(">", x, old_hi))
            take_hi = b.and_(take_hi, b.fcmp_ordered("ord", old_hi, old_hi))
        else:
            take_lo, take_hi = b.icmp_signed("<", x, old_lo), b.icmp_signed(">", x, old_hi)
        b.store(b.select(take_lo, x, old_lo), lo)
        b.store(b.select(take_hi, x, old_hi), hi)
    return b.load(lo, typ=ty), b.load(hi, typ=ty)


def _check_finite(ctx: Context, lo: ir.Value, hi: ir.Value) -> None:
    b = ctx.builder
    inf = ir.Constant(F64, float("inf"))
    finite = b.and_(b.fcmp_ordered("<", b.call(_fabs(b), [lo]), inf),
                    b.fcmp_ordered("<", b.call(_fabs(b), [hi]), inf))
    with unlikely(ctx, b.not_(finite)):
        make = capi_function(b.module, "PyFloat_FromDouble")
        x, y = b.call(make, [lo]), b.call(make, [hi])
        helper = format_error_helper(b.module, "ember.histogram_range", "ValueError",
                                     HISTOGRAM_RANGE, [PTR, PTR])
        b.call(helper, [x, y])
        py_decref(b, x)
        py_decref(b, y)
        ctx.fail()


def _fabs(b: ir.IRBuilder) -> ir.Function:
    return extern_function(b.module, "llvm.fabs.f64", F64, [F64])


def _linspace(b: ir.IRBuilder, out: ir.Value, start: ir.Value, stop: ir.Value,
              bins: ir.Value, E: ir.Type) -> None:
    """``np.linspace(start, stop, bins + 1)`` computed in ``start``'s float type, stored
    as ``E`` into the C array ``out``."""
    L = start.type
    div = b.sitofp(bins, L)
    delta = b.fsub(stop, start)
    step = b.fdiv(delta, div)
    step_zero = b.fcmp_ordered("==", step, ir.Constant(L, 0.0))
    data = data_of(b, out)
    with counted_loop(b, b.add(bins, ir.Constant(I64, 1)), name="edge") as i:
        fi = b.sitofp(i, L)
        y = b.select(step_zero, b.fmul(b.fdiv(fi, div), delta), b.fmul(fi, step))
        y = b.fadd(y, start)
        y = b.select(b.icmp_signed("==", i, bins), stop, y)
        if L != E:
            y = b.fptrunc(y, E)
        b.store(y, _at(b, data, i, E))


def histogram(gen: FunctionLowerer, e: F.FancyCall) -> ir.Value:
    """``np.histogram(a, bins)`` → (counts, edges); see the module docstring."""
    ctx = gen.arrays
    b = gen.b
    t = e.args[0].type
    assert isinstance(t, Array) and isinstance(e.type, Tuple)
    counts_t, edges_t = e.type.items
    assert isinstance(counts_t, Array) and isinstance(edges_t, Array)
    bins = gen.expr(e.args[1])
    with unlikely(ctx, b.icmp_signed("<", bins, ir.Constant(I64, 1))):
        raise_message(ctx, "ValueError", HISTOGRAM_BINS)
    ed = _Edges(b, t.dtype)
    E = ed.E
    with operand(ctx, e.args[0]) as a:
        n: ir.Value = ir.Constant(I64, 1)
        for k in range(t.ndim):
            n = b.mul(n, dim_of(b, a, k))
        edges = new.new_array(ctx, edges_t, [b.add(bins, ir.Constant(I64, 1))], zero=False)
        ctx.pending.append(owner_of(b, edges))
        counts = new.new_array(ctx, counts_t, [bins], zero=True)
        ctx.pending.append(owner_of(b, counts))
        empty = b.icmp_signed("==", n, ir.Constant(I64, 0))
        with b.if_else(empty) as (then, otherwise):
            with then:  # range (0, 1): linspace of Python ints computes in float64
                _linspace(b, edges, ir.Constant(F64, 0.0), ir.Constant(F64, 1.0), bins, E)
            with otherwise:
                _fill(ctx, ed, a, t, edges, counts, bins)
        ctx.pending.pop()
        ctx.pending.pop()
    result: ir.Value = ir.Constant(ir.LiteralStructType([counts.type, edges.type]), ir.Undefined)
    return b.insert_value(b.insert_value(result, counts, 0), edges, 1)


def _fill(ctx: Context, ed: _Edges, a: ir.Value, t: Array, edges: ir.Value, counts: ir.Value,
          bins: ir.Value) -> None:
    """The edges and counts of a non-empty ``a``."""
    b = ctx.builder
    E = ed.E
    lo, hi = _min_max(ctx, a, t)
    if t.dtype.kind == "f":
        _check_finite(ctx, lo, hi)
        lo, hi = ed.to_e(lo), ed.to_e(hi)
    same = (b.fcmp_ordered("==", lo, hi) if t.dtype.kind == "f"
            else b.icmp_signed("==", lo, hi))
    half = ir.Constant(E if t.dtype.kind == "f" else F64, 0.5)
    # The float path (a float array, or equal ends widened by 0.5) and the integer path
    # (distinct int ends: NumPy subtracts them as unsigned ints).
    first_f = b.fsub(_float(b, lo), half)
    last_f = b.fadd(_float(b, hi), half)
    if t.dtype.kind == "f":
        first_f, last_f = b.select(same, first_f, lo), b.select(same, last_f, hi)
        denom = b.fsub(last_f, first_f)
        _linspace(b, edges, first_f, last_f, bins, E)
    else:
        first_f = b.select(same, first_f, b.sitofp(lo, F64))
        last_f = b.select(same, last_f, b.sitofp(hi, F64))
        exact = b.uitofp(b.sub(hi, lo), F64)
        denom = b.select(same, b.fsub(last_f, first_f), exact)
        _linspace(b, edges, first_f, last_f, bins, E)
    ed_data = data_of(b, edges)
    with counted_loop(b, bins, name="rising") as i:
        here = b.load(_at(b, ed_data, i, E), typ=E)
        nxt = b.load(_at(b, ed_data, b.add(i, ir.Constant(I64, 1)), E), typ=E)
        with unlikely(ctx, b.fcmp_unordered(">=", here, nxt)):
            raise_format(ctx, "ember.histogram_bins", "ValueError", HISTOGRAM_TOO_MANY, [bins])
    top = b.sub(bins, ir.Constant(I64, 1))
    norm = b.sitofp(bins, E)
    cdata = data_of(b, counts)
    with nested_loops(b, [dim_of(b, a, k) for k in range(t.ndim)]) as indices:
        x = ed.to_e(_as_int(b, load_element(ctx, unchecked_pointer(b, a, t, indices), t.dtype)))
        f = b.fmul(b.fdiv(b.fsub(x, first_f), denom), norm)
        k = b.fptosi(f, I64)
        k = b.select(b.icmp_signed("==", k, bins), top, k)
        below = b.fcmp_ordered("<", x, b.load(_at(b, ed_data, k, E), typ=E))
        k = b.select(below, b.sub(k, ir.Constant(I64, 1)), k)
        up = b.load(_at(b, ed_data, b.add(k, ir.Constant(I64, 1)), E), typ=E)
        above = b.and_(b.fcmp_ordered(">=", x, up), b.icmp_signed("!=", k, top))
        k = b.select(above, b.add(k, ir.Constant(I64, 1)), k)
        slot = _at(b, cdata, k, I64)
        b.store(b.add(b.load(slot, typ=I64), ir.Constant(I64, 1)), slot)


def _float(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    return b.sitofp(v, F64) if v.type == I64 else v
