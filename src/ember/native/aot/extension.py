"""The extension module's own init, in LLVM IR: ``PyInit_<name>`` returns a multi-phase
module definition (PEP 489) whose exec slot

1. in a multiversioned build, asks the CPU which x86-64 level it runs
   (:func:`~ember.native.aot.targets.cpu_level_function`; ``EMBER_AOT_CPU`` may cap it)
   and refuses to load below the baseline, with an ImportError rather than an illegal
   instruction;
2. makes one module per specialization (each unit's ``PyInit_<symbol>``, as the JIT
   does; the version for the chosen level where there are several),
3. runs the marshalled bootstrap (:mod:`~ember.native.aot.bootstrap`) with them, the new
   module and the source module's marshalled code in its namespace.

Multi-phase, so that by the time the exec slot runs the importer has set ``__file__``,
``__spec__`` and ``__loader__``, as the source module's code may use them.
"""

from __future__ import annotations

from collections.abc import Sequence

from llvmlite import ir

from ember.native.aot.targets import CAP_VARIABLE, cpu_level_function, level_name
from ember.native.boundary.capi import cstring
from ember.native.boundary.llvm import I8, I32, I64, PTR

# One unit's versions: (its symbol, whose init is PyInit_<symbol>; the x86-64 level it
# needs, 0 = no choice), lowest level first.
Variants = Sequence[tuple[str, int]]

PY_MOD_EXEC = 2  # Python's moduleobject.h


def _declare(module: ir.Module, name: str, ret: ir.Type, *args: ir.Type) -> ir.Function:
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    return ir.Function(module, ir.FunctionType(ret, list(args)), name)


def _blob(module: ir.Module, name: str, data: bytes) -> ir.GlobalVariable:
    ty = ir.ArrayType(I8, len(data))
    g = ir.GlobalVariable(module, ty, name)
    g.linkage = "private"
    g.global_constant = True
    g.initializer = ir.Constant(ty, bytearray(data))
    return g


def _choose_level(m: ir.Module, b: ir.IRBuilder, exec_fn: ir.Function) -> ir.Value:
    """The CPU's level, capped by ``EMBER_AOT_CPU=x86-64-v2|x86-64-v3``; below the
    baseline an ImportError is set and the exec slot returns -1."""
    level = b.call(cpu_level_function(m), [])
    env = b.call(_declare(m, "getenv", PTR, PTR), [cstring(m, CAP_VARIABLE)])
    strcmp = _declare(m, "strcmp", I32, PTR, PTR)
    before = b.block
    named_block = exec_fn.append_basic_block("cap.named")
    capped_block = exec_fn.append_basic_block("cap.done")
    b.cbranch(b.icmp_unsigned("!=", env, ir.Constant(PTR, None)), named_block, capped_block)
    b.position_at_end(named_block)
    cap = ir.Constant(I32, 4)
    for lvl in (3, 2):
        named = b.call(strcmp, [env, cstring(m, level_name(lvl))])
        cap = b.select(b.icmp_signed("==", named, ir.Constant(I32, 0)), ir.Constant(I32, lvl),
                       cap)
    b.branch(capped_block)
    b.position_at_end(capped_block)
    capped = b.phi(I32)
    capped.add_incoming(ir.Constant(I32, 4), before)
    capped.add_incoming(cap, named_block)
    level = b.select(b.icmp_signed("<", level, capped), level, capped)
    below = exec_fn.append_basic_block("below.baseline")
    ok = exec_fn.append_basic_block("cpu.ok")
    b.cbranch(b.icmp_signed("<", level, ir.Constant(I32, 2)), below, ok)
    b.position_at_end(below)
    exc = ir.GlobalVariable(m, PTR, "PyExc_ImportError")
    b.call(_declare(m, "PyErr_SetString", ir.VoidType(), PTR, PTR), [
        b.load(exc, typ=PTR),
        cstring(m, "this extension was built for x86-64-v2 CPUs (SSE4.2, POPCNT) and "
                   "newer; this CPU is older: rebuild it here with ember aot --cpu host"),
    ])  # fmt: skip
    b.ret(ir.Constant(I32, -1))
    b.position_at_end(ok)
    return level


