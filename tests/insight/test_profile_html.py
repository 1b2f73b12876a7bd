"""``ember profile --html``: the page opens in a real headless browser (Chromium from the
system packages; skipped when it is absent), its script runs, and it shows the chart,
the table and each function's source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ember.insight.profile.html import page
from ember.insight.profile.session import Report

PROGRAM = textwrap.dedent('''\
    import time

    def loop(n):
        s = 0
        for i in range(n):
            s += i % 3
        return s

    def nap():
        time.sleep(0.05)

    def uses_set(n):
        return len({i % 7 for i in range(n)})

    print(loop(400_000), nap(), uses_set(200_000))
''')

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def _browser() -> str | None:
    for name in BROWSERS:
        if (path := shutil.which(name)) is not None:
            return path
    return None


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html")
    (root / "prog.py").write_text(PROGRAM)
    env = {**os.environ, "EMBER_CACHE_DIR": str(root / "cache")}
    proc = subprocess.run([sys.executable, "-m", "ember", "profile", "--html", "r.html",
                           "prog.py"], cwd=root, capture_output=True, text=True, timeout=600,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    assert "wrote r.html" in proc.stderr
    return root / "r.html"


def test_page_is_self_contained(report_page: Path) -> None:
    text = report_page.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text and "<link" not in text


def test_page_renders_in_a_headless_browser(report_page: Path, tmp_path: Path) -> None:
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium here (Debian: apt-get install chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}"]
    url = report_page.as_uri()
    dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True,
                         text=True, timeout=120).stdout
    assert 'class="ready"' in dom  # the page's script ran
    assert dom.count("<rect") >= 3  # one bar part at least per function
    for name in ("loop", "nap", "uses_set"):
        assert f">{name}<" in dom
    assert "does not compile" in dom and 'class="bad"' in dom  # the blocking line marked
    assert "not worth it" in dom and "compile" in dom
    shot = tmp_path / "shot.png"
    subprocess.run([browser, *flags, "--window-size=1100,900", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_empty_report_still_renders() -> None:
    text = page(Report("empty.py", 0.01, 0, [], None, 0.0, 0))
    assert "nothing here is worth compiling" in text.lower() and "<svg" in text
