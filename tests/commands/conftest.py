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
