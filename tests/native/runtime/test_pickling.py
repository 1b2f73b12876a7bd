"""Pickling ``@jit`` functions (runtime/pickling.py): by reference when importable (the
same object comes back), by value otherwise, rebuilt in a fresh process with the same
native cache key, so that process loads the sender's code instead of compiling it."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import ember
from ember.native.backend.engine import find_cc
from ember.native.runtime import dispatch

SRC = Path(__file__).resolve().parents[3] / "src"

KMOD = """\
import math

import ember

SCALE = 3.0


@ember.jit
def root3(x):
    return math.sqrt(x) * SCALE


@ember.jit("float64(float64)", fastmath=True, nogil=True, boundscheck=False)
def declared(x):
    return root3(x) + 1.0


def plain(x):
    return x * 2
"""

# Run as if it were a program's main script: its functions go by value.
MAIN = """\
import math

import ember

N = 7


@ember.jit(fastmath=True)
def total(a, n):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * n + N
    return s


@ember.jit
def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


@ember.jit
def is_even(n):
    return True if n == 0 else is_odd(n - 1)


@ember.jit
def is_odd(n):
    return False if n == 0 else is_even(n - 1)


@ember.jit
def uses_plain(x):
    return helper(x)


def helper(x):
    return x


def make(k):
    @ember.jit
    def scaled(x, y=2):
        return (x + y) * k
    return scaled
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMBER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("EMBER_DEBUG", raising=False)
    return tmp_path / "cache"


@pytest.fixture
def kmod(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    name = f"kmod_{tmp_path.name}"
    (tmp_path / f"{name}.py").write_text(KMOD)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    yield importlib.import_module(name)
    sys.modules.pop(name, None)


@pytest.fixture
def main(tmp_path: Path, cache_dir: Path) -> dict[str, Any]:
    """The namespace of MAIN run as ``__main__`` from a real file."""
    path = tmp_path / "prog.py"
    path.write_text(MAIN)
    ns: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(MAIN, str(path), "exec"), ns)  # noqa: S102 - the test's own program
    return ns


