"""Fixtures for CLI golden tests: run ``ember`` in-process on a private sample app and
normalise what varies (timings, the cache tag)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from ember.cli import main

SAMPLEAPP = Path(__file__).resolve().parents[2] / "examples" / "sampleapp"
OLD = 1_600_000_000


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of examples/sampleapp with old mtimes, as the current folder."""
    dest = tmp_path / "app"
    shutil.copytree(SAMPLEAPP, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for path in [dest, *dest.rglob("*")]:
        os.utime(path, (OLD, OLD))
    monkeypatch.chdir(dest)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return dest


def normalise(text: str) -> str:
    text = re.sub(r"in \d+\.\d\d s", "in S s", text)
    return text.replace(sys.implementation.cache_tag, "TAG")


@pytest.fixture
def ember(capsys: pytest.CaptureFixture[str]):
    """``ember(*argv) -> (status, stdout, stderr)``, output normalised."""

    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, normalise(out), normalise(err)

    return run


@pytest.fixture
def cluttered(app: Path) -> Path:
    """The sample app with what a project root also holds: a virtual environment with
    an installed package, build output, node_modules, .git, a venv under another name,
    and a package that happens to be named ``build`` (which is walked)."""
    files = {
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        ".venv/lib/python3.11/site-packages/pkg/__init__.py": "",
        ".venv/lib/python3.11/site-packages/pkg/mod.py": "X = 1\n",
        "build/lib/shop/cart.py": "",
        "node_modules/gyp/gyp.py": "",
        ".git/hooks/hook.py": "",
        "env2/pyvenv.cfg": "home = /usr/bin\n",
        "env2/lib/z.py": "",
        "tools/build/__init__.py": "",
        "tools/build/run.py": "",
    }
    for rel, text in files.items():
        path = app / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (OLD, OLD))
    return app
