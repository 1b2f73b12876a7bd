"""The on-disk native cache: a compiled unit → a checked file beside its source →
loaded by a later process without LLVM.

The dispatcher calls :func:`lookup` before compiling a specialization and :func:`store`
after; a hit returns the unit's extension module (its ``PyInit_<symbol>`` run by
importlib's ExtensionFileLoader: no llvmlite, no ctypes, no compiler stage imported)::

    >>> hit = lookup(py_func, (INT64,), Options())  # needs a cache entry on disk  # doctest: +SKIP
    >>> entry = getattr(hit.module, py_func.__name__)  # the entry above  # doctest: +SKIP
    >>> hit.module.__ember_set_next__(slow_path)  # the entry above  # doctest: +SKIP

(``entry`` is the unit's METH_FASTCALL builtin; the setter chains it as usual.)

An entry is used only when everything that determined its code is unchanged (see
:mod:`ember.native.cache.key`); otherwise it is rebuilt and replaced atomically. Entries
that must not be loaded (altered bytes, another machine's, another user's, writable by
others) are reported once per process with a :class:`NativeCacheWarning` and rebuilt.

Switches: ``@jit(cache=False)``; ``EMBER_CACHE=0`` for a whole process; the folder moves
with ``EMBER_CACHE_DIR``; ``EMBER_DEBUG=cache`` prints every hit, miss and rejection on
stderr. The cache deliberately does NOT follow ``PYTHONDONTWRITEBYTECODE``: that
variable is set in many container images to keep layers small, and a container is where a
warm start matters most; ``EMBER_CACHE=0`` is the opt-out.

Without a system linker (no ``cc``) the entry holds object code instead of a shared
object; a hit then loads it through llvmlite (slower start, said by ``ember status``).

A process whose kernels all hit pays for ember's runtime and cache modules, a stat per
source file, the checksums and one ``dlopen`` per entry: nothing here, in the runtime or
in :mod:`~ember.native.cache.key`/:mod:`~ember.native.cache.store` imports a module that
costs milliseconds (``dataclasses``, ``inspect``, ``typing``, ``threading``, ``hashlib``,
``json``, ``re``) except on a path that compiles, stores, refuses or re-reads a source
whose stat changed (``tests/native/test_warm_start.py`` holds that).
"""

from __future__ import annotations

import os
from _thread import allocate_lock

from ember.native.cache import key as K
from ember.native.cache import store as S
from ember.native.options import recursion_limit
from ember.support import fs as _fs
from ember.support.record import record

# This module is the warm path: no `typing` (~3 ms), `threading` or `dataclasses`
# (~12 ms with inspect) at import. `_thread` is built in; Lock() is its allocate_lock().
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ember.native.cache.scan import NativeRecord, judge_entry, remove, scan_native_cache

__all__ = [
    "Hit", "NativeCacheWarning", "enabled", "lookup", "store",
    "NativeRecord", "judge_entry", "remove", "scan_native_cache",  # from cache_scan, lazily
]  # fmt: skip


NativeCacheWarning = S.NativeCacheWarning


@record
class Hit:
    """A usable entry. ``kind == "so"``: ``module`` is the unit's extension module
    (attributes: the entry builtin named as the Python function, and
    ``__ember_set_next__``). ``kind == "o"``: ``object_code`` must be loaded by the JIT
    (no linker was available when it was stored)."""

    path: str
    kind: str
    symbol: str
    module: Any
    object_code: bytes | None
    meta: dict[str, Any]


