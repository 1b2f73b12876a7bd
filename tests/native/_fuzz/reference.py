"""The reference: CPython running the same source under ember's documented rules.

This module is the ONE place where the fuzzer accepts an answer other than CPython's
plain one; each rule below is a documented difference (README, "Same answers as
CPython"), encoded exactly, and nothing else is:

- an ``int`` result that leaves int64 raises OverflowError (``_check`` after every int
  operation and builtin call; ``**`` and ``<<`` are decided before CPython computes a
  huge number);
- ``int ** int`` with a negative exponent not known at compile time raises ValueError
  (CPython's own ``0 ** -1`` ZeroDivisionError stays); ``constant_exponent`` says which
  exponents ember's inference folds (``-2``, ``~True``, ``-K0``, ``(1 - 3)``);
- a negative float to a fractional power raises ValueError (CPython returns a complex);
- array elements load as Python scalars (small ints as int64, float32 widened exactly;
  a uint64 beyond int64 raises OverflowError), stores follow NumPy 2 for Python scalars,
  a float stored into an int array converting as ``int(x)`` first (so a uint64 element
  of 2**63 or more raises OverflowError, as loading it would);
- ``np.abs`` of a signed dtype's minimum raises OverflowError (NumPy wraps);
- integer ``a.sum()`` raises OverflowError when the exact sum leaves int64 (as scalar code
  does; NumPy wraps) — the rule item 10.4's fix adopts;
- reductions and element loads of dtypes other than float64/int64/bool are NumPy scalars
  in compiled code, as in NumPy: the generator converts them (``int(a.sum())``,
  ``float(b[i])``), so the reference keeps computing with Python's numbers
  (tests/native/test_numpy_scalar_semantics.py compares NumPy's scalar semantics);
- a float ``a.min()``/``a.max()`` whose zero depends on the CPU (NumPy's SIMD loop) may
  be either zero (``Ties``, the oracle's second run).

The generator keeps every local and return to one type, so the "unified type" rule
(``max(2, 1.0)`` is ``2.0``) never arises and is not modelled.
"""

from __future__ import annotations

import ast
import math
import operator
from types import SimpleNamespace
from typing import Any

import numpy as np

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_BINOPS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
    ast.BitOr: "|", ast.BitXor: "^",
}  # fmt: skip
_APPLY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "<<": operator.lshift,
    ">>": operator.rshift,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
}


def _check(value: Any) -> Any:
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        raise OverflowError("int64 overflow (reference)")
    return value


def _is_int(v: Any) -> bool:
    return type(v) in (int, bool)


def _binop(op: str, a: Any, b: Any, constant_right: bool = False) -> Any:
    if op == "**":
        return _pow(a, b, constant_right)
    if op in ("<<", ">>") and _is_int(a) and _is_int(b):
        if b < 0:
            raise ValueError("negative shift count")
        if op == "<<" and a and b >= 64:
            raise OverflowError("int64 overflow (reference)")
    return _check(_APPLY[op](a, b))


def _pow(a: Any, b: Any, constant_right: bool) -> Any:
    if _is_int(a) and _is_int(b):
        if b < 0 and not constant_right:
            if a == 0:
                raise ZeroDivisionError("0 cannot be raised to a negative power")
            raise ValueError("negative int exponent known only at run time")
        if abs(a) > 1 and b >= 64:
            raise OverflowError("int64 overflow (reference)")
    result = a**b
    if isinstance(result, complex):
        raise ValueError("a negative float to a fractional power")
    return _check(result)


def _unary(op: str, a: Any) -> Any:
    return _check(-a if op == "-" else +a if op == "+" else ~a)


def _aug_item(target: Any, index: Any, op: str, value: Any) -> None:
    # ``a[i] op= v``: CPython loads a[i] before it evaluates v, hence the thunk.
    target[index] = _binop(op, target[index], value())


