"""One verdict for build, status and inspect: a cache whose header is fresh over a body
that does not unmarshal is corrupt for all three, and build rewrites it."""

from __future__ import annotations

import importlib.util
import marshal
import os
from pathlib import Path

from ember.pyc.build import build
from ember.pyc.cache import judge
from ember.pyc.header import HEADER_SIZE
from ember.pyc.inspect import inspect_target, render

OLD = 1_600_000_000


def _cut_cache(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "good.py"
    source.write_text("def f():\n    return 'a fairly long string constant'\n" * 3)
    os.utime(source, (OLD, OLD))
    assert build([source], jobs=1).count("compiled") == 1
    pyc = Path(importlib.util.cache_from_source(str(source)))
    pyc.write_bytes(pyc.read_bytes()[:40])  # header intact, body cut short
    return source, pyc


def test_build_rebuilds_what_status_calls_corrupt(tmp_path: Path) -> None:
    source, pyc = _cut_cache(tmp_path)
    assert judge(source).state == "corrupt"
    report = build([source], jobs=1)
    assert (report.count("compiled"), report.count("fresh")) == (1, 0)
    marshal.loads(pyc.read_bytes()[HEADER_SIZE:])  # a whole body again
    assert judge(source).state == "fresh"
    assert build([source], jobs=1).count("fresh") == 1


def test_inspect_does_not_call_a_corrupt_body_fresh(tmp_path: Path) -> None:
    source, _ = _cut_cache(tmp_path)
    report = inspect_target(str(source))
    assert report.verdict is not None and report.verdict.state == "corrupt"
    assert report.verdict.state == judge(source).state
    assert "verdict   fresh" not in render(report)
