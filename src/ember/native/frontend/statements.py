"""Type inference: a Python function and its argument types → a :class:`CompileUnit` of
typed IR (the function and every @jit function it calls, each specialized).

    >>> def total(n):
    ...     s = 0
    ...     for i in range(n):
    ...         s += i * 0.5
    ...     return s
    >>> from ember.native.types import INT64
    >>> unit = infer_unit(total, (INT64,), Options())
    >>> dict(unit.root.locals), unit.root.return_type
    ({'i': int64, 'n': int64, 's': float64}, float64)

How types are found:

- A local's type is the :func:`~ember.native.types.unify` of everything assigned to it
  (``s = 0`` then ``s += 0.5`` makes ``s`` a float64): the body is typed again and
  again until no local widens (a fixpoint); the last pass, with every type final, is
  the IR kept, with the conversions made explicit (:class:`Cast`).
- Reading a local that is not assigned on every path to the read is an error naming it
  (a definite-assignment walk in the same pass).
- A recursive call's type is its function's return type from the previous *round*;
  unknown in the first round, so it is ignored until a non-recursive ``return`` fixes
  it. Rounds repeat until every such guess equals what the function then returns; if a
  return type never becomes known, that is an error.
- Module globals and closure variables holding constants (int, float, bool, None,
  tuples of them) are read once, at compile time, folded into :class:`Const` and
  recorded in ``TypedFunction.captured``: a later change to the global is not seen
  until the function is compiled again (the native cache key includes the values).

Known differences from CPython (each a consequence of one static type per value):

- ``x if c else y``, ``a and b`` and ``max(a, b)`` mixing int and float give a float
  even when the int is chosen (``max(2, 1.0)`` is ``2.0``); mixing bool and int gives
  an int (``c and n`` is ``0``, not ``False``).
- ``x ** n`` with int ``x`` and a non-constant int ``n`` is an int; a negative ``n`` at
  run time raises ValueError ("negative exponent: ... write float(x) ** n") where
  Python would return a float.
- A local read where it may be unassigned (``for i in range(n): ...`` then ``i`` after
  the loop) is a compile error, where Python fails only on the paths that miss it.
- A local that holds an int and later a float (``a /= b`` on an int parameter, ``s = 0``
  then ``s = s / n``) is a float64 for the whole function: its int values are converted
  where they are stored, so beyond 2**53 they are rounded before ``/``, ``<`` or ``+``
  see them (Python keeps the exact int until the float is assigned). Use a new name for
  the float (``q = a / b``) to keep the int exact.

Statements that can never run (after ``return``, ``break``, ``continue``) are dropped.
Everything outside the subset is an :class:`~ember.diagnostics.EmberError` pointing at
the user's code; a failure inside ember itself is one too, naming the function.
"""

from __future__ import annotations

import ast
import types

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.frontend import array_funcs
from ember.native.frontend import arrays as array_rules
from ember.native.frontend import closures as closure_rules
from ember.native.frontend import elementwise as array_exprs
from ember.native.frontend import exceptions as exception_rules
from ember.native.frontend import fancy as fancy_rules
from ember.native.frontend import lists as list_rules
from ember.native.frontend.builtins import cast
from ember.native.frontend.calls import call_shape
from ember.native.frontend.expressions import BINOPS, UNSUPPORTED, ExprTyper
from ember.native.frontend.operators import RuleError
from ember.native.frontend.parallel import outline_unit
from ember.native.frontend.source import FALLBACK_HINT, FunctionSource, parse_function
from ember.native.frontend.unknown import UNKNOWN
from ember.native.ir.nodes import (
    Assign,
    Break,
    Cast,
    CompileUnit,
    Const,
    Continue,
    Expr,
    ExprStmt,
    ForRange,
    If,
    Name,
    Param,
    Pass,
    Return,
    Stmt,
    TupleGet,
    TypedFunction,
    While,
)
from ember.native.options import Options
from ember.native.prange import is_prange
from ember.native.types import (
    BOOL,
    INT64,
    NONE,
    STR,
    TYPE_NAMES,
    Array,
    Function,
    List,
    NpScalar,
    Tuple,
    Type,
    mangle,
    unify,
)

MAX_PASSES = 64  # local-type fixpoint passes over one body (each can only widen a type)
MAX_ROUNDS = 16  # rounds of guessing recursive return types

