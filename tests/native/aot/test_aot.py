"""``ember aot``: an extension built from a sample module imports in a fresh interpreter
with no ember and no llvmlite loaded, is a drop-in for the module (constants, classes,
helpers), gives the JIT's results and exceptions for every signature built, and bad
input is a located error with nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ember.native.backend.engine import linker

pytestmark = pytest.mark.skipif(linker(fallback=True) is None, reason="no linker (no cc, no ziglang)")

KERNELS = textwrap.dedent('''\
    """Sample kernels."""
    import math

    import numpy as np

    import ember

    SCALE = 2.5


    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y


    @ember.jit
    def collatz(n: int) -> int:
        steps = 0
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            steps += 1
        return steps


    @ember.jit
    def hyp(a: float, b: float) -> float:
        return math.sqrt(a * a + b * b) * SCALE


    @ember.jit
    def total(n):
        s = 0
        for i in range(n):
            s += collatz(i + 1)
        return s


    @ember.jit
    def power3(n: int) -> int:
        x = 1
        for _ in range(n):
            x *= 3
        return x


    @ember.jit
    def halve(x):
        return x // 2


    @ember.jit
    def square_all(a):
        for i in range(a.shape[0]):
            a[i] = a[i] * a[i]
        return a.sum()


    def helper(p):
        return hyp(p.x, p.y)


    if __name__ == "__main__":
        print("main")
''')
SIGNATURES = ["total:int", "halve:int", "halve:float", "square_all:float64[::1]"]

# Run in the fresh interpreter: every call, its result or exception, as JSON.
PROBE = textwrap.dedent('''\
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    import kernels
    def run(f, *args):
        try:
            r = f(*args)
            return [type(r).__name__, float(r) if not isinstance(r, int) else r]
        except Exception as e:
            return ["raised", type(e).__name__, str(e)]
    a = np.arange(5.0)
    out = {
        "collatz": run(kernels.collatz, 27), "hyp": run(kernels.hyp, 3.0, 4.0),
        "hyp_ints": run(kernels.hyp, 3, 4), "total": run(kernels.total, 1000),
        "halve_int": run(kernels.halve, 7), "halve_float": run(kernels.halve, 7.5),
        "halve_str": run(kernels.halve, "x"), "square_all": run(kernels.square_all, a),
        "mutated": a.tolist(), "overflow": run(kernels.power3, 100),
        "helper": run(kernels.helper, kernels.Point(3.0, 4.0)), "SCALE": kernels.SCALE,
        "name": kernels.collatz.__name__, "file": kernels.__file__,
        "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("ember", "llvmlite")),
    }
    print(json.dumps(out))
''')


def _ember(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EMBER_CACHE": "0"}
    return subprocess.run([sys.executable, "-m", "ember", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("aot")
    (root / "kernels.py").write_text(KERNELS)
    args = ["aot", "kernels.py", "-o", "out"]
    for s in SIGNATURES:
        args += ["--signature", s]
    return root, _ember(*args, cwd=root)


def _probe(out: Path) -> dict:
    # -I: no PYTHONPATH, no user site, no script directory; ember stays importable from
    # the venv but must not be imported.
    proc = subprocess.run([sys.executable, "-I", "-c", PROBE, str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _interpreted(root: Path) -> dict:
    """The same calls on the module run by CPython (ember's JIT for the exceptions
    compiled code gives: int64 overflow)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("kernels_src", root / "kernels.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.__dict__


def test_builds_one_extension_named_for_the_importer(built) -> None:
    root, proc = built
    assert proc.returncode == 0, proc.stderr
    import sysconfig

    name = f"kernels{sysconfig.get_config_var('EXT_SUFFIX')}"
    assert proc.stdout.splitlines()[-1] == f"wrote out/{name}"
    assert "halve: (int64), (float64)" in proc.stdout
    umask = os.umask(0)
    os.umask(umask)
    assert (root / "out" / name).stat().st_mode & 0o777 == 0o755 & ~umask  # installable


def test_imports_and_runs_without_ember(built) -> None:
    root, _ = built
    got = _probe(root / "out")
    assert got["loaded"] == []
    assert got["file"].endswith(".so") and got["name"] == "collatz"
    src = _interpreted(root)
    jit = {"collatz": src["collatz"](27), "hyp": src["hyp"](3.0, 4.0),
           "total": src["total"](1000), "halve_int": src["halve"](7),
           "halve_float": src["halve"](7.5)}
    for key, value in jit.items():
        assert got[key] == [type(value).__name__, value], key
    assert got["hyp_ints"] == ["float", 12.5]  # an int where float64 is declared
    assert got["helper"] == ["float", 12.5] and got["SCALE"] == 2.5
    import numpy as np

    jit_sum = src["square_all"](np.arange(5.0))  # the JIT's type (float or np.float64)
    assert got["square_all"] == [type(jit_sum).__name__, 30.0]
    assert got["mutated"] == [0, 1, 4, 9, 16]


def test_errors_are_the_jits(built) -> None:
    root, _ = built
    got = _probe(root / "out")
    assert got["halve_str"][:2] == ["raised", "TypeError"]
    assert "(int64), (float64)" in got["halve_str"][2]
    src = _interpreted(root)
    with pytest.raises(OverflowError) as jit_error:
        src["power3"](100)
    assert got["overflow"] == ["raised", "OverflowError", str(jit_error.value)]


@pytest.mark.parametrize(("source", "signature", "message"), [
    ("import ember\n@ember.jit\ndef f(n):\n    return n\n", None,
     "error: 'f' has no concrete signature"),
    ("import ember\n@ember.jit\ndef f(x):\n    return range(x)\n", "f:float",
     "error: "),
    ("import ember\nraise RuntimeError('boom')\n", None, "boom"),
])
def test_bad_input_is_located_and_writes_nothing(tmp_path: Path, source: str,
                                                 signature: str | None, message: str) -> None:
    (tmp_path / "m.py").write_text(source)
    args = ["aot", "m.py", "-o", "out"] + (["--signature", signature] if signature else [])
    proc = _ember(*args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    if "error:" in message:
        assert "m.py:" in proc.stderr and "hint:" in proc.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
