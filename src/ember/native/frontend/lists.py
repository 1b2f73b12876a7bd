"""Typing rules for lists: ast → the nodes of :mod:`ember.native.ir.lists`, called by
the typer where it meets a list display, a comprehension, a list value's subscript,
method, operator or builtin, ``for x in lst`` and ``del lst[i]``::

    xs = []                    ListNew(()): list[?], then list[float64] once the
    xs.append(x * 0.5)         append is seen (the typer's fixpoint types it again)
    [i * i for i in range(n) if i % 3]
                               ListBuild(.lc = []; for i ...: if ...: .lc.append(i * i))
    for x in xs: ...           .it = xs; .i = 0; while .i < len(.it): x = .it[.i]; .i += 1 ...

A list holds one item type: numbers, bools, tuples of them, lists, arrays. Mixing int and float in a
display widens to float (``[1, 2.5]`` is ``[1.0, 2.5]``), and an int or bool stored
into a float list becomes a float: the documented one-type-per-value difference.
Comprehensions and loops over lists are rewritten as Python loops (fresh ast, names
starting with ``.`` that no user code can spell) and typed like the user's own. List
operands of list nodes are always locals: a computed list is held in a temporary
first (:func:`operand`), which the lowering then borrows. ``typer`` is the function's
typer; this module uses only its public API.
"""

from __future__ import annotations

import ast
import builtins
from typing import TYPE_CHECKING

from ember.native.frontend.builtins import cast, type_call
from ember.native.frontend.list_values import list_truth, retype_list
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.lists import (
    ListBuild,
    ListCall,
    ListDel,
    ListGet,
    ListLen,
    ListNew,
    ListRepeat,
    ListSet,
)
from ember.native.ir.nodes import Const, ExprStmt, Name, UnaryOp
from ember.native.types import (
    BOOL,
    FLOAT64,
    INT64,
    NONE,
    NUMERIC,
    STR,
    TYPE_NAMES,
    Array,
    List,
    Tuple,
    Type,
    unify,
)

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper
    from ember.native.ir.arrays import AnyExpr, AnyStmt

ITEM_HINT = ("a compiled list holds one kind of item: ints, floats, bools or tuples of "
             "them; for rows of numbers use a 2-d NumPy array")
METHODS = ("append", "pop", "insert", "extend", "clear", "index", "count", "reverse",
           "sort", "copy")
#: Builtins typed here when they get a list (by identity: ``sum`` is builtins.sum).
FUNCTIONS = ("sum", "sorted", "any", "all", "list", "enumerate", "reversed")


def builtin_name(value: object) -> str | None:
    """``"sum"`` if ``value`` is :func:`builtins.sum` (and the others of
    :data:`FUNCTIONS`), else None."""
    for name in FUNCTIONS:
        if value is getattr(builtins, name):
            return name
    return None


def is_list(t: object) -> bool:
    return isinstance(t, List)


# ------------------------------------------------------------------- items


def item_type(typer: ExprTyper, t: Type, node: ast.AST) -> Type:
    """``t`` if a list may hold it, else the error naming the construct."""
    if t in NUMERIC or (isinstance(t, Tuple) and all(i in NUMERIC for i in t.items)):
        return t
    if t == STR:
        raise typer.error(node, "lists of strings are not supported in compiled code",
                          "strings are only supported as print() arguments; " + ITEM_HINT)
    if isinstance(t, List):
        if t.item is None:
            raise typer.error(node, "a list of empty lists: their item type is not known here",
                              "build each inner list in a variable first (row = []; "
                              "row.append(x); rows.append(row)) or write [[0] * m for ...]")
        item_type(typer, t.item, node)
        return t
    if isinstance(t, Array):
        return t
    raise typer.error(node, f"a list cannot hold a {t} in compiled code", ITEM_HINT)


def store(typer: ExprTyper, value: AnyExpr, item: Type, node: ast.AST) -> AnyExpr:
    """``value`` converted to ``item`` to be stored (widening only: bool → int → float)."""
    if value.type == item:
        return value
    if unify(value.type, item) == item:
        return cast(value, item)
    raise typer.error(node, f"cannot put a {value.type} into a list of {item}",
                      f"convert it first ({_convert_hint(item)}); " + ITEM_HINT)


