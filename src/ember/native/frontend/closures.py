"""Inner functions, lambdas and functions as values: an inner ``def`` or a ``lambda`` →
a specialization of its own (lambda-lifted: the enclosing locals it reads become extra
parameters), a function value → a :class:`~ember.native.types.Function` whose calls are
direct calls.

    def norm(xs, p):                    def norm(xs, p):  (as compiled)
        def term(x):                        ... CallJit(term, (x, p))
            return abs(x) ** p          term(x, *, p)    (p: the captured local)
        ...term(x)...

Rules (each as Python's, or refused with a diagnostic):

- An inner ``def`` or ``name = lambda ...`` bound once in the body is known by name in
  the whole body (as Python's local is, once the ``def`` ran). It reads the enclosing
  function's locals (read-only: ``nonlocal`` is refused); their values are taken where
  the function is called, so a local rebound after the ``def`` is seen, as with a cell.
- A function used as a value (``apply(sq, x)``, ``key=lambda x: -x``, ``f = g``) is a
  :class:`Function`: its run-time value is the captured locals, read where the value is
  made. Calls through it specialize on that function, so there is no indirect call.
- Defaults of inner functions must be constants (they are evaluated at ``def`` time in
  Python: a constant is the same value either way).
"""

from __future__ import annotations

import ast
import copy
import types
from typing import TYPE_CHECKING, Any

from ember.native.frontend.calls import Default, bind_arguments
from ember.native.frontend.operators import RuleError
from ember.native.frontend.source import FunctionSource
from ember.native.frontend.unknown import UNKNOWN
from ember.native.function_values import ident_of, register, target
from ember.native.ir.nodes import CallJit, Expr, MakeTuple, TupleGet
from ember.native.types import STR, Function

if TYPE_CHECKING:
    from ember.native.frontend.expressions import ExprTyper


class InnerFunction:
    """One inner ``def`` or ``lambda`` of a function being compiled: its lifted source
    (the captured names appended as keyword-only parameters) and what it captures."""

    __slots__ = ("captures", "ident", "node", "shim", "source")

    def __init__(self, source: FunctionSource, node: ast.FunctionDef | ast.Lambda,
                 captures: tuple[str, ...], shim: types.FunctionType, ident: str) -> None:
        self.source = source
        self.node = node
        self.captures = captures
        self.shim = shim  # a Python function with the same parameters: CPython binds calls
        self.ident = ident

    def __repr__(self) -> str:
        return f"<inner function {self.source.qualname}>"


_INNER: dict[tuple[int, int], InnerFunction] = {}  # by (enclosing function, node) ids


def source_of(func: object) -> FunctionSource | None:
    """The lifted source of an inner function, None for any other function."""
    return func.source if isinstance(func, InnerFunction) else None


# ------------------------------------------------------------ definitions


def local_functions(typer: ExprTyper) -> dict[str, InnerFunction]:
    """The inner functions ``typer``'s body binds by name: each ``def`` and ``name =
    lambda``, when that is the only binding of the name."""
    found: dict[str, ast.FunctionDef | ast.Lambda] = {}
    stores: dict[str, int] = {}
    for node in _own_nodes(typer.tree.body):
        if isinstance(node, ast.FunctionDef):
            found[node.name] = node
            stores[node.name] = stores.get(node.name, 0) + 1
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Lambda)):
            found[node.targets[0].id] = node.value
    for name, node in found.items():
        if stores.get(name, 0) > 1:
            what = "def" if isinstance(node, ast.FunctionDef) else "lambda"
            raise typer.error(node, f"'{name}' is a nested function ({what}) and is also "
                              "bound elsewhere in this function",
                              "give the nested function a name of its own")
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            raise typer.error(node.decorator_list[0], "decorators on nested functions are not "
                              "supported", "remove the decorator: nested functions are "
                              "compiled with the function that defines them")
    variables = typer.local_names - set(found)
    names = {n: _free_names(node) for n, node in found.items()}
    captures = {n: free & variables for n, free in names.items()}
    changed = True
    while changed:  # a function calling a sibling captures what the sibling captures
        changed = False
        for n, free in names.items():
            for other in free & set(found):
                if not captures[other] <= captures[n]:
                    captures[n] |= captures[other]
                    changed = True
    made = {n: inner(typer, node, tuple(sorted(captures[n]))) for n, node in found.items()}
    for f in made.values():
        _place(f, typer.src, made)
    return made


