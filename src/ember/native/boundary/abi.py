"""The CPython boundary, written in LLVM IR: native types ↔ LLVM types, C API
declarations, boxing/unboxing, and the per-unit entry a Python call lands in.

For a root specialization ``@sym`` (``define i32 @sym(ptr %result, i64 %n)``) a unit gets::

    @sym__entry(self, args, nargs, kwnames)   METH_FASTCALL|METH_KEYWORDS: unbox, call, box;
                                              anything else → PyObject_Vectorcall(@sym__next, ...)
    @sym__set_next(self, obj)                 METH_O: replace the forwarding target
    @PyInit_sym()                             a module holding both builtins: what the JIT
                                              calls once, and what a shared object exports

Layout facts used (CPython 3.10-3.13, 64-bit, GIL build; compiler.check_supported_build
refuses free-threaded builds): ``ob_type`` at offset 8,
``PyFloatObject.ob_fval`` and ``PyVarObject.ob_size`` at 16, ``PyTupleObject.ob_item`` at 24.
No ``ast`` here; llvmlite.ir only.
"""

from __future__ import annotations

from llvmlite import ir

from ember.native.boundary import complex as complex_abi
from ember.native.boundary import keywords, numpy_scalars
from ember.native.boundary import nogil as nogil_abi
from ember.native.boundary.arrays import box_array, release_views, unbox_arg
from ember.native.boundary.capi import CApi, glue_only
from ember.native.boundary.dtypes import box_dtype, unbox_dtype
from ember.native.boundary.functions import unbox_function
from ember.native.boundary.lists import box_list, unbox_list
from ember.native.boundary.llvm import F64, I8, I32, I64, PTR, entry_alloca, value_type
from ember.native.ir.calls import CallShape
from ember.native.types import (
    NONE,
    Array,
    Bool,
    Complex128,
    DTypeValue,
    Float64,
    Function,
    Int64,
    List,
    NoneType,
    NpScalar,
    Tuple,
    Type,
)

# A root's parameters as Python calls them, and the unit's globals of interned names and
# default objects (boundary/keywords.py).
Bound = tuple[CallShape, ir.GlobalVariable, ir.GlobalVariable]

METH_O = 0x0008
METH_KEYWORDS = 0x0002
METH_FASTCALL = 0x0080
PYTHON_API_VERSION = 1013

OFF_TYPE = 8
OFF_FVAL = 16
OFF_SIZE = 16
OFF_ITEMS = 24


def field(builder: ir.IRBuilder, obj: ir.Value, offset: int, typ: ir.Type) -> ir.Value:
    """Load the ``typ`` at byte ``offset`` of a PyObject."""
    p = builder.gep(obj, [ir.Constant(I64, offset)], source_etype=I8)
    return builder.load(p, typ=typ)


def type_is(builder: ir.IRBuilder, capi: CApi, obj: ir.Value, type_name: str) -> ir.Value:
    return builder.icmp_unsigned("==", field(builder, obj, OFF_TYPE, PTR), capi.obj(type_name))


# ---------------------------------------------------------------- boxing


def box(builder: ir.IRBuilder, capi: CApi, value: ir.Value, t: Type) -> ir.Value:
    """A new reference to the Python object for ``value`` (NULL with an exception set
    if allocation failed)."""
    if isinstance(t, Int64):
        return builder.call(capi.fn("PyLong_FromLongLong"), [value])
    if isinstance(t, Float64):
        return builder.call(capi.fn("PyFloat_FromDouble"), [value])
    if isinstance(t, Bool):
        return builder.call(capi.fn("PyBool_FromLong"), [builder.zext(value, I64)])
    if isinstance(t, Complex128):
        return complex_abi.box(builder, capi, value)
    if isinstance(t, NoneType):
        none = capi.obj("_Py_NoneStruct")
        builder.call(capi.fn("Py_IncRef"), [none])
        return none
    if isinstance(t, Tuple):
        return _box_tuple(builder, capi, value, t)
    if isinstance(t, Array):  # the owner, whose reference is handed over
        return box_array(builder, value, t)
    if isinstance(t, DTypeValue):  # NumPy's dtype object (or the type Python passed)
        return box_dtype(builder, capi, t)
    if isinstance(t, List):  # its parent (written back) or a new list: boundary/lists.py
        return box_list(builder, capi, value, t, box)
    if isinstance(t, NpScalar):  # np.float32(...), np.int8(...): NumPy's own object
        return numpy_scalars.box_numpy(builder, capi, value, t)
    raise NotImplementedError(f"cannot return a {t} to Python yet")


