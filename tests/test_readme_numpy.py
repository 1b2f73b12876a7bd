"""README's list of the NumPy API compiled code supports cannot drift: it is generated
from the frontend's own tables (``python -m ember.native.frontend.numpy_api``), and every
name in it is exercised by a test under tests/native."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ember.native.frontend.numpy_api import BEGIN, END, readme_block, supported

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_block_is_the_generated_one() -> None:
    text = README.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == readme_block(), (
        "README's NumPy list is stale: run `python -m ember.native.frontend.numpy_api "
        "README.md`")


def _test_sources() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "tests" / "native").rglob("*.py")))


@pytest.mark.parametrize("kind", ["functions", "ufuncs", "methods", "attributes"])
def test_every_supported_name_is_tested(kind: str) -> None:
    sources = _test_sources()
    untested = []
    for shown in supported()[kind]:
        name = shown.removeprefix("np.").strip(".()")
        # Called as np.name(...) / a.name(...) / a.name, or named as a string in a
        # parametrized test ("sqrt").
        pattern = rf"(np\.{name}\b|\.{name}\b|[\"']{name}[\"'])"
        if not re.search(pattern, sources):
            untested.append(shown)
    assert not untested, f"supported but never exercised by a test: {untested}"
