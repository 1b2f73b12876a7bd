"""ember's native types: what a value is inside compiled code.

Python values → types at the call boundary (:func:`typeof`), and the rules that join
two types where control flow merges (:func:`unify`)::

    >>> typeof(3), typeof(2.5), typeof((1, 2.0))
    (int64, float64, tuple[int64, float64])
    >>> unify(INT64, FLOAT64)
    float64

No llvmlite and no ast here: every later stage imports this module.
"""

from __future__ import annotations

from ember.support.record import record


@record
class Type:
    """Base of all native types; instances are hashable and compare by value."""

    def __str__(self) -> str:  # pragma: no cover - every subclass overrides
        return type(self).__name__

    def __repr__(self) -> str:
        # Types read best as ember prints them: f.signatures == [(int64, float64)].
        return str(self)


@record
class Int64(Type):
    """Python ``int`` held in 64 bits; leaving the range raises OverflowError."""

    def __str__(self) -> str:
        return "int64"


@record
class Float64(Type):
    """Python ``float`` (IEEE binary64)."""

    def __str__(self) -> str:
        return "float64"


@record
class Bool(Type):
    def __str__(self) -> str:
        return "bool"


@record
class NoneType(Type):
    def __str__(self) -> str:
        return "none"


@record
class Str(Type):
    """A string literal; only usable as an argument of ``print``."""

    def __str__(self) -> str:
        return "str"


@record
class Tuple(Type):
    items: tuple[Type, ...]

    def __str__(self) -> str:
        return f"tuple[{', '.join(map(str, self.items))}]"


@record
class DType(Type):
    """An array element type, named as NumPy names it (``"float64"``, ``"uint8"``)."""

    name: str

    @property
    def itemsize(self) -> int:
        return 1 if self.name == "bool" else int("".join(c for c in self.name if c.isdigit())) // 8

    @property
    def kind(self) -> str:
        """``"b"`` bool, ``"i"`` signed, ``"u"`` unsigned, ``"f"`` float (NumPy's kinds)."""
        return "b" if self.name == "bool" else self.name[0]

    def __str__(self) -> str:
        return self.name


@record
class DTypeValue(Type):
    """A dtype as a value (``a.dtype``, ``np.float32`` passed in as an argument): known
    at compile time, so part of the specialization's signature, and held as nothing at
    run time. ``form`` is how Python spelled it, which is what goes back to Python:
    ``"dtype"`` (a ``numpy.dtype`` instance), ``"type"`` (a NumPy scalar type such as
    ``np.float32``) or ``"builtin"`` (``float``, ``int``, ``bool``).

    >>> DTypeValue(DType("float32")), DTypeValue(DType("int64"), "type")
    (dtype[float32], type[int64])
    """

    dtype: DType
    form: str = "dtype"

    def __str__(self) -> str:
        if self.form == "builtin":
            return f"builtin[{ {'float64': 'float', 'int64': 'int'}.get(self.dtype.name, 'bool')}]"
        return f"{self.form}[{self.dtype}]"


DTYPE_NAMES = (
    "bool", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "float32", "float64",
)  # fmt: skip


@record
class Array(Type):
    """An n-dimensional strided array. ``layout`` is ``"C"``, ``"F"`` or ``"A"`` (any
    strides); specializations differ by layout only where it makes code faster."""

    dtype: DType
    ndim: int
    layout: str = "A"
    readonly: bool = False

    def __str__(self) -> str:
        ro = ", readonly" if self.readonly else ""
        return f"array({self.dtype}, {self.ndim}d, {self.layout}{ro})"


INT64 = Int64()
FLOAT64 = Float64()
BOOL = Bool()
NONE = NoneType()
STR = Str()

NUMERIC: tuple[Type, ...] = (BOOL, INT64, FLOAT64)


# ------------------------------------------------------------ names of types

