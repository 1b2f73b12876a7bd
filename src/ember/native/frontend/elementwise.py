"""Typing of array expressions: operators, comparisons and ufunc calls on arrays →
one fused :class:`~ember.native.ir.elementwise.ArrayEval` per expression::

    (a + b) * 2.5       ArrayEval((a, b, Const(2.5)),
                                  multiply(add(%0, %1), %2: float64)): array(float64, 1d, C)
    a < 300             (a: uint8 1d) ArrayEval((a, Const(300)),
                                  less(%0, %1: int64): bool): array(bool, 1d, C)
    np.where(a > 0, a, 0)   ArrayEval((a, Const(0), a, Const(0)), where(...)): ...
    a += 1              ArrayStore(Name(a), ArrayEval((a, Const(1)), add(%0, %1)))

Each operator names the ufunc NumPy's ndarray calls (:data:`ember.native.ufuncs.
BINARY_OPERATORS`), whose loop dtypes NumPy itself resolves at compile time
(:mod:`ember.native.frontend.ufunc_types`): promotion is NumPy 2's, weak Python scalars
included. An operand that is itself an ArrayEval (not a named local) is inlined, so an
expression is one loop with no temporaries. Hooked from
:mod:`ember.native.frontend.expressions` (binop, unary, compare, calls) and
:mod:`ember.native.frontend.statements` (``a op= b``); ``typer`` is the function's typer,
used through its public API only.
"""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native import ufuncs as U
from ember.native.frontend.arrays import ReadOnlyArrayError
from ember.native.frontend.operators import RuleError
from ember.native.frontend.ufunc_types import (
    Key,
    UFuncTypeError,
    can_cast_same_kind,
    numpy_module,
    output_cast_message,
    resolve,
)
from ember.native.frontend.unknown import is_unknown
from ember.native.ir.arrays import compute_type
from ember.native.ir.elementwise import (
    ArrayEval,
    ArrayStore,
    ElementCast,
    ElemExpr,
    Operand,
    UfuncCall,
)
from ember.native.ir.nodes import Cast, Const, Name
from ember.native.types import BOOL, COMPLEX128, FLOAT64, INT64, Array, DType, NpScalar, Type

if TYPE_CHECKING:  # annotations only: expressions imports this module
    from ember.native.frontend.expressions import ExprTyper
    from ember.native.ir.arrays import AnyExpr, AnyStmt

COMPARISONS = frozenset({"equal", "not_equal", "less", "less_equal", "greater",
                         "greater_equal"})
ARRAY_TRUTH = ("The truth value of an array with more than one element is ambiguous. "
               "Use a.any() or a.all()")
#: NumPy functions that are not ufuncs but fuse the same way.
FUNCTIONS = ("where", "clip")
_NATURAL = {INT64: DType("int64"), FLOAT64: DType("float64"), BOOL: DType("bool"),
            COMPLEX128: DType("complex128")}


class ArrayTypeError(EmberError, TypeError):
    """A compile error where NumPy raises TypeError (no ufunc loop for these dtypes, a
    same_kind output cast refused): also a TypeError, as NumPy's UFuncTypeError is."""


