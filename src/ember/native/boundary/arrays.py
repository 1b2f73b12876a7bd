"""The CPython boundary for arrays, in LLVM IR: argument objects → array values, and
arrays made in compiled code → the NumPy arrays the caller gets.

For each array parameter type the unit gets one private helper, inlined into the entry::

    i32 @"ember.unbox.float64.2.C.rw"(ptr %obj, ptr %view, ptr %out)
        ; 1: %out filled (release %view after the call), 0: not this type (forward the
        ; call to the next entry), -1: an exception is set

It classifies the object exactly as :func:`ember.native.buffers.typeof_array` does (dtype,
ndim, layout, read-only), so the entry and the dispatcher's slow path agree:

- an exact ``numpy.ndarray`` is read straight from its struct (data, nd, dimensions,
  strides, descr type number and byte order, flags) — no buffer request at all;
- anything else is passed to ``@"ember.unbox.buffer.float64.2.C.rw"`` (same contract; out
  of line, cold and unoptimised, since it is most of the boundary's code and rarely
  runs), which goes through ``PyObject_GetBuffer(obj, view, PyBUF_RECORDS_RO)``: format,
  itemsize, ndim, read-only flag and strides are checked, and the view is held until
  ``@ember.release_view`` after the call.

NumPy's type object is known once the unit has NumPy's API table: a unit that creates
arrays has it after the first allocation, and any unit fetches it the first time it sees
an object whose type is named ``numpy.ndarray`` (never importing NumPy itself for that).
"""

from __future__ import annotations

import sys

import llvmlite.ir as ir

from ember.native.boundary.box_views import box_array_value
from ember.native.boundary.capi import (
    capi_function,
    cstring,
    extern_function,
    set_error,
)
from ember.native.boundary.llvm import I1, I8, I32, I64, PTR, VOID, struct_type
from ember.native.boundary.numpy import (
    API_NDARRAY_TYPE,
    DESCR_BYTEORDER,
    DESCR_TYPE_NUM,
    OFFSET_DATA,
    OFFSET_DESCR,
    OFFSET_DIMENSIONS,
    OFFSET_FLAGS,
    OFFSET_ND,
    OFFSET_STRIDES,
    api_table,
    numpy_api,
)
from ember.native.buffers import (
    BOOL_LETTERS,
    FLOAT_LETTERS,
    SIGNED_LETTERS,
    UNSIGNED_LETTERS,
    numpy_type_numbers,
)
from ember.native.messages import MSG_BAD_EXTENT
from ember.native.types import Array

# Py_buffer: buf, obj, len, itemsize, readonly(int), ndim(int), format, shape, strides,
# suboffsets, internal — 80 bytes on 64-bit builds (stable ABI since 3.11, same before).
VIEW_TYPE = ir.ArrayType(I64, 10)
VIEW_BUF, VIEW_OBJ, VIEW_ITEMSIZE = 0, 8, 24
VIEW_READONLY, VIEW_NDIM, VIEW_FORMAT = 32, 36, 40
VIEW_SHAPE, VIEW_STRIDES, VIEW_SUBOFFSETS = 48, 56, 64
PYBUF_RECORDS_RO = 0x0010 | 0x0008 | 0x0004  # STRIDES | ND | FORMAT
OB_TYPE = 8  # offsetof(PyObject, ob_type)
TP_NAME = 24  # offsetof(PyTypeObject, tp_name): after PyObject_VAR_HEAD
NPY_C_CONTIGUOUS, NPY_F_CONTIGUOUS, NPY_WRITEABLE = 0x1, 0x2, 0x400
FOREIGN_ORDER = ord(">") if sys.byteorder == "little" else ord("<")
NATIVE_PREFIX_CHARS = "@=<" if sys.byteorder == "little" else "@=>!"


def _at(b: ir.IRBuilder, base: ir.Value, offset: int) -> ir.Value:
    p = b.gep(base, [ir.Constant(I64, offset)], inbounds=True, source_etype=I8)
    p.type = PTR  # opaque, so that any type can be stored through it (llvmlite checks)
    return p


