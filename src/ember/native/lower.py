"""Lowering: typed IR (:mod:`ember.native.typed_ir`) → LLVM IR text, with CPython's
semantics and exceptions. llvmlite.ir only; nothing here runs code.

    def f(a, b):            define i32 @_ember_f_...(ptr %result, i64 %a, i64 %b) {
        return a + b          %r = call {i64, i1} @llvm.sadd.with.overflow.i64(%a, %b)
                              br %overflow, label %raise.OverflowError, label %ok  ; cold
                              store i64 %sum, ptr %result ; ret i32 0

Every specialization returns 0, or -1 with a Python exception set. A unit is one module:
the root has external linkage, its callees are private copies (free to inline), and
:mod:`ember.native.abi` adds the CPython entry. Error checks branch to cold blocks with
branch weights, so LLVM still optimises the hot path; floats stay IEEE-exact unless
``Options(fastmath=True)``. Builtins and ``math`` calls live in
:mod:`ember.native.lower_math`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from llvmlite import ir

from ember.native import abi
from ember.native import typed_ir as T
from ember.native.abi import F64, I1, I8, I32, I64, PTR, CApi, value_type
from ember.native.options import Options
from ember.native.types import (
    Bool,
    Float64,
    Int64,
    NoneType,
    Tuple,
    Type,
)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
OVERFLOW = "integer overflow: result does not fit in 64 bits"


def _message(expr: str) -> str:
    """The running Python's own message for an error (texts differ across versions)."""
    try:
        eval(expr, {})
    except Exception as exc:  # noqa: BLE001 - we want whatever CPython says
        return str(exc)
    raise AssertionError(f"{expr} did not raise")  # pragma: no cover


MSG_INT_DIV0 = _message("(lambda a, b: a // b)(1, 0)")
MSG_INT_MOD0 = _message("(lambda a, b: a % b)(1, 0)")
MSG_INT_TRUEDIV0 = _message("(lambda a, b: a / b)(1, 0)")
MSG_FLOAT_DIV0 = _message("(lambda a, b: a / b)(1.0, 0.0)")
MSG_FLOAT_FLOORDIV0 = _message("(lambda a, b: a // b)(1.0, 0.0)")
MSG_FLOAT_MOD0 = _message("(lambda a, b: a % b)(1.0, 0.0)")
MSG_ZERO_NEG_POW = _message("(lambda a, b: a ** b)(0.0, -1.0)")
MSG_NEG_SHIFT = _message("(lambda a, b: a << b)(1, -1)")
MSG_RANGE_STEP0 = _message("range(0, 1, 0)")
MSG_COMPLEX_POW = (
    "negative number raised to a fractional power: CPython would return a complex "
    "number, which ember does not support"
)
MSG_POW_OVERFLOW = "float ** overflowed: result out of range"


