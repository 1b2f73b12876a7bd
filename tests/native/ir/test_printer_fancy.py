"""The typed-IR printer's texts for the nodes of ember.native.ir.fancy (hand-made nodes,
as tests/native/ir/test_printer.py does for the others)."""

from __future__ import annotations

from ember.diagnostics import Span
from ember.native.ir import fancy as F
from ember.native.ir import nodes as ir
from ember.native.ir.printer import format_expr, format_function
from ember.native.types import FLOAT64, INT64, NONE, Array, DType

S = Span("f.py", 3, 4)
A1 = Array(DType("float64"), 1, "C")
ARR = ir.Name("a", A1, S)
MASK = ir.Name("m", Array(DType("bool"), 1, "C"), S)


def test_get_and_call_texts() -> None:
    assert format_expr(F.FancyGet("mask", ARR, MASK, A1, S)) == (
        "a:array(float64, 1d, C)[m:array(bool, 1d, C)].mask:array(float64, 1d, C)")
    call = F.FancyCall("sort", (ARR,), A1, S, "stable")
    assert format_expr(call) == "np.sort(a:array(float64, 1d, C), 'stable'):array(float64, 1d, C)"
    assert format_expr(F.FancyCall("count_nonzero", (ARR,), INT64, S)).endswith(":int64")


def test_set_text() -> None:
    body = (F.FancySet("mask", ARR, MASK, ir.Const(1.0, FLOAT64, S), S),
            ir.Return(ir.Const(None, NONE, S), S))
    fn = ir.TypedFunction(
        name="f", qualname="f", module="m", symbol="_ember_f_1",
        params=(ir.Param("a", A1), ir.Param("m", MASK.type)), return_type=NONE,
        locals=(("a", A1), ("m", MASK.type)), body=body, span=S)
    assert "a:array(float64, 1d, C)[m:array(bool, 1d, C)].mask = 1.0:float64" in (
        format_function(fn))
