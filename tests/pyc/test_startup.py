"""``ember startup``: the parsers of the interpreter's reports, the table, and real
cold/warm measurements of a small app (examples/sampleapp) that must show cold > warm,
name the modules and where their code came from, and leave the app's folder alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ember.diagnostics import EmberError
from ember.pyc import startup
from ember.pyc.startup import (
    CACHE,
    COMPILED,
    FROZEN,
    ImportRecord,
    ModuleTiming,
    StartupReport,
    Target,
    measure,
    parse_importtime,
    parse_sources,
    render_table,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLEAPP = ROOT / "examples" / "sampleapp"


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), e.get("PYTHONPATH")]))
    return e


def ember(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ember", "startup", *args],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A private copy of the sample app (or, until it exists, a stand-in that imports
    enough stdlib to be measurable)."""
    copy = tmp_path / "app"
    if (SAMPLEAPP / "main.py").exists():
        shutil.copytree(SAMPLEAPP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    else:  # pragma: no cover - before P1's sample app lands
        copy.mkdir()
        (copy / "main.py").write_text("import json, email.message, argparse\nprint('ok')\n")
    return copy


def pycache_dirs(root: Path) -> list[Path]:
    return sorted(root.rglob("__pycache__"))


# --- parsing ------------------------------------------------------------------------


def test_parse_importtime_reads_self_cumulative_and_depth() -> None:
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       120 |        120 |     json.scanner\n"
        "import time:       300 |        420 |   json.decoder\n"
        "some line the program printed\n"
        "import time:      1000 |       1420 | json\n"
    )
    assert parse_importtime(stderr) == [
        ImportRecord("json.scanner", 120, 120, 2),
        ImportRecord("json.decoder", 300, 420, 1),
        ImportRecord("json", 1000, 1420, 0),
    ]


def test_parse_sources_pairs_code_objects_with_their_imports() -> None:
    stderr = "\n".join(
        [
            "# code object from '/pfx/lib/json/__init__.cpython-311.pyc'",
            "# code object from /lib/json/decoder.py",
            "# code object from /lib/broken.py",  # raised: no import line follows
            "import 'os' # <class '_frozen_importlib.FrozenImporter'>",
            "import '_json' # <_frozen_importlib_external.ExtensionFileLoader object at 0x1>",
            "import 'json.decoder' # <_frozen_importlib_external.SourceFileLoader object at 0x2>",
            "import 'json' # <_frozen_importlib_external.SourceFileLoader object at 0x3>",
            "import 'sys' # <class '_frozen_importlib.BuiltinImporter'>",
            "# code object from '/lib/__pycache__/legacy.cpython-311.pyc'",
            "import 'legacy' # <_frozen_importlib_external.SourcelessFileLoader object at 0x4>",
        ]
    )
    assert parse_sources(stderr) == {
        "os": FROZEN,
        "_json": startup.EXTENSION,
        "json.decoder": COMPILED,
        "json": CACHE,
        "sys": startup.BUILTIN,
        "legacy": startup.PYC_ONLY,
    }


GOLDEN_TABLE = """\
ember startup: python main.py  (Python 3.11.7, 3 runs each)
  cold  min    110.0 ms  median    120.0 ms  (no caches: every module from source compiled)
  warm  min     30.0 ms  median     31.0 ms  (caches written by a first run)
  gain  89.0 ms per start (3.9x faster warm)

imports: 3 modules, self time 11.7 ms cold (2 compiled) vs 1.5 ms warm (2 from cache)
the 2 slowest cold (self time, best of the profiled runs):
  module      cold ms   warm ms     saved  cold from   warm from
  enum           9.00      0.90      8.10  compiled   cache
  shop.cart      2.50      0.40      2.10  compiled   cache
python compiles the script itself on every run, cold or warm; `ember run` caches it too.
"""


def test_render_table_golden() -> None:
    report = StartupReport(
        target="main.py",
        python="python",
        python_version="3.11.7",
        runs=3,
        cold=(0.120, 0.110, 0.130),
        warm=(0.031, 0.030, 0.032),
        modules=(
            ModuleTiming("shop.cart", 2500, 400, COMPILED, CACHE),
            ModuleTiming("enum", 9000, 900, COMPILED, CACHE),
            ModuleTiming("os", 200, 210, FROZEN, FROZEN),
        ),
    )
    assert render_table(report, top=2) + "\n" == GOLDEN_TABLE
    data = report.to_json(top=1)
    assert data["gain_s"] == pytest.approx(0.089)
    assert [m["name"] for m in data["modules"]] == ["enum"]


