"""types.py: the value semantics of types (and IR nodes, built the same way) that
inference and the dispatcher rely on."""

from __future__ import annotations

import copy
from dataclasses import FrozenInstanceError

import pytest

from ember.native.ir import nodes as T
from ember.native.types import (
    BOOL,
    COMPLEX128,
    FLOAT64,
    INT64,
    NONE,
    Array,
    DType,
    Float64,
    Int64,
    Tuple,
    Type,
    annotation_type,
    type_named,
)


def test_types_compare_and_hash_by_value() -> None:
    assert INT64 == Int64() and INT64 != FLOAT64 and FLOAT64 == Float64()
    assert len({INT64, FLOAT64, BOOL, NONE, Int64()}) == 4
    t = Tuple((INT64, Array(DType("float64"), 2, "C")))
    assert t == Tuple((INT64, Array(DType("float64"), 2, "C")))
    assert {t: 1}[Tuple((INT64, Array(DType("float64"), 2, "C")))] == 1
    assert Array(DType("float64"), 2) != Array(DType("float64"), 2, "C")


def test_types_keep_their_own_text() -> None:
    assert repr(INT64) == str(INT64) == "int64"
    assert repr([Array(DType("uint8"), 1, "C", True)]) == "[array(uint8, 1d, C, readonly)]"
    assert isinstance(INT64, Type) and Array.__init__.__qualname__ == "Array.__init__"


def test_ir_nodes_are_immutable_values() -> None:
    from ember.diagnostics import Span

    span = Span("f.py", 1)
    node = T.BinOp("+", T.Const(1, INT64, span), T.Name("x", INT64, span), INT64, span)
    assert node == T.BinOp("+", T.Const(1, INT64, span), T.Name("x", INT64, span), INT64, span)
    assert hash(node) == hash(copy.deepcopy(node))
    with pytest.raises(FrozenInstanceError):
        node.op = "-"  # type: ignore[misc]
    assert T.Const.__slots__ == ("value", "type", "span")  # type: ignore[attr-defined]


# ------------------------------------------------------------ names of types


def test_annotations_name_scalars_as_python_spells_them() -> None:
    # The eager @jit compile reads evaluated annotations: classes, None, or strings
    # (from __future__ import annotations).
    for ann, t in ((int, INT64), (float, FLOAT64), (bool, BOOL), (None, NONE),
                   (type(None), NONE), ("int", INT64), ("float", FLOAT64), ("bool", BOOL),
                   ("None", NONE), (complex, COMPLEX128), ("complex", COMPLEX128)):
        assert annotation_type(ann) == t, ann
    for ann in ("int64", "float64", "none", str, [int], "list", 1):
        assert annotation_type(ann) is None, ann


def test_type_names_take_python_and_ember_spellings() -> None:
    # `ember explain --types` takes both: int and int64, None and none.
    for name, t in (("int", INT64), ("int64", INT64), ("float", FLOAT64),
                    ("float64", FLOAT64), ("bool", BOOL), ("None", NONE), ("none", NONE)):
        assert type_named(name) == t, name
    for name in ("str", "Int", "float32", "", "tuple"):
        assert type_named(name) is None, name
