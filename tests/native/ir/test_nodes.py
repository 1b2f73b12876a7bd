"""ir/nodes.py: walking a tree of nodes."""

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


def test_nodes_walks_array_nodes_and_functions_but_not_their_types_or_locals() -> None:
    from ember.native.ir import arrays as A
    from ember.native.types import Array, DType

    t = Array(DType("float64"), 1, "C")
    a, i = T.Name("a", t, SPAN), T.Name("i", INT64, SPAN)
    item = A.Index(a, (i,), INT64, SPAN)
    store = A.SetItem(a, (i,), T.BinOp("+", item, T.Const(1, INT64, SPAN), INT64, SPAN), SPAN)
    fn = T.TypedFunction("f", "f", "m", "_ember_f", (T.Param("a", t),), INT64,
                         (("a", t), ("i", INT64)), (store,), SPAN)
    kinds = [type(n).__name__ for n in T.nodes(fn)]
    assert kinds == ["TypedFunction", "Param", "SetItem", "Name", "Name", "BinOp", "Index",
                     "Name", "Name", "Const"]
