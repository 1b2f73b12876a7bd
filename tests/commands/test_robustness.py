"""Every subcommand against a hostile tree (issue 19, "Must hold"): an unreadable folder,
an unreadable file and ``__pycache__``, a dangling symlink and a link loop, a FIFO named
like a source, a ``__pycache__`` that is a file, a non-UTF-8 source, a truncated pyc, a
foreign-version pyc and a read-only folder.

Each command runs in a subprocess, as user nobody where the test can switch to one
(root ignores permission bits, so the permission cases mean nothing as root): no
traceback on stderr, the exit status its --help documents, and no file outside the
caches touched (every non-cache file, link and folder mode is hashed before and after).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for _unprivileged
from _unprivileged import Unprivileged, nobody_python  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TAG = sys.implementation.cache_tag
OLD = 1_600_000_000


@dataclass(frozen=True)
class Runner:
    """How the commands run: as nobody (``who``), or as this user when that cannot be."""

    who: Unprivileged | None
    root: Path  # trees go here (world-searchable when running as nobody)

    @property
    def permissions_hold(self) -> bool:
        return self.who is not None or os.geteuid() != 0

    def tree(self, name: str) -> Path:
        if self.who is not None:
            return self.who.workdir(name)
        import tempfile

        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root))

    def ember(self, *argv: str, cwd: Path, env: dict[str, str] | None = None):
        base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        base.update(
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONPATH=str(REPO / "src"),
            EMBER_CACHE_DIR=str(cwd / "native-cache"),
            HOME=str(cwd),
            **(env or {}),
        )
        if self.who is not None:
            return self.who.run(["-m", "ember", *argv], cwd=cwd, env=base, timeout=120)
        return subprocess.run(
            [sys.executable, "-m", "ember", *argv],
            cwd=cwd,
            env=base,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    who = nobody_python()
    if isinstance(who, str):
        yield Runner(None, tmp_path_factory.mktemp("robust"))
        return
    if _site_packages_readable():
        # explain needs llvmlite: let nobody import this environment's packages too.
        who.env["PYTHONPATH"] += os.pathsep + _site_packages()
    yield Runner(who, who.root)
    shutil.rmtree(who.root, ignore_errors=True)


def _site_packages() -> str:
    import sysconfig

    return sysconfig.get_paths()["purelib"]


def _site_packages_readable() -> bool:
    path = Path(_site_packages())
    return all(os.stat(p).st_mode & 0o005 == 0o005 for p in [path, *path.parents])


def make_tree(root: Path, *, permissions: bool) -> Path:
    """The hostile tree under ``root/pkg``; returns it. Caches are built by this
    Python (as py_compile would) and then damaged."""
    import py_compile
    from importlib.util import MAGIC_NUMBER

    pkg = root / "pkg"
    for folder in ("locked", "shut", "sub", "ro", "__pycache__"):
        (pkg / folder).mkdir(parents=True)
    # other's cache is foreign, so the importer recompiles it; good's is truncated,
    # and python itself dies importing it (EOFError), so main does not import good.
    (pkg / "main.py").write_text("import other\nprint('main', other.Y)\n")
    (pkg / "good.py").write_text("X = 1\n")
    (pkg / "other.py").write_text("Y = 2\n")
    (pkg / "kern.py").write_text(
        "import ember\n\n@ember.jit\ndef twice(x: int) -> int:\n    return 2 * x\n"
    )
    (pkg / "latin.py").write_bytes(b's = "caf\xe9"\n')  # no coding line: not UTF-8
    (pkg / "dangling.py").symlink_to("nowhere.py")
    (pkg / "loop.py").symlink_to("loop.py")  # ELOOP, not ENOENT
    os.mkfifo(pkg / "fifo.py")  # opening it would wait for a writer forever
    (pkg / "locked" / "b.py").write_text("B = 3\n")
    (pkg / "secret.py").write_text("SECRET = 7\n")
    (pkg / "shut" / "s.py").write_text("S = 4\n")
    (pkg / "shut" / "__pycache__").mkdir()
    (pkg / "sub" / "mod.py").write_text("M = 5\n")
    (pkg / "sub" / "__pycache__").write_text("a file where a folder belongs\n")
    (pkg / "ro" / "main.py").write_text("print('read-only')\n")
    (pkg / "ro" / "r.py").write_text("R = 6\n")
    for path in [pkg, *pkg.rglob("*")]:
        if not path.is_symlink():
            os.utime(path, (OLD, OLD))
    for name in ("good", "other"):
        py_compile.compile(
            str(pkg / f"{name}.py"), cfile=str(pkg / "__pycache__" / f"{name}.{TAG}.pyc")
        )
    (pkg / "ro" / "__pycache__").mkdir()
    py_compile.compile(
        str(pkg / "ro" / "r.py"), cfile=str(pkg / "ro" / "__pycache__" / f"r.{TAG}.pyc")
    )
    truncated = pkg / "__pycache__" / f"good.{TAG}.pyc"
    truncated.write_bytes(truncated.read_bytes()[:40])
    foreign = pkg / "__pycache__" / f"other.{TAG}.pyc"
    magic = (3531 if MAGIC_NUMBER[:2] != (3531).to_bytes(2, "little") else 3495).to_bytes(
        2, "little"
    )
    foreign.write_bytes(magic + foreign.read_bytes()[2:])
    if permissions:
        (pkg / "locked").chmod(0)
        (pkg / "secret.py").chmod(0)
        (pkg / "shut" / "__pycache__").chmod(0)
        (pkg / "ro").chmod(0o555)
        (pkg / "ro" / "__pycache__").chmod(0o555)  # its cache cannot be removed
    return pkg


def fingerprint(pkg: Path) -> dict[str, str]:
    """Every path under ``pkg`` except what lies in a ``__pycache__`` folder: a file's
    content hash, a link's target, a folder's mode."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(pkg):
        here = Path(dirpath)
        if here.name == "__pycache__":
            dirnames.clear()
            continue
        out[str(here.relative_to(pkg))] = f"dir {stat.filemode(here.lstat().st_mode)}"
        for name in filenames + [d for d in dirnames if (here / d).is_symlink()]:
            path = here / name
            rel = str(path.relative_to(pkg))
            if path.is_symlink():
                out[rel] = f"link {os.readlink(path)}"
            elif not stat.S_ISREG(path.lstat().st_mode):
                out[rel] = stat.filemode(path.lstat().st_mode)  # a FIFO: never read it
            elif name != "__pycache__" or not path.is_dir():
                mode = stat.filemode(path.lstat().st_mode)
                out[rel] = f"{mode} {hashlib.sha256(path.read_bytes()).hexdigest()}"
    return out


