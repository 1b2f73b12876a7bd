"""Print, as JSON, the typed IR (or the diagnostic) of every case in the given files.

Run by tests/test_versions.py under each installed Python with PYTHONPATH=src and no
third-party packages: only the pure-Python frontend and inference are imported (golden
cases that import NumPy, whose types NumPy itself resolves, are left out).

    python typed_ir.py tests/data/golden/typed_ir.test tests/data/versions/kernels.py
    {"python": "3.12.1", "cases": {"typed_ir:fib": "def fib(n: int64) -> int64: ...", ...}}

A ``.test`` file is a golden file (tests/native/_golden.py reads it: each case's source
defines ENTRY = (name, arg_types)); a ``.py`` file defines CASES = [(name, arg_types),
...], where a name starting with "!" is expected to fail with an EmberError.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "native"))  # for _golden
from _golden import load_entry, parse  # noqa: E402

from ember.diagnostics import EmberError  # noqa: E402
from ember.native.frontend.statements import infer_unit  # noqa: E402
from ember.native.ir.printer import format_unit  # noqa: E402
from ember.native.options import Options  # noqa: E402


class _Jit:
    """The part of a @jit dispatcher inference reads; injected as ``jit`` in each file."""

    __ember_jit__ = True

    def __init__(self, func: object) -> None:
        self.py_func = func
        self.options = Options()


def _load(path: Path) -> object:
    # A fixed module name per file keeps the mangled symbols stable across runs.
    spec = importlib.util.spec_from_file_location(f"golden_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.jit = _Jit  # type: ignore[attr-defined]
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _case(module: object, name: str, arg_types: tuple) -> str:
    obj = module
    for part in name.lstrip("!").split("."):
        obj = getattr(obj, part)
    return _typed(getattr(obj, "py_func", obj), name, arg_types)


def _typed(func: object, name: str, arg_types: tuple) -> str:
    try:
        text = format_unit(infer_unit(func, arg_types, Options()))
    except EmberError as exc:
        return ("" if name.startswith("!") else "UNEXPECTED ERROR\n") + str(exc)
    return ("UNEXPECTED SUCCESS\n" if name.startswith("!") else "") + text


def main(paths: list[str]) -> int:
    out: dict[str, str] = {}
    for p in map(Path, paths):
        if p.suffix == ".test":
            for case in parse(p.read_text(encoding="utf-8"), str(p)).cases:
                if "import numpy" in case.source:
                    continue  # typed by asking NumPy itself, which these interpreters lack
                func, arg_types = load_entry(case, p.stem)
                out[f"{p.stem}:{case.name}"] = _typed(func, case.name, arg_types)
            continue
        module = _load(p)
        entries = getattr(module, "CASES", None) or [module.ENTRY]  # type: ignore[attr-defined]
        for name, arg_types in entries:
            out[f"{p.stem}:{name}"] = _case(module, name, arg_types)
    # The frontend must not pull in a back end (these interpreters may not have one).
    heavy = sorted(m for m in ("llvmlite", "numpy", "ember.native.codegen.function") if m in sys.modules)
    json.dump({"python": platform.python_version(), "heavy": heavy, "cases": out}, sys.stdout,
              indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
