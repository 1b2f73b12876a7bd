"""Pickling ``@jit`` functions: a dispatcher → what ``pickle`` writes → the same (or a
rebuilt) dispatcher in another process, which loads its code from the native cache.

    >>> import pickle
    >>> from kernels import dot  # a module of yours with a @jit dot  # doctest: +SKIP
    >>> pickle.loads(pickle.dumps(dot)) is dot  # by reference  # doctest: +SKIP
    True

Three ways, chosen per object (:func:`reduce_dispatcher`), as cloudpickle chooses for
functions:

- **by reference**, when ``sys.modules[module].<qualname>`` is this very dispatcher and
  the module is not ``__main__``: pickle writes the two names, the other side imports
  the module (its ``@jit`` runs there) and gets the attribute. Loading it in the same
  process gives back the same object.
- **by function reference**, when that name leads to the plain function (or to another
  dispatcher of it: ``fast = jit(fastmath=True)(mod.f)``): the names plus the options
  and declared signatures; the other side jits the imported function again.
- **by value** otherwise (``__main__``, a notebook, a closure, a module that is not
  imported): the function's source text with its file name and first line (so
  diagnostics, tracebacks and the native cache's key name the same place), its name,
  qualname and module, its options and declared signatures, and, applied after the
  object exists so that recursion and mutual recursion pickle, the globals its code
  reads that pickle (modules by name), its defaults, annotations and closure cells.

A process rebuilds each by-value function once (:data:`_RECEIVED`, keyed by a token the
sender gives each dispatcher), however often it is sent: ``Pool.map`` sends the function
with every chunk. Functions from one sender module share one rebuilt namespace, as they
shared their module: a callee of a callee is found. The rebuilt function has the same
module, qualname, file and lines as the original, so its native cache key is the
original's: a worker on the same machine loads what the sender (or another worker)
compiled. Where the file on disk is not the text that was sent (another machine, an
edited file), the sent text is what compiles (it is put in :mod:`linecache`), and it
is not cached: an entry keyed by that file would name code the file does not hold.

Only imported when something is pickled: ``import ember`` and a warm start never pay
for ``pickle``, ``ast`` or ``inspect``.
"""

from __future__ import annotations

import os
import sys
import weakref
from _thread import allocate_lock

from ember.native.options import Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from typing import Any

    from ember.native.runtime.dispatch import Dispatcher
    from ember.native.types import Type

# Names of a program's main module: functions there are never importable elsewhere
# (a spawned multiprocessing child runs the script as __mp_main__).
_MAIN_NAMES = ("__main__", "__mp_main__")
_DECORATOR = "__ember_keep__"  # stands in for the decorators when the source is re-run
_ENCLOSING = "__ember_enclosing__"  # the def that gives a closure its cells back

# The sender's side: a token per dispatcher (weak: a dispatcher pickled once is not kept
# alive by it), and the dispatchers by token, so that loading in this process (or in a
# forked child) gives back the object itself. The receiver's side: dispatchers rebuilt
# here, kept for the process (their code is never unloaded either), and the namespaces
# rebuilt functions share, one per sender module.
_TOKENS: weakref.WeakKeyDictionary[Dispatcher, str] = weakref.WeakKeyDictionary()
_SENT: weakref.WeakValueDictionary[str, Dispatcher] = weakref.WeakValueDictionary()
_RECEIVED: dict[str, Dispatcher] = {}
_NAMESPACES: dict[str, dict[str, Any]] = {}
_SHIPPED_LINES: dict[str, list[str]] = {}  # file name → the lines sent for it
_LOCK = allocate_lock()
# This process's name in tokens: a fork keeps it, as it keeps the objects named.
_SESSION = os.urandom(8).hex()