def inner(typer: ExprTyper, node: ast.FunctionDef | ast.Lambda,
          captures: tuple[str, ...]) -> InnerFunction:
    """The inner function for ``node`` of the function ``typer`` types: one object per
    node and enclosing function object, so every pass and round specializes the same."""
    outer = typer.src
    key = (id(outer.func), id(node))
    found = _INNER.get(key)
    if found is not None and found.captures == captures and found.source.func is outer.func:
        return found
    name = node.name if isinstance(node, ast.FunctionDef) else "<lambda>"
    _check_defaults(typer, node.args)
    qualname = f"{outer.qualname}.<locals>.{name}"
    made = InnerFunction(outer, node, captures, _shim(name, qualname, node.args), "")
    made.ident = register(f"{outer.module}:{qualname}@{node.lineno}:{node.col_offset}", made)
    _INNER[key] = made
    return made


def _place(func: InnerFunction, outer: FunctionSource, siblings: dict[str, InnerFunction]
           ) -> None:
    """Give ``func`` its lifted source: free names resolve to the enclosing function's
    inner functions first (by name), then as the enclosing function resolves them."""
    node = func.node
    name = node.name if isinstance(node, ast.FunctionDef) else "<lambda>"
    freevars = tuple(siblings.items()) + tuple(
        (n, v) for n, v in outer.freevars if n not in siblings)
    func.source = FunctionSource(func=outer.func, tree=_lifted(node, func.captures),
                                 path=outer.path, source=outer.source, module=outer.module,
                                 qualname=f"{outer.qualname}.<locals>.{name}",
                                 digest=outer.digest, freevars=freevars)


def is_definition(typer: ExprTyper, node: ast.Assign) -> bool:
    """Whether ``node`` is ``name = lambda ...`` binding one of the inner functions."""
    t = node.targets[0]
    return (len(node.targets) == 1 and isinstance(t, ast.Name)
            and t.id in typer.local_functions and typer.local_functions[t.id].node is node.value)


def lambda_value(typer: ExprTyper, node: ast.Lambda) -> Expr:
    """A ``lambda`` written where a value is expected (``apply(lambda x: x + 1, 3)``)."""
    variables = typer.local_names - set(typer.local_functions)
    free = _free_names(node)
    captures = set(free & variables)
    for n in free:
        other = typer.local_functions.get(n)
        if other is not None:
            captures |= set(other.captures)
    made = inner(typer, node, tuple(sorted(captures)))
    _place(made, typer.src, typer.local_functions)
    return function_value(typer, made, node)


def _check_defaults(typer: ExprTyper, args: ast.arguments) -> None:
    for d in [*args.defaults, *(k for k in args.kw_defaults if k is not None)]:
        try:
            ast.literal_eval(d)
        except ValueError:
            raise typer.error(d, "a default value of a nested function must be a constant",
                              "pass the value as an argument, or capture a local by "
                              "reading it in the body") from None
    if args.vararg or args.kwarg:
        raise typer.error(args.vararg or args.kwarg, "*args and **kwargs parameters are not "
                          "supported", "use named parameters (with defaults if needed)")


def _lifted(node: ast.FunctionDef | ast.Lambda, captures: tuple[str, ...]) -> ast.FunctionDef:
    """``node`` as a module-level def taking its captures as keyword-only parameters."""
    args = copy.copy(node.args)
    extra = [ast.arg(arg=c) for c in captures]
    for a in extra:
        ast.copy_location(a, node)
    args.kwonlyargs = [*node.args.kwonlyargs, *extra]
    args.kw_defaults = [*node.args.kw_defaults, *([None] * len(extra))]
    if isinstance(node, ast.FunctionDef):
        tree = copy.copy(node)
        tree.args = args
        tree.decorator_list = []
        return tree
    body = ast.copy_location(ast.Return(value=node.body), node.body)
    tree = ast.FunctionDef(name="<lambda>", args=args, body=[body], decorator_list=[],
                           returns=None, type_comment=None, type_params=[])
    return ast.copy_location(tree, node)