def constant_exponent(node: ast.expr, consts: dict[str, Any]) -> bool:
    """Whether ember's inference knows ``node`` at compile time, so that ``x ** node``
    of ints is typed by the sign of its value, as CPython's result (``folded_int`` in
    ``frontend/operators.py``): literals, module constants (``consts``), ``- + ~`` and
    binary operators of those, and the live branch of a conditional expression whose
    test inference folds. Calls and ``and``/``or`` are never folded."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in consts
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
        return constant_exponent(node.operand, consts)
    if isinstance(node, ast.BinOp):
        return constant_exponent(node.left, consts) and constant_exponent(node.right, consts)
    if isinstance(node, ast.IfExp):
        test = _constant_test(node.test, consts)
        if test is None:
            return False
        return constant_exponent(node.body if test else node.orelse, consts)
    return False


def _constant_test(node: ast.expr, consts: dict[str, Any]) -> bool | None:
    """The truth of a test inference folds (a literal, ``-literal``, a module constant,
    ``not`` of one, the live branch of a folded conditional), else None."""
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, ast.Name):
        return bool(consts[node.id]) if node.id in consts else None
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            inner = _constant_test(node.operand, consts)
            return None if inner is None else not inner
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(node.operand, ast.Constant):
            return bool(node.operand.value)
        return None
    if isinstance(node, ast.IfExp):
        test = _constant_test(node.test, consts)
        return None if test is None else _constant_test(node.body if test else node.orelse, consts)
    return None


def module_constants(tree: ast.Module) -> dict[str, Any]:
    """The module-level ``NAME = literal`` assignments (the generator's ``K0``, ``K1``)."""
    out: dict[str, Any] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                try:
                    out[target.id] = ast.literal_eval(stmt.value)
                except ValueError:
                    pass  # math.inf and the like: not an int, never an int exponent
    return out


class _Rewrite(ast.NodeTransformer):
    """Routes every int-producing operation through the checks above."""

    def __init__(self, consts: dict[str, Any]) -> None:
        self.consts = consts

    def visit_Import(self, node: ast.Import) -> None:
        return None  # ``np`` and ``math`` come from ``globals_for_reference``

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        constant = constant_exponent(node.right, self.consts)
        self.generic_visit(node)  # (after: it rewrites ``-3`` into a call)
        return _call(
            "_binop",
            ast.Constant(_BINOPS[type(node.op)]),
            node.left,
            node.right,
            ast.Constant(constant),
        )

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return node
        op = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}[type(node.op)]
        return _call("_unary", ast.Constant(op), node.operand)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        return _call("_check", node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        op = ast.Constant(_BINOPS[type(node.op)])
        if isinstance(node.target, ast.Name):
            load = ast.Name(node.target.id, ast.Load())
            return ast.Assign([node.target], _call("_binop", op, load, node.value))
        assert isinstance(node.target, ast.Subscript)
        thunk = ast.Lambda(ast.arguments([], [], None, [], [], None, []), node.value)
        expr = _call("_aug_item", node.target.value, node.target.slice, op, thunk)
        return ast.Expr(expr)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def evaluate(src: str, consts: dict[str, Any]) -> Any:
    """The value of expression ``src`` under the reference's checks (which decide a
    huge ``**`` or ``<<`` before computing it), module constants ``consts`` in scope."""
    tree = ast.Expression(ast.parse(src, mode="eval").body)
    code = compile(ast.fix_missing_locations(_Rewrite(consts).visit(tree)), "<gen>", "eval")
    return eval(code, {**globals_for_reference(), **consts})  # noqa: S307 - our own source


def reference_code(source: str, filename: str) -> Any:
    """The code object of ``source`` with every int operation checked as ember checks."""
    tree = ast.parse(source)
    tree = ast.fix_missing_locations(_Rewrite(module_constants(tree)).visit(tree))
    return compile(tree, filename, "exec")


# --------------------------------------------------------------------- arrays, NumPy


class RefArray(np.ndarray):
    """An ndarray whose element loads and reductions give what compiled code gives."""

    def __getitem__(self, index: Any) -> Any:
        return _scalar(np.ndarray.__getitem__(self, index))

    def __setitem__(self, index: Any, value: Any) -> None:
        if self.dtype.kind in "iu" and type(value) is float:
            # Compiled code converts a float for an int array as int(x), an int64: a
            # uint64 element of 2**63 or more raises there (NumPy stores it). An index
            # out of bounds is reported first, as by NumPy and compiled code.
            np.ndarray.__getitem__(self, index)
            value = _check(int(value))
        np.ndarray.__setitem__(self, index, value)

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]

    def sum(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        plain = self.view(np.ndarray)
        if self.dtype.kind in "iu":
            return _check(sum(_scalar(x) for x in plain.flat))
        if self.dtype.kind == "b":
            return int(plain.sum())
        return float(plain.sum())

    def min(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return _min_max(self.view(np.ndarray), "min")

    def max(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return _min_max(self.view(np.ndarray), "max")


class Ties:
    """Float ``a.min()``/``a.max()`` whose zero depends on the CPU (item 10.4).

    NumPy's float min/max reduction has two loops. Its scalar loop keeps
    ``cur = x if (x <= cur or x is NaN) else cur`` (for max ``>=``), the first NaN
    staying, over the elements in memory order: of 0.0 and -0.0 the later one wins,
    which ember does too. Its SIMD loop (once at least one vector of elements follows
    the first) keeps a running minimum per lane and combines the lanes at the end, so
    which zero survives a tie depends on the lane count, and that is the CPU's (runtime
    dispatch: 2, 4 or 8 float64 lanes for 128-, 256-, 512-bit vectors; from 9 float64
    or 17 float32 elements on an AVX-512 machine). Nothing else differs between the
    loops: NaN propagates in both and a non-zero minimum is one value.

    So where NumPy's answer here is a zero and the scalar loop's is the other zero,
    NumPy's answer came from its vector loop and is CPU-dependent: either zero is
    right. The reference gives NumPy's answer (``scalar = False``) and notes the tie in
    ``seen``; when ember disagrees with that, the oracle runs the reference again with
    ``scalar = True``, which gives the scalar loop's zero at every such tie. Any other
    result (non-zero, NaN, both loops' zeros the same) is compared exactly."""

    scalar = False
    seen = False


def _min_max(a: np.ndarray, op: str) -> Any:
    got = _scalar(a.min() if op == "min" else a.max())
    if a.dtype.kind != "f" or got != 0.0:
        return got
    loop = _scalar_loop(a, op)
    if math.copysign(1.0, loop) == math.copysign(1.0, got):
        return got
    Ties.seen = True
    return loop if Ties.scalar else got


def _scalar_loop(a: np.ndarray, op: str) -> float:
    """NumPy's scalar min/max loop (see ``Ties``) in NumPy's order: memory order, the
    axis of smaller |stride| inside (a Fortran array down its columns)."""
    by_columns = a.ndim == 2 and min(a.shape) > 1 and abs(a.strides[1]) > abs(a.strides[0])
    items = [float(x) for x in (a.T if by_columns else a).ravel()]
    cur = items[0]
    for x in items[1:]:
        if not math.isnan(cur) and (math.isnan(x) or (x <= cur if op == "min" else x >= cur)):
            cur = x
    return cur


def _scalar(x: Any) -> Any:
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return _check(int(x))
    if isinstance(x, np.floating):
        return float(x)
    raise TypeError(f"the fuzzer never indexes to a view: {type(x).__name__}")


def ref(a: np.ndarray) -> RefArray:
    return a.view(RefArray)


def plain(value: Any) -> Any:
    """A reference result with its RefArrays as plain ndarrays (for comparison)."""
    if isinstance(value, np.ndarray):
        return value.view(np.ndarray)
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    return value


def _wrap(fn: Any) -> Any:
    return lambda *args, **kw: ref(
        fn(*[a.view(np.ndarray) if isinstance(a, np.ndarray) else a for a in args], **kw)
    )


def _abs(a: np.ndarray) -> RefArray:
    if a.dtype.kind == "i" and a.size and a.view(np.ndarray).min() == np.iinfo(a.dtype).min:
        raise OverflowError("np.abs of the dtype's minimum (reference)")
    return ref(np.abs(a.view(np.ndarray)))


def numpy_namespace() -> SimpleNamespace:
    """What ``np`` is for the reference: the functions the generator uses, returning
    RefArrays, and NumPy's dtypes."""
    names = ("zeros", "ones", "empty", "full", "arange", "zeros_like", "empty_like", "sqrt")
    ns = SimpleNamespace(**{n: _wrap(getattr(np, n)) for n in names})
    ns.abs = _abs
    for d in (
        "bool_",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float32",
        "float64",
    ):
        setattr(ns, d, getattr(np, d))
    return ns


def globals_for_reference() -> dict[str, Any]:
    return {
        "math": math,
        "np": numpy_namespace(),
        "_binop": _binop,
        "_unary": _unary,
        "_check": _check,
        "_aug_item": _aug_item,
    }
