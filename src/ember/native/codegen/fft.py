"""Lowering of :class:`ember.native.ir.fft.FFT`: NumPy's own FFT inner loop
(boundary/pocketfft.py) called on the array's buffer, as ``numpy.fft._raw_fft`` calls
its ufunc, so the result is NumPy's bit for bit::

    n < 1                       → ValueError("Invalid number of FFT data points (n) specified.")
    fct                         → NumPy's factor: 1 (norm "backward"), 1/sqrt(n) ("ortho"),
                                  1/n ("forward"), computed in NumPy's real dtype; ifft and
                                  irfft swap "backward" and "forward" as NumPy does
    the loop                    → the one NumPy's type resolution picks (boundary/pocketfft.py's
                                  :func:`choose`); an input of another dtype is first cast
                                  into a C copy, a result of another dtype computed in a
                                  work array and cast (NumPy's buffered casts)
    loop(args, dims, steps, data) with dims {1, len(a), n_out}; a MemoryError the loop
                                  sets is raised after it

The loop's address is read from the ufunc object at run time, once per process
(:func:`loop_pointers`), so the object code holds no address of this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import llvmlite.ir as ir

from ember.native.boundary import pocketfft
from ember.native.boundary.capi import (
    capi_function,
    cstring,
    format_error_helper,
    py_decref,
    set_error,
)
from ember.native.boundary.llvm import F32, F64, I32, I64, PTR, VOID, storage_type
from ember.native.codegen import array_ops as new
from ember.native.codegen.array_access import data_of, dim_of, owner_of, stride_of
from ember.native.codegen.arrays import operand
from ember.native.codegen.creation import copy_cast
from ember.native.ir.fft import FFT
from ember.native.types import Array, DType

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from ember.native.codegen.function import FunctionLowerer

#: NumPy's ``PyUFuncGenericFunction``: void (char **args, npy_intp *dims, npy_intp *steps, void *data).
LOOP_TYPE = ir.FunctionType(VOID, [PTR, PTR, PTR, PTR])
_SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}
INVALID_N = "Invalid number of FFT data points (%ld) specified."
LAYOUT_CHANGED = ("numpy.fft._pocketfft_umath's ufuncs do not have the layout this code was "
                  "compiled for (NumPy changed under a cached entry?): recompile it")


def _real_dtype(dtype: DType) -> str:
    """NumPy's ``result_type(a.real.dtype, 1.0)``: the dtype ``fct`` is computed in."""
    if dtype.name in ("float32", "complex64"):
        return "float32"
    return "float64"  # float64, complex128, ints and bool (NumPy 2's weak 1.0)


def _ufunc(func: str) -> str:
    return "rfft_n_even" if func == "rfft" else func


