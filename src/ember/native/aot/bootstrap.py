"""The Python half of an ahead-of-time extension's import, marshalled into it.

The extension's exec slot runs :data:`SOURCE` (compiled for the building interpreter,
whose version the extension's file name carries) with ``_module`` (the new module),
``_units`` (one module per specialization, each holding the METH_FASTCALL entry and
its ``__ember_set_next__``), ``_payload`` (the marshalled code of the source module) and
``_table`` (per jitted function: its name, the indices of its units, its signatures),
``_check`` (the source's file name, size, mtime and sha256 when built), ``_cpu`` (the
CPU level whose code the exec slot chose) and ``_meta`` (the build's metadata, JSON):

0. when the source file sits beside the extension and differs from the one it was built
   from (one stat; the hash only when mtime or size differ), one warning names it, or
   the import fails, as ``EMBER_AOT_STALE`` (``warn``, the default; ``error``;
   ``ignore``) says;
1. the source module's code runs in the new module's namespace, with ``ember`` in
   ``sys.modules`` replaced for that time by a stand-in whose ``jit`` (and ``njit``)
   returns the function it decorates, whatever signatures or options it is given (so ``import ember`` in the source needs no ember installed);
2. each jitted function's name is rebound to its first entry; entries chain to the next
   signature's (machine-code dispatch on the argument types) and the last one to a
   function that retries ints given for float64 parameters as floats, else raises the
   TypeError that names the signatures built.

>>> table = (("add", (0,), ("(int64, int64)",)),)
>>> len(bootstrap_code(table)) > 0
True
"""

from __future__ import annotations

import marshal

SOURCE = '''
import sys as _sys

def _source_path():
    file = _module.__dict__.get("__file__")
    if not file:
        return None, None
    import os
    return os.path.join(os.path.dirname(file), _check[0]), os.path.basename(file)

def _stale(path, built):
    import os
    mode = os.environ.get("EMBER_AOT_STALE", "warn")
    if mode == "ignore" or path is None:
        return
    try:
        st = os.stat(path)
    except OSError:
        return  # no source beside it (an installed wheel may ship none)
    name, size, mtime_ns, sha256 = _check
    if (st.st_size, st.st_mtime_ns) == (size, mtime_ns):
        return
    if st.st_size == size:
        import hashlib
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() == sha256:
                return
    message = (f"{path} changed since {built} was built from it: the extension runs the "
               f"old code; rebuild it (ember build --native, or ember aot {name}), or set "
               f"EMBER_AOT_STALE=ignore")
    if mode == "error":
        raise ImportError(message, name=_module.__name__, path=path)
    import warnings
    # stacklevel: this function, _bind, the bootstrap, then (importlib's frames skipped) the
    # import statement that loaded the extension.
    warnings.warn(message, RuntimeWarning, stacklevel=4)

def _bind():
    path, built = _source_path()
    _stale(path, built)
    stand_in = type(_sys)("ember")
    stand_in.__doc__ = "ember's decorators as this ahead-of-time build sees them"

    def jit(func=None, /, **options):
        # @jit, @jit(...), and Numba's @jit("sig") / @jit(["sig", ...]) (not callable).
        return func if callable(func) else (lambda f: f)

    stand_in.jit = stand_in.njit = jit
    stand_in.prange = range  # the loops themselves are compiled (with their own pool)
    saved = _sys.modules.get("ember")
    _sys.modules["ember"] = stand_in
    try:
        code = __import__("marshal").loads(_payload)
        if path is not None:  # tracebacks name the source beside it, as for a .pyc
            __import__("_imp")._fix_co_filename(code, path)
        exec(code, _module.__dict__)
    finally:
        if saved is None:
            _sys.modules.pop("ember", None)
        else:
            _sys.modules["ember"] = saved
    for name, indices, signatures in _table:
        units = [_units[i] for i in indices]
        for unit, following in zip(units, units[1:]):
            unit.__ember_set_next__(following.__ember_entry__)
        first = getattr(units[0], name)  # the entry, under the function's name
        units[-1].__ember_set_next__(_refusal(name, signatures, first))
        _module.__dict__[name] = first
    _module.__ember_aot__ = {"cpu": _cpu, "metadata": _meta}

def _refusal(name, signatures, first):
    built = ", ".join(signatures)
    # An int where a signature takes float64 is what Python's numeric tower allows (and
    # what the JIT would compile): retried once as float.
    floats = [[t == "float64" for t in sig.strip("()").split(", ")] for sig in signatures]

    def refuse(*args, **kwargs):
        for wants in floats:
            if len(wants) == len(args) and not kwargs and any(
                    w and type(a) is int for w, a in zip(wants, args)):
                return first(*(float(a) if w and type(a) is int else a
                               for w, a in zip(wants, args)))
        got = ", ".join(type(a).__name__ for a in args)
        if kwargs:
            got += (", " if got else "") + ", ".join(f"{k}={type(v).__name__}"
                                                   for k, v in kwargs.items())
        raise TypeError(f"{name}() was compiled ahead of time for {built}; "
                        f"no signature accepts ({got})")

    refuse.__name__ = name
    return refuse

_bind()
'''


def bootstrap_code(table: tuple[tuple[str, tuple[int, ...], tuple[str, ...]], ...],
                   check: tuple[str, int, int, str] = ("m.py", 0, 0, "")) -> bytes:
    """The marshalled bootstrap, ``_table`` and ``_check`` baked in as constants."""
    text = f"_table = {table!r}\n_check = {check!r}\n" + SOURCE
    return marshal.dumps(compile(text, "<ember aot bootstrap>", "exec"))
