"""ember build writes what a fresh ``python -c "import py_compile; ..."`` process writes
for each file, whatever the building process imported, in any order, from any worker,
at any worker count (issue 19 item 0).

marshal flags an object for back-references by its reference count, so the bytes can
depend on what else is alive where a file is compiled. The files here hit that: one
frozenset constant used twice, once with fresh strings (it is shared only when the
strings were interned already: by the previous -O level's code, or by an earlier file
in a 3.12 worker, where interned strings are immortal), once with names that
``random`` interns (imported by the building process, never by py_compile), and once
with names of ``unicodedata``, which compiling an earlier file imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
VERSIONS = ("3.10.13", "3.11.7", "3.12.1", "3.13.0")

TEMPLATE = '''\
def first(reply):
    """A docstring: -O2 drops it, so the constants differ per level."""
    if reply[:3] not in {{{names}}}:
        return 1
    return 0


def second(reply):
    return reply[:3] in {{{names}}}
'''

TREE = {
    # biggest first in the queue, so `fresh` is compiled before `later` by one worker
    "fresh.py": TEMPLATE.format(names="'q125x', 'q150x'") + "# padding\n" * 40,
    "later.py": TEMPLATE.format(names="'q125x', 'q150x'").replace("first", "third"),
    "imported.py": TEMPLATE.format(names="'randint', 'shuffle'"),
    # a compiler warning mid-compile: py_compile shows it (linecache reads the file),
    # the worker records it; neither may change the bytes
    "warns.py": TEMPLATE.format(names="'q7x', 'q8x'") + "flag = 1 is 1\n",
    # a \\N{...} escape makes the compiler import unicodedata, whose names stay
    # interned in that process for every later file (this one is the biggest:
    # compiled first by one worker)
    "named.py": "bullet = '\\N{BULLET}'\n" + "# padding\n" * 200,
    "victim.py": TEMPLATE.format(names="'unidata_version', 'mirrored'")
    + "def name():\n    return 'is_normalized'\n",
}

# Run under each Python: import what the building process might, build the tree in
# several ways, compare every pyc with a fresh py_compile process's.
SCRIPT = textwrap.dedent(
    """
    import random, subprocess, sys, tempfile  # random interns 'randint' in this process
    from pathlib import Path
    from ember.pyc import build as build_mod
    from ember.pyc.build import build
    from ember.pyc.cache import cache_path

    tree = Path(sys.argv[1])
    srcs = sorted(tree.glob("*.py"))
    ref = {}
    for src in srcs:
        for level in (0, 1, 2):
            out = tempfile.mktemp(suffix=".pyc")
            subprocess.run([sys.executable, "-c", "import py_compile, sys; "
                "py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True, "
                "optimize=int(sys.argv[3]))", str(src), out, str(level)], check=True)
            ref[src, level] = Path(out).read_bytes()
    bad = []

    def check(label):
        for src in srcs:
            for level in (0, 1, 2):
                if cache_path(src, optimization=level).read_bytes() != ref[src, level]:
                    bad.append((label, src.name, level))

    build_mod._SMALL_BUILD_BYTES = 0  # two workers even for this small tree
    for jobs in (1, 2):
        assert build([tree], levels=(0, 1, 2), force=True, jobs=jobs).ok
        check(f"-j{jobs}")
    real_plan = build_mod._plan

    def reversed_plan(*args):
        plan = real_plan(*args)
        plan.tasks.reverse()
        plan.sizes.reverse()
        return plan

    build_mod._plan = reversed_plan
    assert build([tree], levels=(2, 1, 0), force=True, jobs=1).ok
    check("reversed")
    build_mod._plan = real_plan
    for src in reversed(srcs):
        assert build([src], levels=(1, 0, 2), force=True, jobs=1).ok
    check("one by one")
    print("mismatches", bad)
    print("checked", len(ref))
    """
)


def _python(version: str) -> str:
    exe = Path(f"/root/.pyenv/versions/{version}/bin/python")
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version.rsplit(".", 1)[0]:
        return sys.executable  # this Python: the venv's, as users run it
    if not exe.exists():
        pytest.skip(f"Python {version} is not installed here")
    return str(exe)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_way_of_building_gives_fresh_py_compile_bytes(tmp_path, version):
    for name, text in TREE.items():
        (tmp_path / name).write_text(text)
        os.utime(tmp_path / name, (1_600_000_000, 1_600_000_000))
    # A fixed hash seed: 3.10's marshal writes a frozenset in iteration order, so even
    # two fresh py_compile processes differ without one.
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        [_python(version), "-c", SCRIPT, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "mismatches []" in out.stdout and "checked 18" in out.stdout, out.stdout


def _names(code, found: set[str]) -> set[str]:
    found.update((*code.co_names, *code.co_varnames, *code.co_cellvars, *code.co_freevars))
    for const in code.co_consts:
        if isinstance(const, type(code)):
            _names(const, found)
        elif isinstance(const, str) and const.isidentifier():
            found.add(const)
    return found


@pytest.mark.parametrize("version", VERSIONS)
def test_the_worker_interns_no_name_py_compile_does_not(version):
    # Each identifier in the worker's source is interned when it starts; one that a
    # fresh py_compile process does not intern would change the bytes of a file using
    # that name in a shared constant.
    source = (SRC / "ember" / "pyc" / "compile_worker.py").read_text(encoding="utf-8")
    names = sorted(_names(compile(source, "<worker>", "exec"), set()))
    assert len(names) > 40
    check = (
        "import py_compile, sys\n"
        "print(' '.join(s for s in sys.stdin.read().split() if sys.intern(s) is s))"
    )
    out = subprocess.run(
        [_python(version), "-c", check],
        input=" ".join(names),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == []


def test_python_3_10_pycs_do_not_follow_the_hash_seed(tmp_path):
    # 3.10 writes a frozenset in hash order: with no PYTHONHASHSEED, the workers use 0.
    python = _python("3.10.13")
    source = tmp_path / "sets.py"
    source.write_text("def f(x):\n    return x in {'alpha', 'beta', 'gamma', 'delta', 'eps'}\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = str(SRC)
    ref = tmp_path / "ref.pyc"
    check = "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2])"
    subprocess.run(
        [python, "-c", check, str(source), str(ref)], env={**env, "PYTHONHASHSEED": "0"}, check=True
    )
    built = []
    for _ in range(3):
        run = subprocess.run(
            [python, "-m", "ember", "build", "-q", "-f", str(source)], env=env, check=False
        )
        assert run.returncode == 0
        built.append(next((tmp_path / "__pycache__").glob("sets.*.pyc")).read_bytes())
    assert built == [ref.read_bytes()] * 3
