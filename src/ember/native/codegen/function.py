"""Lowering: typed IR (:mod:`ember.native.ir.nodes`) → LLVM IR text, with CPython's
semantics and exceptions. llvmlite.ir only; nothing here runs code.

    def f(a, b):            define i32 @_ember_f_...(ptr %result, i64 %a, i64 %b) {
        return a + b          %r = call {i64, i1} @llvm.sadd.with.overflow.i64(%a, %b)
                              %flag = or i1 false, %overflow        ; sticky, see below
                              br %flag, label %raise.OverflowError, label %ok  ; cold
                              store i64 %sum, ptr %result ; ret i32 0

A unit is one module: the root has external linkage and returns 0, or -1 with a Python
exception set; its callees are private copies (free to inline) and :mod:`ember.native.boundary.abi`
adds the CPython entry. Error checks branch to cold blocks with branch weights (the
raising code is in cold, never-inlined helpers), so LLVM still optimises the hot path;
floats stay IEEE-exact unless ``Options(fastmath=True)``.

Deferred ("sticky") int64 overflow. An int operation that can leave int64 (+ - * //
<< unary -, abs) computes the wrapped result and ORs its overflow bit into a per-function
flag (an alloca that mem2reg turns into SSA values) instead of branching. The flag is
tested, raising OverflowError, only at *check points*, where a wrong value could become
observable or change control flow for good:

- before a call of another jit function, unless the callee is *check-free* (no loop,
  call, print, array or Python object: :func:`ember.native.codegen.builtins.check_free`),
  which can only compute;
- before print() and any call into CPython (``round(x, n)``, ``math.gamma``, ...);
- before an array element store and an array allocation (a wrapped value is never
  stored, no size is wrapped);
- at return: the root raises; an internal function returns 1 instead of 0 and its
  caller takes the pending overflow over as its own (one flag across inlined calls);
- at the latch of a ``while`` loop (a wrapped value must not make it run forever;
  silent counters excepted, below) and before a ``for`` loop computes its trip count
  from its range;
- before raising any other exception: every error exit tests the flag and raises
  OverflowError instead (``100 // x`` of a wrapped ``x == 0`` is an OverflowError, as
  the overflow came first), so the exception type is always the one immediate checks
  give, only raised a little later.

The wrapped values in between are ordinary defined values (no ``nsw``, no poison), so
they may steer an ``if`` or index an array (bounds checks still apply; with
``boundscheck=False`` a wrapped index is as unchecked as any bad index). An overflow in
a value never used afterwards still raises at the next check point; CPython, whose ints
are unbounded, would not raise at all: this is the documented int64 difference, not a
new one. ``Gen.defer_overflow = False`` restores immediate checks (same results).

Counters judged at loop exits. Two kinds of int local add with a plain ``add``; each
is judged by one compare, ``c <s entry`` (below its value at loop entry), which joins
every flag test inside the loop (check points, error exits: ``Gen.accumulators``) and the
flag at the loop's exits (its end and ``break``; a ``return`` is a check point):

- a *bounded accumulator* of a ``for`` loop (:func:`loop_facts.bounded_accumulators`):
  its only assignment in the loop is one ``c += e``, run at most once per iteration
  (at the top level or in an ``if``, not in a nested loop), with ``0 <= e <= B`` and
  ``e`` not reading ``c``; the loop takes this copy only when its trip count is below
  ``2**63 / (B + 1)`` (a checked copy runs otherwise). The sum added is then below
  ``2**63``: ``c`` wrapped at most once, and did iff it ends below ``entry``.
- a *silent counter* of a ``while`` loop (:func:`loop_facts.silent_counters`): the same
  kind of ``c += e`` but with ``e`` in ``[0, 1]`` (``1``, ``True``, a bool), and ``c``
  read nowhere else in the loop (not in its test, not in any other statement). Its
  verdict is left out of the latch check: nothing in the loop reads ``c``, so its
  wrapped value cannot steer the loop, which runs exactly as with the exact value.
  ``c`` grows by at most one per iteration, so the verdict is exact for any run of
  fewer than ``2**64`` iterations. No run reaches that: iterating takes over 500 years
  at one per nanosecond, and where LLVM skips the iterating (a closed form for a loop's
  exit value) it counts the loop's iterations in an i64, so below ``2**64`` too.

The verdict, not the time a long run would take, is what makes this sound: LLVM does
compute closed forms (the inner loop of ``for i in range(n): for j in range(n): c += 1``
becomes ``c += n``, so ``n = 2**32`` ends in a second): a ``c += 1`` with no verdict
could silently wrap where CPython would still be counting.

Where things are: the flag and error machinery (:class:`Gen`) is in
:mod:`ember.native.codegen.builder`; this module holds the unit (:func:`lower_module`),
statements and plain expressions (:class:`FunctionLowerer`), and the one dispatcher
(:data:`STATEMENTS`, :data:`EXPRESSIONS`: node class → rule, scalar and array IR alike).
``if``/``while``/``for`` with if-conversion, bounded accumulators and silent counters
are in :mod:`ember.native.codegen.loops`; calls between jit functions (a scalar result
comes back in registers), and the recursion guard (RecursionError instead of a C stack
overflow) in :mod:`ember.native.codegen.calls`; operators, and ``k*x + c`` checked once
exactly (with the parity of ``x`` folded in under ``if x % 2``), in
:mod:`ember.native.codegen.operators`;
builtins and ``math`` in :mod:`ember.native.codegen.builtins`; arrays in
:mod:`ember.native.codegen.arrays`; which locals need an "assigned yet" flag (for
UnboundLocalError) in :mod:`ember.native.analysis.unbound`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from llvmlite import ir

from ember.diagnostics import Span
from ember.native.analysis import loops as loop_facts
from ember.native.analysis.effects import check_free as is_check_free
from ember.native.analysis.numpy_scalars import numpy_safe
from ember.native.analysis.recursion import recursive_calls
from ember.native.analysis.unbound import maybe_unbound
from ember.native.boundary import abi, nogil
from ember.native.boundary.capi import CApi
from ember.native.boundary.llvm import F64, I1, I8, I32, I64, spec_type, value_type
from ember.native.codegen import array_funcs as lower_array_funcs
from ember.native.codegen import arrays as lower_arrays
from ember.native.codegen import axis_reductions as lower_reductions
from ember.native.codegen import builtins as lower_math
from ember.native.codegen import calls as lower_calls
from ember.native.codegen import complex as lower_complex
from ember.native.codegen import creation as lower_creation
from ember.native.codegen import elementwise as lower_elementwise
from ember.native.codegen import exceptions as lower_exc
from ember.native.codegen import fancy as lower_fancy
from ember.native.codegen import fancy_funcs as lower_fancy_funcs
from ember.native.codegen import fft as lower_fft
from ember.native.codegen import lapack_decomp as lower_lapack
from ember.native.codegen import lists as lower_lists
from ember.native.codegen import loops as lower_loops
from ember.native.codegen import matmul_stacked as lower_matmul
from ember.native.codegen import np_scalars as lower_np
from ember.native.codegen import operators as lower_ops
from ember.native.codegen import parallel as lower_parallel
from ember.native.codegen import random as lower_random
from ember.native.codegen import slice_assign as lower_slice_assign
from ember.native.codegen import stats as lower_stats
from ember.native.codegen import versioning as lower_versioning
from ember.native.codegen import views as lower_views
from ember.native.codegen.arrays import ArrayState, holds_arrays
from ember.native.codegen.builder import Gen
from ember.native.codegen.calls import root_wrapper, value_function, value_wrapper
from ember.native.codegen.debuginfo import DebugLines
from ember.native.ir import array_funcs as AF
from ember.native.ir import arrays as A
from ember.native.ir import creation as N
from ember.native.ir import elementwise as W
from ember.native.ir import exceptions as X
from ember.native.ir import fancy as F
from ember.native.ir import fft as FT
from ember.native.ir import linalg as LA
from ember.native.ir import lists as L
from ember.native.ir import nodes as T
from ember.native.ir import parallel as P
from ember.native.ir import reductions as R
from ember.native.ir import views as V
from ember.native.options import Options
from ember.native.types import (
    Bool,
    Complex128,
    Float64,
    Function,
    Int64,
    NoneType,
    NpScalar,
    Tuple,
    Type,
)

# ---------------------------------------------------------------- the unit


def lower_unit(unit: T.CompileUnit, options: Options, debug_lines: bool = False) -> str:
    """LLVM IR text of a whole unit: every specialization, plus the root's entry.

    >>> from ember.native.frontend.statements import infer_unit
    >>> from ember.native.types import INT64
    >>> def f(a, b):
    ...     return a + b
    >>> text = lower_unit(infer_unit(f, (INT64, INT64), Options()), Options())
    >>> 'define i32 @"_ember_f_' in text
    True
    """
    return str(lower_module(unit, options, debug_lines))


def lower_module(unit: T.CompileUnit, options: Options, debug_lines: bool = False,
                 own_pool: bool = False) -> ir.Module:
    """The unit's LLVM module; ``debug_lines`` attaches each statement's source line
    (for ``ember explain``: codegen/debuginfo.py); ``own_pool`` gives parallel loops a
    thread pool inside the module, for code that runs without ember (AOT)."""
    module = ir.Module(name=unit.root.symbol)
    debug = DebugLines(module, unit.root.span.path) if debug_lines else None
    capi = CApi(module)
    recursive = recursive_calls(unit)
    members = {sym for sym, callees in recursive.items() if callees} | {
        c for callees in recursive.values() for c in callees
    }
    fns: dict[str, ir.Function] = {}
    for f in unit.functions:
        ty = spec_type(f.arg_types)
        if f.symbol in members:
            # A function that can recurse takes its recursion depth and its thread's
            # stack limit as last, extra parameters (see codegen/calls.py); the root keeps
            # the contract's signature by wrapping it (lower_calls.root_wrapper).
            ty = ir.FunctionType(I32, [*ty.args, I64, I64])
        name = f.symbol + (".rec" if f.symbol in members and f is unit.root else "")
        fn = ir.Function(module, ty, name)
        fn.attributes.add("nounwind")
        if f.symbol != unit.root.symbol or f.symbol in members:
            fn.linkage = "internal"
        else:
            # Kept out of the CPython entry: inlining it there would compile every loop
            # twice (codegen time), for a saving of one direct call.
            fn.attributes.add("noinline")
        fns[f.symbol] = fn
    check_free = {f.symbol for f in unit.functions if is_check_free(f.body)}
    chunks: list[tuple[ir.Function, Span]] = []
    for f in unit.functions:
        lowerer = FunctionLowerer(module, capi, fns, f, options, check_free, members)
        if debug is not None:
            lowerer.debug = (debug, debug.subprogram(lowerer.fn, f.qualname, f.span.line))
        lowerer.recursive = recursive[f.symbol]
        lowerer.own_pool = own_pool
        if f is unit.root:
            lowerer.pending_return = False  # the root raises, even wrapped
        lowerer.lower()
        chunks.extend(lowerer.parallel_chunks)
    if chunks:
        lower_parallel.make_gil_safe(module, chunks)  # worker threads run without the GIL
    root = unit.root
    root_fn = fns[root.symbol]
    if root.symbol in members:
        root_fn = root_wrapper(module, capi, root_fn, root)
    if options.nogil:  # before the entry exists: only the body's calls take the GIL back
        nogil.hold_gil_for_python_calls(root_fn)
    abi.add_entry(module, capi, root_fn, root.symbol, root.name, root.arg_types, root.return_type,
                  unit.call, numpy_safe(root), options.nogil, options.any_layout)
    return module


class FunctionLowerer(Gen):
    """Lowers the body of one :class:`TypedFunction` into its declared LLVM function."""

    #: explain's line table and this function's subprogram (None: no debug info)
    debug: tuple[DebugLines, ir.DIValue] | None = None

    def __init__(
        self,
        module: ir.Module,
        capi: CApi,
        fns: dict[str, ir.Function],
        func: T.TypedFunction,
        options: Options,
        check_free: frozenset[str] | set[str] = frozenset(),
        members: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        # A recursive function's scalar result comes back in registers: its body goes
        # into a twin returning {status, value}, and the declared function (out-pointer)
        # wraps the twin (lower_calls.value_function).
        self.declared = fns[func.symbol]
        self.twin = value_function(module, fns, func.symbol, func.return_type, members)
        super().__init__(module, capi, self.declared if self.twin is None else self.twin, options)
        # Where a return stores its value: the out-pointer, or the twin's own slot.
        self.out: ir.Value = (
            self.fn.args[0] if self.twin is None
            else self.alloca(value_type(func.return_type), name="result")
        )
        self.fns = fns
        self.check_free = check_free
        self.func = func
        self.locals: dict[str, tuple[ir.Value, Type, ir.Value | None]] = {}
        self.loops: list[tuple[ir.Block, ir.Block]] = []  # (break target, continue target)
        self.plain_adds: set[str] = set()  # bounded accumulators of the loops around
        # Recursion guard (codegen/calls.py): the callees in this function's strongly
        # connected component, and every function taking a depth parameter.
        self.recursive: frozenset[str] = frozenset()
        self.members = members
        # What the array lowering tracks in this function (temporaries, owned locals).
        self.arrays = ArrayState(self)
        self.traceback = (func.name, func.span.path)  # its entry in a traceback
        # The chunk functions of this function's parallel loops (codegen/parallel.py),
        # with the loop's span: lower_module makes what they reach GIL-safe.
        self.parallel_chunks: list[tuple[ir.Function, Span]] = []
        self.own_pool = False  # parallel loops use a pool in this module (AOT)

    def lower(self) -> None:
        f = self.func
        unbound = maybe_unbound(f)
        for name, t in f.locals:
            slot = self.alloca(value_type(t), name=name)
            flag = None
            if name in unbound:
                # Python raises UnboundLocalError on a read before any assignment.
                flag = self.alloca(I1, name=f"{name}.set")
                self.b.store(ir.Constant(I1, 0), flag)
            self.locals[name] = (slot, t, flag)
        first = 1 if self.twin is None else 0  # after the out-pointer
        for p, arg in zip(f.params, self.fn.args[first : first + len(f.params)], strict=True):
            if p.name not in self.locals:
                self.locals[p.name] = (self.alloca(value_type(p.type), name=p.name), p.type, None)
            self.b.store(arg, self.locals[p.name][0])
        lower_arrays.begin_function(self)  # reference counts of array locals, if any
        self.stmts(f.body)
        if not self.b.block.is_terminated:
            if isinstance(f.return_type, NoneType):
                self.ret_ok()
            else:
                self.capi.set_error(self.b, "SystemError", f"ember: {f.name} ended without return")
                self.ret_status(self.b, ir.Constant(I32, -1))
        lower_arrays.end_function(self)  # release owned arrays before every ret
        self.finish()
        if self.twin is not None:
            value_wrapper(self.declared, self.twin)

    def ret_status(self, b: ir.IRBuilder, status: ir.Value) -> None:
        if self.twin is None:
            b.ret(status)
            return
        pair = b.insert_value(ir.Constant(self.twin.return_value.type, ir.Undefined), status, 0)
        b.ret(b.insert_value(pair, b.load(self.out, typ=value_type(self.func.return_type)), 1))

    # -------------------------------------------------------- statements

    def stmts(self, body: Sequence[T.Stmt]) -> None:
        for s in body:
            if self.b.block.is_terminated:
                # Code after return/break/continue: lowered into an unreachable block
                # that LLVM deletes, so every statement still gets checked.
                self.b.position_at_end(self.block("dead"))
            self.stmt(s)

    def stmt(self, s: T.Stmt | A.SetItem | A.AugSetItem) -> None:
        rule = STATEMENTS.get(type(s))
        if rule is None:  # not a typed-IR node (the IR is closed: test_dispatch)
            raise NotImplementedError(type(s).__name__)
        self.line = s.span.line  # the traceback line of what raises here
        if self.debug is not None:
            self.b.debug_metadata = self.debug[0].location(self.debug[1], s.span)
        rule(self, s)

    def assign_stmt(self, s: T.Assign) -> None:
        if holds_arrays(s.value.type):
            lower_arrays.assign(self, s.target, s.value)  # takes and drops references
            return
        plain = self.plain_add(s)
        self.assign(s.target, self.expr(s.value) if plain is None else plain)

    def expr_stmt(self, s: T.ExprStmt) -> None:
        if holds_arrays(s.value.type):
            lower_arrays.discard(self, s.value)  # releases the value's references
            return
        self.expr(s.value)

    def return_stmt(self, s: T.Return) -> None:
        if holds_arrays(s.value.type):
            v = lower_arrays.returned(self, s.value)  # a new reference for the caller
        else:
            v = self.expr(s.value)
        if not isinstance(s.value.type, NoneType):
            self.b.store(v, self.out)
        if lower_exc.unwind(self, loop=False):  # finally blocks, handlers: exceptions.py
            self.ret_ok()

    def break_stmt(self, s: T.Break) -> None:
        if lower_exc.unwind(self, loop=True):
            self.b.branch(self.loops[-1][0])

    def continue_stmt(self, s: T.Continue) -> None:
        if lower_exc.unwind(self, loop=True):
            self.b.branch(self.loops[-1][1])

    def pass_stmt(self, s: T.Pass) -> None:
        pass

    def plain_add(self, s: T.Assign) -> ir.Value | None:
        """A bounded accumulator's or silent counter's ``c += e`` (codegen/loops.py), added
        without a check: its overflow is judged from its value at the loop's exits."""
        if s.target not in self.plain_adds or not isinstance(s.value, T.BinOp):
            return None
        left, right = self.expr(s.value.left), self.expr(s.value.right)
        return self.b.add(left, right)

    def assign(self, name: str, value: ir.Value) -> None:
        slot, _t, flag = self.locals[name]
        self.b.store(value, slot)
        if flag is not None:
            self.b.store(ir.Constant(I1, 1), flag)

    def if_stmt(self, s: T.If) -> None:
        lower_loops.if_stmt(self, s)

    def while_stmt(self, s: T.While) -> None:
        lower_loops.while_stmt(self, s)

    def for_range(self, s: T.ForRange) -> None:
        lower_loops.for_range(self, s)

    # ------------------------------------------------------- expressions

    def cond(self, e: T.Expr) -> ir.Value:
        v = self.expr(e)
        return v if isinstance(e.type, Bool) else self.truth(v, e.type)

    def expr(self, e: lower_arrays.Expr) -> ir.Value:
        rule = EXPRESSIONS.get(type(e))
        if rule is None:  # not a typed-IR node (the IR is closed: test_dispatch)
            raise NotImplementedError(f"lowering of {type(e).__name__}")
        return rule(self, e)

    def e_Const(self, e: T.Const) -> ir.Value:
        t = e.type
        if isinstance(t, NoneType):
            return ir.Constant(I8, 0)
        if isinstance(t, Bool):
            return ir.Constant(I1, int(bool(e.value)))
        if isinstance(t, Int64):
            return self.i64(int(e.value))  # type: ignore[arg-type]
        if isinstance(t, Float64):
            return self.f64(float(e.value))  # type: ignore[arg-type]
        if isinstance(t, Complex128):
            return lower_complex.constant(complex(e.value))  # type: ignore[arg-type]
        if isinstance(t, Tuple) and isinstance(e.value, tuple):
            items = [
                self.e_Const(T.Const(v, it, e.span))
                for v, it in zip(e.value, t.items, strict=True)
            ]
            return self.make_struct(t, items)
        raise NotImplementedError(f"a constant of type {t} outside print()")

    def e_Name(self, e: T.Name) -> ir.Value:
        slot, t, flag = self.locals[e.name]
        if flag is not None:
            unset = self.b.icmp_unsigned("==", self.b.load(flag, typ=I1), ir.Constant(I1, 0))
            self.guard(
                unset,
                "UnboundLocalError",
                f"cannot access local variable '{e.name}' where it is not associated with a value",
            )
        return self.b.load(slot, typ=value_type(t))

    def e_Cast(self, e: T.Cast) -> ir.Value:
        return self.convert(self.expr(e.value), e.value.type, e.type)

    def convert(self, v: ir.Value, src: Type, dst: Type) -> ir.Value:
        """bool → int64 → float64 widening (item-wise for tuples); exact as Python's."""
        if src == dst:
            return v
        if isinstance(src, NpScalar) or isinstance(dst, NpScalar):  # NumPy's casts
            return lower_np.convert(self, v, src, dst)
        b = self.b
        if isinstance(dst, Complex128):
            return lower_complex.convert(self, v, src)  # complex(x): (float(x), 0.0)
        if isinstance(src, Bool) and isinstance(dst, Int64):
            return b.zext(v, I64)
        if isinstance(src, Bool) and isinstance(dst, Float64):
            return b.uitofp(v, F64)
        if isinstance(src, Int64) and isinstance(dst, Float64):
            return b.sitofp(v, F64)  # round-to-nearest-even, as float(int)
        if isinstance(src, Tuple) and isinstance(dst, Tuple):
            items = [
                self.convert(b.extract_value(v, i), s, d)
                for i, (s, d) in enumerate(zip(src.items, dst.items, strict=True))
            ]
            return self.make_struct(dst, items)
        raise NotImplementedError(f"cast {src} -> {dst}")

    def make_struct(self, t: Tuple | Function, items: Sequence[ir.Value]) -> ir.Value:
        agg: ir.Value = ir.Constant(value_type(t), ir.Undefined)
        for i, item in enumerate(items):
            agg = self.b.insert_value(agg, item, i)
        return agg

    def e_Truth(self, e: T.Truth) -> ir.Value:
        return self.truth(self.expr(e.value), e.value.type)

    def e_BinOp(self, e: T.BinOp) -> ir.Value:
        if isinstance(e.type, NpScalar):  # NumPy's scalar arithmetic
            return lower_np.binop(self, e)
        if id(e) in self.safe_ops:  # proven not to overflow (analysis/ranges.py)
            return lower_versioning.proven_binop(self, e.op, self.expr(e.left), self.expr(e.right))
        form = loop_facts.affine_form(e)
        if form is not None:
            x, k, c0 = form
            parity = None
            if self.parity is not None and isinstance(x, T.Name) and x.name == self.parity[0]:
                parity = self.parity[1]
            return lower_ops.affine(self, self.expr(x), k, c0, parity)
        a, c = self.expr(e.left), self.expr(e.right)
        if isinstance(e.left.type, Complex128):
            return lower_complex.binop(self, e.op, a, c)  # CPython's complex arithmetic
        return lower_ops.binop(self, e.op, a, c, e.left.type, e.type)

    def e_UnaryOp(self, e: T.UnaryOp) -> ir.Value:
        if isinstance(e.type, NpScalar):
            return lower_np.unaryop(self, e)
        if isinstance(e.value.type, Complex128) and e.op != "not":
            return lower_complex.unaryop(self, e.op, self.expr(e.value))
        if id(e) in self.safe_ops:  # -x with x > INT64_MIN proven
            return self.b.sub(self.i64(0), self.expr(e.value), flags=["nsw"])
        return lower_ops.unaryop(self, e.op, self.expr(e.value), e.value.type, e.type)

    def e_Compare(self, e: T.Compare) -> ir.Value:
        end = self.block("cmp.end")
        incoming: list[tuple[ir.Value, ir.Block]] = []
        left = self.expr(e.operands[0])
        lt = e.operands[0].type
        for i, op in enumerate(e.ops):
            right_e = e.operands[i + 1]
            right = self.expr(right_e)
            cmp = lower_complex.compare if Complex128() in (lt, right_e.type) else lower_ops.compare
            r = cmp(self, op, left, lt, right, right_e.type)
            if i == len(e.ops) - 1:
                incoming.append((r, self.b.block))
                self.b.branch(end)
            else:
                nxt = self.block("cmp.next")
                incoming.append((ir.Constant(I1, 0), self.b.block))
                self.b.cbranch(r, nxt, end)
                self.b.position_at_end(nxt)
            left, lt = right, right_e.type
        self.b.position_at_end(end)
        if len(incoming) == 1:
            return incoming[0][0]
        phi = self.b.phi(I1)
        for v, blk in incoming:
            phi.add_incoming(v, blk)
        return phi

    def e_BoolOp(self, e: T.BoolOp) -> ir.Value:
        end = self.block("boolop.end")
        ty = value_type(e.type)
        incoming: list[tuple[ir.Value, ir.Block]] = []
        for i, item in enumerate(e.values):
            v = self.expr(item)
            if i == len(e.values) - 1:
                incoming.append((v, self.b.block))
                self.b.branch(end)
                break
            t = self.truth(v, item.type)
            nxt = self.block("boolop.next")
            incoming.append((v, self.b.block))
            if e.op == "and":
                self.b.cbranch(t, nxt, end)  # a false operand decides
            else:
                self.b.cbranch(t, end, nxt)  # a true operand decides
            self.b.position_at_end(nxt)
        self.b.position_at_end(end)
        phi = self.b.phi(ty)
        for v, blk in incoming:
            phi.add_incoming(v, blk)
        return phi

    def e_IfExp(self, e: T.IfExp) -> ir.Value:
        cond = self.cond(e.test)
        then, orelse, end = self.block("ifexp.then"), self.block("ifexp.else"), self.block("ifexp.end")
        self.b.cbranch(cond, then, orelse)
        self.b.position_at_end(then)
        tv = self.expr(e.body)
        tb = self.b.block
        self.b.branch(end)
        self.b.position_at_end(orelse)
        ev = self.expr(e.orelse)
        eb = self.b.block
        self.b.branch(end)
        self.b.position_at_end(end)
        phi = self.b.phi(value_type(e.type))
        phi.add_incoming(tv, tb)
        phi.add_incoming(ev, eb)
        return phi

    def e_Call(self, e: T.Call) -> ir.Value:
        if e.func.startswith(("complex", "cmath.")):
            return lower_complex.call(self, e)  # complex(), z.real, abs(z), cmath.*
        if e.func.startswith(("random.", "np.random.")):
            return lower_random.call(self, e)  # MT19937 draws: codegen/random.py
        return lower_math.call(self, e)

    def e_CallJit(self, e: T.CallJit) -> ir.Value:
        return lower_calls.call_jit(self, e)

    def e_MakeTuple(self, e: T.MakeTuple) -> ir.Value:
        assert isinstance(e.type, Tuple | Function)  # a function value: its captures
        return self.make_struct(e.type, [self.expr(i) for i in e.items])

    def e_TupleGet(self, e: T.TupleGet) -> ir.Value:
        return self.b.extract_value(self.expr(e.value), e.index)


