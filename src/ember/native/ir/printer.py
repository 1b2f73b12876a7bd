"""The typed IR as text: a :class:`TypedFunction` (or a whole :class:`CompileUnit`) →
Python-like source with a type on every variable and expression.

    def total(n: int64) -> float64:
        # symbol _ember_total_0c1d2e3f4a5b, line 3
        # locals: i: int64, n: int64, s: float64
        s = 0.0:float64
        for i in range(0:int64, n:int64, 1:int64):
            s = (s:float64 + (cast(i:int64):float64 * 0.5:float64):float64):float64
        return s:float64

Every expression prints as ``text:type``; ``cast(x)`` is an implicit conversion that
inference inserted and ``truth(x)`` a truth test. The output is deterministic (no ids,
no paths), so it is what ``f.inspect_types()``, ``ember explain`` and the golden tests
show.
"""

from __future__ import annotations

from collections.abc import Mapping

from ember.native.ir import arrays as A
from ember.native.ir import creation as N
from ember.native.ir import elementwise as W
from ember.native.ir import exceptions as X
from ember.native.ir import lists as L
from ember.native.ir import reductions as R
from ember.native.ir import views as V
from ember.native.ir.array_funcs import Fail
from ember.native.ir.fancy import FancyCall, FancyGet, FancySet
from ember.native.ir.fft import FFT
from ember.native.ir.linalg import LinAlg, MatMul
from ember.native.ir.nodes import (
    Assign,
    BinOp,
    BoolOp,
    Break,
    Call,
    CallJit,
    Cast,
    Compare,
    CompileUnit,
    Const,
    Continue,
    Expr,
    ExprStmt,
    ForRange,
    If,
    IfExp,
    MakeTuple,
    Name,
    Pass,
    Return,
    Stmt,
    Truth,
    TupleGet,
    TypedFunction,
    UnaryOp,
    While,
)
from ember.native.ir.parallel import ParallelFor
from ember.native.types import signature_text

INDENT = "    "
_CMP_TEXT = {"isnot": "is not", "notin": "not in"}


def format_unit(unit: CompileUnit) -> str:
    """Every function of ``unit``, root first; calls name their callee as
    ``qualname(types)`` rather than by symbol.

    >>> from ember.native.frontend.statements import infer_unit
    >>> from ember.native.options import Options
    >>> from ember.native.types import INT64
    >>> def fib(n):
    ...     return n if n < 2 else fib(n - 1) + fib(n - 2)
    >>> print(format_unit(infer_unit(fib, (INT64,), Options())))
    def fib(n: int64) -> int64:
        ...
    """
    names = {f.symbol: f"{f.qualname}{signature_text(f.arg_types)}" for f in unit.functions}
    return "\n".join(format_function(f, names) for f in unit.functions)


def format_function(fn: TypedFunction, names: Mapping[str, str] | None = None) -> str:
    """``fn`` as text ending in a newline; ``names`` maps callee symbols to the labels
    to print for them (symbols are printed otherwise).

    >>> from ember.native.frontend.statements import infer_unit
    >>> from ember.native.options import Options
    >>> from ember.native.types import FLOAT64
    >>> def f(x):
    ...     return x * 2.0
    >>> print(format_function(infer_unit(f, (FLOAT64,), Options()).root), end="")
    def f(x: float64) -> float64:
        # symbol _ember_f_..., line 1
        # locals: x: float64
        return (x:float64 * 2.0:float64):float64
    """
    printer = _Printer(names or {})
    params = ", ".join(f"{p.name}: {p.type}" for p in fn.params)
    lines = [f"def {fn.qualname}({params}) -> {fn.return_type}:"]
    lines.append(f"{INDENT}# symbol {fn.symbol}, line {fn.span.line}")
    lines.append(f"{INDENT}# locals: " + ", ".join(f"{n}: {t}" for n, t in fn.locals))
    if fn.captured:
        lines.append(f"{INDENT}# captured: " + ", ".join(f"{n} = {v}" for n, v in fn.captured))
    printer.block(fn.body, 1, lines)
    return "\n".join(lines) + "\n"


