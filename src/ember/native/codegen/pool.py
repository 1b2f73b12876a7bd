"""The thread pool parallel loops run on, as one small LLVM module (llvmlite.ir only;
runtime/parallel.py compiles it once per process and hands its address to compiled code).

    void ember_pool_run(void (*chunk)(env*, i64), env*, i64 n)
        n <= 1, one thread wanted, or the pool busy (a nested or concurrent loop):
            chunk(env, c) for c < n on this thread
        else: release the GIL; start workers up to num_threads - 1 (once: they stay);
            publish the job (mutex + condition variable); this thread and the workers
            take chunks with an atomic counter until none is left; wait for the
            workers; take the GIL back
    void ember_pool_set_threads(i64 n)     ; ember.set_num_threads

Workers are POSIX threads created from machine code (``pthread_create``), each with its
own Python thread state made at start (``PyGILState_Ensure`` then
``PyEval_SaveThread``): they run without the GIL, and a chunk that raises takes the GIL
on that state (codegen/parallel.py). After ``fork`` the child has no workers; the pool
notices the new pid and starts its own. The pthread objects get 128 bytes each, more
than glibc (40/48) or macOS (64/48) needs.
"""

from __future__ import annotations

import sys

from llvmlite import ir

from ember.native.boundary.llvm import I32, I64, PTR, VOID

#: Most worker threads the pool starts (ember.set_num_threads accepts up to this + 1).
MAX_WORKERS = 255

_CHUNK = ir.FunctionType(VOID, [PTR, I64]).as_pointer()
_PTHREAD_OBJECT = ir.ArrayType(ir.IntType(8), 128)


