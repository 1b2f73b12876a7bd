"""A parallel loop (:class:`~ember.native.ir.parallel.ParallelFor`) → LLVM IR that
splits the iterations into chunks, runs them on the thread pool, and combines the
reductions' partials in chunk order.

    count = len(range(start, stop, step)); n = min(count, MAX_CHUNKS)
    env = {count, n, start, step, captures..., partial[n], status[n], exc[n]}
    pool_run(@f$prange1.chunk, &env, n)        ; the pool (runtime/parallel.py) releases
                                                 ; the GIL and calls chunk(env, c) for c < n
    first c with status[c] != 0 → raise its exception (or OverflowError)
    for c < n: s = s + partial[c].0 ...         ; in chunk order: deterministic

Chunks depend on the trip count only (never on the number of threads), so a float sum
is the same for 1 or 16 threads: ``x0 + p0 + p1 + ...`` where ``p_c`` sums chunk ``c``
(contiguous iterations, the first ``count % n`` chunks one longer) from ``-0.0``.

Worker threads run without the GIL. Every call the outlined body (and whatever it
calls) makes into the C API goes through a thunk that takes the GIL when the thread
does not hold it (:func:`make_gil_safe`): raising, a traceback entry, boxing for
``print``. A worker keeps its own thread state, so an exception set there is fetched by
the chunk (``PyErr_Fetch``) and restored by the caller after the loop: the first by
iteration order wins, the others are released. Calls the thunks cannot wrap (NumPy's C
API through its function table: creating arrays) are refused at compile time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.boundary.capi import cstring
from ember.native.boundary.llvm import I32, I64, PTR, VOID, value_type
from ember.native.codegen.loops import trip_count
from ember.native.codegen.pool import own_pool
from ember.native.ir.parallel import ParallelFor

if TYPE_CHECKING:
    from ember.native.codegen.function import FunctionLowerer

#: Most chunks a loop is split into; fewer when it has fewer iterations. Enough for
#: dynamic load balance on a few dozen threads; fixed, so results never depend on them.
MAX_CHUNKS = 256

#: The Python module whose ``POOL_RUN`` attribute is the pool's entry address.
POOL_MODULE = "ember.native.runtime.parallel"

#: Helpers that keep per-process state relying on the GIL (the recursion guard's table
#: of thread stack limits, codegen/calls.py): a worker calls them whole with the GIL.
GIL_LEAVES = frozenset({"ember.stack_limit"})

_POOL_RUN_TYPE = ir.FunctionType(VOID, [PTR, PTR, I64])  # run(chunk, env, n)
_POOL_RUN_PTR = _POOL_RUN_TYPE.as_pointer()  # prints as ptr; lets llvmlite call through it
_CHUNK_TYPE = ir.FunctionType(VOID, [PTR, I64])  # chunk(env, c)


def parallel_for(g: FunctionLowerer, s: ParallelFor) -> None:
    """Lower ``s`` at ``g``'s builder."""
    b = g.b
    start, stop, step = g.expr(s.start), g.expr(s.stop), g.expr(s.step)
    count = trip_count(g, start, stop, step, s.step)
    caps = [g.expr(c) for c in s.captures]
    env_ty = _env_type(s)
    env = g.alloca(env_ty, name="prange.env")
    limit = g.i64(MAX_CHUNKS)
    n = b.select(b.icmp_unsigned("<", count, limit), count, limit)
    for i, v in enumerate((count, n, start, step)):
        b.store(v, _field(b, env, env_ty, i))
    b.store(n, _field(b, env, env_ty, 8))  # no chunk has failed yet
    for i, v in enumerate(caps):
        b.store(v, _field(b, env, env_ty, 4, I32(i)))
    run, after = g.block("prange.run"), g.block("prange.done")
    b.cbranch(b.icmp_unsigned("==", n, g.i64(0)), after, run)
    b.position_at_end(run)
    pool = _pool_entry(g)
    chunk = chunk_function(g, s, env_ty)
    b.call(pool, [chunk, env, n])
    _raise_first(g, env, env_ty, n)
    _combine(g, s, env, env_ty, n)
    g.b.branch(after)
    g.b.position_at_end(after)
    g.parallel_chunks.append((chunk, s.span))


def _env_type(s: ParallelFor) -> ir.LiteralStructType:
    """{count, n, start, step, {captures}, [M x result], [M x status], [M x exc triple],
    first failed chunk (n: none)}"""
    caps = ir.LiteralStructType([value_type(c.type) for c in s.captures])
    return ir.LiteralStructType([
        I64, I64, I64, I64, caps,
        ir.ArrayType(value_type(s.result), MAX_CHUNKS),
        ir.ArrayType(I32, MAX_CHUNKS),
        ir.ArrayType(ir.ArrayType(PTR, 3), MAX_CHUNKS),
        I64,
    ])


