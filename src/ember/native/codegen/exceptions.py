"""Lowering ``raise``, ``try/except/else/finally`` and ``assert`` (ir/exceptions.py) on
CPython's own protocol: an exception is *set* (``PyErr_SetObject``) and the function
returns -1. Inside a ``try`` every error exit of :class:`~ember.native.codegen.builder.Gen`
(compiled code's own ZeroDivisionError, IndexError, OverflowError, a callee's failure,
a ``raise``) branches to the ``try``'s landing block instead::

    try:                       body ... error exit: store line; br try.landing
        q = a // b             try.landing: clear the overflow flag
    except ZeroDivisionError:      PyErr_ExceptionMatches(ZeroDivisionError)? handler
        q = 0                      : br outer landing (or traceback entry, ret -1)

- The overflow flag is deferred (builder.py): a ``try`` checks it on entry (an overflow
  before the ``try`` is not its handlers') and before every way out of its body (end,
  ``break``, ``continue``, ``return``), so a pending overflow is raised where the
  handlers see it.
- A handler fetches the exception (``PyErr_Fetch`` + normalize, the traceback attached)
  and makes it the one being handled (``PyErr_SetExcInfo``: ``sys.exc_info()``, the
  implicit ``__context__`` of what the handler raises, bare ``raise``); every way out
  of the handler restores the previous one and releases it (a *region*).
- ``finally`` is lowered once per way out (normal end, exception, each
  ``break``/``continue``/``return`` that crosses it): Python's semantics, a ``return``
  in it included, without a state machine. On the exception path the exception is
  held while it runs (and handled, as in CPython) and restored after.
- A *light* handler (its body never names the exception, calls no Python code, has
  no ``try``: ``except E: count += 1``) only holds the exception as fetched, matched by
  type, and drops it: no object is made for compiled code's own errors or for a plain
  builtin class raised lazily (CPython makes it when someone looks). Compiled code's
  own error in the body, when the handler catching it is light, jumps straight in
  (builder.Gen.direct): nothing is set at all. Whatever such a handler raises gets the
  held exception as ``__context__`` on the way out, as CPython chains at the raise.
- Exception classes are looked up by module and name on first use (``getattr(import
  module(m), name)``) and kept in a private global for the process.
- When the exception leaves the function, a traceback entry names the user's file,
  function and the line that raised (``_PyTraceback_Add``, builder.py).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING

from llvmlite import ir

from ember.native.boundary.capi import capi_function, cstring, extern_global, py_decref, py_incref
from ember.native.boundary.llvm import I1, I32, PTR, VOID
from ember.native.codegen import formatting
from ember.native.ir import exceptions as X
from ember.native.ir import nodes as T
from ember.support.record import record

if TYPE_CHECKING:
    from ember.native.codegen.function import FunctionLowerer

_SLOTS = ir.ArrayType(PTR, 4)  # caught value, then the saved exc_info (type, value, tb)
_NULL = ir.Constant(PTR, None)


@record
class Region:
    """Code every way out of a region runs (a handler's release, a ``finally``), with
    the loop depth it started at (a ``break`` crosses only the regions inside its loop)
    and the landing around it (where an exception raised by that code goes)."""

    cleanup: Callable[[], None]
    loop_depth: int
    outer: ir.Block | None


# ------------------------------------------------------------------ statements


def raise_stmt(g: FunctionLowerer, s: X.Raise) -> None:
    b = g.b
    if s.cls is None:
        cause, has = _cause(g, s)
        if s.caught is None:
            b.call(_reraise_active(g), [cause, ir.Constant(I32, int(has))])
        else:
            value = b.load(_caught_value(g, s.caught.depth), typ=PTR)
            b.call(_reraise(g), [value, cause, ir.Constant(I32, int(has))])
        b.branch(g.fail_block())
        return
    raise_new(g, s.cls, s.args, s)


def raise_new(g: FunctionLowerer, cls: X.ExcClass, args: tuple[X.Argument, ...],
              s: X.Raise | None = None) -> None:
    """``raise cls(*args) [from ...]`` at the builder; ends the block."""
    b = g.b
    klass = load_class(g, cls)
    values = formatting.argument_tuple(g, args)
    g.check_null(values)
    cause, has = (_NULL, False) if s is None else _cause(g, s)
    if cls.plain and not has:
        # CPython makes the object when it is needed: at once from 3.12, or when a
        # handler looks at it (never for a light handler) on 3.10 and 3.11.
        b.call(_raise_lazy(g), [klass, values])
    else:
        b.call(_raise(g), [klass, values, cause, ir.Constant(I32, int(has))])
    b.branch(g.fail_block())


def assert_stmt(g: FunctionLowerer, s: X.Assert) -> None:
    ok = g.cond(s.test)
    fail, cont = g.block("assert.fail"), g.block("assert.ok")
    g.b.cbranch(ok, cont, fail).set_weights([1 << 20, 1])
    g.b.position_at_end(fail)
    args = () if s.message is None else (s.message,)
    raise_new(g, X.ExcClass("builtins", "AssertionError", s.span), args)
    g.b.position_at_end(cont)


def try_stmt(g: FunctionLowerer, s: X.Try) -> None:
    g.check_overflow()  # pending before the try: not for its handlers
    if s.finalbody:
        _try_finally(g, s)
    else:
        _try_except(g, s)


def unwind(g: FunctionLowerer, loop: bool) -> bool:
    """Before a ``break``/``continue`` (``loop``) or a ``return``: raise a pending
    overflow inside the regions, then run the cleanup of every region crossed,
    innermost first. False when that code itself left (a ``return`` in ``finally``)."""
    crossed = [r for r in g.regions if not loop or r.loop_depth >= len(g.loops)]  # type: ignore[attr-defined]
    if not crossed:
        return True
    g.check_overflow()
    regions, landing = g.regions, g.landing
    try:
        for r in reversed(crossed):
            g.regions = regions[: regions.index(r)]
            g.landing = r.outer  # type: ignore[attr-defined]
            r.cleanup()  # type: ignore[attr-defined]
            if g.b.block.is_terminated:
                return False
    finally:
        g.regions, g.landing = regions, landing
    return True


# ------------------------------------------------------------------ try


def _try_except(g: FunctionLowerer, s: X.Try) -> None:
    if not s.handlers:
        g.stmts(s.body)
        _end_block(g)
        g.stmts(s.orelse)
        return
    outer = g.landing
    landing = g.landing = g.block("try.landing")
    raw = g.alloca(_SLOTS, name="raised")
    light = [light_handler(h) for h in s.handlers]
    entries = [g.block("except.light") if is_light else None for is_light in light]

    g.direct[landing] = _direct_entries(g, s, raw, entries)
    try:
        g.stmts(s.body)
        _end_block(g)  # still inside: a pending overflow is the body's
    finally:
        g.landing = outer
        del g.direct[landing]
    after = g.block("try.end")
    if not g.b.block.is_terminated:
        g.stmts(s.orelse)
        _end_block(g)
        if not g.b.block.is_terminated:
            g.b.branch(after)
    g.b.position_at_end(landing)
    g.clear_overflow(g.b)
    line = g.raised_line(g.b)
    # Taken as it is (type, value, traceback: not normalized) while the classes are
    # looked up (an import must not run with an exception pending) and matched
    # (PyErr_GivenExceptionMatches on the type: subclasses too).
    g.b.call(_fetch_raw(g), [raw])
    for h, entry in zip(s.handlers, entries, strict=True):
        if h.classes:
            matched: ir.Value = ir.Constant(I1, 0)
            for c in h.classes:
                klass = load_class(g, c)
                kind = g.b.load(_slot(g.b, raw, 0), typ=PTR)
                hit = g.b.call(g.capi.fn("PyErr_GivenExceptionMatches"), [kind, klass])
                matched = g.b.or_(matched, g.b.icmp_signed("!=", hit, ir.Constant(I32, 0)))
            body, nxt = g.block("except"), g.block("except.next")
            g.b.cbranch(matched, body, nxt)
            g.b.position_at_end(body)
        if entry is not None:
            g.b.branch(entry)
            g.b.position_at_end(entry)
            _light_handled(g, raw, lambda h=h: g.stmts(h.body), after)
        else:
            slots = g.alloca(_SLOTS, name="caught")
            g.b.call(_adopt(g), [raw, slots])
            _handled(g, slots, lambda h=h: g.stmts(h.body), after, caught=True)
        if not h.classes:
            break  # a bare except takes everything: later clauses never run
        g.b.position_at_end(nxt)
    if not g.b.block.is_terminated:
        g.b.call(_restore_raw(g), [raw])  # no clause matched: on to the outer landing
        g.exit_raised(g.b, line)
    g.b.position_at_end(after)


def _catches(h: X.Handler, exc: str) -> bool:
    """Whether handler ``h`` catches the builtin exception ``exc`` (by name)."""
    if not h.classes:
        return True
    raised = getattr(builtins, exc)
    return any(c.module == "builtins" and issubclass(raised, getattr(builtins, c.qualname))
               for c in h.classes)


def light_handler(h: X.Handler) -> bool:
    """Whether a handler can run without the exception made an object and handled: its
    body never names it (no ``as`` use, no re-raise), runs no Python code that could
    look at ``sys.exc_info()`` (print, a jit call that might re-raise) and has no
    ``try`` of its own (the ``__context__`` of what it raises is then set on the way
    out, see :func:`_escape`). The common ``except E: count += 1``."""
    for n in T.nodes(h.body):
        if isinstance(n, X.Try | X.Caught | T.CallJit):
            return False
        if isinstance(n, X.Raise) and n.cls is None:
            return False
        if isinstance(n, T.Call) and n.func.startswith("print"):
            return False
    return True


def _light_handled(g: FunctionLowerer, raw: ir.Value, body: Callable[[], None],
                   after: ir.Block) -> None:
    """A :func:`light_handler`'s body, the exception held as fetched: every way out
    drops it; an exception raised in the body gets it as ``__context__``."""
    outer = g.landing
    leaving = g.block("handler.landing")
    lb = ir.IRBuilder(leaving)
    lb.call(_escape(g), [raw])
    g.clear_overflow(lb)
    saved_landing, g.landing = g.landing, outer
    g.exit_raised(lb, g.raised_line(lb))
    g.landing = leaving
    g.regions.append(Region(lambda: g.b.call(_drop(g), [raw]), len(g.loops), outer))
    g.caught.append(raw)  # keeps the depths of Caught in line (none refers to it)
    try:
        body()
        _end_block(g)
    finally:
        g.regions.pop()
        g.caught.pop()
        g.landing = saved_landing
    if not g.b.block.is_terminated:
        g.b.call(_drop(g), [raw])
        g.b.branch(after)


def _direct_entries(g: FunctionLowerer, s: X.Try, raw: ir.Value,
                    entries: list[ir.Block | None]) -> Callable[[str, str], ir.Block | None]:
    """For builder.Gen.direct: compiled code's own ``exc`` raised in the body of ``s``
    goes straight into the light handler that catches it, never set as an exception
    (no message object made, no fetch): ``raw`` gets it as PyErr_SetString leaves it."""
    def direct(exc: str, message: str) -> ir.Block | None:
        # The handler that catches compiled code's own `exc` is known here: the first
        # whose classes include a builtin base of it (a user class cannot be one).
        target = next((i for i, h in enumerate(s.handlers) if _catches(h, exc)), None)
        if target is None or entries[target] is None:
            return None
        stub = g.block(f"catch.{exc}.direct")
        b = ir.IRBuilder(stub)
        # As PyErr_SetString leaves it, unnormalized: (type, message), no traceback.
        kind = g.capi.exc(b, exc)
        py_incref(b, kind)
        text = formatting.str_slot(g.module, message)
        cached = b.load(text, typ=PTR)
        with b.if_then(b.icmp_unsigned("==", cached, _NULL), likely=False):
            b.store(b.call(g.capi.fn("PyUnicode_InternFromString"),
                           [g.capi.cstring(message)]), text)
        value = b.load(text, typ=PTR)
        py_incref(b, value)  # NULL (no memory) is fine: the type alone is an exception
        b.call(_hold(g), [raw, kind, value])
        g.clear_overflow(b)
        b.branch(entries[target])
        return stub

    return direct


def _handled(g: FunctionLowerer, slots: ir.Value, body: Callable[[], None],
             after: ir.Block | None, caught: bool) -> None:
    """At the builder, the exception fetched into ``slots``: make it the one being
    handled while ``body`` runs (a region: each way out restores the previous one and
    releases it), then branch to ``after`` (None: leave the builder at the end of the
    body, the exception still held: the caller resumes it)."""
    g.b.call(_handle(g), [slots])
    outer = g.landing
    leaving = g.block("handler.landing")
    lb = ir.IRBuilder(leaving)
    lb.call(_leave(g), [slots])
    g.clear_overflow(lb)
    saved_landing, g.landing = g.landing, outer
    g.exit_raised(lb, g.raised_line(lb))
    g.landing = leaving
    region = Region(lambda: g.b.call(_leave(g), [slots]), len(g.loops), outer)
    g.regions.append(region)
    if caught:
        g.caught.append(slots)
    try:
        body()
        _end_block(g)
    finally:
        g.regions.pop()
        if caught:
            g.caught.pop()
        g.landing = saved_landing
    if after is not None and not g.b.block.is_terminated:
        g.b.call(_leave(g), [slots])
        g.b.branch(after)


def _try_finally(g: FunctionLowerer, s: X.Try) -> None:
    outer = g.landing
    landing = g.block("finally.landing")

    def final_copy() -> None:
        g.stmts(s.finalbody)
        _end_block(g)

    g.regions.append(Region(final_copy, len(g.loops), outer))
    g.landing = landing
    try:
        _try_except(g, X.Try(s.body, s.handlers, s.orelse, (), s.span))
        _end_block(g)
    finally:
        g.regions.pop()
        g.landing = outer
    after = g.block("finally.end")
    if not g.b.block.is_terminated:
        final_copy()
        if not g.b.block.is_terminated:
            g.b.branch(after)
    # The exception path: run the finally with the exception held, then raise it again.
    g.b.position_at_end(landing)
    g.clear_overflow(g.b)
    line = g.raised_line(g.b)
    slots = g.alloca(_SLOTS, name="pending")
    g.b.call(_fetch(g), [slots])
    _handled(g, slots, lambda: g.stmts(s.finalbody), None, caught=False)
    if not g.b.block.is_terminated:
        g.b.call(_resume(g), [slots])
        g.exit_raised(g.b, line)
    g.b.position_at_end(after)


def _end_block(g: FunctionLowerer) -> None:
    """The end of a protected block: a pending overflow raises here (still inside)."""
    if not g.b.block.is_terminated:
        g.check_overflow()


def _caught_value(g: FunctionLowerer, depth: int) -> ir.Value:
    slots = g.caught[depth]
    return g.b.gep(slots, [ir.Constant(I32, 0), ir.Constant(I32, 0)], inbounds=True,
                   source_etype=_SLOTS)


def _cause(g: FunctionLowerer, s: X.Raise) -> tuple[ir.Value, bool]:
    """A new reference to ``s``'s cause (NULL: none, or ``from None``)."""
    if not s.has_cause or s.cause is None:
        return _NULL, s.has_cause
    if isinstance(s.cause, X.Caught):
        value = g.b.load(_caught_value(g, s.cause.depth), typ=PTR)
        py_incref(g.b, value)
        return value, True
    inst = g.b.call(g.capi.fn("PyObject_CallObject"), [load_class(g, s.cause), _NULL])
    g.check_null(inst)
    return inst, True


# ------------------------------------------------------------------ classes


# `ember aot` and `ember explain` run a source file as "_ember_explain_<stem>"
# (insight/explain.py): its classes say so, but the extension `ember aot` writes is
# imported as <stem>, so that is where they are at run time.
LOADER_PREFIX = "_ember_explain_"


def runtime_module(cls: X.ExcClass) -> str:
    """The module to import for ``cls`` when compiled code runs."""
    return cls.module.removeprefix(LOADER_PREFIX)


def load_class(g: FunctionLowerer, cls: X.ExcClass) -> ir.Value:
    """A borrowed reference to the class (looked up once per process, then kept)."""
    name = f"ember.exc_class.{cls.module}.{cls.qualname}"
    slot = g.module.globals.get(name)
    if slot is None:
        slot = ir.GlobalVariable(g.module, PTR, name)
        slot.linkage = "private"
        slot.initializer = _NULL
    b = g.b
    cached = b.load(slot, typ=PTR)
    before = b.block
    look, have = g.block("class.lookup"), g.block("class.have")
    b.cbranch(b.icmp_unsigned("==", cached, _NULL), look, have).set_weights([1, 1 << 20])
    b.position_at_end(look)
    module = b.call(g.capi.fn("PyImport_ImportModule"), [g.capi.cstring(runtime_module(cls))])
    g.check_null(module)
    obj = module
    for part in cls.qualname.split("."):
        attr = b.call(g.capi.fn("PyObject_GetAttrString"), [obj, g.capi.cstring(part)])
        py_decref(b, obj)
        g.check_null(attr)
        obj = attr
    b.store(obj, slot)  # the reference is the global's: the class lives on
    found = b.block
    b.branch(have)
    b.position_at_end(have)
    phi = b.phi(PTR)
    phi.add_incoming(cached, before)
    phi.add_incoming(obj, found)
    return phi


# ------------------------------------------------------------------ helpers
#
# Private functions, one per module, on the C API only. They are not cold: in a
# validation loop raising and catching is the common path.


def _helper(g: FunctionLowerer, name: str, params: list[ir.Type]) -> tuple[ir.Function, ir.IRBuilder | None]:
    existing = g.module.globals.get(name)
    if existing is not None:
        return existing, None  # type: ignore[return-value]
    fn = ir.Function(g.module, ir.FunctionType(VOID, params), name)
    fn.linkage = "private"
    fn.attributes.add("noinline")
    fn.attributes.add("nounwind")
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def _call(b: ir.IRBuilder, name: str, *args: ir.Value) -> ir.Value:
    return b.call(capi_function(b.module, name), list(args))


def _set_cause(b: ir.IRBuilder, inst: ir.Value, cause: ir.Value, has: ir.Value) -> None:
    with b.if_then(b.icmp_signed("!=", has, ir.Constant(I32, 0))):
        _call(b, "PyException_SetCause", inst, cause)  # steals; NULL is `from None`


def _raise(g: FunctionLowerer) -> ir.Function:
    """``void (cls, args, cause, has_cause)``: set ``cls(*args)`` (steals args, cause)."""
    fn, b = _helper(g, "ember.exc.raise", [PTR, PTR, PTR, I32])
    if b is None:
        return fn
    cls, args, cause, has = fn.args
    inst = _call(b, "PyObject_Call", cls, args, _NULL)
    py_decref(b, args)
    with b.if_then(b.icmp_unsigned("==", inst, _NULL), likely=False):
        py_decref(b, cause)  # the constructor raised: that is the exception
        b.ret_void()
    _set_cause(b, inst, cause, has)
    kind = _call(b, "PyObject_Type", inst)
    _call(b, "PyErr_SetObject", kind, inst)  # chains the handled one as __context__
    py_decref(b, kind)
    py_decref(b, inst)
    b.ret_void()
    return fn


def _raise_lazy(g: FunctionLowerer) -> ir.Function:
    """``void (cls, args)``: ``PyErr_SetObject(cls, args)``, args a tuple (stolen)."""
    fn, b = _helper(g, "ember.exc.raise_lazy", [PTR, PTR])
    if b is None:
        return fn
    cls, args = fn.args
    _call(b, "PyErr_SetObject", cls, args)
    py_decref(b, args)
    b.ret_void()
    return fn


def _reraise(g: FunctionLowerer) -> ir.Function:
    """``void (value, cause, has_cause)``: raise ``value`` again (``raise e``)."""
    fn, b = _helper(g, "ember.exc.reraise", [PTR, PTR, I32])
    if b is None:
        return fn
    value, cause, has = fn.args
    _set_cause(b, value, cause, has)
    py_incref(b, value)
    _call(b, "PyErr_Restore", _call(b, "PyObject_Type", value), value,
          _call(b, "PyException_GetTraceback", value))
    b.ret_void()
    return fn


def _reraise_active(g: FunctionLowerer) -> ir.Function:
    """``void (cause, has_cause)``: bare ``raise``: the exception being handled
    (``sys.exc_info()``), or RuntimeError as CPython raises when there is none."""
    fn, b = _helper(g, "ember.exc.reraise_active", [PTR, I32])
    if b is None:
        return fn
    cause, has = fn.args
    kind, value, tb = (b.alloca(PTR) for _ in range(3))
    _call(b, "PyErr_GetExcInfo", kind, value, tb)
    v = b.load(value, typ=PTR)
    none = extern_global(b.module, "_Py_NoneStruct")
    empty = b.or_(b.icmp_unsigned("==", v, _NULL), b.icmp_unsigned("==", v, none))
    with b.if_then(empty, likely=False):
        for slot in (kind, value, tb):
            py_decref(b, b.load(slot, typ=PTR))
        py_decref(b, cause)
        error = b.load(extern_global(b.module, "PyExc_RuntimeError"), typ=PTR)
        _call(b, "PyErr_SetString", error, cstring(b.module, "No active exception to reraise"))
        b.ret_void()
    _set_cause(b, v, cause, has)
    _call(b, "PyErr_Restore", b.load(kind, typ=PTR), v, b.load(tb, typ=PTR))
    b.ret_void()
    return fn


def _slot(b: ir.IRBuilder, slots: ir.Value, i: int) -> ir.Value:
    return b.gep(slots, [ir.Constant(I32, 0), ir.Constant(I32, i)], inbounds=True,
                 source_etype=_SLOTS)


def _fetch_raw(g: FunctionLowerer) -> ir.Function:
    """``void (raw)``: take the exception set as it is: type, value, traceback."""
    fn, b = _helper(g, "ember.exc.fetch_raw", [PTR])
    if b is None:
        return fn
    (raw,) = fn.args
    _call(b, "PyErr_Fetch", _slot(b, raw, 0), _slot(b, raw, 1), _slot(b, raw, 2))
    b.ret_void()
    return fn


def _hold(g: FunctionLowerer) -> ir.Function:
    """``void (raw, type, value)``: hold an exception never set (steals both)."""
    fn, b = _helper(g, "ember.exc.hold", [PTR, PTR, PTR])
    if b is None:
        return fn
    raw, kind, value = fn.args
    for i, v in enumerate((kind, value, _NULL)):
        b.store(v, _slot(b, raw, i))
    b.ret_void()
    return fn


def _restore_raw(g: FunctionLowerer) -> ir.Function:
    """``void (raw)``: set the fetched exception again (steals it)."""
    fn, b = _helper(g, "ember.exc.restore_raw", [PTR])
    if b is None:
        return fn
    (raw,) = fn.args
    _call(b, "PyErr_Restore", *(b.load(_slot(b, raw, i), typ=PTR) for i in range(3)))
    b.ret_void()
    return fn


def _drop(g: FunctionLowerer) -> ir.Function:
    """``void (raw)``: release the fetched exception (a light handler is done)."""
    fn, b = _helper(g, "ember.exc.drop", [PTR])
    if b is None:
        return fn
    (raw,) = fn.args
    for i in range(3):
        py_decref(b, b.load(_slot(b, raw, i), typ=PTR))
    b.ret_void()
    return fn


def _normalize(b: ir.IRBuilder, triple: list[ir.Value]) -> ir.Value:
    """Normalize a fetched (type, value, tb) in place, attach tb; return the value."""
    _call(b, "PyErr_NormalizeException", *triple)
    v, t = b.load(triple[1], typ=PTR), b.load(triple[2], typ=PTR)
    with b.if_then(b.icmp_unsigned("!=", t, _NULL)):
        _call(b, "PyException_SetTraceback", v, t)
    return v


def _adopt(g: FunctionLowerer) -> ir.Function:
    """``void (raw, slots)``: the fetched exception as an object in slot 0 of
    ``slots`` (a full handler's), its type and traceback released."""
    fn, b = _helper(g, "ember.exc.adopt", [PTR, PTR])
    if b is None:
        return fn
    raw, slots = fn.args
    triple = [_slot(b, raw, i) for i in range(3)]
    v = _normalize(b, triple)
    py_decref(b, b.load(triple[0], typ=PTR))
    py_decref(b, b.load(triple[2], typ=PTR))
    b.store(v, _slot(b, slots, 0))
    b.ret_void()
    return fn


def _escape(g: FunctionLowerer) -> ir.Function:
    """``void (raw)``: an exception leaves a light handler: the one it handled (held
    in ``raw``) becomes its ``__context__``, as CPython sets it at the raise."""
    fn, b = _helper(g, "ember.exc.escape", [PTR])
    if b is None:
        return fn
    (raw,) = fn.args
    # The new one is taken first: normalizing may call a constructor, which must not
    # run with an exception pending.
    new = [b.alloca(PTR) for _ in range(3)]
    _call(b, "PyErr_Fetch", *new)
    old = _normalize(b, [_slot(b, raw, i) for i in range(3)])
    # One caught straight from compiled code's check (never set) is chained now to
    # the exception being handled, as setting it would have done.
    with b.if_then(b.icmp_unsigned("!=", old, _NULL)):
        context = _call(b, "PyException_GetContext", old)
        with b.if_then(b.icmp_unsigned("==", context, _NULL)):
            info = [b.alloca(PTR) for _ in range(3)]
            _call(b, "PyErr_GetExcInfo", *info)
            handled = b.load(info[1], typ=PTR)
            none = extern_global(b.module, "_Py_NoneStruct")
            usable = b.and_(b.icmp_unsigned("!=", handled, _NULL),
                            b.icmp_unsigned("!=", handled, none))
            with b.if_then(b.and_(usable, b.icmp_unsigned("!=", handled, old))):
                py_incref(b, handled)
                _call(b, "PyException_SetContext", old, handled)  # steals
            for slot in info:
                py_decref(b, b.load(slot, typ=PTR))
        py_decref(b, context)
    value = _normalize(b, new)
    both = b.and_(b.icmp_unsigned("!=", value, old), b.icmp_unsigned("!=", value, _NULL))
    with b.if_then(b.and_(both, b.icmp_unsigned("!=", old, _NULL))):
        py_incref(b, old)
        _call(b, "PyException_SetContext", value, old)  # steals
    _call(b, "PyErr_Restore", *(b.load(s, typ=PTR) for s in new))
    for i in range(3):
        py_decref(b, b.load(_slot(b, raw, i), typ=PTR))
    b.ret_void()
    return fn


def _fetch(g: FunctionLowerer) -> ir.Function:
    """``void (slots)``: take the exception set (normalized, its traceback attached)
    into slot 0; none is set afterwards."""
    fn, b = _helper(g, "ember.exc.fetch", [PTR])
    if b is None:
        return fn
    (slots,) = fn.args
    kind, value, tb = (b.alloca(PTR) for _ in range(3))
    _call(b, "PyErr_Fetch", kind, value, tb)
    _call(b, "PyErr_NormalizeException", kind, value, tb)
    v, t = b.load(value, typ=PTR), b.load(tb, typ=PTR)
    with b.if_then(b.icmp_unsigned("!=", t, _NULL)):
        _call(b, "PyException_SetTraceback", v, t)
    py_decref(b, t)
    py_decref(b, b.load(kind, typ=PTR))
    b.store(v, _slot(b, slots, 0))
    b.ret_void()
    return fn


def _handle(g: FunctionLowerer) -> ir.Function:
    """``void (slots)``: save the exception being handled in slots 1-3 and handle the
    one in slot 0 (``sys.exc_info()``, the ``__context__`` of what is raised next)."""
    fn, b = _helper(g, "ember.exc.handle", [PTR])
    if b is None:
        return fn
    (slots,) = fn.args
    v = b.load(_slot(b, slots, 0), typ=PTR)
    _call(b, "PyErr_GetExcInfo", _slot(b, slots, 1), _slot(b, slots, 2), _slot(b, slots, 3))
    py_incref(b, v)
    _call(b, "PyErr_SetExcInfo", _call(b, "PyObject_Type", v), v,
          _call(b, "PyException_GetTraceback", v))  # steals all three
    b.ret_void()
    return fn


def _restore(g: FunctionLowerer) -> ir.Function:
    """``void (slots)``: set the exception held in slot 0 again (no clause matched)."""
    fn, b = _helper(g, "ember.exc.restore", [PTR])
    if b is None:
        return fn
    (slots,) = fn.args
    _set_held(b, slots)
    b.ret_void()
    return fn


def _set_held(b: ir.IRBuilder, slots: ir.Value) -> None:
    v = b.load(_slot(b, slots, 0), typ=PTR)
    _call(b, "PyErr_Restore", _call(b, "PyObject_Type", v), v,
          _call(b, "PyException_GetTraceback", v))  # steals the held reference


def _restore_info(b: ir.IRBuilder, slots: ir.Value) -> None:
    saved = [b.load(_slot(b, slots, i), typ=PTR) for i in (1, 2, 3)]
    _call(b, "PyErr_SetExcInfo", *saved)  # steals the saved references


def _leave(g: FunctionLowerer) -> ir.Function:
    """``void (slots)``: the handler is done: handle the previous exception again and
    release the caught one."""
    fn, b = _helper(g, "ember.exc.leave", [PTR])
    if b is None:
        return fn
    (slots,) = fn.args
    _restore_info(b, slots)
    py_decref(b, b.load(_slot(b, slots, 0), typ=PTR))
    b.ret_void()
    return fn


def _resume(g: FunctionLowerer) -> ir.Function:
    """``void (slots)``: a ``finally`` run for an exception is done: raise it again."""
    fn, b = _helper(g, "ember.exc.resume", [PTR])
    if b is None:
        return fn
    (slots,) = fn.args
    _restore_info(b, slots)
    _set_held(b, slots)
    b.ret_void()
    return fn

