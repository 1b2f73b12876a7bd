"""Build an ahead-of-time extension: every ``@jit`` function of a module, for each of its
concrete signatures, linked into one shared object that imports without ember.

Each (function, signature) is the JIT's own compile unit, lowered as the JIT lowers it;
only its ``PyInit_<symbol>`` stays visible (the units of two functions that call the
same third one both hold a copy of it, which must not collide at link time). The
extension's init (:mod:`~ember.native.aot.extension`) and bootstrap
(:mod:`~ember.native.aot.bootstrap`) are added, and the whole links with the system
linker (:func:`~ember.native.backend.engine.link_shared`: atomic, nothing partial left).

Code is built for a baseline CPU of the platform, with newer x86-64 levels'
versions chosen at import (:mod:`~ember.native.aot.targets`), or for this machine's
CPU (``cpu="host"``, as the JIT's is). The extension records its sources' hashes
(:mod:`~ember.native.aot.meta`), so ``ember status`` and its own import see an edit.
"""

from __future__ import annotations

import marshal
import os
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.types import Type


def extension_path(out_dir: Path, name: str) -> Path:
    """``DIR/name`` + the importer's suffix (``.cpython-311-x86_64-linux-gnu.so``)."""
    return Path(out_dir) / f"{name}{sysconfig.get_config_var('EXT_SUFFIX')}"


def jitted_functions(namespace: Mapping[str, Any], filename: str) -> list[tuple[str, Any]]:
    """The module's own ``@jit`` functions (not imported ones), in source order."""
    found = [(name, value) for name, value in namespace.items()
             if getattr(value, "__ember_jit__", False)
             and value.py_func.__code__.co_filename == filename]
    return sorted(found, key=lambda item: item[1].py_func.__code__.co_firstlineno)


def _located(func: Any, message: str, hint: str) -> EmberError:
    code = func.__code__
    return EmberError(Diagnostic(Span(code.co_filename, code.co_firstlineno), message, hint))


def signatures_of(name: str, dispatcher: Any,
                  given: Mapping[str, Sequence[tuple[Type, ...]]]) -> list[tuple[Type, ...]]:
    """The signatures to build: given on the command line, else those declared in
    ``@jit(...)`` (Numba's strings), else the annotations."""
    from ember.native.runtime.dispatch import annotated_types

    sigs = list(dict.fromkeys(given.get(name, ())))
    if not sigs:  # @jit("float64(float64[:])", ...): runtime/signatures.py
        sigs = list(getattr(dispatcher, "declared_signatures", None) or ())
    if not sigs:
        annotated = annotated_types(dispatcher.py_func)
        if annotated is not None:
            sigs = [annotated]
    if not sigs:
        raise _located(
            dispatcher.py_func,
            f"'{name}' has no concrete signature to compile ahead of time",
            f"annotate its parameters (def {name}(x: float, n: int)), declare them "
            f"(@jit(\"float64(float64[:], int64)\")) or give them: "
            f"ember aot FILE.py --signature '{name}:float64[:],int'")
    return sigs


def build_extension(
    name: str,
    source: Path,
    namespace: Mapping[str, Any],
    out_dir: Path,
    given: Mapping[str, Sequence[tuple[Type, ...]]] | None = None,
    cpu: str = "portable",
    signature_texts: Sequence[str] = (),
) -> tuple[Path, list[tuple[str, list[tuple[Type, ...]]]]]:
    """Compile ``namespace``'s jitted functions (the module ``source`` ran into it) into
    ``out_dir`` for ``cpu`` (``portable``: x86-64-v2 with v3/v4 versions chosen at
    import; ``host``; or an LLVM CPU name); returns the extension's path and what it
    holds (name, signatures). ``signature_texts`` are ``given`` as the user wrote them
    (``NAME:TYPES``), recorded so that ``ember build --native`` can build it again."""
    from ember.native.aot.targets import plan_for
    from ember.native.backend import engine

    functions = jitted_functions(namespace, str(namespace.get("__file__", source)))
    unknown = sorted(set(given or {}) - {n for n, _ in functions})
    if unknown:
        raise EmberError(Diagnostic(Span(str(source), 1),
                                    f"--signature names no @jit function of this module: "
                                    f"{', '.join(unknown)}",
                                    "name a function decorated with @ember.jit"))
    plan = plan_for(cpu, engine.host().triple)
    units: list[list[tuple[str, int]]] = []
    objects: list[bytes] = []
    table: list[tuple[str, tuple[int, ...], tuple[str, ...]]] = []
    built: list[tuple[str, list[tuple[Type, ...]]]] = []
    depends: set[str] = set()
    for fname, dispatcher in functions:
        sigs = signatures_of(fname, dispatcher, given or {})
        indices = []
        for sig in sigs:
            variants, unit_sources = _compile(dispatcher, sig, plan)
            indices.append(len(units))
            units.append([(symbol, level) for symbol, level, _ in variants])
            objects.extend(obj for _, _, obj in variants)
            depends.update(unit_sources)
        table.append((fname, tuple(indices),
                      tuple(f"({', '.join(map(str, s))})" for s in sigs)))
        built.append((fname, sigs))
    path = extension_path(out_dir, name)
    meta = _metadata(name, Path(source), depends, path.parent, plan, signature_texts, built)
    first = meta["sources"][0]
    check = (Path(source).name, first["size"], first["mtime_ns"], first["sha256"])
    text = Path(source).read_text(encoding="utf-8")
    payload = marshal.dumps(compile(text, str(source), "exec", dont_inherit=True))
    from ember.native.aot.bootstrap import bootstrap_code
    from ember.native.aot.extension import init_module
    from ember.native.aot.meta import encode

    label = engine.host().cpu if cpu == "host" else plan.levels[0][0]
    init = init_module(name, units, bootstrap_code(tuple(table), check), payload,
                       cpu=label, meta=encode(meta))
    objects.append(engine.emit_object(engine.optimize(str(init), f"ember_aot_{name}")))
    path = engine.link_shared(objects, path, fallback=True)
    # The linker leaves the mode of the temporary file (private); an extension is
    # installed like any other file: readable by all, as the umask allows.
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o755 & ~umask)
    return path, built