def _convert_hint(item: Type) -> str:
    return {INT64: "int(x)", FLOAT64: "float(x)", BOOL: "bool(x)"}.get(item, "one item type")


def operand(typer: ExprTyper, value: AnyExpr) -> AnyExpr:
    """``value`` as a list operand: a local as it is; a computed list held in a fresh
    temporary (owned, so released on every exit) read back by a :class:`ListBuild`."""
    if isinstance(value, Name):
        return value
    temp = typer.new_temp()
    out: list[AnyStmt] = []
    typer.bind_name(temp, value, typer.tree, out)
    return ListBuild(tuple(out), temp, value.type, value.span, move=False)


# ---------------------------------------------------------------- displays


def display(typer: ExprTyper, node: ast.List) -> AnyExpr:
    """``[a, b, c]`` and ``[]``."""
    items = [typer.expr(e) for e in node.elts]
    for e in node.elts:
        if isinstance(e, ast.Starred):
            raise typer.error(e, "*-unpacking in a list display is not supported",
                              "build the list with append/extend")
    if any(is_unknown(i.type) for i in items):
        return typer.unknown(node)
    if not items:
        return ListNew((), List(None), typer.span(node))
    joined: Type | None = items[0].type
    for e, i in zip(node.elts, items, strict=True):
        if not (isinstance(i.type, List) and i.type.item is None):  # [] meets its siblings
            item_type(typer, i.type, e)
        joined = None if joined is None else unify(joined, i.type)
        if joined is None:
            raise typer.error(e, f"this list mixes {items[0].type} and {i.type} items",
                              ITEM_HINT)
    assert joined is not None
    item_type(typer, joined, node)
    return ListNew(tuple(cast(i, joined) for i in items), List(joined), typer.span(node))


def comprehension(typer: ExprTyper, node: ast.ListComp) -> AnyExpr:
    """``[elt for t in it if c ...]`` as the loops Python runs (targets renamed so they
    do not leak into the function, as in Python 3)."""
    key = f".lc{node.lineno}_{node.col_offset}"
    renames: dict[str, str] = {}
    for gen in node.generators:
        for n in ast.walk(gen.target):
            if isinstance(n, ast.Name):
                renames[n.id] = f"{key}.{n.id}"
        if gen.is_async:
            raise typer.error(node, "async comprehensions are not supported")
    typer.local_names.update(renames.values())
    typer.local_names.add(key)
    rename = _Rename(renames)
    append = ast.Expr(ast.Call(ast.Attribute(ast.Name(key, ast.Load()), "append", ast.Load()),
                               [rename.visit(_copy(node.elt))], []))
    inner: ast.stmt = append
    for k, gen in reversed(list(enumerate(node.generators))):
        for cond in reversed(gen.ifs):
            inner = ast.If(rename.visit(_copy(cond)), [inner], [])
        it = gen.iter if k == 0 else rename.visit(_copy(gen.iter))
        inner = ast.For(rename.visit(_copy(gen.target)), it, [inner], [])
        # At its target: each loop its own place, which names its hidden locals.
        ast.copy_location(inner, gen.target)
    start = ast.Assign([ast.Name(key, ast.Store())], ast.List([], ast.Load()))
    stmts = [start, inner]
    for s in stmts:
        ast.copy_location(s, node)
        ast.fix_missing_locations(s)
    body = typer.block(stmts)
    t = typer.env.get(key)
    if not isinstance(t, List):
        return typer.unknown(node)
    return ListBuild(body, key, t, typer.span(node))


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        new = self.names.get(node.id)
        return node if new is None else ast.copy_location(ast.Name(new, node.ctx), node)

    def visit_ListComp(self, node: ast.ListComp) -> ast.AST:
        return self.generic_visit(node)  # an inner comprehension sees the outer names


def _copy(node: ast.AST) -> ast.AST:
    import copy  # only for comprehensions: fresh nodes, the user's stay untouched

    return copy.deepcopy(node)


