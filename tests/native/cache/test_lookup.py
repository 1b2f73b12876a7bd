"""The native cache's store → lookup cycle on a hand-built unit (real ABI, engine,
linker and loader; independent of inference and lowering): hits, every kind of refusal,
rebuilds, concurrency, read-only trees and the switches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ember.native.backend.engine import find_cc
from ember.native.cache import lookup as cache
from ember.native.cache import store as S
from ember.native.options import Options
from ember.native.types import INT64

SRC = Path(__file__).resolve().parents[3] / "src"
# These expect shared-object entries (the no-linker path is forced where tested).
pytestmark = pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for _handmade, whatever pytest's import mode

from _handmade import build_unit, import_file, lookup, store_entry  # noqa: E402

OPTS = Options()

KERNEL = "K = 7\n\n\ndef f(n):\n    return n * K + 1\n"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """An isolated cache: sources in tmp_path/src, per-user cache in tmp_path/xdg."""
    monkeypatch.delenv("EMBER_CACHE_DIR", raising=False)
    monkeypatch.delenv("EMBER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "src").mkdir()
    return tmp_path


_names = iter(range(10**6))


def _kernel(tmp_path: Path, text: str = KERNEL):
    path = tmp_path / "src" / "kern.py"
    path.write_text(text)
    return import_file(path, f"ember_test_kern_{next(_names)}")


def _call(hit, n: int) -> int:
    return hit.module.f(n)


def _rewrite_meta(entry: str, change) -> None:
    blob = Path(entry).read_bytes()
    payload, meta = S.unpack(blob)
    change(meta)
    S.write_atomic(entry, S.pack(payload, {k: v for k, v in meta.items() if k != "sha256"}))


def test_store_then_hit(env):
    mod = _kernel(env)
    assert cache.lookup(mod.f, (INT64,), OPTS) is None
    entry = store_entry(mod.f)
    assert Path(entry).parent == env / "src" / "__pycache__"
    assert Path(entry).name.startswith("kern.f.") and entry.endswith(".so")
    hit, warned = lookup(mod.f)
    assert hit is not None and not warned and hit.kind == "so"
    assert _call(hit, 6) == 43
    meta = hit.meta
    assert meta["root"]["signature"] == "(int64)"
    assert meta["bindings"][0]["names"]["K"] == "const:7"
    assert meta["llvm"]["cpu"] and meta["sources"][0]["line"] == 4


RUNNER = """
import sys
sys.path[:0] = [{here!r}, {src!r}]
from ember.native.cache import lookup as cache
from ember.native.options import Options
from ember.native.types import INT64
import _handmade
mod = _handmade.import_file(__import__("pathlib").Path({kern!r}), "kern")
hit = cache.lookup(mod.f, (INT64,), Options())
state = "hit"
if hit is None:
    state = "miss"
    unit, obj = _handmade.build_unit(mod.f, 7)
    cache.store(mod.f, (INT64,), Options(), unit, obj)
    hit = cache.lookup(mod.f, (INT64,), Options())
heavy = sorted(m for m in sys.modules if m == "llvmlite" or m.startswith(
    ("llvmlite.", "ember.native.frontend.statements", "ember.native.codegen.function", "ember.native.backend.engine",
     "ember.native.boundary.abi", "ember.native.frontend.source", "ember.native.runtime.compiler")))
