"""The function builder every construct lowers through: one LLVM function under
construction, its error exits (a cold block per exception, CPython's pending-error
protocol), the deferred integer-overflow flag, guards, intrinsics and small helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from llvmlite import ir

from ember.native.boundary.capi import CApi
from ember.native.boundary.llvm import F64, I1, I32, I64, PTR, value_type
from ember.native.codegen.traceback import add_entry as add_traceback_entry
from ember.native.messages import OVERFLOW
from ember.native.options import Options
from ember.native.types import Bool, Complex128, Float64, Int64, NoneType, NpScalar, Tuple, Type

# The one weighting of every failure branch (raise, overflow, out of bounds, a failed
# call): taken about once in a million, so LLVM lays it out of the hot path.
UNLIKELY = [1, 1 << 20]  # (taken, not taken)
LIKELY = [1 << 20, 1]


def cold_branch(builder: ir.IRBuilder, bad: ir.Value, target: ir.Block) -> None:
    """Branch to ``target`` when ``bad`` (a failure), weighted :data:`UNLIKELY`; the
    builder continues in a new block where ``bad`` is false."""
    cont = builder.append_basic_block("ok")
    builder.cbranch(bad, target, cont).set_weights(UNLIKELY)
    builder.position_at_end(cont)


class Gen:
    """Code generation inside one LLVM function: the builder, allocas in the entry
    block, the cold error exits (set an exception, return -1) and the sticky
    overflow flag."""

    #: Deferred ("sticky") int64 overflow checks; False checks every operation at once
    #: (kept for comparisons and benchmarks: the results are the same).
    defer_overflow = True

    def __init__(self, module: ir.Module, capi: CApi, fn: ir.Function, options: Options) -> None:
        self.module = module
        self.capi = capi
        self.fn = fn
        self.options = options
        # Allocas live in their own first block (appended to by ``_ab`` only), which
        # :meth:`finish` links to the code; mem2reg promotes them even inside loops.
        self.entry = fn.append_basic_block("entry")
        self._ab = ir.IRBuilder(self.entry)
        self.b = ir.IRBuilder(fn.append_basic_block("start"))
        self._err_blocks: dict[tuple[object, ...], ir.Block] = {}
        self._fail_blocks: dict[tuple[object, ...], ir.Block] = {}
        # Exceptions (codegen/exceptions.py): the innermost ``try``'s landing block (an
        # exception raised here goes there instead of returning -1), the source line
        # being lowered (each exit records it: the traceback entry names it), the
        # (function name, file) of that entry (None: a helper, no entry of its own), the
        # regions whose cleanup a break/continue/return runs, and the caught exceptions.
        self.landing: ir.Block | None = None
        self.line = 0
        self.traceback: tuple[str, str] | None = None
        self.regions: list[object] = []
        self.caught: list[ir.Value] = []
        self._err_line: ir.Value | None = None
        # landing → (exception name, message) → a block entering the handler that
        # catches it, without making the exception (codegen/exceptions.py), or None.
        self.direct: dict[ir.Block, Callable[[str, str], ir.Block | None]] = {}
        self.fmflags: tuple[str, ...] = ("fast",) if options.fastmath else ()
        # The sticky overflow flag (see the module docstring): always made, since a
        # check point may be lowered before the overflow that reaches it through a loop;
        # where nothing sets it, mem2reg turns it into a constant and the checks fold.
        self._overflow = self._ab.alloca(I1, name="overflow")
        self._ab.store(ir.Constant(I1, 0), self._overflow)
        # While an ``if`` arm is computed speculatively (loops.if_select),
        # the i1 under which it really runs: its errors and overflows count only then.
        self.predicate: ir.Value | None = None
        # With it, when the arm runs exactly if a local is odd (True) or even: (name, odd).
        self.parity: tuple[str, bool] | None = None
        # Internal functions (callees, helpers) hand a pending overflow to their caller
        # (return 1) instead of raising; the root, called from Python, raises.
        self.pending_return = fn.linkage == "internal" and self.defer_overflow
        # Accumulators in flight (loops.for_range): (slot, value at loop entry);
        # while one is, its overflow is ``slot <s entry`` and joins every flag test.
        self.accumulators: list[tuple[ir.Value, ir.Value]] = []
        self._acc_blocks: dict[tuple[object, ...], ir.Block] = {}
        # Range proofs in force (codegen/versioning.py, analysis/ranges.py): ids of the
        # int operations that cannot overflow and of the array accesses in bounds here,
        # the intervals known at this point for nested loops, the versioned loops around.
        self.safe_ops: frozenset[int] = frozenset()
        self.safe_index: frozenset[int] = frozenset()
        self.range_env: dict[str, tuple[int, int]] = {}
        self.version_depth = 0

    # ----------------------------------------------------------- helpers

    def block(self, name: str) -> ir.Block:
        return self.fn.append_basic_block(name)

    def alloca(self, ty: ir.Type, name: str = "") -> ir.Value:
        """An alloca in the entry block (so mem2reg promotes it, even in loops)."""
        # At the block's real end: a boundary helper may have put an alloca at its start
        # (boundary/llvm.entry_alloca), which leaves this builder's place stale.
        self._ab.position_at_end(self.entry)
        return self._ab.alloca(ty, name=name)

    def finish(self) -> None:
        """Close the alloca block: jump to the code."""
        self._ab.position_at_end(self.entry)
        self._ab.branch(self.fn.blocks[1])

    def const(self, t: Type, value: object) -> ir.Constant:
        return ir.Constant(value_type(t), value)

    def i64(self, v: int) -> ir.Constant:
        return ir.Constant(I64, v)

    def f64(self, v: float) -> ir.Constant:
        return ir.Constant(F64, v)

    def fold_accumulators(self, b: ir.IRBuilder, accs: Sequence[tuple[ir.Value, ir.Value]]) -> None:
        """Fold the in-flight accumulators' overflow into the flag (at ``b``)."""
        bad = b.load(self._overflow, typ=I1)
        for slot, entry in accs:
            bad = b.or_(bad, b.icmp_signed("<", b.load(slot, typ=I64), entry))
        b.store(bad, self._overflow)

    def _pending(self) -> ir.Value:
        """The flag, with the accumulators in flight."""
        b = self.b
        pending = b.load(self._overflow, typ=I1)
        for slot, entry in self.accumulators:
            pending = b.or_(pending, b.icmp_signed("<", b.load(slot, typ=I64), entry))
        return pending

    def fail_block(self) -> ir.Block:
        """Leave with the exception already set (by a callee or helper). A pending
        overflow replaces it with OverflowError: the wrapped value caused it."""
        if self.accumulators:
            key = ("propagate", self.landing, self.line, *self.accumulators)
            blk = self._acc_blocks.get(key)
            if blk is None:
                blk = self._acc_blocks[key] = self.block("propagate.acc")
                b = ir.IRBuilder(blk)
                self.fold_accumulators(b, self.accumulators)
                saved, self.accumulators = self.accumulators, []
                b.branch(self.fail_block())
                self.accumulators = saved
            return blk
        key = (self.landing, self.line)
        blk = self._fail_blocks.get(key)
        if blk is None and self.landing is None and self.traceback is not None:
            # Leaving the function: one call does the overflow test and the traceback
            # entry (a block per line, so it is kept small: LLVM's time grows with it).
            blk = self._fail_blocks[key] = self.block("propagate")
            b = ir.IRBuilder(blk)
            pending = b.load(self._overflow, typ=I1)
            add_traceback_entry(b, *self.traceback, ir.Constant(I32, self.line), pending)
            self.ret_status(b, ir.Constant(I32, -1))
        if blk is None:
            blk = self._fail_blocks[key] = self.block("propagate")
            b = ir.IRBuilder(blk)
            replace, done = self.block("propagate.overflow"), self.block("propagate.ret")
            b.cbranch(b.load(self._overflow, typ=I1), replace, done)
            b.position_at_end(replace)
            # set_error(OverflowError) clears the pending exception first
            self.capi.set_error(b, "OverflowError", OVERFLOW)
            b.branch(done)
            b.position_at_end(done)
            self.exit_raised(b)
        return blk

    def exit_raised(self, b: ir.IRBuilder, line: ir.Value | None = None) -> None:
        """At ``b``, an exception set: go to the innermost ``try``'s landing, or add this
        function's traceback entry (at ``line``, default the current line) and return
        -1. The line travels to the landing in a slot, for when it leaves after all."""
        where = ir.Constant(I32, self.line) if line is None else line
        if self.landing is not None:
            b.store(where, self.raised_line_slot())
            b.branch(self.landing)
            return
        if self.traceback is not None:
            add_traceback_entry(b, *self.traceback, where)
        self.ret_status(b, ir.Constant(I32, -1))

    def clear_overflow(self, b: ir.IRBuilder) -> None:
        """Forget a pending overflow (at a landing: it became the exception caught)."""
        b.store(ir.Constant(I1, 0), self._overflow)

    def raised_line_slot(self) -> ir.Value:
        if self._err_line is None:
            self._err_line = self.alloca(I32, name="err.line")
        return self._err_line

    def raised_line(self, b: ir.IRBuilder) -> ir.Value:
        """The line an exception that reached a landing was raised at."""
        return b.load(self.raised_line_slot(), typ=I32)

    def error_block(self, exc: str, message: str) -> ir.Block:
        """Raise ``exc(message)``, or OverflowError when an overflow is pending."""
        key = (exc, message, self.landing, self.line)
        if self.accumulators and exc != "OverflowError":
            acc_key = (exc, message, self.landing, self.line, *self.accumulators)
            blk = self._acc_blocks.get(acc_key)
            if blk is None:
                blk = self._acc_blocks[acc_key] = self.block(f"raise.{exc}")
                b = ir.IRBuilder(blk)
                self.capi.set_error(b, exc, message)
                b.branch(self.fail_block())
            return blk
        blk = self._err_blocks.get(key)
        if blk is None:
            blk = self.block(f"raise.{exc}")
            b = ir.IRBuilder(blk)
            self.capi.set_error(b, exc, message)
            if exc == "OverflowError":
                self.exit_raised(b)
            else:
                b.branch(self.fail_block())
            self._err_blocks[key] = blk
            blk = self._direct(exc, message, blk)
            self._err_blocks[key] = blk
        return blk

    def _direct(self, exc: str, message: str, raising: ir.Block) -> ir.Block:
        """``raising``, or, when the innermost ``try`` has a handler that catches
        ``exc`` and never looks at it, a block going straight into that handler (a
        pending overflow still raises first: it came first)."""
        resolve = self.direct.get(self.landing) if self.landing is not None else None
        stub = resolve(exc, message) if resolve is not None else None
        if stub is None:
            return raising
        if exc == "OverflowError":
            return stub
        test = self.block(f"catch.{exc}")
        b = ir.IRBuilder(test)
        b.cbranch(b.load(self._overflow, typ=I1), raising, stub)
        return test

    def cold_branch(self, bad: ir.Value, target: ir.Block) -> None:
        """:func:`cold_branch` at this function's builder (no predicate applied)."""
        cold_branch(self.b, bad, target)

    def guard(self, bad: ir.Value, exc: str, message: str) -> None:
        """Raise ``exc(message)`` when ``bad`` (an i1) is true; continue otherwise."""
        if self.predicate is not None:
            bad = self.b.and_(self.predicate, bad)
        self.cold_branch(bad, self.error_block(exc, message))

    def overflow(self, bad: ir.Value) -> None:
        """Record a possible int64 overflow (an i1): the wrapped result flows on, and
        the next check point raises OverflowError (see the module docstring)."""
        if not self.defer_overflow:
            self.guard(bad, "OverflowError", OVERFLOW)
            return
        b = self.b
        if self.predicate is not None:
            bad = b.and_(self.predicate, bad)
        b.store(b.or_(b.load(self._overflow, typ=I1), bad), self._overflow)

    def check_overflow(self, cleanup: Callable[[], None] | None = None) -> None:
        """A check point: raise OverflowError now if an overflow is pending. ``cleanup``
        (release temporaries) runs on the raising path only."""
        if not self.defer_overflow:
            return
        pending = self._pending()
        target = self.error_block("OverflowError", OVERFLOW)
        if cleanup is not None:
            blk = self.block("overflow.cleanup")
            self.cold_branch(pending, blk)
            cont = self.b.block
            self.b.position_at_end(blk)
            cleanup()
            self.b.branch(target)
            self.b.position_at_end(cont)
            return
        self.cold_branch(pending, target)

    def check_rc(self, rc: ir.Value) -> None:
        """Propagate a failure (-1) returned by a specialization or a helper; take over
        its pending overflow (1) as our own."""
        if self.defer_overflow:
            self.overflow(self.b.icmp_signed("==", rc, ir.Constant(I32, 1)))
            bad = self.b.icmp_signed("<", rc, ir.Constant(I32, 0))
        else:
            bad = self.b.icmp_signed("!=", rc, ir.Constant(I32, 0))
        self.cold_branch(bad, self.fail_block())

    def ret_ok(self) -> None:
        """Return success: 0, or 1 from an internal function with an overflow pending
        (the caller takes it over); the root raises it here, a check point."""
        if self.pending_return:
            self.ret_status(self.b, self.b.zext(self._pending(), I32))
            return
        self.check_overflow()
        self.ret_status(self.b, ir.Constant(I32, 0))

    def ret_status(self, b: ir.IRBuilder, status: ir.Value) -> None:
        """Return ``status`` (0 done, 1 overflow pending, -1 raised) at ``b``; the
        result, if any, is already stored."""
        b.ret(status)

    def call_helper(self, helper: ir.Function, out_ty: ir.Type, args: Sequence[ir.Value]) -> ir.Value:
        """Call an ``i32 (ptr out, ...)`` helper, propagate its failure, load the result."""
        out = self.alloca(out_ty)
        self.check_rc(self.b.call(helper, [out, *args]))
        return self.b.load(out, typ=out_ty)

    def intrinsic(self, name: str, ret: ir.Type, params: Sequence[ir.Type]) -> ir.Function:
        return self.capi.declare(name, ret, tuple(params))

    def fcall(self, name: str, *args: ir.Value) -> ir.Value:
        """A libm/intrinsic double function by name (``llvm.floor.f64``, ``tgamma``)."""
        fn = self.intrinsic(name, F64, [F64] * len(args))
        # nobuiltin on libm declarations: LLVM would rewrite pow(x, 2.0) as x*x,
        # pow(2.0, x) as exp2(x)..., which can differ in the last bit from the libm call
        # CPython makes. (llvmlite accepts it on the function, not at the call site.)
        if not name.startswith("llvm.") and "nobuiltin" not in fn.attributes:
            fn.attributes.add("nobuiltin")
        return self.b.call(fn, list(args))

    def isnan(self, x: ir.Value) -> ir.Value:
        return self.b.fcmp_unordered("uno", x, x)

    def isinf(self, x: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered("==", self.fcall("llvm.fabs.f64", x), self.f64(float("inf")))

    def isfinite(self, x: ir.Value) -> ir.Value:
        return self.b.fcmp_ordered("<", self.fcall("llvm.fabs.f64", x), self.f64(float("inf")))

    def truth(self, v: ir.Value, t: Type) -> ir.Value:
        if isinstance(t, Bool):
            return v
        if isinstance(t, Int64):
            return self.b.icmp_signed("!=", v, self.i64(0))
        if isinstance(t, Float64):
            return self.b.fcmp_unordered("!=", v, self.f64(0.0))  # bool(nan) is True
        if isinstance(t, NoneType):
            return ir.Constant(I1, 0)
        if isinstance(t, Tuple):
            return ir.Constant(I1, int(len(t.items) > 0))
        if isinstance(t, NpScalar):  # a storage value: != 0 (NaN is true)
            zero = ir.Constant(v.type, 0.0 if t.dtype.kind == "f" else 0)
            if t.dtype.kind == "f":
                return self.b.fcmp_unordered("!=", v, zero)
            return self.b.icmp_unsigned("!=", v, zero)
        if isinstance(t, Complex128):  # z.real != 0 or z.imag != 0 (NaN is true)
            zero = self.f64(0.0)
            return self.b.or_(self.b.fcmp_unordered("!=", self.b.extract_value(v, 0), zero),
                              self.b.fcmp_unordered("!=", self.b.extract_value(v, 1), zero))
        raise NotImplementedError(f"truth of {t}")

    def check_null(self, obj: ir.Value) -> None:
        """Propagate a NULL returned by the C API (its exception is set)."""
        self.cold_branch(self.b.icmp_unsigned("==", obj, ir.Constant(PTR, None)), self.fail_block())

    def if_(self, cond: ir.Value, then: Callable[[], None]) -> None:
        """Run ``then``'s code when ``cond``; both paths meet after it."""
        t = self.block("then")
        end = self.block("endif")
        self.b.cbranch(cond, t, end)
        self.b.position_at_end(t)
        then()
        if not self.b.block.is_terminated:
            self.b.branch(end)
        self.b.position_at_end(end)


def helper_function(
    module: ir.Module,
    capi: CApi,
    options: Options,
    name: str,
    out_ty: ir.Type,
    params: Sequence[ir.Type],
    body: Callable[[Gen, list[ir.Value]], ir.Value],
) -> ir.Function:
    """An internal ``i32 @name(ptr out, params...)`` built once per module: ``body``
    returns the value to store (or raises through ``gen.guard``)."""
    key = name + (".fast" if options.fastmath else "")
    existing = module.globals.get(key)
    if existing is not None:
        return existing  # type: ignore[return-value]
    fn = ir.Function(module, ir.FunctionType(I32, [PTR, *params]), key)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    g = Gen(module, capi, fn, options)
    value = body(g, list(fn.args[1:]))
    g.b.store(value, fn.args[0])
    g.ret_ok()
    g.finish()
    return fn
