"""The native compiler driver: a Python function and argument types → a loaded
specialization (its CPython entry builtin) plus everything ``inspect_*`` shows.

    >>> from ember.native.types import INT64
    >>> def fib(n):
    ...     return n if n < 2 else fib(n - 1) + fib(n - 2)
    >>> c = compile_unit(fib, (INT64,), Options())
    >>> c.entry(20)
    6765

Stages, one call each: :func:`~ember.native.frontend.statements.infer_unit` (typed IR) →
:func:`~ember.native.codegen.function.lower_unit` (LLVM IR text) → :func:`~ember.native.backend.engine.optimize`
(O3 for the host) → :func:`~ember.native.backend.engine.emit_object` → :func:`load_object` (the JIT
loads those very bytes, which is also what the on-disk cache links into a shared object).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.ir.nodes import CompileUnit
from ember.native.options import Options
from ember.native.types import Type


@dataclass(frozen=True, slots=True)
class Compiled:
    """One compiled unit, loaded in this process."""

    unit: CompileUnit
    options: Options
    llvm_ir: str  # as lowered, before optimisation
    module: Any  # the optimised llvmlite ModuleRef
    object_code: bytes
    entry: Any  # METH_FASTCALL builtin: unbox, call the root, box
    set_next: Any  # METH_O builtin: where the entry forwards calls it does not accept
    library: Any  # engine.JitLibrary: keeps the code mapped
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def optimized_ir(self) -> str:
        return str(self.module)

    def assembly(self) -> str:
        from ember.native.backend import engine

        return engine.emit_assembly(self.module)


def compile_unit(py_func: Any, arg_types: tuple[Type, ...], options: Options) -> Compiled:
    """Infer, lower, optimise and load ``py_func`` for ``arg_types``.

    Raises :class:`EmberError` for code outside the subset (from inference) and for a
    failure inside ember (naming the function; never a bare traceback).
    """
    from ember.native.frontend.statements import infer_unit

    t0 = time.perf_counter()
    unit = infer_unit(py_func, tuple(arg_types), options)
    t1 = time.perf_counter()
    compiled = compile_typed(unit, options)
    compiled.seconds["infer"] = t1 - t0
    compiled.seconds["total"] = time.perf_counter() - t0
    return compiled


def compile_typed(unit: CompileUnit, options: Options) -> Compiled:
    """The back half: typed IR → loaded machine code."""
    from ember.native.backend import engine
    from ember.native.codegen.function import lower_unit

    check_supported_build(unit.root.span)
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    try:
        text = lower_unit(unit, options)
        seconds["lower"] = time.perf_counter() - t
        t = time.perf_counter()
        module = engine.optimize(text, unit.root.symbol)
        seconds["optimize"] = time.perf_counter() - t
        t = time.perf_counter()
        obj = engine.emit_object(module)
        seconds["codegen"] = time.perf_counter() - t
        t = time.perf_counter()
        entry, set_next, library = load_object(obj, unit.root.symbol)
        seconds["load"] = time.perf_counter() - t
    except EmberError:
        raise
    except Exception as exc:  # a bug in ember's back end: say so, at the function
        raise internal_error(unit, exc) from exc
    return Compiled(unit, options, text, module, obj, entry, set_next, library, seconds)


def check_supported_build(span: Span) -> None:
    """Refuse to load machine code into a free-threaded build (3.13t): there a PyObject
    header is 32 bytes, not 16, so every field the entry reads (boundary/abi.py: ``ob_type`` at
    8, ``ob_fval`` at 16, ...) and every PyModuleDef it builds would be wrong — a crash,
    not an error. The build flag is what counts: ``PYTHON_GIL=1`` does not change layout."""
    import sysconfig

    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        raise EmberError(Diagnostic(
            span if isinstance(span, Span) else Span("<unknown>", 1),
            "ember cannot compile for a free-threaded (no-GIL) build of Python: compiled "
            "code is laid out for the default build's objects",
            "use a default (GIL) build of CPython 3.10+, or @jit(fallback=True) to run this "
            "function as plain Python",
        ))


_LOADED: list[Any] = []


def load_object(obj: bytes, symbol: str) -> tuple[Any, Any, Any]:
    """Load a unit's object code into the JIT; returns ``(entry, set_next, library)``.

    ctypes is used once here, to call the unit's ``PyInit_<symbol>`` (it builds the
    module holding the two builtins); calls then go straight to machine code.
    """
    import ctypes

    from ember.native.backend import engine

    init_name = f"PyInit_{symbol}"
    library = engine.jit_object(obj, [init_name], symbol)
    # Never unloaded: the builtins point into this code (their PyMethodDef too), and a
    # builtin can outlive any Python object we could tie the library to.
    _LOADED.append(library)
    module = ctypes.PYFUNCTYPE(ctypes.py_object)(library.address(init_name))()
    return module.__ember_entry__, module.__ember_set_next__, library


def lower_text(unit: CompileUnit, options: Options, debug_lines: bool = False) -> str:
    """The unoptimised LLVM IR of a unit (for ``ember explain`` and tests);
    ``debug_lines`` marks each statement's instructions with its source line."""
    from ember.native.codegen.function import lower_unit

    try:
        return lower_unit(unit, options, debug_lines)
    except Exception as exc:
        raise internal_error(unit, exc) from exc


def internal_error(unit: CompileUnit, exc: BaseException) -> EmberError:
    root = unit.root
    span = root.span if isinstance(root.span, Span) else Span("<unknown>", 1)
    return EmberError(
        Diagnostic(
            span,
            f"internal error in ember while compiling '{root.qualname}': "
            f"{type(exc).__name__}: {exc}",
            "this is a bug in ember, not in your code; please report it with this "
            "function's source (@jit(fallback=True) runs it as Python meanwhile)",
        )
    )


# ------------------------------------------------------------------ explain
