"""The extension module's own init, in LLVM IR: ``PyInit_<name>`` returns a multi-phase
module definition (PEP 489) whose exec slot

1. makes one module per specialization (each unit's ``PyInit_<symbol>``, as the JIT does),
2. runs the marshalled bootstrap (:mod:`~ember.native.aot.bootstrap`) with them, the new
   module and the source module's marshalled code in its namespace.

Multi-phase, so that by the time the exec slot runs the importer has set ``__file__``,
``__spec__`` and ``__loader__``, as the source module's code may use them.
"""

from __future__ import annotations

from collections.abc import Sequence

from llvmlite import ir

from ember.native.boundary.capi import cstring
from ember.native.boundary.llvm import I8, I32, I64, PTR

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


def _exec_function(m: ir.Module, unit_symbols: Sequence[str], bootstrap: bytes,
                   payload: bytes) -> ir.Function:
    """The exec slot: the unit modules, then the bootstrap run with them."""
    null = ir.Constant(PTR, None)

    def fn(n: str, ret: ir.Type, *args: ir.Type) -> ir.Function:
        return _declare(m, n, ret, *args)

    boot = _blob(m, "ember.aot.bootstrap", bootstrap)
    code_bytes = _blob(m, "ember.aot.payload", payload)

    exec_fn = ir.Function(m, ir.FunctionType(I32, [PTR]), "ember_aot_exec")
    exec_fn.linkage = "internal"
    b = ir.IRBuilder(exec_fn.append_basic_block("entry"))
    fail = exec_fn.append_basic_block("fail")
    (module_obj,) = exec_fn.args
    decref = fn("Py_DecRef", ir.VoidType(), PTR)
    set_item = fn("PyDict_SetItemString", I32, PTR, PTR, PTR)

    def checked(value: ir.Value) -> ir.Value:
        ok = exec_fn.append_basic_block("ok")
        b.cbranch(b.icmp_unsigned("==", value, null), fail, ok)
        b.position_at_end(ok)
        return value

    g = b.alloca(PTR, name="globals")
    b.store(null, g)
    ns = checked(b.call(fn("PyDict_New", PTR), []))
    b.store(ns, g)
    b.call(set_item, [ns, cstring(m, "__builtins__"), b.call(fn("PyEval_GetBuiltins", PTR), [])])
    b.call(set_item, [ns, cstring(m, "_module"), module_obj])
    units = checked(b.call(fn("PyTuple_New", PTR, I64), [ir.Constant(I64, len(unit_symbols))]))
    for i, symbol in enumerate(unit_symbols):
        unit = b.call(fn(f"PyInit_{symbol}", PTR), [])
        ok = exec_fn.append_basic_block("unit")
        bad = exec_fn.append_basic_block("unit.bad")
        b.cbranch(b.icmp_unsigned("==", unit, null), bad, ok)
        b.position_at_end(bad)
        b.call(decref, [units])
        b.branch(fail)
        b.position_at_end(ok)
        # PyTuple_SetItem steals the new reference.
        b.call(fn("PyTuple_SetItem", I32, PTR, I64, PTR), [units, ir.Constant(I64, i), unit])
    b.call(set_item, [ns, cstring(m, "_units"), units])
    b.call(decref, [units])
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


def init_module(name: str, unit_symbols: Sequence[str], bootstrap: bytes,
                payload: bytes) -> ir.Module:
    """The LLVM module holding ``PyInit_<name>`` (see the module docstring)."""
    m = ir.Module(name=f"ember_aot_{name}")
    null = ir.Constant(PTR, None)
    exec_fn = _exec_function(m, unit_symbols, bootstrap, payload)
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
