"""The oracle: one program run by the reference (``reference.py``) and by ember, call by
call, compared strictly: the same exception type, or results of the same type and value
(floats bit for bit, any NaN equal to any NaN; arrays by dtype, shape, values, NaN
positions and signed zeros), the same printed text, and the same final contents of every
argument array. One exception, ``reference.Ties``: a float min/max whose zero depends on
the CPU may be either zero (a second reference run gives the other)."""

from __future__ import annotations

import contextlib
import io
import linecache
import warnings
from typing import Any

import numpy as np

# The one strict comparison of the differential tests (tests/native on the path: the
# workers get it in PYTHONPATH, the tests insert it).
from _harness import same

from . import reference
from .gen import Program, build, show


def _outcome(fn: Any, args: list[Any]) -> tuple[Any, type | None, str]:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = fn(*args)
    except Exception as exc:  # noqa: BLE001 - comparing exception types is the point
        return f"{type(exc).__name__}: {str(exc)[:300]}", type(exc), out.getvalue()
    return value, None, out.getvalue()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 600 else text[:600] + "..."


def load(program: Program) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ember's namespace, the reference's namespace) after executing the program; the
    functions are wrapped with ``jit`` in definition order (an annotated one compiles
    here, so its callees must exist)."""
    from ember import jit

    filename = f"<ember-fuzz-{program.seed}-{program.index}>"
    source = program.source
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns: dict[str, Any] = {"__name__": f"ember_fuzz_{program.seed}_{program.index}"}
    exec(compile(source, filename, "exec"), ns)
    for name in program.functions:
        ns[name] = jit(cache=False)(ns[name])
    ref_ns = reference.globals_for_reference()
    ref_ns["__name__"] = ns["__name__"] + "_reference"
    exec(reference.reference_code(source, filename), ref_ns)
    return ns, ref_ns


def check(program: Program) -> list[dict[str, str]]:
    """Every disagreement between the reference and ember on ``program`` (empty: none)."""
    try:
        ns, ref_ns = load(program)
    except Exception as exc:  # noqa: BLE001 - a valid program ember refuses is a finding
        return [
            {
                "kind": "compile",
                "call": "(at definition)",
                "expected": "a compiled function",
                "got": f"{type(exc).__name__}: {exc}",
            }
        ]
    findings = []
    for spec in program.calls:
        py_args = [reference.ref(a) if isinstance(a, np.ndarray) else a for a in map(build, spec)]
        jit_args = [build(v) for v in spec]
        reference.Ties.seen = False
        expected = _outcome(ref_ns["f"], py_args)
        got = _outcome(ns["f"], jit_args)
        problem = _compare(expected, got, py_args, jit_args)
        if problem and reference.Ties.seen:
            # A min/max tie of 0.0 and -0.0 whose zero depends on the CPU: either is
            # right, so the reference runs again with the other one (reference.Ties).
            py_args = [reference.ref(a) if isinstance(a, np.ndarray) else a
                       for a in map(build, spec)]
            reference.Ties.scalar = True
            try:
                other = _outcome(ref_ns["f"], py_args)
            finally:
                reference.Ties.scalar = False
            if not _compare(other, got, py_args, jit_args):
                problem = None
        if problem:
            findings.append(
                {
                    "kind": problem,
                    "call": f"f({', '.join(map(show, spec))})",
                    "expected": _describe(expected),
                    "got": _describe(got),
                }
            )
    return findings


def _compare(
    expected: tuple[Any, type | None, str],
    got: tuple[Any, type | None, str],
    py_args: list[Any],
    jit_args: list[Any],
) -> str | None:
    if expected[1] is not got[1]:
        return "exception"
    if expected[1] is None and not same(reference.plain(expected[0]), got[0]):
        return "value"
    if expected[2] != got[2]:
        return "printed"
    for p, j in zip(py_args, jit_args, strict=True):
        if isinstance(j, np.ndarray) and not same(p.view(np.ndarray), j):
            return "argument array"
    return None


def _describe(outcome: tuple[Any, type | None, str]) -> str:
    value, exc, printed = outcome
    text = value if exc is not None else _short(reference.plain(value))
    return text + (f"  (printed {printed!r})" if printed else "")