def format_expr(expr: Expr, names: Mapping[str, str] | None = None) -> str:
    """One expression as ``text:type``.

    >>> from ember.diagnostics import Span
    >>> from ember.native.types import INT64
    >>> format_expr(Const(2, INT64, Span("f.py", 1)))
    '2:int64'
    """
    return _Printer(names or {}).expr(expr)


class _Printer:
    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def block(self, body: tuple[Stmt, ...], depth: int, lines: list[str]) -> None:
        if not body:
            lines.append(INDENT * depth + "pass")
        for stmt in body:
            self.stmt(stmt, depth, lines)

    def stmt(self, s: A.AnyStmt, depth: int, lines: list[str]) -> None:
        pad = INDENT * depth
        if isinstance(s, Assign):
            lines.append(f"{pad}{s.target} = {self.expr(s.value)}")
        elif isinstance(s, ExprStmt):
            lines.append(pad + self.expr(s.value))
        elif isinstance(s, Return):
            lines.append(f"{pad}return {self.expr(s.value)}")
        elif isinstance(s, If):
            lines.append(f"{pad}if {self.expr(s.test)}:")
            self.block(s.body, depth + 1, lines)
            if s.orelse:
                lines.append(f"{pad}else:")
                self.block(s.orelse, depth + 1, lines)
        elif isinstance(s, While):
            lines.append(f"{pad}while {self.expr(s.test)}:")
            self.block(s.body, depth + 1, lines)
            self.orelse(s.orelse, depth, lines)
        elif isinstance(s, ForRange):
            bounds = ", ".join(self.expr(e) for e in (s.start, s.stop, s.step))
            lines.append(f"{pad}for {s.target} in range({bounds}):")
            self.block(s.body, depth + 1, lines)
            self.orelse(s.orelse, depth, lines)
        elif isinstance(s, Break):
            lines.append(pad + "break")
        elif isinstance(s, Continue):
            lines.append(pad + "continue")
        elif isinstance(s, Pass):
            lines.append(pad + "pass")
        elif isinstance(s, A.SetItem):
            stored = "" if s.stored is None else f" as {self.expr(s.stored)}"
            lines.append(f"{pad}{self.item(s.array, s.indices)} = {self.expr(s.value)}{stored}")
        elif isinstance(s, A.AugSetItem):
            lines.append(f"{pad}{self.item(s.array, s.indices)} := {self.expr(s.value)}")
        elif isinstance(s, FancySet):
            stored = "" if s.stored is None else f" as {self.expr(s.stored)}"
            lines.append(f"{pad}{self.item(s.array, (s.index,))}.{s.kind} = "
                         f"{self.expr(s.value)}{stored}")
        elif isinstance(s, V.SliceAssign):
            stored = "" if s.stored is None else f" as {self.expr(s.stored)}"
            lines.append(f"{pad}{self.expr(s.target)} = {self.expr(s.value)}{stored}")
        elif isinstance(s, W.ArrayStore):
            lines.append(f"{pad}{self.expr(s.target)}[...] = {self.expr(s.value)}")
        elif isinstance(s, X.Raise | X.Try | X.Assert):
            self.exc_stmt(s, depth, lines)
        elif isinstance(s, L.ListSet):
            lines.append(f"{pad}{self.expr(s.list)}[{self.expr(s.index)}] = {self.expr(s.value)}")
        elif isinstance(s, L.ListDel):
            lines.append(f"{pad}del {self.expr(s.list)}[{self.expr(s.index)}]")
        elif isinstance(s, ParallelFor):
            bounds = ", ".join(self.expr(e) for e in (s.start, s.stop, s.step))
            captures = ", ".join(self.expr(e) for e in s.captures)
            lines.append(f"{pad}parallel for {s.symbol} over ({bounds}) with ({captures}):")
            for c in s.combine:
                self.stmt(c, depth + 1, lines)
        else:  # pragma: no cover - every statement node is listed above
            lines.append(f"{pad}<{type(s).__name__}>")

    def exc_stmt(self, s: X.ExcStmt, depth: int, lines: list[str]) -> None:
        """raise, try and assert (ir/exceptions.py)."""
        pad = INDENT * depth
        if isinstance(s, X.Assert):
            message = "" if s.message is None else f", {self.arg(s.message)}"
            lines.append(f"{pad}assert {self.expr(s.test)}{message}")
        elif isinstance(s, X.Raise):
            what = "" if s.cls is None else f" {s.cls.module}.{s.cls.qualname}"
            if s.cls is not None:
                what += "(" + ", ".join(self.arg(a) for a in s.args) + ")"
            elif s.caught is not None:
                what = f" caught[{s.caught.depth}]"
            cause = s.cause
            if s.has_cause:
                what += " from " + ("None" if cause is None else f"caught[{cause.depth}]"
                                    if isinstance(cause, X.Caught)
                                    else f"{cause.module}.{cause.qualname}")
            lines.append(f"{pad}raise{what}")
        else:
            lines.append(f"{pad}try:")
            self.block(s.body, depth + 1, lines)
            for h in s.handlers:
                names = ", ".join(f"{c.module}.{c.qualname}" for c in h.classes)
                lines.append(f"{pad}except{' (' + names + ')' if names else ''}:")
                self.block(h.body, depth + 1, lines)
            self.orelse(s.orelse, depth, lines)
            if s.finalbody:
                lines.append(f"{pad}finally:")
                self.block(s.finalbody, depth + 1, lines)

    def arg(self, a: X.Argument) -> str:
        if isinstance(a, X.Caught):
            return f"caught[{a.depth}]"
        if isinstance(a, X.Message):
            return "f" + repr("".join(
                p.value if isinstance(p, Const) else  # type: ignore[misc]
                f"{{{self.arg(p.value)}{'!' + p.conversion if p.conversion else ''}"
                f"{':' + p.spec if p.spec else ''}}}" for p in a.pieces))
        if isinstance(a, X.PercentFormat):
            return f"{a.template!r} % ({', '.join(self.arg(v) for v in a.args)})"
        return self.expr(a)

    def orelse(self, body: tuple[Stmt, ...], depth: int, lines: list[str]) -> None:
        if body:
            lines.append(INDENT * depth + "else:")
            self.block(body, depth + 1, lines)

    def expr(self, e: A.AnyExpr) -> str:
        return f"{self.text(e)}:{e.type}"

    def text(self, e: A.AnyExpr) -> str:
        if isinstance(e, Const):
            return repr(e.value)
        if isinstance(e, Name):
            return e.name
        if isinstance(e, Cast):
            return f"cast({self.expr(e.value)})"
        if isinstance(e, Truth):
            return f"truth({self.expr(e.value)})"
        if isinstance(e, BinOp):
            return f"({self.expr(e.left)} {e.op} {self.expr(e.right)})"
        if isinstance(e, UnaryOp):
            sep = " " if e.op == "not" else ""
            return f"({e.op}{sep}{self.expr(e.value)})"
        if isinstance(e, Compare):
            parts = [self.expr(e.operands[0])]
            for op, operand in zip(e.ops, e.operands[1:], strict=True):
                parts += [_CMP_TEXT.get(op, op), self.expr(operand)]
            return "(" + " ".join(parts) + ")"
        if isinstance(e, BoolOp):
            return "(" + f" {e.op} ".join(self.expr(v) for v in e.values) + ")"
        if isinstance(e, IfExp):
            return f"({self.expr(e.body)} if {self.expr(e.test)} else {self.expr(e.orelse)})"
        if isinstance(e, Call):
            return f"{e.func}({', '.join(self.expr(a) for a in e.args)})"
        if isinstance(e, CallJit):
            label = self.names.get(e.symbol, e.symbol)
            return f"@{label}({', '.join(self.expr(a) for a in e.args)})"
        if isinstance(e, MakeTuple):
            inner = ", ".join(self.expr(v) for v in e.items)
            return f"({inner},)" if len(e.items) == 1 else f"({inner})"
        if isinstance(e, TupleGet):
            return f"{self.expr(e.value)}[{e.index}]"
        return self.array_text(e)

    def item(self, array: A.AnyExpr, indices: tuple[A.AnyExpr, ...]) -> str:
        return f"{self.expr(array)}[{', '.join(self.expr(i) for i in indices)}]"

    def array_text(self, e: A.AnyExpr) -> str:
        """The array nodes of :mod:`ember.native.ir.arrays`."""
        if isinstance(e, A.Index):
            return self.item(e.array, e.indices)
        if isinstance(e, A.Element):
            return "element"
        if isinstance(e, A.ArrayDim):
            return f"{self.expr(e.array)}.shape[{e.axis}]"
        if isinstance(e, A.ArrayAttr):
            return f"{self.expr(e.array)}.{e.attr}"
        if isinstance(e, A.ArrayNew):
            args = [self.expr(e.shape)]
            if e.fill is not None:
                args.append(self.expr(e.fill))
            if e.stored is not None:
                args[-1] += f" as {self.expr(e.stored)}"
            return f"array.{e.kind}({', '.join(args)})"
        if isinstance(e, A.ArrayCopy):
            return f"{self.expr(e.array)}.copy()"
        if isinstance(e, A.ArrayRange):
            bounds = ", ".join(self.expr(x) for x in (e.start, e.stop, e.step))
            return f"array.arange({bounds})"
        if isinstance(e, A.ArrayReduce):
            return f"{self.expr(e.array)}.{e.op}()"
        if isinstance(e, R.AxisReduce):
            keep = ", keepdims" if e.keepdims else ""
            return f"{self.expr(e.array)}.{e.op}(axis={e.axes}, {e.dtype}{keep})"
        if isinstance(e, R.AxisStat):
            extra = "".join([", keepdims" if e.keepdims else "", f", ddof={e.ddof}" * bool(e.ddof),
                             f", weights={self.expr(e.weights)}" if e.weights else ""])
            return f"np.{e.op}({self.expr(e.array)}, axis={e.axes}, {e.dtype}{extra})"
        if isinstance(e, R.AxisAccumulate):
            return f"{self.expr(e.array)}.{e.op}(axis={e.axis}, {e.dtype})"
        if isinstance(e, FancyGet):
            return f"{self.item(e.array, (e.index,))}.{e.kind}"
        if isinstance(e, MatMul):
            return f"np.{e.func}({self.expr(e.left)}, {self.expr(e.right)})"
        if isinstance(e, LinAlg):  # ir/linalg.py
            option = f", {e.option!r}" if e.option else ""
            space = "np." if e.func == "kron" else "np.linalg."
            return f"{space}{e.func}({', '.join(self.expr(a) for a in e.args)}{option})"
        if isinstance(e, FFT):  # ir/fft.py
            n = "" if e.n is None else f", n={self.expr(e.n)}"
            return f"np.fft.{e.func}({self.expr(e.array)}{n}, norm={e.norm!r})"
        if isinstance(e, FancyCall):
            option = f", {e.option!r}" if e.option else ""
            return f"np.{e.func}({', '.join(self.expr(a) for a in e.args)}{option})"
        if isinstance(e, W.ArrayEval):
            operands = ", ".join(self.expr(o) for o in e.operands)
            return f"elementwise({operands}; {self.element(e.body)})"
        return self.view_text(e)

    def view_text(self, e: A.AnyExpr) -> str:
        """The view nodes of :mod:`ember.native.ir.views`."""
        if isinstance(e, V.ArrayView):
            return f"{self.expr(e.array)}[{', '.join(self.view_item(i) for i in e.items)}]"
        if isinstance(e, V.ArrayPermute):
            return f"{self.expr(e.array)}.transpose{e.axes}"
        if isinstance(e, V.ArrayPart):
            return f"{self.expr(e.array)}.{('real', 'imag')[e.part]}"
        if isinstance(e, V.ArrayReshape):
            what = "ravel" if e.ravel else "reshape"
            return f"{self.expr(e.array)}.{what}({self.expr(e.shape)})"
        return self.creation_text(e)

    def creation_text(self, e: A.AnyExpr) -> str:
        """The nodes of :mod:`ember.native.ir.creation`."""
        if isinstance(e, N.DTypeConst):
            return "dtype"
        if isinstance(e, N.ArrayLiteral):
            items = ", ".join(self.expr(i) for i in e.items)
            src = "" if e.source is None else f" from {self.expr(e.source)}"
            return f"np.array[{'x'.join(map(str, e.shape))}]({items}){src}"
        if isinstance(e, N.ArrayCast):
            return f"{self.expr(e.array)}.astype()"
        if isinstance(e, N.ArrayFillWith):
            stored = "" if e.stored is None else f" as {self.expr(e.stored)}"
            return f"{self.expr(e.array)}.fill({self.expr(e.value)}{stored})"
        if isinstance(e, N.ArrayLinspace):
            args = ", ".join(self.expr(x) for x in (e.start, e.stop, e.num))
            return f"np.linspace({args}, endpoint={e.endpoint})"
        if isinstance(e, N.ArrayEye):
            dims = [self.expr(e.n), "-" if e.m is None else self.expr(e.m), self.expr(e.k)]
            return f"np.eye({', '.join(dims)})"
        if isinstance(e, N.ArrayTri):
            return f"np.{e.kind}({self.expr(e.array)}, {self.expr(e.k)})"
        if isinstance(e, N.ArrayDiag):
            return f"np.diag({self.expr(e.array)}, {self.expr(e.k)})"
        if isinstance(e, N.ArrayJoin):
            arrays = ", ".join(self.expr(a) for a in e.arrays)
            return f"np.{e.kind}(({arrays}), axis={e.axis})"
        if isinstance(e, N.ArrayStrides):
            return f"{self.expr(e.array)}.strides"
        if isinstance(e, Fail):
            args = "".join(f", {self.expr(a)}" for a in e.args)
            return f"raise {e.exc}({e.message!r}{args})"
        if isinstance(e, L.ListExpr):
            return self.list_text(e)
        return f"<{type(e).__name__}>"  # pragma: no cover - every node is listed above

    def list_text(self, e: L.ListExpr) -> str:
        """A list node; a comprehension's loops inline, statements joined by ``;``."""
        if isinstance(e, L.ListNew):
            return f"[{', '.join(self.expr(i) for i in e.items)}]"
        if isinstance(e, L.ListRepeat):
            return f"({self.expr(e.list)} * {self.expr(e.count)})"
        if isinstance(e, L.ListGet):
            return f"{self.expr(e.list)}[{self.expr(e.index)}]"
        if isinstance(e, L.ListLen):
            return f"len({self.expr(e.list)})"
        if isinstance(e, L.ListCall):
            return f"{self.expr(e.list)}.{e.name}({', '.join(self.expr(a) for a in e.args)})"
        lines: list[str] = []
        self.block(e.body, 0, lines)
        body = "; ".join(line.strip() for line in lines)
        return f"{{{body}; {'take' if e.move else 'read'} {e.result}}}"

    def view_item(self, item: A.AnyExpr | V.ViewSlice | V.NewAxis) -> str:
        if isinstance(item, V.NewAxis):
            return "None"
        if isinstance(item, V.ViewSlice):
            bounds = (item.start, item.stop, item.step)
            if all(b is None for b in bounds):
                return ":"
            return f"slice({', '.join('None' if b is None else self.expr(b) for b in bounds)})"
        return self.expr(item)

    def element(self, e: W.ElemExpr) -> str:
        """An element-level node of an ArrayEval's body: ``%k`` is operand k."""
        if isinstance(e, W.Operand):
            return f"%{e.index}:{e.type}"
        if isinstance(e, W.ElementCast):
            return f"cast({self.element(e.value)}):{e.type}"
        return f"{e.name}({', '.join(self.element(a) for a in e.args)}):{e.type}"
