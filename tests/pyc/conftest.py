"""Shared fixtures for the bytecode-layer tests: a copy of the sample app with old
mtimes (so nothing is "same-second"), and helpers to run ember in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLEAPP = REPO / "examples" / "sampleapp"
OLD = 1_600_000_000  # 2020-09-13: far from "now", so caches are never same-second


def age(tree: Path, when: int = OLD) -> None:
    """Set every file's mtime under ``tree`` to ``when``."""
    for path in [tree, *tree.rglob("*")]:
        if not path.is_symlink():
            os.utime(path, (when, when))


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A private copy of examples/sampleapp (sources only), mtimes in the past."""
    dest = tmp_path / "app"
    shutil.copytree(SAMPLEAPP, dest, ignore=shutil.ignore_patterns("__pycache__"))
    age(dest)
    return dest


def ember_env(**extra: str) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE stays set: ember build ignores it, and it keeps these
    # subprocesses from writing caches into src/.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = str(REPO / "src")
    env.update(extra)
    return env


def run_ember(
    *args: str, cwd: Path, python: str = sys.executable, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "ember", *args],
        cwd=cwd,
        env=ember_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )


OTHER_VERSIONS = ("3.10.13", "3.12.1", "3.13.0")


@pytest.fixture(params=OTHER_VERSIONS)
def other_python(request: pytest.FixtureRequest) -> str:
    """Each other CPython installed here (skipped when absent), for cross-version runs."""
    exe = Path(f"/root/.pyenv/versions/{request.param}/bin/python")
    if not exe.exists():
        pytest.skip(f"Python {request.param} is not installed here")
    return str(exe)


@pytest.fixture
def foreign_magic() -> tuple[bytes, str]:
    """``(magic, "3.x")``: another release's final magic number, never this interpreter's
    (a cache "built by another Python" must be foreign whichever Python runs the tests)."""
    from importlib.util import MAGIC_NUMBER

    for number, version in ((3531, "3.12"), (3495, "3.11")):
        magic = number.to_bytes(2, "little") + b"\r\n"
        if magic != MAGIC_NUMBER:
            return magic, version
    raise AssertionError("unreachable: two different magics cannot both be this one")


@pytest.fixture
def ember_run():
    """``ember_run(*args, cwd=..., **env)``: run ``python -m ember`` in a subprocess."""
    return run_ember


@pytest.fixture
def set_age():
    """``set_age(tree, when=OLD)``: set every mtime under ``tree``."""
    return age


@pytest.fixture
def unlistable(monkeypatch: pytest.MonkeyPatch):
    """``unlistable(folder)``: listing ``folder`` now fails with EACCES in this process
    (``os.scandir``, which ``os.walk`` uses too), as for a user who may not read it:
    these tests run as root, whom chmod 000 does not stop."""
    real = os.scandir
    locked: set[str] = set()

    def scandir(path: object = ".") -> object:
        if os.path.abspath(os.fspath(path)) in locked:  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    return lambda folder: locked.add(os.path.abspath(folder))


def nobody_preexec(python: str = sys.executable) -> object:
    """A ``preexec_fn`` that makes a child run as user ``nobody``, or skip the test
    when that cannot work here (not root, no such user, or ``python`` is where
    nobody may not run it)."""
    import pwd

    if os.geteuid() != 0:
        pytest.skip("needs root to switch to user nobody")
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody")

    def drop() -> None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    try:
        probe = subprocess.run(
            [
                python,
                "-c",
                f"import ember; open({str(REPO / 'src' / 'ember' / '__init__.py')!r})",
            ],
            preexec_fn=drop,  # noqa: PLW1509 - the child only execs python
            env=ember_env(),
            capture_output=True,
            check=False,
        )
    except OSError:  # exec refused: nobody may not reach this Python (under /root)
        pytest.skip("user nobody cannot run this Python")
    if probe.returncode != 0:
        pytest.skip("user nobody cannot run this Python or read ember here")
    return drop


@pytest.fixture
def as_nobody() -> tuple[str, object]:
    """``(python, preexec_fn)``: a Python of this version that user ``nobody`` may run
    (this one, or the system's when this one lives where nobody cannot reach), and the
    ``preexec_fn`` that runs a child as nobody; skips where neither works."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for python in (sys.executable, f"/usr/bin/python{version}"):
        if os.access(python, os.X_OK):
            try:
                return python, nobody_preexec(python)
            except pytest.skip.Exception:
                continue
    pytest.skip("user nobody cannot run a Python of this version here")