def _pick(b: ir.IRBuilder, m: ir.Module, variants: Variants, level: ir.Value | None) -> ir.Value:
    """The PyInit of the highest version ``level`` runs (the first when no choice)."""
    fn = _declare(m, f"PyInit_{variants[0][0]}", PTR)
    for symbol, needs in variants[1:]:
        assert level is not None
        newer = _declare(m, f"PyInit_{symbol}", PTR)
        fn = b.select(b.icmp_signed(">=", level, ir.Constant(I32, needs)), newer, fn)
    return fn


def _cpu_name(b: ir.IRBuilder, m: ir.Module, level: ir.Value | None, cpu: str) -> ir.Value:
    """The C string naming the code chosen: ``x86-64-v3``, or ``cpu`` without a choice."""
    if level is None:
        return cstring(m, cpu)
    names = [cstring(m, level_name(lvl)) for lvl in (2, 3, 4)]
    return b.select(b.icmp_signed("==", level, ir.Constant(I32, 2)), names[0],
                    b.select(b.icmp_signed("==", level, ir.Constant(I32, 3)),
                             names[1], names[2]))


def _exec_function(m: ir.Module, units: Sequence[Variants], bootstrap: bytes,
                   payload: bytes, cpu: str, meta: bytes) -> ir.Function:
    """The exec slot: the CPU's level, the unit modules, then the bootstrap run with
    them."""
    null = ir.Constant(PTR, None)

    def fn(n: str, ret: ir.Type, *args: ir.Type) -> ir.Function:
        return _declare(m, n, ret, *args)

    boot = _blob(m, "ember.aot.bootstrap", bootstrap)
    code_bytes = _blob(m, "ember.aot.payload", payload)

    exec_fn = ir.Function(m, ir.FunctionType(I32, [PTR]), "ember_aot_exec")
    exec_fn.linkage = "internal"
    b = ir.IRBuilder(exec_fn.append_basic_block("entry"))
    g = b.alloca(PTR, name="globals")
    b.store(null, g)
    multiversioned = any(len(v) > 1 for v in units)
    level = _choose_level(m, b, exec_fn) if multiversioned else None
    fail = exec_fn.append_basic_block("fail")
    (module_obj,) = exec_fn.args
    decref = fn("Py_DecRef", ir.VoidType(), PTR)
    set_item = fn("PyDict_SetItemString", I32, PTR, PTR, PTR)

    def checked(value: ir.Value) -> ir.Value:
        ok = exec_fn.append_basic_block("ok")
        b.cbranch(b.icmp_unsigned("==", value, null), fail, ok)
        b.position_at_end(ok)
        return value

    ns = checked(b.call(fn("PyDict_New", PTR), []))
    b.store(ns, g)
    b.call(set_item, [ns, cstring(m, "__builtins__"), b.call(fn("PyEval_GetBuiltins", PTR), [])])
    b.call(set_item, [ns, cstring(m, "_module"), module_obj])
    label = checked(b.call(fn("PyUnicode_FromString", PTR, PTR), [_cpu_name(b, m, level, cpu)]))
    b.call(set_item, [ns, cstring(m, "_cpu"), label])
    b.call(decref, [label])
    meta_blob = _blob(m, "ember.aot.meta", meta)
    meta_obj = checked(b.call(fn("PyBytes_FromStringAndSize", PTR, PTR, I64),
                              [meta_blob, ir.Constant(I64, len(meta))]))
    b.call(set_item, [ns, cstring(m, "_meta"), meta_obj])
    b.call(decref, [meta_obj])
    units_tuple = checked(b.call(fn("PyTuple_New", PTR, I64), [ir.Constant(I64, len(units))]))
    for i, variants in enumerate(units):
        unit = b.call(_pick(b, m, variants, level), [])
        ok = exec_fn.append_basic_block("unit")
        bad = exec_fn.append_basic_block("unit.bad")
        b.cbranch(b.icmp_unsigned("==", unit, null), bad, ok)
        b.position_at_end(bad)
        b.call(decref, [units_tuple])
        b.branch(fail)
        b.position_at_end(ok)
        # PyTuple_SetItem steals the new reference.
        b.call(fn("PyTuple_SetItem", I32, PTR, I64, PTR),
               [units_tuple, ir.Constant(I64, i), unit])
    b.call(set_item, [ns, cstring(m, "_units"), units_tuple])
    b.call(decref, [units_tuple])
    data = checked(b.call(fn("PyBytes_FromStringAndSize", PTR, PTR, I64),
                          [code_bytes, ir.Constant(I64, len(payload))]))
    b.call(set_item, [ns, cstring(m, "_payload"), data])
    b.call(decref, [data])
    code = checked(b.call(fn("PyMarshal_ReadObjectFromString", PTR, PTR, I64),
                          [boot, ir.Constant(I64, len(bootstrap))]))
    result = b.call(fn("PyEval_EvalCode", PTR, PTR, PTR, PTR), [code, ns, ns])
    b.call(decref, [code])
    checked(result)
    b.call(decref, [result])
    b.call(decref, [ns])
    b.ret(ir.Constant(I32, 0))
    b.position_at_end(fail)
    b.call(decref, [b.load(g, typ=PTR)])  # Py_DecRef takes NULL
    b.ret(ir.Constant(I32, -1))
    return exec_fn