def _box_tuple(builder: ir.IRBuilder, capi: CApi, value: ir.Value, t: Tuple) -> ir.Value:
    tup = builder.call(capi.fn("PyTuple_New"), [ir.Constant(I64, len(t.items))])
    fn = builder.function
    done = fn.append_basic_block("box.done")
    fail = fn.append_basic_block("box.fail")
    result = entry_alloca(builder, PTR)
    builder.store(tup, result)
    ok = builder.icmp_unsigned("!=", tup, ir.Constant(PTR, None))
    nxt = fn.append_basic_block("box.item")
    builder.cbranch(ok, nxt, done)
    builder.position_at_end(nxt)
    for i, item_t in enumerate(t.items):
        item = box(builder, capi, builder.extract_value(value, i), item_t)
        good = builder.icmp_unsigned("!=", item, ir.Constant(PTR, None))
        nxt = fn.append_basic_block("box.item")
        builder.cbranch(good, nxt, fail)
        builder.position_at_end(nxt)
        builder.call(capi.fn("PyTuple_SetItem"), [tup, ir.Constant(I64, i), item])  # steals
    builder.branch(done)
    builder.position_at_end(fail)
    builder.call(capi.fn("Py_DecRef"), [tup])
    builder.store(ir.Constant(PTR, None), result)
    builder.branch(done)
    builder.position_at_end(done)
    return builder.load(result, typ=PTR)


# -------------------------------------------------------------- unboxing


def unbox(
    builder: ir.IRBuilder,
    capi: CApi,
    obj: ir.Value,
    t: Type,
    mismatch: ir.Block,
    views: list[ir.Value],
    numpy: bool = False,
    any_layout: bool = False,
) -> ir.Value:
    """The native value of ``obj`` if its type is exactly ``t``; otherwise branch to
    ``mismatch`` (the caller forwards the call to the next specialization). An array
    argument may hold a buffer view: it goes into ``views``, which the entry releases
    after the call and on the way to ``mismatch``. ``any_layout``: an 'A' array type
    takes C and F arrays too (declared signatures)."""
    fn = builder.function
    if numpy and type(t) in numpy_scalars.KINDS:  # or NumPy's scalar of this type
        return numpy_scalars.unbox_either(builder, capi, obj, t, mismatch, lambda: unbox(
            builder, capi, obj, t, mismatch, views))

    def check(cond: ir.Value) -> None:
        ok = fn.append_basic_block("unbox.ok")
        builder.cbranch(cond, ok, mismatch)
        builder.position_at_end(ok)

    if isinstance(t, Int64):
        check(type_is(builder, capi, obj, "PyLong_Type"))
        overflow = entry_alloca(builder, I32)
        builder.store(ir.Constant(I32, 0), overflow)
        v = builder.call(capi.fn("PyLong_AsLongLongAndOverflow"), [obj, overflow])
        # An int outside int64: the slow path explains it (no exception is set here).
        check(builder.icmp_signed("==", builder.load(overflow, typ=I32), ir.Constant(I32, 0)))
        return v
    if isinstance(t, Float64):
        check(type_is(builder, capi, obj, "PyFloat_Type"))
        return field(builder, obj, OFF_FVAL, F64)
    if isinstance(t, Complex128):
        check(complex_abi.is_complex(builder, capi, obj))
        return complex_abi.fields(builder, obj)
    if isinstance(t, Bool):
        check(type_is(builder, capi, obj, "PyBool_Type"))
        return builder.icmp_unsigned("==", obj, capi.obj("_Py_TrueStruct"))
    if isinstance(t, NoneType):
        check(builder.icmp_unsigned("==", obj, capi.obj("_Py_NoneStruct")))
        return ir.Constant(I8, 0)
    if isinstance(t, Tuple):
        check(type_is(builder, capi, obj, "PyTuple_Type"))
        size = field(builder, obj, OFF_SIZE, I64)
        check(builder.icmp_signed("==", size, ir.Constant(I64, len(t.items))))
        agg: ir.Value = ir.Constant(value_type(t), ir.Undefined)
        for i, item_t in enumerate(t.items):
            item = field(builder, obj, OFF_ITEMS + 8 * i, PTR)
            agg = builder.insert_value(
                agg, unbox(builder, capi, item, item_t, mismatch, views, any_layout=any_layout), i)
        return agg
    if isinstance(t, Array):  # the ndarray fast path, else the buffer protocol
        return unbox_arg(builder, obj, t, mismatch, views, any_layout)
    if isinstance(t, DTypeValue):  # an identity check: the value is the type
        return unbox_dtype(builder, capi, obj, t, mismatch)
    if isinstance(t, List):  # a reflected list, released through views: boundary/lists.py
        return unbox_list(builder, capi, obj, t, mismatch, views, unbox, box)
    if isinstance(t, NpScalar):  # exactly NumPy's scalar type of the dtype
        return numpy_scalars.unbox_numpy(builder, capi, obj, t, mismatch)
    if isinstance(t, Function):  # a @jit function passed in: an identity check
        return unbox_function(builder, capi, obj, t, mismatch)
    raise NotImplementedError(f"cannot pass a {t} from Python yet")


