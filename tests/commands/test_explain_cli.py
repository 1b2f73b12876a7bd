"""``ember explain``: golden text for the stable stages (source, typed IR), structure
checks for the LLVM-version-dependent ones, and the error paths.

Update the golden files with ``EMBER_UPDATE_GOLDEN=1 pytest tests/commands/test_explain_cli.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "explain"

KERNELS = textwrap.dedent('''\
    import math


    def norm(x: float, y: float) -> float:
        return math.sqrt(x * x + y * y)


    def collatz(n):
        steps = 0
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            steps += 1
        return steps


    def bad(x):
        return {x}
    ''')


@pytest.fixture
def kernels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "kernels.py").write_text(KERNELS)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "kernels.py"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("EMBER_UPDATE_GOLDEN") or not path.exists():
        path.write_text(text)
    assert text == path.read_text()


def test_types_golden(ember, kernels: Path) -> None:
    status, out, err = ember("explain", "kernels.py:collatz", "--types", "int",
                             "--stage", "source,types")
    assert (status, err) == (0, "")
    golden("collatz_types.txt", out.replace(str(kernels.parent), "DIR"))


def _titles(out: str) -> list[str]:
    return [line.split(" (")[0].strip("= ") for line in out.splitlines()
            if line.startswith("== ")]


def test_default_is_concise_with_source_lines(ember, kernels: Path) -> None:
    """Annotated: no --types needed. Only the function's own code, its instructions
    marked with their source lines; the CPython glue and the unoptimised IR left out."""
    status, out, err = ember("explain", "kernels.py:norm")
    assert (status, err) == (0, "")
    assert _titles(out) == ["source", "typed IR", "LLVM IR", "assembly"]
    assert "types from its annotations" in out
    assert "; line 5: return math.sqrt(x * x + y * y)" in out  # in the optimised IR
    assert "# line 5: return math.sqrt(x * x + y * y)" in out  # in the assembly
    assert "__entry" not in out and "PyInit" not in out and "!dbg" not in out
    assert out.rstrip().endswith("and the IR as lowered.")  # the notation footer
    assert "sqrt" in out


def test_all_shows_every_stage_and_the_glue(ember, kernels: Path) -> None:
    status, out, err = ember("explain", "kernels.py:norm", "--all")
    assert (status, err) == (0, "")
    assert _titles(out) == ["source", "typed IR", "LLVM IR", "LLVM IR", "assembly"]
    assert 'define i32 @"_ember_norm_' in out  # as lowered
    assert "__entry" in out and "notation:" not in out


def test_unannotated_without_types_is_a_usage_error(ember, kernels: Path) -> None:
    status, out, err = ember("explain", "kernels.py:collatz")
    assert status == 2 and out == ""
    assert err == ("ember explain: error: collatz has unannotated parameters and no compiled "
                   "specialization in the native cache: give their types, e.g. --types "
                   "int,float (or run the program once)\n")


def test_types_come_from_the_specialization_that_ran(ember, kernels: Path) -> None:
    """No --types, no annotations: the signature of the fresh native cache entry, so
    what is shown is what runs (an array argument's real layout, not 'A')."""
    script = ("import numpy as np, ember, kernels\n"
              "f = ember.jit(kernels.total)\n"
              "f(np.ones((3, 4)))\n")
    kernels.write_text(KERNELS + "\n\ndef total(a):\n    return a.sum()\n")
    env = {**os.environ, "PYTHONPATH": str(kernels.parent)}
    env.pop("EMBER_CACHE_DIR", None)
    subprocess.run([sys.executable, "-c", script], cwd=kernels.parent, env=env, check=True)
    status, out, err = ember("explain", "kernels.py:total", "--stage", "types")
    assert (status, err) == (0, "")
    assert "def total(a: array(float64, 2d, C)) -> np.float64:" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["nofile.py:f"], "no such file: nofile.py"),
    (["kernels.py"], "expected FILE.py:FUNCTION, got 'kernels.py'"),
    (["kernels.py:nope", "--types", "int"], "kernels.py has no function 'nope'"),
    (["kernels.py:collatz", "--types", "str"], "unknown type 'str' in --types"),
    (["kernels.py:collatz", "--types", "int", "--stage", "bytecode"], "unknown stage 'bytecode'"),
])
def test_usage_errors(ember, kernels: Path, argv: list[str], message: str) -> None:
    status, out, err = ember("explain", *argv)
    assert status == 2 and out == ""
    assert err.startswith("ember explain: error: ") and message in err


def test_code_outside_the_subset_is_a_diagnostic(ember, kernels: Path) -> None:
    status, out, err = ember("explain", "kernels.py:bad", "--types", "int")
    assert status == 1 and out == ""
    assert "kernels.py:17:12: error: sets are not supported\n    return {x}\n           ^^^\n" in err


def test_help_teaches(ember) -> None:
    with pytest.raises(SystemExit):
        ember("explain", "--help")