print(state, getattr(hit.module, "f")(6), ",".join(heavy) or "-")
"""


def _runner(tmp_path: Path) -> Path:
    script = tmp_path / "runner.py"
    script.write_text(
        RUNNER.format(here=str(HERE), src=str(SRC), kern=str(tmp_path / "src" / "kern.py"))
    )
    return script


def _run(script: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, check=False
    )


def test_second_process_hits_without_llvm(env):
    (env / "src" / "kern.py").write_text(KERNEL)
    script = _runner(env)
    xdg = {"XDG_CACHE_HOME": str(env / "xdg")}
    first = _run(script, **xdg)
    assert first.stdout.split()[:2] == ["miss", "43"], first.stderr
    second = _run(script, EMBER_DEBUG="cache", **xdg)
    assert second.stdout.split() == ["hit", "43", "-"], second.stderr
    assert "ember cache: hit f(int64)" in second.stderr


@pytest.mark.parametrize(
    "damage",
    ["flip-payload", "flip-meta", "truncate", "world-writable", "wrong-key", "foreign"],
)
def test_bad_entries_are_refused_once_and_rebuilt(env, damage):
    mod = _kernel(env)
    entry = store_entry(mod.f)
    data = bytearray(Path(entry).read_bytes())
    if damage == "flip-payload":
        data[100] ^= 0xFF
        Path(entry).write_bytes(bytes(data))
    elif damage == "flip-meta":
        data[-100] ^= 0x01
        Path(entry).write_bytes(bytes(data))
    elif damage == "truncate":
        Path(entry).write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "world-writable":
        os.chmod(entry, 0o646)
    elif damage == "wrong-key":
        _rewrite_meta(entry, lambda m: m["root"].update(qualname="g"))
    elif damage == "foreign":
        _rewrite_meta(entry, lambda m: m["env"].update(machine="0" * 16))
    hit, warned = lookup(mod.f)
    assert hit is None
    assert len(warned) == 1 and entry in warned[0] and "rebuilt" in warned[0]
    _, again = lookup(mod.f)
    assert again == []  # reported once per entry per process
    store_entry(mod.f)
    hit, warned = lookup(mod.f)
    assert hit is not None and not warned and _call(hit, 6) == 43


def test_an_entry_of_another_ember_is_rebuilt_not_loaded(env):
    """Written by an ember whose native modules differ (an upgrade, the layout move): stale,
    like a .pyc after a new magic number — rebuilt without a warning, never loaded."""
    mod = _kernel(env)
    entry = store_entry(mod.f, k=5)
    _rewrite_meta(entry, lambda m: m["env"].update(compiler="0" * 16))
    hit, warned = lookup(mod.f)
    assert hit is None and warned == []
    store_entry(mod.f)
    hit, warned = lookup(mod.f)
    assert hit is not None and not warned and _call(hit, 6) == 43


def test_edited_source_is_stale_and_touch_is_not(env, capfd, monkeypatch):
    monkeypatch.setenv("EMBER_DEBUG", "cache")
    mod = _kernel(env)
    entry = store_entry(mod.f)
    path = env / "src" / "kern.py"
    # Same text, new mtime (a checkout): re-hashed, still used, stat recorded again.
    os.utime(path, ns=(1, 1))
    hit, _ = lookup(mod.f)
    assert hit is not None
    assert S.read_entry(entry)[2]["sources"][0]["mtime_ns"] == 1
    assert "refreshed" in capfd.readouterr().err
    path.write_text(KERNEL.replace("n * K + 1", "n * K + 2"))
    hit, warned = lookup(mod.f)
    assert hit is None and not warned  # stale is normal: no warning, a debug line
    assert "the source of f changed" in capfd.readouterr().err


def test_changed_global_is_stale(env, capfd, monkeypatch):
    monkeypatch.setenv("EMBER_DEBUG", "cache")
    mod = _kernel(env)
    store_entry(mod.f)
    mod.K = 8
    assert cache.lookup(mod.f, (INT64,), OPTS) is None
    assert "global K of f changed (const:7 -> const:8)" in capfd.readouterr().err
    mod.K = 7
    assert cache.lookup(mod.f, (INT64,), OPTS) is not None


def test_function_moved_in_its_file_still_hits(env):
    mod = _kernel(env)
    store_entry(mod.f)
    path = env / "src" / "kern.py"
    path.write_text("# a comment above\n\n" + KERNEL)
    moved = import_file(path, mod.__name__)
    assert moved.f.__code__.co_firstlineno == 6
    hit, _ = lookup(moved.f)
    assert hit is not None and _call(hit, 1) == 8


def test_rebuilt_entry_in_the_same_process_loads_the_new_code(env):
    # dlopen and CPython's extension table cache by path: the second load of a path
    # must go through a fresh copy, or the first library comes back.
    mod = _kernel(env)
    entry = store_entry(mod.f, 7)
    first, _ = lookup(mod.f)
    assert first is not None and _call(first, 6) == 43
    path = env / "src" / "kern.py"
    path.write_text(KERNEL.replace("n * K + 1", "n * 9 + 1"))
    edited = import_file(path, mod.__name__)
    assert cache.lookup(edited.f, (INT64,), OPTS) is None
    assert store_entry(edited.f, 9) == entry
    second, _ = lookup(edited.f)
    assert second is not None and second.module is not first.module
    assert _call(second, 6) == 55 and _call(first, 6) == 43
    assert sorted(os.listdir(Path(entry).parent)) == [Path(entry).name]  # copy removed


def test_cache_disabled(env, monkeypatch):
    mod = _kernel(env)
    unit, obj = build_unit(mod.f, 7)
    assert cache.store(mod.f, (INT64,), Options(cache=False), unit, obj) is None
    monkeypatch.setenv("EMBER_CACHE", "0")
    assert cache.store(mod.f, (INT64,), OPTS, unit, obj) is None
    assert not (env / "src" / "__pycache__").exists()
    monkeypatch.delenv("EMBER_CACHE")
    store_entry(mod.f)
    assert cache.lookup(mod.f, (INT64,), Options(cache=False)) is None
    monkeypatch.setenv("EMBER_CACHE", "0")
    assert cache.lookup(mod.f, (INT64,), OPTS) is None


def test_ember_cache_dir(env, monkeypatch):
    monkeypatch.setenv("EMBER_CACHE_DIR", str(env / "elsewhere"))
    mod = _kernel(env)
    entry = store_entry(mod.f)
    assert entry.startswith(str(env / "elsewhere")) and not (env / "src" / "__pycache__").exists()
    assert cache.lookup(mod.f, (INT64,), OPTS) is not None


def test_no_linker_stores_object_code(env, monkeypatch):
    from ember.native.backend import engine

    monkeypatch.setattr(engine, "find_cc", lambda: None)
    mod = _kernel(env)
    entry = store_entry(mod.f)
    assert entry.endswith(".o")
    hit, _ = lookup(mod.f)
    assert hit is not None and hit.kind == "o" and hit.module is None
    assert hit.object_code and hit.object_code[:4] == b"\x7fELF"


def test_concurrent_cold_processes(env):
    (env / "src" / "kern.py").write_text(KERNEL)
    script = _runner(env)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    child_env["XDG_CACHE_HOME"] = str(env / "xdg")
    procs = [
        subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=child_env)
        for _ in range(6)
    ]  # fmt: skip
    outs = [p.communicate() for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.split()[1] == "43"
    folder = env / "src" / "__pycache__"
    (name,) = os.listdir(folder)  # one entry, no temporary files left
    S.read_entry(str(folder / name))


def _make_read_only(folder: Path):
    """Make ``folder`` unwritable, even for root (immutable attribute); returns the undo."""
    if os.getuid() != 0:
        os.chmod(folder, 0o555)
        return lambda: os.chmod(folder, 0o755)
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot make a folder read-only for root here (chattr +i failed)")
    return lambda: subprocess.run(["chattr", "-i", str(folder)], check=False)


def test_read_only_source_tree_uses_the_user_cache(env):
    (env / "src" / "kern.py").write_text(KERNEL)
    script = _runner(env)
    undo = _make_read_only(env / "src")
    try:
        with pytest.raises(OSError):
            (env / "src" / "probe").write_text("")
        runs = [_run(script, XDG_CACHE_HOME=str(env / "xdg")) for _ in range(2)]
    finally:
        undo()
    assert [r.stdout.split()[:2] for r in runs] == [["miss", "43"], ["hit", "43"]], runs[1].stderr
    assert not (env / "src" / "__pycache__").exists()
    (entry,) = (env / "xdg" / "ember" / "native").glob("src-*/kern.f.*.so")
    for folder in (entry.parent, entry.parent.parent, entry.parent.parent.parent):
        assert folder.stat().st_mode & 0o777 == 0o700


def test_metadata_is_json_with_the_full_key(env):
    mod = _kernel(env)
    entry = store_entry(mod.f)
    meta = S.read_meta(entry)
    assert set(meta["env"]) == {
        "ember", "compiler", "implementation", "hexversion", "ext_suffix", "machine", "llvmlite",
        "numpy"
    }  # fmt: skip
    assert set(meta["llvm"]) == {"llvmlite", "llvm", "triple", "cpu", "features"}
    json.dumps(meta)  # plain data
    assert textwrap.dedent(Path(meta["sources"][0]["path"]).read_text()) == KERNEL


def test_two_definitions_with_one_name_do_not_share_an_entry(env):
    text = KERNEL + "\n\nfirst = f\n\n\ndef f(n):\n    return n * 5 + 1\n"
    mod = _kernel(env, text)
    first, second = mod.first, mod.f
    unit, obj = build_unit(first, 7)
    assert cache.store(first, (INT64,), OPTS, unit, obj) is not None
    assert cache.lookup(second, (INT64,), OPTS) is None  # not the first def's code
    unit, obj = build_unit(second, 5)
    assert cache.store(second, (INT64,), OPTS, unit, obj) is not None
    assert cache.lookup(second, (INT64,), OPTS).module.f(1) == 6


def test_global_changed_before_the_store_is_not_stored(env):
    # Stores may run in a background thread: a global rebound between compile and store
    # would pair old code with the new value.
    from types import SimpleNamespace

    mod = _kernel(env)
    unit, obj = build_unit(mod.f, 7)
    tf = SimpleNamespace(**{**vars(unit.root), "captured": (("K", "7"),)})
    unit = SimpleNamespace(root=tf, functions=(tf,), sources=())
    mod.K = 8
    assert cache.store(mod.f, (INT64,), OPTS, unit, obj) is None
    mod.K = 7
    assert cache.store(mod.f, (INT64,), OPTS, unit, obj) is not None