# ----------------------------------------------------------- the entry


def add_entry(
    module: ir.Module,
    capi: CApi,
    spec: ir.Function,
    symbol: str,
    pyname: str,
    arg_types: tuple[Type, ...],
    return_type: Type,
    shape: CallShape | None = None,
    numpy: tuple[bool, ...] = (),
    nogil: bool = False,
    any_layout: bool = False,
) -> None:
    """Add the CPython entry, the forwarding setter and ``PyInit_<symbol>`` for the
    root specialization ``spec``. The JIT calls ``PyInit_<symbol>`` too (through
    ctypes, once): every extra function costs codegen time, ~0.5 ms each at O3.
    ``nogil``: the entry releases the GIL around the call of ``spec`` (boundary/nogil.py
    makes the body take it back for its C API calls)."""
    nxt = ir.GlobalVariable(module, PTR, f"{symbol}__next")
    nxt.linkage = "internal"
    nxt.initializer = ir.Constant(PTR, None)

    bound = None
    if shape is not None:  # keywords and defaults: boundary/keywords.py
        bound = (shape, *keywords.shape_globals(module, symbol, shape))
    entry = _entry_function(module, capi, spec, symbol, nxt, arg_types, return_type, bound,
                            numpy, nogil, any_layout)
    setter = _setter_function(module, capi, symbol, nxt)
    _module_init(module, capi, symbol, pyname, entry, setter, bound)


def _entry_function(
    module: ir.Module,
    capi: CApi,
    spec: ir.Function,
    symbol: str,
    nxt: ir.GlobalVariable,
    arg_types: tuple[Type, ...],
    return_type: Type,
    bound: Bound | None = None,
    numpy: tuple[bool, ...] = (),
    nogil: bool = False,
    any_layout: bool = False,
) -> ir.Function:
    fnty = ir.FunctionType(PTR, [PTR, PTR, I64, PTR])
    fn = ir.Function(module, fnty, f"{symbol}__entry")
    fn.linkage = "internal"
    glue_only(fn)  # array unboxing helpers are alwaysinline: inlined even here
    _self, args, nargs, kwnames = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    forward = fn.append_basic_block("forward")
    null = ir.Constant(PTR, None)

    result = b.alloca(value_type(return_type))
    ok = fn.append_basic_block("nokw")
    binding = fn.append_basic_block("bind") if bound is not None else forward
    good = b.and_(
        b.icmp_unsigned("==", kwnames, null),
        b.icmp_signed("==", nargs, ir.Constant(I64, len(arg_types))),
    )
    if bound is not None and bound[0].positional < len(arg_types):
        good = ir.Constant(ir.IntType(1), 0)  # keyword-only parameters: always bind
    b.cbranch(good, ok, binding)
    argv = args
    if bound is not None:
        b.position_at_end(binding)
        slots = keywords.bind(b, bound[0], bound[1], bound[2], (args, nargs, kwnames), forward)
        bind_end = b.block
        b.branch(ok)
        b.position_at_end(ok)
        phi = b.phi(PTR)
        phi.add_incoming(args, fn.entry_basic_block)
        phi.add_incoming(slots, bind_end)
        argv = phi
    b.position_at_end(ok)
    values = []
    views: list[ir.Value] = []  # the buffer views the array arguments may hold
    for i, t in enumerate(arg_types):
        p = b.gep(argv, [ir.Constant(I64, i)], source_etype=PTR)
        accepts_numpy = i < len(numpy) and numpy[i]  # analysis/numpy_scalars.py
        values.append(unbox(b, capi, b.load(p, typ=PTR), t, forward, views, accepts_numpy,
                            any_layout))
    rc = _call_root(b, spec, [result, *values], nogil)
    release_views(b, views)  # buffers held for the call
    failed = fn.append_basic_block("failed")
    boxed = fn.append_basic_block("box")
    b.cbranch(b.icmp_signed("!=", rc, ir.Constant(I32, 0)), failed, boxed)
    b.position_at_end(failed)
    b.ret(null)
    b.position_at_end(boxed)
    if isinstance(return_type, NoneType):
        b.ret(box(b, capi, ir.Constant(I8, 0), NONE))
    else:
        b.ret(box(b, capi, b.load(result, typ=value_type(return_type)), return_type))

    # Not ours (types, count, keywords): hand the call unchanged down the chain.
    b.position_at_end(forward)
    release_views(b, views)  # an earlier argument's buffer, if any
    target = b.load(nxt, typ=PTR)
    missing = fn.append_basic_block("nonext")
    call = fn.append_basic_block("call")
    b.cbranch(b.icmp_unsigned("==", target, null), missing, call)
    b.position_at_end(call)
    b.ret(b.call(capi.fn("PyObject_Vectorcall"), [target, args, nargs, kwnames]))
    b.position_at_end(missing)
    capi.set_error(b, "TypeError", "ember: no specialization accepts these arguments")
    b.ret(null)
    return fn


