"""The folders a tree walk leaves out by default, as every other tool does: a folder →
why it is skipped (or None), and the one-line note that names what was skipped::

    >>> skip_reason("/repo/node_modules", "node_modules")
    'JavaScript packages'
    >>> skipped_note([Skipped(".venv", VENV), Skipped("dist", BUILD)])
    'skipped .venv (a virtual environment), dist (build output); --no-default-excludes walks them'

Shared by build, status, clean and dist (and the native cache's walk of the same
trees), so that ``ember clean -n .`` at a repository
root never lists the 1,890 caches of ``.venv`` and ``ember status -q .`` never reports
pip's own install. A PATH named on the command line is always walked, whatever its
name; below one that is (or lies inside) a virtual environment or an installed-packages
folder nothing is skipped, so ``ember build .venv/lib/python3.11/site-packages`` builds
all of it. Stdlib only, cheap: one ``stat`` per folder walked (for ``pyvenv.cfg``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

VENV = "a virtual environment"
BUILD = "build output"
VCS = "version control"
FLAG = "--no-default-excludes"

_VCS_NAMES = frozenset({".git", ".hg", ".svn"})
_BY_NAME = {
    ".venv": VENV,
    "venv": VENV,
    ".tox": "tox environments",
    ".nox": "nox environments",
    "site-packages": "installed packages",
    "node_modules": "JavaScript packages",
    "build": BUILD,
    "dist": BUILD,
}
# Below these (or a pyvenv.cfg folder) a walk is of installed code, asked for on purpose.
_ENVIRONMENT_NAMES = frozenset({"site-packages", "dist-packages", ".tox", ".nox"})
_LIBRARY = re.compile(r"python\d+\.\d+t?")  # lib/python3.13t: a free-threaded build's


@dataclass(frozen=True, slots=True)
class Skipped:
    """A folder a walk left out: ``path`` as the user would write it, and why."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


def skip_reason(path: str, name: str) -> str | None:
    """Why the folder ``path`` (last component ``name``) is skipped by default, or None
    to walk it. A folder holding ``__init__.py`` is a package and is walked whatever its
    name (``pip/_internal/operations/build`` is one; the stdlib has a ``venv``
    package), except version-control metadata, which never holds importable code."""
    if name in _VCS_NAMES:
        return VCS
    if os.path.isfile(os.path.join(path, "pyvenv.cfg")):
        return VENV
    why = _BY_NAME.get(name)
    if why is None or os.path.exists(os.path.join(path, "__init__.py")):
        return None
    return why


def walks_everything(root: str) -> bool:
    """Whether ``root`` (a PATH given on the command line) is, or lies inside, a
    virtual environment, an installed-packages folder or a Python's library
    (``lib/python3.11``, whose ``site-packages`` is part of the install): then a walk
    below it skips nothing by default (the user asked for installed code by naming it)."""
    here = os.path.abspath(root)
    while True:
        name = os.path.basename(here)
        if name in _ENVIRONMENT_NAMES or os.path.isfile(os.path.join(here, "pyvenv.cfg")):
            return True
        if _LIBRARY.fullmatch(name) and os.path.basename(os.path.dirname(here)) == "lib":
            return True
        parent = os.path.dirname(here)
        if parent == here:
            return False
        here = parent


def skipped_note(skipped: Iterable[Skipped]) -> str | None:
    """One line naming the skipped folders, grouped by reason (at most three names a
    group), or None when there is nothing worth saying: version-control folders are
    skipped silently, as every tool does."""
    groups: dict[str, list[str]] = {}
    for s in skipped:
        if s.reason != VCS:
            groups.setdefault(s.reason, []).append(s.path)
    if not groups:
        return None
    parts = [f"{_names(paths)} ({reason})" for reason, paths in groups.items()]
    them = "it" if sum(map(len, groups.values())) == 1 else "them"
    return f"skipped {', '.join(parts)}; {FLAG} walks {them}"


def _names(paths: list[str]) -> str:
    if len(paths) > 3:
        return f"{', '.join(paths[:3])} and {len(paths) - 3} more"
    if len(paths) == 1:
        return paths[0]
    return f"{', '.join(paths[:-1])} and {paths[-1]}"