class _Pool:
    def __init__(self, module: ir.Module, own: bool) -> None:
        m = self.module = module
        self.own = own
        self.mutex, self.work, self.done = (self._global(n, _PTHREAD_OBJECT, 16)
                                            for n in ("mutex", "work", "done"))
        self.busy = self._global("busy", I32)
        self.gen, self.next, self.active, self.job_n, self.job_workers, self.started = (
            self._global(n, I64) for n in ("gen", "next", "active", "job_n", "job_workers",
                                           "started"))
        # 0: not known yet (an own pool decides at its first loop: _threads_now)
        self.nthreads = self._global("nthreads", I64, init=0 if own else 1)
        self.job_fn, self.job_env = self._global("job_fn", PTR), self._global("job_env", PTR)
        self.pid = self._global("pid", I32)
        self.seed = self._global("seed", ir.ArrayType(I64, MAX_WORKERS + 1))

        def decl(name: str, ret: ir.Type, *params: ir.Type) -> ir.Function:
            return ir.Function(m, ir.FunctionType(ret, list(params)), name)

        self.lock = decl("pthread_mutex_lock", I32, PTR)
        self.unlock = decl("pthread_mutex_unlock", I32, PTR)
        self.mutex_init = decl("pthread_mutex_init", I32, PTR, PTR)
        self.cond_init = decl("pthread_cond_init", I32, PTR, PTR)
        self.wait = decl("pthread_cond_wait", I32, PTR, PTR)
        self.broadcast = decl("pthread_cond_broadcast", I32, PTR)
        self.signal = decl("pthread_cond_signal", I32, PTR)
        self.create = decl("pthread_create", I32, PTR, PTR, PTR, PTR)
        self.detach = decl("pthread_detach", I32, I64)
        self.getpid = decl("getpid", I32)
        self.gil_check = decl("PyGILState_Check", I32)
        self.gil_ensure = decl("PyGILState_Ensure", I32)
        self.save = decl("PyEval_SaveThread", PTR)
        self.restore = decl("PyEval_RestoreThread", VOID, PTR)
        if own:
            self.getenv = decl("getenv", PTR, PTR)
            self.atol = decl("atol", I64, PTR)
            self.sysconf = decl("sysconf", I64, I32)

    def _global(self, name: str, ty: ir.Type, align: int | None = None, init: int = 0
                ) -> ir.GlobalVariable:
        g = ir.GlobalVariable(self.module, ty, "ember.pool." + name)
        g.linkage = "internal"
        g.initializer = ir.Constant(ty, None) if not isinstance(ty, ir.IntType) else ir.Constant(ty, init)
        if align is not None:
            g.align = align
        return g

    # ------------------------------------------------------------ helpers

    def loop(self, fn: ir.Function, b: ir.IRBuilder, n: ir.Value, body: object) -> None:
        """``for c in range(n): body(b, c)`` at ``b``."""
        entry = b.block
        head, step, done = (fn.append_basic_block(x) for x in ("loop", "loop.body", "loop.end"))
        b.branch(head)
        b.position_at_end(head)
        c = b.phi(I64)
        c.add_incoming(I64(0), entry)
        b.cbranch(b.icmp_signed("<", c, n), step, done)
        b.position_at_end(step)
        body(b, c)  # type: ignore[operator]
        c.add_incoming(b.add(c, I64(1)), b.block)
        b.branch(head)
        b.position_at_end(done)

    def run_chunks(self) -> ir.Function:
        """Take chunks off the shared counter until there are none left."""
        fn = ir.Function(self.module, ir.FunctionType(VOID, [_CHUNK, PTR, I64]), "ember.pool.take")
        fn.linkage = "internal"
        chunk, env, n = fn.args
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        head, body, done = (fn.append_basic_block(x) for x in ("take", "run", "done"))
        b.branch(head)
        b.position_at_end(head)
        c = b.atomic_rmw("add", self.next, I64(1), "seq_cst")
        b.cbranch(b.icmp_signed("<", c, n), body, done)
        b.position_at_end(body)
        b.call(chunk, [env, c])
        b.branch(head)
        b.position_at_end(done)
        b.ret_void()
        return fn

    def worker(self, take: ir.Function) -> ir.Function:
        fn = ir.Function(self.module, ir.FunctionType(PTR, [PTR]), "ember.pool.worker")
        fn.linkage = "internal"
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        me = b.ptrtoint(fn.args[0], I64)
        seen = b.alloca(I64)
        b.store(b.load(b.gep(self.seed, [I32(0), me]),
                       typ=I64), seen)
        b.call(self.gil_ensure, [])  # this thread's state, kept for good
        b.call(self.save, [])  # ... without the GIL
        wait_head, wait, got = (fn.append_basic_block(x) for x in ("idle", "sleep", "job"))
        b.branch(wait_head)
        b.position_at_end(wait_head)
        b.call(self.lock, [self.mutex])
        check = fn.append_basic_block("check")
        b.branch(check)
        b.position_at_end(check)
        b.cbranch(b.icmp_unsigned("==", b.load(self.gen, typ=I64), b.load(seen, typ=I64)),
                  wait, got)
        b.position_at_end(wait)
        b.call(self.wait, [self.work, self.mutex])
        b.branch(check)
        b.position_at_end(got)
        b.store(b.load(self.gen, typ=I64), seen)
        job_fn = b.load(self.job_fn, typ=_CHUNK)
        job_env = b.load(self.job_env, typ=PTR)
        n = b.load(self.job_n, typ=I64)
        part = b.icmp_signed("<", me, b.load(self.job_workers, typ=I64))
        b.call(self.unlock, [self.mutex])
        with b.if_then(part):
            b.call(take, [job_fn, job_env, n])
            b.call(self.lock, [self.mutex])
            left = b.sub(b.load(self.active, typ=I64), I64(1))
            b.store(left, self.active)
            with b.if_then(b.icmp_signed("==", left, I64(0))):
                b.call(self.signal, [self.done])
            b.call(self.unlock, [self.mutex])
        b.branch(wait_head)
        return fn

    def run(self, take: ir.Function, worker: ir.Function) -> None:
        fn = ir.Function(self.module, ir.FunctionType(VOID, [_CHUNK, PTR, I64]), "ember_pool_run")
        chunk, env, n = fn.args
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        serial, pooled = fn.append_basic_block("serial"), fn.append_basic_block("pooled")
        threads = self._threads_now(fn, b) if self.own else b.load(self.nthreads, typ=I64)
        want = b.select(b.icmp_signed("<", threads, n), threads, n)
        workers = b.sub(want, I64(1))
        workers = b.select(b.icmp_signed(">", workers, I64(MAX_WORKERS)), I64(MAX_WORKERS), workers)
        maybe = fn.append_basic_block("try")
        b.cbranch(b.icmp_signed(">", workers, I64(0)), maybe, serial)
        b.position_at_end(maybe)
        pair = b.cmpxchg(self.busy, I32(0), I32(1), "acquire", "monotonic")
        b.cbranch(b.extract_value(pair, 1), pooled, serial)

        b.position_at_end(serial)
        self.loop(fn, b, n, lambda bb, c: bb.call(chunk, [env, c]))
        b.ret_void()

        b.position_at_end(pooled)
        pid = b.call(self.getpid, [])
        with b.if_then(b.icmp_signed("!=", pid, b.load(self.pid, typ=I32))):
            # First use, or a child after fork: new pthread objects, no workers yet.
            null = ir.Constant(PTR, None)
            b.call(self.mutex_init, [self.mutex, null])
            b.call(self.cond_init, [self.work, null])
            b.call(self.cond_init, [self.done, null])
            b.store(I64(0), self.started)
            b.store(pid, self.pid)
        held = b.icmp_signed("!=", b.call(self.gil_check, []), I32(0))
        state = b.alloca(PTR)
        b.store(ir.Constant(PTR, None), state)
        with b.if_then(held):
            b.store(b.call(self.save, []), state)
        self._start_workers(fn, b, workers, worker)
        started = b.load(self.started, typ=I64)
        workers = b.select(b.icmp_signed("<", started, workers), started, workers)
        b.call(self.lock, [self.mutex])
        b.store(chunk, self.job_fn)
        b.store(env, self.job_env)
        b.store(n, self.job_n)
        b.store(I64(0), self.next)
        b.store(workers, self.job_workers)
        b.store(workers, self.active)
        b.store(b.add(b.load(self.gen, typ=I64), I64(1)), self.gen)
        b.call(self.broadcast, [self.work])
        b.call(self.unlock, [self.mutex])
        b.call(take, [chunk, env, n])  # this thread works too
        b.call(self.lock, [self.mutex])
        check, sleep, finished = (fn.append_basic_block(x) for x in ("wait", "sleep", "finished"))
        b.branch(check)
        b.position_at_end(check)
        b.cbranch(b.icmp_signed("==", b.load(self.active, typ=I64), I64(0)), finished, sleep)
        b.position_at_end(sleep)
        b.call(self.wait, [self.done, self.mutex])
        b.branch(check)
        b.position_at_end(finished)
        b.call(self.unlock, [self.mutex])
        with b.if_then(held):
            b.call(self.restore, [b.load(state, typ=PTR)])
        b.store_atomic(I32(0), self.busy, "release", 4)
        b.ret_void()

    def _start_workers(self, fn: ir.Function, b: ir.IRBuilder, workers: ir.Value,
                       worker: ir.Function) -> None:
        """Start workers until ``started == workers`` (a failed start stops early)."""
        head, body, done = (fn.append_basic_block(x) for x in ("spawn", "spawn.one", "spawned"))
        tid = b.alloca(I64)
        b.branch(head)
        b.position_at_end(head)
        me = b.load(self.started, typ=I64)
        b.cbranch(b.icmp_signed("<", me, workers), body, done)
        b.position_at_end(body)
        seed = b.gep(self.seed, [I32(0), me])
        b.store(b.load(self.gen, typ=I64), seed)  # the generation it has seen
        rc = b.call(self.create, [tid, ir.Constant(PTR, None), worker, b.inttoptr(me, PTR)])
        ok = fn.append_basic_block("spawn.ok")
        b.cbranch(b.icmp_signed("==", rc, I32(0)), ok, done)
        b.position_at_end(ok)
        b.call(self.detach, [b.load(tid, typ=I64)])
        b.store(b.add(me, I64(1)), self.started)
        b.branch(head)
        b.position_at_end(done)

    def _threads_now(self, fn: ir.Function, b: ir.IRBuilder) -> ir.Value:
        """An own pool's thread count, decided once: ``EMBER_NUM_THREADS`` (1 to
        MAX_WORKERS + 1), else the online CPUs (``sysconf``; affinity and cgroup quotas
        are what the shared pool's Python side adds)."""
        known = b.load(self.nthreads, typ=I64)
        decide, done = fn.append_basic_block("threads.decide"), fn.append_basic_block("threads")
        here = b.block
        b.cbranch(b.icmp_signed("==", known, I64(0)), decide, done)
        b.position_at_end(decide)
        text = b.call(self.getenv, [_cstring(self.module, "EMBER_NUM_THREADS")])
        got = fn.append_basic_block("threads.env")
        cpus = fn.append_basic_block("threads.cpus")
        b.cbranch(b.icmp_unsigned("==", text, ir.Constant(PTR, None)), cpus, got)
        b.position_at_end(got)
        env = b.call(self.atol, [text])
        good = b.and_(b.icmp_signed(">=", env, I64(1)), b.icmp_signed("<=", env, I64(MAX_WORKERS + 1)))
        chosen = fn.append_basic_block("threads.chosen")
        b.cbranch(good, chosen, cpus)
        b.position_at_end(cpus)
        online = b.call(self.sysconf, [I32(_SC_NPROCESSORS_ONLN)])
        online = b.select(b.icmp_signed("<", online, I64(1)), I64(1), online)
        online = b.select(b.icmp_signed(">", online, I64(MAX_WORKERS + 1)), I64(MAX_WORKERS + 1), online)
        b.branch(chosen)
        b.position_at_end(chosen)
        n = b.phi(I64)
        n.add_incoming(env, got)
        n.add_incoming(online, cpus)
        b.store(n, self.nthreads)
        b.branch(done)
        b.position_at_end(done)
        result = b.phi(I64)
        result.add_incoming(known, here)
        result.add_incoming(n, chosen)
        return result

    def set_threads(self) -> None:
        fn = ir.Function(self.module, ir.FunctionType(VOID, [I64]), "ember_pool_set_threads")
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        b.store(fn.args[0], self.nthreads)
        b.ret_void()