def _load(b: ir.IRBuilder, base: ir.Value, offset: int, ty: ir.Type) -> ir.Value:
    return b.load(_at(b, base, offset), typ=ty)


def helper_name(t: Array, any_layout: bool = False) -> str:
    layout = "any" if any_layout and t.layout == "A" else t.layout
    return f"ember.unbox.{t.dtype.name}.{t.ndim}.{layout}.{'ro' if t.readonly else 'rw'}"


def unbox_function(module: ir.Module, t: Array, any_layout: bool = False) -> ir.Function:
    """``i32 (ptr obj, ptr view, ptr out)``: see the module docstring.

    Only the exact-ndarray path is here, inlined into the entry and optimised with it
    (a call with an array pays a few loads and compares). Everything else calls
    :func:`_buffer_function`, kept out of line and unoptimised: it is most of the
    boundary's IR, and O3 plus codegen on it cost ~40% of a small array function's
    compile for a path ndarray arguments never take. ``any_layout``: an 'A' parameter
    takes contiguous arrays too (declared signatures, Numba's conversion)."""
    name = helper_name(t, any_layout)
    layout = "any" if any_layout and t.layout == "A" else t.layout
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    fn = ir.Function(module, ir.FunctionType(I32, [PTR, PTR, PTR]), name)
    fn.linkage = "private"
    fn.attributes.add("alwaysinline")
    obj, view, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    null = ir.Constant(PTR, None)
    fast = fn.append_basic_block("ndarray")
    other = fn.append_basic_block("other")

    # view->obj = NULL: nothing to release unless the buffer path fills it.
    b.store(null, _at(b, view, VIEW_OBJ))
    api = b.load(api_table(module), typ=PTR)
    tp = _load(b, obj, OB_TYPE, PTR)
    with b.if_then(b.icmp_unsigned("!=", api, null), likely=True):
        ndarray = b.load(b.gep(api, [ir.Constant(I64, API_NDARRAY_TYPE)], source_etype=PTR), typ=PTR)
        with b.if_then(b.icmp_unsigned("==", tp, ndarray), likely=True):
            b.branch(fast)
    b.branch(other)
    b.position_at_end(other)
    b.ret(b.call(_buffer_function(module, t, any_layout), [obj, view, out]))

    # ---- exact numpy.ndarray: read its struct
    b.position_at_end(fast)
    ok = b.icmp_signed("==", _load(b, obj, OFFSET_ND, I32), ir.Constant(I32, t.ndim))
    descr = _load(b, obj, OFFSET_DESCR, PTR)
    typenum = _load(b, descr, DESCR_TYPE_NUM, I32)
    type_ok = ir.Constant(I1, 0)
    for num in numpy_type_numbers(t.dtype):
        type_ok = b.or_(type_ok, b.icmp_signed("==", typenum, ir.Constant(I32, num)))
    order = _load(b, descr, DESCR_BYTEORDER, I8)
    ok = b.and_(ok, b.and_(type_ok, b.icmp_unsigned("!=", order, ir.Constant(I8, FOREIGN_ORDER))))
    flags = _load(b, obj, OFFSET_FLAGS, I32)
    writeable = b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I32, NPY_WRITEABLE)), ir.Constant(I32, 0))
    ok = b.and_(ok, writeable if not t.readonly else b.not_(writeable))
    c = b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I32, NPY_C_CONTIGUOUS)), ir.Constant(I32, 0))
    f = b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I32, NPY_F_CONTIGUOUS)), ir.Constant(I32, 0))
    ok = b.and_(ok, _layout_matches(b, layout, c, f))
    filled = fn.append_basic_block("ndarray.fill")
    mismatch = fn.append_basic_block("mismatch")
    b.cbranch(ok, filled, mismatch)
    b.position_at_end(filled)
    dims_p = _load(b, obj, OFFSET_DIMENSIONS, PTR)
    strides_p = _load(b, obj, OFFSET_STRIDES, PTR)
    _fill(b, t, out, _load(b, obj, OFFSET_DATA, PTR), obj, dims_p, strides_p)
    b.ret(ir.Constant(I32, 1))
    b.position_at_end(mismatch)
    b.ret(ir.Constant(I32, 0))
    return fn


