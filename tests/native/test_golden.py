"""Golden files: the typed IR and the LLVM IR (as lowered, before optimisation) of small
kernels, in ``tests/data/golden/*.test``, one mypyc-style format for both::

    -- comment lines (at the top of the file only)
    [case name]
    <Python source; ENTRY = ("function", (argument types...)) names the compiled one>
    [out]
    <the expected text>

The typed IR is ``format_unit`` of the unit. The LLVM IR is the ``define`` of every
function lowered from the user's functions (recursive ones have a guarded body and a
wrapper), in module order — not the CPython entry, ember's runtime helpers, the
declarations or the module header (the same glue for every kernel, and the header
carries the host's triple).

After an intended change, rewrite the expected texts and review the diff::

    .venv/bin/python -m pytest -q tests/native/test_golden.py --update-golden

(or ``EMBER_UPDATE_GOLDEN=1``). A case whose text differs fails with a unified diff.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _golden, whatever the import mode

from _golden import Case, load_entry, parse  # noqa: E402

from ember.native.frontend.statements import infer_unit  # noqa: E402
from ember.native.ir.printer import format_unit  # noqa: E402
from ember.native.options import Options  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "golden"


def typed_ir(case: Case) -> str:
    func, arg_types = load_entry(case, "typed_ir")
    return format_unit(infer_unit(func, arg_types, Options())).rstrip("\n")


def llvm_ir(case: Case) -> str:
    # llvmlite.ir only (codegen), never the binding: no target machine is involved.
    from ember.native.codegen.function import lower_module

    func, arg_types = load_entry(case, "llvm_ir")
    unit = infer_unit(func, arg_types, Options())
    module = lower_module(unit, Options())
    symbols = {f.symbol for f in unit.functions}
    # A user function is lowered as its symbol, and a recursive one also as
    # ``symbol.rec`` / ``symbol.rec.v`` / ``symbol.v`` (the guarded body, the
    # value-returning form); ``symbol__entry``, ``PyInit_...`` and ``ember.*`` are glue.
    texts = [str(f).strip("\n") for f in module.functions
             if not f.is_declaration and f.name.split(".")[0] in symbols]
    return "\n\n".join(texts)


RENDERERS: dict[str, Callable[[Case], str]] = {"typed_ir.test": typed_ir,
                                               "llvm_ir.test": llvm_ir}


def _cases() -> list[Any]:
    params = []
    for file, render in RENDERERS.items():
        path = DATA / file
        for case in parse(path.read_text(encoding="utf-8"), str(path)).cases:
            params.append(pytest.param(path, case.name, render, id=f"{path.stem}:{case.name}"))
    return params


# ---------------------------------------------------------------------- tests


def _update(path: Path, name: str, actual: str) -> None:
    golden = parse(path.read_text(encoding="utf-8"), str(path))
    for case in golden.cases:
        if case.name == name:
            case.out = actual
    path.write_text(golden.render(), encoding="utf-8")


def check_case(path: Path, name: str, render: Callable[[Case], str], update: bool) -> None:
    """Render case ``name`` of ``path``: with ``update``, write the text as its new
    expected output; otherwise fail with a diff if it differs."""
    case = next(c for c in parse(path.read_text(encoding="utf-8")).cases if c.name == name)
    actual = render(case)
    if actual == case.out:
        return
    if update:
        _update(path, name, actual)
        return
    diff = difflib.unified_diff(case.out.splitlines(), actual.splitlines(),
                                f"{path.name} [case {name}] (expected)", "actual", lineterm="")
    pytest.fail("\n".join(diff) + "\n\nif the change is intended: pytest "
                "tests/native/test_golden.py --update-golden, then review the diff",
                pytrace=False)


@pytest.mark.parametrize(("path", "name", "render"), _cases())
def test_golden(path: Path, name: str, render: Callable[[Case], str],
                request: pytest.FixtureRequest) -> None:
    update = (request.config.getoption("update_golden")
              or os.environ.get("EMBER_UPDATE_GOLDEN") == "1")
    check_case(path, name, render, bool(update))


def test_the_golden_files_cover_the_kernels() -> None:
    names = {file: {c.name for c in parse((DATA / file).read_text(encoding="utf-8")).cases}
             for file in RENDERERS}
    assert names["typed_ir.test"] >= {"loop_sum", "mandel", "tuple_swap", "fib", "mutual",
                                      "calls"}
    assert names["llvm_ir.test"] >= {"loop_sum", "fib", "tuple_swap", "array_sum"}


def test_the_golden_files_are_in_canonical_form() -> None:
    # What --update-golden writes is what is checked in: an update touches only outputs.
    for file in RENDERERS:
        text = (DATA / file).read_text(encoding="utf-8")
        assert parse(text).render() == text, file


def test_the_format_round_trips_and_rejects_malformed_files() -> None:
    text = "-- a header\n\n[case a]\nx = 1\n\n[out]\nA\n\n[case b]\ny = 2\n[out]\nB\nB2\n"
    golden = parse(text)
    assert golden.header == ["-- a header"]
    assert [(c.name, c.source, c.out) for c in golden.cases] == [("a", "x = 1", "A"),
                                                                  ("b", "y = 2", "B\nB2")]
    assert parse(golden.render()) == golden
    for bad in ("[case a]\nx = 1\n", "stray\n[case a]\n[out]\n", "[case ]\n[out]\n",
                "[case a]\n[out]\n[case a]\n[out]\n", "[case a]\n[out]\n[out]\n"):
        with pytest.raises(ValueError):
            parse(bad)


def test_a_changed_output_fails_with_a_diff_and_the_flag_rewrites_it(tmp_path: Path) -> None:
    golden = parse((DATA / "typed_ir.test").read_text(encoding="utf-8"))
    case = golden.cases[0]
    right = case.out
    case.out = right.replace("int64", "float64", 1)
    assert case.out != right
    path = tmp_path / "typed_ir.test"
    path.write_text(golden.render(), encoding="utf-8")
    with pytest.raises(pytest.fail.Exception) as failed:
        check_case(path, case.name, typed_ir, update=False)
    message = str(failed.value)
    assert "--- typed_ir.test [case" in message and "+++ actual" in message
    assert "\n-" in message and "\n+" in message and "--update-golden" in message
    check_case(path, case.name, typed_ir, update=True)
    rewritten = parse(path.read_text(encoding="utf-8"))
    assert rewritten.cases[0].out == right
    assert [c.out for c in rewritten.cases[1:]] == [c.out for c in golden.cases[1:]]
    check_case(path, case.name, typed_ir, update=False)


def test_the_texts_are_deterministic() -> None:
    # Two fresh interpreters with different string hashes render the same texts (set
    # iteration order, id()s or counters leaking into names would show up here).
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import test_golden as g\n"
        "for path, name, render in [p.values for p in g._cases()]:\n"
        "    case = next(c for c in g.parse(path.read_text()).cases if c.name == name)\n"
        "    print(f'[{path.name} {name}]'); print(render(case))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    for param in _cases():
        path, name, _ = param.values
        assert f"[{path.name} {name}]" in outputs[0]
