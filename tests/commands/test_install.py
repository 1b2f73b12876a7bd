"""The main job works from a real, non-editable install (issue 19, item 5): a wheel built
from this checkout, pip-installed into a fresh venv, runs ``ember tour`` — the sample app
and the native demo come from package data, not from the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding ember from a wheel of this checkout (its runtime dependencies
    are taken from this test environment through a .pth entry: no download)."""
    root = tmp_path_factory.mktemp("install")
    wheels = root / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(wheels), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("ember-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    # llvmlite (and numpy) from this environment, after the venv's own site-packages:
    # a path entry only, so this environment's editable ember is not seen.
    Path(site, "_ember_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _clean_env(cwd: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "EMBER"))}
    env["XDG_CACHE_HOME"] = str(cwd / "xdg")
    return env


def test_the_installed_ember_is_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import ember, ember.examples; print(ember.__file__); print(ember.examples.__path__[0])"],
        capture_output=True, text=True, cwd=tmp_path, env=_clean_env(tmp_path), check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(installed) for p in where), where


def test_ember_tour_runs_from_a_non_editable_install(installed: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(installed / "bin" / "ember"), "tour"],
        capture_output=True, text=True, cwd=tmp_path, env=_clean_env(tmp_path), timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "== 1." in proc.stdout and "compiled" in proc.stdout
    assert "mandelbrot" in proc.stdout  # the native demo ran, from package data
    assert not any(REPO.glob("src/ember/examples/**/__pycache__/*.ember-*"))
