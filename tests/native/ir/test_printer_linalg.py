"""The typed-IR printer's text for ember.native.ir.linalg.MatMul (a hand-made node)."""

from __future__ import annotations

from ember.diagnostics import Span
from ember.native.ir import nodes as ir
from ember.native.ir.linalg import MatMul
from ember.native.ir.printer import format_expr
from ember.native.types import FLOAT64, Array, DType

S = Span("f.py", 3, 4)
A1 = Array(DType("float64"), 1, "C")
A2 = Array(DType("float64"), 2, "A")


def test_matmul_text() -> None:
    a, x = ir.Name("a", A2, S), ir.Name("x", A1, S)
    assert format_expr(MatMul("matmul", a, x, A1, S)) == (
        "np.matmul(a:array(float64, 2d, A), x:array(float64, 1d, C)):array(float64, 1d, C)")
    assert format_expr(MatMul("vdot", x, x, FLOAT64, S)).endswith("):float64")