def enabled(options: Any = None) -> bool:
    """Whether the native cache is used: ``options.cache`` and not ``EMBER_CACHE=0``."""
    if options is not None and not getattr(options, "cache", True):
        return False
    return os.environ.get("EMBER_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


# Where a loaded library's bytes came from: "/proc/self/fd/N" names already handed to
# the dynamic loader. The loader and CPython's extension table both cache by path, so a
# name used twice (a reused descriptor number) would give back the FIRST library.
_USED_NAMES: set[str] = set()
_LOAD_LOCK = allocate_lock()


def _report(path: str, err: S.EntryError) -> None:
    S.warn_once(
        f"{path}\0{err.reason}",
        f"ember: refusing native cache entry {path} ({err.kind}: {err.reason}); it will be rebuilt",
    )


def refuse(path: str, reason: str) -> None:
    """Report an entry that passed every check here but still could not be loaded (the
    JIT rejected its object code): refused like any other, and the caller rebuilds it."""
    _report(path, S.EntryError("corrupt", reason))


def _signature(arg_types: tuple[Any, ...]) -> str:
    from ember.native.types import signature_text

    return signature_text(arg_types)


def _root_key(py_func: Any, arg_types: tuple[Any, ...], options: Any) -> dict[str, str]:
    return {
        "module": py_func.__module__ or "__main__",
        "qualname": py_func.__qualname__,
        "signature": _signature(arg_types),
        "options": options.key(),
        # Compiled into recursive code: sys.setrecursionlimit() must recompile.
        "recursion_limit": str(recursion_limit()),
    }


def _identify(
    py_func: Any, arg_types: tuple[Any, ...], options: Any
) -> tuple[str | None, dict[str, str], str]:
    """The source file (None when there is none to key by), the root key, and the
    ``f(int64)`` label that debug lines use."""
    root = _root_key(py_func, arg_types, options)
    return _source_path(py_func), root, f"{root['qualname']}{root['signature']}"


def _source_path(py_func: Any) -> str | None:
    path = getattr(getattr(py_func, "__code__", None), "co_filename", "")
    if not path or path.startswith("<") or not os.path.isfile(path):
        return None  # exec'd code, a REPL, a zip: nothing stable to key by
    return os.path.abspath(path)


# ------------------------------------------------------------------ lookup


def lookup(py_func: Any, arg_types: tuple[Any, ...], options: Any) -> Hit | None:
    """The cached unit for ``py_func`` specialized to ``arg_types``, loaded, or None
    (then compile and :func:`store`). Never raises for a bad entry: it is reported and
    treated as a miss. Imports no compiler stage and no llvmlite for a ``.so`` entry."""
    if not enabled(options):
        return None
    path, root, label = _identify(py_func, arg_types, options)
    if path is None:
        S.debug(f"skip {label}: no source file")
        return None
    name = K.entry_name(path, root["module"], root["qualname"], root["signature"], root["options"])
    for loc in S.candidate_dirs(path):
        for ext in S.EXTENSIONS:
            entry = os.path.join(loc.folder, name + ext)
            try:
                _, payload, meta = S.read_entry(entry, loc.trust_root)
            except FileNotFoundError:
                continue
            except S.EntryError as err:
                _report(entry, err)
                continue
            except OSError as exc:
                S.debug(f"skip {entry}: {exc}")
                continue
            try:
                refresh = _validate(meta, root, py_func)
            except S.EntryError as err:
                if err.kind in ("foreign", "mismatch"):
                    _report(entry, err)
                else:
                    S.debug(f"stale {label} {entry}: {err.reason}")
                continue
            except Exception as exc:  # noqa: BLE001 - a key of another layout: never load
                _report(entry, S.EntryError("mismatch", f"unreadable key ({exc!r})"))
                continue
            try:
                S.check_payload(meta["kind"], payload)
                hit = _load(entry, payload, meta)
            except S.EntryError as err:
                _report(entry, err)
                continue
            except (ImportError, OSError) as exc:
                _report(entry, S.EntryError("corrupt", f"cannot be loaded: {exc}"))
                continue
            S.debug(f"hit {label} {entry}")
            if refresh:
                _refresh(entry, payload, meta, refresh)
            return hit
    S.debug(f"miss {label} (no valid entry named {name})")
    return None


def _validate(
    meta: dict[str, Any], root: dict[str, str], py_func: Any
) -> dict[int, tuple[int, int, int]]:
    """Raise :class:`~ember.native.cache.store.EntryError` unless the entry's key
    matches now; return new ``(mtime_ns, size, first line)`` for sources whose stat
    changed but whose text did not (to record, so the next process takes the fast path).
    """
    held = meta.get("root")
    if held != root:
        if not isinstance(held, dict):
            raise S.EntryError("mismatch", "it holds no function key")
        diff = [f"{k} {held.get(k)!r}, not {v!r}" for k, v in root.items() if held.get(k) != v]
        raise S.EntryError("mismatch", "it holds another function: " + "; ".join(diff))
    env, now = meta.get("env") or {}, K.environment_key()
    for part in ("implementation", "hexversion", "ext_suffix", "machine"):
        if env.get(part) != now[part]:
            what = "CPU" if part == "machine" else "Python"
            raise S.EntryError("foreign", f"made for another {what} ({part} {env.get(part)})")
    for part in ("ember", "compiler", "llvmlite"):
        if env.get(part) != now[part]:
            raise S.EntryError("stale", f"{part} changed since it was compiled")
    refresh: dict[int, tuple[int, int, int]] = {}
    live: dict[tuple[str, str], Any] = {}
    for i, src in enumerate(meta.get("sources", ())):
        func = (
            py_func
            if (src["module"], src["qualname"]) == (root["module"], root["qualname"])
            else K.find_live_function(src["module"], src["qualname"], py_func)
        )
        live[(src["module"], src["qualname"])] = func
        try:
            st = os.stat(src["path"])
        except OSError:
            raise S.EntryError("stale", f"source {src['path']} is gone") from None
        code = getattr(func, "__code__", None)
        here = code is not None and os.path.abspath(code.co_filename) == src["path"]
        if (st.st_mtime_ns, st.st_size) == (src["mtime_ns"], src["size"]):
            if here and code.co_firstlineno != src["line"]:
                # Same file, same name, another def (a module defining f twice).
                raise S.EntryError(
                    "stale",
                    f"it holds the {src['qualname']} defined on "
                    f"line {src['line']}, not line {code.co_firstlineno}",
                )
            continue  # unchanged file: the .pyc rule
        line = code.co_firstlineno if here else src["line"]  # it may have moved
        lines = K.read_lines(src["path"])
        if lines is None or K.function_digest(lines, line) != src["sha256"]:
            raise S.EntryError("stale", f"the source of {src['qualname']} changed")
        refresh[i] = (st.st_mtime_ns, st.st_size, line)
    import builtins

    bdict = vars(builtins)
    for fn in meta.get("bindings", ()):
        func = live.get((fn["module"], fn["qualname"]))
        if func is None:
            func = K.find_live_function(fn["module"], fn["qualname"], py_func)
        if func is None:
            raise S.EntryError("stale", f"{fn['module']}.{fn['qualname']} is not found now")
        now_b = K.bindings(func) if fn.get("cells") else None
        for name, old in fn["names"].items():
            if name.startswith("<"):  # <cell>x, <defaults>: not a global's name
                new = (now_b or K.bindings(func)).get(name, K.MISSING)
            else:
                new = K.resolve(func.__globals__, bdict, name)
            if new != old:
                raise S.EntryError(
                    "stale", f"global {name} of {fn['qualname']} changed ({old} -> {new})"
                )
    for module, qualname, captured in meta.get("captured", ()):
        func = live.get((module, qualname)) or K.find_live_function(module, qualname, py_func)
        for name, old in captured:
            new = K.current_repr(func, name) if func is not None else None
            if new != old:
                raise S.EntryError(
                    "stale", f"captured {name} of {qualname} changed ({old} -> {new})"
                )
    return refresh


def _load(entry: str, payload: bytes, meta: dict[str, Any]) -> Hit:
    kind, symbol = meta["kind"], meta["symbol"]
    if kind == "o":
        return Hit(entry, kind, symbol, None, payload, meta)
    with _LOAD_LOCK:  # _USED_NAMES is read and extended under it
        module = _load_verified(meta["modname"], payload)
    return Hit(entry, kind, symbol, module, None, meta)


def _load_verified(modname: str, payload: bytes) -> Any:
    """The extension module in ``payload``, loaded from those very bytes: never from
    the entry's path, which could name other bytes by now (docs/security.md). An
    anonymous memory file first; a fresh private copy where that cannot be loaded."""
    fd = _memory_file(payload)
    if fd is not None:
        path = f"/proc/self/fd/{fd}"
        try:
            return _load_extension(modname, path)
        except (ImportError, OSError) as exc:
            S.debug(f"cannot load from a memory file ({exc}); using a private copy")
        finally:
            os.close(fd)  # the loader keeps its own mapping
    folder, path = _private_copy(payload)
    try:
        return _load_extension(modname, path)
    finally:
        for undo in (os.unlink, os.rmdir):
            try:
                undo(path)  # the mapping stays valid; nothing else needs the file
            except OSError:
                pass
            path = folder


def _memory_file(payload: bytes) -> int | None:
    """A descriptor of an anonymous file holding ``payload`` (only this process can
    reach it), numbered so that its /proc name was never loaded before; None where
    there is no memfd_create or /proc."""
    if not hasattr(os, "memfd_create") or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        fd = os.memfd_create("ember-entry", os.MFD_CLOEXEC)
    except OSError:
        return None
    try:
        _fs.write_all(fd, payload)
        if f"/proc/self/fd/{fd}" in _USED_NAMES:
            import fcntl  # only when a number comes back: a C module, cheap

            lowest = 1 + max(int(n.rsplit("/", 1)[1]) for n in _USED_NAMES)
            fresh = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, lowest)
            os.close(fd)
            fd = fresh
    except OSError:
        os.close(fd)
        return None  # e.g. EMFILE past the last free number: the private copy does
    _USED_NAMES.add(f"/proc/self/fd/{fd}")
    return fd


