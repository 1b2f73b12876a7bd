"""Shared by bench_numpy_style.py and numpy_coverage.py: NumPy-style kernels written once
in a module, loaded once per engine, called once to see whether the engine compiles them,
and their results compared with NumPy's.

Engines: "numpy" (the plain function: CPython running NumPy), "ember" (``ember.jit``,
its disk cache off) and "numba" (``numba.njit``). A kernel module reads its ``BACKEND``
global (set by :func:`load` before it runs) and decorates with :func:`decorator`.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


def decorator(backend: str) -> Callable[[Any], Any]:
    """The ``@jit`` a kernel module uses for ``backend``."""
    if backend == "ember":
        import ember

        return ember.jit(cache=False)
    if backend == "numba":
        import numba

        return numba.njit(cache=False)
    return lambda f: f


def load(path: Path, backend: str) -> ModuleType:
    """The kernel module at ``path`` as its own module for ``backend`` (compilers read
    the source of what they compile, so it is a real file)."""
    name = f"{path.stem}_{backend}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.BACKEND = backend  # type: ignore[attr-defined]
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# ember's "path:line:col: error: " and Numba's pipeline banner say nothing about the cause.
_LOCATION = re.compile(r"^.*?:\d+:\d+: (error: )?")
_BANNER = re.compile(r"^(Failed in .* pipeline|- Resolution failure|During: |File \")")
_REASON = re.compile(r"^(\w*Error|Rejected as .*): ")


def first_line(exc: BaseException) -> str:
    """The line of an engine's error that names the cause: ember's first line without
    its file:line:col (the kernels sit in a file next to this one); for Numba's
    "No implementation of function" the signature it tried and the first reason given.

    >>> first_line(Exception("k.py:3:9: error: slicing is not supported\\n  b[1:]"))
    'slicing is not supported'
    """
    lines = [_ANSI.sub("", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line and not _BANNER.match(line)]
    if not lines:
        return type(exc).__name__
    if lines[0].startswith("No implementation of function"):
        signature = next((ln[3:].strip() for ln in lines if ln.startswith(">>>")), lines[0])
        reason = next((_REASON.sub("", ln) for ln in lines if _REASON.match(ln)
                       and not ln.startswith("Rejected")), "")
        return f"no implementation of {signature}" + (f": {reason}" if reason else "")
    return _LOCATION.sub("", lines[0])


def compile_errors(engine: str) -> tuple[type[BaseException], ...]:
    """The exceptions that mean "this engine does not compile that" (anything else raised
    at the first call is a crash of the engine, reported as such)."""
    if engine == "ember":
        from ember.diagnostics import EmberError

        return (EmberError, TypeError)
    if engine == "numba":
        from numba.core.errors import NumbaError

        return (NumbaError, TypeError)
    return ()


@dataclass
class Outcome:
    """What the first call of a kernel under an engine gave: ``status`` is "ok",
    "wrong" (compiled, but not NumPy's answer), "nocompile" or "raised"."""

    status: str
    detail: str = ""
    result: Any = None

    def describe(self) -> str:
        return {"ok": "ok", "wrong": "wrong result: ", "nocompile": "does not compile: ",
                "raised": "raised "}[self.status] + self.detail


def attempt(engine: str, fn: Callable[..., Any], args: tuple[Any, ...],
            expected: Any) -> Outcome:
    """Call ``fn(*args)`` once (inputs copied: a kernel must not see another engine's
    writes) and compare its result with ``expected`` (NumPy's)."""
    try:
        got = fn(*copied(args))
    except compile_errors(engine) as exc:
        return Outcome("nocompile", first_line(exc))
    except Exception as exc:  # an engine's bug: reported, not a crash of the benchmark
        return Outcome("raised", f"{type(exc).__name__}: {first_line(exc)}")
    why = difference(expected, got)
    return Outcome("wrong", why) if why else Outcome("ok", result=got)


def copied(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(a.copy() if hasattr(a, "copy") and hasattr(a, "shape") else a for a in args)


def difference(expected: Any, got: Any) -> str:
    """Why ``got`` is not NumPy's ``expected`` ("" when it is): same shape and dtype,
    values np.allclose (NaN equal to NaN); tuples item by item."""
    import numpy as np

    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return f"expected a {len(expected)}-tuple, got {type(got).__name__}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            why = difference(e, g)
            if why:
                return f"item {i}: {why}"
        return ""
    e, g = np.asarray(expected), np.asarray(got)
    if e.shape != g.shape:
        return f"shape {g.shape}, NumPy {e.shape}"
    if e.dtype != g.dtype:  # a Python float/int/bool result reads as float64/int64/bool
        return f"dtype {g.dtype}, NumPy {e.dtype}"
    if e.dtype.kind in "biufc" and g.dtype.kind in "biufc":
        if not np.allclose(g, e, rtol=1e-7, atol=1e-9, equal_nan=True):
            bad = np.abs(g.astype(float) - e.astype(float))
            return f"max |difference| {np.nanmax(bad):.3g}"
        return ""
    return "" if np.array_equal(e, g) else "values differ"
