"""Options for the whole suite (pytest reads ``pytest_addoption`` only from the
conftests it loads first, so they are defined here, at the top)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", dest="update_golden",
        help="rewrite the expected texts of tests/data/golden/*.test (tests/native/test_golden.py)",
    )
