"""Typing of expressions: an ``ast`` expression → a typed IR expression, for one
function being typed (the statements and the fixpoint are in :mod:`ember.native.frontend.statements`).

    x * 2 + 0.5   (x: int64)   →   (cast((x:int64 * 2:int64):int64):float64 + 0.5:float64):float64

Names resolve as Python resolves them: a local, else a closure cell, a module global, a
builtin. Globals that are constants become :class:`Const` (recorded as captured);
builtins and math functions are known by identity (:mod:`ember.native.frontend.builtins`);
``@jit`` functions become :class:`CallJit` of a specialization in the same unit.
Array expressions are handed to :mod:`ember.native.frontend.arrays`.
"""

from __future__ import annotations

import ast
import types
from typing import TYPE_CHECKING, Any

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.frontend import array_funcs, complex_arrays, creation, creation_shapes, np_scalars
from ember.native.frontend import arrays as array_rules
from ember.native.frontend import closures as closure_rules
from ember.native.frontend import complex as complex_rules
from ember.native.frontend import elementwise as array_exprs
from ember.native.frontend import exceptions as exception_rules
from ember.native.frontend import fancy as fancy_rules
from ember.native.frontend import fft as fft_rules
from ember.native.frontend import linalg as linalg_rules
from ember.native.frontend import lists as list_rules
from ember.native.frontend import random_calls as random_rules
from ember.native.frontend.builtins import builtin_name, cast, truth, type_call
from ember.native.frontend.calls import Default, bind_arguments
from ember.native.frontend.complex_arrays import real_only
from ember.native.frontend.operators import (
    RuleError,
    binop_types,
    compare_types,
    folded_int,
    unary_types,
)
from ember.native.frontend.source import FALLBACK_HINT, MISSING, FunctionSource
from ember.native.frontend.ufunc_types import UFuncTypeError
from ember.native.frontend.unknown import UNKNOWN
from ember.native.ir.arrays import ArrayDim
from ember.native.ir.nodes import (
    BinOp,
    BoolOp,
    CallJit,
    Compare,
    Const,
    Expr,
    IfExp,
    MakeTuple,
    Name,
    Stmt,
    TupleGet,
    UnaryOp,
)
from ember.native.types import (
    BOOL,
    FLOAT64,
    INT64,
    INT64_MAX,
    INT64_MIN,
    NONE,
    STR,
    Array,
    DTypeValue,
    Function,
    List,
    Tuple,
    Type,
    unify,
)

if TYPE_CHECKING:
    from ember.native.frontend.statements import UnitBuilder


class UndefinedNameError(EmberError, NameError):
    """Compiled code reads a free name that has no value (yet). At decoration this is
    how an annotated recursive function sees its own name, or mutually recursive ones
    the later function's: the decorator has not returned, so the module-level name is
    not bound. The dispatcher then compiles at the first call instead."""


BINOPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
    ast.BitOr: "|", ast.BitXor: "^", ast.MatMult: "@",
}  # fmt: skip
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~", ast.Not: "not"}
_CMPOPS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "isnot", ast.In: "in", ast.NotIn: "notin",
}  # fmt: skip

# What the subset lacks, by ast node class name: (message, hint or None for the default).
UNSUPPORTED = {
    "Dict": ("dicts are not supported", None),
    "DictComp": ("dict comprehensions are not supported", None),
    "Set": ("sets are not supported", None),
    "SetComp": ("set comprehensions are not supported", None),
    "GeneratorExp": ("generator expressions are not supported", "write a for loop"),
    "JoinedStr": ("f-strings are not supported", "print the values: print('x =', x)"),
    "NamedExpr": ("assignment expressions (:=) are not supported", "assign on its own line"),
    "Await": ("await is not supported", None),
    "Yield": ("yield is not supported", None),
    "YieldFrom": ("yield is not supported", None),
    "Starred": ("*-unpacking is not supported", None),
    "Slice": ("slices are not supported", None),
    "TryStar": ("try statements are not supported", None),
    "With": ("with statements are not supported", None),
    "AsyncWith": ("with statements are not supported", None),
    "AsyncFor": ("async for is not supported", None),
    "Global": ("'global' statements are not supported",
               "compiled code reads module constants at compile time and cannot rebind "
               "them; return the value instead"),
    "Nonlocal": ("'nonlocal' statements are not supported (inner functions read the "
                 "enclosing locals, they cannot rebind them)",
                 "return the new value from the inner function and assign it in the "
                 "enclosing one: x = g(x)"),
    "AsyncFunctionDef": ("nested functions are not supported", None),
    "ClassDef": ("classes are not supported", None),
    "Import": ("import inside a compiled function is not supported", "import at module level"),
    "ImportFrom": ("import inside a compiled function is not supported",
                   "import at module level"),
    "Delete": ("del is not supported", None),
    "Match": ("match statements are not supported", "use if/elif"),
    "TypeAlias": ("type statements are not supported", None),
}


