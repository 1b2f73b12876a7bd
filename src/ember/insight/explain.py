"""Insight: every compile stage of the user's own function, as text.

``ember explain FILE.py:FUNC`` lands here: the file is imported (as its own module, not
``__main__``) to find FUNC, whose argument types come from ``--types`` or its
annotations; then source, typed IR, LLVM IR as lowered, after O3, and host assembly.

>>> parse_type_list("int, float64[::1]")
(int64, array(float64, 1d, C))
"""

from __future__ import annotations

import re
from typing import Any

from ember.diagnostics import Diagnostic, EmberError, Span
from ember.native.options import Options
from ember.native.types import DTYPE_NAMES, Array, DType, Tuple, Type, type_named

STAGES = ("source", "types", "loops", "llvm", "opt", "asm")


class ExplainError(Exception):
    """A user mistake in ``ember explain`` arguments (bad file, name or type)."""


class ModuleRunError(ExplainError):
    """The user's file raised while it ran (its top-level code, not ember's)."""


def parse_type_list(text: str) -> tuple[Type, ...]:
    """``"int,float"`` → ``(int64, float64)``; arrays as NumPy-style slices of a dtype:
    ``float64[:]`` (any layout), ``float64[:, ::1]`` (C order), ``uint8[::1, :]`` (F);
    tuples in parentheses: ``(int, float)``.

    >>> parse_type_list("int, float64[:, ::1], (int, bool)")
    (int64, array(float64, 2d, C), tuple[int64, bool])
    """
    out: list[Type] = []
    word, depth = "", 0
    for ch in text + ",":  # split on the commas outside brackets and parentheses
        depth += (ch in "[(") - (ch in "])")
        if depth < 0:
            break
        if ch == "," and depth == 0:
            if word.strip():
                out.append(_parse_type(word.strip()))
            word = ""
        else:
            word += ch
    if depth != 0:
        raise ExplainError(f"unbalanced brackets in --types {text!r}")
    return tuple(out)


def _parse_type(word: str) -> Type:
    scalar = type_named(word)
    if scalar is not None:
        return scalar
    if word.startswith("(") and word.endswith(")"):
        return Tuple(parse_type_list(word[1:-1]))
    printed = _printed_type(word)
    if printed is not None:
        return printed
    dtype, bracket, rest = word.partition("[")
    dtype = dtype.strip()
    if bracket and rest.endswith("]") and dtype in DTYPE_NAMES:
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
            return Array(DType(dtype), len(axes), layout)
    raise ExplainError(
        f"unknown type {word!r} in --types (use int, float, bool, None, a tuple such as "
        f"(int, float), or an array such as float64[:] or int32[:, ::1]; dtypes: "
        f"{', '.join(DTYPE_NAMES)})"
    )


def _printed_type(word: str) -> Type | None:
    """A type as ember prints it (``array(float64, 1d, C)``, ``tuple[int64, bool]``): the
    form signatures are stored in, in the native cache and in ``f.signatures``."""
    if word.startswith("tuple[") and word.endswith("]"):
        return Tuple(parse_type_list(word[6:-1]))
    if not (word.startswith("array(") and word.endswith(")")):
        return None
    parts = [p.strip() for p in word[6:-1].split(",")]
    if len(parts) in (3, 4) and parts[0] in DTYPE_NAMES and parts[1].endswith("d") \
            and parts[1][:-1].isdigit() and parts[2] in ("C", "F", "A") \
            and parts[3:] in ([], ["readonly"]):
        return Array(DType(parts[0]), int(parts[1][:-1]), parts[2], bool(parts[3:]))
    return None


def resolve_types(func: Any, type_text: str | None) -> tuple[tuple[Type, ...], str]:
    """The argument types to show ``func`` for, and where they come from: ``--types``,
    else its annotations, else the specialization that ran last (a fresh entry of the
    native cache), so what is shown is what runs."""
    from ember.native.runtime.dispatch import annotated_types

    if type_text is not None:
        return parse_type_list(type_text), "--types"
    annotated = annotated_types(func)
    if annotated is not None:
        return annotated, "its annotations"
    ran = cached_signatures(func)
    if ran:
        how = "the specialization that ran last" + (f" (of {len(ran)})" if len(ran) > 1 else "")
        return parse_type_list(ran[0][1:-1]), f"the native cache: {how}"
    raise ExplainError(f"{func.__name__} has unannotated parameters and no compiled "
                       "specialization in the native cache: give their types, e.g. "
                       "--types int,float (or run the program once)")


def cached_signatures(func: Any) -> list[str]:
    """Signatures (as printed) of ``func``'s fresh native cache entries, newest first."""
    import os

    from ember.native.cache.scan import scan_native_cache

    records = [r for r in scan_native_cache([func.__code__.co_filename])
               if r.qualname == func.__qualname__ and r.state == "fresh" and r.signature]
    records.sort(key=lambda r: -os.stat(r.path).st_mtime)
    return [r.signature for r in records if r.signature is not None]


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
        purpose = "" if name == "__dict__" else f" to find {name!r}"
        raise ModuleRunError(f"running {path_text}{purpose} raised "
                             f"{_where(exc, path)}{type(exc).__name__}: {exc}") from None
    finally:
        sys.path.pop(0)
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise ExplainError(f"{path_text} has no function {name!r}")
        obj = getattr(obj, part)
    return obj


def module_functions(path_text: str) -> list[Any]:
    """Every function defined at the top level of the file (``@jit`` ones included), in
    source order."""
    import inspect

    module = load_function(f"{path_text}:__dict__")
    out = []
    for value in list(module.values()):
        func = value.py_func if getattr(value, "__ember_jit__", False) else value
        if inspect.isfunction(func) and func.__code__.co_filename == module.get("__file__"):
            out.append(value)
    return sorted(out, key=lambda v: (v.py_func if getattr(v, "__ember_jit__", False) else v)
                  .__code__.co_firstlineno)


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


