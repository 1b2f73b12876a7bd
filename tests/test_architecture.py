"""The shape of the code (docs/architecture.md), checked: import-linter's layer contracts,
no import cycle between modules (imports inside functions included), no file over 800
lines, no function over 80, and llvmlite.binding only in the backend."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
MAX_LINES = 800
MAX_FUNCTION_LINES = 80
# Functions that may stay longer than MAX_FUNCTION_LINES: qualified name → why. A new
# entry needs a reason a reviewer accepts (a table, say, that reads best whole).
LONG_FUNCTIONS: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "ember").rglob("*.py")):
        if "examples" in path.parts:  # sample user code, not ember
            continue
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _run_time_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at any depth: not those under
    ``if TYPE_CHECKING:`` (annotations only)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return [n for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in skipped]


def import_graph() -> dict[str, set[str]]:
    """module → the ember modules it imports (resolved to the deepest existing module)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in _run_time_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up) + ("." + base if base else "")
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (the compiler's own
    component finder, which codegen uses for recursion groups)."""
    from ember.native.analysis.recursion import components

    groups: dict[int, list[str]] = {}
    for node, group in components(graph).items():
        groups.setdefault(group, []).append(node)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_no_source_file_over_800_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in _modules().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def function_lengths(module: str, tree: ast.AST) -> dict[str, int]:
    """Qualified name (``module.Class.method``, ``module.f.nested``) → lines, from the
    ``def`` line to the last line of the body; a nested function counts in its owner
    as well as on its own, as a reader has to take in both."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}.{child.name}"
                if not isinstance(child, ast.ClassDef):
                    lengths[name] = (child.end_lineno or child.lineno) - child.lineno + 1
                visit(child, name)
            else:  # functions under an `if` or `try` are still the module's
                visit(child, prefix)

    visit(tree, module)
    return lengths


def test_the_function_measure_counts_methods_and_nested_functions() -> None:
    tree = ast.parse("class C:\n    def m(self):\n        def inner():\n"
                     "            pass\n        return 1\nif True:\n    def f(): pass\n")
    assert function_lengths("mod", tree) == {"mod.C.m": 4, "mod.C.m.inner": 2, "mod.f": 1}


def test_no_function_over_80_lines() -> None:
    # The team's rule: no function over ~80 lines without a reason. A long one is
    # split at its seams (phases, helpers with explicit arguments), or listed in
    # LONG_FUNCTIONS with the reason it must stay whole.
    lengths: dict[str, int] = {}
    for module, path in _modules().items():
        lengths |= function_lengths(module, ast.parse(path.read_text(encoding="utf-8")))
    long = {name: n for name, n in lengths.items()
            if n > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS}
    assert long == {}
    # An entry outlives its function, or the function got short: the list stays honest.
    assert {name for name in LONG_FUNCTIONS if lengths.get(name, 0) <= MAX_FUNCTION_LINES} == set()


def test_only_the_backend_uses_llvmlite_binding() -> None:
    users = set()
    for name, path in _modules().items():
        for node in _run_time_imports(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [f"{node.module}.{a.name}" for a in node.names])
            if any(n.startswith("llvmlite.binding") for n in names):
                users.add(name)
    assert users <= {"ember.native.backend.engine"}


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    proc = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_no_private_name_is_imported_from_another_module() -> None:
    # A name used by another module is part of its API: make it public or move the code.
    found = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "")
                                                     .split(".")[0] == "ember"):
                found += [f"{name}: {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == []
