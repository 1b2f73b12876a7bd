"""ember across Python versions: the pure-Python parts give the same results on every
supported interpreter, and builds whose object layout ember does not target are refused.

- Typed IR: the native frontend works from ``ast``, which is stable across versions, so
  ``infer_unit`` must print byte-identical typed IR (and identical diagnostics, spans
  included) under 3.10 .. 3.13. Each other installed interpreter runs
  tests/data/versions/typed_ir.py with PYTHONPATH=src and nothing else (no llvmlite, no
  NumPy, no pytest); this interpreter runs it too, as the reference.
- ``python -m ember --help`` and every command's ``--help`` work there.
- Every C API symbol the native layer names is exported by each version, or boundary/capi.py
  stands in for it there (3.10 has PyObject_Vectorcall only as a static inline).
- A free-threaded build (3.13t) gets a diagnostic at compile time, not a crash.

Other interpreters are found in $EMBER_TEST_PYTHONS (paths, os.pathsep-separated), on
PATH as ``python3.X``, or under $PYENV_ROOT/versions; a version not found is skipped.
The bytecode layer has its own cross-version tests (tests/pyc/).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ember import cli

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
DATA = REPO / "tests" / "data" / "versions"
CASE_FILES = [*sorted((REPO / "tests" / "data" / "golden").glob("*.test")), DATA / "kernels.py"]
SUPPORTED = [(3, minor) for minor in range(10, 15)]
OTHERS = [v for v in SUPPORTED if v != sys.version_info[:2]]


def _candidates(version: tuple[int, int]) -> list[str]:
    name = f"python{version[0]}.{version[1]}"
    found = [p for p in os.environ.get("EMBER_TEST_PYTHONS", "").split(os.pathsep) if p]
    if (on_path := shutil.which(name)) is not None:
        found.append(on_path)
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    # Newest patch release first; "3.13.0t" style free-threaded builds are not ours.
    releases = sorted(pyenv.glob(f"{version[0]}.{version[1]}.*"), reverse=True)
    found += [str(p / "bin" / "python") for p in releases if p.name.replace(".", "").isdigit()]
    return found


@functools.cache
def interpreter(version: tuple[int, int]) -> str | None:
    """The path of an installed CPython ``version`` (a GIL build), or None."""
    probe = ("import sys, sysconfig; print(sys.implementation.name, *sys.version_info[:2], "
             "bool(sysconfig.get_config_var('Py_GIL_DISABLED')))")
    want = f"cpython {version[0]} {version[1]} False"
    for exe in _candidates(version):
        if not os.access(exe, os.X_OK):
            continue
        try:
            out = subprocess.run([exe, "-c", probe], capture_output=True, text=True,
                                 timeout=30, check=False).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out == want:
            return exe
    return None


def bare_env() -> dict[str, str]:
    """Only ember's sources on the path: what the other interpreter has is irrelevant."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k not in ("VIRTUAL_ENV", "__PYVENV_LAUNCHER__")}
    env["PYTHONPATH"] = str(SRC)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no other version's caches in src/
    env["PYTHONUTF8"] = "1"
    return env


def run_bare(exe: str, *args: str) -> subprocess.CompletedProcess[str]:
    # -s: no user site-packages. cwd=REPO: with -c, sys.path[0] is the repo root, where
    # there is no `ember` to shadow src/ (src layout).
    return subprocess.run([exe, "-s", *args], capture_output=True, text=True, cwd=REPO,
                          env=bare_env(), timeout=120, check=False)


def typed_ir_of(exe: str) -> dict[str, object]:
    proc = run_bare(exe, str(DATA / "typed_ir.py"), *map(str, CASE_FILES))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def reference() -> dict[str, object]:
    """This interpreter's output (the default, 3.11, in CI), made the same way."""
    return typed_ir_of(sys.executable)


def other(version: tuple[int, int]) -> str:
    exe = interpreter(version)
    if exe is None:
        pytest.skip(f"Python {version[0]}.{version[1]} is not installed here")
    return exe


IDS = [f"{a}.{b}" for a, b in OTHERS]


def test_the_reference_run_types_every_case(reference: dict[str, object]) -> None:
    cases = reference["cases"]
    assert isinstance(cases, dict)
    assert len(cases) >= 14
    for name, text in cases.items():
        assert not text.startswith(("UNEXPECTED", "Traceback")), f"{name}:\n{text}"
        if name.split(":")[1].startswith("!"):
            assert ": error: " in text and "\nhint: " in text, name
        else:
            assert text.startswith("def "), name
    assert reference["heavy"] == [], "the frontend imported a compiler back end"


@pytest.mark.parametrize("version", OTHERS, ids=IDS)
def test_typed_ir_is_identical_on_every_version(version: tuple[int, int],
                                                 reference: dict[str, object]) -> None:
    result = typed_ir_of(other(version))
    assert result["python"].startswith(f"{version[0]}.{version[1]}.")  # type: ignore[union-attr]
    assert result["heavy"] == []
    mine, theirs = reference["cases"], result["cases"]
    assert isinstance(mine, dict) and isinstance(theirs, dict)
    assert theirs.keys() == mine.keys()
    for name in mine:
        assert theirs[name] == mine[name], f"{name} differs under {result['python']}"


