"""Native cache keys: what determined a specialization's machine code → comparable text.

A cache entry is used only when everything that went into its code is unchanged. This
module computes each part *cheaply and without LLVM*, so that a process with a warm cache
never imports llvmlite or a compiler stage::

    >>> entry_name("/app/k.py", "k", "dot", "(int64, int64)", "")  # the hash and tag vary by ember and Python  # doctest: +SKIP
    'k.dot.05c643decca6c9f6.ember-cpython-311'
    >>> sorted(environment_key())
    ['compiler', 'ember', 'ext_suffix', 'hexversion', 'implementation', 'llvmlite', 'machine', 'numpy']

Parts and where they live:

- in the entry's *name*: module, qualname, argument signature, options (so different
  signatures and options are different files) and the Python cache tag;
- in the entry's *key* (checked on load): ember's version and a stat fingerprint of its
  compiler files, Python's version and ABI, a machine fingerprint (CPU model and
  feature flags read from the OS, standing in for LLVM's CPU name and features, which
  are recorded beside it), and a stat fingerprint of the installed llvmlite;
- per function of the unit (checked on load): its source (stat of the file as the fast
  path, the sha256 of the function's text when the stat changed) and the global names it
  reads (:func:`binding_fingerprint`: a constant's repr, which @jit function a name is).
"""

from __future__ import annotations

import os
import sys

from ember.support.digest import sha256_hex

# The warm path imports this module: no `typing` (~3 ms), `hashlib` (~3 ms: OpenSSL),
# `functools` or `collections.abc` (they import `collections`, ~2 ms) at import.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    _R = TypeVar("_R")

# /proc/cpuinfo fields of the first CPU that decide which instructions may be used; the
# rest (MHz, core ids, bogomips) varies between boots of one machine.
_CPU_FIELDS = frozenset({
    "vendor_id", "cpu family", "model", "model name", "flags",  # x86
    "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "Features",  # arm
    "isa", "uarch", "cpu", "platform",  # riscv, power
})  # fmt: skip

def _memo(func: Callable[..., _R]) -> Callable[..., _R]:
    """``functools.cache`` for this module's few per-process facts (with its
    ``cache_clear`` and ``__wrapped__``), without importing functools."""
    results: dict[tuple[object, ...], _R] = {}

    def cached(*args: object) -> _R:
        try:
            return results[args]
        except KeyError:
            value = results[args] = func(*args)
            return value

    cached.cache_clear = results.clear  # type: ignore[attr-defined]
    cached.__wrapped__ = func  # type: ignore[attr-defined]
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(cached, attr, getattr(func, attr))
    return cached


def cache_tag() -> str:
    """The interpreter's cache tag, ``cpython-311``; entries of another Python are other
    files, as .pyc files are."""
    return sys.implementation.cache_tag or f"{sys.implementation.name}-unknown"


def _short(text: str, n: int = 16) -> str:
    return sha256_hex(text.encode())[:n]


def entry_name(
    source_path: str, module: str, qualname: str, signature: str, options_key: str
) -> str:
    """The file name (without extension) of one specialization's entry.

    ``<file stem>.<qualname>.<hash>.ember-<cache tag>``: readable in a listing, unique
    per module (a script run as ``__main__`` and imported as ``app`` differ), qualname,
    signature and options.
    """
    stem = os.path.splitext(os.path.basename(source_path))[0]
    readable = "".join(c if c.isalnum() or c == "_" else "_" for c in qualname)[:40]
    digest = _short(f"{module}\0{qualname}\0{signature}\0{options_key}")
    return f"{stem}.{readable}.{digest}.ember-{cache_tag()}"


@_memo
def machine_fingerprint() -> str:
    """A short hash of the OS's description of this CPU: architecture plus the first
    CPU's model and feature flags (``/proc/cpuinfo`` on Linux). Costs ~0.1 ms and needs
    no LLVM; an entry made on another CPU model is then detected as foreign.

    Elsewhere (no ``/proc/cpuinfo``) only the OS and architecture are known: entries are
    keyed by them, and LLVM's CPU name recorded in each entry is shown by ``ember status``.
    """
    uname = os.uname() if hasattr(os, "uname") else None
    parts = [sys.platform, uname.machine if uname else ""]
    try:
        head = _first_block("/proc/cpuinfo")
    except OSError:
        head = ""
    for line in head.split("\n"):
        if not line.strip():
            break  # the end of the first CPU's block: the others are alike
        key, _, value = line.partition(":")
        key = key.strip()
        if key in _CPU_FIELDS:
            parts.append(f"{key}={value.strip()}")
    return _short("\n".join(parts))


