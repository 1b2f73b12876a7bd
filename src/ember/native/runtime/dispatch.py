"""``@jit``: a Python function → a callable object whose calls run machine code.

    >>> from ember import jit
    >>> @jit
    ... def hyp(a: float, b: float) -> float:   # annotated: compiled right here
    ...     return (a * a + b * b) ** 0.5
    >>> hyp(3.0, 4.0), hyp.signatures
    (5.0, [(float64, float64)])

The object is an instance of a per-function subclass of :class:`Dispatcher` whose
*class attribute* ``__call__`` is the newest specialization's entry builtin (generated in
LLVM IR by :mod:`ember.native.boundary.abi`). CPython calls a builtin found as a class attribute
without binding it, so ``hyp(3.0, 4.0)`` goes type check → unbox → machine code → box
with no Python bytecode and no ctypes. An entry that does not accept the arguments
forwards the call, unchanged, to the previous entry; the last one forwards to
:meth:`Dispatcher._slow_path`, which compiles a new specialization (or raises a
TypeError naming the parameter).
"""

from __future__ import annotations

# `_thread`, not `threading`: it is built in, and threading (~1 ms with the functools and
# collections it imports) is needed only to compile. `_thread.RLock` is the class
# `threading.RLock()` returns.
from _thread import RLock, get_ident

from ember.native.options import Options
from ember.native.types import (
    BOOL,
    DTYPE_NAMES,
    FLOAT64,
    INT64,
    INT64_MAX,
    INT64_MIN,
    DType,
    Function,
    NpScalar,
    Tuple,
    Type,
    annotation_type,
    scalar_type,
    signature_text,
)

# `inspect` and `typing` cost ~15 ms of imports, `collections.abc` ~2 ms (it imports
# `collections`): a warm, cached start must not pay them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from collections.abc import Callable
    from typing import Any, TypeVar, overload

    F = TypeVar("F", bound=Callable[..., Any])

ACCEPTED = "int, float, complex, bool, None, tuples of these, arrays and dtypes"
# NumPy scalar types (by __name__, module numpy) taken as ember's types.
_NUMPY_SCALARS = {"float64": FLOAT64, "int64": INT64, "bool": BOOL}


class EmberFallbackWarning(RuntimeWarning):
    """``@jit(fallback=True)`` is running a function as plain Python."""


class _Specialization:
    """What the dispatcher keeps per signature."""

    __slots__ = ("arg_types", "entry", "set_next", "compiled", "keepalive", "return_type")

    def __init__(self, arg_types: tuple[Type, ...], entry: Any, set_next: Any,
                 compiled: Any, keepalive: Any, return_type: str) -> None:
        self.arg_types = arg_types
        self.entry = entry
        self.set_next = set_next
        self.compiled = compiled  # compiler.Compiled, or None when loaded from the cache
        self.keepalive = keepalive  # JIT library or extension module: keeps code mapped
        self.return_type = return_type