#: The pool's exported functions (runtime/parallel.py looks them up).
EXPORTS = ("ember_pool_run", "ember_pool_set_threads")

# sysconf's name for the online CPUs: glibc/musl and macOS number it differently.
_SC_NPROCESSORS_ONLN = 58 if sys.platform == "darwin" else 84


def pool_module() -> ir.Module:
    """The process's shared pool as its own LLVM module (runtime/parallel.py)."""
    module = ir.Module(name="ember.pool")
    pool = _Pool(module, own=False)
    take = pool.run_chunks()
    pool.run(take, pool.worker(take))
    pool.set_threads()
    return module


def own_pool(module: ir.Module) -> ir.Function:
    """A private pool inside ``module``, for code that runs without ember (an AOT
    extension: aot/build.py); its ``run``, once per module."""
    existing = module.globals.get("ember_pool_run")
    if isinstance(existing, ir.Function):
        return existing
    pool = _Pool(module, own=True)
    take = pool.run_chunks()
    pool.run(take, pool.worker(take))
    run = module.globals["ember_pool_run"]
    run.linkage = "internal"  # type: ignore[union-attr]
    return run  # type: ignore[return-value]


def _cstring(module: ir.Module, text: str) -> ir.GlobalVariable:
    data = bytearray(text.encode() + b"\0")
    ty = ir.ArrayType(ir.IntType(8), len(data))
    g = ir.GlobalVariable(module, ty, "ember.pool.str." + text)
    g.linkage = "private"
    g.global_constant = True
    g.initializer = ir.Constant(ty, data)
    return g