# ------------------------------------------------------------ the dispatcher
#
# The one place that knows which code lowers which node: node class → rule, for the
# scalar IR (methods above, and the construct modules) and the array IR
# (codegen/arrays.py). The IR's records are final classes, so the exact class is the key.

STATEMENTS: dict[type, Callable[[FunctionLowerer, Any], None]] = {
    T.Assign: FunctionLowerer.assign_stmt,
    T.ExprStmt: FunctionLowerer.expr_stmt,
    T.If: FunctionLowerer.if_stmt,
    T.While: FunctionLowerer.while_stmt,
    T.ForRange: FunctionLowerer.for_range,
    T.Break: FunctionLowerer.break_stmt,
    T.Continue: FunctionLowerer.continue_stmt,
    T.Return: FunctionLowerer.return_stmt,
    T.Pass: FunctionLowerer.pass_stmt,
    A.SetItem: lower_arrays.set_item,
    A.AugSetItem: lower_arrays.aug_set_item,
    V.SliceAssign: lower_slice_assign.slice_assign,
    F.FancySet: lower_fancy.fancy_set,
    W.ArrayStore: lower_elementwise.array_store,
    L.ListSet: lower_lists.list_set,
    L.ListDel: lower_lists.list_del,
    X.Raise: lower_exc.raise_stmt,
    X.Try: lower_exc.try_stmt,
    X.Assert: lower_exc.assert_stmt,
    P.ParallelFor: lower_parallel.parallel_for,
}