_Key = tuple[types.FunctionType, tuple[Type, ...]]


# ------------------------------------------------------------------ the entry


def infer_unit(py_func: object, arg_types: tuple[Type, ...], options: Options) -> CompileUnit:
    """Type ``py_func`` for ``arg_types`` and every @jit function it calls.

    Raises :class:`EmberError` (a rendered ``file:line:col: error:`` diagnostic) for
    anything outside the subset, and for a bug in ember (naming the function).

    >>> def add(a, b):
    ...     return a + b
    >>> from ember.native.types import FLOAT64, INT64
    >>> infer_unit(add, (INT64, FLOAT64), Options()).root.return_type
    float64
    """
    try:
        return UnitBuilder(options).build(py_func, tuple(arg_types))
    except EmberError:
        raise
    except Exception as exc:  # a bug in ember: still a diagnostic, never a bare traceback
        code = getattr(py_func, "__code__", None)
        span = Span(code.co_filename, code.co_firstlineno) if code else Span("<unknown>", 1)
        name = getattr(py_func, "__qualname__", repr(py_func))
        raise EmberError(
            Diagnostic(span, f"internal error in ember while compiling '{name}': "
                       f"{type(exc).__name__}: {exc}",
                       "this is a bug in ember, not in your code; please report it with "
                       "this function's source (@jit(fallback=True) runs it as Python)"),
        ) from exc