class Gen:
    """Code generation inside one LLVM function: the builder, allocas in the entry
    block, and the cold error exits (set an exception, return -1)."""

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
        self._err_blocks: dict[tuple[str, str], ir.Block] = {}
        self._fail: ir.Block | None = None
        self.fmflags: tuple[str, ...] = ("fast",) if options.fastmath else ()

    # ----------------------------------------------------------- helpers

    def block(self, name: str) -> ir.Block:
        return self.fn.append_basic_block(name)

    def alloca(self, ty: ir.Type, name: str = "") -> ir.Value:
        """An alloca in the entry block (so mem2reg promotes it, even in loops)."""
        return self._ab.alloca(ty, name=name)

    def finish(self) -> None:
        """Close the alloca block: jump to the code."""
        self._ab.branch(self.fn.blocks[1])

    def const(self, t: Type, value: object) -> ir.Constant:
        return ir.Constant(value_type(t), value)

    def i64(self, v: int) -> ir.Constant:
        return ir.Constant(I64, v)

    def f64(self, v: float) -> ir.Constant:
        return ir.Constant(F64, v)

    def fail_block(self) -> ir.Block:
        """Return -1: an exception is already set (by a callee or helper)."""
        if self._fail is None:
            self._fail = self.block("propagate")
            ir.IRBuilder(self._fail).ret(ir.Constant(I32, -1))
        return self._fail

    def error_block(self, exc: str, message: str) -> ir.Block:
        key = (exc, message)
        blk = self._err_blocks.get(key)
        if blk is None:
            blk = self.block(f"raise.{exc}")
            b = ir.IRBuilder(blk)
            self.capi.set_error(b, exc, message)
            b.ret(ir.Constant(I32, -1))
            self._err_blocks[key] = blk
        return blk

    def _cold_branch(self, bad: ir.Value, target: ir.Block) -> None:
        cont = self.block("ok")
        br = self.b.cbranch(bad, target, cont)
        br.set_weights([1, 1 << 20])
        self.b.position_at_end(cont)

    def guard(self, bad: ir.Value, exc: str, message: str) -> None:
        """Raise ``exc(message)`` when ``bad`` (an i1) is true; continue otherwise."""
        self._cold_branch(bad, self.error_block(exc, message))

    def check_rc(self, rc: ir.Value) -> None:
        """Propagate a failure (-1) returned by a specialization or a helper."""
        self._cold_branch(self.b.icmp_signed("!=", rc, ir.Constant(I32, 0)), self.fail_block())

    def raise_now(self, exc: str, message: str) -> None:
        self.b.branch(self.error_block(exc, message))
        self.b.position_at_end(self.block("dead"))

    def call_helper(self, helper: ir.Function, out_ty: ir.Type, args: Sequence[ir.Value]) -> ir.Value:
        """Call an ``i32 (ptr out, ...)`` helper, propagate its failure, load the result."""
        out = self.alloca(out_ty)
        self.check_rc(self.b.call(helper, [out, *args]))
        return self.b.load(out, typ=out_ty)

    def select_chain(self, cases: Sequence[tuple[ir.Value, ir.Value]], default: ir.Value) -> ir.Value:
        v = default
        for cond, val in reversed(cases):
            v = self.b.select(cond, val, v)
        return v

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
        raise NotImplementedError(f"truth of {t}")

    def check_null(self, obj: ir.Value) -> None:
        """Propagate a NULL returned by the C API (its exception is set)."""
        self._cold_branch(self.b.icmp_unsigned("==", obj, ir.Constant(PTR, None)), self.fail_block())

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
    g.b.ret(ir.Constant(I32, 0))
    g.finish()
    return fn


# ---------------------------------------------------------------- the unit


def lower_unit(unit: T.CompileUnit, options: Options) -> str:
    """LLVM IR text of a whole unit: every specialization, plus the root's entry.

    >>> text = lower_unit(unit, Options())  # doctest: +SKIP
    >>> "define i32 @_ember_f_" in text      # doctest: +SKIP
    True
    """
    return str(lower_module(unit, options))


def lower_module(unit: T.CompileUnit, options: Options) -> ir.Module:
    module = ir.Module(name=unit.root.symbol)
    capi = CApi(module)
    fns: dict[str, ir.Function] = {}
    for f in unit.functions:
        fn = ir.Function(module, abi.spec_type(f.arg_types), f.symbol)
        fn.attributes.add("nounwind")
        if f.symbol != unit.root.symbol:
            fn.linkage = "internal"
        else:
            # Kept out of the CPython entry: inlining it there would compile every loop
            # twice (codegen time), for a saving of one direct call.
            fn.attributes.add("noinline")
        fns[f.symbol] = fn
    for f in unit.functions:
        FunctionLowerer(module, capi, fns, f, options).lower()
    root = unit.root
    abi.add_entry(
        module, capi, fns[root.symbol], root.symbol, root.name, root.arg_types, root.return_type
    )
    return module


