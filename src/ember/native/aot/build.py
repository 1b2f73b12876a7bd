"""Build an ahead-of-time extension: every ``@jit`` function of a module, for each of its
concrete signatures, linked into one shared object that imports without ember.

Each (function, signature) is the JIT's own compile unit, lowered as the JIT lowers it;
only its ``PyInit_<symbol>`` stays visible (the units of two functions that call the
same third one both hold a copy of it, which must not collide at link time). The
extension's init (:mod:`~ember.native.aot.extension`) and bootstrap
(:mod:`~ember.native.aot.bootstrap`) are added, and the whole links with the system
linker (:func:`~ember.native.backend.engine.link_shared`: atomic, nothing partial left).

Code is built for this machine's CPU (as the JIT's is).
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
) -> tuple[Path, list[tuple[str, list[tuple[Type, ...]]]]]:
    """Compile ``namespace``'s jitted functions (the module ``source`` ran into it) into
    ``out_dir``; returns the extension's path and what it holds (name, signatures)."""
    from ember.native.aot.bootstrap import bootstrap_code
    from ember.native.aot.extension import init_module
    from ember.native.backend import engine

    functions = jitted_functions(namespace, str(namespace.get("__file__", source)))
    unknown = sorted(set(given or {}) - {n for n, _ in functions})
    if unknown:
        raise EmberError(Diagnostic(Span(str(source), 1),
                                    f"--signature names no @jit function of this module: "
                                    f"{', '.join(unknown)}",
                                    "name a function decorated with @ember.jit"))
    objects: list[bytes] = []
    symbols: list[str] = []
    table: list[tuple[str, tuple[int, ...], tuple[str, ...]]] = []
    built: list[tuple[str, list[tuple[Type, ...]]]] = []
    for fname, dispatcher in functions:
        sigs = signatures_of(fname, dispatcher, given or {})
        indices = []
        for sig in sigs:
            symbol, obj = _compile(dispatcher, sig)
            if b"__svml_" in obj or b"cblas_" in obj:
                raise _located(
                    dispatcher.py_func,
                    f"'{fname}' calls NumPy's vector math (SVML) or its BLAS, which an "
                    "ahead-of-time build cannot link yet",
                    "use the JIT for this function (its native cache gives a warm start)")
            indices.append(len(symbols))
            symbols.append(symbol)
            objects.append(obj)
        table.append((fname, tuple(indices),
                      tuple(f"({', '.join(map(str, s))})" for s in sigs)))
        built.append((fname, sigs))
    text = Path(source).read_text(encoding="utf-8")
    payload = marshal.dumps(compile(text, str(source), "exec", dont_inherit=True))
    init = init_module(name, symbols, bootstrap_code(tuple(table)), payload)
    objects.append(engine.emit_object(engine.optimize(str(init), f"ember_aot_{name}")))
    path = engine.link_shared(objects, extension_path(out_dir, name))
    # The linker leaves the mode of the temporary file (private); an extension is
    # installed like any other file: readable by all, as the umask allows.
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o755 & ~umask)
    return path, built


def _compile(dispatcher: Any, sig: tuple[Type, ...]) -> tuple[str, bytes]:
    """One unit: typed IR → LLVM (everything but its PyInit internal) → object code."""
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
    return symbol, engine.emit_object(engine.optimize(str(module), symbol))