EXPRESSIONS: dict[type, Callable[[FunctionLowerer, Any], ir.Value]] = {
    T.Const: FunctionLowerer.e_Const,
    T.Name: FunctionLowerer.e_Name,
    T.Cast: FunctionLowerer.e_Cast,
    T.Truth: FunctionLowerer.e_Truth,
    T.BinOp: FunctionLowerer.e_BinOp,
    T.UnaryOp: FunctionLowerer.e_UnaryOp,
    T.Compare: FunctionLowerer.e_Compare,
    T.BoolOp: FunctionLowerer.e_BoolOp,
    T.IfExp: FunctionLowerer.e_IfExp,
    T.Call: FunctionLowerer.e_Call,
    T.CallJit: FunctionLowerer.e_CallJit,
    T.MakeTuple: FunctionLowerer.e_MakeTuple,
    T.TupleGet: FunctionLowerer.e_TupleGet,
    A.Element: lower_arrays.element,
    A.Index: lower_arrays.index,
    A.ArrayDim: lower_arrays.dim,
    A.ArrayAttr: lower_arrays.attr,
    A.ArrayNew: lower_arrays.new_array,
    A.ArrayCopy: lower_arrays.copy,
    A.ArrayRange: lower_arrays.arange,
    A.ArrayReduce: lower_arrays.reduce,
    V.ArrayView: lower_views.view,
    V.ArrayPermute: lower_views.permute,
    V.ArrayPart: lower_views.part,
    V.ArrayReshape: lower_views.reshape,
    R.AxisReduce: lower_reductions.reduce_axes,
    R.AxisAccumulate: lower_reductions.accumulate,
    R.AxisStat: lower_stats.lower_stat,
    F.FancyGet: lower_fancy.fancy_get,
    F.FancyCall: lower_fancy_funcs.fancy_call,
    W.ArrayEval: lower_elementwise.array_eval,
    N.DTypeConst: lower_creation.dtype_const,
    N.ArrayLiteral: lower_creation.literal,
    N.ArrayCast: lower_creation.cast,
    N.ArrayFillWith: lower_creation.fill_with,
    N.ArrayLinspace: lower_creation.linspace,
    N.ArrayEye: lower_creation.eye,
    N.ArrayTri: lower_creation.tri,
    N.ArrayDiag: lower_creation.diag,
    N.ArrayJoin: lower_creation.join,
    N.ArrayStrides: lower_creation.strides,
    LA.MatMul: lower_matmul.product,
    LA.LinAlg: lower_lapack.linalg,
    FT.FFT: lower_fft.fft,
    L.ListNew: lower_lists.list_new,
    L.ListRepeat: lower_lists.list_repeat,
    L.ListGet: lower_lists.list_get,
    L.ListLen: lower_lists.list_len,
    L.ListCall: lower_lists.list_call,
    L.ListBuild: lower_lists.list_build,
    AF.Fail: lower_array_funcs.fail,
}
