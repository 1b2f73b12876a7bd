"""``random.*`` / ``np.random.*`` generator primitives (:class:`T.Call` from
frontend/random_calls.py) → calls of the MT19937 helpers (codegen/mt19937.py) on the
process's states (runtime/random_state.py):

    random.random()        res53(cpython_state)
    random.seed(n)         init_by_array(state, abs(n) as 32-bit words)   (CPython's rule)
    random.gauss(mu, s)    CPython's Box-Muller pair, the second kept for the next call
    np.random.seed(n)      init_genrand(numpy_state, n)   (0 <= n < 2**32, else ValueError)
    np.random.randn()      NumPy's legacy polar method, the second value kept

The states' address is read once per module from runtime/random_state.py (through the
C API, so a cached or AOT-built module finds the running process's states).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.llvm import F64, I32, I64, PTR
from ember.native.codegen import mt19937 as mt
from ember.native.ir import nodes as T

if TYPE_CHECKING:
    from ember.native.codegen.function import FunctionLowerer

_STATE_MODULE = "ember.native.runtime.random_state"
TWO_PI = 6.283185307179586


def call(g: FunctionLowerer, e: T.Call) -> ir.Value:
    """Lower one primitive (``e.func`` names it)."""
    args = [g.expr(a) for a in e.args]
    numpy = e.func.startswith("np.")
    s = _state(g, numpy)
    b, m = g.b, g.module
    name = e.func.rpartition(".")[2]
    if name == "random":
        return b.call(mt.res53(m), [s])
    if name == "randbelow":
        return b.call(mt.randbelow(m), [s, args[0]])
    if name == "bounded":
        return b.call(mt.bounded_masked(m), [s, args[0]])
    if name == "seed" and numpy:
        n = args[0]
        bad = b.icmp_unsigned(">", n, ir.Constant(I64, 0xFFFFFFFF))  # negative: huge unsigned
        g.guard(bad, "ValueError", "Seed must be between 0 and 2**32 - 1")
        b.call(mt.init_genrand(m), [s, b.trunc(n, I32)])
        return ir.Constant(ir.IntType(8), 0)
    if name == "seed":
        return _seed_python(g, s, args[0])
    if name == "gauss" and not numpy:
        z = _gauss_python(g, s)
        return b.fadd(args[0], b.fmul(z, args[1]))
    z = _gauss_numpy(g, s)
    if name == "normal":
        g.guard(b.fcmp_ordered("<", args[1], ir.Constant(F64, 0.0)), "ValueError", "scale < 0")
        return b.fadd(args[0], b.fmul(args[1], z))
    return z


def _state(g: FunctionLowerer, numpy: bool) -> ir.Value:
    """The address of CPython's (or NumPy's) state, found once per module."""
    name = "ember.random.states"
    slot = g.module.globals.get(name)
    if slot is None:
        slot = ir.GlobalVariable(g.module, PTR, name)
        slot.linkage = "private"
        slot.initializer = ir.Constant(PTR, None)
    b = g.b
    cached = b.load(slot, typ=PTR)
    known = b.block
    fill, ready = g.block("random.find"), g.block("random.ready")
    b.cbranch(b.icmp_unsigned("==", cached, ir.Constant(PTR, None)), fill, ready)
    b.position_at_end(fill)
    mod = b.call(g.capi.fn("PyImport_ImportModule"), [g.capi.cstring(_STATE_MODULE)])
    g.check_null(mod)
    addr = b.call(g.capi.fn("PyObject_GetAttrString"), [mod, g.capi.cstring("ADDRESS")])
    b.call(g.capi.fn("Py_DecRef"), [mod])  # the module stays imported (sys.modules)
    g.check_null(addr)
    found = b.inttoptr(b.call(g.capi.fn("PyLong_AsLongLong"), [addr]), PTR)
    b.call(g.capi.fn("Py_DecRef"), [addr])
    b.store(found, slot)
    filled = b.block
    b.branch(ready)
    b.position_at_end(ready)
    base = b.phi(PTR)
    base.add_incoming(cached, known)
    base.add_incoming(found, filled)
    if not numpy:
        return base
    return b.gep(base, [ir.Constant(I64, mt.NUMPY_OFFSET)], source_etype=ir.IntType(8))


def _seed_python(g: FunctionLowerer, s: ir.Value, n: ir.Value) -> ir.Value:
    """``random.seed(n)`` for an int: the key is abs(n) in 32-bit words, low word first
    (one word at least), as ``random_seed`` in ``_randommodule.c``."""
    b = g.b
    neg = b.icmp_signed("<", n, ir.Constant(I64, 0))
    mag = b.select(neg, b.sub(ir.Constant(I64, 0), n), n)  # abs(INT64_MIN) is 2**63 unsigned
    key = g.alloca(I64)  # [low word, high word]: the i64 itself on a little-endian CPU
    b.store(mag, key)
    hi = b.trunc(b.lshr(mag, ir.Constant(I64, 32)), I32)
    length = b.select(b.icmp_unsigned("!=", hi, ir.Constant(I32, 0)), ir.Constant(I32, 2),
                      ir.Constant(I32, 1))
    b.call(mt.init_by_array(g.module), [s, key, length])
    return ir.Constant(ir.IntType(8), 0)


def _cached_gauss(g: FunctionLowerer, s: ir.Value, fresh: ir.Value | None = None
                  ) -> tuple[ir.Value, ir.Value]:
    b = g.b
    has_p = b.gep(s, [ir.Constant(I64, mt.HAS_GAUSS)], source_etype=ir.IntType(8))
    val_p = b.gep(s, [ir.Constant(I64, mt.GAUSS)], source_etype=ir.IntType(8))
    return has_p, val_p


def _gauss_python(g: FunctionLowerer, s: ir.Value) -> ir.Value:
    """CPython's ``gauss``: the kept value if any, else a Box-Muller pair."""
    b = g.b
    has_p, val_p = _cached_gauss(g, s)
    kept, draw, done = g.block("gauss.kept"), g.block("gauss.draw"), g.block("gauss.done")
    b.cbranch(b.icmp_unsigned("!=", b.load(has_p, typ=I32), ir.Constant(I32, 0)), kept, draw)
    b.position_at_end(kept)
    old = b.load(val_p, typ=F64)
    b.store(ir.Constant(I32, 0), has_p)
    b.branch(done)
    b.position_at_end(draw)
    res53 = mt.res53(g.module)
    x2pi = b.fmul(b.call(res53, [s]), ir.Constant(F64, TWO_PI))
    u = b.fsub(ir.Constant(F64, 1.0), b.call(res53, [s]))
    g2rad = g.fcall("sqrt", b.fmul(ir.Constant(F64, -2.0), g.fcall("log", u)))
    z = b.fmul(g.fcall("cos", x2pi), g2rad)
    b.store(b.fmul(g.fcall("sin", x2pi), g2rad), val_p)
    b.store(ir.Constant(I32, 1), has_p)
    drawn = b.block
    b.branch(done)
    b.position_at_end(done)
    out = b.phi(F64)
    out.add_incoming(old, kept)
    out.add_incoming(z, drawn)
    return out


