"""The golden files' format (``tests/data/golden/*.test``), mypyc-style::

    -- comment lines (at the top of the file only)
    [case name]
    <Python source; ENTRY = ("function", (argument types...)) names the compiled one>
    [out]
    <the expected text>

Standard library and ember's pure frontend only: ``tests/data/versions/typed_ir.py``
reads these cases under every installed Python, with no pytest, llvmlite or NumPy.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass
from typing import Any

from ember.native.options import Options

CASE, OUT, COMMENT = "[case ", "[out]", "--"


@dataclass
class Case:
    name: str
    source: str  # without trailing blank lines
    out: str  # the expected text, without trailing blank lines


@dataclass
class GoldenFile:
    header: list[str]  # the leading ``--`` comment lines
    cases: list[Case]

    def render(self) -> str:
        """The file's text; ``parse(text).render() == text`` for a canonical file."""
        parts = ["\n".join(self.header)] if self.header else []
        parts += [f"{CASE}{c.name}]\n{c.source}\n{OUT}\n{c.out}" for c in self.cases]
        return "\n\n".join(parts) + "\n"


def parse(text: str, where: str = "<golden>") -> GoldenFile:
    """The cases of a ``.test`` file; a malformed file is a ValueError naming its line."""
    header: list[str] = []
    cases: list[Case] = []
    name: str | None = None
    source: list[str] = []
    out: list[str] | None = None

    def finish() -> None:
        if name is not None:
            if out is None:
                raise ValueError(f"{where}: case {name!r} has no {OUT} section")
            cases.append(Case(name, "\n".join(source).rstrip("\n"), "\n".join(out).rstrip("\n")))

    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith(CASE):
            finish()
            if not line.endswith("]") or not line[len(CASE):-1].strip():
                raise ValueError(f"{where}:{lineno}: expected '[case name]', got {line!r}")
            name, source, out = line[len(CASE):-1].strip(), [], None
            if any(c.name == name for c in cases):
                raise ValueError(f"{where}:{lineno}: case {name!r} appears twice")
        elif name is None:
            if line.strip() and not line.startswith(COMMENT):
                raise ValueError(f"{where}:{lineno}: text before the first case: {line!r}")
            if line.strip():
                header.append(line)
        elif line == OUT:
            if out is not None:
                raise ValueError(f"{where}:{lineno}: a second {OUT} in case {name!r}")
            out = []
        elif out is None:
            source.append(line)
        else:
            out.append(line)
    finish()
    return GoldenFile(header, cases)


class _Jit:
    """The part of a @jit dispatcher inference reads; ``jit`` in each case's namespace."""

    __ember_jit__ = True

    def __init__(self, func: object) -> None:
        self.py_func = func
        self.options = Options()


def load_entry(case: Case, file: str) -> tuple[Any, tuple[Any, ...]]:
    """(the Python function, its argument types) that case ``case`` of ``file`` names.

    The module name is fixed per case (``golden_<name>``): the mangled symbols, a hash
    of module, qualname and types, are the same on every machine and every run. The
    source is registered with linecache, where ember's frontend reads it (line numbers
    count from the case's first source line)."""
    filename = f"<golden {file} {case.name}>"
    source = case.source + "\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns: dict[str, Any] = {"__name__": f"golden_{case.name}", "jit": _Jit}
    exec(compile(source, filename, "exec"), ns)
    name, arg_types = ns["ENTRY"]
    func = ns[name]
    return getattr(func, "py_func", func), tuple(arg_types)