# --- measuring ----------------------------------------------------------------------


def test_cold_is_slower_than_warm_and_modules_are_named(app: Path) -> None:
    report = measure(Target.of_script("main.py"), runs=3, profile_runs=1, cwd=app)
    # Sums over several runs: one noisy run cannot flip the comparison. The sample
    # imports dozens of stdlib modules, so compiling them costs tens of milliseconds.
    assert sum(report.cold) > sum(report.warm)
    assert report.returncode == 0
    by_name = {m.name: m for m in report.modules}
    compiled_cold = {n for n, m in by_name.items() if m.cold_how == COMPILED}
    cached_warm = {n for n, m in by_name.items() if m.warm_how == CACHE}
    assert compiled_cold and compiled_cold == cached_warm
    # The start-up modules of the stdlib are frozen since 3.11; 3.10 loads os like any
    # other module (compiled cold, from its cache warm).
    os_how = (FROZEN, FROZEN) if sys.version_info >= (3, 11) else (COMPILED, CACHE)
    assert (by_name["os"].cold_how, by_name["os"].warm_how) == os_how
    if (app / "shop").is_dir():  # the sample app's own package is among them
        assert {"shop", "shop.cart"} <= cached_warm
    top = report.top(5)
    assert top[0].cold_us >= top[-1].cold_us and all(m.cold_how == COMPILED for m in top[:3])
    # The user's tree is never given a cache by measuring it.
    assert pycache_dirs(app) == []


def test_a_module_target(tmp_path: Path) -> None:
    report = measure(
        Target.of_module("json.tool", ["--help"]), runs=1, profile_runs=1, cwd=tmp_path
    )
    assert report.target == "-m json.tool --help" and report.returncode == 0
    assert "json.decoder" in {m.name for m in report.modules}


def test_a_missing_script_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmberError, match="can't open file 'nope.py'"):
        measure(Target.of_script("nope.py"), cwd=tmp_path)


# --- the command line ---------------------------------------------------------------


def test_cli_table_and_json(app: Path) -> None:
    table = ember("-n", "1", "--profile-runs", "1", "--top", "3", "main.py", cwd=app)
    assert table.returncode == 0, table.stderr
    assert "cold  min" in table.stdout and "the 3 slowest cold" in table.stdout
    as_json = ember("-n", "2", "--profile-runs", "1", "--json", "main.py", cwd=app)
    data = json.loads(as_json.stdout)
    assert len(data["cold_s"]["all"]) == len(data["warm_s"]["all"]) == 2
    assert data["modules"] and {"name", "cold_us", "warm_us", "cold", "warm"} <= set(
        data["modules"][0]
    )
    assert pycache_dirs(app) == []


def test_cli_missing_script(tmp_path: Path) -> None:
    result = ember("nope.py", cwd=tmp_path)
    assert result.returncode == 1  # not a usage error: the command line is well formed
    assert "error: can't open file 'nope.py'" in result.stderr and "hint:" in result.stderr


def test_cli_plot_needs_a_known_format(tmp_path: Path) -> None:
    result = ember("--plot", "out.pdf", "main.py", cwd=tmp_path)
    assert result.returncode == 2 and "FILE.png or FILE.svg" in result.stderr


@pytest.mark.skipif(startup.plot_available(), reason="matplotlib is installed")
def test_cli_plot_without_matplotlib_says_what_to_install(app: Path) -> None:
    result = ember("--plot", "out.png", "main.py", cwd=app)
    assert result.returncode == 1
    assert result.stderr == "error: --plot needs matplotlib (pip install matplotlib)\n"
    assert not (app / "out.png").exists()


@pytest.mark.skipif(not startup.plot_available(), reason="matplotlib is not installed")
def test_cli_plot_writes_the_file(app: Path) -> None:  # pragma: no cover - optional extra
    result = ember("-n", "1", "--profile-runs", "1", "--plot", "out.svg", "main.py", cwd=app)
    assert result.returncode == 0, result.stderr
    assert (app / "out.svg").read_text().lstrip().startswith("<?xml")


def test_help_teaches() -> None:
    result = ember("--help", cwd=ROOT)
    assert result.returncode == 0
    for needle in ("PYTHONPYCACHEPREFIX", "--json", "--plot", "examples:", "-m MODULE"):
        assert needle in result.stdout
