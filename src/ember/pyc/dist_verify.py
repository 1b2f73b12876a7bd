"""Whether a sourceless copy imports: every module of an ``ember dist`` OUT imported
in a fresh interpreter, telling a broken copy from a dependency not installed here.

Its own module so that :mod:`ember.pyc.dist` (which writes OUT) stays under the size
the team keeps files to; only ``make_dist`` calls it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: ember.pyc.dist imports this module
    from ember.pyc.dist import DistModule

VERIFY_TIMEOUT = 300.0

# Runs in a fresh interpreter with OUT first on sys.path. Modules named __main__ are
# only loaded (importing one would run the app); the rest are imported, and must come
# from OUT. Results go to a file: the modules may print.
_VERIFY = r"""
import importlib, importlib.util, json, os, sys
root, names, result_path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
sys.path.insert(0, root)
prefix = os.path.abspath(root) + os.sep
results = {}
for name in names:
    try:
        if name.rpartition(".")[2] == "__main__":
            spec = importlib.util.find_spec(name)
            spec.loader.get_code(name)
            where = spec.origin
        else:
            where = getattr(importlib.import_module(name), "__file__", None)
        if where is None or not os.path.abspath(where).startswith(prefix):
            results[name] = ["imported from outside OUT: %s" % where, None]
        else:
            results[name] = None
    except BaseException as exc:
        missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
        results[name] = ["%s: %s" % (type(exc).__name__, exc), missing]
with open(result_path, "w") as f:
    json.dump(results, f)
"""


@dataclass(frozen=True, slots=True)
class Verification:
    """What importing every module of OUT found: module → why it failed, and module →
    the top-level module it needs that is not installed here."""

    failures: dict[str, str]
    missing: dict[str, str]


def verify_imports(out: Path, modules: tuple[DistModule, ...]) -> Verification:
    """Import every module of ``out`` in a fresh interpreter (this Python, with
    ``-B`` so nothing is written into OUT).

    A ModuleNotFoundError for a top-level name that is not one of OUT's own is a
    third-party dependency missing here (django, say, for an app that uses it
    optionally), not a broken copy: it goes to ``missing``, not ``failures``.
    """
    import subprocess
    import tempfile

    names = [m.name for m in modules]
    ours = {name.partition(".")[0] for name in names}
    with tempfile.TemporaryDirectory() as scratch:
        result_path = os.path.join(scratch, "verify.json")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            proc = subprocess.run(
                [
                    sys.executable,
                    "-B",
                    "-c",
                    _VERIFY,
                    str(out.resolve()),
                    json.dumps(names),
                    result_path,
                ],
                cwd=out,
                env=env,
                capture_output=True,
                timeout=VERIFY_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            why = f"importing the modules did not finish in {VERIFY_TIMEOUT:g} s"
            return Verification({"*": why}, {})
        try:
            with open(result_path, encoding="utf-8") as f:
                results = json.load(f)
        except (OSError, ValueError):
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            why = f"the import check crashed (exit {proc.returncode}) {''.join(tail)}"
            return Verification({"*": why}, {})
    failures: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name, outcome in results.items():
        if outcome is None:
            continue
        why, needs = outcome
        if isinstance(needs, str) and "." not in needs and needs not in ours:
            missing[name] = needs
        else:
            failures[name] = why
    return Verification(failures, missing)