def ufunc_name(value: object) -> str | None:
    """The canonical name (``ufunc.__name__``) of a NumPy ufunc compiled code knows,
    ``"where"``/``"clip"`` for those functions, else None. NumPy is looked up in
    ``sys.modules``, never imported."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    if isinstance(value, np.ufunc):
        name = value.__name__
        return name if name in U.ARITY else None
    for name in FUNCTIONS:
        if value is getattr(np, name, None):
            return name
    return None


# ------------------------------------------------------------------- fusion


class _Fusion:
    """The operands of the ArrayEval being built, and each argument's element."""

    def __init__(self, span: Span, name: str) -> None:
        self.operands: list[AnyExpr] = []
        self.span = span
        self.name = name

    def arg(self, value: AnyExpr) -> tuple[ElemExpr | int, Key]:
        """An argument: its element (an ElemExpr, or the operand index of a scalar whose
        dtype is decided by the resolution) and its resolution key."""
        if isinstance(value, ArrayEval):  # fused: its operands become ours
            shift = len(self.operands)
            self.operands.extend(value.operands)
            body = _shifted(value.body, shift)
            return body, body.type
        t = value.type
        k = len(self.operands)
        self.operands.append(value)
        if isinstance(t, Array):
            return Operand(k, t.dtype, self.span), t.dtype
        if t == INT64:
            return k, "int"
        if t == FLOAT64:
            return k, "float"
        if t == BOOL:
            return k, DType("bool")
        if isinstance(t, NpScalar):  # a strong scalar of its dtype, held as its compute type
            self.operands[-1] = Cast(value, compute_type(t.dtype), value.span)
            return k, t.dtype
        if t == COMPLEX128:
            return k, "complex"  # a weak Python complex (NEP 50)
        self.operands.pop()
        raise RuleError(f"np.{self.name}() needs arrays or numbers here, not {t}",
                        "operands of array expressions are arrays, ints, floats and bools")

    def result_type(self, dtype: DType) -> Type:
        arrays = [o.type for o in self.operands if isinstance(o.type, Array)]
        ndim = max((a.ndim for a in arrays), default=0)
        if ndim == 0:
            return scalar_type(dtype)
        layout = "F" if ndim > 1 and all(a.layout == "F" for a in arrays) else "C"
        return Array(dtype, ndim, layout)


def _shifted(body: ElemExpr, shift: int) -> ElemExpr:
    if isinstance(body, Operand):
        return Operand(body.index + shift, body.type, body.span)
    if isinstance(body, ElementCast):
        return ElementCast(_shifted(body.value, shift), body.type, body.span)
    return UfuncCall(body.name, tuple(_shifted(a, shift) for a in body.args), body.type,
                     body.span)


def scalar_type(dtype: DType) -> Type:
    """The ember scalar a result element of ``dtype`` becomes outside an array."""
    return compute_type(dtype)  # the one rule (ir/arrays.py)


def _element(f: _Fusion, arg: ElemExpr | int, want: DType) -> ElemExpr:
    """``arg`` as an element of dtype ``want``: a cast element, or a scalar operand
    converted to ``want`` before the loop (the weak-scalar rule)."""
    if isinstance(arg, int):
        return Operand(arg, want, f.span)
    return arg if arg.type == want else ElementCast(arg, want, f.span)


def _natural(f: _Fusion, index: int) -> Operand:
    """A scalar operand as the dtype of its own ember type (no range check)."""
    return Operand(index, _NATURAL[f.operands[index].type], f.span)


def ufunc(typer: ExprTyper, name: str, values: list[AnyExpr], node: ast.AST) -> AnyExpr:
    """``np.<name>(*values)`` (values already typed) as one fused ArrayEval."""
    if any(is_unknown(v.type) for v in values):
        return typer.unknown(node)
    if len(values) != U.ARITY[name]:
        raise typer.error(node, f"np.{name}() takes {U.ARITY[name]} argument(s), got "
                          f"{len(values)}")
    f = _Fusion(typer.span(node), name)
    args = [f.arg(v) for v in values]
    try:
        ins, out = resolve(name, tuple(k for _, k in args))
    except UFuncTypeError as exc:
        raise _type_error(typer, node, exc) from None
    elems: list[ElemExpr] = []
    for (arg, key), want in zip(args, ins, strict=True):
        if isinstance(arg, int) and key == "int" and name in COMPARISONS and want.kind in "iu":
            # NumPy 2 compares an int array with a Python int exactly (no overflow
            # error): the int stays int64 next to the array's own dtype.
            elems.append(_natural(f, arg))
        else:
            elems.append(_element(f, arg, want))
    if name == "reciprocal" and out.kind != "f":
        # NumPy computes 1.0 / x and casts it back (1 / 0 is the dtype's minimum on x86).
        raise typer.error(node, f"np.reciprocal() of an integer array ({out}) is not "
                          "supported in compiled code", "write 1.0 / a (a float array), or "
                          "1 // a for NumPy's integer floor division")
    body = UfuncCall(name, tuple(elems), out, f.span)
    return ArrayEval(tuple(f.operands), body, f.result_type(out), f.span)