HELP_SCRIPT = """
import contextlib, io, json, sys
from ember import cli
out = {}
for argv in (["--help"], *([name, "--help"] for name in cli.COMMANDS)):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse's --help
            code = exc.code
    out[" ".join(argv)] = [code, buf.getvalue()]
out["heavy"] = sorted(m for m in ("llvmlite", "numpy", "ember.native.frontend.statements") if m in sys.modules)
json.dump(out, sys.stdout)
"""


@pytest.mark.parametrize("version", OTHERS, ids=IDS)
def test_cli_help_on_every_version(version: tuple[int, int]) -> None:
    exe = other(version)
    main = run_bare(exe, "-m", "ember", "--help")
    assert main.returncode == 0, main.stderr
    # ember's own top-level text: no argparse in it, so it is the same everywhere.
    assert main.stdout == cli._top_help()
    proc = run_bare(exe, "-c", HELP_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out.pop("heavy") == []
    for argv, (code, text) in out.items():
        assert code == 0, argv
        # argparse's layout differs by version (3.13 groups option metavars), its
        # usage line does not.
        name = argv.split()[0]
        expected = "usage: ember" if name == "--help" else f"usage: ember {name}"
        assert text.startswith(expected), argv


# ------------------------------------------------------------ C API symbols

SYMBOL_SCRIPT = """
import ctypes, json, platform, sys
missing = [n for n in sys.argv[1:] if not hasattr(ctypes.pythonapi, n)]
json.dump({"python": platform.python_version(), "missing": missing}, sys.stdout)
"""


def c_api_names() -> list[str]:
    """Every C API function or object the native layer names in a string literal (what
    generated code links against), e.g. "PyFloat_FromDouble", "_Py_NoneStruct"."""
    import re

    pattern = re.compile(r"""["'](_?Py_?[A-Z][A-Za-z0-9_]*)["']""")
    names = set()
    for path in sorted((SRC / "ember" / "native").rglob("*.py")):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    # Not symbols: a config variable (Py_GIL_DISABLED), a module's own init function.
    return sorted(n for n in names if re.search("[a-z]", n.split("_", 1)[1])
                  and not n.startswith("PyInit_"))


def test_the_symbol_scan_sees_the_c_api() -> None:
    names = c_api_names()
    assert {"PyFloat_FromDouble", "_Py_NoneStruct", "PyObject_Vectorcall",
            "PyModule_Create2"} <= set(names)


@pytest.mark.parametrize("version", [sys.version_info[:2], *OTHERS],
                         ids=["this", *IDS])
def test_every_c_api_symbol_links_or_has_a_shim(version: tuple[int, int]) -> None:
    """A function CPython has only as a static inline on some version (3.10's
    PyObject_Vectorcall) links nowhere: boundary/capi.py must stand in for it there."""
    from ember.native.boundary.capi import INLINE_BEFORE_3_11

    exe = sys.executable if version == sys.version_info[:2] else other(version)
    proc = run_bare(exe, "-c", SYMBOL_SCRIPT, *c_api_names())
    assert proc.returncode == 0, proc.stderr
    missing = set(json.loads(proc.stdout)["missing"])
    shimmed = INLINE_BEFORE_3_11 if version < (3, 11) else frozenset()
    assert missing <= shimmed, f"not exported by Python {version}: {sorted(missing - shimmed)}"


def _scaled(x, y=2):
    return x * y


def _rounded(x):
    return round(x, 2)


def test_the_3_10_shims_work_on_this_version_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-ins for 3.10 run here as well (they use only functions every version
    exports), so the default CI run covers them: forwarding between specializations
    with and without keywords, and a Python method call with one argument."""
    from ember.native.boundary import capi
    from ember.native.runtime.dispatch import jit

    monkeypatch.setattr(capi, "_SHIMMED", capi.INLINE_BEFORE_3_11)
    f = jit(cache=False)(_scaled)
    assert (f(3), f(1.5)) == (6, 3.0)  # two entries: int calls are forwarded
    assert (f(3), f(x=4), f(x=2.5, y=3), f(2, y=1.5)) == (6, 8, 7.5, 3.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        f(1, z=3)
    assert '@"ember.PyObject_Vectorcall"' in f.inspect_llvm(optimized=False)
    r = jit(cache=False)(_rounded)
    assert (r(2.675), r(-1234.5678)) == (round(2.675, 2), round(-1234.5678, 2))
    assert '@"ember.PyObject_CallOneArg"' in r.inspect_llvm(optimized=False)


# ---------------------------------------------------------------- free-threaded


def _pretend_free_threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import sysconfig

    real = sysconfig.get_config_var
    monkeypatch.setattr(sysconfig, "get_config_var",
                        lambda name: 1 if name == "Py_GIL_DISABLED" else real(name))


def _kernel(x: float) -> float:
    return x * 2.0


def test_free_threaded_build_is_refused_at_compile_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from ember.diagnostics import EmberError
    from ember.native.runtime.dispatch import jit

    _pretend_free_threaded(monkeypatch)
    with pytest.raises(EmberError) as info:
        jit(cache=False)(_kernel)  # annotated: compiled (and refused) right here
    text = str(info.value)
    line = _kernel.__code__.co_firstlineno
    assert text.startswith(f"{__file__}:{line}:1: error: ")
    assert "free-threaded" in text
    assert "\nhint: " in text


def test_free_threaded_build_falls_back_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from ember.native.runtime.dispatch import EmberFallbackWarning, jit

    _pretend_free_threaded(monkeypatch)
    with pytest.warns(EmberFallbackWarning, match="free-threaded"):
        f = jit(cache=False, fallback=True)(_kernel)
    assert f(1.5) == 3.0