class ExprTyper:
    """The expression half of a function's typer, and the typer's public API: what the
    rule modules (:mod:`ember.native.frontend.arrays` and the next construct families)
    may use. :class:`ember.native.frontend.statements.FunctionTyper` adds the statements,
    owns the state and implements the statement-side methods declared here.

    State (read it; ``captured`` and ``env`` change only through the methods below,
    except that a rule folding a global in records it in ``captured``):

    - ``src``: the :class:`FunctionSource` (``src.source`` is the file's text for a
      diagnostic, ``src.lookup`` resolves a free name); ``tree``: the function's
      ``ast.FunctionDef``; ``param_names``: its parameters, in order.
    - ``env``: each local's type so far (it only widens from pass to pass);
      ``local_names``: every name the body binds; ``captured``: globals folded in as
      constants (dotted name → repr, part of the native cache key).
    - ``assigned``: the locals definitely assigned here (None: unreachable).

    Expressions: ``expr(node)`` types an expression, ``condition(node)`` a test;
    ``binop(op, left, right, node)`` types ``left op right`` of typed operands;
    ``static(node)`` is a global's compile-time value; ``read_local(name, node)`` a
    local's read (an error where it may be unassigned); ``unknown(node)`` the
    placeholder of an expression waiting for a recursive call's type.

    Statements: ``declare(name, t, node)`` widens a local to hold ``t``;
    ``new_temp()`` names a fresh temporary; ``bind_name(name, value, node, out)``
    assigns a typed value (appending the :class:`Assign` to ``out``); ``block(stmts)``
    types a statement list; ``loop_body(node, target, prologue)`` a for loop's body
    and ``else`` with the definite-assignment bookkeeping.

    Diagnostics: ``span(node)`` is a node's span; ``error(node, message, hint)`` the
    :class:`EmberError` to raise (at the def line when ``node`` is None).
    """

    unit: UnitBuilder
    src: FunctionSource
    tree: ast.FunctionDef
    param_names: tuple[str, ...]
    def_span: Span
    env: dict[str, Type]
    local_names: set[str]
    assigned: frozenset[str] | None
    captured: dict[str, str]
    handlers: list[str | None]  # enclosing except clauses' `as` names (exceptions.py)
    local_functions: dict[str, closure_rules.InnerFunction]  # inner defs by name (closures.py)

    # -- the statement side, implemented by FunctionTyper

    def declare(self, name: str, t: Type, node: ast.AST) -> Type | None:  # pragma: no cover
        raise NotImplementedError

    def new_temp(self) -> str:  # pragma: no cover
        raise NotImplementedError

    def bind_name(self, name: str, value: Expr, node: ast.AST, out: list[Stmt]
                  ) -> None:  # pragma: no cover
        raise NotImplementedError

    def block(self, stmts: list[ast.stmt]) -> tuple[Stmt, ...]:  # pragma: no cover
        raise NotImplementedError

    def loop_body(self, node: ast.For, target: str, prologue: tuple[Stmt, ...] = ()
                  ) -> tuple[tuple[Stmt, ...], tuple[Stmt, ...]]:  # pragma: no cover
        raise NotImplementedError

    # -- diagnostics

    def error(self, node: ast.AST | None, message: str, hint: str | None = None) -> EmberError:
        if node is None:
            return EmberError(Diagnostic(self.def_span, message, hint), self.src.source)
        return self.src.error(node, message, hint)

    def span(self, node: ast.AST) -> Span:
        return Span.of(self.src.path, node)


    def expr(self, node: ast.expr) -> Expr:
        handler = getattr(self, "_e_" + type(node).__name__, None)
        if handler is None:
            message, hint = UNSUPPORTED.get(
                type(node).__name__, (f"{type(node).__name__} expressions are not supported",
                                      None))
            raise self.error(node, message, hint or FALLBACK_HINT)
        try:
            return handler(node)
        except RuleError as exc:
            raise self.error(node, exc.message, exc.hint) from None

    def condition(self, node: ast.expr) -> Expr:
        """``node`` as a bool test: ``and``/``or``/``not`` of truth tests, so no operand
        is converted just to be tested."""
        if isinstance(node, ast.BoolOp):
            values = tuple(self.condition(v) for v in node.values)
            op = "and" if isinstance(node.op, ast.And) else "or"
            return BoolOp(op, values, BOOL, self.span(node))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            value = self.condition(node.operand)
            if isinstance(value, Const):
                return Const(not value.value, BOOL, self.span(node))
            return UnaryOp("not", value, BOOL, self.span(node))
        value = self.expr(node)
        if value.type == UNKNOWN:
            return value
        try:
            return truth(value)
        except RuleError as exc:
            raise self.error(node, exc.message, exc.hint) from None

    def unknown(self, node: ast.AST) -> Expr:
        return Const(None, UNKNOWN, self.span(node))

    def _e_Constant(self, node: ast.Constant) -> Expr:
        return self._literal(node.value, node)

    def _literal(self, value: Any, node: ast.AST) -> Expr:
        span = self.span(node)
        if isinstance(value, bool):
            return Const(value, BOOL, span)
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                raise self.error(node, f"the integer {value} does not fit in int64",
                                 "compiled ints are 64-bit; use a float for larger values")
            return Const(value, INT64, span)
        if isinstance(value, float):
            return Const(value, FLOAT64, span)
        if isinstance(value, complex):
            return complex_rules.literal(value, self, node)
        if value is None:
            return Const(None, NONE, span)
        if isinstance(value, str):
            return Const(value, STR, span)
        raise self.error(node, f"{type(value).__name__} literals are not supported",
                         FALLBACK_HINT)

    def _e_Name(self, node: ast.Name) -> Expr:
        if node.id in self.handlers:  # `e` of `except E as e`: only re-raised
            raise exception_rules.caught_name_error(self, node, node.id)
        if node.id in self.local_functions:  # an inner def as a value: closures.py
            return closure_rules.function_value(self, self.local_functions[node.id], node)
        if node.id in self.local_names:
            return self.read_local(node.id, node)
        value = self._lookup(node.id, node)
        return self._static_expr(value, node, node.id, capture=True)

    def read_local(self, name: str, node: ast.AST) -> Expr:
        if self.assigned is not None and name not in self.assigned:
            raise self.error(
                node, f"local variable '{name}' may be used before it is assigned",
                f"assign '{name}' on every path before this line (for example before the if "
                "or the loop)")
        return Name(name, self.env.get(name, UNKNOWN), self.span(node))

    def _lookup(self, name: str, node: ast.AST) -> Any:
        value = self.src.lookup(name)
        if value is MISSING:
            raise UndefinedNameError(
                Diagnostic(self.span(node), f"name '{name}' is not defined",
                           "compiled code can read locals, module constants, builtins, "
                           "math and @jit functions"),
                self.src.source)
        return value

    def static(self, node: ast.expr) -> tuple[Any, str, bool]:
        """The compile-time value of a global name or ``module.attr`` chain: (value,
        dotted name, whether it is a user's value that must be recorded as captured)."""
        if isinstance(node, ast.Name):
            if node.id in self.local_names:
                t = self.env.get(node.id, UNKNOWN)
                raise RuleError(f"'{node.id}' is a local {t}; it has no attributes")
            value = self._lookup(node.id, node)
            return value, node.id, not isinstance(value, types.ModuleType)
        if isinstance(node, ast.Attribute):
            base, dotted, _ = self.static(node.value)
            dotted = f"{dotted}.{node.attr}"
            if not isinstance(base, (types.ModuleType, type)):
                raise RuleError(f"attribute access on {type(base).__name__} values is not "
                                "supported")
            if not hasattr(base, node.attr):
                raise RuleError(f"module '{getattr(base, '__name__', '?')}' has no attribute "
                                f"'{node.attr}'")
            user = getattr(base, "__name__", "") not in ("math", "builtins")
            return getattr(base, node.attr), dotted, user
        raise RuleError(f"{type(node).__name__} expressions are not supported here")

    def _e_Attribute(self, node: ast.Attribute) -> Expr:
        if not self._is_static(node.value):
            return self._value_attribute(node, self.expr(node.value))
        value, dotted, user = self.static(node)
        return self._static_expr(value, node, dotted, capture=user)

    def is_static(self, node: ast.expr) -> bool:
        """Whether ``node`` names something outside the function (see ``_is_static``)."""
        return self._is_static(node)

    def _is_static(self, node: ast.expr) -> bool:
        """Whether ``node`` names something outside the function (a global, a module
        attribute), as opposed to a value computed at run time."""
        if isinstance(node, ast.Name):
            return node.id not in self.local_names
        return isinstance(node, ast.Attribute) and self._is_static(node.value)

    def _value_attribute(self, node: ast.Attribute, value: Expr) -> Expr:
        """``x.attr`` of a run-time value: only arrays have attributes."""
        if isinstance(value.type, Array) and node.attr in creation.ATTRIBUTES:
            return creation.attribute(self, node, value)
        if isinstance(value.type, DTypeValue):
            return creation.dtype_attribute(self, node, value)
        if complex_rules.is_complex(value.type):
            return complex_rules.attribute(self, node, value)  # z.real, z.imag
        if isinstance(value.type, Array) and node.attr in ("real", "imag"):
            return complex_arrays.part(self, node, value, node.attr)  # views
        if isinstance(value.type, Array) or value.type == UNKNOWN:
            return array_rules.attribute(self, node, value)
        if isinstance(value.type, List):
            raise RuleError(f"lists have no attribute '{node.attr}' in compiled code",
                            "len(xs) is a list's length; for array attributes pass an array "
                            "(f(np.asarray(xs)))")
        raise RuleError(
            f"{value.type} values have no attribute '{node.attr}' in compiled code",
            "only arrays have attributes here (.shape, .ndim, .size); for numbers use "
            "functions instead, e.g. abs(x), int(x), float(x), math.isfinite(x)",
        )

    def _static_expr(self, value: Any, node: ast.AST, dotted: str, capture: bool) -> Expr:
        """A global's value as a constant expression (recorded in ``captured``)."""
        dtype = creation.constant(value, self.span(node))
        if dtype is not None:  # np.float32, a global dtype: a compile-time value
            if capture:
                self.captured[dotted] = f"dtype:{dtype.type}"
            return dtype
        if _is_constant(value):
            expr = self._constant(value, node)
            if capture:
                self.captured[dotted] = repr(value)
            return expr
        if isinstance(value, closure_rules.InnerFunction):  # an enclosing def's inner def
            return closure_rules.function_value(self, value, node)
        if getattr(value, "__ember_jit__", False):  # apply(sq, x): a function value
            return closure_rules.function_value(self, value.py_func, node)
        if builtin_name(value) is not None:
            raise RuleError(f"'{dotted}' is a function; compiled code can only call it",
                            f"call it: {dotted}(...)")
        kind = "a module" if isinstance(value, types.ModuleType) else f"a {type(value).__name__}"
        raise RuleError(f"global '{dotted}' is {kind}; compiled code can only read int, float, "
                        "bool, None and tuple constants from globals",
                        "pass the value as an argument")

    def _constant(self, value: Any, node: ast.AST) -> Expr:
        if isinstance(value, tuple):
            items = tuple(self._constant(v, node) for v in value)
            return MakeTuple(items, Tuple(tuple(i.type for i in items)), self.span(node))
        return self._literal(value, node)

    def _e_Lambda(self, node: ast.Lambda) -> Expr:
        return closure_rules.lambda_value(self, node)  # lambda-lifted: closures.py

    def _e_Tuple(self, node: ast.Tuple) -> Expr:
        items = tuple(self.expr(e) for e in node.elts)
        for e, item in zip(node.elts, items, strict=True):
            if item.type == STR:
                raise self.error(e, "a tuple cannot hold a string",
                                 "strings are only supported as print() arguments")
        if any(i.type == UNKNOWN for i in items):
            return self.unknown(node)
        return MakeTuple(items, Tuple(tuple(i.type for i in items)), self.span(node))

    def _e_List(self, node: ast.List) -> Expr:
        return list_rules.display(self, node)  # lists.py

    def _e_ListComp(self, node: ast.ListComp) -> Expr:
        return list_rules.comprehension(self, node)

    def _e_Subscript(self, node: ast.Subscript) -> Expr:
        value = self.expr(node.value)
        if isinstance(value.type, List):
            return list_rules.subscript(self, node, value)  # lst[i], lst[a:b]: lists.py
        if isinstance(value.type, Array):
            taken = array_funcs.subscript(self, node, value)  # a[i, j], a[idx_2d]: array_funcs
            if taken is not None:
                return taken
            index = fancy_rules.array_index(self, node)  # a[mask], a[idx]: fancy.py
            if index is not None:
                return fancy_rules.subscript(self, node, value, index)
            return array_rules.subscript(self, node, value)
        if isinstance(node.slice, ast.Slice):
            raise self.error(node.slice, "slices are not supported", FALLBACK_HINT)
        index = self.expr(node.slice)
        if value.type == UNKNOWN:
            return self.unknown(node)
        t = value.type
        if not isinstance(t, Tuple):
            raise RuleError(f"indexing a {t} is not supported", "only tuples can be indexed")
        if not (isinstance(index, Const) and index.type in (INT64, BOOL)):
            raise self.error(node.slice, "a tuple index must be a constant int",
                             "tuple items may have different types, so the index must be "
                             "known at compile time; unpack the tuple instead")
        i = int(index.value)  # type: ignore[arg-type]
        n = len(t.items)
        if not -n <= i < n:
            raise self.error(node.slice, f"tuple index {i} out of range for a {t}")
        i %= n
        if isinstance(value, MakeTuple) and all(_pure(v) for v in value.items):
            return value.items[i]  # (a, b)[1] and a.shape[0]: no tuple is built
        return TupleGet(value, i, t.items[i], self.span(node))

    def _e_BinOp(self, node: ast.BinOp) -> Expr:
        return self.binop(BINOPS[type(node.op)], self.expr(node.left), self.expr(node.right),
                           node)

    def binop(self, op: str, left: Expr, right: Expr, node: ast.AST) -> Expr:
        if UNKNOWN in (left.type, right.type):
            return self.unknown(node)
        if isinstance(left.type, List) or isinstance(right.type, List):
            return list_rules.binop(self, op, left, right, node)  # a + b, [0] * n
        if op == "@" and (isinstance(left.type, Array) or isinstance(right.type, Array)):
            return linalg_rules.matmul_operator(self, left, right, node)  # linalg.py
        if isinstance(left.type, Array) or isinstance(right.type, Array):
            return array_exprs.binop(self, op, left, right, node)
        if np_scalars.involved(left.type, right.type):  # NumPy's scalar rules
            return self._numpy(node, np_scalars.binop, op, left, right, self.span(node))
        if complex_rules.involves(left.type, right.type):
            return complex_rules.binop(self, op, left, right, node)  # frontend/complex.py
        # The exponent of int ** int decides the result's type, as in CPython, when it is
        # known at compile time: `x ** -2`, `x ** ~True`, `x ** (1 - K)` are floats.
        exponent = folded_int(right)
        try:
            operand, result = binop_types(op, left.type, right.type, exponent)  # type: ignore[arg-type]
        except RuleError as exc:
            raise self.error(node, exc.message, exc.hint) from None
        return BinOp(op, cast(left, operand), cast(right, operand), result, self.span(node))

    def _numpy(self, node: ast.AST, rule: Any, *args: Any) -> Expr:
        """A NumPy-scalar rule; NumPy's "no loop" is a compile error that is also a
        TypeError, as NumPy's UFuncTypeError is."""
        try:
            return rule(*args)
        except UFuncTypeError as exc:
            raise array_exprs.ArrayTypeError(Diagnostic(self.span(node), exc.message, exc.hint),
                                             self.src.source) from None

    def _e_UnaryOp(self, node: ast.UnaryOp) -> Expr:
        op = _UNARY[type(node.op)]
        if op == "not":
            return self.condition(node)
        operand = node.operand
        if isinstance(operand, ast.Constant) and type(operand.value) in (int, float) and op != "~":
            folded = -operand.value if op == "-" else operand.value
            return self._literal(folded, node)  # -9223372036854775808 fits; its digits don't
        value = self.expr(operand)
        if value.type == UNKNOWN:
            return self.unknown(node)
        if isinstance(value.type, Array):
            return array_exprs.unary(self, op, value, node)
        if np_scalars.involved(value.type):
            return self._numpy(node, np_scalars.unary, op, value, self.span(node))
        if complex_rules.is_complex(value.type):
            return complex_rules.unary(self, op, value, node)
        operand_t, result = unary_types(op, value.type)
        return UnaryOp(op, cast(value, operand_t), result, self.span(node))

    def _e_BoolOp(self, node: ast.BoolOp) -> Expr:
        op = "and" if isinstance(node.op, ast.And) else "or"
        values = tuple(self.expr(v) for v in node.values)
        if any(v.type == UNKNOWN for v in values):
            return self.unknown(node)
        joined: Type | None = values[0].type
        for v in values:
            if v.type == STR:
                raise RuleError(f"a string cannot be an operand of '{op}'")
            joined = unify(joined, v.type) if joined is not None else None
        if joined is None:
            kinds = " and ".join(sorted({str(v.type) for v in values}))
            raise RuleError(f"the operands of '{op}' have incompatible types {kinds}",
                            "make both sides the same kind of value")
        return BoolOp(op, tuple(cast(v, joined) for v in values), joined, self.span(node))

    def _e_Compare(self, node: ast.Compare) -> Expr:
        folded = creation.compare_dtypes(self, node)  # a.dtype == np.float64
        if folded is not None:
            return folded
        ops = tuple(_CMPOPS[type(o)] for o in node.ops)
        operands = tuple(self.expr(e) for e in (node.left, *node.comparators))
        if any(v.type == UNKNOWN for v in operands):
            return self.unknown(node)
        if any(isinstance(v.type, List) for v in operands):
            return list_rules.compare(self, ops, operands, node)  # x in xs, a == b
        if any(isinstance(v.type, Array) for v in operands):
            return array_exprs.compare(self, ops, operands, node)
        if np_scalars.involved(*(v.type for v in operands)):
            return self._numpy(node, np_scalars.compare, ops, operands, self.span(node))
        if complex_rules.involves(*(v.type for v in operands)):
            return complex_rules.compare(self, ops, operands, node)  # == and != only
        wanted = list(compare_types(ops, tuple(v.type for v in operands)))
        for i, v in enumerate(operands):
            # An int literal next to a float compares as that float when the conversion
            # is exact, which spares the lowering an int-with-float comparison.
            neighbours = wanted[max(0, i - 1):i] + wanted[i + 1:i + 2]
            if (isinstance(v, Const) and wanted[i] == INT64 and FLOAT64 in neighbours
                    and abs(v.value) <= 2**53):  # type: ignore[arg-type]
                wanted[i] = FLOAT64
        casted = tuple(cast(v, t) for v, t in zip(operands, wanted, strict=True))
        return Compare(ops, casted, BOOL, self.span(node))

    def _e_IfExp(self, node: ast.IfExp) -> Expr:
        test = self.condition(node.test)
        if isinstance(test, Const) and test.type == BOOL:
            # Python evaluates only the live branch, so only it is typed: the dead one
            # must not widen the result (`x/2 if False else x//1` is an int).
            return self.expr(node.body if test.value else node.orelse)
        body, orelse = self.expr(node.body), self.expr(node.orelse)
        if test.type == UNKNOWN or body.type == orelse.type == UNKNOWN:
            return self.unknown(node)
        if UNKNOWN in (body.type, orelse.type):
            # One branch waits for a recursive call's return type, which the next round
            # knows: the other branch's type stands in for now, so that `return a if
            # b == 0 else f(b, a % b)` has a base case. A round that read an unknown
            # guess is always typed again, so this placeholder is never lowered.
            known = orelse if body.type == UNKNOWN else body
            return Const(None, known.type, self.span(node))
        joined = unify(body.type, orelse.type)
        if joined is None or joined == STR:
            raise RuleError(f"the branches of this conditional expression have incompatible "
                            f"types {body.type} and {orelse.type}",
                            "make both branches the same kind of value")
        return IfExp(test, cast(body, joined), cast(orelse, joined), joined, self.span(node))

    # -- calls

    def callee_name(self, func: ast.expr) -> str | None:
        """The builtin/math name a call's function denotes, without raising."""
        if isinstance(func, ast.Name) and func.id in self.local_names:
            return None
        try:
            value, _, _ = self.static(func)
        except (RuleError, EmberError):
            return None
        return builtin_name(value)

    def _e_Call(self, node: ast.Call) -> Expr:
        func = node.func
        local = self._local_call(node)  # inner defs, lambdas, function values: closures.py
        if local is not None:
            return local
        if isinstance(func, ast.Attribute) and not self._is_static(func.value):
            value = self.expr(func.value)  # a method call: arrays and lists have methods
            if isinstance(value.type, List):
                return list_rules.method_call(self, node, value)  # xs.append(x): lists.py
            if isinstance(value.type, Array) and func.attr in fancy_rules.METHODS:
                return real_only(fancy_rules.method_call(self, node, value), func.attr)
            if isinstance(value.type, Array) and func.attr in creation.METHODS:
                return creation.method_call(self, node, value)
            if complex_rules.is_complex(value.type):
                return complex_rules.method_call(self, node, value)  # z.conjugate()
            if isinstance(value.type, Array) or value.type == UNKNOWN:
                return array_rules.method_call(self, node, value)
            raise RuleError(
                f"{value.type} values have no method '{func.attr}' in compiled code",
                "only arrays have methods here (.copy(), .sum(), .min(), .max()); for numbers "
                "use builtins and math functions, e.g. math.floor(x), abs(x)",
            )
        if not isinstance(func, (ast.Name, ast.Attribute)):
            raise RuleError("only builtins, math functions and @jit functions can be called",
                            "name the function directly: f(x), math.sqrt(x), np.zeros(n)")
        value, dotted, _ = self.static(func)
        library = self._library_call(value, node)  # a sibling inner def, random.*
        if library is not None:
            return library
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.error(a, "*-arguments are not supported", "pass arguments one by one")
        for k in node.keywords:
            if k.arg is None:
                raise self.error(k, "**-arguments are not supported", "pass arguments by name")
        special = complex_arrays.call(self, value, node)  # complex(), cmath.*, np.real
        if special is not None:
            return special
        list_name = list_rules.builtin_name(value)  # sum, sorted, any, all ...: lists.py
        if list_name is not None and list_rules.applies(self, list_name, node):
            return list_rules.builtin_call(self, list_name, node)
        name = builtin_name(value)
        if name is not None:
            args = [self.expr(a) for a in node.args]
            keywords = {k.arg: self.expr(k.value) for k in node.keywords if k.arg}
            if any(a.type == UNKNOWN for a in (*args, *keywords.values())):
                return self.unknown(node)
            if any(isinstance(a.type, List) for a in args):
                return list_rules.builtin(self, name, args, node)  # len(xs), min(xs) ...
            if name == "len" and len(args) == 1 and isinstance(args[0].type, Array):
                return array_rules.length(args[0], self.span(node))
            if name == "abs" and len(args) == 1 and isinstance(args[0].type, Array):
                return array_exprs.ufunc(self, "absolute", args, node)
            if complex_rules.involves(*(a.type for a in args)):  # abs(z), pow(z, w)
                return complex_rules.builtin_call(self, name, args, keywords, node)
            return type_call(name, args, keywords, self.span(node))
        numpy_call = self._numpy_call(value, node)  # np.dot, np.sort, ufuncs, np.zeros ...
        if numpy_call is not None:
            return numpy_call
        if getattr(value, "__ember_jit__", False):
            return self.call_jit(value.py_func, dotted, node)
        if isinstance(value, types.FunctionType) and self.unit.is_compiling(value):
            return self.call_jit(value, dotted, node)  # a recursive call of an undecorated def
        if isinstance(value, types.FunctionType):
            raise RuleError(f"'{dotted}' is a plain Python function; compiled code can only call "
                            "@jit functions, builtins and math functions",
                            f"decorate {dotted} with @ember.jit")
        module = getattr(value, "__module__", None) or getattr(
            getattr(value, "__self__", None), "__name__", None)
        if module in ("builtins", "math"):
            prefix = "math." if module == "math" and not dotted.startswith("math.") else ""
            raise RuleError(f"{prefix}{dotted}() is not supported in compiled code",
                            "supported: abs, min, max, round, int, float, bool, len, range, "
                            "print, pow and the math module's number functions")
        if isinstance(value, type):
            raise RuleError(f"calling '{dotted}' (a class) is not supported", FALLBACK_HINT)
        raise RuleError(f"calling '{dotted}' ({type(value).__name__}) is not supported",
                        FALLBACK_HINT)

    def _local_call(self, node: ast.Call) -> Expr | None:
        """A call of an inner def, a lambda or a local holding a function value, else None
        (and an error for a local that holds something else)."""
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.local_functions:
            return closure_rules.call_inner(self, self.local_functions[func.id], node)
        if isinstance(func, ast.Lambda):  # (lambda x: x + 1)(y)
            return closure_rules.call_value(self, self.expr(func), node)
        if isinstance(func, ast.Name) and func.id in self.local_names:
            local = self.read_local(func.id, func)
            if local.type == UNKNOWN:
                return self.unknown(node)
            if isinstance(local.type, Function):  # a function passed in: apply(f, x)
                return closure_rules.call_value(self, local, node)
            raise RuleError(f"'{func.id}' is a local variable, not a function")
        return None

    def _library_call(self, value: object, node: ast.Call) -> Expr | None:
        """A call of an enclosing function's inner def, or of ``random.*`` /
        ``np.random.*`` (random_calls.py), else None."""
        if isinstance(value, closure_rules.InnerFunction):
            return closure_rules.call_inner(self, value, node)
        random_name = random_rules.function_name(value)
        if random_name is not None:
            return random_rules.call(self, random_name, node)
        return None

    def _numpy_call(self, value: object, node: ast.Call) -> Expr | None:
        """``np.f(...)`` typed by the rule module that knows ``f`` (by identity), or None;
        complex arrays refused where that rule has no complex loop (complex_arrays)."""
        rules = (
            (array_funcs.numpy_function_name, array_funcs.numpy_call),  # np.roll, linalg.norm
            (linalg_rules.numpy_function_name, linalg_rules.numpy_call),  # np.dot, linalg.solve
            (fft_rules.numpy_function_name, fft_rules.numpy_call),  # np.fft.fft ...
            (fancy_rules.numpy_function_name, fancy_rules.numpy_call),  # np.sort, np.unique ...
            (array_exprs.ufunc_name, array_exprs.call),
            (creation.numpy_function_name, creation_shapes.numpy_call),
            (array_rules.numpy_function_name, array_rules.numpy_call),
        )
        for find, rule in rules:
            name = find(value)
            if name is not None:
                return real_only(rule(self, name, node), name)  # type: ignore[operator]
        return None

    def call_jit(self, callee: types.FunctionType, dotted: str, node: ast.Call) -> Expr:
        # Keywords and defaults bound as CPython binds them (frontend/calls.py).
        args: list[Expr] = []
        arg_nodes: list[ast.AST] = []
        for item in bind_arguments(callee, node):
            if isinstance(item, Default):
                if not _is_constant(item.value):
                    raise RuleError(f"{dotted}() has a default value of type "
                                    f"{type(item.value).__name__}, which compiled code "
                                    "cannot pass", "pass every argument explicitly")
                args.append(self._constant(item.value, node))
                arg_nodes.append(node)
            else:
                args.append(self.expr(item))
                arg_nodes.append(item)
        for a, arg_node in zip(args, arg_nodes, strict=True):
            if a.type == STR:
                raise self.error(arg_node, "a string cannot be passed to a @jit function",
                                 "strings are only supported as print() arguments")
        if any(a.type == UNKNOWN for a in args):
            return self.unknown(node)
        symbol, ret = self.unit.specialize(callee, tuple(a.type for a in args))
        if ret == UNKNOWN:
            return self.unknown(node)
        return CallJit(symbol, tuple(args), ret, self.span(node))


# ---------------------------------------------------------------- helpers


def _pure(value: Expr) -> bool:
    """Whether evaluating ``value`` can be skipped: no call, no error, no effect."""
    if isinstance(value, (Const, Name)):
        return True
    return isinstance(value, ArrayDim) and isinstance(value.array, Name)


def _is_constant(value: object) -> bool:
    if value is None or type(value) in (bool, int, float, complex, str):
        return True
    return type(value) is tuple and all(_is_constant(v) for v in value)  # type: ignore[union-attr]