def annotation(typer: ExprTyper, ann: ast.expr) -> Type | None:
    """``list[float]``, ``list[tuple[int, float]]``, ``list[list[int]]`` as a local's
    annotation (what types ``xs: list[float] = []``), else None."""
    if not (isinstance(ann, ast.Subscript) and isinstance(ann.value, ast.Name)
            and ann.value.id in ("list", "List")):
        return None
    item = _annotated(ann.slice)
    if item is None:
        return None
    return List(item_type(typer, item, ann))


def _annotated(node: ast.expr) -> Type | None:
    if isinstance(node, ast.Name):
        return TYPE_NAMES.get(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return TYPE_NAMES.get(node.value)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if node.value.id in ("list", "List"):
            inner = _annotated(node.slice)
            return None if inner is None else List(inner)
        if node.value.id in ("tuple", "Tuple"):
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            items = [_annotated(e) for e in elts]
            return None if any(i is None for i in items) else Tuple(tuple(items))  # type: ignore[arg-type]
    return None


# ----------------------------------------------------------------- reading


def subscript(typer: ExprTyper, node: ast.Subscript, value: AnyExpr) -> AnyExpr:
    """``lst[i]`` and ``lst[a:b:c]`` (a new list)."""
    t = value.type
    assert isinstance(t, List)
    span = typer.span(node)
    if isinstance(node.slice, ast.Slice):
        bounds = [_slice_bound(typer, b, node) for b in
                  (node.slice.lower, node.slice.upper, node.slice.step)]
        return ListCall("slice", operand(typer, value), tuple(bounds), t, span)
    if t.item is None:
        raise typer.error(node, "indexing an empty list", "IndexError: list index out of range")
    index = _int(typer, node.slice, "list indices")
    return ListGet(operand(typer, value), index, t.item, span)


def _slice_bound(typer: ExprTyper, b: ast.expr | None, node: ast.AST) -> AnyExpr:
    if b is None:
        return Const(None, NONE, typer.span(node))
    v = typer.expr(b)
    if v.type == NONE:
        return Const(None, NONE, typer.span(b))
    return _typed_int(typer, v, b, "slice indices")


def _int(typer: ExprTyper, node: ast.expr, what: str) -> AnyExpr:
    return _typed_int(typer, typer.expr(node), node, what)


def _typed_int(typer: ExprTyper, v: AnyExpr, node: ast.AST, what: str) -> AnyExpr:
    if v.type not in (INT64, BOOL):
        raise typer.error(node, f"{what} must be integers, not {v.type}",
                          "convert it with int(x)")
    return cast(v, INT64)


def length(typer: ExprTyper, value: AnyExpr, span: object) -> AnyExpr:
    return ListLen(operand(typer, value), INT64, value.span)


# ------------------------------------------------------------------ methods


def method_call(typer: ExprTyper, node: ast.Call, value: AnyExpr) -> AnyExpr:
    """``lst.append(x)`` and the other list methods of :data:`METHODS`."""
    assert isinstance(node.func, ast.Attribute)
    name = node.func.attr
    t = value.type
    assert isinstance(t, List)
    span = typer.span(node)
    if name not in METHODS:
        raise typer.error(node.func, f"lists have no method '{name}' in compiled code",
                          "supported: " + ", ".join(f".{m}()" for m in METHODS))
    keywords = {k.arg: k.value for k in node.keywords}
    if name == "sort":
        return _sort_call(typer, node, value, keywords, "sort")
    if keywords:
        raise typer.error(node, f"list.{name}() takes no keyword arguments")
    args = [typer.expr(a) for a in node.args]
    if any(is_unknown(a.type) for a in args):
        return typer.unknown(node)
    arity = {"append": (1,), "pop": (0, 1), "insert": (2,), "extend": (1,), "clear": (0,),
             "index": (1,), "count": (1,), "reverse": (0,), "copy": (0,)}[name]
    if len(args) not in arity:
        want = " or ".join(map(str, arity))
        raise typer.error(node, f"list.{name}() takes {want} argument(s) ({len(args)} given)")
    if t.item is None:
        t = _learn(typer, node, value, name, args)
    lst = operand(typer, value)
    if name in ("append", "insert"):
        item = store(typer, args[-1], t.item, node.args[-1])  # type: ignore[arg-type]
        typed = (item,) if name == "append" else (_typed_int(typer, args[0], node.args[0],
                                                             "list.insert() index"), item)
        return ListCall(name, lst, typed, NONE, span)
    if name == "pop":
        index = tuple(_typed_int(typer, a, node.args[0], "list.pop() index") for a in args)
        return ListCall("pop", lst, index, t.item, span)  # type: ignore[arg-type]
    if name == "extend":
        other = args[0]
        if not isinstance(other.type, List):
            raise typer.error(node.args[0], f"list.extend() of a {other.type} is not supported",
                              "extend with another list of the same items")
        other = _same_items(typer, other, t, node.args[0])
        return ListCall("extend", lst, (operand(typer, other),), NONE, span)
    if name in ("index", "count"):
        item = _probe(typer, args[0], t, node.args[0])
        return ListCall(name, lst, (item,), INT64, span)
    if name == "copy":
        return ListCall("copy", lst, (), t, span)
    return ListCall(name, lst, (), NONE, span)  # clear, reverse


def _learn(typer: ExprTyper, node: ast.Call, value: AnyExpr, name: str,
           args: list[AnyExpr]) -> List:
    """The item type an empty list gets from its first ``append``/``insert``/
    ``extend``, recorded on its variable (the next pass types it as that list)."""
    if name in ("append", "insert"):
        new = List(item_type(typer, args[-1].type, node))
    elif name == "extend" and isinstance(args[0].type, List) and args[0].type.item is not None:
        new = args[0].type
    else:
        return _unknown_items(typer, node)
    if not isinstance(value, Name):
        raise typer.error(node, "the item type of this empty list is not known here",
                          "assign the list to a variable first: xs = []; xs.append(x)")
    typer.declare(value.name, new, node)
    return new


def _unknown_items(typer: ExprTyper, node: ast.AST) -> List:
    raise typer.error(node, "the item type of this empty list is not known here",
                      "append an item first, or start from a typed display: xs = [0.0]")


def _same_items(typer: ExprTyper, other: AnyExpr, t: List, node: ast.AST) -> AnyExpr:
    ot = other.type
    assert isinstance(ot, List)
    if ot == t:
        return other
    if ot.item is None:
        return retype_list(other, t)
    raise typer.error(node, f"cannot combine a list of {t.item} with a list of {ot.item}",
                      ITEM_HINT)


def plain(typer: ExprTyper, t: List, node: ast.AST, what: str) -> None:
    """Refuse ``what`` (a comparison of items: search, order, sums) on a list of lists
    or arrays, naming it."""
    if isinstance(t.item, List | Array) or (
            isinstance(t.item, Tuple) and any(isinstance(i, List | Array) for i in t.item.items)):
        raise typer.error(node, f"{what} of a list of {t.item} is not supported in compiled "
                          "code", "compare the items yourself in a loop")


def _probe(typer: ExprTyper, x: AnyExpr, t: List, node: ast.AST) -> AnyExpr:
    """A value compared with the items (``x in lst``, ``lst.index(x)``)."""
    assert t.item is not None
    plain(typer, t, node, "searching the items")
    if x.type == t.item or unify(x.type, t.item) == t.item:
        return cast(x, t.item)
    raise typer.error(node, f"comparing a {x.type} with the items of a list of {t.item} "
                      "is not supported", f"convert it first ({_convert_hint(t.item)})")


def _sort_call(typer: ExprTyper, node: ast.Call, value: AnyExpr,
               keywords: dict[str | None, ast.expr], name: str) -> AnyExpr:
    t = value.type
    assert isinstance(t, List)
    if node.args[1 if name == "sorted" else 0:]:
        raise typer.error(node, f"{name}() takes its options by keyword: reverse=True")
    for k in keywords:
        if k != "reverse":
            what = "key= functions" if k == "key" else f"the keyword {k!r}"
            raise typer.error(node, f"{name}() with {what} is not supported in compiled code",
                              "sort tuples instead: sorted((key, x) for ...) orders by key first"
                              if k == "key" else None)
    reverse = typer.condition(keywords["reverse"]) if "reverse" in keywords else Const(
        False, BOOL, typer.span(node))
    if t.item is None:
        return value if name == "sorted" else Const(None, NONE, typer.span(node))
    plain(typer, t, node, f"{name}()")
    lst = operand(typer, value)
    if name == "sorted":
        return ListCall("sorted", lst, (reverse,), t, typer.span(node))
    return ListCall("sort", lst, (reverse,), NONE, typer.span(node))


# ---------------------------------------------------------------- builtins


def applies(typer: ExprTyper, name: str, node: ast.Call) -> bool:
    """Whether builtin ``name`` called at ``node`` is a list rule's: ``enumerate`` and
    ``reversed`` (to explain where they work), ``list()``, or a first argument that is
    a list; otherwise the scalar rules report it."""
    if name in ("enumerate", "reversed") or (name == "list" and not node.args):
        return True
    if not node.args or isinstance(node.args[0], ast.Starred):
        return False
    if name in ("list", "sorted", "sum", "any", "all") and _is_range(typer, node.args[0]):
        return True  # list(range(n)): the comprehension Python runs
    t = typer.expr(node.args[0]).type
    return isinstance(t, List) or is_unknown(t)


def _is_range(typer: ExprTyper, node: ast.expr) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id not in typer.local_names):
        return False
    try:
        value, _, _ = typer.static(node.func)
    except Exception:  # not a global: not range
        return False
    return value is builtins.range