def fft(gen: FunctionLowerer, e: FFT) -> ir.Value:
    """``np.fft.<func>(a, n, norm=...)``: a new C array."""
    ctx, b = gen.arrays, gen.b
    at, rt = e.array.type, e.type
    assert isinstance(at, Array) and isinstance(rt, Array)
    forward = e.func in ("fft", "rfft")
    norm = e.norm if forward else _SWAP[e.norm]
    real = _real_dtype(at.dtype)
    loop = pocketfft.choose(_ufunc(e.func), at.dtype.name, "int" if norm == "backward" else real,
                            rt.dtype.name)
    one = ir.Constant(I64, 1)
    with operand(ctx, e.array) as a:
        length = dim_of(b, a, 0)
        if e.n is not None:
            n = gen.expr(e.n)
        elif e.func == "irfft":
            n = b.mul(b.sub(length, one), ir.Constant(I64, 2))
        else:
            n = length
        with b.if_then(b.icmp_signed("<", n, one), likely=False):
            helper = format_error_helper(b.module, "ember.fft_points_error", "ValueError",
                                         INVALID_N, [I64])
            b.call(helper, [n])
            ctx.fail()
        n_out = b.add(b.sdiv(n, ir.Constant(I64, 2)), one) if e.func == "rfft" else n
        result = new.new_array(ctx, rt, [n_out], zero=False)
        start = len(ctx.pending)
        ctx.pending.append(owner_of(b, result))
        src, in_step = data_of(b, a), stride_of(b, a, 0)
        if loop.in_dtype != at.dtype.name:  # NumPy's buffered cast of the input
            it = Array(DType(loop.in_dtype), 1, "C")
            copy = new.new_array(ctx, it, [length], zero=False)
            ctx.pending.append(owner_of(b, copy))
            copy_cast(gen, a, at, copy, it)
            src, in_step = data_of(b, copy), ir.Constant(I64, it.dtype.itemsize)
        dst = result
        if loop.out_dtype != rt.dtype.name:  # computed wide, then cast as NumPy's buffer is
            ot = Array(DType(loop.out_dtype), 1, "C")
            dst = new.new_array(ctx, ot, [n_out], zero=False)
            ctx.pending.append(owner_of(b, dst))
        fct = ctx.alloca(storage_type(DType(loop.fct_dtype)), name="fct")
        b.store(_factor(b, norm, n, real, loop.fct_dtype), fct)
        fn, data = loop_pointers(gen, loop)
        if e.func == "rfft":  # the even/odd loop by n's parity, as NumPy picks its ufunc
            odd_fn, odd_data = loop_pointers(gen, pocketfft.choose(
                "rfft_n_odd", at.dtype.name, "int" if norm == "backward" else real, rt.dtype.name))
            odd = b.trunc(n, ir.IntType(1))
            fn, data = b.select(odd, odd_fn, fn), b.select(odd, odd_data, data)
        _call(gen, fn, data, (src, fct, data_of(b, dst)), (length, n_out),
              (in_step, ir.Constant(I64, DType(loop.out_dtype).itemsize)))
        if dst is not result:
            copy_cast(gen, dst, Array(DType(loop.out_dtype), 1, "C"), result, rt)
        for owner in ctx.pending[start + 1:]:
            py_decref(b, owner)
        del ctx.pending[start:]
    return result


def _factor(b: ir.IRBuilder, norm: str, n: ir.Value, real: str, fct_dtype: str) -> ir.Value:
    """NumPy's ``fct`` as the loop takes it: ``1``, ``reciprocal(sqrt(n, dtype=real))`` or
    ``reciprocal(n, dtype=real)`` (in ``real``'s precision), then cast to ``fct_dtype``."""
    rt = F32 if real == "float32" else F64
    want = F32 if fct_dtype == "float32" else F64
    if norm == "backward":
        return ir.Constant(want, 1.0)
    x = b.sitofp(n, rt)
    if norm == "ortho":
        sqrt = b.module.declare_intrinsic("llvm.sqrt", [rt])
        x = b.call(sqrt, [x])
    value = b.fdiv(ir.Constant(rt, 1.0), x)
    return value if rt == want else b.fpext(value, want)


def _call(gen: FunctionLowerer, fn: ir.Value, data: ir.Value, ptrs: tuple[ir.Value, ...],
          sizes: tuple[ir.Value, ir.Value], steps: tuple[ir.Value, ir.Value]) -> None:
    """``fn(args, dimensions, steps, data)`` for one signal; raise what the loop set."""
    ctx, b = gen.arrays, gen.b
    args = ctx.alloca(ir.ArrayType(PTR, 3), name="fft.args")
    dims = ctx.alloca(ir.ArrayType(I64, 3), name="fft.dims")
    strides = ctx.alloca(ir.ArrayType(I64, 5), name="fft.steps")
    zero = ir.Constant(I64, 0)

    def put(base: ir.Value, ty: ir.Type, i: int, v: ir.Value) -> None:
        slot = b.gep(base, [ir.Constant(I64, i)], inbounds=True, source_etype=ty)
        slot.type = PTR  # opaque (llvmlite's typed-pointer check)
        b.store(v, slot)

    for i, p in enumerate(ptrs):
        put(args, PTR, i, p)
    for i, v in enumerate((ir.Constant(I64, 1), *sizes)):
        put(dims, I64, i, v)
    for i, v in enumerate((zero, zero, zero, *steps)):
        put(strides, I64, i, v)
    b.call(fn, [args, dims, strides, data])
    failed = b.call(capi_function(b.module, "PyErr_Occurred"), [])
    with b.if_then(b.icmp_unsigned("!=", failed, ir.Constant(PTR, None)), likely=False):
        ctx.fail()