class UnitBuilder:
    """Specializes functions for one unit and settles recursive return types."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.guesses: dict[_Key, Type] = {}  # return types found by the previous round
        self.done: dict[_Key, TypedFunction] = {}
        self.order: list[_Key] = []
        self.active: list[_Key] = []  # functions being typed, outermost first
        self.consulted: dict[_Key, Type | None] = {}  # guesses read this round
        self.sources: dict[_Key, FunctionSource] = {}
        self.symbols: dict[_Key, str] = {}

    def build(self, func: object, arg_types: tuple[Type, ...]) -> CompileUnit:
        if not isinstance(func, types.FunctionType):
            parse_function(func)  # raises the frontend's error for non-functions
        assert isinstance(func, types.FunctionType)
        for _ in range(MAX_ROUNDS):
            self.done, self.order, self.consulted = {}, [], {}
            self.specialize(func, arg_types)
            if all(self.done[k].return_type == g for k, g in self.consulted.items()):
                functions = tuple(self.done[k] for k in self.order)
                sources = tuple(
                    (self.sources[k].path, self.sources[k].qualname, self.sources[k].digest)
                    for k in self.order
                )
                root = functions[0]
                if isinstance(root.return_type, Function):  # no Python object for it
                    raise self.sources[self.order[0]].error(
                        self.sources[self.order[0]].tree,
                        f"'{root.qualname}' returns a function; a compiled function can "
                        "return numbers, tuples, arrays and lists",
                        "call the function inside and return its result")
                unit = CompileUnit(root, functions, sources, call_shape(func))
                # prange loops → outlined bodies (frontend/parallel.py)
                return outline_unit(unit) if self.options.parallel else unit
            progressed = False
            for key in self.consulted:
                found = self.done[key].return_type
                if found != UNKNOWN and found != self.guesses.get(key):
                    self.guesses[key] = found
                    progressed = True
            if not progressed:
                break
        stuck = next(k for k in self.consulted if self.done[k].return_type != self.consulted[k])
        src = self.sources[stuck]
        raise src.error(
            src.tree,
            f"cannot find the return type of recursive function '{src.qualname}'",
            "every return depends on a recursive call; add a base case that returns a "
            "value directly (for example: if n < 2: return n)",
        )

    def specialize(self, func: types.FunctionType, arg_types: tuple[Type, ...]) -> tuple[str, Type]:
        """The symbol and return type of ``func`` for ``arg_types``, typing it first if
        this round has not."""
        key = (func, arg_types)
        if key not in self.sources:
            self.sources[key] = closure_rules.source_of(func) or parse_function(func)
        symbol = self._symbol(key)
        if key in self.done:
            return symbol, self.done[key].return_type
        if key in self.active:
            guess = self.guesses.get(key)
            self.consulted[key] = guess
            return symbol, UNKNOWN if guess is None else guess
        self.order.append(key)
        self.active.append(key)
        try:
            self.done[key] = FunctionTyper(self, self.sources[key], arg_types, symbol).run()
        finally:
            self.active.pop()
        return symbol, self.done[key].return_type

    def _symbol(self, key: _Key) -> str:
        """The specialization's symbol, unique in the unit: two closures made by one
        ``def`` share module, qualname and types but are different functions."""
        symbol = self.symbols.get(key)
        if symbol is None:
            src = self.sources[key]
            taken = set(self.symbols.values())
            symbol = mangle(src.module, src.qualname, key[1])
            n = 1
            while symbol in taken:
                n += 1
                symbol = mangle(src.module, f"{src.qualname}#{n}", key[1])
            self.symbols[key] = symbol
        return symbol

    def is_compiling(self, func: object) -> bool:
        return any(k[0] is func for k in self.active)


# ------------------------------------------------------------- one function


class FunctionTyper(ExprTyper):
    """Types one function for one tuple of argument types (fixpoint over its body): the
    typer whose public API :class:`~ember.native.frontend.expressions.ExprTyper`
    documents; this class owns that state and adds the statement rules."""

    def __init__(
        self, unit: UnitBuilder, src: FunctionSource, arg_types: tuple[Type, ...], symbol: str
    ) -> None:
        self.unit = unit
        self.src = src
        self.tree = src.tree
        self.symbol = symbol
        self.def_span = Span(src.path, self.tree.lineno, self.tree.col_offset, self.tree.lineno,
                             self.tree.col_offset + 4 + len(self.tree.name))
        self.param_names = self._check_params(arg_types)
        self.arg_types = arg_types
        self.local_names = _assigned_names(self.tree.body) | set(self.param_names)
        self.env: dict[str, Type] = dict(zip(self.param_names, arg_types, strict=True))
        self.where: dict[str, int] = {}  # a local → the line that gave it its type
        self.ret: Type | None = None  # the return type found by the previous pass
        # Per pass:
        self.changed = False
        self.assigned: frozenset[str] | None = frozenset()
        self.loops: list[list[frozenset[str]]] = []
        self.returns: list[tuple[Type, ast.AST | None]] = []
        self.captured: dict[str, str] = {}
        self.temps = 0
        self.handlers: list[str | None] = []  # enclosing except clauses' `as` names
        self.local_functions = closure_rules.local_functions(self)  # inner defs, lambdas

    # -- driver

    def run(self) -> TypedFunction:
        for _ in range(MAX_PASSES):
            self.changed = False
            body = self._one_pass()
            if not self.changed:
                break
        else:  # pragma: no cover - each pass widens a finite lattice
            raise RuntimeError("local types did not settle")
        params, prologue = self._params()
        locals_ = {name: t for name, t in self.env.items() if t != UNKNOWN}
        for p in params:
            locals_[p.name] = p.type
        return TypedFunction(
            name=self.tree.name,
            qualname=self.src.qualname,
            module=self.src.module,
            symbol=self.symbol,
            params=params,
            return_type=self.ret if self.ret is not None else UNKNOWN,
            locals=tuple(sorted(locals_.items())),
            body=prologue + body,
            span=self.def_span,
            captured=tuple(sorted(self.captured.items())),
        )

    def _one_pass(self) -> tuple[Stmt, ...]:
        self.assigned = frozenset(self.param_names)
        for name in [n for n in self.env if n.startswith("$")]:
            del self.env[name]  # temporaries are numbered afresh each pass
        self.loops, self.returns, self.captured, self.temps = [], [], {}, 0
        body = self.block(self.tree.body)
        if self.assigned is not None:  # the end is reachable: Python returns None
            self.returns.append((NONE, None))
            body += (Return(self._return_value(Const(None, NONE, self.def_span)), self.def_span),)
        ret = self._join_returns()
        if ret != self.ret:
            self.ret = ret
            self.changed = True
        return body

    def _params(self) -> tuple[tuple[Param, ...], tuple[Stmt, ...]]:
        """Parameters as the ABI sees them. A parameter that its body widens (``x = x
        / 2`` with an int ``x``) arrives under the name ``x.in`` and is converted into
        the local ``x`` first, so the lowering never converts implicitly."""
        params, prologue = [], []
        for name, t in zip(self.param_names, self.arg_types, strict=True):
            local = self.env[name]
            if local == t:
                params.append(Param(name, t))
                continue
            params.append(Param(name + ".in", t))
            prologue.append(Assign(name, cast(Name(name + ".in", t, self.def_span), local),
                                   self.def_span))
        return tuple(params), tuple(prologue)

    def _check_params(self, arg_types: tuple[Type, ...]) -> tuple[str, ...]:
        a = self.tree.args
        if a.vararg or a.kwarg:
            node = a.vararg or a.kwarg
            raise self.src.error(node, "*args and **kwargs parameters are not supported",
                                 "use named parameters (with defaults if needed)")
        # The ABI order: positional (positional-only first), then keyword-only.
        names = tuple(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))
        if len(names) != len(arg_types):
            raise EmberError(Diagnostic(
                self.def_span, f"'{self.src.qualname}' takes {len(names)} arguments but was "
                f"specialized for {len(arg_types)}"), self.src.source)
        for name, t in zip(names, arg_types, strict=True):
            if t == STR or t == UNKNOWN:
                raise EmberError(Diagnostic(self.def_span, f"parameter '{name}' cannot be {t}",
                                            FALLBACK_HINT), self.src.source)
        return names

    # -- helpers

    def declare(self, name: str, t: Type, node: ast.AST) -> Type | None:
        """Widen local ``name`` to hold ``t``; its type afterwards (None if unknown)."""
        if t == UNKNOWN:
            return self.env.get(name)
        if name.startswith("$"):  # a temporary: assigned once, right where it is used
            self.env[name] = t
            return t
        if t == STR:
            raise self.error(node, f"cannot assign a string to '{name}'",
                             "strings are only supported as print() arguments")
        old = self.env.get(name)
        if old is None or old == UNKNOWN:
            self.env[name] = t
            self.where[name] = getattr(node, "lineno", self.tree.lineno)
            self.changed = True
            return t
        joined = unify(old, t)
        if joined is None:
            raise self.error(
                node, f"'{name}' is assigned a {t} here but holds a {old} "
                f"(line {self.where.get(name, self.tree.lineno)})",
                "a variable keeps one type in compiled code (int and float mix as float); "
                "use another name for the other value")
        if joined != old:
            self.env[name] = joined
            self.changed = True
        return joined

    def new_temp(self) -> str:
        self.temps += 1
        return f"${self.temps}"

    def _join_returns(self) -> Type | None:
        if not self.returns:
            return NONE  # no path returns (every one raises): typed as returning None
        result: Type | None = None
        first: tuple[Type, ast.AST | None] | None = None
        for t, node in self.returns:
            if t == UNKNOWN:
                continue
            if result is None:
                result, first = t, (t, node)
                continue
            joined = unify(result, t)
            if joined is None:
                assert first is not None
                raise self._return_conflict(first, (t, node))
            result = joined
        if result is None and any(t == UNKNOWN for t, _ in self.returns):
            return UNKNOWN
        return result

    def _return_conflict(self, a: tuple[Type, ast.AST | None], b: tuple[Type, ast.AST | None]
                         ) -> EmberError:
        name = self.src.qualname
        if a[1] is None or b[1] is None:  # one of them is falling off the end
            t, node = a if b[1] is None else b
            return self.error(
                None, f"'{name}' returns {t} at line {getattr(node, 'lineno', '?')} but can "
                "also reach its end, which returns None",
                "add a return statement at the end of the function")
        return self.error(
            b[1], f"'{name}' returns {b[0]} here but {a[0]} at line {getattr(a[1], 'lineno', '?')}",
            "a compiled function returns one type (int and float mix as float)")

    def _return_value(self, value: Expr) -> Expr:
        if self.ret is None or self.ret == UNKNOWN or value.type == UNKNOWN:
            return value
        if unify(value.type, self.ret) != self.ret:
            return value  # a conflict: reported when the pass joins the returns
        return self._cast(value, self.ret, None)

    # -- statements

    def block(self, stmts: list[ast.stmt]) -> tuple[Stmt, ...]:
        out: list[Stmt] = []
        for node in stmts:
            if self.assigned is None:
                break  # unreachable (after return/break/continue): Python never runs it
            self._stmt(node, out)
        return tuple(out)

    def _stmt(self, node: ast.stmt, out: list[Stmt]) -> None:
        handler = getattr(self, "_s_" + type(node).__name__, None)
        if handler is None:
            message, hint = UNSUPPORTED.get(
                type(node).__name__, (f"{type(node).__name__} statements are not supported", None))
            raise self.error(node, message, hint or FALLBACK_HINT)
        handler(node, out)

    def _s_Pass(self, node: ast.Pass, out: list[Stmt]) -> None:
        out.append(Pass(self.span(node)))

    def _s_Expr(self, node: ast.Expr, out: list[Stmt]) -> None:
        if isinstance(node.value, ast.Constant):
            return  # a docstring or a bare literal: nothing to run
        value = self.expr(node.value)
        if value.type != UNKNOWN:
            out.append(ExprStmt(value, self.span(node)))

    def _s_FunctionDef(self, node: ast.FunctionDef, out: list[Stmt]) -> None:
        pass  # an inner def: known by name in the whole body (closures.py), no code here

    def _s_Assign(self, node: ast.Assign, out: list[Stmt]) -> None:
        if isinstance(node.value, ast.Lambda) and closure_rules.is_definition(self, node):
            return  # `name = lambda ...`: an inner function like a def (closures.py)
        value = self.expr(node.value)
        if len(node.targets) > 1 and not isinstance(value, (Const, Name)):
            temp = self.new_temp()
            self.bind_name(temp, value, node, out)
            value = Name(temp, self.env.get(temp, UNKNOWN), value.span)
        for target in node.targets:
            self._bind(target, value, out)

    def _s_AugAssign(self, node: ast.AugAssign, out: list[Stmt]) -> None:
        if isinstance(node.target, ast.Subscript):
            container = self.expr(node.target.value)
            if isinstance(container.type, List):  # xs[i] += v: lists.py
                list_rules.aug_setitem(self, node, BINOPS[type(node.op)], container, out)
                return
            fancy_rules.refuse_augmented(self, node.target)  # a[mask] += v: fancy.py
            view = array_rules.aug_setitem(self, node, BINOPS[type(node.op)], out)
            if view is not None:  # a[1:] += b: the view updated in place
                array_exprs.aug_assign(self, node, BINOPS[type(node.op)], view, out)
            return
        if not isinstance(node.target, ast.Name):
            raise self.error(node.target, "augmented assignment to this target is not supported",
                             "assign to a local variable")
        current = self.read_local(node.target.id, node.target)
        if isinstance(current.type, List):  # xs += ys: extended in place
            list_rules.aug_assign(self, node, BINOPS[type(node.op)], current, out)
            return
        if isinstance(current.type, Array):  # a += b: written into a's memory
            array_exprs.aug_assign(self, node, BINOPS[type(node.op)], current, out)
            return
        right = self.expr(node.value)
        result = self.binop(BINOPS[type(node.op)], current, right, node)
        self._bind(node.target, result, out)

    def _s_AnnAssign(self, node: ast.AnnAssign, out: list[Stmt]) -> None:
        if not isinstance(node.target, ast.Name):
            raise self.error(node.target, "annotated assignment to this target is not supported")
        ann = node.annotation
        t = TYPE_NAMES.get(ann.id) if isinstance(ann, ast.Name) else None
        if t is None:
            t = list_rules.annotation(self, ann)  # xs: list[float] = []
        if t is None:
            raise self.error(ann, f"annotation {ast.unparse(ann)} is not supported",
                             "annotate locals with int, float or bool")
        self.declare(node.target.id, t, node)
        if node.value is not None:
            self._bind(node.target, self.expr(node.value), out)

    def _bind(self, target: ast.expr, value: Expr, out: list[Stmt]) -> None:
        if isinstance(target, ast.Name):
            self.bind_name(target.id, value, target, out)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target, value, out)
            return
        if isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            if isinstance(container.type, List):  # xs[i] = v: lists.py
                list_rules.setitem(self, target, value, container, out)
                return
            if array_funcs.setitem(self, target, value, out):  # a[i, j] = v: array_funcs.py
                return
            if fancy_rules.array_index(self, target) is not None:  # a[mask] = v: fancy.py
                fancy_rules.setitem(self, target, value, out)
                return
            array_rules.setitem(self, target, value, out)
            return
        what = {"Subscript": "an item", "Attribute": "an attribute", "Starred": "a *target"}
        raise self.error(target, f"assigning to {what.get(type(target).__name__, 'this')} is "
                         "not supported", "assign to a local variable")

    def bind_name(self, name: str, value: Expr, node: ast.AST, out: list[Stmt]) -> None:
        local = self.declare(name, value.type, node)
        if self.assigned is not None:
            self.assigned = self.assigned | {name}
        if local is not None and local != UNKNOWN and value.type != UNKNOWN:
            out.append(Assign(name, self._cast(value, local, node), self.span(node)))

    def _cast(self, value: Expr, to: Type, node: ast.AST | None) -> Expr:
        """``cast``, its refusal (an empty list of unknown items) as a diagnostic."""
        try:
            return cast(value, to)
        except RuleError as exc:
            raise self.error(node, exc.message, exc.hint) from None

    def _unpack(self, target: ast.Tuple | ast.List, value: Expr, out: list[Stmt]) -> None:
        for elt in target.elts:
            if isinstance(elt, ast.Starred):
                raise self.error(elt, "*-unpacking is not supported", "unpack every item by name")
        t = value.type
        n = len(target.elts)
        if t == UNKNOWN:
            for elt in target.elts:
                self._bind(elt, value, out)
            return
        if not isinstance(t, Tuple):
            raise self.error(target, f"cannot unpack a {t} into {n} variables",
                             "only tuples can be unpacked")
        if len(t.items) != n:
            raise self.error(target, f"cannot unpack a tuple of {len(t.items)} items into "
                             f"{n} variables")
        temp = self.new_temp()  # the value is computed once, before any target is bound
        self.bind_name(temp, value, target, out)
        holder = Name(temp, self.env.get(temp, t), value.span)
        for i, (elt, item_t) in enumerate(zip(target.elts, holder.type.items, strict=True)):  # type: ignore[union-attr]
            self._bind(elt, TupleGet(holder, i, item_t, value.span), out)

    def _s_If(self, node: ast.If, out: list[Stmt]) -> None:
        test = self.condition(node.test)
        start = self.assigned
        body = self.block(node.body)
        after_body, self.assigned = self.assigned, start
        orelse = self.block(node.orelse)
        self.assigned = _meet(after_body, self.assigned)
        out.append(If(test, body, orelse, self.span(node)))

    def _s_While(self, node: ast.While, out: list[Stmt]) -> None:
        test = self.condition(node.test)
        forever = isinstance(test, Const) and test.value is True
        body, orelse = self._loop(node.body, node.orelse, self.assigned, forever=forever)
        out.append(While(test, body, orelse, self.span(node)))

    def _s_Delete(self, node: ast.Delete, out: list[Stmt]) -> None:
        list_rules.delete(self, node, out)  # del xs[i]: lists.py

    def _s_For(self, node: ast.For, out: list[Stmt]) -> None:
        if list_rules.for_list(self, node, out):  # for x in xs, enumerate(xs) ...
            return
        if not self._is_range_call(node.iter):
            if array_rules.for_array(self, node, out):
                return
        bounds = self._range_bounds(node.iter)
        if not isinstance(node.target, ast.Name):
            raise self.error(node.target, "a for loop target must be one name",
                             "write: for i in range(n): and unpack inside the loop")
        name = node.target.id
        local = self.declare(name, INT64, node.target)
        prologue: tuple[Stmt, ...] = ()
        var = name
        if local is not None and local != INT64:  # `i` is also assigned a float elsewhere
            var = self.new_temp()
            self.declare(var, INT64, node.target)
            span = self.span(node.target)
            prologue = (Assign(name, cast(Name(var, INT64, span), local), span),)
        body, orelse = self.loop_body(node, name, prologue)
        # prange without parallel=True is a serial range loop, as in Numba.
        parallel = self.unit.options.parallel and self._is_prange_call(node.iter)
        out.append(ForRange(var, *bounds, body, orelse, self.span(node), parallel))

    def loop_body(self, node: ast.For, target: str, prologue: tuple[Stmt, ...] = ()
                  ) -> tuple[tuple[Stmt, ...], tuple[Stmt, ...]]:
        """Type a for loop's body (after ``prologue``) and its ``else``, tracking which
        names are definitely assigned: the target inside the body, and after the loop only
        what holds on every exit (no iteration, the ``else``, each ``break``)."""
        inside = None if self.assigned is None else self.assigned | {target}
        return self._loop(node.body, node.orelse, inside, prologue)

    def _loop(self, body: list[ast.stmt], orelse: list[ast.stmt],
              inside: frozenset[str] | None, prologue: tuple[Stmt, ...] = (),
              forever: bool = False) -> tuple[tuple[Stmt, ...], tuple[Stmt, ...]]:
        """A loop's body (entered with ``inside`` assigned, after ``prologue``) and its
        ``else``; afterwards ``assigned`` holds what every exit has: the ``else``'s end
        (none for ``while True``, which only a break leaves) met with each ``break``."""
        start = self.assigned
        self.assigned = inside
        self.loops.append([])
        typed_body = prologue + self.block(body)
        breaks = self.loops.pop()
        self.assigned = start
        typed_orelse: tuple[Stmt, ...] = ()
        if forever:
            self.assigned = None
        else:
            typed_orelse = self.block(orelse)
        for state in breaks:
            self.assigned = _meet(self.assigned, state)
        return typed_body, typed_orelse

    def _is_range_call(self, node: ast.expr) -> bool:
        if not isinstance(node, ast.Call):
            return False
        return self.callee_name(node.func) == "range" or self._is_prange_call(node)

    def _is_prange_call(self, node: ast.expr) -> bool:
        """``prange(...)`` (ember's, native/prange.py): a range for the typer."""
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.local_names:
            return False
        try:
            value, _, _ = self.static(func)
        except (RuleError, EmberError):
            return False
        return is_prange(value)

    def _range_bounds(self, node: ast.expr) -> tuple[Expr, Expr, Expr]:
        if not self._is_range_call(node):
            raise self.error(node, "for loops can only iterate over range(...)",
                             "write: for i in range(len(t)) or for i in range(start, stop, step)")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.error(node, "range() takes positional arguments only")
        if not 1 <= len(node.args) <= 3:
            raise self.error(node, f"range expected 1 to 3 arguments, got {len(node.args)}")
        args = []
        for i, arg in enumerate(node.args, start=1):
            value = self.expr(arg)
            if isinstance(value.type, NpScalar) and value.type.dtype.kind in "iub":
                value = Cast(value, INT64, value.span)  # range(a.sum()): NumPy's __index__
            if value.type not in (INT64, BOOL, UNKNOWN):
                raise self.error(arg, f"range() argument {i} must be an int, not {value.type}",
                                 "convert it with int(x)")
            args.append(cast(value, INT64) if value.type != UNKNOWN else value)
        span = self.span(node)
        if len(args) == 1:
            args = [Const(0, INT64, span), args[0]]
        if len(args) == 2:
            args.append(Const(1, INT64, span))
        if isinstance(args[2], Const) and args[2].value == 0:
            raise self.error(node.args[2], "range() arg 3 must not be zero")
        return args[0], args[1], args[2]

    def _s_Break(self, node: ast.Break, out: list[Stmt]) -> None:
        assert self.assigned is not None
        self.loops[-1].append(self.assigned)
        self.assigned = None
        out.append(Break(self.span(node)))

    def _s_Continue(self, node: ast.Continue, out: list[Stmt]) -> None:
        self.assigned = None
        out.append(Continue(self.span(node)))

    def _s_Raise(self, node: ast.Raise, out: list[Stmt]) -> None:
        exception_rules.raise_stmt(self, node, out)  # raise, try and assert: exceptions.py

    def _s_Try(self, node: ast.Try, out: list[Stmt]) -> None:
        exception_rules.try_stmt(self, node, out)

    def _s_Assert(self, node: ast.Assert, out: list[Stmt]) -> None:
        exception_rules.assert_stmt(self, node, out)

    def _s_Return(self, node: ast.Return, out: list[Stmt]) -> None:
        span = self.span(node)
        value = Const(None, NONE, span) if node.value is None else self.expr(node.value)
        if value.type == STR:
            raise self.error(node.value, "a compiled function cannot return a string",
                             "strings are only supported as print() arguments")
        self.returns.append((value.type, node))
        self.assigned = None
        out.append(Return(self._return_value(value), span))

# ---------------------------------------------------------------- helpers


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Names assigned on both paths; None stands for a path that never gets here."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _assigned_names(body: list[ast.stmt]) -> set[str]:
    """Every name a function body binds (Python's rule for what is local)."""
    names: set[str] = set()
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return names
