"""Which function bodies are *check-free*: they cannot loop, recurse, call, print or
touch memory, so calling one while an integer overflow is pending is safe and the call
needs no overflow check point (see :mod:`ember.native.codegen.function`). Pure facts over
typed IR: no llvmlite."""

from __future__ import annotations

from collections.abc import Sequence

from ember.native.ir import nodes as T
from ember.native.types import Bool, Float64, Int64, NoneType, NpScalar, Tuple

# A call of a check-free function is no check point: it cannot loop, recurse, call,
# print or touch memory, so a wrapped argument can only give a wrong value (flagged) or
# an exception (which the pending flag turns into OverflowError).
_CHECK_FREE_CALLS = {"abs", "min", "max", "int", "float", "bool", "len"}


_CHECK_FREE_MATH = {"floor", "ceil", "trunc", "isnan", "isinf", "isfinite", "fabs", "sqrt",
                    "exp", "log", "sin", "cos", "tan", "atan", "copysign", "atan2"}


# Expressions that cannot loop, call, print or touch memory (given check-free operands).
_CHECK_FREE_EXPRS = (T.Const, T.Name, T.Call, T.Cast, T.Truth, T.UnaryOp, T.TupleGet, T.BinOp,
                     T.Compare, T.BoolOp, T.MakeTuple, T.IfExp)


def check_free(body: Sequence[T.Stmt]) -> bool:
    """Whether a function body is *check-free* (see :mod:`ember.native.codegen.function`): calling
    it with an overflow pending is safe, so the call needs no check point. Every node
    of the body must be one that cannot loop, call, print or touch memory."""
    return all(_check_free_node(n) for n in T.nodes(body))


def _check_free_node(n: object) -> bool:
    """One node, not counting the nodes inside it."""
    if isinstance(n, T.If | T.Assign | T.ExprStmt | T.Return | T.Pass):
        return True  # loops, and every array statement, are not
    if isinstance(getattr(n, "type", None), NpScalar):
        return False  # NumPy's scalar warnings call into Python (warning filters)
    if not isinstance(n, _CHECK_FREE_EXPRS):
        return False  # calls of jit functions, array expressions
    if not isinstance(n.type, Int64 | Float64 | Bool | Tuple | NoneType):
        return False
    if isinstance(n, T.Call):
        return n.func in _CHECK_FREE_CALLS or (
            n.func.startswith("math.") and n.func[5:] in _CHECK_FREE_MATH
        )
    return True