def _field(b: ir.IRBuilder, env: ir.Value, env_ty: ir.Type, i: int, *more: ir.Value) -> ir.Value:
    """A field of the env: its alloca (a typed pointer: llvmlite derives the field's
    type) or the chunk's ``ptr`` argument (an opaque pointer: the type is named)."""
    if env.type.is_opaque:
        return b.gep(env, [I32(0), I32(i), *more], source_etype=env_ty)
    return b.gep(env, [I32(0), I32(i), *more])


def chunk_function(g: FunctionLowerer, s: ParallelFor, env_ty: ir.LiteralStructType) -> ir.Function:
    """``void @<body>.chunk(ptr env, i64 c)``: run chunk ``c`` (on any thread), keep its
    status and partials, and fetch its exception (with the GIL) into ``env``."""
    fn = ir.Function(g.module, _CHUNK_TYPE, s.symbol + ".chunk")
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    env, c = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    # A chunk after one that failed is skipped: its iterations come after the
    # exception, which is what the caller raises (a serial loop would not run them).
    failed = _field(b, env, env_ty, 8)
    run, skip = fn.append_basic_block("run"), fn.append_basic_block("skip")
    later = b.icmp_unsigned("<", b.load_atomic(failed, "monotonic", 8, typ=I64), c)
    b.cbranch(later, skip, run)
    b.position_at_end(skip)
    b.store(I32(0), _field(b, env, env_ty, 6, c))
    b.ret_void()
    b.position_at_end(run)
    count, n, start, step = (b.load(_field(b, env, env_ty, i), typ=I64) for i in range(4))
    base, rem = b.udiv(count, n), b.urem(count, n)
    before = b.select(b.icmp_unsigned("<", c, rem), c, rem)  # longer chunks before c
    lo = b.add(b.mul(c, base), before)
    hi = b.add(b.add(lo, base), b.zext(b.icmp_unsigned("<", c, rem), I64))
    caps = [b.load(_field(b, env, env_ty, 4, I32(i)), typ=value_type(e.type))
            for i, e in enumerate(s.captures)]
    out = _field(b, env, env_ty, 5, c)
    status = b.call(g.fns[s.symbol], [out, lo, hi, start, step, *caps])
    b.store(status, _field(b, env, env_ty, 6, c))
    with b.if_then(b.icmp_signed("!=", status, I32(0)), likely=False):
        b.atomic_rmw("umin", failed, c, "monotonic")
    with b.if_then(b.icmp_signed("<", status, I32(0)), likely=False):
        capi = g.capi
        held = b.call(capi.declare("PyGILState_Ensure", I32, []), [])
        triple = [_field(b, env, env_ty, 7, c, I32(k)) for k in range(3)]
        b.call(capi.fn("PyErr_Fetch"), triple)
        b.call(capi.declare("PyGILState_Release", VOID, [I32]), [held])
    b.ret_void()
    return fn