def _metadata(name: str, source: Path, depends: set[str], out_dir: Path, plan: Any,
              signature_texts: Sequence[str],
              built: list[tuple[str, list[tuple[Type, ...]]]]) -> dict[str, Any]:
    """What the extension records (:mod:`~ember.native.aot.meta`): its sources first,
    and what `ember build --native` needs to build it again the same way."""
    from ember.native.aot.meta import FORMAT, environment, file_record

    own = os.path.abspath(source)
    others = sorted(p for p in depends if os.path.abspath(p) != own and os.path.isfile(p))
    return {
        "format": FORMAT, **environment(), "module": name, "cpu": plan.option,
        "levels": [cpu for cpu, _ in plan.levels],
        "signatures": list(signature_texts),
        "functions": {f: [f"({', '.join(map(str, s))})" for s in sigs] for f, sigs in built},
        "sources": [file_record(p, out_dir) for p in (own, *others)],
    }  # fmt: skip


def _compile(dispatcher: Any, sig: tuple[Type, ...],
             plan: Any) -> tuple[list[tuple[str, int, bytes]], set[str]]:
    """One unit: typed IR → LLVM (everything but its PyInit internal) → object code,
    once per CPU level of ``plan``; a newer level's version is kept only where its code
    differs (a scalar function compiles alike for all). Returns the versions (symbol,
    level, object) and the source files the unit's functions came from."""
    from llvmlite import ir

    from ember.native.backend import engine
    from ember.native.codegen.function import lower_module
    from ember.native.frontend.statements import infer_unit

    unit = infer_unit(dispatcher.py_func, sig, dispatcher.options)
    # own_pool: a prange loop runs on a thread pool inside the extension (no ember there)
    module = lower_module(unit, dispatcher.options, own_pool=True)
    for g in module.global_values:
        defined = g.blocks if isinstance(g, ir.Function) else g.initializer is not None
        if defined and not g.name.startswith("PyInit_") and g.linkage != "private":
            g.linkage = "internal"
    symbol = unit.root.symbol
    text = str(module)
    init = f'@"PyInit_{symbol}"'
    if init not in text:  # the rename below relies on llvmlite's quoting
        raise RuntimeError(f"ember aot: no {init} in the unit's module")
    versions: list[tuple[str, int, bytes]] = []
    levels = plan.levels if is_hot(unit) else plan.levels[:1]
    for cpu, level in levels:
        # Every version's init named with a suffix of one length, so that two versions
        # of equal code are equal bytes but for that name.
        versioned = f"{symbol}__v{level}" if plan.multiversioned else symbol
        obj = engine.emit_object(
            engine.optimize(text.replace(init, f'@"PyInit_{versioned}"'), symbol, _cpu(cpu)),
            _cpu(cpu))
        if versions and _same_code(versions[-1], versioned, obj):
            continue
        versions.append((versioned, level, obj))
    if any(b"__svml_" in obj or engine.calls_blas(obj) for _, _, obj in versions):
        raise _located(
            dispatcher.py_func,
            f"'{dispatcher.py_func.__name__}' calls NumPy's vector math (SVML) or its "
            "BLAS, which an ahead-of-time build cannot link yet",
            "use the JIT for this function (its native cache gives a warm start)")
    return versions, {path for path, _, _ in unit.sources}


def is_hot(unit: Any) -> bool:
    """Whether a unit is worth a version per CPU level: it loops (a ``for``/``while``,
    or an array or list, whose operations are loops). A scalar function compiles to
    a few instructions either way; its call costs more than AVX2 would save."""
    from ember.native.ir.nodes import ForRange, While, nodes
    from ember.native.types import Array, List

    for fn in unit.functions:
        if any(isinstance(p.type, Array | List) for p in fn.params):
            return True
        for node in nodes(fn.body):
            if isinstance(node, ForRange | While) or isinstance(getattr(node, "type", None), Array | List):
                return True
    return False


def _cpu(name: str) -> str | None:
    """The engine's CPU argument: None (this machine's) for ``host``."""
    return None if name == "host" else name


def _same_code(previous: tuple[str, int, bytes], symbol: str, obj: bytes) -> bool:
    prev_symbol, _, prev_obj = previous
    return obj.replace(f"PyInit_{symbol}".encode(), f"PyInit_{prev_symbol}".encode()) == prev_obj