def reduce_dispatcher(d: Dispatcher) -> str | tuple[Any, ...]:
    """``d.__reduce__()``: a qualname (by reference), or a reconstructor and its
    arguments (by function reference, or by value with a state applied afterwards).
    Raises ``pickle.PicklingError`` for a by-value function whose source is unknown."""
    how = _reference_kind(d)
    if how == "self":
        return d.__qualname__  # pickle writes module + qualname and checks identity
    token = _token(d)
    func = d.py_func
    if how == "function":
        return (_from_function, (token, func.__module__, func.__qualname__, d.options,
                                 d.declared_signatures))
    text, first = _source(d)
    code = func.__code__
    skeleton = (token, _namespace_key(func), text, code.co_filename, first, func.__name__,
                func.__qualname__, func.__module__ or "__main__", code.co_freevars, d.options)
    return (_skeleton, skeleton, _state(d, token))


def apply_state(d: Dispatcher, state: dict[str, Any]) -> None:
    """``d.__setstate__(state)``: bind a rebuilt function's globals, defaults,
    annotations and cells, then register it under its token. A dispatcher this process
    already had (sent from here, or rebuilt before) is left as it is."""
    token = state["token"]
    with _LOCK:
        if _SENT.get(token) is d or _RECEIVED.get(token) is d:
            return
    func = d.py_func
    namespace = func.__globals__
    import importlib  # only when a by-value function arrives

    for name, module in state["modules"].items():
        try:
            namespace[name] = importlib.import_module(module)
        except ImportError:
            pass  # reading it raises NameError at compile time, naming the global
    namespace.update(state["globals"])
    func.__defaults__ = state["defaults"]
    func.__kwdefaults__ = state["kwdefaults"]
    func.__annotations__ = state["annotations"]
    func.__doc__ = d.__doc__ = state["doc"]
    for cell, value in zip(func.__closure__ or (), state["cells"], strict=True):
        if value is _EMPTY:
            del cell.cell_contents
        else:
            cell.cell_contents = value
    d.declared_signatures = state["declared"]  # compiled at the first call, as declared
    with _LOCK:
        _RECEIVED.setdefault(token, d)


# ------------------------------------------------------------------ the sender's side


def _reference_kind(d: Dispatcher) -> str | None:
    """``"self"`` when ``module.qualname`` is ``d``; ``"function"`` when it is ``d``'s
    plain function or another dispatcher of it; None when it must go by value."""
    module_name = getattr(d, "__module__", None)
    qualname = getattr(d, "__qualname__", "")
    if not module_name or module_name in _MAIN_NAMES or "<locals>" in qualname:
        return None
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__name__", None) in _MAIN_NAMES:
        return None  # not imported, or the running script under another name
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if obj is d:
        return "self"
    func = d.py_func
    same_name = (func.__module__, func.__qualname__) == (module_name, qualname)
    if same_name and (obj is func or getattr(obj, "py_func", None) is func):
        return "function"
    return None


def _token(d: Dispatcher) -> str:
    with _LOCK:
        token = _TOKENS.get(d)
        if token is None:
            token = _TOKENS[d] = f"{_SESSION}-{os.urandom(8).hex()}"
            _SENT[token] = d
        return token


def _namespace_key(func: Any) -> str:
    """The name of ``func``'s globals among this process's: rebuilt functions with one
    key share one namespace."""
    return f"{_SESSION}-{id(func.__globals__):x}"


def _source(d: Dispatcher) -> tuple[str, int]:
    """The function's source text (from its first decorator) and first line."""
    import inspect  # only for a by-value pickle
    import pickle

    func = d.py_func
    problem = None
    if func.__name__ == "<lambda>":
        problem = "it is a lambda (ember compiles functions written with def)"
    else:
        try:
            lines, first = inspect.getsourcelines(func)
        except (OSError, TypeError) as exc:
            problem = f"its source is not available ({exc})"
        else:
            return "".join(lines), max(first, 1)
    raise pickle.PicklingError(
        f"cannot pickle ember.jit function {func.__module__}.{func.__qualname__} by "
        f"value: {problem}. A function pickles by value (as source) when the other "
        "process cannot import it; define it with def in a file: in a module that "
        "process imports (it is then pickled by reference), or in the main script")