def _type_error(typer: ExprTyper, node: ast.AST, exc: RuleError) -> EmberError:
    return ArrayTypeError(Diagnostic(typer.span(node), exc.message, exc.hint),
                          typer.src.source)


def where(typer: ExprTyper, values: list[AnyExpr], node: ast.AST) -> AnyExpr:
    """``np.where(c, x, y)``: ``c``'s truth picks ``x`` or ``y``, both cast to
    ``np.result_type(x, y)`` (a Python int is cast as C casts, wrapping, as NumPy's
    where does: ``np.where(c, uint8_array, 300)`` holds 44)."""
    if any(is_unknown(v.type) for v in values):
        return typer.unknown(node)
    np = numpy_module()
    f = _Fusion(typer.span(node), "where")
    args = [f.arg(v) for v in values]
    keys = [_numpy_key(np, k) for _, k in args[1:]]
    try:
        out = _dtype(np.result_type(*keys))
    except (TypeError, RuleError) as exc:
        raise typer.error(node, f"np.where() of these values is not supported: {exc}") from None
    cond, x, y = args
    elems = [_truth_element(f, cond[0])]
    for arg, _key in (x, y):
        elem = _natural(f, arg) if isinstance(arg, int) else arg
        elems.append(elem if elem.type == out else ElementCast(elem, out, f.span))
    body = UfuncCall("where", tuple(elems), out, f.span)
    return ArrayEval(tuple(f.operands), body, f.result_type(out), f.span)


def _truth_element(f: _Fusion, arg: ElemExpr | int) -> ElemExpr:
    elem = _natural(f, arg) if isinstance(arg, int) else arg
    return elem if elem.type == DType("bool") else ElementCast(elem, DType("bool"), f.span)


def _numpy_key(np: object, key: Key) -> object:
    if isinstance(key, DType):
        return np.dtype(key.name)  # type: ignore[attr-defined]
    # result_type takes Python numbers as weak scalars (any value of the kind will do).
    return 0 if key == "int" else 0.0


def _dtype(dtype: object) -> DType:
    from ember.native.frontend.ufunc_types import ember_dtype

    return ember_dtype(dtype, "this expression")


def clip(typer: ExprTyper, values: list[AnyExpr], node: ast.AST) -> AnyExpr:
    """``np.clip(a, lo, hi)``: NumPy 2's clip ufunc (``minimum(maximum(a, lo), hi)``,
    NaN propagating). Python int bounds of an int array are clamped to the dtype's
    range, as NumPy does (``np.clip(uint8_array, -5, 300)`` raises nothing)."""
    if any(is_unknown(v.type) for v in values):
        return typer.unknown(node)
    np = numpy_module()
    f = _Fusion(typer.span(node), "clip")
    args = [f.arg(v) for v in values]
    try:
        dtypes = np._core.umath.clip.resolve_dtypes((*(_weak(np, k) for _, k in args), None))
    except TypeError as exc:
        raise _type_error(typer, node, UFuncTypeError(str(exc))) from None
    ins = [_dtype(d) for d in dtypes[:-1]]
    out = _dtype(dtypes[-1])
    elems = []
    for (arg, key), want in zip(args, ins, strict=True):
        if isinstance(arg, int) and key == "int" and want.kind in "iu":
            elems.append(_natural(f, arg))  # clamped to want's range by the kernel
        else:
            elems.append(_element(f, arg, want))
    body = UfuncCall("clip", tuple(elems), out, f.span)
    return ArrayEval(tuple(f.operands), body, f.result_type(out), f.span)


def _weak(np: object, key: Key) -> object:
    if isinstance(key, DType):
        return np.dtype(key.name)  # type: ignore[attr-defined]
    return int if key == "int" else float


# ---------------------------------------------------------------- the hooks