def _shim(name: str, qualname: str, args: ast.arguments) -> types.FunctionType:
    """A Python function with ``args`` (constant defaults): CPython checks calls of it."""
    plain = copy.copy(args)
    tree = ast.Module(body=[ast.FunctionDef(name="shim", args=plain, body=[ast.Pass()],
                                            decorator_list=[], returns=None,
                                            type_comment=None, type_params=[])],
                      type_ignores=[])
    namespace: dict[str, Any] = {}
    # Only names and literal defaults (checked above): compiling it runs nothing else.
    exec(compile(ast.fix_missing_locations(tree), "<ember>", "exec"), namespace)  # noqa: S102
    shim = namespace["shim"]
    shim.__name__, shim.__qualname__ = name, qualname
    return shim  # type: ignore[no-any-return]


def _own_nodes(body: list[ast.stmt]) -> list[ast.AST]:
    """The nodes of ``body`` outside nested functions (which have scopes of their own)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def _free_names(node: ast.FunctionDef | ast.Lambda) -> set[str]:
    """Names read anywhere in ``node`` (nested functions included) that it does not bind."""
    a = node.args
    params = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
    body = node.body if isinstance(node, ast.FunctionDef) else [node.body]
    bound = set(params)
    loads: set[str] = set()
    for n in ast.walk(ast.Module(body=body, type_ignores=[])):  # type: ignore[arg-type]
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.FunctionDef):
            bound.add(n.name)
    own = {n.id for n in _own_nodes(body) if isinstance(n, ast.Name)  # type: ignore[arg-type]
           and not isinstance(n.ctx, ast.Load)}
    return loads - params - own


# ------------------------------------------------------------------ uses


def function_value(typer: ExprTyper, func: object, node: ast.AST) -> Expr:
    """``func`` (an inner function or a @jit function's ``py_func``) used as a value."""
    if isinstance(func, InnerFunction):
        items = tuple(_capture(typer, c, node) for c in func.captures)
        name = func.source.qualname.rsplit(".", 1)[-1]
        t = Function(name, func.ident, tuple(i.type for i in items))
        if any(i.type == UNKNOWN for i in items):
            return typer.unknown(node)
        return MakeTuple(items, t, typer.span(node))
    assert isinstance(func, types.FunctionType)
    return MakeTuple((), Function(func.__name__, ident_of(func)), typer.span(node))


def _capture(typer: ExprTyper, name: str, node: ast.AST) -> Expr:
    if name not in typer.local_names:  # pragma: no cover - captures are the scope's names
        raise RuleError(f"internal: '{name}' is not visible here")
    return typer.read_local(name, node)


def call_inner(typer: ExprTyper, func: InnerFunction, node: ast.Call,
               captured: list[Expr] | None = None) -> Expr:
    """``g(args)`` of an inner function: a call of its specialization for the argument
    types and the captured locals' types (read here unless ``captured`` gives them)."""
    args: list[Expr] = []
    for item in bind_arguments(func.shim, node):
        if isinstance(item, Default):
            args.append(typer.expr(ast.copy_location(ast.Constant(item.value), node)))
        else:
            args.append(typer.expr(item))
    if captured is None:
        captured = [_capture(typer, c, node) for c in func.captures]
    return _specialized(typer, func, [*args, *captured], node)


def call_value(typer: ExprTyper, value: Expr, node: ast.Call) -> Expr:
    """``f(args)`` where ``f`` holds a function value (a parameter, a local)."""
    t = value.type
    assert isinstance(t, Function)
    func = target(t.ident)
    if isinstance(func, InnerFunction):
        captured: list[Expr] = [TupleGet(value, i, c, value.span)
                                for i, c in enumerate(t.captures)]
        return call_inner(typer, func, node, captured)
    assert isinstance(func, types.FunctionType)
    return typer.call_jit(func, func.__name__, node)


def _specialized(typer: ExprTyper, func: object, args: list[Expr], node: ast.AST) -> Expr:
    for a in args:
        if a.type == STR:
            raise RuleError("a string cannot be passed to a function in compiled code",
                            "strings are only supported as print() arguments")
    if any(a.type == UNKNOWN for a in args):
        return typer.unknown(node)
    symbol, ret = typer.unit.specialize(func, tuple(a.type for a in args))  # type: ignore[arg-type]
    if ret == UNKNOWN:
        return typer.unknown(node)
    return CallJit(symbol, tuple(args), ret, typer.span(node))