class FunctionLowerer(Gen):
    """Lowers the body of one :class:`TypedFunction` into its declared LLVM function."""

    def __init__(
        self,
        module: ir.Module,
        capi: CApi,
        fns: dict[str, ir.Function],
        func: T.TypedFunction,
        options: Options,
    ) -> None:
        super().__init__(module, capi, fns[func.symbol], options)
        self.fns = fns
        self.func = func
        self.locals: dict[str, tuple[ir.Value, Type, ir.Value | None]] = {}
        self.loops: list[tuple[ir.Block, ir.Block]] = []  # (break target, continue target)

    def lower(self) -> None:
        f = self.func
        params = {p.name for p in f.params}
        for name, t in f.locals:
            slot = self.alloca(value_type(t), name=name)
            flag = None
            if name not in params:
                # Python raises UnboundLocalError on a read before any assignment; the
                # flag is folded away by LLVM wherever assignment is certain.
                flag = self.alloca(I1, name=f"{name}.set")
                self.b.store(ir.Constant(I1, 0), flag)
            self.locals[name] = (slot, t, flag)
        for p, arg in zip(f.params, self.fn.args[1:], strict=True):
            if p.name not in self.locals:
                self.locals[p.name] = (self.alloca(value_type(p.type), name=p.name), p.type, None)
            self.b.store(arg, self.locals[p.name][0])
        if self._has_arrays():  # [arrays hook] reference counts of array locals
            from ember.native import lower_arrays

            lower_arrays.begin_function(self)
        self.stmts(f.body)
        if not self.b.block.is_terminated:
            if isinstance(f.return_type, NoneType):
                self.b.ret(ir.Constant(I32, 0))
            else:
                self.capi.set_error(self.b, "SystemError", f"ember: {f.name} ended without return")
                self.b.ret(ir.Constant(I32, -1))
        if self._has_arrays():  # [arrays hook] release owned arrays before every ret
            from ember.native import lower_arrays

            lower_arrays.end_function(self)
        self.finish()

    def _has_arrays(self) -> bool:
        """[arrays hook] Whether any local holds an array (then lower_arrays manages
        their references)."""
        from ember.native.lower_arrays import holds_arrays

        return any(holds_arrays(t) for _name, t in self.func.locals)

    # -------------------------------------------------------- statements

    def stmts(self, body: Sequence[T.Stmt]) -> None:
        for s in body:
            if self.b.block.is_terminated:
                # Code after return/break/continue: lowered into an unreachable block
                # that LLVM deletes, so every statement still gets checked.
                self.b.position_at_end(self.block("dead"))
            self.stmt(s)

    def stmt(self, s: T.Stmt) -> None:
        if self._array_stmt(s):  # [arrays hook]
            return
        if isinstance(s, T.Assign):
            self.assign(s.target, self.expr(s.value))
        elif isinstance(s, T.ExprStmt):
            self.expr(s.value)
        elif isinstance(s, T.If):
            self.if_stmt(s)
        elif isinstance(s, T.While):
            self.while_stmt(s)
        elif isinstance(s, T.ForRange):
            self.for_range(s)
        elif isinstance(s, T.Break):
            self.b.branch(self.loops[-1][0])
        elif isinstance(s, T.Continue):
            self.b.branch(self.loops[-1][1])
        elif isinstance(s, T.Return):
            v = self.expr(s.value)
            if not isinstance(s.value.type, NoneType):
                self.b.store(v, self.fn.args[0])
            self.b.ret(ir.Constant(I32, 0))
        elif isinstance(s, T.Pass):
            pass
        else:  # pragma: no cover - typed_ir is closed
            raise NotImplementedError(type(s).__name__)

    def _array_stmt(self, s: object) -> bool:
        """[arrays hook] Statements that store, keep or drop arrays go to lower_arrays."""
        from ember.native import lower_arrays

        if isinstance(s, T.Assign) and lower_arrays.holds_arrays(s.value.type):
            lower_arrays.assign(self, s.target, s.value)
        elif isinstance(s, T.ExprStmt) and lower_arrays.holds_arrays(s.value.type):
            lower_arrays.discard(self, s.value)
        elif isinstance(s, T.Return) and lower_arrays.holds_arrays(s.value.type):
            self.b.store(lower_arrays.own(self, s.value), self.fn.args[0])
            self.b.ret(ir.Constant(I32, 0))
        elif type(s).__module__ == "ember.native.typed_ir_arrays":
            lower_arrays.lower_stmt(self, s)
        else:
            return False
        return True

    def assign(self, name: str, value: ir.Value) -> None:
        slot, _t, flag = self.locals[name]
        self.b.store(value, slot)
        if flag is not None:
            self.b.store(ir.Constant(I1, 1), flag)

    def if_stmt(self, s: T.If) -> None:
        cond = self.cond(s.test)
        then, orelse, end = self.block("if.then"), self.block("if.else"), self.block("if.end")
        self.b.cbranch(cond, then, orelse)
        for blk, body in ((then, s.body), (orelse, s.orelse)):
            self.b.position_at_end(blk)
            self.stmts(body)
            if not self.b.block.is_terminated:
                self.b.branch(end)
        self.b.position_at_end(end)

    def while_stmt(self, s: T.While) -> None:
        head, body, orelse, end = (
            self.block("while.cond"), self.block("while.body"),
            self.block("while.else"), self.block("while.end"),
        )  # fmt: skip
        self.b.branch(head)
        self.b.position_at_end(head)
        self.b.cbranch(self.cond(s.test), body, orelse)
        self.b.position_at_end(body)
        self.loops.append((end, head))
        self.stmts(s.body)
        self.loops.pop()
        if not self.b.block.is_terminated:
            self.b.branch(head)
        self.b.position_at_end(orelse)
        self.stmts(s.orelse)
        if not self.b.block.is_terminated:
            self.b.branch(end)
        self.b.position_at_end(end)

    def for_range(self, s: T.ForRange) -> None:
        b = self.b
        start, stop, step = self.expr(s.start), self.expr(s.stop), self.expr(s.step)
        if not (isinstance(s.step, T.Const) and s.step.value != 0):
            self.guard(b.icmp_signed("==", step, self.i64(0)), "ValueError", MSG_RANGE_STEP0)
        # Iterate over a trip count, as range's length: no overflow near INT64_MAX, and
        # LLVM sees a canonical counted loop it can vectorise.
        pos = b.icmp_signed(">", step, self.i64(0))
        one = self.i64(1)
        n_pos = b.add(b.udiv(b.sub(b.sub(stop, start), one), step), one)
        n_neg = b.add(b.udiv(b.sub(b.sub(start, stop), one), b.sub(self.i64(0), step)), one)
        nonempty = b.select(
            pos, b.icmp_signed("<", start, stop), b.icmp_signed(">", start, stop)
        )
        # (step == 0 was rejected above, so neither unsigned division can trap.)
        count = b.select(nonempty, b.select(pos, n_pos, n_neg), self.i64(0))
        k = self.alloca(I64, name="range.k")
        b.store(self.i64(0), k)
        head, body, latch = self.block("for.cond"), self.block("for.body"), self.block("for.next")
        orelse, end = self.block("for.else"), self.block("for.end")
        b.branch(head)
        b.position_at_end(head)
        kv = b.load(k, typ=I64)
        b.cbranch(b.icmp_unsigned("<", kv, count), body, orelse)
        b.position_at_end(body)
        self.assign(s.target, b.add(start, b.mul(kv, step)))
        self.loops.append((end, latch))
        self.stmts(s.body)
        self.loops.pop()
        if not self.b.block.is_terminated:
            self.b.branch(latch)
        self.b.position_at_end(latch)
        self.b.store(self.b.add(self.b.load(k, typ=I64), one), k)
        self.b.branch(head)
        self.b.position_at_end(orelse)
        self.stmts(s.orelse)
        if not self.b.block.is_terminated:
            self.b.branch(end)
        self.b.position_at_end(end)

    # ------------------------------------------------------- expressions

    def cond(self, e: T.Expr) -> ir.Value:
        v = self.expr(e)
        return v if isinstance(e.type, Bool) else self.truth(v, e.type)

    def expr(self, e: T.Expr) -> ir.Value:
        method = getattr(self, f"e_{type(e).__name__}", None)
        if method is None:  # [arrays hook] the nodes of typed_ir_arrays
            from ember.native import lower_arrays

            return lower_arrays.lower_expr(self, e)
        return method(e)

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
        b = self.b
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

    def make_struct(self, t: Tuple, items: Sequence[ir.Value]) -> ir.Value:
        agg: ir.Value = ir.Constant(value_type(t), ir.Undefined)
        for i, item in enumerate(items):
            agg = self.b.insert_value(agg, item, i)
        return agg

    def e_Truth(self, e: T.Truth) -> ir.Value:
        return self.truth(self.expr(e.value), e.value.type)

    def e_BinOp(self, e: T.BinOp) -> ir.Value:
        from ember.native import lower_ops

        a, c = self.expr(e.left), self.expr(e.right)
        return lower_ops.binop(self, e.op, a, c, e.left.type, e.type)

    def e_UnaryOp(self, e: T.UnaryOp) -> ir.Value:
        from ember.native import lower_ops

        return lower_ops.unaryop(self, e.op, self.expr(e.value), e.value.type, e.type)

    def e_Compare(self, e: T.Compare) -> ir.Value:
        from ember.native import lower_ops

        end = self.block("cmp.end")
        incoming: list[tuple[ir.Value, ir.Block]] = []
        left = self.expr(e.operands[0])
        lt = e.operands[0].type
        for i, op in enumerate(e.ops):
            right_e = e.operands[i + 1]
            right = self.expr(right_e)
            r = lower_ops.compare(self, op, left, lt, right, right_e.type)
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
        from ember.native import lower_math

        return lower_math.call(self, e)

    def e_CallJit(self, e: T.CallJit) -> ir.Value:
        args = [self.expr(a) for a in e.args]
        callee = self.fns[e.symbol]
        result = self.call_helper(callee, value_type(e.type), args)
        from ember.native import lower_arrays  # [arrays hook] release temporaries

        lower_arrays.release_call_arguments(self, e.args, args)
        return result

    def e_MakeTuple(self, e: T.MakeTuple) -> ir.Value:
        assert isinstance(e.type, Tuple)
        return self.make_struct(e.type, [self.expr(i) for i in e.items])

    def e_TupleGet(self, e: T.TupleGet) -> ir.Value:
        return self.b.extract_value(self.expr(e.value), e.index)

