"""backend/engine.py: parse/verify, O3, object code, the JIT, and shared objects."""

from __future__ import annotations

import ctypes
import importlib.machinery
import sysconfig
from pathlib import Path

import pytest

from ember.native.backend import engine

ADD_ONE = """
define i64 @add_one(i64 %a) {
  %b = add i64 %a, 1
  ret i64 %b
}
"""


def test_host_is_described() -> None:
    h = engine.host()
    assert h.triple and h.cpu
    assert h.key().startswith(h.triple + "/")


def test_target_machine_is_reused() -> None:
    assert engine.target_machine() is engine.target_machine()


def test_parse_rejects_bad_ir_with_engine_error() -> None:
    with pytest.raises(engine.EngineError, match="LLVM rejected the module bad"):
        engine.parse("define i64 @f( {", "bad")


def test_optimize_sets_the_host_triple_and_folds() -> None:
    mod = engine.optimize(ADD_ONE.replace("%a, 1", "%a, 1\n  %c = add i64 %b, 0"), "fold")
    assert mod.triple == engine.target_machine().triple
    assert mod.name == "fold"
    text = str(mod)
    assert "add i64 %a, 1" in text and "%c" not in text


def test_jit_runs_emitted_object_code() -> None:
    obj = engine.emit_object(engine.optimize(ADD_ONE, "jit1"))
    lib = engine.jit_object(obj, ["add_one"], "jit1")
    fn = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)(lib.address("add_one"))
    assert fn(41) == 42


def test_same_symbol_loaded_twice_resolves_to_each_version() -> None:
    # Redefining a function gives the same symbol; each load is its own namespace.
    libs = []
    for k in (1, 2):
        obj = engine.emit_object(engine.optimize(ADD_ONE.replace("%a, 1", f"%a, {k}"), "twice"))
        libs.append(engine.jit_object(obj, ["add_one"], "twice"))
    fns = [ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)(lib.address("add_one")) for lib in libs]
    assert [f(0) for f in fns] == [1, 2]


def test_emit_assembly_is_host_assembly() -> None:
    asm = engine.emit_assembly(engine.optimize(ADD_ONE, "asm"))
    assert "add_one" in asm


@pytest.mark.skipif(engine.find_cc() is None, reason="no system C compiler/linker")
def test_link_shared_builds_a_loadable_extension(tmp_path: Path) -> None:
    from ember.native.types import INT64
    from native.boundary.test_abi import unit_module

    text = unit_module("ext_add", (INT64, INT64), INT64, lambda b, a: b.add(a[0], a[1]))
    obj = engine.emit_object(engine.optimize(text, "ext_add"))
    path = tmp_path / ("ext_add" + sysconfig.get_config_var("EXT_SUFFIX"))
    assert engine.link_shared([obj], path) == path
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no leftovers
    loader = importlib.machinery.ExtensionFileLoader("ext_add", str(path))
    spec = importlib.machinery.ModuleSpec("ext_add", loader, origin=str(path))
    mod = loader.create_module(spec)
    loader.exec_module(mod)
    assert mod.ext_add(40, 2) == 42


def test_link_shared_without_a_compiler_says_so(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setattr(engine, "find_cc", lambda: None)
    with pytest.raises(engine.EngineError, match="no C compiler/linker found"):
        engine.link_shared([b""], tmp_path / "x.so")
    assert not (tmp_path / "x.so").exists()


@pytest.mark.skipif(engine.find_cc() is None, reason="no system C compiler/linker")
def test_link_failure_is_reported_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(engine.EngineError, match="linking x.so failed"):
        engine.link_shared([b"not an object file"], tmp_path / "x.so")
    assert list(tmp_path.iterdir()) == []
