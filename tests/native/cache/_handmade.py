"""A hand-built compile unit (``f(n) = n * k + 1`` on int64) for the native cache's
tests: exercises the real ABI, engine, linker and loader without depending on the
frontend, inference or lowering."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from ember.native.types import INT64, mangle


def build_unit(py_func: Any, k: int) -> tuple[Any, bytes]:
    """(unit, object code) for ``py_func`` as ``n * k + 1``."""
    from llvmlite import ir

    from ember.native.backend import engine
    from ember.native.boundary import abi, llvm
    from ember.native.boundary.capi import CApi
    from ember.native.boundary.llvm import spec_type

    sym = mangle(py_func.__module__, py_func.__qualname__, (INT64,))
    m = ir.Module(name=sym)
    capi = CApi(m)
    spec = ir.Function(m, spec_type((INT64,)), sym)
    b = ir.IRBuilder(spec.append_basic_block())
    value = b.add(b.mul(spec.args[1], ir.Constant(llvm.I64, k)), ir.Constant(llvm.I64, 1))
    b.store(value, spec.args[0])
    b.ret(ir.Constant(llvm.I32, 0))
    abi.add_entry(m, capi, spec, sym, py_func.__name__, (INT64,), INT64)
    obj = engine.emit_object(engine.optimize(str(m), sym))
    tf = SimpleNamespace(
        module=py_func.__module__, qualname=py_func.__qualname__, captured=(),
        symbol=sym, return_type=INT64,
    )  # fmt: skip
    return SimpleNamespace(root=tf, functions=(tf,), sources=()), obj


def import_file(path: Path, name: str) -> ModuleType:
    """Import ``path`` as module ``name`` (registered in sys.modules, fresh each call)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def store_entry(py_func: Any, k: int = 7) -> str:
    """Compile the hand-built unit for ``py_func`` and store it as its int64 entry."""
    from ember.native.cache import lookup as cache
    from ember.native.options import Options

    unit, obj = build_unit(py_func, k)
    entry = cache.store(py_func, (INT64,), Options(), unit, obj)
    assert entry is not None
    return entry


def lookup(py_func: Any) -> tuple[Any, list[str]]:
    """The cache's hit (or None) for ``py_func(int64)`` and the NativeCacheWarnings said."""
    import warnings

    from ember.native.cache import lookup as cache
    from ember.native.options import Options

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hit = cache.lookup(py_func, (INT64,), Options())
    return hit, [str(w.message) for w in caught if w.category is cache.NativeCacheWarning]