def _raise_first(g: FunctionLowerer, env: ir.Value, env_ty: ir.Type, n: ir.Value) -> None:
    """The first chunk (by iteration order) that failed decides: its exception is
    restored here, or a pending overflow raises OverflowError; later failures are
    released. Nothing happens when every chunk succeeded."""
    b = g.b
    first = g.alloca(I64, name="prange.first")
    b.store(n, first)
    idx = g.alloca(I64, name="prange.c")

    def each(body: object, lo: ir.Value) -> None:
        b.store(lo, idx)
        head, step, done = g.block("prange.scan"), g.block("prange.scan.body"), g.block("prange.scan.end")
        b.branch(head)
        b.position_at_end(head)
        c = b.load(idx, typ=I64)
        b.cbranch(b.icmp_unsigned("<", c, n), step, done)
        b.position_at_end(step)
        body(c)  # type: ignore[operator]
        b.store(b.add(c, g.i64(1)), idx)
        b.branch(head)
        b.position_at_end(done)

    def find(c: ir.Value) -> None:
        st = b.load(_field(b, env, env_ty, 6, c), typ=I32)
        none_yet = b.icmp_unsigned("==", b.load(first, typ=I64), n)
        hit = b.and_(none_yet, b.icmp_signed("!=", st, I32(0)))
        b.store(b.select(hit, c, b.load(first, typ=I64)), first)

    each(find, g.i64(0))
    f = b.load(first, typ=I64)
    failed, ok = g.block("prange.failed"), g.block("prange.ok")
    b.cbranch(b.icmp_unsigned("<", f, n), failed, ok).set_weights([1, 1 << 20])
    b.position_at_end(failed)
    decref = g.capi.fn("Py_DecRef")

    def release(c: ir.Value) -> None:
        st = b.load(_field(b, env, env_ty, 6, c), typ=I32)
        with b.if_then(b.icmp_signed("<", st, I32(0))):
            for k in range(3):
                b.call(decref, [b.load(_field(b, env, env_ty, 7, c, I32(k)), typ=PTR)])

    each(release, b.add(f, g.i64(1)))
    st = b.load(_field(b, env, env_ty, 6, f), typ=I32)
    raised, overflowed = g.block("prange.raised"), g.block("prange.overflow")
    b.cbranch(b.icmp_signed("<", st, I32(0)), raised, overflowed)
    b.position_at_end(raised)
    triple = [b.load(_field(b, env, env_ty, 7, f, I32(k)), typ=PTR) for k in range(3)]
    b.call(g.capi.fn("PyErr_Restore"), triple)
    b.branch(g.fail_block())
    b.position_at_end(overflowed)
    g.overflow(ir.Constant(ir.IntType(1), 1))  # the chunk's pending overflow is ours
    g.check_overflow()
    b.branch(ok)
    b.position_at_end(ok)


def _combine(g: FunctionLowerer, s: ParallelFor, env: ir.Value, env_ty: ir.Type, n: ir.Value) -> None:
    """``combine`` once per chunk, in chunk order, with that chunk's partials."""
    if not s.partials:
        return
    b = g.b
    idx = g.alloca(I64, name="prange.k")
    b.store(g.i64(0), idx)
    head, body, done = g.block("prange.combine"), g.block("prange.combine.body"), g.block("prange.combine.end")
    b.branch(head)
    b.position_at_end(head)
    c = b.load(idx, typ=I64)
    b.cbranch(b.icmp_unsigned("<", c, n), body, done)
    b.position_at_end(body)
    part = b.load(_field(b, env, env_ty, 5, c), typ=value_type(s.result))
    for i, name in enumerate(s.partials):
        g.assign(name, b.extract_value(part, i))
    g.stmts(s.combine)
    g.b.store(g.b.add(g.b.load(idx, typ=I64), g.i64(1)), idx)
    g.b.branch(head)
    g.b.position_at_end(done)


def _pool_entry(g: FunctionLowerer) -> ir.Value:
    """The pool's ``run`` (a function pointer), looked up once per loaded module through
    Python (``ember.native.runtime.parallel.POOL_RUN``): the same code then works from
    the JIT and the native cache, and every module shares one pool. An AOT extension
    (``own_pool``: it runs without ember) has a private pool instead."""
    module, b = g.module, g.b
    if g.own_pool:
        return own_pool(module)  # runs without ember: a pool of its own (codegen/pool.py)
    slot = module.globals.get("ember.pool.run")
    if slot is None:
        slot = ir.GlobalVariable(module, PTR, "ember.pool.run")
        slot.linkage = "internal"
        slot.initializer = ir.Constant(PTR, None)
    cached = b.load(slot, typ=_POOL_RUN_PTR)
    known = b.icmp_unsigned("!=", cached, ir.Constant(_POOL_RUN_PTR, None))
    here = b.block
    look, done = g.block("pool.lookup"), g.block("pool.known")
    b.cbranch(known, done, look).set_weights([1 << 20, 1])
    b.position_at_end(look)
    found = b.call(_lookup_function(g), [])
    g.check_null(found)
    b.store(found, slot)
    looked = b.block
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(_POOL_RUN_PTR)
    phi.add_incoming(cached, here)
    phi.add_incoming(found, looked)
    return phi


