"""Numba's signature strings → ember's types, and the dispatch of a function whose
signatures were declared (``@jit("float64(float64[:], int64)")``).

    >>> s = parse("float64(float64[:, ::1], int64)")
    >>> s.args, s.ret
    ((array(float64, 2d, C), int64), float64)
    >>> parse("(UniTuple(int64, 2), boolean)").args
    (tuple[int64, int64], bool)

The grammar is Numba's, for strings: ``[ret](arg, ...)``; a type is a scalar name
(``int8`` ... ``uint64``, ``float32``/``float64``, ``complex64``/``complex128``,
``boolean``/``b1``, ``intp``, the short forms ``i8 f8 c16 ...``), an array of one
(``float64[:]``, ``[:, :]``; ``[::1]`` and ``[:, ::1]`` C-contiguous, ``[::1, :]``
Fortran), ``UniTuple(type, n)``, ``Tuple(type, ...)``, or ``void``/``none`` as a return.
Python's ``int``/``float``/``bool``/``complex`` are ``int64``/``float64``/``boolean``/
``complex128``; narrower scalars (``int32``, ``float32`` ...) are NumPy scalars of that
type (a Python number passed for one is converted, as Numba converts it).

A bad string is a :class:`SignatureError` (a TypeError) with a caret into the string,
quoted from the decorator line when the string is written there.
"""

from __future__ import annotations

from ember.native.options import Options
from ember.native.types import (
    BOOL,
    COMPLEX128,
    DTYPE_NAMES,
    FLOAT64,
    INT64,
    NONE,
    Array,
    DType,
    NpScalar,
    Tuple,
    Type,
)

# Every field, ember's own included (FIELDS leaves those out).
OPTION_FIELDS: tuple[str, ...] = Options.__record_fields__  # type: ignore[attr-defined]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ember.diagnostics import EmberError

    class SignatureError(EmberError, TypeError):
        """A signature string that is not Numba's grammar, or does not fit the function."""


_ERROR_CLASS: list[type] = []


def __getattr__(name: str) -> object:
    # SignatureError is made at first use: ember.diagnostics imports dataclasses (~12 ms),
    # and a warm start of @jit("sig") functions parses good strings only.
    if name == "SignatureError":
        return signature_error_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def signature_error_class() -> type:
    """:class:`SignatureError`: an ``EmberError`` (a located diagnostic) and a TypeError."""
    if not _ERROR_CLASS:
        from ember.diagnostics import EmberError

        cls = type("SignatureError", (EmberError, TypeError), {
            "__doc__": "A signature string that is not Numba's grammar, or does not fit "
                       "the function.",
            "__module__": __name__,
        })
        _ERROR_CLASS.append(cls)
    return _ERROR_CLASS[0]


#: Every scalar name the grammar knows → the NumPy dtype name it stands for.
SCALAR_NAMES: dict[str, str] = {
    **{name: name for name in DTYPE_NAMES if name != "bool"},
    "boolean": "bool", "b1": "bool", "bool_": "bool",
    "intp": "int64", "uintp": "uint64", "intc": "int32", "uintc": "uint32",
    "byte": "uint8", "double": "float64",
    "i1": "int8", "i2": "int16", "i4": "int32", "i8": "int64",
    "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64",
    "f4": "float32", "f8": "float64", "c8": "complex64", "c16": "complex128",
}  # fmt: skip
# The scalars that are Python's own types in ember (the others are NumPy scalars).
_PYTHON_SCALARS: dict[str, Type] = {
    "int64": INT64, "float64": FLOAT64, "bool": BOOL, "complex128": COMPLEX128,
}  # fmt: skip
_NONE_NAMES = ("void", "none")
_PUNCT = "()[],:"


class Signature:
    """One parsed signature: ``args`` (ember types), ``ret`` (None when not written),
    ``text`` and where in it the return type is (for the caret of a mismatch)."""

    __slots__ = ("args", "ret", "text", "ret_span")

    def __init__(self, args: tuple[Type, ...], ret: Type | None, text: str,
                 ret_span: tuple[int, int]) -> None:
        self.args = args
        self.ret = ret
        self.text = text
        self.ret_span = ret_span

    def __repr__(self) -> str:
        return f"Signature({self.text!r})"


