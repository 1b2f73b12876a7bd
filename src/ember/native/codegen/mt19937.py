"""MT19937 in LLVM IR: the generator behind CPython's ``random`` and NumPy's legacy
``RandomState``, as their C sources specify it (``_randommodule.c``, ``mt19937.c``):
tempered 32-bit outputs, ``genrand_res53`` doubles, ``init_genrand`` and
``init_by_array`` seeding, CPython's ``getrandbits``/``_randbelow`` and NumPy's masked
bounded integers. Each helper is an internal function built once per module, taking the
state's address:

    state: [624 x i32] mt, i32 pos (at 2496), i32 has_gauss (2500), double gauss (2504)

Two such states live in the process (runtime/random_state.py): CPython's ``random`` at
offset 0 and NumPy's at :data:`NUMPY_OFFSET`; codegen/random.py finds them.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from ember.native.boundary.llvm import F64, I32, I64, PTR

N, M = 624, 397
POS, HAS_GAUSS, GAUSS = 2496, 2500, 2504  # byte offsets in one state
STATE_BYTES = 2512
NUMPY_OFFSET = STATE_BYTES  # NumPy's state follows CPython's
I8 = ir.IntType(8)


def _c32(v: int) -> ir.Constant:
    return ir.Constant(I32, v & 0xFFFFFFFF)


def _field(b: ir.IRBuilder, s: ir.Value, offset: int) -> ir.Value:
    return b.gep(s, [ir.Constant(I64, offset)], source_etype=I8)


def _mt(b: ir.IRBuilder, s: ir.Value, i: ir.Value) -> ir.Value:
    """The address of ``mt[i]`` (``i`` an i32)."""
    return b.gep(s, [b.zext(i, I64)], source_etype=I32)


def _loop(b: ir.IRBuilder, start: int, stop: ir.Value | int,
          body: Callable[[ir.IRBuilder, ir.Value], None]) -> None:
    """``for i in range(start, stop): body(i)`` on i32."""
    fn = b.function
    head, loop, done = (fn.append_basic_block(n) for n in ("mt.head", "mt.body", "mt.done"))
    before = b.block
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I32)
    i.add_incoming(_c32(start), before)
    end = stop if isinstance(stop, ir.Value) else _c32(stop)
    b.cbranch(b.icmp_unsigned("<", i, end), loop, done)
    b.position_at_end(loop)
    body(b, i)
    i.add_incoming(b.add(i, _c32(1)), b.block)
    b.branch(head)
    b.position_at_end(done)


def _helper(module: ir.Module, name: str, ret: ir.Type, params: list[ir.Type],
            build: Callable[[ir.IRBuilder, list[ir.Value]], None]) -> ir.Function:
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(ret, params), name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    build(b, list(fn.args))
    return fn


def _ctlz(module: ir.Module) -> ir.Function:
    """``llvm.ctlz.i64(x, is_zero_poison)``: leading zero bits."""
    existing = module.globals.get("llvm.ctlz.i64")
    if existing is not None:
        return existing  # type: ignore[return-value]
    return ir.Function(module, ir.FunctionType(I64, [I64, ir.IntType(1)]), "llvm.ctlz.i64")


def twist(module: ir.Module) -> ir.Function:
    """Regenerate all 624 words: the reference's three loops (no modulo in them)."""
    def build(b: ir.IRBuilder, a: list[ir.Value]) -> None:
        s = a[0]

        def step(b: ir.IRBuilder, k: ir.Value, nxt: ir.Value, far: ir.Value) -> None:
            y = b.or_(b.and_(b.load(_mt(b, s, k), typ=I32), _c32(0x80000000)),
                      b.and_(b.load(_mt(b, s, nxt), typ=I32), _c32(0x7FFFFFFF)))
            mag = b.select(b.trunc(y, ir.IntType(1)), _c32(0x9908B0DF), _c32(0))
            v = b.xor(b.xor(b.load(_mt(b, s, far), typ=I32), b.lshr(y, _c32(1))), mag)
            b.store(v, _mt(b, s, k))

        _loop(b, 0, N - M, lambda b, k: step(b, k, b.add(k, _c32(1)), b.add(k, _c32(M))))
        _loop(b, N - M, N - 1,
              lambda b, k: step(b, k, b.add(k, _c32(1)), b.sub(k, _c32(N - M))))
        step(b, _c32(N - 1), _c32(0), _c32(M - 1))
        b.store(_c32(0), _field(b, s, POS))
        b.ret_void()

    fn = _helper(module, "ember.mt.twist", ir.VoidType(), [PTR], build)
    fn.attributes.add("noinline")  # once per 624 outputs: keep it out of the hot loop
    return fn