def _buffer_function(module: ir.Module, t: Array, any_layout: bool = False) -> ir.Function:
    """The rest of :func:`unbox_function`'s contract, out of line (``noinline``,
    ``optnone``, ``cold``): any object that is not an exact ndarray of a unit that
    already has NumPy's table — a buffer exporter, an ndarray subclass, or the first
    ndarray a unit sees before it knows NumPy's type (fetched here by name)."""
    name = "ember.unbox.buffer" + helper_name(t, any_layout).removeprefix("ember.unbox")
    layout = "any" if any_layout and t.layout == "A" else t.layout
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    fn = ir.Function(module, ir.FunctionType(I32, [PTR, PTR, PTR]), name)
    fn.linkage = "private"
    for attribute in ("cold", "noinline", "optnone"):
        fn.attributes.add(attribute)
    obj, view, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    null = ir.Constant(PTR, None)
    mismatch = fn.append_basic_block("mismatch")
    with b.if_then(b.icmp_unsigned("==", b.load(api_table(module), typ=PTR), null)):
        _maybe_fetch_numpy(b, module, _load(b, obj, OB_TYPE, PTR))
    getbuffer = capi_function(module, "PyObject_GetBuffer")
    clear = capi_function(module, "PyErr_Clear")
    rc = b.call(getbuffer, [obj, view, ir.Constant(I32, PYBUF_RECORDS_RO)])
    got = fn.append_basic_block("buffer.got")
    no_buffer = fn.append_basic_block("buffer.none")
    b.cbranch(b.icmp_signed("<", rc, ir.Constant(I32, 0)), no_buffer, got)
    b.position_at_end(no_buffer)
    # Not a buffer (or not one we can read): the next entry or the dispatcher decides
    # what to say, so no exception may stay set.
    b.call(clear, [])
    b.store(null, _at(b, view, VIEW_OBJ))
    b.branch(mismatch)

    b.position_at_end(got)
    ok = _view_matches(b, view, t)
    check_layout = fn.append_basic_block("buffer.layout")
    release = fn.append_basic_block("buffer.release")
    b.cbranch(ok, check_layout, release)
    b.position_at_end(check_layout)
    shape_p = _load(b, view, VIEW_SHAPE, PTR)
    strides_p = _load(b, view, VIEW_STRIDES, PTR)
    shape = [b.load(b.gep(shape_p, [ir.Constant(I64, k)], source_etype=I64), typ=I64)
             for k in range(t.ndim)]
    strides = [b.load(b.gep(strides_p, [ir.Constant(I64, k)], source_etype=I64), typ=I64)
               for k in range(t.ndim)]
    c = _contiguous(b, shape, strides, t.dtype.itemsize, reverse=True)
    # A C specialization needs only C-contiguity (unoptimised code keeps dead values).
    f = c if t.layout == "C" else _contiguous(b, shape, strides, t.dtype.itemsize,
                                              reverse=False)
    extents = fn.append_basic_block("buffer.extents")
    b.cbranch(_layout_matches(b, layout, c, f), extents, release)
    # The lowering tells LLVM that extent * itemsize <= PY_SSIZE_T_MAX on every axis
    # (codegen.arrays._assume_dims); NumPy guarantees it, an arbitrary exporter may not:
    # one unsigned compare per axis (a negative extent fails it too).
    b.position_at_end(extents)
    limit = ir.Constant(I64, (2**63 - 1) // t.dtype.itemsize)
    sane: ir.Value = ir.Constant(I1, 1)
    for extent in shape:
        sane = b.and_(sane, b.icmp_unsigned("<=", extent, limit))
    buffer_fill = fn.append_basic_block("buffer.fill")
    too_big = fn.append_basic_block("buffer.too_big")
    b.cbranch(sane, buffer_fill, too_big)
    b.position_at_end(too_big)
    set_error(b, "ValueError", MSG_BAD_EXTENT)
    b.call(release_function(module), [view])
    b.ret(ir.Constant(I32, -1))
    b.position_at_end(buffer_fill)
    _store(b, t, out, _load(b, view, VIEW_BUF, PTR), obj, shape, strides)
    b.ret(ir.Constant(I32, 1))

    b.position_at_end(release)
    b.call(release_function(module), [view])
    b.branch(mismatch)
    b.position_at_end(mismatch)
    b.ret(ir.Constant(I32, 0))
    return fn


def _view_matches(b: ir.IRBuilder, view: ir.Value, t: Array) -> ir.Value:
    """Whether the filled ``Py_buffer`` at ``view`` is ``t`` but for its layout: ndim,
    itemsize, read-only flag, no suboffsets, a format letter of ``t``'s kind."""
    ok = b.icmp_signed("==", _load(b, view, VIEW_NDIM, I32), ir.Constant(I32, t.ndim))
    ok = b.and_(ok, b.icmp_signed("==", _load(b, view, VIEW_ITEMSIZE, I64),
                                  ir.Constant(I64, t.dtype.itemsize)))
    readonly = b.icmp_signed("!=", _load(b, view, VIEW_READONLY, I32), ir.Constant(I32, 0))
    ok = b.and_(ok, readonly if t.readonly else b.not_(readonly))
    ok = b.and_(ok, b.icmp_unsigned("==", _load(b, view, VIEW_SUBOFFSETS, PTR),
                                    ir.Constant(PTR, None)))
    return b.and_(ok, _format_matches(b, _load(b, view, VIEW_FORMAT, PTR), t))


def release_function(module: ir.Module) -> ir.Function:
    """``void @ember.release_view(ptr view)``: PyBuffer_Release if a buffer is held."""
    existing = module.globals.get("ember.release_view")
    if existing is not None:
        return existing
    fn = ir.Function(module, ir.FunctionType(VOID, [PTR]), "ember.release_view")
    fn.linkage = "private"
    fn.attributes.add("alwaysinline")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    held = b.icmp_unsigned("!=", _load(b, fn.args[0], VIEW_OBJ, PTR), ir.Constant(PTR, None))
    with b.if_then(held):
        release = capi_function(module, "PyBuffer_Release")
        b.call(release, [fn.args[0]])
        b.store(ir.Constant(PTR, None), _at(b, fn.args[0], VIEW_OBJ))
    b.ret_void()
    return fn


def box_array(builder: ir.IRBuilder, value: ir.Value, t: Array) -> ir.Value:
    """The Python object of a returned array value (its owner reference handed over):
    the owner itself when the value is all of it (a NumPy array made in compiled code,
    or the argument object when the function returns its argument — as Python would),
    else a NumPy view of the owner's memory that keeps it alive (boundary/box_views.py)."""
    return box_array_value(builder, value, t)


def _fill(b: ir.IRBuilder, t: Array, out: ir.Value, data: ir.Value, owner: ir.Value,
          shape_p: ir.Value, strides_p: ir.Value) -> None:
    shape = [b.load(b.gep(shape_p, [ir.Constant(I64, k)], source_etype=I64), typ=I64)
             for k in range(t.ndim)]
    strides = [b.load(b.gep(strides_p, [ir.Constant(I64, k)], source_etype=I64), typ=I64)
               for k in range(t.ndim)]
    _store(b, t, out, data, owner, shape, strides)


def _store(b: ir.IRBuilder, t: Array, out: ir.Value, data: ir.Value, owner: ir.Value,
           shape: list[ir.Value], strides: list[ir.Value]) -> None:
    """Write the array value ``{data, owner, shape, strides}`` to ``out``."""
    st = struct_type(t.ndim)
    zero = ir.Constant(I32, 0)
    b.store(data, b.gep(out, [zero, zero], source_etype=st))
    b.store(owner, b.gep(out, [zero, ir.Constant(I32, 1)], source_etype=st))
    for field, values in ((2, shape), (3, strides)):
        for k, value in enumerate(values):
            b.store(value, b.gep(out, [zero, ir.Constant(I32, field), ir.Constant(I32, k)],
                                 source_etype=st))


def _layout_matches(b: ir.IRBuilder, layout: str, c: ir.Value, f: ir.Value) -> ir.Value:
    """The typeof rule: C if C-contiguous, else F if Fortran-contiguous, else A
    ("any": every layout, for an 'A' parameter of a declared signature)."""
    if layout == "any":
        return ir.Constant(I1, 1)
    if layout == "C":
        return c
    if layout == "F":
        return b.and_(b.not_(c), f)
    return b.and_(b.not_(c), b.not_(f))


def _contiguous(b: ir.IRBuilder, shape: list[ir.Value], strides: list[ir.Value],
                itemsize: int, *, reverse: bool) -> ir.Value:
    """NumPy's contiguity (length-1 axes ignored, empty arrays contiguous), unrolled."""
    ok: ir.Value = ir.Constant(I1, 1)
    empty: ir.Value = ir.Constant(I1, 0)
    expected: ir.Value = ir.Constant(I64, itemsize)
    axes = range(len(shape) - 1, -1, -1) if reverse else range(len(shape))
    for k in axes:
        one = b.icmp_signed("==", shape[k], ir.Constant(I64, 1))
        empty = b.or_(empty, b.icmp_signed("==", shape[k], ir.Constant(I64, 0)))
        ok = b.and_(ok, b.or_(one, b.icmp_signed("==", strides[k], expected)))
        expected = b.select(one, expected, b.mul(expected, shape[k]))
    return b.or_(ok, empty)


def _format_matches(b: ir.IRBuilder, fmt: ir.Value, t: Array) -> ir.Value:
    """The buffer's format is one letter of ``t``'s kind, after an optional native
    byte-order prefix (NULL means "B"). The itemsize is checked separately."""
    kind = t.dtype.kind
    letters = {"b": BOOL_LETTERS, "i": SIGNED_LETTERS, "u": UNSIGNED_LETTERS}.get(kind)
    if kind == "f":
        letters = "f" if t.dtype.itemsize == 4 else "d"
    null = ir.Constant(PTR, None)
    is_null = b.icmp_unsigned("==", fmt, null)
    # Read through a safe pointer: "B" stands in for a missing format.
    safe = b.select(is_null, cstring(b.module, "B"), fmt)
    if kind == "c":  # PEP 3118's two-letter complex codes, "Zf" and "Zd"
        return _complex_format(b, safe, "Zf" if t.dtype.itemsize == 8 else "Zd")
    assert letters is not None and set(letters) <= set(BOOL_LETTERS + SIGNED_LETTERS
                                                      + UNSIGNED_LETTERS + FLOAT_LETTERS)
    c0 = b.load(safe, typ=I8)
    prefixed: ir.Value = ir.Constant(I1, 0)
    for ch in NATIVE_PREFIX_CHARS:
        prefixed = b.or_(prefixed, b.icmp_unsigned("==", c0, ir.Constant(I8, ord(ch))))
    c1 = b.load(b.gep(safe, [ir.Constant(I64, 1)], source_etype=I8), typ=I8)
    # Only read fmt[2] when fmt[1] is not the terminator.
    c2_ptr = b.gep(safe, [b.select(b.icmp_unsigned("==", c1, ir.Constant(I8, 0)),
                                   ir.Constant(I64, 1), ir.Constant(I64, 2))], source_etype=I8)
    c2 = b.load(c2_ptr, typ=I8)
    letter = b.select(prefixed, c1, c0)
    rest = b.select(prefixed, c2, c1)
    ok = b.icmp_unsigned("==", rest, ir.Constant(I8, 0))
    match: ir.Value = ir.Constant(I1, 0)
    for ch in letters:
        match = b.or_(match, b.icmp_unsigned("==", letter, ir.Constant(I8, ord(ch))))
    return b.and_(ok, match)


def _complex_format(b: ir.IRBuilder, fmt: ir.Value, code: str) -> ir.Value:
    """Whether ``fmt`` is ``code`` after an optional native byte-order prefix."""
    strcmp = extern_function(b.module, "strcmp", I32, [PTR, PTR])
    match: ir.Value = ir.Constant(I1, 0)
    for prefix in ("", *NATIVE_PREFIX_CHARS):
        same = b.call(strcmp, [fmt, cstring(b.module, prefix + code)])
        match = b.or_(match, b.icmp_signed("==", same, ir.Constant(I32, 0)))
    return match


def _maybe_fetch_numpy(b: ir.IRBuilder, module: ir.Module, tp: ir.Value) -> None:
    """If ``tp`` is named "numpy.ndarray", NumPy is loaded: fetch its API table so the
    next call of this unit takes the struct fast path. Failure is harmless (cleared)."""
    strcmp = extern_function(module, "strcmp", I32, [PTR, PTR])
    name = _load(b, tp, TP_NAME, PTR)
    same = b.icmp_signed("==", b.call(strcmp, [name, cstring(module, "numpy.ndarray")]),
                         ir.Constant(I32, 0))
    with b.if_then(same):
        api = b.call(numpy_api(module), [])
        with b.if_then(b.icmp_unsigned("==", api, ir.Constant(PTR, None))):
            b.call(capi_function(module, "PyErr_Clear"), [])


# ------------------------------------------------------ abi.py's entry


def unbox_arg(builder: ir.IRBuilder, obj: ir.Value, t: Array, mismatch: ir.Block,
              views: list[ir.Value], any_layout: bool = False) -> ir.Value:
    """The array value of argument ``obj`` for an entry (abi.unbox's array case), or a
    branch to ``mismatch``. The buffer view it may hold is appended to ``views`` (the
    entry's own list) and released by :func:`release_views`, which the entry calls
    after the call and on the way to ``mismatch``; every view starts empty at the top
    of the entry, so releasing one that was never filled is a no-op."""
    fn = builder.function
    saved = builder.block
    entry = fn.entry_basic_block
    builder.position_before(entry.instructions[0])
    view = builder.alloca(VIEW_TYPE, name="view")
    out = builder.alloca(struct_type(t.ndim), name="arg")
    builder.store(ir.Constant(PTR, None), _at(builder, view, VIEW_OBJ))
    builder.position_at_end(saved)
    views.append(view)
    rc = builder.call(unbox_function(builder.module, t, any_layout), [obj, view, out])
    ok = fn.append_basic_block("unbox.array")
    other = fn.append_basic_block("unbox.array.other")
    failed = fn.append_basic_block("unbox.array.failed")
    builder.cbranch(builder.icmp_signed("==", rc, ir.Constant(I32, 1)), ok, other)
    builder.position_at_end(other)
    builder.cbranch(builder.icmp_signed("<", rc, ir.Constant(I32, 0)), failed, mismatch)
    # An exception is set (a buffer we cannot use safely): release the views held so
    # far (releasing twice or an empty one is a no-op) and raise it from the entry.
    builder.position_at_end(failed)
    release_views(builder, views)
    builder.ret(ir.Constant(PTR, None))
    builder.position_at_end(ok)
    return builder.load(out, typ=struct_type(t.ndim))


def release_views(builder: ir.IRBuilder, views: list[ir.Value]) -> None:
    """Release every buffer view in ``views`` (the entry's: after the call, and before
    forwarding a call it does not take)."""
    if views:
        release = release_function(builder.module)
        for view in views:
            if isinstance(view, tuple):  # (release, slot) of a list: boundary/lists.py
                builder.call(view[0], [view[1]])
                continue
            builder.call(release, [view])