def _first_block(path: str) -> str:
    """The start of ``path`` up to and including its first empty line (or all of it),
    decoded as UTF-8. Read in binary: a text-mode file costs ~3x more to open, and the
    kernel writes /proc/cpuinfo for every CPU as it is read (~150 KB on a big machine)."""
    head = b""
    with open(path, "rb") as f:
        while b"\n\n" not in head:
            chunk = f.read(4096)
            if not chunk:
                break
            head += chunk
    return head.decode("utf-8", "replace")


def _stat_fingerprint(paths: Iterable[str], root: str | None = None) -> str:
    rows = []
    for path in paths:
        name = os.path.basename(path) if root is None else os.path.relpath(path, root)
        try:
            st = os.stat(path)
        except OSError:
            rows.append(f"{name}:-")
            continue
        rows.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
    return _short("\n".join(rows))


@_memo
def compiler_fingerprint(root: str | None = None) -> str:
    """A stat fingerprint of every module of :mod:`ember.native` and its stage packages
    (``root``, not importing them): editing, adding or moving any (a development checkout,
    an upgrade) makes every entry stale, as a new CPython magic number makes every .pyc
    stale. ~50 stats; an installed ember never changes."""
    if root is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows: list[str] = []
    _tree_rows(root, "", rows)
    return _short("\n".join(rows))