def receive(tmp_path: Path, obj: Any, code: str, **env: str) -> str:
    """Pickle ``obj``, load it in a fresh Python as ``f`` and run ``code``; its stdout."""
    blob = tmp_path / "obj.pkl"
    blob.write_bytes(obj if isinstance(obj, bytes) else pickle.dumps(obj))
    script = f"import pickle, sys\nf = pickle.loads(open({str(blob)!r}, 'rb').read())\n"
    full_env = {k: v for k, v in os.environ.items() if k != "EMBER_DEBUG"}
    full_env.update(PYTHONPATH=os.pathsep.join([str(SRC), str(tmp_path)]), **env)
    done = subprocess.run([sys.executable, "-c", script + textwrap.dedent(code)],
                          capture_output=True, text=True, env=full_env, cwd=tmp_path,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


# ------------------------------------------------------------------ by reference


def test_by_reference_gives_back_the_same_object(kmod: Any) -> None:
    for f in (kmod.root3, kmod.declared):
        assert pickle.loads(pickle.dumps(f)) is f
        assert copy.copy(f) is f and copy.deepcopy(f) is f
        # The pickle is two names, not code: small, and nothing of the function's text.
        blob = pickle.dumps(f)
        assert len(blob) < 200 and b"sqrt" not in blob


def test_by_reference_in_another_process_keeps_options_and_signatures(
        kmod: Any, tmp_path: Path) -> None:
    out = receive(tmp_path, kmod.declared, """\
        print(f(4.0), f.options.fastmath, f.options.nogil, f.options.boundscheck)
        print(f.declared_signatures, f.__module__, f.__qualname__)
    """)
    assert out.splitlines() == [
        "7.0 True True False", f"[(float64,)] {kmod.__name__} declared"]


def test_a_plain_function_jitted_again_goes_by_function_reference(
        kmod: Any, tmp_path: Path) -> None:
    fast = ember.jit(fastmath=True)(kmod.plain)  # kmod.plain is the plain function
    again = ember.jit(cache=False)(kmod.root3)  # kmod.root3 is another dispatcher
    assert pickle.loads(pickle.dumps(fast)) is fast
    blob = pickle.dumps(again)
    assert b"sqrt" not in blob  # names, not source
    out = receive(tmp_path, [fast, again], """\
        fast, again = f
        print(fast(4), fast.options.fastmath, again(4.0), again.options.cache)
    """)
    assert out.split() == ["8", "True", "6.0", "False"]


# ------------------------------------------------------------------ by value


def test_main_functions_go_by_value_and_load_the_senders_code(
        main: dict[str, Any], tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    total = main["total"]
    a = np.arange(4.0)
    assert total(a, 2) == 40.0 and total.stats["compiled"] == 1
    dispatch._finish_stores()
    assert pickle.loads(pickle.dumps(total)) is total  # known here: itself
    out = receive(tmp_path, total, """\
        import numpy as np
        print(f(np.arange(4.0), 2), f.options.fastmath, f.__module__, f.__qualname__)
        code = f.py_func.__code__
        print(code.co_filename, code.co_firstlineno, f.stats)
        g = pickle.loads(open("obj.pkl", "rb").read())  # the cwd is tmp_path
        print(g is f)
    """)
    lines = out.splitlines()
    assert lines[0] == "40.0 True __main__ total"
    stats = "{'compiled': 0, 'loaded': 1, 'waited': 0}" if find_cc() else None
    first = MAIN.splitlines().index("@ember.jit(fastmath=True)") + 1
    assert lines[1].startswith(f"{tmp_path / 'prog.py'} {first} ")
    if stats:
        assert lines[1].endswith(stats)  # the cache entry the sender stored: no compile
    assert lines[2] == "True"  # sent twice, rebuilt once


def test_recursion_mutual_recursion_and_closures_by_value(
        main: dict[str, Any], tmp_path: Path) -> None:
    scaled = main["make"](5)
    out = receive(tmp_path, [main["fact"], main["is_even"], scaled, main["make"](7)], """\
        fact, is_even, scaled, scaled7 = f
        print(fact(10), is_even(10), is_even(7), scaled(1), scaled(1, 3), scaled7(1))
        print(scaled.__qualname__, scaled.py_func.__defaults__)
    """)
    assert out.splitlines() == ["3628800 True False 15 20 21",
                                "make.<locals>.scaled (2,)"]


def test_source_travels_with_the_function_when_the_file_does_not(
        main: dict[str, Any], tmp_path: Path) -> None:
    """The other machine has no such file: the sent text compiles (and is not cached),
    and a diagnostic still names the sender's file and line."""
    sent = pickle.dumps([main["fact"], main["uses_plain"]])
    (tmp_path / "prog.py").unlink()
    out = receive(tmp_path, sent, """\
        fact, uses_plain = f
        print(fact(5), fact.options.cache)
        try:
            uses_plain(1)
        except Exception as exc:
            print(type(exc).__name__, str(exc).splitlines()[0])
    """)
    lines = out.splitlines()
    line = MAIN.splitlines().index("    return helper(x)") + 1
    assert lines[0] == "120 False"
    assert lines[1].startswith(f"UndefinedNameError {tmp_path / 'prog.py'}:{line}:"), lines


def test_an_edited_file_is_not_taken_for_the_sent_source(
        main: dict[str, Any], tmp_path: Path) -> None:
    sent = pickle.dumps(main["fact"])
    (tmp_path / "prog.py").write_text(MAIN.replace("n * fact(n - 1)", "n + fact(n - 1)"))
    out = receive(tmp_path, sent, "print(f(5), f.options.cache)")
    assert out.split() == ["120", "False"]  # the sender's code, never cached by that file


def test_exec_without_source_is_a_pickling_error_naming_the_function() -> None:
    ns: dict[str, Any] = {"__name__": "__main__", "jit": ember.jit}
    exec("@jit\ndef lost(x):\n    return x\n", ns)  # noqa: S102 - no linecache entry
    with pytest.raises(pickle.PicklingError) as info:
        pickle.dumps(ns["lost"])
    text = str(info.value)
    assert "__main__.lost" in text and "source is not available" in text
    assert "define it with def in a file" in text


def test_a_lambda_is_a_pickling_error() -> None:
    f = ember.jit(lambda x: x)
    with pytest.raises(pickle.PicklingError, match="lambda"):
        pickle.dumps(f)


def test_cloudpickle_uses_the_same_reduction(main: dict[str, Any], tmp_path: Path) -> None:
    cloudpickle = pytest.importorskip("cloudpickle")
    fact = main["fact"]
    assert cloudpickle.loads(cloudpickle.dumps(fact)) is fact
    blob = tmp_path / "cp.pkl"
    blob.write_bytes(cloudpickle.dumps(fact))
    out = receive(tmp_path, None, f"""\
        g = pickle.loads(open({str(blob)!r}, 'rb').read())
        print(g(6))
    """)
    assert out.strip() == "720"


def test_pickling_imports_nothing_at_import_ember() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, ember; from ember import jit\n"
         "print(sorted(m for m in ('pickle', 'ast', 'inspect', 'dask', 'distributed',"
         " 'ember.native.runtime.pickling') if m in sys.modules))"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(SRC)},
        check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"
