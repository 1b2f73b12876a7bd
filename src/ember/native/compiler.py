"""The native compiler driver: a Python function and argument types → a loaded
specialization (its CPython entry builtin) plus everything ``inspect_*`` shows.

    >>> c = compile_unit(fib, (INT64,), Options())   # doctest: +SKIP
    >>> c.entry(20)                                  # doctest: +SKIP
    6765

Stages, one call each: :func:`~ember.native.infer.infer_unit` (typed IR) →
:func:`~ember.native.lower.lower_unit` (LLVM IR text) → :func:`~ember.native.engine.optimize`
(O3 for the host) → :func:`~ember.native.engine.emit_object` → :func:`load_object` (the JIT
loads those very bytes, which is also what the on-disk cache links into a shared object).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.options import Options
from ember.native.typed_ir import CompileUnit
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
        from ember.native import engine

        return engine.emit_assembly(self.module)


def compile_unit(py_func: Any, arg_types: tuple[Type, ...], options: Options) -> Compiled:
    """Infer, lower, optimise and load ``py_func`` for ``arg_types``.

    Raises :class:`EmberError` for code outside the subset (from inference) and for a
    failure inside ember (naming the function; never a bare traceback).
    """
    from ember.native.infer import infer_unit

    t0 = time.perf_counter()
    unit = infer_unit(py_func, tuple(arg_types), options)
    t1 = time.perf_counter()
    compiled = compile_typed(unit, options)
    compiled.seconds["infer"] = t1 - t0
    compiled.seconds["total"] = time.perf_counter() - t0
    return compiled


def compile_typed(unit: CompileUnit, options: Options) -> Compiled:
    """The back half: typed IR → loaded machine code."""
    from ember.native import engine
    from ember.native.lower import lower_unit

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
    header is 32 bytes, not 16, so every field the entry reads (abi.py: ``ob_type`` at
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

    from ember.native import engine

    init_name = f"PyInit_{symbol}"
    library = engine.jit_object(obj, [init_name], symbol)
    # Never unloaded: the builtins point into this code (their PyMethodDef too), and a
    # builtin can outlive any Python object we could tie the library to.
    _LOADED.append(library)
    module = ctypes.PYFUNCTYPE(ctypes.py_object)(library.address(init_name))()
    return module.__ember_entry__, module.__ember_set_next__, library


def lower_text(unit: CompileUnit, options: Options) -> str:
    """The unoptimised LLVM IR of a unit (for ``ember explain`` and tests)."""
    from ember.native.lower import lower_unit

    try:
        return lower_unit(unit, options)
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

STAGES = ("source", "types", "llvm", "opt", "asm")
_TYPE_NAMES = {"int": "INT64", "int64": "INT64", "float": "FLOAT64", "float64": "FLOAT64",
               "bool": "BOOL", "none": "NONE", "None": "NONE"}


class ExplainError(Exception):
    """A user mistake in ``ember explain`` arguments (bad file, name or type)."""


def parse_type_list(text: str) -> tuple[Type, ...]:
    """``"int,float"`` → ``(int64, float64)``; arrays as NumPy-style slices of a dtype:
    ``float64[:]`` (any layout), ``float64[:, ::1]`` (C order), ``uint8[::1, :]`` (F);
    tuples in parentheses: ``(int, float)``.

    >>> parse_type_list("int, float64[:, ::1], (int, bool)")
    (int64, array(float64, 2d, C), tuple[int64, bool])
    """
    from ember.native import types as ty

    out: list[Type] = []
    word, depth = "", 0
    for ch in text + ",":  # split on the commas outside brackets and parentheses
        depth += (ch in "[(") - (ch in "])")
        if depth < 0:
            break
        if ch == "," and depth == 0:
            if word.strip():
                out.append(_parse_type(word.strip(), ty))
            word = ""
        else:
            word += ch
    if depth != 0:
        raise ExplainError(f"unbalanced brackets in --types {text!r}")
    return tuple(out)


def _parse_type(word: str, ty: Any) -> Type:
    name = _TYPE_NAMES.get(word)
    if name is not None:
        return getattr(ty, name)  # type: ignore[no-any-return]
    if word.startswith("(") and word.endswith(")"):
        return ty.Tuple(parse_type_list(word[1:-1]))
    dtype, bracket, rest = word.partition("[")
    dtype = dtype.strip()
    if bracket and rest.endswith("]") and dtype in ty.DTYPE_NAMES:
        axes = [a.replace(" ", "") for a in rest[:-1].split(",")]
        if axes and all(a in (":", "::1") for a in axes):
            unit = [i for i, a in enumerate(axes) if a == "::1"]
            layout = "A"
            if unit == [len(axes) - 1]:
                layout = "C"
            elif unit == [0] and len(axes) > 1:
                layout = "F"
            elif unit:
                raise ExplainError(f"{word!r}: '::1' goes on the last axis (C order) or the "
                                   "first (Fortran order)")
            return ty.Array(ty.DType(dtype), len(axes), layout)
    raise ExplainError(
        f"unknown type {word!r} in --types (use int, float, bool, None, a tuple such as "
        f"(int, float), or an array such as float64[:] or int32[:, ::1]; dtypes: "
        f"{', '.join(ty.DTYPE_NAMES)})"
    )


def load_function(target: str) -> Any:
    """``FILE.py:FUNC`` → the function (a @jit object's ``py_func``). Runs the file's
    top-level code, as importing it would (under its own module name, not __main__)."""
    import importlib.util
    import sys
    from pathlib import Path

    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise ExplainError(f"expected FILE.py:FUNCTION, got {target!r}")
    path = Path(path_text)
    if not path.is_file():
        raise ExplainError(f"no such file: {path_text}")
    path.open("rb").close()  # unreadable: the caller's one-line OSError, not "running it raised"
    modname = f"_ember_explain_{path.stem}"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise ExplainError(f"cannot load {path_text} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    sys.path.insert(0, str(path.resolve().parent))  # its sibling imports
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:  # the user's file: a diagnostic, not our traceback
        del sys.modules[modname]
        raise EmberError(_syntax_diagnostic(path_text, exc)) from None
    except EmberError:  # an annotated @jit function failed to compile at import
        del sys.modules[modname]
        raise
    except Exception as exc:
        del sys.modules[modname]
        raise ExplainError(f"running {path_text} to find {name!r} raised "
                           f"{_where(exc, path)}{type(exc).__name__}: {exc}") from None
    finally:
        sys.path.pop(0)
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise ExplainError(f"{path_text} has no function {name!r}")
        obj = getattr(obj, part)
    return obj


def _syntax_diagnostic(path: str, exc: SyntaxError) -> Diagnostic:
    col = max((exc.offset or 1) - 1, 0)
    end_line = getattr(exc, "end_lineno", None)
    end_col = getattr(exc, "end_offset", None)
    return Diagnostic(
        Span(exc.filename or path, exc.lineno or 1, col, end_line,
             None if end_col is None else max(end_col - 1, 0)),
        exc.msg or "invalid syntax",
        "fix the syntax error (python cannot run this file either)",
    )


def _where(exc: BaseException, path: Any) -> str:
    """``"FILE:LINE: "`` of the innermost frame in the user's file, to say where the
    top-level code failed without printing ember's own frames."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename == str(path) or f.filename.endswith(str(path.name))]
    return f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""


def explain(target: str, type_text: str | None, stages: tuple[str, ...] = STAGES) -> str:
    """Every compile stage of ``FILE.py:FUNC`` for the given (or annotated) argument
    types, as text: source, typed IR, LLVM IR before and after O3, host assembly.

    Raises :class:`ExplainError` for bad arguments and :class:`EmberError` for code
    outside the subset.
    """
    import inspect

    from ember.native import engine
    from ember.native.dispatch import annotated_types
    from ember.native.infer import infer_unit
    from ember.native.typed_ir_print import format_unit

    obj = load_function(target)
    options = getattr(obj, "options", Options())
    func = obj.py_func if getattr(obj, "__ember_jit__", False) else obj
    if not inspect.isfunction(func):
        raise ExplainError(f"{target} is not a function")
    arg_types = parse_type_list(type_text) if type_text is not None else annotated_types(func)
    if arg_types is None:
        raise ExplainError(f"{func.__name__} has unannotated parameters: give their types, "
                           "e.g. --types int,float")
    unit = infer_unit(func, arg_types, options)
    sections: list[tuple[str, str]] = []
    if "source" in stages:
        lines, start = inspect.getsourcelines(func)
        code = func.__code__
        sections.append((f"source ({code.co_filename}:{start})", "".join(lines).rstrip("\n")))
    if "types" in stages:
        sections.append(("typed IR", format_unit(unit).rstrip("\n")))
    text = lower_text(unit, options)
    if "llvm" in stages:
        sections.append(("LLVM IR (as lowered)", text.rstrip("\n")))
    if "opt" in stages or "asm" in stages:
        module = engine.optimize(text, unit.root.symbol)
        h = engine.host()
        if "opt" in stages:
            sections.append((f"LLVM IR (after O3 for {h.cpu})", str(module).rstrip("\n")))
        if "asm" in stages:
            sections.append((f"assembly ({h.triple}, {h.cpu})",
                             engine.emit_assembly(module).rstrip("\n")))
    return "\n\n".join(f"== {title} ==\n{body}" for title, body in sections) + "\n"
