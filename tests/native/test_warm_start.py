"""The warm start: a fresh process whose kernels all hit the native cache imports ember's
runtime and cache modules, and nothing heavy — no compiler stage, no llvmlite or NumPy,
and none of the standard modules that cost milliseconds at start-up (``dataclasses``,
``inspect``, ``typing``, ``threading``, ``hashlib``, ``re``, ``json`` ...).

Checked through ``sys.modules`` of real processes (never timings): what a process did
not import it cannot have paid for. The modules a bare ``python -c pass`` already holds
here (a sitecustomize, a coverage hook) are not held against ember.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ember.native.backend.engine import find_cc

SRC = Path(__file__).resolve().parents[2] / "src"
# A hit loads a shared object; without a linker entries hold object code, and loading
# those needs llvmlite by design.
pytestmark = pytest.mark.skipif(find_cc() is None, reason="no C compiler/linker")

# Each costs a warm process a millisecond or more to import (or is the compiler).
NOT_ON_THE_WARM_PATH = {
    "dataclasses", "inspect", "typing", "threading", "hashlib", "_hashlib", "re", "json",
    "enum", "ast", "linecache", "tokenize", "collections", "functools", "contextlib",
    "importlib.util", "warnings", "llvmlite", "numpy", "ember.diagnostics",
}  # fmt: skip
# Prefixes: any stage of the compiler, any part of llvmlite or NumPy.
NOT_UNDER = ("llvmlite.", "numpy.", "ember.native.frontend", "ember.native.codegen",
             "ember.native.backend", "ember.native.boundary", "ember.native.analysis",
             "ember.native.ir", "ember.native.runtime.compiler")  # fmt: skip

KERNELS = """\
import ember
from helpers import mix


@ember.jit
def total(n):
    s = 0
    for i in range(n):
        s += mix(i)
    return s


@ember.jit
def hyp(a: float, b: float) -> float:  # annotated: loaded at decoration
    return (a * a + b * b) ** 0.5
"""

HELPERS = """\
import ember


@ember.jit
def mix(i):
    return i * i % 7
"""

# Reporting imports nothing: sys is always there.
MAIN = """\
import sys
from kernels import hyp, total
print(total(10), hyp(3.0, 4.0))
print(*sorted(sys.modules))
"""

BARE = "import sys; print(*sorted(sys.modules))"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "kernels.py").write_text(KERNELS)
    (tmp_path / "helpers.py").write_text(HELPERS)
    return tmp_path


def _env(app: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBER_")}
    env.update(PYTHONPATH=os.pathsep.join([str(SRC), str(app)]),
               XDG_CACHE_HOME=str(app / "xdg"), EMBER_DEBUG="cache")  # fmt: skip
    return env


def _python(app: Path, code: str) -> tuple[list[str], list[str]]:
    """(stdout lines, ember cache debug lines) of ``python -c code`` in ``app``."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=app, env=_env(app), check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    debug = [line for line in done.stderr.splitlines() if line.startswith("ember cache:")]
    return done.stdout.splitlines(), debug


def _warm_run(app: Path) -> tuple[set[str], list[str]]:
    """The modules a run of MAIN imported beyond a bare interpreter's, and its debug
    lines; its answers checked."""
    out, debug = _python(app, MAIN)
    assert out[0] == f"{sum(i * i % 7 for i in range(10))} 5.0"
    return set(out[1].split()) - set(_python(app, BARE)[0][0].split()), debug


def _heavy(imported: set[str]) -> list[str]:
    return sorted(m for m in imported if m in NOT_ON_THE_WARM_PATH or m.startswith(NOT_UNDER))


def _events(debug: list[str]) -> list[str]:
    return [line.split()[2] for line in debug]


def test_a_warm_process_imports_nothing_heavy(app: Path) -> None:
    cold, debug = _warm_run(app)
    assert "miss" in _events(debug) and "llvmlite" in cold  # compiled: the test can see it
    warm, debug = _warm_run(app)
    assert _events(debug) == ["hit", "hit"], debug  # hyp, then total (mix is inside it)
    assert _heavy(warm) == []
    assert "ember.native.cache.lookup" in warm  # it did go through the cache


def test_only_a_changed_stat_pays_for_reading_the_source(app: Path) -> None:
    _warm_run(app)
    # Touched, not edited: the stat differs, so the function's text is read and its
    # digest compared (the slow check), found equal, and the new stat recorded...
    st = os.stat(app / "helpers.py")
    os.utime(app / "helpers.py", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    touched, debug = _warm_run(app)
    assert _events(debug).count("hit") == 2 and "refreshed" in "\n".join(debug), debug
    assert not [m for m in touched if m.startswith(NOT_UNDER)]  # still no compile
    # ... so that the next process takes the fast path again.
    warm, debug = _warm_run(app)
    assert _events(debug) == ["hit", "hit"] and _heavy(warm) == [], debug
