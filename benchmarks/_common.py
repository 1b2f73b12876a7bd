"""Shared by the benchmark scripts: which ember tree is measured, the optional anchors,
and ember's own .pyc."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

CHECKOUT_SRC = Path(__file__).resolve().parent.parent / "src"


def add_src_option(parser: argparse.ArgumentParser) -> None:
    """``--src``: the source tree whose ember is measured, so that one interpreter (and
    one copy of these scripts) can measure two commits, e.g. a ``git worktree`` of the
    old one against this checkout."""
    parser.add_argument(
        "--src", type=Path, default=CHECKOUT_SRC, metavar="DIR",
        help=f"the src/ folder holding the ember to measure (default: {CHECKOUT_SRC})",
    )


def use_src(src: Path) -> Path:
    """Make ``src`` the ember of this process and of every subprocess it starts: first on
    sys.path, and first on PYTHONPATH (which subprocesses inherit through os.environ).
    An editable install of another tree stays behind it (PYTHONPATH precedes site)."""
    src = src.resolve()
    if not (src / "ember" / "__init__.py").is_file():
        raise SystemExit(f"--src {src}: no ember package there (expected {src}/ember/__init__.py)")
    sys.path.insert(0, str(src))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
    print(f"ember from {src} ({describe(src)})")
    return src


def describe(src: Path) -> str:
    """The commit of a source tree, with '+changes' when its src/ differs from it: the
    label that says what a figure measured."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(src), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "not a git checkout"
    return commit + ("+changes" if git("status", "--porcelain", "--", ".") else "")


def have(module: str) -> bool:
    """Whether an anchor (numba) is installed: anchors are a benchmark-only extra
    (``pip install -e '.[bench]'``), never needed to measure ember itself."""
    return importlib.util.find_spec(module) is not None


def anchor_note(module: str) -> None:
    print(f"({module} is not installed: its columns are skipped; "
          f"`pip install -e '.[bench]'` adds it)")


def precompile_ember() -> None:
    """Give ember's own modules their .pyc, as an installed copy has them (pip writes
    them at install time; Numba's are there too). A checkout run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile ember from source in every fresh
    process, ~50 ms that no installed user pays. Uses ``ember build`` itself."""
    import ember

    package = Path(ember.__file__).resolve().parent
    subprocess.run([sys.executable, "-m", "ember", "build", "-q", str(package)], check=True)
    print(f"(ember's modules precompiled with `ember build -q {package}`, as an install has them)")