def next32(module: ir.Module) -> ir.Function:
    """``genrand_uint32``: the next tempered 32-bit output."""
    def build(b: ir.IRBuilder, a: list[ir.Value]) -> None:
        s = a[0]
        pos_p = _field(b, s, POS)
        fn = b.function
        refill, ready = fn.append_basic_block("mt.refill"), fn.append_basic_block("mt.ready")
        b.cbranch(b.icmp_unsigned(">=", b.load(pos_p, typ=I32), _c32(N)), refill, ready)
        b.position_at_end(refill)
        b.call(twist(module), [s])
        b.branch(ready)
        b.position_at_end(ready)
        pos = b.load(pos_p, typ=I32)
        y = b.load(_mt(b, s, pos), typ=I32)
        b.store(b.add(pos, _c32(1)), pos_p)
        y = b.xor(y, b.lshr(y, _c32(11)))
        y = b.xor(y, b.and_(b.shl(y, _c32(7)), _c32(0x9D2C5680)))
        y = b.xor(y, b.and_(b.shl(y, _c32(15)), _c32(0xEFC60000)))
        b.ret(b.xor(y, b.lshr(y, _c32(18))))

    return _helper(module, "ember.mt.next32", I32, [PTR], build)


def res53(module: ir.Module) -> ir.Function:
    """``genrand_res53``: a double in [0, 1) from two outputs, 53 random bits."""
    def build(b: ir.IRBuilder, a: list[ir.Value]) -> None:
        nx = next32(module)
        hi = b.uitofp(b.lshr(b.call(nx, [a[0]]), _c32(5)), F64)
        lo = b.uitofp(b.lshr(b.call(nx, [a[0]]), _c32(6)), F64)
        v = b.fadd(b.fmul(hi, ir.Constant(F64, 67108864.0)), lo)
        b.ret(b.fmul(v, ir.Constant(F64, 1.0 / 9007199254740992.0)))

    return _helper(module, "ember.mt.res53", F64, [PTR], build)


def init_genrand(module: ir.Module) -> ir.Function:
    """``init_genrand(s)`` (NumPy's ``mt19937_seed``): also clears the cached gaussian."""
    def build(b: ir.IRBuilder, a: list[ir.Value]) -> None:
        s, seed = a
        b.store(seed, _mt(b, s, _c32(0)))

        def step(b: ir.IRBuilder, i: ir.Value) -> None:
            prev = b.load(_mt(b, s, b.sub(i, _c32(1))), typ=I32)
            v = b.add(b.mul(_c32(1812433253), b.xor(prev, b.lshr(prev, _c32(30)))), i)
            b.store(v, _mt(b, s, i))

        _loop(b, 1, N, step)
        b.store(_c32(N), _field(b, s, POS))
        b.store(_c32(0), _field(b, s, HAS_GAUSS))
        b.store(ir.Constant(F64, 0.0), _field(b, s, GAUSS))
        b.ret_void()

    return _helper(module, "ember.mt.init_genrand", ir.VoidType(), [PTR, I32], build)


def init_by_array(module: ir.Module) -> ir.Function:
    """``init_by_array(key, length)``, as CPython's ``random.seed(n)`` calls it."""
    def build(b: ir.IRBuilder, a: list[ir.Value]) -> None:
        s, key, length = a
        b.call(init_genrand(module), [s, _c32(19650218)])
        i_p, j_p = b.alloca(I32), b.alloca(I32)
        b.store(_c32(1), i_p)
        b.store(_c32(0), j_p)
        big = b.select(b.icmp_unsigned(">", length, _c32(N)), length, _c32(N))

        def mix(b: ir.IRBuilder, mult: int, j_term: bool) -> None:
            i = b.load(i_p, typ=I32)
            prev = b.load(_mt(b, s, b.sub(i, _c32(1))), typ=I32)
            v = b.xor(b.load(_mt(b, s, i), typ=I32),
                      b.mul(b.xor(prev, b.lshr(prev, _c32(30))), _c32(mult)))
            if j_term:
                j = b.load(j_p, typ=I32)
                v = b.add(b.add(v, b.load(b.gep(key, [b.zext(j, I64)], source_etype=I32),
                                          typ=I32)), j)
                j = b.add(j, _c32(1))
                b.store(b.select(b.icmp_unsigned(">=", j, length), _c32(0), j), j_p)
            else:
                v = b.sub(v, i)
            b.store(v, _mt(b, s, i))
            i = b.add(i, _c32(1))
            wrap = b.icmp_unsigned(">=", i, _c32(N))
            last = b.load(_mt(b, s, _c32(N - 1)), typ=I32)
            first = b.load(_mt(b, s, _c32(0)), typ=I32)
            b.store(b.select(wrap, last, first), _mt(b, s, _c32(0)))
            b.store(b.select(wrap, _c32(1), i), i_p)

        _loop(b, 0, big, lambda b, _: mix(b, 1664525, True))
        _loop(b, 1, N, lambda b, _: mix(b, 1566083941, False))
        b.store(_c32(0x80000000), _mt(b, s, _c32(0)))
        b.ret_void()

    return _helper(module, "ember.mt.init_by_array", ir.VoidType(), [PTR, PTR, I32], build)