class _Problem(Exception):
    """A parse error at ``start:end`` of the text (turned into a SignatureError)."""

    def __init__(self, start: int, end: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.start, self.end, self.message, self.hint = start, end, message, hint


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end): names, integers, punctuation, ``::1``; spaces skipped."""
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("::1", i):
            out.append(("::1", i, i + 3))
            i += 3
        elif c in _PUNCT:
            out.append((c, i, i + 1))
            i += 1
        elif c.isalnum() or c == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] in "_."):
                j += 1
            out.append((text[i:j], i, j))
            i = j
        else:
            raise _Problem(i, i + 1, f"unexpected character {c!r} in the signature",
                           "write a signature like 'float64(float64[:], int64)'")
    out.append(("", len(text), len(text)))  # the end
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str:
        return self.toks[self.i][0]

    def take(self, expected: str | None = None) -> tuple[str, int, int]:
        tok = self.toks[self.i]
        if expected is not None and tok[0] != expected:
            what = repr(tok[0]) if tok[0] else "the end of the signature"
            want = repr(expected) if expected else "the end of the signature"
            raise _Problem(tok[1], max(tok[2], tok[1] + 1), f"expected {want}, found {what}",
                           "write a signature like 'float64(float64[:], int64)'")
        self.i += 1
        return tok

    def separator(self) -> None:
        """After an item of a parenthesised list: ',' (taken) or ')' (left)."""
        tok, s, e = self.toks[self.i]
        if tok == ",":
            self.i += 1
        elif tok != ")":
            what = repr(tok) if tok else "the end of the signature"
            raise _Problem(s, max(e, s + 1), f"expected ',' or ')', found {what}",
                           "write a signature like 'float64(float64[:], int64)'")

    def signature(self) -> Signature:
        ret: Type | None = None
        ret_span = (0, 0)
        if self.peek() != "(":
            start = self.toks[self.i][1]
            ret = self.type(allow_none=True)
            ret_span = (start, self.toks[self.i - 1][2])
        self.take("(")
        args: list[Type] = []
        while self.peek() != ")":
            args.append(self.type())
            self.separator()
        self.take(")")
        self.take("")
        return Signature(tuple(args), ret, self.text, ret_span)

    def type(self, allow_none: bool = False) -> Type:
        name, start, end = self.take()
        name = name.removeprefix("numba.").removeprefix("types.")
        if name in ("UniTuple", "Tuple"):
            return self.tuple(name)
        if name in _NONE_NAMES:
            if not allow_none:
                raise _Problem(start, end, f"'{name}' is only a return type",
                               "a function that returns nothing is 'void(...)'")
            return NONE
        dtype = SCALAR_NAMES.get(name)
        if dtype is None:
            raise _Problem(start, max(end, start + 1), _unknown(name), _did_you_mean(name))
        if self.peek() == "[":
            return self.array(dtype)
        if dtype in _PYTHON_SCALARS:
            return _PYTHON_SCALARS[dtype]
        if dtype == "complex64":
            raise _Problem(start, end, "complex64 scalars are not supported as values",
                           "use complex128 (Python's complex), or complex64[:] for an array")
        return NpScalar(DType(dtype))

    def array(self, dtype: str) -> Array:
        start = self.take("[")[1]
        dims: list[str] = []
        while True:
            tok, s, e = self.take()
            if tok not in (":", "::1"):
                raise _Problem(s, max(e, s + 1), "an array dimension is ':' or '::1'",
                               "write float64[:] (1-d), float64[:, :] (2-d), "
                               "float64[::1] or float64[:, ::1] (C-contiguous)")
            dims.append(tok)
            if self.peek() == "]":
                break
            self.take(",")
        end = self.take("]")[2]
        contiguous = [k for k, d in enumerate(dims) if d == "::1"]
        if not contiguous:
            layout = "A"
        elif contiguous == [len(dims) - 1]:
            layout = "C"
        elif contiguous == [0]:
            layout = "F"
        else:
            raise _Problem(start, end, "'::1' marks the one contiguous axis: the last "
                           "(C order) or the first (Fortran order)",
                           "write float64[:, ::1] (C) or float64[::1, :] (Fortran)")
        return Array(DType(dtype), len(dims), layout)

    def tuple(self, kind: str) -> Tuple:
        self.take("(")
        if kind == "UniTuple":
            item = self.type()
            self.take(",")
            tok, s, e = self.take()
            if not tok.isdigit():
                raise _Problem(s, max(e, s + 1), "UniTuple's second argument is its length",
                               "write UniTuple(int64, 3)")
            self.take(")")
            return Tuple((item,) * int(tok))
        items: list[Type] = []
        while self.peek() != ")":
            items.append(self.type())
            self.separator()
        self.take(")")
        return Tuple(tuple(items))


def _unknown(name: str) -> str:
    if not name:
        return "a type is missing here"
    return f"unknown type {name!r} in the signature"


def _did_you_mean(name: str) -> str:
    import difflib  # only on this error path

    known = [*SCALAR_NAMES, "UniTuple", "Tuple", "void"]
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return ("types are int8..int64, uint8..uint64, float32, float64, complex64, "
            "complex128, boolean, intp; arrays float64[:]; UniTuple(int64, 3)")


def parse(text: str) -> Signature:
    """One signature string → :class:`Signature`; raises :class:`SignatureError`
    (with ``<signature>`` as the file) for text outside the grammar."""
    return parse_at(text, None)


def parse_at(text: str, func: Any) -> Signature:
    """:func:`parse`, the error located in ``func``'s decorator line when the string is
    written there."""
    if not isinstance(text, str):
        raise TypeError(f"a signature is a string such as 'float64(float64[:], int64)', "
                        f"not {type(text).__name__} (ember does not take Numba's type objects)")
    try:
        return _Parser(text).signature()
    except _Problem as p:
        raise located(func, text, p.start, p.end, f"bad signature {text!r}: {p.message}",
                      p.hint) from None


def located(func: Any, text: str, start: int, end: int, message: str, hint: str) -> SignatureError:
    """A :class:`SignatureError` whose caret is under ``text[start:end]``: in the source
    line that spells ``text`` (the decorator), else in the string itself."""
    from ember.diagnostics import Diagnostic, Span  # only on this error path

    SignatureError = signature_error_class()  # noqa: N806 - the class, by its name
    where = _find_in_source(func, text)
    if where is not None:
        path, line, col = where
        span = Span(path, line, col + start, line, col + end)
        return SignatureError(Diagnostic(span, message, hint))
    name = getattr(func, "__qualname__", None)
    path = f"<signature of {name}>" if name else "<signature>"
    return SignatureError(Diagnostic(Span(path, 1, start, 1, end), message, hint), text)


def _find_in_source(func: Any, text: str) -> tuple[str, int, int] | None:
    """(file, line, column of ``text``'s first character) on the lines from the first
    decorator to the ``def``, where the string is written literally."""
    code = getattr(func, "__code__", None)
    if code is None or not text:
        return None
    import linecache  # only on an error path

    for line in range(code.co_firstlineno, code.co_firstlineno + 20):
        src = linecache.getline(code.co_filename, line)
        if not src:
            return None
        for quote in ('"', "'"):
            col = src.find(quote + text + quote)
            if col >= 0:
                return code.co_filename, line, col + 1
        if src.lstrip().startswith(("def ", "async def ")):
            return None
    return None


def parse_all(spec: Any, func: Any) -> list[Signature]:
    """A string or a list/tuple of strings → their signatures, in order."""
    texts = [spec] if isinstance(spec, str) else list(spec)
    if not texts:
        raise TypeError("signatures=[] declares no signature: give at least one, e.g. "
                        "['float64(float64)'], or leave it out to compile per call")
    return [parse_at(t, func) for t in texts]


def check_arity(sig: Signature, func: Any, params: tuple[str, ...]) -> None:
    """The signature has one type per parameter of ``func``."""
    if len(sig.args) != len(params):
        n = len(sig.args)
        raise located(func, sig.text, 0, len(sig.text),
                      f"signature {sig.text!r} has {n} argument type{'s' * (n != 1)}, but "
                      f"{func.__name__}() takes {len(params)} ({', '.join(params)})",
                      "write one type per parameter, in order")


# --------------------------------------------------------------- return types


def _forms(t: Type) -> set[str]:
    """How a compiled unit's return type may print when it satisfies declared ``t``:
    Python's scalar or NumPy's of the same type; any layout for an 'A' array."""
    if isinstance(t, Tuple):
        out = {""}
        for item in t.items:
            out = {f"{a}, {b}" if a else b for a in out for b in _forms(item)}
        return {f"tuple[{s}]" for s in out}
    if isinstance(t, Array):
        layouts = "CFA" if t.layout == "A" else t.layout
        return {f"array({t.dtype}, {t.ndim}d, {lay}{ro})"
                for lay in layouts for ro in ("", ", readonly")}
    if isinstance(t, NpScalar):
        same = _PYTHON_SCALARS.get(t.dtype.name)
        return {str(t)} | ({str(same)} if same is not None else set())
    for name, py in _PYTHON_SCALARS.items():
        if t == py:
            return {str(t), f"np.{name}"}
    return {str(t)}


def check_return(sig: Signature, func: Any, inferred: str) -> None:
    """The compiled return type (as printed) is the declared one; ember does not insert
    a conversion where Numba would cast, so a different type is an error saying which
    to declare."""
    if sig.ret is None or inferred in _forms(sig.ret):
        return
    start, end = sig.ret_span
    raise located(func, sig.text, start, end,
                  f"{func.__name__}() returns {inferred}, not the declared {sig.ret}",
                  f"declare the type it returns ({inferred}), convert the value in the "
                  "return statement, or leave the return type out: '(...)'")


# ------------------------------------------------------- calls of other types


def convert(value: Any, t: Type, given: Type) -> tuple[bool, Any]:
    """``value`` as an argument of declared type ``t``: (True, the value to pass) when
    Numba would convert it without loss of kind (bool → int → float → complex, a Python
    number → a NumPy scalar of the declared type), else (False, None). Arrays are
    never converted: an 'A' parameter takes one of any layout as it is (``given`` is
    the argument's own type)."""
    kind = type(value)
    if given == t:
        return True, value
    if isinstance(t, Array):
        same = isinstance(given, Array) and t.layout == "A" and (given.dtype, given.ndim,
                                                                   given.readonly) == (
            t.dtype, t.ndim, t.readonly)
        return (True, value) if same else (False, None)
    if isinstance(t, Tuple):
        if kind is not tuple or len(value) != len(t.items) or not isinstance(given, Tuple):
            return False, None
        items = [convert(v, it, g) for v, it, g in zip(value, t.items, given.items, strict=True)]
        if not all(ok for ok, _ in items):
            return False, None
        return True, tuple(v for _, v in items)
    if t == INT64 and kind is bool:
        return True, int(value)
    if t == FLOAT64 and kind in (bool, int):
        return True, float(value)
    if t == COMPLEX128 and kind in (bool, int, float):
        return True, complex(value)
    if isinstance(t, NpScalar) and kind in (bool, int, float):
        d = t.dtype
        if (d.kind in "iu" and kind is float) or (d.kind == "b" and kind is not bool):
            return False, None  # float → int would truncate; 1 → bool would test
        import numpy as np  # a NumPy scalar type is declared: NumPy is in use

        return True, getattr(np, "bool_" if d.name == "bool" else d.name)(value)
    return False, None


def call_declared(dispatcher: Any, args: tuple[Any, ...], arg_types: tuple[Type, ...]) -> Any:
    """A call whose types match no declared signature exactly: the first signature its
    values convert to (Numba's rule), else TypeError — nothing new is compiled."""
    for sig in dispatcher.declared_signatures:
        if len(sig) != len(args):
            continue
        converted = [convert(v, t, at) for v, t, at in zip(args, sig, arg_types, strict=True)]
        if all(ok for ok, _ in converted):
            if sig not in dispatcher.signatures:  # deferred at decoration (recursion)
                dispatcher.compile(sig)
            # Now of a declared signature's exact types: its entry takes the call.
            return dispatcher(*(v for _, v in converted))
    shown = ", ".join(map(str, arg_types))
    declared = "; ".join("(" + ", ".join(map(str, s)) + ")"
                         for s in dispatcher.declared_signatures)
    raise TypeError(
        f"No matching definition for argument type(s) {shown}: "
        f"{dispatcher.__name__}() was compiled for the declared signature(s) {declared} "
        "only, and declared signatures compile nothing new (convert the argument, add "
        "a signature, or leave the signatures out to compile per call)")


def _has_any_layout(types: tuple[Type, ...]) -> bool:
    return any((isinstance(t, Array) and t.layout == "A")
               or (isinstance(t, Tuple) and _has_any_layout(t.items)) for t in types)


def compile_declared(dispatcher: Any, spec: Any) -> None:
    """``@jit(spec)``: parse the signatures, compile (or load from the cache) each one
    now, check each declared return type, and mark the dispatcher as taking only these.
    A signature whose body reads a name not bound yet (its own, for recursion)
    compiles at the first call instead, as an annotated function does."""
    func = dispatcher.py_func
    code = func.__code__
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    sigs = parse_all(spec, func)
    for sig in sigs:
        check_arity(sig, func, params)
    dispatcher.declared_signatures = list(dict.fromkeys(sig.args for sig in sigs))
    if any(_has_any_layout(sig.args) for sig in sigs):  # float64[:] takes C arrays too
        fields = {name: getattr(dispatcher.options, name) for name in OPTION_FIELDS}
        dispatcher.options = Options(**{**fields, "any_layout": True})
    for sig in sigs:
        try:
            compiled = dispatcher.compile(sig.args, eager=True)
        except NameError as exc:
            from ember.native.frontend.expressions import UndefinedNameError  # loaded: raised

            if not isinstance(exc, UndefinedNameError):
                raise
            continue
        if compiled is not None:  # None: fallback=True runs it as Python
            check_return(sig, func, compiled.return_type)