def _lookup_function(g: FunctionLowerer) -> ir.Function:
    """``ptr @ember.pool.lookup()``: import the runtime module, read ``POOL_RUN`` (an
    int address); NULL with the exception set on failure."""
    existing = g.module.globals.get("ember.pool.lookup")
    if existing is not None:
        return existing  # type: ignore[return-value]
    capi = g.capi
    fn = ir.Function(g.module, ir.FunctionType(_POOL_RUN_PTR, []), "ember.pool.lookup")
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    fn.attributes.add("cold")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    null = ir.Constant(_POOL_RUN_PTR, None)
    mod = b.call(capi.fn("PyImport_ImportModule"), [cstring(g.module, POOL_MODULE)])
    with b.if_then(b.icmp_unsigned("==", mod, ir.Constant(PTR, None)), likely=False):
        b.ret(null)
    attr = b.call(capi.fn("PyObject_GetAttrString"), [mod, cstring(g.module, "POOL_RUN")])
    b.call(capi.fn("Py_DecRef"), [mod])
    with b.if_then(b.icmp_unsigned("==", attr, ir.Constant(PTR, None)), likely=False):
        b.ret(null)
    address = b.call(capi.fn("PyLong_AsLongLong"), [attr])
    b.call(capi.fn("Py_DecRef"), [attr])
    with b.if_then(b.icmp_signed("==", address, I64(-1)), likely=False):
        b.ret(null)  # PyLong_AsLongLong failed (never a real address)
    b.ret(b.inttoptr(address, _POOL_RUN_PTR))
    return fn


# ------------------------------------------------------------ the GIL thunks


def make_gil_safe(module: ir.Module, chunks: list[tuple[ir.Function, Span]]) -> None:
    """Route every C API call reachable from the chunk functions through a thunk that
    takes the GIL when the calling thread does not hold it (``PyGILState_Check``), and
    refuse what no thunk can wrap: an indirect call (NumPy's C API table) or a
    variadic C API call outside a cold helper. Cold helpers (they only raise) and
    :data:`GIL_LEAVES` are wrapped whole. Shared helpers also run on the GIL-holding thread: there the check
    passes and the call is direct."""
    thunks: dict[str, ir.Function] = {}
    for root, span in chunks:
        seen: set[str] = set()
        todo = [root]
        while todo:
            fn = todo.pop()
            if fn.name in seen:
                continue
            seen.add(fn.name)
            for block in fn.blocks:
                for instr in block.instructions:
                    if isinstance(instr, ir.CallInstr):
                        callee = _gil_callee(module, instr, span, thunks)
                        if callee is not None:
                            todo.append(callee)


def _gil_callee(module: ir.Module, instr: ir.CallInstr, span: Span,
                thunks: dict[str, ir.Function]) -> ir.Function | None:
    """Rewrite one call; the callee to descend into, if any."""
    callee = instr.callee
    if not isinstance(callee, ir.Function):
        raise EmberError(Diagnostic(
            span, "this prange loop's body calls into NumPy's or Python's runtime (it "
            "creates an array or calls a Python object), which cannot run on worker "
            "threads",
            "create arrays before the loop and write into them (out[i] = ...), or use "
            "range(...) for a serial loop"))
    name = callee.name
    if name.startswith(("llvm.", "ember.gil.", "PyGILState_")):
        return None
    if callee.is_declaration:
        if not name.startswith(("Py", "_Py")):
            return None  # libm, SVML, BLAS: thread-safe C
        if callee.function_type.var_arg:
            raise EmberError(Diagnostic(
                span, f"this prange loop's body calls {name}, which cannot run on worker threads",
                "use range(...) for a serial loop"))
        instr.replace_callee(_thunk(module, callee, thunks))
        return None
    if "cold" in callee.attributes or name in GIL_LEAVES:
        instr.replace_callee(_thunk(module, callee, thunks))
        return None
    return callee


def _thunk(module: ir.Module, target: ir.Function, thunks: dict[str, ir.Function]) -> ir.Function:
    """``@ember.gil.<name>``: ``target`` called with the GIL held (taken if need be)."""
    name = "ember.gil." + target.name
    fn = thunks.get(name)
    if fn is not None:
        return fn
    fty = target.function_type
    fn = thunks[name] = ir.Function(module, fty, name)
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    check = _declare(module, "PyGILState_Check", I32, [])
    ensure = _declare(module, "PyGILState_Ensure", I32, [])
    release = _declare(module, "PyGILState_Release", VOID, [I32])
    args = list(fn.args)
    direct, take = fn.append_basic_block("held"), fn.append_basic_block("take")
    b.cbranch(b.icmp_signed("!=", b.call(check, []), I32(0)), direct, take)
    for blk in (direct, take):
        b.position_at_end(blk)
        state = b.call(ensure, []) if blk is take else None
        r = b.call(target, args)
        if state is not None:
            b.call(release, [state])
        if isinstance(fty.return_type, ir.VoidType):
            b.ret_void()
        else:
            b.ret(r)
    return fn


def _declare(module: ir.Module, name: str, ret: ir.Type, params: list[ir.Type]) -> ir.Function:
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return ir.Function(module, ir.FunctionType(ret, params), name)
