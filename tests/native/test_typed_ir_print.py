"""The typed-IR printer (ember.native.typed_ir_print): one text per node kind, built from
hand-made nodes so the printer is tested apart from inference."""

from __future__ import annotations

import pytest

from ember.diagnostics import Span
from ember.native import typed_ir as ir
from ember.native import typed_ir_arrays as A
from ember.native.typed_ir_print import format_expr, format_function
from ember.native.types import BOOL, FLOAT64, INT64, NONE, STR, Array, DType, Tuple

S = Span("f.py", 3, 4)
X = ir.Name("x", INT64, S)
Y = ir.Name("y", FLOAT64, S)
ARR = ir.Name("a", Array(DType("float32"), 2, "C"), S)


def c(value: object, t=INT64) -> ir.Const:
    return ir.Const(value, t, S)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "expr, text",
    [
        (c(3), "3:int64"),
        (c(-0.5, FLOAT64), "-0.5:float64"),
        (c(float("nan"), FLOAT64), "nan:float64"),
        (c("a'b", STR), "\"a'b\":str"),
        (c(None, NONE), "None:none"),
        (ir.Cast(X, FLOAT64, S), "cast(x:int64):float64"),
        (ir.Truth(Y, BOOL, S), "truth(y:float64):bool"),
        (ir.BinOp("//", X, c(2), INT64, S), "(x:int64 // 2:int64):int64"),
        (ir.UnaryOp("-", X, INT64, S), "(-x:int64):int64"),
        (ir.UnaryOp("not", c(True, BOOL), BOOL, S), "(not True:bool):bool"),
        (ir.Compare(("<", "notin"), (X, X, X), BOOL, S),
         "(x:int64 < x:int64 not in x:int64):bool"),
        (ir.BoolOp("or", (Y, Y), FLOAT64, S), "(y:float64 or y:float64):float64"),
        (ir.IfExp(c(True, BOOL), Y, Y, FLOAT64, S),
         "(y:float64 if True:bool else y:float64):float64"),
        (ir.Call("math.hypot", (Y, Y), FLOAT64, S), "math.hypot(y:float64, y:float64):float64"),
        (ir.CallJit("_ember_g_0123", (X,), INT64, S), "@_ember_g_0123(x:int64):int64"),
        (ir.MakeTuple((X,), Tuple((INT64,)), S), "(x:int64,):tuple[int64]"),
        (ir.TupleGet(ir.Name("t", Tuple((INT64, FLOAT64)), S), 1, FLOAT64, S),
         "t:tuple[int64, float64][1]:float64"),
        (A.Index(ARR, (X, c(-1)), FLOAT64, S),
         "a:array(float32, 2d, C)[x:int64, -1:int64]:float64"),
        (A.ArrayDim(ARR, 1, INT64, S), "a:array(float32, 2d, C).shape[1]:int64"),
        (A.ArrayReduce("sum", ARR, FLOAT64, S), "a:array(float32, 2d, C).sum():float64"),
        (A.ArrayNew("full", X, Y, Array(DType("int8"), 1, "C"), S,
                    ir.Call("int", (A.Element(FLOAT64, S),), INT64, S)),
         "array.full(x:int64, y:float64 as int(element:float64):int64):array(int8, 1d, C)"),
    ],
)
def test_expression_text(expr, text):
    assert format_expr(expr) == text


def test_call_jit_uses_the_given_names():
    call = ir.CallJit("_ember_g_0123", (X,), INT64, S)
    assert format_expr(call, {"_ember_g_0123": "g(int64)"}) == "@g(int64)(x:int64):int64"


def test_function_text_with_every_statement():
    body = (
        ir.Assign("x", c(0), S),
        ir.While(ir.Compare(("<",), (X, c(10)), BOOL, S), (
            ir.If(c(True, BOOL), (ir.Break(S),), (ir.Continue(S),), S),
        ), (ir.Pass(S),), S),
        ir.ForRange("i", c(0), X, c(-1), (), (), S),
        ir.ExprStmt(ir.Call("print", (c("hi", STR),), NONE, S), S),
        A.SetItem(ARR, (X, X), Y, S),
        A.SetItem(ARR, (X, X), X, S, ir.Cast(A.Element(INT64, S), FLOAT64, S)),
        ir.Return(X, S),
    )
    fn = ir.TypedFunction(
        name="f", qualname="f", module="m", symbol="_ember_f_1", params=(ir.Param("x", INT64),),
        return_type=INT64, locals=(("i", INT64), ("x", INT64)), body=body, span=S,
        captured=(("K", "3"),),
    )
    assert format_function(fn) == (
        "def f(x: int64) -> int64:\n"
        "    # symbol _ember_f_1, line 3\n"
        "    # locals: i: int64, x: int64\n"
        "    # captured: K = 3\n"
        "    x = 0:int64\n"
        "    while (x:int64 < 10:int64):bool:\n"
        "        if True:bool:\n"
        "            break\n"
        "        else:\n"
        "            continue\n"
        "    else:\n"
        "        pass\n"
        "    for i in range(0:int64, x:int64, -1:int64):\n"
        "        pass\n"
        "    print('hi':str):none\n"
        "    a:array(float32, 2d, C)[x:int64, x:int64] = y:float64\n"
        "    a:array(float32, 2d, C)[x:int64, x:int64] = x:int64 as cast(element:int64):float64\n"
        "    return x:int64\n"
    )