def binop(typer: ExprTyper, op: str, left: AnyExpr, right: AnyExpr, node: ast.AST) -> AnyExpr:
    """``left op right`` where an operand is an array."""
    name = U.BINARY_OPERATORS.get(op)
    if name is None:
        if op == "@":  # `a @ b` itself is frontend/linalg.py's; only `a @= b` gets here
            raise typer.error(node, "in-place a @= b is not supported",
                              "write a = a @ b (a new array)")
        raise typer.error(node, f"the {op} operator on arrays is not supported",
                          "write the loops")
    if (op == "**" and isinstance(left.type, Array) and isinstance(right, Const)
            and right.type == INT64 and right.value == 2):
        # ndarray.__pow__ computes a ** 2 as np.square(a) (bool ** 2 is int8, not int64);
        # a run-time exponent of 2 is np.power's (a documented difference for bool).
        return ufunc(typer, "square", [left], node)
    return ufunc(typer, name, [left, right], node)


def unary(typer: ExprTyper, op: str, value: AnyExpr, node: ast.AST) -> AnyExpr:
    """``-a``, ``+a``, ``~a`` of an array."""
    return ufunc(typer, U.UNARY_OPERATORS[op], [value], node)


def compare(typer: ExprTyper, ops: tuple[str, ...], operands: tuple[AnyExpr, ...],
            node: ast.AST) -> AnyExpr:
    """``a < b`` where an operand is an array (one comparison)."""
    if len(ops) > 1:
        raise typer.error(node, "a chained comparison of arrays takes the truth of an "
                          "array: " + ARRAY_TRUTH.replace("The truth", "the truth"),
                          "compare once and combine: (a < b) & (b < c)")
    name = U.BINARY_OPERATORS.get(ops[0])
    if name is None:
        raise typer.error(node, f"the '{ops[0]}' operator on arrays is not supported",
                          "compare arrays with == != < <= > >=")
    return ufunc(typer, name, list(operands), node)


def call(typer: ExprTyper, name: str, node: ast.Call) -> AnyExpr:
    """``np.<ufunc>(...)``, ``np.where(c, x, y)``, ``np.clip(a, lo, hi)``."""
    if node.keywords:
        raise typer.error(node.keywords[0], f"np.{name}() keyword '{node.keywords[0].arg}' "
                          "is not supported in compiled code",
                          f"pass the operands by position: b = np.{name}(...)")
    values = [typer.expr(a) for a in node.args]
    if name == "where":
        if len(values) != 3:
            raise typer.error(node, "np.where() takes 3 arguments (condition, x, y) in "
                              "compiled code", "write np.where(c, x, y)")
        return where(typer, values, node)
    if name == "clip":
        if len(values) != 3:
            raise typer.error(node, "np.clip() takes 3 arguments (a, lo, hi) in compiled "
                              "code", "write np.clip(a, lo, hi)")
        return clip(typer, values, node)
    return ufunc(typer, name, values, node)


def aug_assign(typer: ExprTyper, node: ast.AugAssign, op: str, current: AnyExpr,
               out: list[AnyStmt]) -> None:
    """``a op= b`` for a local array ``a``: ``np.<ufunc>(a, b, out=a)`` — written into
    ``a``'s memory, the result cast with NumPy's same_kind rule (a compile-time
    TypeError with NumPy's text when it does not apply)."""
    assert isinstance(current, Name) and isinstance(current.type, Array)
    t = current.type
    if t.readonly:
        raise ReadOnlyArrayError(Diagnostic(typer.span(node.target), f"'{current.name}' is "
                                 "a read-only buffer, and this writes to it",
                                 "pass a writable array (e.g. a.copy())"), typer.src.source)
    rhs = typer.expr(node.value)
    if is_unknown(rhs.type):
        return
    value = binop(typer, op, current, rhs, node)
    assert isinstance(value, ArrayEval) and isinstance(value.type, Array)
    body = value.body
    if body.type != t.dtype:
        if not can_cast_same_kind(body.type, t.dtype):
            message = output_cast_message(U.BINARY_OPERATORS[op], body.type, t.dtype)
            raise _type_error(typer, node, RuleError(
                message, f"assign a new array instead: {current.name} = {current.name} "
                f"{op} ..., or convert the right-hand side first"))
        body = ElementCast(body, t.dtype, body.span)
    stored = ArrayEval(value.operands, body, t, value.span)
    out.append(ArrayStore(current, stored, typer.span(node)))
