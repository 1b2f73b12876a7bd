"""The examples in ember's docstrings run, and say what they print.

Every module's doctests run here (``ember.__main__``, which runs the CLI on import, and
the packaged ``examples`` aside). An example that cannot run in a test — it needs files
that are not there, a terminal, a compiled function loaded in the JIT — is marked
``# doctest: +SKIP`` with its reason as a comment on the same line, before the directive::

    >>> build([Path("app")]).ok  # needs an app on disk  # doctest: +SKIP

so no example is silently never run. The pure modules (no llvmlite binding, no NumPy)
must have at least one example that runs. Running examples never changes what a module
imports: an example imports what it needs itself.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
import re
from pathlib import Path

import pytest

import ember

SRC = Path(ember.__file__).resolve().parent
NOT_RUN = {"ember.__main__"}  # runs the CLI on import


def _modules() -> list[str]:
    names = ["ember"]
    for info in pkgutil.walk_packages([str(SRC)], prefix="ember."):
        if info.name not in NOT_RUN and not info.name.startswith("ember.examples"):
            names.append(info.name)
    return sorted(names)


MODULES = _modules()

# The modules whose examples are their documentation: pure (stdlib, ember's own types and
# IR, llvmlite.ir at most), so every one of them can show a running example.
PURE = [
    "ember.diagnostics", "ember.support.record", "ember.support.skips",
    "ember.support.warnings", "ember.native.types", "ember.native.buffers",
    "ember.native.messages", "ember.native.options", "ember.native.ir.nodes",
    "ember.native.ir.printer", "ember.native.ir.arrays", "ember.native.frontend.source",
    "ember.native.frontend.statements", "ember.native.frontend.operators",
    "ember.native.frontend.builtins", "ember.native.analysis.recursion",
    "ember.native.analysis.loops", "ember.native.boundary.llvm",
    "ember.native.boundary.capi", "ember.pyc.header",
]


def run_doctests(name: str) -> tuple[doctest.TestResults, str]:
    """(failed, attempted) of module ``name``'s examples, and the failure report."""
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=out.write)
    return runner.summarize(verbose=False), out.getvalue()


@pytest.mark.parametrize("name", MODULES)
def test_examples_run_and_print_what_they_say(name: str) -> None:
    results, report = run_doctests(name)
    assert results.failed == 0, report


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_show_a_running_example(name: str) -> None:
    assert name in MODULES
    results, _ = run_doctests(name)
    assert results.attempted > 0, f"{name}: no example runs"


_SKIP = re.compile(r"#\s*doctest:.*\+SKIP")
_REASON = re.compile(r"#\s*[^#\s][^#]*#\s*doctest:")


def test_every_skipped_example_says_why() -> None:
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _SKIP.search(line) and not _REASON.search(line):
                missing.append(f"{path.relative_to(SRC.parent)}:{lineno}: {line.strip()}")
    assert not missing, "a +SKIP without a reason comment before it:\n" + "\n".join(missing)


def test_the_checks_can_fail() -> None:
    assert _REASON.search(">>> f()  # needs a JIT  # doctest: +SKIP")
    assert not _REASON.search(">>> f()  # doctest: +SKIP")
    assert _SKIP.search(">>> f()  # doctest: +SKIP")
    test = doctest.DocTestParser().get_doctest(">>> 1 + 1\n3\n", {}, "t", "t.py", 0)
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda _: None)
    assert runner.summarize(verbose=False).failed == 1