def _tree_rows(folder: str, prefix: str, rows: list[str]) -> None:
    """The rows :func:`_stat_fingerprint` makes for ``folder``'s ``.py`` files named by
    their path below the root (``prefix``), then each subfolder's in name order
    (``os.walk``'s order; ``__pycache__`` and symlinked folders not entered). scandir
    and plain slicing instead of os.walk and relpath: this runs in every warm process,
    and is ~4x cheaper so."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return  # os.walk too passes over a folder it cannot list
    subfolders = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if entry.name != "__pycache__" and not entry.is_symlink():
                subfolders.append(entry)
        elif entry.name.endswith(".py"):
            try:
                st = entry.stat()
            except OSError:
                rows.append(f"{prefix}{entry.name}:-")
                continue
            rows.append(f"{prefix}{entry.name}:{st.st_mtime_ns}:{st.st_size}")
    for entry in subfolders:
        _tree_rows(entry.path, f"{prefix}{entry.name}{os.sep}", rows)


@_memo
def llvmlite_fingerprint() -> str:
    """A stat fingerprint of the installed llvmlite, found without importing it
    (a reinstall or upgrade changes it); ``"none"`` when llvmlite is not installed."""
    try:
        spec = _find_spec("llvmlite")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return "none"
    root = list(spec.submodule_search_locations)[0]
    return _stat_fingerprint(
        os.path.join(root, name) for name in ("_version.py", "__init__.py", "binding/__init__.py")
    )


@_memo
def numpy_fingerprint() -> str:
    """A stat fingerprint of the installed NumPy (its version file, extension module and
    FFT ufunc module) and of the BLAS/LAPACK compiled code calls (every file of the bundled ``numpy.libs``
    / ``.dylibs``, or the ``EMBER_BLAS`` library), found without importing NumPy;
    ``"none"`` without NumPy."""
    chosen = os.environ.get("EMBER_BLAS", "")
    try:
        spec = _find_spec("numpy")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return "none"
    root = list(spec.submodule_search_locations)[0]
    paths = [os.path.join(root, "version.py"), os.path.join(root, "_core", "__init__.py")]
    try:  # the FFT ufuncs compiled np.fft calls into (boundary/pocketfft.py)
        paths += sorted(os.path.join(root, "fft", name) for name in os.listdir(os.path.join(root, "fft"))
                        if name.startswith("_pocketfft_umath"))
    except OSError:
        pass
    for folder in (root + ".libs", os.path.join(os.path.dirname(root), "numpy.libs"),
                   os.path.join(root, ".dylibs")):
        try:
            paths += sorted(os.path.join(folder, name) for name in os.listdir(folder))
        except OSError:
            continue
    if chosen:
        paths.append(chosen)
    return _short(chosen + "\n" + _stat_fingerprint(paths, os.path.dirname(root)))


def _find_spec(name: str) -> Any:
    """``importlib.util.find_spec(name)`` for a top-level ``name``: its module's spec
    when imported, else the first spec a finder of ``sys.meta_path`` gives, as the
    import system searches. Not importlib.util itself: it imports contextlib and
    functools (~4 ms), and this runs in every warm process."""
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__spec__", None)
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is not None:
            spec = find(name, None)
            if spec is not None:
                return spec
    return None


@_memo
def environment_key() -> dict[str, str]:
    """Everything outside the user's code that decides an entry's code and ABI, all
    computable without LLVM. Compared on every load."""
    from _imp import extension_suffixes  # importlib.machinery's source of them; built in

    from ember._version import __version__

    return {
        "ember": __version__,
        "compiler": compiler_fingerprint(),
        "implementation": sys.implementation.name + getattr(sys, "abiflags", ""),
        "hexversion": f"{sys.hexversion:x}",
        "ext_suffix": extension_suffixes()[0],
        "machine": machine_fingerprint(),
        "llvmlite": llvmlite_fingerprint(),
        "numpy": numpy_fingerprint(),
    }


# ------------------------------------------------------------- function sources


def read_lines(path: str) -> list[str] | None:
    """A source file's lines decoded as Python decodes source (PEP 263); None if it
    cannot be read."""
    import linecache

    # checkcache drops a stale copy (the file changed since linecache first read it).
    linecache.checkcache(path)
    lines = linecache.getlines(path)
    return lines or None


def function_digest(lines: list[str], first_line: int) -> str | None:
    """The sha256 of the dedented source of the function that starts at ``first_line``
    (1-based, its first decorator as ``co_firstlineno``), computed as the frontend
    computes it (``inspect.getsourcelines`` + ``textwrap.dedent``). None when no block
    starts there."""
    import inspect
    import textwrap

    if not 1 <= first_line <= len(lines):
        return None
    try:
        block = inspect.getblock(lines[first_line - 1 :])
    except (IndexError, SyntaxError, ValueError):
        return None
    if not block:
        return None
    return sha256_hex(textwrap.dedent("".join(block)).encode())


def find_function_start(lines: list[str], near: int, digest: str, reach: int = 60) -> int | None:
    """The first line (counting decorators) of the block whose digest is ``digest``,
    searched from line ``near`` (a ``def`` line) upwards; None if not found."""
    for line in range(near, max(0, near - reach), -1):
        if function_digest(lines, line) == digest:
            return line
    return None


# ------------------------------------------------------------- global bindings


def binding_fingerprint(value: Any) -> str:
    """What a global name means to compiled code, as text: a constant's value (ints,
    floats, bools, None, str and tuples of them, by repr), which ``@jit`` function it is,
    which module, or else just its type. Equal text means equal compiled code.

    >>> binding_fingerprint(3), binding_fingerprint(2.5), binding_fingerprint((1, None))
    ('const:3', 'const:2.5', 'const:(1, None)')
    """
    if getattr(value, "__ember_jit__", False) is True:
        func = getattr(value, "py_func", None)
        name = f"{getattr(func, '__module__', '?')}:{getattr(func, '__qualname__', '?')}"
        return f"jit:{name}:{getattr(getattr(value, 'options', None), 'key', lambda: '')()}"
    if _is_constant(value):
        return f"const:{value!r}"
    kind = type(value)
    if kind.__name__ == "module":
        return f"module:{getattr(value, '__name__', '?')}"
    if kind.__name__ in ("builtin_function_or_method", "function", "type"):
        owner = getattr(value, "__module__", None) or ""
        return f"{kind.__name__}:{owner}.{getattr(value, '__qualname__', '?')}"
    return f"object:{kind.__module__}.{kind.__qualname__}"


def _is_constant(value: Any) -> bool:
    if value is None or type(value) in (int, float, bool, str, complex):
        return True
    return type(value) is tuple and all(_is_constant(v) for v in value)


MISSING = "missing"


def resolve(namespace: dict[str, Any], builtins: dict[str, Any], dotted: str) -> str:
    """The binding fingerprint of ``dotted`` (``"n"`` or ``"math.pi"``) seen from a
    function's globals (then builtins); :data:`MISSING` when a part is undefined."""
    head, *rest = dotted.split(".")
    if head in namespace:
        value = namespace[head]
    elif head in builtins:
        value = builtins[head]
    else:
        return MISSING
    for attr in rest:
        try:
            value = getattr(value, attr)
        except AttributeError:
            return MISSING
        except Exception:  # noqa: BLE001 - a user's __getattr__ may raise anything
            return MISSING
    return binding_fingerprint(value)