def init_module(name: str, units: Sequence[Variants], bootstrap: bytes, payload: bytes,
                cpu: str = "host", meta: bytes = b"") -> ir.Module:
    """The LLVM module holding ``PyInit_<name>`` (see the module docstring): ``units``
    the versions of each specialization, ``cpu`` what a build without a choice is for,
    ``meta`` the build's metadata blob (:mod:`~ember.native.aot.meta`)."""
    m = ir.Module(name=f"ember_aot_{name}")
    null = ir.Constant(PTR, None)
    exec_fn = _exec_function(m, units, bootstrap, payload, cpu, meta)
    # PyModuleDef_Slot {int slot; void *value}, then the terminator.
    slot_ty = ir.LiteralStructType([I32, PTR])
    slots_ty = ir.ArrayType(slot_ty, 2)
    slots = ir.GlobalVariable(m, slots_ty, "ember.aot.slots")
    slots.linkage = "internal"
    slots.initializer = ir.Constant(slots_ty, [
        ir.Constant(slot_ty, [ir.Constant(I32, PY_MOD_EXEC), exec_fn]),
        ir.Constant(slot_ty, [ir.Constant(I32, 0), null]),
    ])  # fmt: skip
    # PyModuleDef: PyModuleDef_Base {ob_refcnt, ob_type, m_init, m_index, m_copy},
    # m_name, m_doc, m_size, m_methods, m_slots, m_traverse, m_clear, m_free.
    def_ty = ir.LiteralStructType([I64, PTR, PTR, I64, PTR, PTR, PTR, I64, PTR, PTR, PTR,
                                   PTR, PTR])
    moddef = ir.GlobalVariable(m, def_ty, "ember.aot.moduledef")
    moddef.linkage = "internal"
    moddef.initializer = ir.Constant(def_ty, [
        ir.Constant(I64, 0xFFFFFFFF), null, null, ir.Constant(I64, 0), null,
        cstring(m, name), null, ir.Constant(I64, 0), null, slots, null, null, null,
    ])  # fmt: skip
    init = ir.Function(m, ir.FunctionType(PTR, []), f"PyInit_{name}")
    b = ir.IRBuilder(init.append_basic_block())
    b.ret(b.call(_declare(m, "PyModuleDef_Init", PTR, PTR), [moddef]))
    return m