def getrandbits(module: ir.Module) -> ir.Function:
    """CPython's ``getrandbits(k)`` for 1 <= k <= 64: low word first."""
    def build(b: ir.IRBuilder, a: list[ir.Value]) -> None:
        s, k = a
        nx = next32(module)
        fn = b.function
        small, wide = fn.append_basic_block("bits.small"), fn.append_basic_block("bits.wide")
        b.cbranch(b.icmp_unsigned("<=", k, _c32(32)), small, wide)
        b.position_at_end(small)
        b.ret(b.zext(b.lshr(b.call(nx, [s]), b.sub(_c32(32), k)), I64))
        b.position_at_end(wide)
        lo = b.zext(b.call(nx, [s]), I64)
        hi = b.zext(b.lshr(b.call(nx, [s]), b.sub(_c32(64), k)), I64)
        b.ret(b.or_(b.shl(hi, ir.Constant(I64, 32)), lo))

    return _helper(module, "ember.mt.getrandbits", I64, [PTR, I32], build)


def randbelow(module: ir.Module) -> ir.Function:
    """CPython's ``_randbelow_with_getrandbits(n)`` for n > 0 (rejection on bit_length)."""
    def build(b: ir.IRBuilder, a: list[ir.Value]) -> None:
        s, n = a
        ctlz = _ctlz(module)
        k = b.trunc(b.sub(ir.Constant(I64, 64), b.call(ctlz, [n, ir.Constant(ir.IntType(1), 0)])),
                    I32)
        fn = b.function
        loop, done = fn.append_basic_block("below.draw"), fn.append_basic_block("below.done")
        b.branch(loop)
        b.position_at_end(loop)
        r = b.call(getrandbits(module), [s, k])
        b.cbranch(b.icmp_unsigned(">=", r, n), loop, done)
        b.position_at_end(done)
        b.ret(r)

    return _helper(module, "ember.mt.randbelow", I64, [PTR, I64], build)


def bounded_masked(module: ir.Module) -> ir.Function:
    """NumPy's legacy bounded integer in [0, rng] (``random_bounded_uint64_fill`` with
    ``use_masked``): 32-bit draws when rng fits in 32 bits, else 64-bit (high word first)."""
    def build(b: ir.IRBuilder, a: list[ir.Value]) -> None:
        s, rng = a
        nx = next32(module)
        fn = b.function
        ctlz = _ctlz(module)
        zero = b.icmp_unsigned("==", rng, ir.Constant(I64, 0))
        nz = b.select(zero, ir.Constant(I64, 1), rng)
        lead = b.call(ctlz, [nz, ir.Constant(ir.IntType(1), 0)])
        mask = b.lshr(ir.Constant(I64, -1), lead)  # the smallest 2**k - 1 >= rng
        blocks = [fn.append_basic_block(n) for n in ("bm.zero", "bm.test", "bm.w32", "bm.w64")]
        b.cbranch(zero, blocks[0], blocks[1])
        b.position_at_end(blocks[0])
        b.ret(ir.Constant(I64, 0))
        b.position_at_end(blocks[1])
        b.cbranch(b.icmp_unsigned("<=", rng, ir.Constant(I64, 0xFFFFFFFF)), blocks[2], blocks[3])
        b.position_at_end(blocks[2])
        v = b.and_(b.zext(b.call(nx, [s]), I64), mask)
        again = b.icmp_unsigned(">", v, rng)
        out32 = fn.append_basic_block("bm.out32")
        b.cbranch(again, blocks[2], out32)
        b.position_at_end(out32)
        b.ret(v)
        b.position_at_end(blocks[3])
        hi = b.shl(b.zext(b.call(nx, [s]), I64), ir.Constant(I64, 32))
        w = b.and_(b.or_(hi, b.zext(b.call(nx, [s]), I64)), mask)
        out64 = fn.append_basic_block("bm.out64")
        b.cbranch(b.icmp_unsigned(">", w, rng), blocks[3], out64)
        b.position_at_end(out64)
        b.ret(w)

    return _helper(module, "ember.mt.bounded_masked", I64, [PTR, I64], build)