# (id, argv, the exit status the command's --help documents). "OUT" is a folder beside
# the tree, "TMP" one that does not exist yet.
CASES = [
    ("build", ["build", "pkg"], 1),
    ("build-json", ["build", "--json", "-j1", "pkg"], 1),
    ("status", ["status", "pkg"], 1),
    ("status-json", ["status", "--json", "pkg"], 1),
    ("clean-dry-run", ["clean", "-n", "pkg"], 1),
    ("clean", ["clean", "pkg"], 1),
    ("clean-stale", ["clean", "--stale", "pkg"], 1),
    ("build-unreadable-file", ["build", "pkg/secret.py"], 1),
    ("build-locked-path", ["build", "pkg/locked"], 1),
    ("build-not-a-directory", ["build", "pkg/good.py/x.py"], 1),
    ("status-unreadable-file", ["status", "pkg/secret.py"], 1),
    ("status-locked-path", ["status", "pkg/locked", "pkg/locked/b.py"], 1),
    ("clean-locked-path", ["clean", "pkg/locked", "pkg/shut"], 1),
    ("inspect-unreadable", ["inspect", "pkg/secret.py"], 1),
    ("inspect-pyc-in-locked", ["inspect", f"pkg/shut/__pycache__/s.{TAG}.pyc"], 1),
    ("inspect-truncated", ["inspect", f"pkg/__pycache__/good.{TAG}.pyc"], 1),
    ("inspect-foreign", ["inspect", "pkg/other.py"], 1),
    ("inspect-latin", ["inspect", "pkg/latin.py"], 1),
    ("inspect-dangling", ["inspect", "pkg/dangling.py"], 1),
    ("inspect-locked", ["inspect", "pkg/locked/b.py"], 1),
    ("inspect-pycache-file", ["inspect", "pkg/sub/mod.py"], 1),
    ("run", ["run", "pkg/main.py"], 0),
    ("run-truncated-cache", ["run", "pkg/good.py"], 0),  # python ignores it: so must we
    ("run-loop", ["run", "pkg/loop.py"], 2),
    ("run-read-only", ["run", "pkg/ro/r.py"], 0),
    ("run-latin", ["run", "pkg/latin.py"], 1),  # python's SyntaxError status
    ("run-dangling", ["run", "pkg/dangling.py"], 2),  # python's "can't open file"
    ("run-locked", ["run", "pkg/locked/b.py"], 2),
    ("run-unreadable", ["run", "pkg/secret.py"], 2),
    ("run-pycache-file", ["run", "pkg/sub/mod.py"], 0),
    ("run-launcher-read-only", ["run", "--install-launcher", "pkg/ro/launch"], 1),
    ("startup", ["startup", "-n", "1", "--profile-runs", "1", "pkg/main.py"], 0),
    ("startup-unreadable", ["startup", "-n", "1", "--profile-runs", "1", "pkg/secret.py"], 1),
    ("startup-locked", ["startup", "-n", "1", "--profile-runs", "1", "pkg/locked/b.py"], 1),
    ("startup-plot-read-only", ["startup", "-n", "1", "--plot", "pkg/ro/p.svg", "pkg/ro/r.py"], 1),
    ("build-prefix-read-only", ["build", "--prefix", "pkg/ro/pc", "pkg/ro"], 1),
    ("status-prefix-locked", ["status", "--prefix", "pkg/locked", "pkg/ro"], 1),
    ("clean-prefix-locked", ["clean", "--prefix", "pkg/locked", "pkg/ro"], 1),
    ("dist", ["dist", "pkg", "OUT/copy"], 1),
    ("dist-locked-src", ["dist", "pkg/locked", "OUT/copy"], 1),
    ("dist-unreadable-out", ["dist", "pkg/ro", "pkg/shut/__pycache__/copy"], 1),
    ("dist-dangling", ["dist", "pkg", "OUT/copy"], 1),
    ("dist-read-only-src", ["dist", "pkg/ro", "OUT/copy"], 0),
    ("dist-out-read-only", ["dist", "pkg/sub", "pkg/ro/copy"], 1),
    ("explain", ["explain", "pkg/kern.py:twice"], 0),
    ("explain-latin", ["explain", "pkg/latin.py:f"], 1),
    ("explain-locked", ["explain", "pkg/locked/b.py:f"], 2),  # as for a missing FILE
    ("tour", ["tour", "--no-native", "pkg"], 1),
    ("tour-loop", ["tour", "--no-native", "pkg"], 1),
    ("tour-read-only", ["tour", "--no-native", "pkg/ro"], 0),
]
NEEDS_PERMISSIONS = {
    "build-unreadable-file",
    "build-locked-path",
    "status-unreadable-file",
    "status-locked-path",
    "clean-locked-path",
    "inspect-unreadable",
    "inspect-pyc-in-locked",
    "dist-locked-src",
    "dist-unreadable-out",
    "run-locked",
    "run-unreadable",
    "startup-unreadable",
    "startup-locked",
    "build-prefix-read-only",
    "status-prefix-locked",
    "clean-prefix-locked",
    "run-launcher-read-only",
    "dist-out-read-only",
}


