"""The native cache as a user meets it: ``@ember.jit`` programs run in fresh processes.

A second process starts warm (and provably without llvmlite or any compiler stage);
editing the function, a callee in another module or a captured global recompiles;
argument types get separate entries; N cold processes at once all succeed; the switches.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ember.native.backend.engine import find_cc
from ember.native.cache import store as S

SRC = Path(__file__).resolve().parents[3] / "src"
# These expect shared-object entries (the no-linker path is forced where tested).
pytestmark = pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")

APP = """\
import ember
from helpers import scale

LIMIT = 10


@ember.jit
def f(n):
    return scale(n) + LIMIT
"""

HELPERS = """\
import ember


@ember.jit
def scale(x):
    return x * 2
"""

MAIN = """\
import sys
from app import f
print(f(5), f(2.5))
stages = ("infer", "lower", "engine", "abi", "frontend", "compiler")
heavy = sorted(m for m in sys.modules if m == "llvmlite" or m.startswith("llvmlite.")
               or m in {f"ember.native.{s}" for s in stages})
print(",".join(heavy) or "-")
"""


@pytest.fixture
def app(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "main.py").write_text(MAIN)
    return tmp_path


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    env.update(PYTHONPATH=os.pathsep.join([str(SRC), str(tmp_path)]),
               XDG_CACHE_HOME=str(tmp_path / "xdg"), EMBER_DEBUG="cache", **extra)  # fmt: skip
    return env


def run(tmp_path: Path, **extra: str) -> tuple[list[str], list[str]]:
    """(stdout lines, ember cache debug lines) of ``python main.py``."""
    done = subprocess.run([sys.executable, str(tmp_path / "main.py")], capture_output=True,
                          text=True, env=_env(tmp_path, **extra), check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    debug = [line for line in done.stderr.splitlines() if line.startswith("ember cache:")]
    return done.stdout.splitlines(), debug


def _events(debug: list[str]) -> list[str]:
    return [line.split()[2] for line in debug if line.split()[2] in ("hit", "miss", "stale")]


def entries(tmp_path: Path) -> list[str]:
    return sorted(n for n in os.listdir(tmp_path / "__pycache__") if S.is_entry_name(n))


def test_second_process_is_warm_and_edits_recompile(app):
    out, debug = run(app)
    assert out == ["20 15.0", out[1]] and "llvmlite" in out[1]
    assert _events(debug) == ["miss", "miss"]
    # Two signatures, two entries, named for the module and function.
    assert [re.sub(r"\.[0-9a-f]{16}\.", ".H.", n) for n in entries(app)] == [
        f"app.f.H.ember-{sys.implementation.cache_tag}.so"
    ] * 2

    out, debug = run(app)
    assert out == ["20 15.0", "-"], debug  # no llvmlite, no compiler stage
    assert _events(debug) == ["hit", "hit"]

    # A callee in another module changes: both entries are stale, results follow.
    (app / "helpers.py").write_text(HELPERS.replace("x * 2", "x * 3"))
    out, debug = run(app)
    assert out[0] == "25 17.5" and _events(debug) == ["stale", "miss", "stale", "miss"]
    assert "the source of scale changed" in debug[0]
    out, debug = run(app)
    assert out == ["25 17.5", "-"], debug

    # A captured global constant changes.
    (app / "app.py").write_text(APP.replace("LIMIT = 10", "LIMIT = 100"))
    out, debug = run(app)
    assert out[0] == "115 107.5" and "miss" in _events(debug)
    assert run(app)[0] == ["115 107.5", "-"]

    # The function itself changes.
    (app / "app.py").write_text(APP.replace("LIMIT = 10", "LIMIT = 100").replace(
        "scale(n) + LIMIT", "scale(n) - LIMIT"))  # fmt: skip
    out, debug = run(app)
    assert out[0] == "-85 -92.5" and "the source of f changed" in "\n".join(debug)
    assert run(app)[0] == ["-85 -92.5", "-"]
    assert len(entries(app)) == 2  # replaced in place, nothing left behind


def test_many_cold_processes_at_once(app):
    procs = [
        subprocess.Popen([sys.executable, str(app / "main.py")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=_env(app))
        for _ in range(5)
    ]  # fmt: skip
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err
        assert out.splitlines()[0] == "20 15.0"
    names = entries(app)
    assert len(names) == 2 and len(os.listdir(app / "__pycache__")) == 2
    for n in names:
        S.read_entry(str(app / "__pycache__" / n))
    assert run(app)[0] == ["20 15.0", "-"]


def test_cache_disabled(app):
    for extra in ({"EMBER_CACHE": "0"}, {}):
        if not extra:  # the decorator's switch instead of the environment's
            (app / "app.py").write_text(APP.replace("@ember.jit", "@ember.jit(cache=False)"))
            (app / "helpers.py").write_text(HELPERS)
        for _ in range(2):
            out, debug = run(app, **extra)
            assert out[0] == "20 15.0" and "llvmlite" in out[1]
            assert not any(" store " in line or " hit " in line for line in debug)
        assert not (app / "__pycache__").exists() or entries(app) == []


def test_pythondontwritebytecode_does_not_disable_it(app):
    run(app, PYTHONDONTWRITEBYTECODE="1")
    assert run(app, PYTHONDONTWRITEBYTECODE="1")[0] == ["20 15.0", "-"]


def test_without_a_linker_object_code_is_cached(app):
    no_cc = {"CC": "/nonexistent/cc", "PATH": str(app / "empty-bin")}
    out, debug = run(app, **no_cc)
    assert out[0] == "20 15.0" and _events(debug) == ["miss", "miss"]
    assert all(n.endswith(".o") for n in entries(app)) and len(entries(app)) == 2
    out, debug = run(app, **no_cc)
    # A hit, loaded through llvmlite's JIT instead of the dynamic loader: no compile.
    assert out[0] == "20 15.0" and _events(debug) == ["hit", "hit"]
    assert "ember.native.frontend.statements" not in out[1] and "llvmlite" in out[1]
    # With a linker again, the shared object replaces the object code on the next miss.
    out, debug = run(app)
    assert _events(debug) == ["hit", "hit"]
