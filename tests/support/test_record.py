"""ember.support.record: ``record`` (the frozen slotted class maker of types and IR nodes),
checked against the ``@dataclass(frozen=True, slots=True)`` it stands for."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError, dataclass

import pytest

from ember.native.types import Array, DType
from ember.support.record import record


@record
class Point:
    x: int
    y: object
    label: str = "p"


@dataclass(frozen=True, slots=True)
class DataPoint:
    x: int
    y: object
    label: str = "p"


@record
class Empty:
    pass


@record
class Single:
    value: object


def test_init_takes_fields_in_order_with_defaults() -> None:
    p = Point(1, 2.5)
    assert (p.x, p.y, p.label) == (1, 2.5, "p")
    assert Point(y=3, x=1, label="q") == Point(1, 3, "q")
    with pytest.raises(TypeError):
        Point(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, 2, "a", "extra")  # type: ignore[call-arg]


def test_behaves_like_the_frozen_slotted_dataclass() -> None:
    for args in [(1, 2.0), (1, (2, 3), "q"), (0, None)]:
        ours, theirs = Point(*args), DataPoint(*args)
        assert repr(ours).replace("Point", "DataPoint", 1) == repr(theirs)
        assert (ours == Point(*args)) == (theirs == DataPoint(*args))
        assert hash(ours) == hash(Point(*args))
    assert Point.__slots__ == DataPoint.__slots__  # type: ignore[attr-defined]
    assert Point.__match_args__ == DataPoint.__match_args__  # type: ignore[attr-defined]
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 2) != DataPoint(1, 2)  # another class: never equal, as dataclasses
    assert Point(1, 2).__eq__((1, 2, "p")) is NotImplemented


def test_frozen_and_without_dict() -> None:
    p = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del p.x  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        p.other = 1  # type: ignore[attr-defined]
    assert not hasattr(p, "__dict__")
    assert p.x == 1


def test_no_fields_and_one_field() -> None:
    assert Empty() == Empty() and hash(Empty()) == hash(Empty())
    assert repr(Empty()) == "Empty()"
    assert Single(1) == Single(1) != Single(2)
    assert {Single(1): "a"}[Single(1)] == "a"
    assert repr(Single([1])) == "Single(value=[1])"


def test_pickle_and_copy_round_trip() -> None:
    a = Array(DType("float32"), 3, "F", readonly=True)
    for clone in (pickle.loads(pickle.dumps(a)), copy.copy(a), copy.deepcopy(a)):
        assert clone == a and type(clone) is Array
    p = Point(1, (2, 3))
    assert pickle.loads(pickle.dumps(p)) == p


def test_match_statement_uses_the_fields() -> None:
    match Point(1, 2):
        case Point(x, y, label):
            assert (x, y, label) == (1, 2, "p")
        case _:  # pragma: no cover
            raise AssertionError("no match")


def test_subclass_fields_extend_the_base() -> None:
    @record
    class Base:
        a: int

    @record
    class Derived(Base):
        b: int = 0

    d = Derived(1, 2)
    assert (d.a, d.b) == (1, 2)
    assert Derived.__slots__ == ("b",)  # type: ignore[attr-defined]
    assert repr(d) == "test_subclass_fields_extend_the_base.<locals>.Derived(a=1, b=2)"
    assert d != Base(1)


@pytest.mark.parametrize("n", [0, 1, 3, 8, 9, 12])  # templates cover 0..8; more compile
def test_init_of_every_arity_keywords_and_defaults(n: int) -> None:
    names = [f"f{i}" for i in range(n)]
    body = {"__annotations__": dict.fromkeys(names, "int"), "__module__": __name__}
    if n:
        body[names[-1]] = -1  # a default for the last field
    cls = record(type(f"R{n}", (), body))
    values = list(range(n))
    obj = cls(*values)
    assert [getattr(obj, name) for name in names] == values
    assert cls(**dict(zip(names, values, strict=True))) == obj
    if n:
        assert getattr(cls(*values[:-1]), names[-1]) == -1
    if n > 1:
        with pytest.raises(TypeError, match="missing"):
            cls()
    with pytest.raises(TypeError):
        cls(*values, 99)
    with pytest.raises(TypeError, match="unexpected keyword"):
        cls(*values, nope=1)
    assert cls.__init__.__qualname__ == f"R{n}.__init__"
    assert cls.__init__.__code__.co_varnames[: n + 1] == ("self", *names)


def test_a_default_before_a_required_field_is_refused_as_before() -> None:
    with pytest.raises(SyntaxError):
        @record
        class Bad:
            a: int = 1
            b: int


def test_frozen_error_is_the_dataclasses_one_fetched_lazily() -> None:
    # `except dataclasses.FrozenInstanceError` (an AttributeError) catches it, and the
    # name is still importable from here for code that took it from this module.
    from ember.support import record as module

    assert module.FrozenInstanceError is FrozenInstanceError
    assert issubclass(module.FrozenInstanceError, AttributeError)
    with pytest.raises(AttributeError):
        Point(1, 2).x = 5  # type: ignore[misc]


# ------------------------------------------------------------------ the types