def _gauss_numpy(g: FunctionLowerer, s: ir.Value) -> ir.Value:
    """NumPy's ``legacy_gauss``: the kept value if any, else the polar method."""
    b = g.b
    has_p, val_p = _cached_gauss(g, s)
    kept, draw, done = g.block("ngauss.kept"), g.block("ngauss.draw"), g.block("ngauss.done")
    b.cbranch(b.icmp_unsigned("!=", b.load(has_p, typ=I32), ir.Constant(I32, 0)), kept, draw)
    b.position_at_end(kept)
    old = b.load(val_p, typ=F64)
    b.store(ir.Constant(I32, 0), has_p)
    b.store(ir.Constant(F64, 0.0), val_p)
    b.branch(done)
    b.position_at_end(draw)
    res53 = mt.res53(g.module)
    one, two = ir.Constant(F64, 1.0), ir.Constant(F64, 2.0)
    x1 = b.fsub(b.fmul(two, b.call(res53, [s])), one)
    x2 = b.fsub(b.fmul(two, b.call(res53, [s])), one)
    r2 = b.fadd(b.fmul(x1, x1), b.fmul(x2, x2))
    again = b.or_(b.fcmp_ordered(">=", r2, one), b.fcmp_ordered("==", r2, ir.Constant(F64, 0.0)))
    accept = g.block("ngauss.accept")
    b.cbranch(again, draw, accept)
    b.position_at_end(accept)
    f = g.fcall("sqrt", b.fdiv(b.fmul(ir.Constant(F64, -2.0), g.fcall("log", r2)), r2))
    b.store(b.fmul(f, x1), val_p)
    b.store(ir.Constant(I32, 1), has_p)
    z = b.fmul(f, x2)
    b.branch(done)
    b.position_at_end(done)
    out = b.phi(F64)
    out.add_incoming(old, kept)
    out.add_incoming(z, accept)
    return out