def loop_pointers(gen: FunctionLowerer, loop: pocketfft.FftLoop) -> tuple[ir.Value, ir.Value]:
    """(inner loop, its data) of ``loop``: loaded from two private globals, filled on the
    first call in this process by reading the ufunc object (the GIL is held)."""
    b = gen.b
    module = b.module
    stem = f"ember.fft.{loop.ufunc}.{loop.index}"
    fn_slot, data_slot = (_slot(module, f"{stem}.{part}") for part in ("fn", "data"))
    init = _init_function(module, stem, loop, fn_slot, data_slot)
    with b.if_then(b.icmp_unsigned("==", b.load(fn_slot, typ=PTR), ir.Constant(PTR, None)),
                   likely=False):
        rc = b.call(init, [])
        with b.if_then(b.icmp_signed("<", rc, ir.Constant(I32, 0)), likely=False):
            gen.arrays.fail()
    return b.load(fn_slot, typ=LOOP_TYPE.as_pointer()), b.load(data_slot, typ=PTR)


def _slot(module: ir.Module, name: str) -> ir.GlobalVariable:
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    g = ir.GlobalVariable(module, PTR, name)
    g.linkage = "internal"
    g.initializer = ir.Constant(PTR, None)
    return g


def _init_function(module: ir.Module, stem: str, loop: pocketfft.FftLoop,
                   fn_slot: ir.GlobalVariable, data_slot: ir.GlobalVariable) -> ir.Function:
    """``int init(void)``: import the ufunc module, check the ufunc's layout (nin, nout,
    ntypes as at compile time), store ``functions[index]`` and ``data[index]``; -1 with
    an exception set on failure."""
    name = f"{stem}.init"
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(I32, []), name)
    fn.linkage = "private"
    for attribute in ("cold", "noinline"):
        fn.attributes.add(attribute)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    null = ir.Constant(PTR, None)
    fail = ir.Constant(I32, -1)
    mod = b.call(capi_function(module, "PyImport_ImportModule"), [cstring(module, pocketfft.MODULE)])
    with b.if_then(b.icmp_unsigned("==", mod, null), likely=False):
        b.ret(fail)
    ufunc = b.call(capi_function(module, "PyObject_GetAttrString"), [mod, cstring(module, loop.ufunc)])
    py_decref(b, mod)
    with b.if_then(b.icmp_unsigned("==", ufunc, null), likely=False):
        b.ret(fail)

    def field(offset: int, ty: ir.Type) -> ir.Value:
        return b.load(b.gep(ufunc, [ir.Constant(I64, offset)], source_etype=ir.IntType(8)), typ=ty)

    ok = ir.Constant(ir.IntType(1), 1)
    for offset, want in ((pocketfft.OFFSET_NIN, 2), (pocketfft.OFFSET_NOUT, 1),
                         (pocketfft.OFFSET_NTYPES, loop.ntypes)):
        ok = b.and_(ok, b.icmp_signed("==", field(offset, I32), ir.Constant(I32, want)))
    functions = field(pocketfft.OFFSET_FUNCTIONS, PTR)
    ok = b.and_(ok, b.icmp_unsigned("!=", functions, null))
    with b.if_then(b.not_(ok), likely=False):
        py_decref(b, ufunc)
        set_error(b, "RuntimeError", LAYOUT_CHANGED)
        b.ret(fail)
    index = ir.Constant(I64, loop.index)
    entry = b.load(b.gep(functions, [index], source_etype=PTR), typ=PTR)
    table = field(pocketfft.OFFSET_DATA, PTR)
    before = b.block
    with b.if_then(b.icmp_unsigned("!=", table, null)):
        extra = b.load(b.gep(table, [index], source_etype=PTR), typ=PTR)
        loaded = b.block
    data = b.phi(PTR)
    data.add_incoming(null, before)
    data.add_incoming(extra, loaded)
    b.store(data, data_slot)
    b.store(entry, fn_slot)  # last: a non-NULL loop pointer says both are set
    py_decref(b, ufunc)  # the module (never unloaded) keeps the ufunc alive
    b.ret(ir.Constant(I32, 0))
    return fn