# The one line each of these must print (the path, then what the OS said).
NAMED = {
    "build-not-a-directory": "pkg/good.py/x.py: error: cannot read (Not a directory)",
    "status-locked-path": "pkg/locked/b.py: error: cannot read (Permission denied)",
    "inspect-pyc-in-locked": f"pkg/shut/__pycache__/s.{TAG}.pyc: error: cannot read (Permission",
    "explain-locked": "pkg/locked/b.py: error: cannot read (Permission denied)",
    "run-unreadable": "can't open file",
    "run-loop": "dangling symlink (points to loop.py, a loop of links)",
    "dist": "pkg/fifo.py: error: not a regular file",
    "clean": f"pkg/ro/__pycache__: error: cannot remove r.{TAG}.pyc (Permission denied)",
    "dist-dangling": "pkg/loop.py: error: dangling symlink (points to loop.py, a loop of links)",
    "tour-loop": "pkg/loop.py: error: dangling symlink (points to loop.py, a loop of links)",
    "dist-locked-src": "ember dist: error: cannot read SRC pkg/locked (Permission denied)",
    "dist-out-read-only": "ember dist: error: cannot write in pkg/ro, OUT's folder (Permission",
    "tour": "pkg/dangling.py: error: dangling symlink (points to nowhere.py",
    "run-launcher-read-only": "pkg/ro/launch: error: cannot write the launcher (Permission",
}


@pytest.mark.parametrize(("case", "argv", "expected"), CASES, ids=[c[0] for c in CASES])
def test_no_traceback_documented_status_and_only_caches_touched(
    runner: Runner, case: str, argv: list[str], expected: int | None
) -> None:
    if case in NEEDS_PERMISSIONS and not runner.permissions_hold:
        pytest.skip("permission bits do not stop root, and user nobody is not available")
    if argv[0] == "explain":
        pytest.importorskip("llvmlite")
    work = runner.tree(argv[0])
    pkg = make_tree(work, permissions=runner.permissions_hold)
    (work / "OUT").mkdir()
    if runner.who is not None:
        os.chown(work / "OUT", runner.who.uid, runner.who.gid)
        for path in [work, pkg, pkg / "__pycache__", pkg / "shut", pkg / "sub"]:
            os.chown(path, runner.who.uid, runner.who.gid)  # nobody's own tree...
        # ...but the read-only and locked folders stay root's, so chmod cannot undo them.
    before = fingerprint(pkg)

    done = runner.ember(*argv, cwd=work)

    assert "Traceback" not in done.stderr, done.stderr
    if expected is not None:
        assert done.returncode == expected, (done.returncode, done.stdout, done.stderr)
    assert fingerprint(pkg) == before
    # An OS error names its path, with no line:col: there is no source line.
    assert not re.search(r":\d+:\d+: error: (cannot|dangling|no such)", done.stderr), done.stderr
    if runner.permissions_hold and argv[0] in ("build", "status", "clean") and argv[1] == "pkg":
        if "--json" not in argv:
            assert "pkg/locked: error: cannot list directory (Permission denied)" in done.stderr
            assert "pkg/dangling.py: error: dangling symlink" in done.stderr
            assert "pkg/loop.py: error: dangling symlink (points to loop.py, a loop" in done.stderr
    if case in NAMED and runner.permissions_hold:
        assert NAMED[case] in done.stderr, done.stderr
    if "--json" in argv:
        json.loads(done.stdout)  # JSON on stdout, errors included
    if argv[0] == "explain" and expected == 0:
        assert "define" in done.stdout  # the LLVM IR is there: the rest went on


