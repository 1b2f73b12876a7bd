"""typed_ir.py: walking a tree of nodes."""

from __future__ import annotations

from ember.diagnostics import Span
from ember.native.ir import nodes as T
from ember.native.types import INT64

SPAN = Span("f.py", 1)


def test_nodes_walks_depth_first_into_statements_and_expressions_not_types() -> None:
    x, one = T.Name("x", INT64, SPAN), T.Const(1, INT64, SPAN)
    body = (
        T.Assign("x", T.BinOp("+", x, one, INT64, SPAN), SPAN),
        T.Return(T.CallJit("_ember_g", (x,), INT64, SPAN), SPAN),
    )
    kinds = [type(n).__name__ for n in T.nodes(body)]
    assert kinds == ["Assign", "BinOp", "Name", "Const", "Return", "CallJit", "Name"]
    assert [n.name for n in T.nodes(body) if isinstance(n, T.Name)] == ["x", "x"]