def global_names(code: Any) -> list[str]:
    """The names a function's code may read from its globals, with ``module.attr``
    pairs for names bound to modules resolved later (:func:`bindings`). Nested code
    objects (comprehensions) included."""
    names: set[str] = set()
    stack = [code]
    while stack:
        co = stack.pop()
        names.update(co.co_names)
        stack.extend(c for c in co.co_consts if hasattr(c, "co_names"))
    return sorted(names)


def bindings(func: Any) -> dict[str, str]:
    """Fingerprints of every global name ``func``'s code reads, and of ``m.attr`` for
    each name bound to a module: the check that catches a constant edited in another
    file, or a name rebound to another ``@jit`` function, while the function's own text
    is unchanged. Closure cells are included as ``<cell>name``."""
    import builtins as _builtins

    namespace = func.__globals__
    bdict = vars(_builtins)
    names = global_names(func.__code__)
    out: dict[str, str] = {}
    for name in names:
        fp = resolve(namespace, bdict, name)
        if fp == MISSING and name not in namespace:
            continue  # an attribute name (x.real) or a local: not a global read
        out[name] = fp
        if fp.startswith("module:"):
            for attr in names:
                sub = resolve(namespace, bdict, f"{name}.{attr}")
                if sub != MISSING:
                    out[f"{name}.{attr}"] = sub
    # Defaults are compiled in as constants (the entry's, and those of jit-to-jit calls).
    if func.__defaults__:
        out["<defaults>"] = binding_fingerprint(func.__defaults__)
    if func.__kwdefaults__:
        out["<kwdefaults>"] = binding_fingerprint(tuple(sorted(func.__kwdefaults__.items())))
    cells = func.__closure__ or ()
    for name, cell in zip(func.__code__.co_freevars, cells, strict=False):
        try:
            out[f"<cell>{name}"] = binding_fingerprint(cell.cell_contents)
        except ValueError:
            out[f"<cell>{name}"] = MISSING
    return out


def find_live_function(module: str, qualname: str, root: Any = None) -> Any | None:
    """The Python function ``module.qualname`` of the running program (unwrapping a
    ``@jit`` object to its ``py_func``), found by attribute lookup only; None if the
    module is not imported or the path does not lead to a function (``<locals>``).

    ``root``, the unit's root function: a callee of its module is looked up in its
    globals first, the namespace its code really reads. That is the module's own dict
    for an imported function, and the one a function pickled by value was rebuilt in
    (runtime/pickling.py), where ``sys.modules["__main__"]`` is another program."""
    if root is not None and module == (getattr(root, "__module__", None) or "__main__"):
        found = function_in(getattr(root, "__globals__", {}), qualname)
        if found is not None:
            return found
    obj: Any = sys.modules.get(module)
    if obj is None:
        return None
    return function_in(vars(obj), qualname)


def function_in(namespace: dict[str, Any], qualname: str) -> Any | None:
    """The function ``qualname`` names in ``namespace`` (a module's globals), unwrapping a
    ``@jit`` object; None if the path does not lead to one."""
    head, *rest = qualname.split(".")
    obj: Any = namespace.get(head)
    for part in rest:
        if obj is None or part == "<locals>":
            return None
        obj = getattr(obj, part, None)
    if getattr(obj, "__ember_jit__", False) is True:
        obj = getattr(obj, "py_func", None)
    return obj if hasattr(obj, "__code__") else None


def current_repr(func: Any, dotted: str) -> str | None:
    """``repr`` of the value ``dotted`` has now for ``func`` (a closure cell, then its
    globals, then builtins, as the frontend looks names up); None when undefined."""
    import builtins as _builtins

    head, *rest = dotted.split(".")
    cells = dict(zip(func.__code__.co_freevars, func.__closure__ or (), strict=False))
    try:
        if head in cells:
            value = cells[head].cell_contents
        elif head in func.__globals__:
            value = func.__globals__[head]
        else:
            value = getattr(_builtins, head)
        for attr in rest:
            value = getattr(value, attr)
        return repr(value)
    except Exception:  # noqa: BLE001 - an empty cell, a missing name, a raising __repr__
        return None