class Dispatcher:
    """The object ``@jit`` returns; behaves like the function it wraps.

    Attributes: ``__name__``, ``__qualname__``, ``__doc__``, ``__module__``,
    ``__wrapped__``, ``py_func``, ``options``, ``signatures``,
    ``declared_signatures`` (None unless given to ``@jit``), ``stats`` (how this
    process got each specialization: ``compiled``, ``loaded`` from the native cache,
    ``waited`` for another process compiling it); methods ``inspect_types()``,
    ``inspect_llvm()``, ``inspect_asm()``.

    It pickles (``multiprocessing``, ``concurrent.futures``, Dask, Ray): by reference
    when ``module.qualname`` is this object, else by value (runtime/pickling.py); the
    receiving process loads its code from the native cache when it can.
    """

    __ember_jit__ = True

    def __init__(self, py_func: Callable[..., Any], options: Options) -> None:
        self.py_func = py_func
        self.options = options
        self.__wrapped__ = py_func
        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            try:
                setattr(self, attr, getattr(py_func, attr))
            except AttributeError:
                pass
        self._specs: dict[tuple[Type, ...], _Specialization] = {}
        self._lock = RLock()
        self._fallback_reason: str | None = None
        code = py_func.__code__
        self._params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        self._simple = not (code.co_flags & 0x0C) and not code.co_kwonlyargcount  # no *a, **k
        self._binder: Callable[..., tuple[Any, ...]] | None = None  # made at the first bind
        self._numpy_calls: set[int] = set()  # threads calling an entry with NumPy scalars
        # Argument types of @jit("sig", ...): only these compile (runtime/signatures.py).
        self.declared_signatures: list[tuple[Type, ...]] | None = None
        # Counted per specialization, so that N workers sharing a cache can be shown to
        # compile once (the same events are EMBER_DEBUG=cache lines on stderr).
        self.stats = {"compiled": 0, "loaded": 0, "waited": 0}

    # The class attribute __call__ starts as this Python method; after the first compile
    # it is the newest entry builtin (set on the per-function subclass).
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._slow_path(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<ember.jit function {self.__qualname__}>"

    def __reduce__(self) -> Any:
        """Pickle by reference (``module.qualname``) or by value: runtime/pickling.py."""
        from ember.native.runtime import pickling  # only when pickled

        return pickling.reduce_dispatcher(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """The rest of a dispatcher pickled by value (its globals, defaults, cells)."""
        from ember.native.runtime import pickling  # only when unpickled

        pickling.apply_state(self, state)

    @property
    def signatures(self) -> list[tuple[Type, ...]]:
        """The argument types of every specialization, in compile order."""
        return list(self._specs)

    # ----------------------------------------------------------- slow path

    def _slow_path(self, *args: Any, **kwargs: Any) -> Any:
        """Every call no entry accepted lands here: a new type signature (compile it),
        a keyword the entry could not match by identity, or arguments no specialization
        can take (TypeError)."""
        if self._fallback_reason is not None:
            return self.py_func(*args, **kwargs)
        if kwargs or len(args) != len(self._params) or not self._simple:
            bound = self._bind(args, kwargs)
            if bound is None:  # *args or **kwargs: the compiler refuses them (or falls back)
                self.compile(self._arg_types(args))
                return self.py_func(*args, **kwargs)
            args = bound
        arg_types = self._arg_types(args)
        spec = self._specs.get(arg_types)
        if spec is None and self.declared_signatures is not None:
            from ember.native.runtime.signatures import call_declared  # declared only

            return call_declared(self, args, arg_types)
        if spec is None:
            spec = self.compile(arg_types)
            if spec is None:  # fell back to Python
                return self.py_func(*args)
        if any(type(a).__module__ == "numpy" for a in args):
            return self._call_with_numpy_scalars(spec, args)
        return self._call_entry(spec, args)

    def _call_entry(self, spec: _Specialization, args: tuple[Any, ...]) -> Any:
        npos = self.py_func.__code__.co_argcount
        if npos == len(args):
            return spec.entry(*args)
        # Keyword-only parameters reach the entry as keywords (by position it refuses them).
        return spec.entry(*args[:npos], **dict(zip(self._params[npos:], args[npos:],
                                                   strict=True)))

    def _call_with_numpy_scalars(self, spec: _Specialization, args: tuple[Any, ...]) -> Any:
        """The entry takes a NumPy scalar where the function gives NumPy's answer for it
        (analysis/numpy_scalars.py); where it does not, it forwards the call back here:
        that second arrival is the refusal."""
        me = get_ident()
        if me in self._numpy_calls:
            i = next(i for i, a in enumerate(args) if type(a).__module__ == "numpy")
            kind = type(args[i]).__name__
            convert = "bool" if kind == "bool" else "int" if "int" in kind else "float"
            raise TypeError(
                f"{self.__name__}() argument '{self._params[i]}': a numpy.{kind} here would "
                f"compute with NumPy's scalar rules, which {self.__name__}() does not "
                f"reproduce (an int/float comparison, int / int, round(x, n), bool "
                f"arithmetic or a call with it); pass {convert}(x) instead")
        self._numpy_calls.add(me)
        try:
            return self._call_entry(spec, args)
        finally:
            self._numpy_calls.discard(me)

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
        """All parameters, bound as CPython binds them (with its TypeError texts); None
        for a function with ``*args`` or ``**kwargs``."""
        bind = self._binder
        if bind is None:
            from ember.support.binding import binder  # only for calls that bind

            bind = self._binder = binder(self.py_func)
            if bind is None:
                return None
        try:
            return bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{exc}{self._method_hint()}") from None

    def _arg_types(self, args: tuple[Any, ...]) -> tuple[Type, ...]:
        return tuple(self._arg_type(i, v) for i, v in enumerate(args))

    def _arg_type(self, i: int, value: Any) -> Type:
        name = self._params[i] if i < len(self._params) else f"#{i + 1}"
        t = scalar_type(value)
        if t is not None:
            if t == INT64 and not INT64_MIN <= value <= INT64_MAX:
                raise OverflowError(
                    f"{self.__name__}() argument '{name}': int {value} does not fit in "
                    "64 bits (ember compiles int as int64)"
                )
            return t
        if type(value) is tuple:
            return Tuple(tuple(self._arg_type(i, v) for v in value))
        if type(value) is list:  # runtime/lists.py: one item type, or what to pass
            from ember.native.runtime.lists import list_type  # only for list arguments

            return list_type(self.__name__, name, value, lambda v: self._arg_type(i, v))
        if type(value).__module__ == "numpy" and type(value).__name__ != "ndarray" \
                and getattr(value, "shape", None) == ():
            return self._numpy_scalar_type(name, value)
        arr = _array_type(value)
        if arr is not None:
            return arr
        dtype = _dtype_type(value)
        if dtype is not None:  # a dtype or scalar type: a compile-time value
            return dtype
        if isinstance(value, Dispatcher):  # apply(sq, x): specialized on that function
            from ember.native.function_values import ident_of  # only for function arguments

            ident = ident_of(value.py_func)
            value.__ember_ident__ = ident  # what the entry checks (boundary/functions.py)
            return Function(value.__name__, ident)
        raise TypeError(
            f"{self.__name__}() argument '{name}' must be {ACCEPTED}, "
            f"not {type(value).__name__}{_suggestion(value)}"
            + (self._method_hint() if i == 0 else "")
        )

    def _numpy_scalar_type(self, name: str, value: Any) -> Type:
        """np.float64, np.int64 (np.intp) and np.bool_ as float64, int64 and bool (the
        fast path, analysis/numpy_scalars.py); the other fixed-width NumPy scalars as
        :class:`NpScalar`, keeping their own wrapping or rounding arithmetic
        (``np.int32(2**30) * 4``, ``np.float32(0.1) * 3``); float16, longlong, complex
        ...: refused."""
        kind = type(value).__name__
        t = _NUMPY_SCALARS.get(kind)
        if t is not None:
            return t
        if kind in DTYPE_NAMES and "complex" not in kind:  # NumPy's arithmetic kept
            return NpScalar(DType(kind))
        convert = ("bool" if kind == "bool" else "float" if "float" in kind
                   else "complex" if "complex" in kind else "int")
        raise TypeError(
            f"{self.__name__}() argument '{name}' must be {ACCEPTED}, not numpy.{kind}: "
            f"its arithmetic is NumPy's {kind} arithmetic (it wraps or rounds to {kind}), "
            f"which ember does not compile; pass {convert}(x) to compute with Python's "
            "numbers (ember accepts NumPy's bool, int8-64, uint8-64, float32 and float64 "
            "scalars as they are)")

    def _method_hint(self) -> str:
        if self._params[:1] in (("self",), ("cls",)):
            return (f" ({self.__name__} looks like a method: @jit compiles plain functions "
                    "of numbers and arrays, not methods; call a module-level @jit function "
                    "from the method instead)")
        return ""

    # ------------------------------------------------------------- compile

    def compile(self, arg_types: tuple[Type, ...], *, eager: bool = False) -> _Specialization | None:
        """Compile (or load from the native cache) the specialization for
        ``arg_types`` and make it the first entry tried. Returns None if the function
        fell back to Python (``fallback=True``). ``eager`` (at decoration): a name not
        bound yet raises ``UndefinedNameError`` as it is, never a fallback."""
        with self._lock:
            spec = self._specs.get(arg_types)
            if spec is not None:
                return spec
            try:
                spec = self._load_or_compile(arg_types)
            except Exception as exc:
                # Imported only here: ember.diagnostics costs ~2 ms, and a cache hit
                # raises nothing.
                from ember.diagnostics import EmberError

                if not isinstance(exc, EmberError):
                    raise
                if eager and _is_undefined_name(exc):
                    raise
                if not self.options.fallback:
                    # Raised afresh (no chained frames of ember's), as the same class:
                    # ReadOnlyArrayError stays a ValueError, UndefinedNameError a NameError.
                    raise type(exc)(exc.diagnostic, exc.source) from None
                self._fallback_reason = str(exc)
                import warnings  # only on this path

                from ember.support.warnings import user_stacklevel

                warnings.warn(
                    f"ember: running {self.__qualname__} as plain Python: {exc}",
                    EmberFallbackWarning,
                    stacklevel=user_stacklevel(),
                )
                type(self).__call__ = staticmethod(self.py_func)  # type: ignore[method-assign]
                return None
            cls = type(self)
            current = cls.__dict__.get("__call__")
            # The chain: this entry forwards what it does not accept to the previous
            # newest entry; the first entry forwards to the slow path.
            spec.set_next(current if current is not None else self._slow_path)
            cls.__call__ = spec.entry  # type: ignore[method-assign]
            self._specs[arg_types] = spec
            return spec

    def _load_or_compile(self, arg_types: tuple[Type, ...]) -> _Specialization:
        cache = lock = None
        if self.options.cache:
            from ember.native.cache import lookup as cache_mod

            cache = cache_mod
            spec = self._cache_hit(arg_types)
            if spec is not None:
                return spec
            # A miss: hold the entry's cross-process lock, so that N workers missing
            # it at once compile it once (cache/lock.py); a waiter looks it up again.
            lock = cache.lock_entry(self.py_func, arg_types, self.options)
            if lock is not None and lock.waited:
                self.stats["waited"] += 1
                spec = self._cache_hit(arg_types)
                if spec is not None:
                    lock.release()
                    return spec
        from ember.native.runtime import compiler

        try:
            c = compiler.compile_unit(self.py_func, arg_types, self.options)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        self.stats["compiled"] += 1
        from ember.native.cache.store import debug  # after a compile: cheap by then

        debug(f"compile {self.__qualname__}{signature_text(arg_types)} "
              f"({c.seconds.get('total', 0.0):.3f} s)")
        if cache is not None:
            _store(cache.store, lock, self.py_func, arg_types, self.options, c.unit,
                   c.object_code)
        return _Specialization(arg_types, c.entry, c.set_next, c, c.library,
                               str(c.unit.root.return_type))

    def _cache_hit(self, arg_types: tuple[Type, ...]) -> _Specialization | None:
        from ember.native.cache import lookup as cache

        hit = cache.lookup(self.py_func, arg_types, self.options)
        spec = None if hit is None else self._from_hit(arg_types, hit)
        if spec is not None:
            self.stats["loaded"] += 1
        return spec

    def _from_hit(self, arg_types: tuple[Type, ...], hit: Any) -> _Specialization | None:
        """The specialization in a cache hit; None (the entry refused, to be rebuilt)
        when the JIT cannot load a ``.o`` entry's object code. The cache checks that
        the bytes are an object file for this machine (``check_payload``), not that
        the JIT accepts them: a wrong or missing symbol shows only here."""
        rtype = str(hit.meta.get("return_type", "?"))
        if hit.kind == "so":
            entry = getattr(hit.module, self.__name__)
            return _Specialization(arg_types, entry, hit.module.__ember_set_next__, None,
                                   hit.module, rtype)
        from ember.native.backend import engine
        from ember.native.cache import lookup as cache
        from ember.native.runtime import compiler

        try:
            entry, set_next, library = compiler.load_object(hit.object_code, hit.symbol)
        except engine.EngineError as exc:
            cache.refuse(hit.path, f"its object code cannot be loaded: {exc}")
            return None
        return _Specialization(arg_types, entry, set_next, None, library, rtype)

    # ------------------------------------------------------------- inspect

    def _compiled(self, signature: tuple[Type, ...] | None) -> list[Any]:
        """Compiled units to show: one signature's, or every one's (compiling again,
        without loading, those that came from the cache)."""
        from ember.native.runtime import compiler

        sigs = [tuple(signature)] if signature is not None else list(self._specs)
        if not sigs:
            raise ValueError(f"{self.__name__} has no compiled specialization yet: call it "
                             "once, or pass a signature, e.g. inspect_types((int64,))")
        out = []
        for sig in sigs:
            spec = self._specs.get(sig)
            if spec is None or spec.compiled is None:
                spec_c = compiler.compile_unit(self.py_func, sig, self.options)
                if spec is not None:
                    spec.compiled = spec_c
            else:
                spec_c = spec.compiled
            out.append(spec_c)
        return out

    def inspect_types(self, signature: tuple[Type, ...] | None = None) -> str:
        """The typed IR (a type on every variable and expression) of each specialization."""
        from ember.native.ir.printer import format_unit

        return "\n".join(format_unit(c.unit) for c in self._compiled(signature))

    def inspect_llvm(self, signature: tuple[Type, ...] | None = None, optimized: bool = True) -> str:
        """The LLVM IR of each specialization's unit (after O3 unless ``optimized=False``)."""
        return "\n".join(
            (c.optimized_ir if optimized else c.llvm_ir) for c in self._compiled(signature)
        )

    def inspect_asm(self, signature: tuple[Type, ...] | None = None) -> str:
        """The host assembly of each specialization's unit."""
        return "\n".join(c.assembly() for c in self._compiled(signature))


_pending: list[threading.Thread] = []
_registered: list[bool] = []  # the exit and fork hooks, once per process


def _store(store: Callable[..., Any], lock: Any, *args: Any) -> None:
    """Write a cache entry, then release its lock (held since the miss: processes
    waiting on it find the entry). In the background where the process outlives it;
    here and now in a multiprocessing child, which is ended without atexit hooks
    (``os._exit`` after fork, a pool's terminate()) and would lose the entry."""
    if _in_child_process():
        _store_and_release(store, lock, args)
    else:
        _store_in_background(_store_and_release, store, lock, args)


def _store_and_release(store: Callable[..., Any], lock: Any, args: tuple[Any, ...]) -> None:
    try:
        store(*args)
    finally:
        if lock is not None:
            lock.release()


def _in_child_process() -> bool:
    # Looked up, not imported: a process that never imported multiprocessing is none.
    import sys

    process = sys.modules.get("multiprocessing.process")
    return process is not None and process.parent_process() is not None


def _store_in_background(store: Callable[..., Any], *args: Any) -> None:
    """Write a cache entry without making the caller wait for the system linker (tens
    of ms); entries still being written are finished at interpreter exit."""
    import os
    import threading  # only after a compile: not on the warm path

    if not _registered:
        _registered.append(True)
        import atexit
        import weakref

        # atexit runs hooks last-registered-first. weakref.finalize registers its own
        # hook (which deletes TemporaryDirectory folders, e.g. the linker's) on first
        # use: force that now, so the stores are joined BEFORE their folders vanish.
        weakref.finalize(_finish_stores, int)
        atexit.register(_finish_stores)
        # A fork (a multiprocessing pool) waits for the stores in flight: a child would
        # inherit the linker's pipes, keeping the store's subprocess call waiting for
        # their end until the child exits, and with it the entry's lock, which the
        # child itself may be waiting on.
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(before=_finish_stores)
    t = threading.Thread(target=store, args=args, name="ember-cache-store", daemon=True)
    _pending.append(t)
    t.start()


def _finish_stores() -> None:
    import threading  # loaded: a store started it

    me = threading.current_thread()
    for t in _pending:
        if t is not me:  # a fork inside a store (its linker) must not join itself
            t.join(timeout=30)
    _pending[:] = [t for t in _pending if t.is_alive()]


def _suggestion(value: Any) -> str:
    """What to pass instead, for the values people try first."""
    if isinstance(value, (list, range)) or type(value).__name__ == "deque":
        return " (pass a NumPy array or an array.array, e.g. array.array('d', values))"
    if type(value).__name__ in ("function", "builtin_function_or_method"):
        return (" (a plain Python function: decorate it with @ember.jit to pass it, or "
                "write the lambda inside the compiled function)")
    if isinstance(value, (int, float, bool)):  # a subclass (IntEnum, np.float64...)
        kind = "int" if isinstance(value, int) and not isinstance(value, bool) else None
        kind = kind or ("bool" if isinstance(value, bool) else "float")
        return f" (convert it with {kind}(...))"
    dtype, shape = getattr(value, "dtype", None), getattr(value, "shape", None)
    if dtype is not None and shape == () and type(value).__name__ != "ndarray":
        return " (a NumPy scalar: convert it with int(...) or float(...))"
    from ember.native.buffers import describe_unsupported  # only on this error path
    why = describe_unsupported(value)
    if why is None:
        return ""
    if dtype is not None and shape:  # name it as NumPy does, not by its buffer format
        why = (f"arrays of dtype {dtype} are not supported "
               "(dtypes: bool, int8-64, uint8-64, float32, float64, complex64, complex128)")
    return f": {why}"


def _array_type(value: Any) -> Type | None:
    from ember.native.buffers import typeof_array  # only for a non-scalar argument
    return typeof_array(value)  # type: ignore[no-any-return]


def _dtype_type(value: Any) -> Type | None:
    from ember.native.buffers import typeof_dtype  # only for a non-scalar argument
    return typeof_dtype(value)


def annotated_types(py_func: Callable[..., Any]) -> tuple[Type, ...] | None:
    """The argument types when every parameter is annotated with a scalar type
    (``def f(x: float, n: int)``), else None (compile lazily, per call)."""
    code = getattr(py_func, "__code__", None)
    if code is None or code.co_flags & 0x0C or code.co_kwonlyargcount:  # *args, **kwargs
        return None
    annotations = getattr(py_func, "__annotations__", {})
    out: list[Type] = []
    for name in code.co_varnames[: code.co_argcount]:
        if name not in annotations:
            return None
        t = annotation_type(annotations[name])
        if t is None:
            return None
        out.append(t)
    return tuple(out)


if TYPE_CHECKING:

    @overload
    def jit(func: F, /) -> F: ...
    @overload
    def jit(
        func: str | list[str] | tuple[str, ...] | None = ..., /, *,
        signatures: str | list[str] | tuple[str, ...] | None = ..., fastmath: bool = ...,
        boundscheck: bool | None = ..., fallback: bool = ..., cache: bool = ...,
        nogil: bool = ..., nopython: bool = ..., error_model: str = ..., **numba: Any,
    ) -> Callable[[F], F]: ...


def jit(func: Any = None, /, *, signatures: Any = None, **options: Any) -> Any:
    """Compile a function to machine code, per argument type signature.

    ``@jit`` compiles at the first call for the types seen (or right away when every
    parameter is annotated ``int``/``float``/``bool``); ``@jit(fastmath=True,
    fallback=True, cache=False, boundscheck=False, nogil=True)`` sets :class:`Options`.
    Numba's spellings work too: ``@jit("float64(float64[:], int64)")``, a list of such
    strings or ``signatures=[...]`` compile those signatures now and only those
    (runtime/signatures.py); ``nopython=True`` and Numba's other options are accepted
    (runtime/surface.py). :func:`njit` is the same function.

    >>> @jit
    ... def add(a, b):
    ...     return a + b
    >>> add(2, 3), add(2.5, 1)
    (5, 3.5)
    """
    if options:  # Numba's names and values: runtime/surface.py
        from ember.native.runtime.surface import options_from

        opts = options_from(options)
    else:
        opts = Options()
    if func is not None and not callable(func):  # @jit("sig") or @jit(["sig", ...])
        if signatures is not None:
            raise TypeError("jit() got signatures both as its first argument and as "
                            "signatures=; give them once")
        signatures, func = func, None
    if func is None:
        return lambda f: _make(f, opts, signatures)
    return _make(func, opts, signatures)


#: Numba's name for :func:`jit` (ember has only nopython mode).
njit = jit


# types.FunctionType without importing `types` (~0.2 ms).
_FUNCTION = type(annotated_types)


def _make(func: Any, options: Options, signatures: Any = None) -> Dispatcher:
    if getattr(func, "__ember_jit__", False):
        func = func.py_func  # @jit on a dispatcher: rewrap the plain function
    if not isinstance(func, _FUNCTION):
        raise TypeError(f"@jit needs a plain Python function, not {type(func).__name__}")
    d = new_dispatcher(func, options)
    if signatures is not None:  # declared: compiled now, and nothing else later
        from ember.native.runtime.signatures import compile_declared

        compile_declared(d, signatures)
        return d
    eager = annotated_types(func)
    if eager is not None:
        try:
            d.compile(eager, eager=True)
        except NameError as exc:
            if not _is_undefined_name(exc):
                raise
            # Its own name (recursion), or a function defined after it (mutual
            # recursion), is bound only once the decorator returns: compile at the
            # first call instead, as an unannotated function is (a name still
            # undefined then is the compile error it always was).
    return d


def new_dispatcher(func: Callable[..., Any], options: Options) -> Dispatcher:
    """The dispatcher of ``func`` (an instance of its own subclass, whose ``__call__``
    compiles install entries on), with nothing compiled yet."""
    cls = type(func.__name__, (Dispatcher,), {"__module__": func.__module__})
    return cls(func, options)


def _is_undefined_name(exc: BaseException) -> bool:
    """``exc`` is inference's "name is not defined" (the class, never the message)."""
    from ember.native.frontend.expressions import UndefinedNameError  # loaded: inference raised it

    return isinstance(exc, UndefinedNameError)


__all__ = ["Dispatcher", "EmberFallbackWarning", "annotated_types", "jit", "new_dispatcher",
           "njit", "signature_text"]