def builtin_call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``sum``, ``sorted``, ``any``, ``all``, ``list`` of a list (``enumerate`` and
    ``reversed`` only as a for loop's iterable)."""
    span = typer.span(node)
    if name in ("enumerate", "reversed"):
        raise typer.error(node, f"{name}() is only supported as the iterable of a for loop",
                          f"write: for ... in {name}(xs):")
    if name == "list" and not node.args:
        return ListNew((), List(None), span)
    if not node.args:
        raise typer.error(node, f"{name}() takes at least one argument")
    if _is_range(typer, node.args[0]):
        # list(range(...)) and friends: over [i for i in range(...)], as Python iterates.
        comp = ast.ListComp(ast.Name(".r", ast.Load()), [ast.comprehension(
            ast.Name(".r", ast.Store()), node.args[0], [], 0)])
        ast.copy_location(comp, node.args[0])
        ast.fix_missing_locations(comp)
        values = comprehension(typer, comp)
        if name == "list":
            return values
        value = operand(typer, values)
        return _reduce_call(typer, name, node, value)
    value = typer.expr(node.args[0])
    if is_unknown(value.type):
        return typer.unknown(node)
    return _reduce_call(typer, name, node, value)


def _reduce_call(typer: ExprTyper, name: str, node: ast.Call, value: AnyExpr) -> AnyExpr:
    """``sum``/``sorted``/``any``/``all``/``list`` of a typed list value."""
    span = typer.span(node)
    t = value.type
    if not isinstance(t, List):
        hint = f"use a.{name}()" if isinstance(t, Array) and name in ("sum", "any", "all") \
            else "pass a list"
        raise typer.error(node.args[0], f"{name}() of a {t} is not supported in compiled code",
                          hint)
    if name == "sorted":
        return _sort_call(typer, node, value, {k.arg: k.value for k in node.keywords}, "sorted")
    if node.keywords:
        raise typer.error(node, f"{name}() with keyword arguments is not supported here")
    if name == "list":
        if len(node.args) != 1:
            raise typer.error(node, "list() takes at most 1 argument")
        return ListCall("copy", operand(typer, value), (), t, span) if t.item is not None \
            else ListNew((), t, span)
    if t.item is None:
        empty = {"sum": Const(0, INT64, span), "any": Const(False, BOOL, span),
                 "all": Const(True, BOOL, span)}
        return empty[name]
    plain(typer, t, node, f"{name}()")
    lst = operand(typer, value)
    if name in ("any", "all"):
        if len(node.args) != 1:
            raise typer.error(node, f"{name}() takes exactly one argument")
        return ListCall(name, lst, (), BOOL, span)
    # sum(lst[, start])
    if len(node.args) > 2:
        raise typer.error(node, "sum() takes at most 2 arguments")
    if isinstance(t.item, Tuple):
        raise typer.error(node, "sum() of a list of tuples is not supported",
                          "sum one item of each: sum([p[0] for p in ps])")
    start = [typer.expr(node.args[1])] if len(node.args) == 2 else []
    for s in start:
        if s.type not in NUMERIC:
            raise typer.error(node.args[1], f"sum() start must be a number, not {s.type}")
    result = FLOAT64 if FLOAT64 in (t.item, *(s.type for s in start)) else INT64
    return ListCall("sum", lst, tuple(start), result, span)


def extreme(typer: ExprTyper, name: str, args: list[AnyExpr], node: ast.Call) -> AnyExpr:
    """``min(lst)``, ``max(lst)``."""
    if len(args) != 1 or node.keywords:
        raise typer.error(node, f"{name}() of a list takes exactly one argument here",
                          f"{name}(xs) or {name}(a, b) of numbers")
    t = args[0].type
    assert isinstance(t, List)
    if t.item is None:
        raise typer.error(node, f"{name}() arg is an empty sequence")
    plain(typer, t, node, f"{name}()")
    return ListCall(name, operand(typer, args[0]), (), t.item, typer.span(node))


# ----------------------------------------------------------------- operators


def binop(typer: ExprTyper, op: str, left: AnyExpr, right: AnyExpr, node: ast.AST) -> AnyExpr:
    """``a + b`` (a new list) and ``lst * n``, ``n * lst``."""
    span = typer.span(node)
    lt, rt = left.type, right.type
    if op == "+" and isinstance(lt, List) and isinstance(rt, List):
        if lt.item is None and rt.item is None:
            return ListNew((), lt, span)
        t = lt if lt.item is not None else rt
        a = _same_items(typer, left, t, node)
        c = _same_items(typer, right, t, node)
        return ListCall("concat", operand(typer, a), (operand(typer, c),), t, span)
    if op == "*":
        lst, n = (left, right) if isinstance(lt, List) else (right, left)
        if n.type in (INT64, BOOL) and isinstance(lst.type, List):
            if lst.type.item is None:
                return ListNew((), lst.type, span)
            return ListRepeat(operand(typer, lst), cast(n, INT64), lst.type, span)
    raise typer.error(node, f"unsupported operand types for {op}: {lt} and {rt}",
                      "lists support + (another list of the same items) and * (an int)")


def compare(typer: ExprTyper, ops: tuple[str, ...], operands: tuple[AnyExpr, ...],
            node: ast.Compare) -> AnyExpr:
    """``x in lst``, ``x not in lst``, ``a == b``, ``a != b`` (one comparison)."""
    span = typer.span(node)
    if len(ops) != 1:
        raise typer.error(node, "chained comparisons with lists are not supported",
                          "compare one pair at a time, joined with and")
    op, (left, right) = ops[0], operands
    if op in ("in", "notin") and isinstance(right.type, List):
        if right.type.item is None:
            return Const(op == "notin", BOOL, span)
        probe = _probe(typer, left, right.type, node.left)
        found = ListCall("contains", operand(typer, right), (probe,), BOOL, span)
        return found if op == "in" else UnaryOp("not", found, BOOL, span)
    if op in ("==", "!=") and isinstance(left.type, List) and isinstance(right.type, List):
        if left.type.item is None or right.type.item is None:
            raise typer.error(node, "comparing with an empty list display is not supported",
                              "test its length: len(xs) == 0")
        other = _same_items(typer, right, left.type, node)
        plain(typer, left.type, node, "==")
        same = ListCall("eq", operand(typer, left), (operand(typer, other),), BOOL, span)
        return same if op == "==" else UnaryOp("not", same, BOOL, span)
    raise typer.error(node, f"'{op}' between {left.type} and {right.type} is not supported",
                      "lists support in, not in, == and !=")


# ---------------------------------------------------------------- statements


def setitem(typer: ExprTyper, target: ast.Subscript, value: AnyExpr, lst: AnyExpr,
            out: list[AnyStmt]) -> None:
    """``lst[i] = value``: the value (typed already), then the list and the index."""
    t = lst.type
    assert isinstance(t, List)
    if isinstance(target.slice, ast.Slice):
        raise typer.error(target, "assigning to a slice of a list is not supported",
                          "assign the items one by one, or build a new list")
    if t.item is None:
        raise typer.error(target, "list assignment index out of range (an empty list)")
    index = _int(typer, target.slice, "list indices")
    if is_unknown(value.type) or is_unknown(index.type):
        return
    out.append(ListSet(operand(typer, lst), index, store(typer, value, t.item, target),
                       typer.span(target)))


def aug_setitem(typer: ExprTyper, node: ast.AugAssign, op: str, lst: AnyExpr,
                out: list[AnyStmt]) -> None:
    """``lst[i] op= v``: the index once (held), the item read, ``op``, the store."""
    target = node.target
    assert isinstance(target, ast.Subscript)
    t = lst.type
    assert isinstance(t, List)
    if isinstance(target.slice, ast.Slice) or t.item is None:
        raise typer.error(target, "augmented assignment to this list target is not supported")
    held = operand(typer, lst)
    if isinstance(held, ListBuild):
        out.extend(held.body)
        held = Name(held.result, held.type, held.span)
    index = _int(typer, target.slice, "list indices")
    if not isinstance(index, Const | Name):
        temp = typer.new_temp()
        typer.bind_name(temp, index, target, out)
        index = Name(temp, INT64, index.span)
    current = ListGet(held, index, t.item, typer.span(target))
    rhs = typer.expr(node.value)
    if is_unknown(rhs.type):
        return
    result = typer.binop(op, current, rhs, node)
    out.append(ListSet(held, index, store(typer, result, t.item, node), typer.span(node)))


def aug_assign(typer: ExprTyper, node: ast.AugAssign, op: str, current: AnyExpr,
               out: list[AnyStmt]) -> None:
    """``xs += ys``: extends ``xs`` in place (the same list object, as in Python)."""
    t = current.type
    assert isinstance(t, List)
    if op != "+":
        raise typer.error(node, f"'{op}=' on a list is not supported",
                          "xs += ys extends a list; for repetition write xs = xs * n")
    other = typer.expr(node.value)
    if is_unknown(other.type):
        return
    if not isinstance(other.type, List):
        raise typer.error(node.value, f"can only extend a list with a list, not {other.type}")
    if t.item is None:
        if other.type.item is None:
            return
        typer.declare(current.name, other.type, node)  # type: ignore[attr-defined]
        t = other.type
    other = _same_items(typer, other, t, node.value)
    out.append(ExprStmt(ListCall("extend", current, (operand(typer, other),), NONE,
                                 typer.span(node)), typer.span(node)))


def delete(typer: ExprTyper, node: ast.Delete, out: list[AnyStmt]) -> None:
    """``del lst[i]`` (one target, an index)."""
    for target in node.targets:
        if not isinstance(target, ast.Subscript):
            raise typer.error(target, "del of a name is not supported",
                              "rebind it, or let it go out of use")
        lst = typer.expr(target.value)
        if is_unknown(lst.type):
            continue
        if not isinstance(lst.type, List):
            raise typer.error(target, f"del of an item of a {lst.type} is not supported",
                              "only list items can be deleted")
        if isinstance(target.slice, ast.Slice):
            raise typer.error(target, "del of a list slice is not supported",
                              "delete the items one by one (from the end), or build a new list")
        index = _int(typer, target.slice, "list indices")
        out.append(ListDel(operand(typer, lst), index, typer.span(target)))


# ---------------------------------------------------------------- iteration


def for_list(typer: ExprTyper, node: ast.For, out: list[AnyStmt]) -> bool:
    """``for x in xs``, ``for i, x in enumerate(xs[, start])``, ``for x in
    reversed(xs)``, ``for x, y in zip(xs, ys, ...)`` as the while loop CPython's list
    iterators run (the lengths read at every step: a list that grows or shrinks in the
    loop is followed). False when the iterable is not a list (the other for-loop rules
    apply)."""
    it = node.iter
    kind = "plain"
    if isinstance(it, ast.Call):
        called = None
        if isinstance(it.func, ast.Name) and it.func.id not in typer.local_names:
            try:
                value, _, _ = typer.static(it.func)
            except Exception:  # not a global: the other rules report it
                return False
            called = "zip" if value is builtins.zip else builtin_name(value)
        if called not in ("enumerate", "reversed", "zip") or not it.args or it.keywords:
            return False
        lists = it.args if called == "zip" else it.args[:1]
        if any(isinstance(a, ast.Starred) for a in it.args):
            return False
        if not all(isinstance(typer.expr(a).type, List) for a in lists):
            return False
        kind = called
        seqs = list(lists)
    else:
        if not isinstance(typer.expr(it).type, List):
            return False
        seqs = [it]
    key = f"{node.lineno}_{node.col_offset}"
    held = [f".it{key}_{k}" for k in range(len(seqs))]
    idx, start = f".i{key}", f".s{key}"
    typer.local_names.update((*held, idx, start))
    N = lambda name, store=False: ast.Name(name, ast.Store() if store else ast.Load())  # noqa: E731

    def length(name: str) -> ast.expr:
        return ast.Call(ast.Name("len", ast.Load()), [N(name)], [])

    items = [ast.Subscript(N(h), N(idx), ast.Load()) for h in held]
    stmts: list[ast.stmt] = [ast.Assign([N(h, True)], seq) for h, seq in zip(held, seqs,
                                                                             strict=True)]
    if kind == "reversed":
        stmts.append(ast.Assign([N(idx, True)],
                                ast.BinOp(length(held[0]), ast.Sub(), ast.Constant(1))))
        test: ast.expr = ast.Compare(ast.Constant(0), [ast.LtE(), ast.Lt()],
                                     [N(idx), length(held[0])])
        step: ast.stmt = ast.AugAssign(N(idx, True), ast.Sub(), ast.Constant(1))
    else:
        stmts.append(ast.Assign([N(idx, True)], ast.Constant(0)))
        tests = [ast.Compare(N(idx), [ast.Lt()], [length(h)]) for h in held]
        test = tests[0] if len(tests) == 1 else ast.BoolOp(ast.And(), tests)
        step = ast.AugAssign(N(idx, True), ast.Add(), ast.Constant(1))
    value: ast.expr = items[0] if kind != "zip" else ast.Tuple(items, ast.Load())
    if kind == "enumerate":
        args = it.args  # type: ignore[attr-defined]
        if len(args) > 2:
            raise typer.error(it, "enumerate() takes at most 2 arguments")
        counter: ast.expr = N(idx)
        if len(args) == 2:
            stmts.insert(0, ast.Assign([N(start, True)], args[1]))
            counter = ast.BinOp(N(idx), ast.Add(), N(start))
        value = ast.Tuple([counter, items[0]], ast.Load())
    body = [ast.Assign([node.target], value), step, *node.body]
    stmts.append(ast.While(test, body, node.orelse))
    for s in stmts:
        ast.copy_location(s, node)
        ast.fix_missing_locations(s)
    out.extend(typer.block(stmts))
    return True


def builtin(typer: ExprTyper, name: str, args: list[AnyExpr], node: ast.Call) -> AnyExpr:
    """A builtin of ember's scalar table given a list: ``len``, ``min``, ``max``,
    ``bool``; the others refuse it by name."""
    span = typer.span(node)
    if name == "print":  # the scalar rule prints lists too
        keywords = {k.arg: typer.expr(k.value) for k in node.keywords if k.arg}
        return type_call("print", args, keywords, span)
    if name == "len" and len(args) == 1:
        return ListLen(operand(typer, args[0]), INT64, span)
    if name in ("min", "max"):
        return extreme(typer, name, args, node)
    if name == "bool" and len(args) == 1:
        return list_truth(operand(typer, args[0]))
    kinds = ", ".join(str(a.type) for a in args)
    raise typer.error(node, f"{name}() of ({kinds}) is not supported in compiled code",
                      "lists work with len, min, max, sum, sorted, any, all, bool and list")