# -- a full disk, simulated in-process (no test machine has one to spare) --------------


def _enospc(path: object = "") -> OSError:
    import errno

    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path))  # type: ignore[arg-type]


def test_disk_full_build_names_each_cache_and_goes_on(tmp_path):
    # The pycs are written by worker processes: a file-size limit of a few bytes (with
    # SIGXFSZ ignored, so a write fails with EFBIG) stands in for a full disk there.
    import resource
    import signal

    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "b.py").write_text("B = 1\n")

    def tiny_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8, 8))

    proc = subprocess.run(
        [sys.executable, "-m", "ember", "build", "-j1", str(tmp_path)],
        preexec_fn=tiny_files,  # noqa: PLW1509 - the child only execs python
        env={**os.environ, "PYTHONPATH": str(REPO / "src")}, capture_output=True, text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("(File too large)") == 2, proc.stderr  # both tried, both named
    assert "hint: free some space, or build into a --prefix tree on another disk" in proc.stderr


def test_disk_full_launcher_is_one_error(tmp_path, monkeypatch, capsys):
    import ember.support.fs
    from ember.cli import main

    def full(path: object, *_a: object, **_k: object) -> None:
        raise _enospc(path)

    monkeypatch.setattr(ember.support.fs, "write_atomic", full)
    assert main(["run", "--install-launcher", str(tmp_path / "launch")]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == f"{tmp_path / 'launch'}: error: cannot write the launcher (No space left on device)\n"
    )


def test_disk_full_startup_is_one_error(tmp_path, monkeypatch, capsys):
    import tempfile

    from ember.cli import main

    (tmp_path / "app.py").write_text("pass\n")
    monkeypatch.chdir(tmp_path)

    def full(*_a: object, **_k: object) -> None:
        raise _enospc(tempfile.gettempdir())

    monkeypatch.setattr(tempfile, "TemporaryDirectory", full)
    assert main(["startup", "-n", "1", "app.py"]) == 1
    err = capsys.readouterr().err
    assert err == f"{tempfile.gettempdir()}: error: No space left on device\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "argv",
    [["status", "pkg"], ["build", "pkg"], ["clean", "-n", "pkg"], ["status", "--json", "pkg"]],
)
def test_output_to_a_full_disk_is_one_error(tmp_path: Path, argv: list[str]) -> None:
    # Regression: a command's own output on a full disk raised OSError(ENOSPC) from
    # print, with a traceback (and another from the flush at exit).
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("A = 1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(REPO / "src"), PYTHONDONTWRITEBYTECODE="1")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "ember", *argv],
            cwd=tmp_path,
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert (
        done.stderr
        == f"ember {argv[0]}: error: cannot write its output (No space left on device)\n"
    )
    assert done.returncode == 1


@pytest.mark.parametrize("command", [["status"], ["clean", "-n"]], ids=["status", "clean"])
def test_a_deleted_current_folder_does_not_stop_the_work(
    tmp_path: Path, command: list[str]
) -> None:
    # Regression: os.getcwd() (for paths shown relative to it) raised FileNotFoundError;
    # absolute PATHs need no current folder, so the command just shows them absolute.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("A = 1\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / f"a.{TAG}.pyc").write_bytes(b"\0" * 16)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(REPO / "src"), PYTHONDONTWRITEBYTECODE="1")
    script = 'mkdir gone && cd gone && rmdir ../gone && exec "$0" -m ember "$@"'
    done = subprocess.run(
        [
            "sh",
            "-c",
            script,
            sys.executable,
            *command,
            str(tmp_path / "pkg"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr and "error" not in done.stderr, done.stderr
    cache = str(tmp_path / "pkg" / "__pycache__" / f"a.{TAG}.pyc")
    if command[0] == "status":
        assert "corrupt" in done.stdout and done.returncode == 1  # as documented
    else:
        assert f"would remove {cache}" in done.stdout and done.returncode == 0