def _private_copy(payload: bytes) -> tuple[str, str]:
    """(folder, file): ``payload`` in a new user-only folder of its own (mkdtemp: 0o700,
    a fresh name no other user can take over), so the loader is given exactly the
    verified bytes under a path never loaded before."""
    # On the rare path only (no memfd): tempfile costs ~2 ms to import.
    import tempfile

    errors = []
    for base in (None, S.user_cache_root()):
        try:
            folder = tempfile.mkdtemp(prefix="ember-load-", dir=base)
        except OSError as exc:
            errors.append(exc)
            continue
        path = os.path.join(folder, "unit.so")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            _fs.write_all(fd, payload)
        finally:
            os.close(fd)
        return folder, path
    raise OSError(f"no private folder to load the entry from ({errors[-1]})")


def _load_extension(modname: str, path: str) -> Any:
    # The classes importlib.machinery re-exports, from the import system's own frozen
    # modules (always loaded): importing the `importlib` package costs ~0.6 ms.
    try:
        from _frozen_importlib import ModuleSpec
        from _frozen_importlib_external import ExtensionFileLoader
    except ImportError:  # pragma: no cover - an interpreter without them
        from importlib.machinery import ExtensionFileLoader, ModuleSpec

    loader = ExtensionFileLoader(modname, path)
    spec = ModuleSpec(modname, loader, origin=path)
    module = loader.create_module(spec)
    loader.exec_module(module)
    return module