#: The one name → Type table: the scalar types as Python spells them, in annotations
#: (``def f(x: float)``, ``n: int = 0``, or the strings ``from __future__ import
#: annotations`` leaves) and in ``ember explain --types``.
TYPE_NAMES: dict[str, Type] = {"int": INT64, "float": FLOAT64, "bool": BOOL, "None": NONE}
# An evaluated annotation holds the class (or None itself): its name in TYPE_NAMES.
_CLASS_NAMES: dict[object, str] = {
    int: "int", float: "float", bool: "bool", type(None): "None", None: "None",
}  # fmt: skip


def annotation_type(annotation: object) -> Type | None:
    """The scalar type an evaluated annotation names (``int``, ``float``, ``bool``,
    ``None``, the class or its name as a string), else None.

    >>> annotation_type(float), annotation_type("int"), annotation_type(None), annotation_type(str)
    (float64, int64, none, None)
    """
    if isinstance(annotation, str):
        return TYPE_NAMES.get(annotation)
    try:
        name = _CLASS_NAMES.get(annotation)
    except TypeError:  # an unhashable annotation names no type
        return None
    return None if name is None else TYPE_NAMES[name]


def type_named(name: str) -> Type | None:
    """A scalar type by its Python name (:data:`TYPE_NAMES`) or by the name ember prints
    for it (``int64``, ``float64``, ``bool``, ``none``), else None.

    >>> type_named("float"), type_named("int64"), type_named("none"), type_named("str")
    (float64, int64, none, None)
    """
    t = TYPE_NAMES.get(name)
    if t is None:
        t = next((t for t in TYPE_NAMES.values() if str(t) == name), None)
    return t


def scalar_type(value: object) -> Type | None:
    """The native type of an int, float, bool or None argument, else None.

    Exact types only (``bool`` is not taken as an int, nor an int subclass as int).
    """
    kind = type(value)
    if kind is bool:
        return BOOL
    if kind is int:
        return INT64
    if kind is float:
        return FLOAT64
    if value is None:
        return NONE
    return None


def typeof(value: object) -> Type:
    """The native type of a Python argument value; raises TypeError when there is none.

    Scalars as :func:`scalar_type`; arrays are classified where the buffer is read
    (see the arrays stage).
    """
    t = scalar_type(value)
    if t is not None:
        return t
    if type(value) is tuple:
        return Tuple(tuple(typeof(v) for v in value))  # type: ignore[attr-defined]
    raise TypeError(f"no native type for a value of type {type(value).__name__}")


def unify(a: Type, b: Type) -> Type | None:
    """The type both ``a`` and ``b`` convert to where they meet (an assignment in two
    branches, ``x if c else y``), or None if they cannot meet.

    bool < int64 < float64, as Python's numeric tower; tuples unify item by item.
    """
    if a == b:
        return a
    if a in NUMERIC and b in NUMERIC:
        return NUMERIC[max(NUMERIC.index(a), NUMERIC.index(b))]
    if isinstance(a, Tuple) and isinstance(b, Tuple) and len(a.items) == len(b.items):
        items = [unify(x, y) for x, y in zip(a.items, b.items, strict=True)]
        if all(t is not None for t in items):
            return Tuple(tuple(items))  # type: ignore[arg-type]
    return None


def signature_text(arg_types: tuple[Type, ...]) -> str:
    """``(int64, float64)``: how a specialization is named to users."""
    return "(" + ", ".join(map(str, arg_types)) + ")"


def mangle(module: str, qualname: str, arg_types: tuple[Type, ...]) -> str:
    """A unique, linker-safe symbol for one specialization.

    >>> mangle("app", "f", (INT64,))
    '_ember_f_4b437a067c7e'
    """
    import hashlib  # lazy: not needed on the warm (cached) path

    readable = "".join(c if c.isalnum() else "_" for c in qualname)[:40]
    digest = hashlib.sha256(f"{module}:{qualname}:{signature_text(arg_types)}".encode()).hexdigest()
    return f"_ember_{readable}_{digest[:12]}"


# The range of Python ints that compiled code holds in an i64.
INT64_MIN = -(2**63)


INT64_MAX = 2**63 - 1
