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
class Complex128(Type):
    """Python ``complex`` (two IEEE binary64: real, imag), CPython's arithmetic; its
    lowering is codegen/complex.py, its typing frontend/complex.py."""

    def __str__(self) -> str:
        return "complex128"


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
        """``"b"`` bool, ``"i"`` signed, ``"u"`` unsigned, ``"f"`` float, ``"c"`` complex
        (NumPy's kinds)."""
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
            return f"builtin[{ {'float64': 'float', 'int64': 'int', 'complex128': 'complex'}.get(self.dtype.name, 'bool')}]"
        return f"{self.form}[{self.dtype}]"


@record
class NpScalar(Type):
    """A NumPy scalar (``np.float32``, ``np.int8`` ... ``np.uint64``, ``np.bool_``) read
    from an array of that dtype or passed in as one: it computes with NumPy's scalar rules
    (ints wrap with NumPy's RuntimeWarning, float32 rounds per operation) and goes back
    to Python as that NumPy type. Held as the dtype's storage value (a bool as a byte).

    >>> NpScalar(DType("float32")), NpScalar(DType("uint8"))
    (np.float32, np.uint8)
    """

    dtype: DType

    def __str__(self) -> str:
        return f"np.{self.dtype}"


DTYPE_NAMES = (
    "bool", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "float32", "float64", "complex64", "complex128",
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


@record
class List(Type):
    """A Python ``list`` whose items all have one type ``item`` (a number, a bool, a
    tuple of numbers, an array or a list), stored unboxed (codegen/lists.py). ``item``
    is None for ``[]`` before inference has seen what is put into it."""

    item: Type | None

    def __str__(self) -> str:
        return f"list[{'?' if self.item is None else self.item}]"


@record
class Function(Type):
    """A function known at compile time, as a value (``apply(sq, x)``, a lambda, an inner
    ``def``): a call through it is a direct call of that function's specialization.
    ``ident`` names it in the frontend's table (frontend/closures.py); ``captures`` are
    the types of the enclosing locals an inner function reads, which are its value at
    run time (a struct of them; nothing for a module-level @jit function).

    >>> Function("sq", "app:sq")
    function[app:sq]
    """

    name: str
    ident: str
    captures: tuple[Type, ...] = ()

    def __str__(self) -> str:  # the ident: signatures name cache files (cache/key.py)
        return f"function[{self.ident}]"


INT64 = Int64()
FLOAT64 = Float64()
BOOL = Bool()
NONE = NoneType()
STR = Str()
COMPLEX128 = Complex128()

NUMERIC: tuple[Type, ...] = (BOOL, INT64, FLOAT64)


# ------------------------------------------------------------ names of types

#: The one name → Type table: the scalar types as Python spells them, in annotations
#: (``def f(x: float)``, ``n: int = 0``, or the strings ``from __future__ import
#: annotations`` leaves) and in ``ember explain --types``.
TYPE_NAMES: dict[str, Type] = {
    "int": INT64, "float": FLOAT64, "bool": BOOL, "None": NONE, "complex": COMPLEX128,
}  # fmt: skip
# An evaluated annotation holds the class (or None itself): its name in TYPE_NAMES.
_CLASS_NAMES: dict[object, str] = {
    int: "int", float: "float", bool: "bool", type(None): "None", None: "None",
    complex: "complex",
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
    if kind is complex:
        return COMPLEX128
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
    if COMPLEX128 in (a, b) and a in (*NUMERIC, COMPLEX128) and b in (*NUMERIC, COMPLEX128):
        return COMPLEX128  # the numeric tower's top: int and float widen to complex
    if isinstance(a, List) and isinstance(b, List):  # [] meets the list it becomes
        return a if b.item is None else b if a.item is None else None
    if isinstance(a, NpScalar) or isinstance(b, NpScalar):
        return _unify_numpy(a, b)
    if isinstance(a, Tuple) and isinstance(b, Tuple) and len(a.items) == len(b.items):
        items = [unify(x, y) for x, y in zip(a.items, b.items, strict=True)]
        if all(t is not None for t in items):
            return Tuple(tuple(items))  # type: ignore[arg-type]
    return None


def promote_dtypes(a: DType, b: DType) -> DType:
    """NumPy 2's ``np.result_type`` of two of ember's dtypes, as a table (this module
    imports no NumPy; tests/native/test_numpy_scalar_semantics.py checks it against
    NumPy for every pair).

    >>> promote_dtypes(DType("uint8"), DType("int8")), promote_dtypes(DType("int32"), DType("float32"))
    (int16, float64)
    """
    if a == b:
        return a
    if a.kind == "b" or b.kind == "b":
        return b if a.kind == "b" else a
    if a.kind == "f" or b.kind == "f":
        size = max(_float_size(a), _float_size(b))
        return DType(f"float{size * 8}")
    if a.kind == b.kind:
        return a if a.itemsize >= b.itemsize else b
    signed, unsigned = (a, b) if a.kind == "i" else (b, a)
    if signed.itemsize > unsigned.itemsize:
        return signed
    if unsigned.itemsize == 8:
        return DType("float64")  # uint64 and int64 have no common int
    return DType(f"int{unsigned.itemsize * 16}")


def _float_size(d: DType) -> int:
    """The itemsize of the smallest float that holds every value of ``d`` exactly."""
    if d.kind == "f":
        return d.itemsize
    return 4 if d.itemsize <= 2 else 8


def weak_dtype(python: Type, d: DType) -> DType:
    """The dtype a Python bool/int/float meeting a NumPy scalar of ``d`` gives (NEP 50:
    a Python int or float is *weak*, it takes the NumPy operand's dtype when its kind
    allows; a Python bool is NumPy's bool).

    >>> weak_dtype(FLOAT64, DType("float32")), weak_dtype(INT64, DType("uint8")), weak_dtype(FLOAT64, DType("int8"))
    (float32, uint8, float64)
    """
    if isinstance(python, Bool):
        return promote_dtypes(DType("bool"), d)
    if isinstance(python, Int64):
        return DType("int64") if d.kind == "b" else d
    return d if d.kind == "f" else DType("float64")


def _unify_numpy(a: Type, b: Type) -> Type | None:
    """Where a NumPy scalar meets another number: the NumPy scalar type both convert to
    (a Python number is weak, :func:`weak_dtype`)."""
    if isinstance(a, NpScalar) and isinstance(b, NpScalar):
        return NpScalar(promote_dtypes(a.dtype, b.dtype))
    np_t, other = (a, b) if isinstance(a, NpScalar) else (b, a)
    assert isinstance(np_t, NpScalar)
    if other not in NUMERIC:
        return None
    return NpScalar(weak_dtype(other, np_t.dtype))


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