def _call_root(b: ir.IRBuilder, spec: ir.Function, args: list[ir.Value], nogil: bool) -> ir.Value:
    """The root's status code; ``nogil``: the arguments are unboxed with the GIL held,
    the machine code runs without it (boundary/nogil.py)."""
    if not nogil:
        return b.call(spec, args)
    tstate = nogil_abi.save_thread(b)
    rc = b.call(spec, args)
    nogil_abi.restore_thread(b, tstate)
    return rc


def _setter_function(
    module: ir.Module, capi: CApi, symbol: str, nxt: ir.GlobalVariable
) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR, PTR]), f"{symbol}__set_next")
    fn.linkage = "internal"
    glue_only(fn)  # runs once per compile
    b = ir.IRBuilder(fn.append_basic_block())
    obj = fn.args[1]
    b.call(capi.fn("Py_IncRef"), [obj])
    old = b.load(nxt, typ=PTR)
    b.store(obj, nxt)
    # Py_DecRef accepts NULL (it is Py_XDECREF).
    b.call(capi.fn("Py_DecRef"), [old])
    b.ret(box(b, capi, ir.Constant(I8, 0), NONE))
    return fn


def _module_init(
    module: ir.Module,
    capi: CApi,
    symbol: str,
    pyname: str,
    entry: ir.Function,
    setter: ir.Function,
    bound: Bound | None = None,
) -> None:
    """``PyInit_<symbol>``: single-phase init of a module whose attributes are the entry
    (named as the Python function) and ``__ember_set_next__``."""
    mdef = ir.LiteralStructType([PTR, PTR, I32, PTR])
    null = ir.Constant(PTR, None)
    methods_ty = ir.ArrayType(mdef, 4)
    methods = ir.GlobalVariable(module, methods_ty, f"{symbol}__methods")
    methods.linkage = "internal"
    methods.initializer = ir.Constant(methods_ty, [
        ir.Constant(mdef, [capi.cstring(pyname), entry,
                           ir.Constant(I32, METH_FASTCALL | METH_KEYWORDS), null]),
        ir.Constant(mdef, [capi.cstring("__ember_set_next__"), setter,
                           ir.Constant(I32, METH_O), null]),
        # The entry again under a fixed name, for loaders that do not know __name__.
        ir.Constant(mdef, [capi.cstring("__ember_entry__"), entry,
                           ir.Constant(I32, METH_FASTCALL | METH_KEYWORDS), null]),
        ir.Constant(mdef, [null, null, ir.Constant(I32, 0), null]),
    ])  # fmt: skip
    # PyModuleDef: PyModuleDef_Base {ob_refcnt, ob_type, m_init, m_index, m_copy},
    # m_name, m_doc, m_size, m_methods, m_slots, m_traverse, m_clear, m_free.
    ty = ir.LiteralStructType([I64, PTR, PTR, I64, PTR, PTR, PTR, I64, PTR, PTR, PTR, PTR, PTR])
    moddef = ir.GlobalVariable(module, ty, f"{symbol}__moduledef")
    moddef.linkage = "internal"
    moddef.initializer = ir.Constant(ty, [
        ir.Constant(I64, 0xFFFFFFFF),  # immortal on 3.12+, just large before
        null, null, ir.Constant(I64, 0), null,
        capi.cstring(symbol), null, ir.Constant(I64, -1), methods, null, null, null, null,
    ])  # fmt: skip
    init = ir.Function(module, ir.FunctionType(PTR, []), f"PyInit_{symbol}")
    glue_only(init)  # runs once per load
    b = ir.IRBuilder(init.append_basic_block())
    if bound is not None:
        keywords.fill_globals(b, capi, *bound)
    b.ret(b.call(capi.fn("PyModule_Create2"), [moddef, ir.Constant(I32, PYTHON_API_VERSION)]))


