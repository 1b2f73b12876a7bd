"""Calls between the jit functions of a unit, and the recursion guard: typed IR
:class:`T.CallJit` → LLVM calls of the unit's specializations.

    def fib(n):                 define internal {i32, i64} @_ember_fib_...rec.v(i64 %n, i64 %depth, i64 %lim)
        if n < 2: return n        %d1 = add i64 %depth, 1
        return fib(n-1) + ...     %bad = or (icmp sgt %d1, LIMIT), (icmp ult (stacksave), %lim)
                                  br %bad, label %raise.RecursionError, ...
                                  %r = call {i32, i64} @_ember_fib_...rec.v(i64 %n1, i64 %d1, i64 %lim)

Compiled frames live on the C stack, so runaway recursion would crash the process where
CPython raises RecursionError. Every function in a strongly connected component of the
unit's call graph (self-recursive, or mutually recursive with others) takes its depth
and its thread's stack limit as extra, last ``i64`` parameters. Two guards raise
``RecursionError("maximum recursion depth exceeded")``:

- the depth, Python's rule: a call inside the component passes ``depth + 1`` and raises
  past :func:`recursion_limit` (``sys.getrecursionlimit()``); a call entering a
  component passes 0;
- the real stack, whatever the thread's stack: the same call compares the stack
  pointer (``llvm.stacksave``, the caller's frame made) with the limit, the bottom of
  the thread's stack plus a margin for one more frame, raising and a C API call
  (:func:`stack_limit`, :data:`STACK_MARGIN`). The limit is computed once per thread
  from the thread's stack bounds (``pthread_getattr_np``, which for the main thread
  follows ``RLIMIT_STACK``) and cached per unit, keyed by the thread state's unique
  id; a call entering a component looks it up.

Parameters (unlike global counters) stay in registers, are per thread by construction,
and need no undoing when an exception unwinds: fib pays an add and two compares per
call.
A root that recurses keeps the contract's signature through :func:`root_wrapper`.

A recursive internal function with a scalar result (int, float, bool) is lowered as a
twin that returns ``{i32 status, value}`` in registers (:func:`value_function`), and its
calls call the twin; the declared function (status, out-pointer) stays as a wrapper of
it for whoever needs that contract (:func:`root_wrapper`). The status is the same 0 / 1
(overflow pending) / -1 (raised) either way.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.capi import CApi
from ember.native.boundary.llvm import I32, I64, PTR, spec_type, value_type
from ember.native.codegen import arrays as lower_arrays
from ember.native.ir import nodes as T
from ember.native.messages import MSG_RECURSION
from ember.native.options import recursion_limit
from ember.native.types import Bool, Float64, Int64, Type

if TYPE_CHECKING:
    from ember.native.codegen.function import FunctionLowerer


def call_jit(g: FunctionLowerer, e: T.CallJit) -> ir.Value:
    """A call of another specialization of the unit (``g.fns[e.symbol]``)."""
    args = [g.expr(a) for a in e.args]
    if e.symbol not in g.check_free:
        # A check point: the callee may print, store, loop or recurse on a wrapped
        # value. A check-free callee only computes (its errors become ours).
        g.check_overflow(lambda: lower_arrays.release_call_arguments(g, e.args, args))
    callee = g.fns[e.symbol]
    if e.symbol in g.recursive:
        # A call that can recurse: one deeper, and RecursionError past the limit
        # (see recursion_limit) or near the end of the stack, instead of a C stack
        # overflow. The depth and the limit are parameters, so they stay in
        # registers and need no undoing on errors.
        depth = g.b.add(g.fn.args[-2], g.i64(1))
        too_deep = g.b.or_(g.b.icmp_signed(">", depth, g.i64(recursion_limit())),
                           stack_low(g))
        blk = g.block("recursion.cleanup")
        g.cold_branch(too_deep, blk)
        cont = g.b.block
        g.b.position_at_end(blk)
        lower_arrays.release_call_arguments(g, e.args, args)
        g.b.branch(g.error_block("RecursionError", MSG_RECURSION))
        g.b.position_at_end(cont)
        args = [*args, depth, g.fn.args[-1]]
    elif e.symbol in g.members:
        # Entering another recursive component: depth 0, and this thread's stack
        # limit (a member already holds it).
        own = g.func.symbol in g.members
        limit = g.fn.args[-1] if own else g.b.call(stack_limit(g.module, g.capi), [])
        args = [*args, g.i64(0), limit]
    # Temporaries passed in are released before the status is looked at: a callee
    # that raised must not leak them.
    twin = value_function(g.module, g.fns, e.symbol, e.type, g.members)
    if twin is not None:
        pair = g.b.call(twin, args)
        lower_arrays.release_call_arguments(g, e.args, args[: len(e.args)])
        g.check_rc(g.b.extract_value(pair, 0))
        return g.b.extract_value(pair, 1)
    out_ty = value_type(e.type)
    out = g.alloca(out_ty)
    rc = g.b.call(callee, [out, *args])
    lower_arrays.release_call_arguments(g, e.args, args[: len(e.args)])
    g.check_rc(rc)
    return g.b.load(out, typ=out_ty)


def value_function(
    module: ir.Module, fns: dict[str, ir.Function], symbol: str, ret: Type,
    members: set[str] | frozenset[str],
) -> ir.Function | None:
    """The twin of an internal, recursive specialization (in ``members``) with a scalar
    result that returns ``{i32 status, T value}`` in registers, taking the same
    parameters but the out-pointer: ``{i32, i64} @sym.v(i64 %n, i64 %depth)``. Made on
    first use, by the callee's lowering or a caller's (both ask with the same types);
    None for the root (the CPython entry's contract), for results that are not scalars,
    and for functions outside a recursive group.

    A value returned through memory is stored by the callee and loaded by the caller,
    a store-to-load round trip on the path of every recursive call (fib's two). A
    function that cannot recurse is inlined, where the out-pointer costs nothing; a
    twin there would leave a ``{status, value}`` phi that LLVM does not take apart,
    keeping the callee's error paths inside the caller's loop (spectral_norm's
    ``eval_a``: 9% slower).
    """
    declared = fns[symbol]
    if (declared.linkage != "internal" or symbol not in members
            or not isinstance(ret, Int64 | Float64 | Bool)):
        return None
    name = declared.name + ".v"
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    ty = ir.FunctionType(ir.LiteralStructType([I32, value_type(ret)]),
                         declared.function_type.args[1:])
    fn = ir.Function(module, ty, name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    return fn


def value_wrapper(declared: ir.Function, twin: ir.Function) -> None:
    """The body of ``declared`` (out-pointer convention) as a call of its ``twin``: what
    :func:`root_wrapper` and any caller of the declared function still use."""
    b = ir.IRBuilder(declared.append_basic_block("entry"))
    pair = b.call(twin, list(declared.args[1:]))
    b.store(b.extract_value(pair, 1), declared.args[0])
    b.ret(b.extract_value(pair, 0))


def root_wrapper(
    module: ir.Module, capi: CApi, inner: ir.Function, root: T.TypedFunction
) -> ir.Function:
    """The root with the contract's signature around its recursive body (depth 0). The
    body raises a pending overflow itself, as every root, so it returns 0 or -1."""
    fn = ir.Function(module, spec_type(root.arg_types), root.symbol)
    fn.attributes.add("nounwind")
    fn.attributes.add("noinline")  # kept out of the entry, as every root
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    limit = b.call(stack_limit(module, capi), [])
    b.ret(b.call(inner, [*fn.args, ir.Constant(I64, 0), limit], tail=True))
    return fn


#: Stack kept free below the limit, at most (a quarter of a smaller stack): one more
#: compiled frame, raising, and any C API call a recursive function makes (print() into
#: a Python-level sys.stdout runs interpreted code).
STACK_MARGIN = 256 * 1024
#: Threads whose limits a unit remembers (slot = thread state id mod this).
STACK_SLOTS = 8


def stack_low(g: FunctionLowerer) -> ir.Value:
    """An i1: the stack pointer is below the thread's stack limit (the last parameter).
    Read at a recursive call, where the caller's frame is made: the callee's frame and
    what it calls before its own recursive calls must fit in the margin
    (:func:`stack_limit`). At the call, not on the callee's entry, so that a call that
    returns at once (fib's base case) still makes no frame at all (shrink-wrapping)."""
    sp_fn = g.intrinsic("llvm.stacksave.p0", PTR, [])
    sp = g.b.ptrtoint(g.b.call(sp_fn, []), I64)
    return g.b.icmp_unsigned("<", sp, g.fn.args[-1])


def stack_limit(module: ir.Module, capi: CApi) -> ir.Function:
    """``i64 @ember.stack_limit()``: the lowest stack pointer this thread's recursive
    calls may reach (0: unknown, only the depth is checked). The unit remembers it per
    thread, keyed by ``PyThreadState_GetID`` (unique in the process, never reused, so
    a thread that died cannot lend its bounds to a new one); compiled code runs with
    the GIL held, so the table needs no lock."""
    name = "ember.stack_limit"
    existing = module.globals.get(name)
    if isinstance(existing, ir.Function):
        return existing
    table_ty = ir.ArrayType(I64, STACK_SLOTS)
    ids, limits = (ir.GlobalVariable(module, table_ty, f"ember.stack.{what}")
                   for what in ("ids", "limits"))
    for table in (ids, limits):
        table.linkage = "internal"
        table.initializer = ir.Constant(table_ty, None)
    fn = ir.Function(module, ir.FunctionType(I64, []), name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    tstate = b.call(capi.fn("PyThreadState_Get"), [])
    tid = b.call(capi.fn("PyThreadState_GetID"), [tstate])
    slot = b.and_(tid, ir.Constant(I64, STACK_SLOTS - 1))
    # No source_etype: llvmlite then types the result i64* (with it, [8 x i64]*).
    id_at, limit_at = (b.gep(t, [ir.Constant(I64, 0), slot], inbounds=True)
                       for t in (ids, limits))
    hit = b.icmp_unsigned("==", b.load(id_at, typ=I64), tid)
    found, miss = fn.append_basic_block("found"), fn.append_basic_block("miss")
    b.cbranch(hit, found, miss).set_weights([1 << 20, 1])
    b.position_at_end(found)
    b.ret(b.load(limit_at, typ=I64))
    b.position_at_end(miss)
    limit = b.call(_stack_bounds(module, capi), [])
    b.store(tid, id_at)
    b.store(limit, limit_at)
    b.ret(limit)
    return fn


def _stack_bounds(module: ir.Module, capi: CApi) -> ir.Function:
    """``i64 @ember.stack_bounds()``, once per thread: the bottom of this thread's stack
    plus a margin (:data:`STACK_MARGIN`, or a quarter of a small stack), or 0 where the
    bounds are unknown (no ``pthread_getattr_np``: glibc and musl have it)."""
    fn = ir.Function(module, ir.FunctionType(I64, []), "ember.stack_bounds")
    fn.linkage = "internal"
    for attr in ("nounwind", "noinline", "cold"):
        fn.attributes.add(attr)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    if not sys.platform.startswith("linux"):
        b.ret(ir.Constant(I64, 0))  # macOS/Windows: the depth guard only
        return fn
    # pthread_attr_t is 56 bytes on x86-64 and 64 on aarch64 glibc: 128 is room enough.
    attr = b.alloca(ir.ArrayType(I64, 16), name="attr")
    addr, size = b.alloca(PTR, name="addr"), b.alloca(I64, name="size")
    me = b.call(capi.declare("pthread_self", I64, ()), [])
    rc = b.call(capi.declare("pthread_getattr_np", I32, (I64, PTR)), [me, attr])
    ok, unknown = fn.append_basic_block("ok"), fn.append_basic_block("unknown")
    b.cbranch(b.icmp_signed("==", rc, ir.Constant(I32, 0)), ok, unknown)
    b.position_at_end(unknown)
    b.ret(ir.Constant(I64, 0))
    b.position_at_end(ok)
    b.call(capi.declare("pthread_attr_getstack", I32, (PTR, PTR, PTR)), [attr, addr, size])
    b.call(capi.declare("pthread_attr_destroy", I32, (PTR,)), [attr])
    bottom = b.ptrtoint(b.load(addr, typ=PTR), I64)
    quarter = b.lshr(b.load(size, typ=I64), ir.Constant(I64, 2))
    margin = b.select(b.icmp_unsigned("<", quarter, ir.Constant(I64, STACK_MARGIN)),
                      quarter, ir.Constant(I64, STACK_MARGIN))
    b.ret(b.add(bottom, margin))
    return fn