def _refresh(
    entry: str, payload: bytes, meta: dict[str, Any], refresh: dict[int, tuple[int, int, int]]
) -> None:
    sources = [dict(s) for s in meta["sources"]]
    for i, (mtime_ns, size, line) in refresh.items():
        sources[i].update(mtime_ns=mtime_ns, size=size, line=line)
    new = {k: v for k, v in meta.items() if k != "sha256"}
    new["sources"] = sources
    try:
        S.write_atomic(entry, S.pack(payload, new))
        S.debug(f"refreshed the recorded source stats of {entry}")
    except OSError:
        pass  # a read-only folder: the next process re-hashes again, still correct


# ------------------------------------------------------------------ lock


def lock_entry(py_func: Any, arg_types: tuple[Any, ...], options: Any) -> Any:
    """After a miss: hold the cross-process lock of the entry :func:`store` will write
    (an :class:`~ember.native.cache.lock.EntryLock`), so that processes missing it at
    once compile it once; None when there is nothing to lock (cache off, no source
    file, no writable folder). When ``waited`` is set, another process held it: call
    :func:`lookup` again before compiling. Never raises for a cache problem."""
    if not enabled(options):
        return None
    path, root, label = _identify(py_func, arg_types, options)
    if path is None:
        return None
    from ember.native.cache import lock as L  # only on a miss: never on the warm path

    name = K.entry_name(path, root["module"], root["qualname"], root["signature"], root["options"])
    try:
        loc = S.writable_location(path)
        if loc is None:
            return None
        lock_path = os.path.join(loc.folder, f".{name}.lock")
        held = L.acquire(lock_path, L.timeout_from_env())
    except OSError as exc:
        S.debug(f"no lock for {label}: {exc}")
        return None
    if held.taken_over:
        S.debug(f"lock taken over {label}: {held.holder or 'another process'} held "
                f"{lock_path} past EMBER_CACHE_LOCK_TIMEOUT; compiling here too")
    elif held.waited:
        S.debug(f"waited {label}: another process was compiling it")
    return held


