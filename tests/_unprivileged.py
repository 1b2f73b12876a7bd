"""Run ember as an unprivileged user (``nobody``) from tests that run as root.

Root ignores permission bits, so "a folder the user cannot read" can only be tested
as another user. Under pyenv the interpreter lives in /root (mode 0700), where nobody
may not go: :func:`nobody_python` hard-links the interpreter, its shared library and
its standard library (no site-packages, no tests) into a world-readable temporary
folder, which costs a few thousand directory entries and no data (a copy only when
the folders sit on different file systems).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_SKIP = {"site-packages", "test", "tests", "__pycache__", "idlelib", "tkinter", "turtledemo"}


@dataclass(frozen=True)
class Unprivileged:
    """How to start ``python`` as nobody: the interpreter, the environment it needs
    (on top of the caller's) and the ``preexec_fn`` that drops to the user."""

    python: str
    env: dict[str, str]
    preexec: Callable[[], None]
    uid: int
    gid: int
    root: Path  # world-searchable: make trees nobody must reach under it

    def workdir(self, name: str) -> Path:
        """A new folder under :attr:`root` that nobody may enter (pytest's tmp_path
        sits below a 0700 folder)."""
        import tempfile

        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))
        path.chmod(0o755)
        return path

    def run(
        self, argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.python, *argv],
            cwd=cwd,
            env={**env, **self.env},
            preexec_fn=self.preexec,  # noqa: PLW1509 - the child only execs python
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _readable_interpreter(dest: Path) -> tuple[str, dict[str, str]]:
    """This interpreter where anyone may run it: itself when every folder on its way
    is world-searchable, else a hard-linked copy of it under ``dest``."""
    exe = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    base = Path(sys.base_prefix)
    if all(os.stat(p).st_mode & 0o001 for p in [base, *base.parents]):
        return exe, {}
    lib = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    shutil.copytree(
        base / "lib" / lib,
        dest / "lib" / lib,
        copy_function=_link_or_copy,
        ignore=lambda _d, names: [n for n in names if n in _SKIP],
    )
    (dest / "bin").mkdir()
    _link_or_copy(exe, str(dest / "bin" / lib))
    for name in os.listdir(base / "lib"):
        if name.startswith("libpython"):
            _link_or_copy(str(base / "lib" / name), str(dest / "lib" / name))
    for folder in [dest, *dest.rglob("*")]:
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)  # new folders only: the linked files keep their modes
    # The binary's RUNPATH names the original lib folder, which nobody cannot enter.
    return str(dest / "bin" / lib), {"LD_LIBRARY_PATH": str(dest / "lib")}


def nobody_python() -> Unprivileged | str:
    """An :class:`Unprivileged` that runs this Python with ember (a copy of ``src``)
    as user nobody, or the reason it cannot work here. The caller removes its
    :attr:`~Unprivileged.root` when done."""
    import pwd
    import tempfile

    if os.geteuid() != 0:
        return "needs root to switch to user nobody"
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        return "no user nobody"

    def drop() -> None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    workdir = Path(tempfile.mkdtemp(prefix="ember-nobody-"))
    workdir.chmod(0o755)
    try:
        python, env = _readable_interpreter(workdir / "python")
    except OSError as exc:
        return f"cannot make this Python runnable by nobody: {exc}"
    # ember itself: the checkout may be under /root too.
    shutil.copytree(
        REPO / "src", workdir / "src", ignore=shutil.ignore_patterns("__pycache__", "*.so")
    )
    for folder in [workdir / "src", *(workdir / "src").rglob("*")]:
        folder.chmod(0o755 if folder.is_dir() else 0o644)
    env = {**env, "PYTHONPATH": str(workdir / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    who = Unprivileged(python, env, drop, user.pw_uid, user.pw_gid, workdir)
    try:
        probe = who.run(
            ["-c", "import os, ember.pyc.status; assert os.geteuid() != 0"],
            cwd=workdir,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
    except OSError as exc:
        return f"user nobody cannot start this Python here: {exc}"
    if probe.returncode != 0:
        return f"user nobody cannot run this Python here: {probe.stderr.strip()[-200:]}"
    return who
