"""Golden typed IR: each case file here is typed for its ENTRY and printed with
format_unit; the text must equal the .txt beside it.

Run with EMBER_UPDATE_GOLDEN=1 to (re)write the .txt files after an intended change,
then review the diff.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from ember.native.frontend.statements import infer_unit
from ember.native.ir.printer import format_unit
from ember.native.options import Options

HERE = Path(__file__).parent
CASES = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("test_"))
UPDATE = os.environ.get("EMBER_UPDATE_GOLDEN") == "1"


class _Jit:
    """The part of a @jit dispatcher inference reads; injected as ``jit`` in each case."""

    __ember_jit__ = True

    def __init__(self, func: object) -> None:
        self.py_func = func
        self.options = Options()


def load_case(path: Path) -> object:
    # A fixed module name per case keeps the mangled symbols in the output stable.
    spec = importlib.util.spec_from_file_location(f"golden_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.jit = _Jit  # type: ignore[attr-defined]
    spec.loader.exec_module(module)
    return module


def render(path: Path) -> str:
    module = load_case(path)
    name, arg_types = module.ENTRY  # type: ignore[attr-defined]
    func = getattr(module, name)
    func = getattr(func, "py_func", func)
    return format_unit(infer_unit(func, arg_types, Options()))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_typed_ir(path: Path) -> None:
    actual = render(path)
    expected_path = path.with_suffix(".txt")
    if UPDATE:
        expected_path.write_text(actual, encoding="utf-8")
    if not expected_path.exists():
        pytest.fail(f"no golden file {expected_path.name}: run with EMBER_UPDATE_GOLDEN=1")
    assert actual == expected_path.read_text(encoding="utf-8")


def test_there_are_golden_cases() -> None:
    assert {p.stem for p in CASES} >= {"loop_sum", "mandel", "tuple_swap", "fib", "mutual",
                                       "calls"}