# ------------------------------------------------------------------ store


def store(
    py_func: Any,
    arg_types: tuple[Any, ...],
    options: Any,
    unit: Any,
    object_code: bytes,
    *,
    modname: str | None = None,
) -> str | None:
    """Write the entry of a freshly compiled ``unit`` (its object code as emitted by
    the engine); returns the entry's path, or None when it is not cached (disabled, no
    source file, no writable folder, a source edited while compiling). Never raises for
    a cache problem: compiled code works without its cache."""
    if not enabled(options):
        return None
    try:
        return _store(py_func, arg_types, options, unit, object_code, modname)
    except Exception as exc:  # noqa: BLE001 - a cache problem must not fail a compile
        S.debug(f"not stored {py_func.__qualname__}: {type(exc).__name__}: {exc}")
        return None


def _store(
    py_func: Any,
    arg_types: tuple[Any, ...],
    options: Any,
    unit: Any,
    object_code: bytes,
    modname: str | None,
) -> str | None:
    path, root, label = _identify(py_func, arg_types, options)
    if path is None:
        S.debug(f"not stored {label}: no source file")
        return None
    described = _describe_sources(py_func, root, unit)
    if isinstance(described, str):
        S.debug(f"not stored {label}: {described}")
        return None
    sources, bindings = described
    from ember.native.backend import engine

    kind = "so" if engine.find_cc() is not None else "o"
    name = K.entry_name(path, root["module"], root["qualname"], root["signature"], root["options"])
    loc = S.writable_location(path, f"{name}.{kind}")
    if loc is None:
        _say_not_stored(path, f"{name}.{kind}", label)
        return None
    symbol = unit.root.symbol
    payload = b""
    if kind == "o":
        kind, payload = "o", object_code
    else:
        import shutil
        import tempfile

        # mkdtemp, not TemporaryDirectory: stores may run in a thread joined at exit, and
        # TemporaryDirectory's atexit finalizer could delete the folder under the linker.
        tmp = tempfile.mkdtemp(prefix="ember-cache-")
        try:
            out = os.path.join(tmp, "unit.so")
            engine.link_shared([object_code], out)  # type: ignore[arg-type]
            with open(out, "rb") as f:
                payload = f.read()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    import llvmlite

    h = engine.host()
    meta = {
        "format": S.FORMAT,
        "root": root,
        "env": K.environment_key(),
        "llvm": {
            "llvmlite": llvmlite.__version__,
            "llvm": _llvm_version(),
            "triple": h.triple,
            "cpu": h.cpu,
            "features": h.features,
        },
        "kind": kind,
        "symbol": symbol,
        "modname": modname or symbol,
        "source": path,
        "sources": sources,
        "bindings": bindings,
        "captured": [[f.module, f.qualname, list(map(list, f.captured))] for f in unit.functions],
        "return_type": str(unit.root.return_type),
    }
    entry = os.path.join(loc.folder, name + "." + kind)
    S.write_atomic(entry, S.pack(payload, meta))
    other = os.path.join(loc.folder, name + (".o" if kind == "so" else ".so"))
    if os.path.exists(other):
        try:
            os.unlink(other)  # the other kind is superseded
        except OSError:
            pass
    S.debug(f"store {label} {entry} ({len(payload)} bytes, {kind})")
    return entry


