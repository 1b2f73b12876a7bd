"""Property tests of inference (ember.native.frontend.statements) with hypothesis: random expressions
get the type CPython computes, random bodies give IR meeting the lowering's invariants
or a clean EmberError. Inference only: no lowering, no LLVM."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ember.diagnostics import EmberError
from ember.native.frontend.statements import infer_unit
from ember.native.frontend.unknown import is_unknown
from ember.native.ir import nodes as ir
from ember.native.options import Options
from ember.native.types import BOOL, FLOAT64, INT64


def root(func: object, *arg_types: object) -> ir.TypedFunction:
    return infer_unit(func, arg_types, Options()).root  # type: ignore[arg-type]


# ------------------------------------------- differential typing (hypothesis)


_LEAVES = st.sampled_from(["a", "b", "c", "0", "1", "-3", "2.5", "-0.0", "True", "False"])
_BINARY = ["+", "-", "*", "/", "//", "%", "<<", ">>", "&", "|", "^", "<", "<=", "==", "!="]
_WRAPS = ["-({})", "+({})", "~({})", "(not {})", "abs({})", "int({})", "float({})",
          "round({})", "math.floor({})", "({}) ** 2", "({}) ** -1", "bool({})"]


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(_BINARY), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})")
        wrapped = st.tuples(st.sampled_from(_WRAPS), inner).map(lambda t: t[0].format(t[1]))
        return binary | wrapped

    # Bounded so that Python's own evaluation stays small (no 1 << 3**2**2**2**2).
    return st.recursive(_LEAVES, extend, max_leaves=6).filter(
        lambda t: len(t) < 90 and t.count("<<") + t.count("**") <= 2)


_MODULES = iter(range(10**9))
_FOLDER: list[object] = []


def _compile_module(source: str) -> object:
    """Import ``source`` from a real file (inference reads source through inspect)."""
    import importlib.util
    import tempfile
    from pathlib import Path

    if not _FOLDER:  # one folder per test session, removed when the process exits
        _FOLDER.append(tempfile.TemporaryDirectory(prefix="ember_infer_"))
    folder = Path(_FOLDER[0].name)  # type: ignore[attr-defined]
    path = folder / f"case_{next(_MODULES)}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PY_TYPES = {int: INT64, float: FLOAT64, bool: BOOL}
_SAMPLES = [(3, -2.5, True), (-7, 0.5, False), (0, 3.0, True)]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python's own ~True on 3.12+
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions())
def test_inferred_type_is_the_type_python_computes(text):
    """Whatever Python computes from int, float and bool operands, inference gives it
    that type; where Python raises TypeError (a float shifted), inference refuses to
    compile. Never any other exception."""
    module = _compile_module(f"import math\n\n\ndef f(a, b, c):\n    return {text}\n")
    func = module.f  # type: ignore[attr-defined]
    try:
        fn = root(func, INT64, FLOAT64, BOOL)
    except EmberError:
        fn = None
    outcomes = []
    for sample in _SAMPLES:
        try:
            outcomes.append(type(func(*sample)))
        except TypeError:
            outcomes.append(TypeError)
        except (ZeroDivisionError, ValueError, OverflowError, MemoryError):
            pass  # run-time errors: the compiled code raises them too
    if not outcomes:
        return  # Python raised before any type could show (~(0 ** -1))
    if TypeError in outcomes:
        assert fn is None, text
        return
    assert fn is not None, text
    for kind in outcomes:
        assert _PY_TYPES[kind] == fn.return_type, text


_VARS = ["u", "v", "w"]
_VALUES = ["0", "1.5", "True", "n", "(n, 1)", "u", "v + 1", "w * 2.0", "n // 3", "-u",
           "abs(v)", "max(u, n)", "u if n > 2 else 0.5", "(u, v)[0]", "math.sqrt(n)"]


def _statements(depth: int, in_loop: bool = False) -> st.SearchStrategy[list[str]]:
    options = [
        st.tuples(st.sampled_from(_VARS), st.sampled_from(_VALUES)).map(
            lambda t: [f"{t[0]} = {t[1]}"]),
        st.tuples(st.sampled_from(_VARS), st.sampled_from(["+=", "*=", "//=", "/="]),
                  st.sampled_from(_VALUES)).map(lambda t: [f"{t[0]} {t[1]} {t[2]}"]),
        st.sampled_from(_VALUES).map(lambda v: [f"return {v}"]),
    ]
    if in_loop:
        options += [st.just(["break"]), st.just(["continue"])]
    simple = st.one_of(*options)
    if depth == 0:
        return simple

    def block(loop: bool) -> st.SearchStrategy[list[str]]:
        return st.lists(_statements(depth - 1, loop), min_size=1, max_size=3).map(
            lambda blocks: ["    " + line for b in blocks for line in b])

    compound = st.one_of(
        st.tuples(block(in_loop), block(in_loop)).map(
            lambda t: ["if n > 1:", *t[0], "else:", *t[1]]),
        st.tuples(block(True), block(False)).map(
            lambda t: ["for i in range(n):", *t[0], "else:", *t[1]]),
        block(True).map(lambda b: ["while n > 0:", "    n -= 1", *b]),
    )
    return simple | compound


def _check_invariants(fn: ir.TypedFunction) -> None:
    """What the lowering relies on: every conversion explicit, no unknown type left."""
    local = dict(fn.locals)
    for node in ir.nodes(fn.body):
        t = getattr(node, "type", None)
        assert not is_unknown(t), node
        if isinstance(node, ir.Assign):
            assert node.value.type == local[node.target], node
        if isinstance(node, ir.Name):
            assert node.type == local[node.name], node
        if isinstance(node, ir.BinOp):
            assert node.left.type == node.right.type, node
        if isinstance(node, ir.Return):
            assert node.value.type == fn.return_type, node
        if isinstance(node, (ir.If, ir.While)):
            assert node.test.type == BOOL, node
        if isinstance(node, ir.ForRange):
            assert local[node.target] == INT64
            assert {node.start.type, node.stop.type, node.step.type} == {INT64}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_statements(2), min_size=1, max_size=4))
def test_any_program_types_consistently_or_is_refused_cleanly(blocks):
    """Random bodies (loops, branches, breaks outside loops, conflicting types...):
    inference either gives IR meeting the lowering's invariants, or an EmberError that
    is the user's (never an internal error, never another exception)."""
    body = ["u = n", "v = 1", "w = 0.5"] + [line for b in blocks for line in b]
    source = "import math\n\n\ndef f(n):\n" + "".join(f"    {line}\n" for line in body)
    module = _compile_module(source)
    try:
        unit = infer_unit(module.f, (INT64,), Options())  # type: ignore[attr-defined]
    except EmberError as exc:
        assert "internal error" not in str(exc), source
        return
    for fn in unit.functions:
        _check_invariants(fn)