class _Empty:
    """An empty closure cell (its variable not assigned yet when pickled)."""

    def __reduce__(self) -> str:
        return "_EMPTY"


_EMPTY = _Empty()


def _state(d: Dispatcher, token: str) -> dict[str, Any]:
    func = d.py_func
    values, modules = _globals(func)
    cells = []
    for cell in func.__closure__ or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:
            cells.append(_EMPTY)
    return {
        "token": token, "globals": values, "modules": modules,
        "defaults": func.__defaults__, "kwdefaults": func.__kwdefaults__,
        "annotations": dict(getattr(func, "__annotations__", None) or {}),
        "doc": func.__doc__, "cells": tuple(cells), "declared": d.declared_signatures,
    }  # fmt: skip


def _globals(func: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The globals ``func``'s code reads (nested code too) that pickle, and those bound
    to modules, by module name. A value that does not pickle is left out: the
    function may never read it (a name can also be an attribute's), and a compile
    that does says which name is missing."""
    from ember.native.cache.key import global_names  # the names the cache key reads

    namespace = func.__globals__
    values: dict[str, Any] = {}
    modules: dict[str, str] = {}
    for name in global_names(func.__code__):
        if name not in namespace:
            continue
        value = namespace[name]
        if type(value) is type(sys):
            modules[name] = value.__name__
        elif _is_dispatcher(value) or _pickles(value):
            values[name] = value
    return values, modules


def _pickles(value: Any) -> bool:
    if value is None or type(value) in (int, float, bool, str, complex, bytes):
        return True
    import pickle

    try:
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - whatever a value's __reduce__ raises: left out
        return False
    return True


# ------------------------------------------------------------------ the receiver's side


def new_dispatcher(func: Any, options: Options) -> Dispatcher:
    """dispatch.new_dispatcher, looked up when a dispatcher is rebuilt: dispatch imports
    this module (Dispatcher.__reduce__), so importing it back here would be a cycle."""
    import importlib

    return importlib.import_module("ember.native.runtime.dispatch").new_dispatcher(func, options)


def _is_dispatcher(value: Any) -> bool:
    return getattr(value, "__ember_jit__", False) is True and hasattr(value, "py_func")


def _known(token: str) -> Dispatcher | None:
    with _LOCK:
        return _SENT.get(token) or _RECEIVED.get(token)


def _from_function(token: str, module: str, qualname: str, options: Options,
                   declared: list[tuple[Type, ...]] | None) -> Dispatcher:
    """The dispatcher of the importable plain function ``module.qualname``."""
    d = _known(token)
    if d is not None:
        return d
    import importlib

    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    func = obj.py_func if _is_dispatcher(obj) else obj
    d = new_dispatcher(func, options)
    d.declared_signatures = declared
    with _LOCK:
        d = _RECEIVED.setdefault(token, d)
        _TOKENS.setdefault(d, token)
    return d


def _skeleton(token: str, namespace_key: str, text: str, filename: str, first: int,
              name: str, qualname: str, module: str, freevars: tuple[str, ...],
              options: Options) -> Dispatcher:
    """A by-value dispatcher without its state yet (:func:`apply_state` follows): its
    function defined from ``text`` at ``filename``:``first``, in the namespace shared
    by the functions of its sender module."""
    d = _known(token)
    if d is not None:
        return d
    if not _file_holds(filename, first, text):
        _ship_lines(filename, first, text)
        # Cached by that file's name, an entry would hold code the file does not.
        options = Options(**{f: getattr(options, f) for f in options.__record_fields__
                             if f != "cache"}, cache=False)
    with _LOCK:
        namespace = _NAMESPACES.get(namespace_key)
        if namespace is None:
            import builtins

            namespace = _NAMESPACES[namespace_key] = {"__name__": module,
                                                      "__builtins__": builtins}
    func = _define(text, filename, first, name, freevars, namespace)
    func.__qualname__ = qualname
    d = new_dispatcher(func, options)
    with _LOCK:
        _TOKENS[d] = token  # sent on from here, it keeps its name
    return d


def _file_holds(filename: str, first: int, text: str) -> bool:
    """Whether the file ``filename`` has ``text`` at line ``first`` (same machine, same
    file): then it keys the native cache as it did for the sender."""
    import linecache

    if not os.path.isfile(filename):
        return False
    linecache.checkcache(filename)
    lines = linecache.getlines(filename)
    sent = text.splitlines(keepends=True)
    return lines[first - 1 : first - 1 + len(sent)] == sent


def _ship_lines(filename: str, first: int, text: str) -> None:
    """Put the sent text in :mod:`linecache` under its file name, at its lines (beside
    other functions sent from that file), for the frontend and for tracebacks. An entry
    without an mtime is never dropped by ``linecache.checkcache``."""
    import linecache

    with _LOCK:
        lines = _SHIPPED_LINES.setdefault(filename, [])
        sent = text.splitlines(keepends=True)
        end = first - 1 + len(sent)
        if len(lines) < end:
            lines.extend("\n" for _ in range(end - len(lines)))
        lines[first - 1 : end] = sent
        linecache.cache[filename] = (sum(map(len, lines)), None, list(lines), filename)


def _define(text: str, filename: str, first: int, name: str, freevars: tuple[str, ...],
            namespace: dict[str, Any]) -> Any:
    """The function ``text`` defines, compiled at its own file and lines, with
    ``namespace`` as its globals and empty cells for ``freevars``."""
    import ast
    import types

    if freevars:  # a closure: an enclosing def makes its cells (filled by apply_state)
        header = f"def {_ENCLOSING}({', '.join(freevars)}):\n"
        body = text if text[:1] in (" ", "\t") else _indent(text)
    elif text[:1] in (" ", "\t"):  # a method or nested def: keep its columns
        header, body = "if 1:\n", text
    else:
        header, body = "", text
    pad = max(first - 1 - (1 if header else 0), 0)
    tree = ast.parse("\n" * pad + header + body, filename)
    outer = tree.body[0]
    block = outer.body if header else tree.body
    target = next(n for n in block if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    _neutralize(target)
    if freevars:
        assert isinstance(outer, ast.FunctionDef)
        outer.body.append(ast.Return(ast.Name(target.name, ast.Load())))
        ast.fix_missing_locations(outer)
    scratch: dict[str, Any] = {"__name__": namespace["__name__"], _DECORATOR: _keep}
    exec(compile(tree, filename, "exec"), scratch)  # noqa: S102 - the sender's own code
    made = scratch[_ENCLOSING](*(None for _ in freevars)) if freevars else scratch[name]
    return types.FunctionType(made.__code__, namespace, name, None, made.__closure__)


def _keep(func: Any) -> Any:
    return func


def _indent(text: str) -> str:
    return "".join("    " + line if line.strip() else line
                   for line in text.splitlines(keepends=True))


def _neutralize(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """Make the re-run ``def`` evaluate nothing of the sender's: the decorators (they
    made this dispatcher), defaults and annotations (set from the state) could read
    names this process does not have. Positions stay: the first line of the code is its
    first decorator's, as it was."""
    import ast

    if fn.decorator_list:
        first = fn.decorator_list[0]
        fn.decorator_list = [ast.copy_location(ast.Name(_DECORATOR, ast.Load()), first)]
    args = fn.args
    args.defaults = [ast.copy_location(ast.Constant(None), d) for d in args.defaults]
    args.kw_defaults = [None if d is None else ast.copy_location(ast.Constant(None), d)
                        for d in args.kw_defaults]
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            arg.annotation = None
    fn.returns = None
