"""Which function bodies are *check-free*: they cannot loop, recurse, call, print or
touch memory, so calling one while an integer overflow is pending is safe and the call
needs no overflow check point (see :mod:`ember.native.codegen.function`). Pure facts over
typed IR: no llvmlite."""

from __future__ import annotations

from collections.abc import Sequence

from ember.native.ir import nodes as T
from ember.native.types import Bool, Float64, Int64, NoneType, Tuple

# A call of a check-free function is no check point: it cannot loop, recurse, call,
# print or touch memory, so a wrapped argument can only give a wrong value (flagged) or
# an exception (which the pending flag turns into OverflowError).
_CHECK_FREE_CALLS = {"abs", "min", "max", "int", "float", "bool", "len"}


_CHECK_FREE_MATH = {"floor", "ceil", "trunc", "isnan", "isinf", "isfinite", "fabs", "sqrt",
                    "exp", "log", "sin", "cos", "tan", "atan", "copysign", "atan2"}


def check_free(body: Sequence[T.Stmt]) -> bool:
    """Whether a function body is *check-free* (see :mod:`ember.native.codegen.function`): calling
    it with an overflow pending is safe, so the call needs no check point."""
    for st in body:
        if isinstance(st, T.If):
            if not (check_free_expr(st.test) and check_free(st.body)
                    and check_free(st.orelse)):
                return False
        elif isinstance(st, T.Assign | T.ExprStmt | T.Return):
            if not check_free_expr(st.value):
                return False
        elif not isinstance(st, T.Pass):
            return False  # loops, and every array statement
    return True


def check_free_expr(e: T.Expr) -> bool:
    if not isinstance(e.type, Int64 | Float64 | Bool | Tuple | NoneType):
        return False
    if isinstance(e, T.Const | T.Name):
        return True
    if isinstance(e, T.Call):
        name = e.func
        ok = name in _CHECK_FREE_CALLS or (
            name.startswith("math.") and name[5:] in _CHECK_FREE_MATH
        )
        return ok and all(check_free_expr(a) for a in e.args)
    if isinstance(e, T.Cast | T.Truth | T.UnaryOp | T.TupleGet):
        return check_free_expr(e.value)
    if isinstance(e, T.BinOp):
        return check_free_expr(e.left) and check_free_expr(e.right)
    if isinstance(e, T.Compare | T.BoolOp | T.MakeTuple):
        items = e.operands if isinstance(e, T.Compare) else (
            e.values if isinstance(e, T.BoolOp) else e.items
        )
        return all(check_free_expr(i) for i in items)
    if isinstance(e, T.IfExp):
        return all(check_free_expr(i) for i in (e.test, e.body, e.orelse))
    return False  # calls of jit functions, array expressions