LEGEND = """\
notation: types are ember's (int64 is Python's int held in 64 bits; array(float64, 1d, C)
is a 1-d float64 array in C order, F: Fortran order, A: any strides); $1, $2 are
temporaries the compiler introduced; '; line N' marks the source line an instruction
comes from. Only your function's code is shown: `--all` adds the CPython glue (argument
checks, boxing) and the IR as lowered."""


def explain(target: str, type_text: str | None, stages: tuple[str, ...] = STAGES,
            full: bool = False) -> str:
    """Every compile stage of ``FILE.py:FUNC`` for the given (or annotated, or cached)
    argument types, as text: source, typed IR, what the range proofs do to each
    loop (checks proven away, hoisted or kept), LLVM IR before and after O3, host
    assembly. Unless ``full``, the LLVM IR and assembly are only the user's function's
    own (the CPython glue left out), each instruction marked with its source line.

    Raises :class:`ExplainError` for bad arguments and :class:`EmberError` for code
    outside the subset.
    """
    import inspect

    from ember.native.backend import engine
    from ember.native.frontend.statements import infer_unit
    from ember.native.ir.printer import format_unit
    from ember.native.runtime.compiler import lower_text

    obj = load_function(target)
    options = getattr(obj, "options", Options())
    func = obj.py_func if getattr(obj, "__ember_jit__", False) else obj
    if not inspect.isfunction(func):
        raise ExplainError(f"{target} is not a function")
    arg_types, origin = resolve_types(func, type_text)
    unit = infer_unit(func, arg_types, options)
    sections: list[tuple[str, str]] = []
    if "source" in stages:
        lines, start = inspect.getsourcelines(func)
        code = func.__code__
        sections.append((f"source ({code.co_filename}:{start})", "".join(lines).rstrip("\n")))
    if "types" in stages:
        sections.append((f"typed IR (types from {origin})", format_unit(unit).rstrip("\n")))
    if "loops" in stages:
        from ember.native.analysis.loop_report import loop_report

        report = loop_report(unit.root, bool(options.boundscheck))
        if report:
            sections.append(("loops (range proofs, hoisted and kept checks)", "\n".join(report)))
    text = lower_text(unit, options, debug_lines=not full)
    if "llvm" in stages and full:
        sections.append(("LLVM IR (as lowered)", text.rstrip("\n")))
    if "opt" in stages or "asm" in stages:
        module = engine.optimize(text, unit.root.symbol)
        h = engine.host()
        optimized = str(module)
        source = func.__code__.co_filename
        if "opt" in stages:
            body = optimized if full else own_ir(optimized, source)
            sections.append((f"LLVM IR (after O3 for {h.cpu})", body.rstrip("\n")))
        if "asm" in stages:
            asm = engine.emit_assembly(module)
            body = asm if full else own_asm(asm, _own_functions(optimized), source)
            sections.append((f"assembly ({h.triple}, {h.cpu})", body.rstrip("\n")))
    out = "\n\n".join(f"== {title} ==\n{body}" for title, body in sections) + "\n"
    return out if full else out + "\n" + LEGEND + "\n"


_DEFINE = re.compile(r'^define .*@("?[\w.$]+"?)\(.*!dbg')
_LOCATION = re.compile(r"^(!\d+) = !DILocation\(line: (\d+)")
_DBG_REF = re.compile(r", !dbg (!\d+)")


def _own_functions(optimized: str) -> list[str]:
    """The functions with a subprogram: the user's own (glue has no debug info)."""
    return [m.group(1).strip('"') for line in optimized.splitlines()
            if (m := _DEFINE.match(line))]


def own_ir(optimized: str, source: str) -> str:
    """The user's functions of an optimised module, each instruction's ``!dbg`` turned
    into ``; line N: <source>`` where its line changes."""
    import linecache

    lines_of = {m.group(1): int(m.group(2)) for line in optimized.splitlines()
                if (m := _LOCATION.match(line))}
    out: list[str] = []
    inside, last = False, None
    for line in optimized.splitlines():
        if _DEFINE.match(line):
            inside, last = True, None
            out.append(re.sub(r" !dbg !\d+", "", line))
            continue
        if not inside:
            continue
        ref = _DBG_REF.search(line)
        line = _DBG_REF.sub("", line)
        number = lines_of.get(ref.group(1)) if ref else None
        if number and number != last:
            out.append(f"  ; line {number}: {linecache.getline(source, number).strip()}")
            last = number
        out.append(line)
        if line == "}":
            inside = False
            out.append("")
    return "\n".join(out)


def own_asm(asm: str, functions: list[str], source: str) -> str:
    """The assembly of ``functions`` only, ``.loc`` directives turned into line
    comments (and the other directives dropped)."""
    import linecache

    out: list[str] = []
    inside, last = False, None
    for line in asm.splitlines():
        label = line[:-1] if line.endswith(":") and not line[:1].isspace() else None
        if label is not None and label.strip('"') in functions:
            inside, last = True, None
        if not inside:
            continue
        stripped = line.strip()
        if stripped.startswith(".loc"):
            parts = stripped.split()
            number = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
            if number and number != last:
                out.append(f"\t# line {number}: {linecache.getline(source, number).strip()}")
                last = number
            continue
        if stripped.startswith(".Lfunc_end"):
            inside = False
            out.append("")
            continue
        if stripped.startswith((".cfi", ".p2align", ".type", ".globl", ".size", ".Ltmp", ".file",
                                ".Lfunc_begin", "#")):
            continue
        out.append(line)
    return "\n".join(out)
