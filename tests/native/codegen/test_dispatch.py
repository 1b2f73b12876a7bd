"""codegen/function.py's dispatcher: every node class of the typed IR (scalar and array)
has exactly one lowering rule, found by its class, and nothing else has one."""

from __future__ import annotations

import pytest

from ember.diagnostics import Span
from ember.native.codegen.function import EXPRESSIONS, STATEMENTS, FunctionLowerer
from ember.native.ir import array_funcs as AF
from ember.native.ir import arrays as A
from ember.native.ir import creation as N
from ember.native.ir import fancy as F
from ember.native.ir import linalg as LA
from ember.native.ir import lists as L
from ember.native.ir import nodes as T
from ember.native.ir import reductions as R
from ember.native.ir import views as V


def _array_nodes(*, expressions: bool) -> set[type]:
    """The records of ir/arrays.py, ir/fancy.py, ir/linalg.py, ir/reductions.py, ir/views.py, ir/creation.py and ir/array_funcs.py: expressions carry a
    ``type``, statements do not (a view's per-axis items, ViewSlice and NewAxis, are
    neither)."""
    found = set()
    for module in (A, F, LA, R, V, N, L, AF):
        for value in vars(module).values():
            fields = getattr(value, "__record_fields__", None)
            if isinstance(value, type) and value.__module__ == module.__name__ and fields \
                    and value not in (V.ViewSlice, V.NewAxis):
                if ("type" in fields) == expressions:
                    found.add(value)
    return found


def test_every_expression_node_has_a_rule() -> None:
    # ir/arrays.py's union names the nodes of the parts' own modules (ir/elementwise.py).
    expected = set(T.Expr.__args__) | _array_nodes(expressions=True) | set(A.AnyExpr.__args__)
    assert A.Index in expected and T.Const in expected  # the enumeration itself works
    assert set(EXPRESSIONS) == expected


def test_every_statement_node_has_a_rule() -> None:
    expected = set(T.Stmt.__args__) | _array_nodes(expressions=False) | set(A.AnyStmt.__args__)
    assert A.SetItem in expected and T.Return in expected
    assert set(STATEMENTS) == expected


def test_a_node_without_a_rule_is_refused_by_name() -> None:
    # No lowering state is needed to reach the lookup: an unknown class fails first.
    lowerer = FunctionLowerer.__new__(FunctionLowerer)
    with pytest.raises(NotImplementedError, match="Span"):
        lowerer.expr(Span("x.py", 1, 0))  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="Span"):
        lowerer.stmt(Span("x.py", 1, 0))  # type: ignore[arg-type]