def _say_not_stored(source_path: str, entry_name: str, label: str) -> None:
    """Say why nothing was stored: a warning when a non-file holds the entry's name in
    every folder (the function would silently never be cached), else a debug line."""
    taken = [
        os.path.join(loc.folder, entry_name)
        for loc in S.candidate_dirs(source_path)
        if S.blocked(os.path.join(loc.folder, entry_name))
    ]
    if taken:
        S.warn_once(
            f"blocked {taken[0]}",
            f"ember: cannot cache {label}: {taken[0]} is not a regular file; "
            "remove it to cache this function again",
        )
    else:
        S.debug(f"not stored {label}: no writable cache folder")


def _llvm_version() -> str:
    # Only on the store path, after a compile: the engine (and llvmlite) is loaded.
    from ember.native.backend.engine import llvm_version

    return llvm_version()


def _describe_sources(
    py_func: Any, root: dict[str, str], unit: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | str:
    """Per function of the unit: its source record (path, first line, stat, digest)
    and the fingerprints of the global names it reads. A reason text when the unit
    cannot be validated later (a callee not reachable by name, a source edited while
    it was being compiled)."""
    recorded = {(p, q): d for p, q, d in getattr(unit, "sources", ())}
    sources: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    in_unit = {(tf.module, tf.qualname) for tf in unit.functions}
    for tf in unit.functions:
        enclosing = tf.qualname.rpartition(".<locals>.")[0]
        if enclosing and (tf.module, enclosing) in in_unit:
            continue  # an inner def or lambda: its enclosing function's text and bindings
        is_root = (tf.module, tf.qualname) == (root["module"], root["qualname"])
        func = py_func if is_root else K.find_live_function(tf.module, tf.qualname, py_func)
        if func is None:
            return f"the callee {tf.module}.{tf.qualname} cannot be found by name"
        code = func.__code__
        fpath = os.path.abspath(code.co_filename)
        if any(s["path"] == fpath and s["qualname"] == tf.qualname for s in sources):
            continue  # recursion: one record per function
        st = os.stat(fpath)  # before reading: a later edit makes the stat differ
        lines = K.read_lines(fpath)
        if lines is None:
            return f"cannot read {fpath}"
        line = code.co_firstlineno
        digest = K.function_digest(lines, line)
        expected = recorded.get((code.co_filename, tf.qualname)) or recorded.get(
            (fpath, tf.qualname)
        )
        if digest is None or (expected is not None and digest != expected):
            return f"the source of {tf.qualname} changed while it was compiled"
        sources.append({
            "path": fpath, "module": tf.module, "qualname": tf.qualname, "line": line,
            "mtime_ns": st.st_mtime_ns, "size": st.st_size, "sha256": digest,
        })  # fmt: skip
        for name, value in getattr(tf, "captured", ()):
            # The store may run in a thread after the program went on: the snapshot
            # of globals must be the values the code was compiled with.
            if K.current_repr(func, name) != value:
                return f"the global {name} changed while {tf.qualname} was compiled"
        names = K.bindings(func)
        bindings.append({
            "module": tf.module, "qualname": tf.qualname, "names": names,
            "cells": any(n.startswith("<") for n in names),
        })  # fmt: skip
    return sources, bindings


# ------------------------------------------------------------------ status / clean


# Re-exported lazily: listing entries is not on the hit path.
def __getattr__(name: str) -> Any:
    if name in ("NativeRecord", "scan_native_cache", "remove", "judge_entry"):
        from ember.native.cache import scan as cache_scan

        return getattr(cache_scan, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
