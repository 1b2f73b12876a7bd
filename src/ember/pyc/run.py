"""Run a main script (or ``-m`` module) exactly as ``python`` would, but load the
script's bytecode from its ``__pycache__`` instead of compiling it on every run.

script path + argv → the script runs as ``__main__`` in this process → exit status::

    $ ember run app.py --verbose     # python app.py --verbose, minus the compile
    $ ember run -m http.server 8000  # python -m http.server 8000

CPython never caches the script named on its command line. Here the script is loaded
through CPython's own ``SourceFileLoader``, so its pyc is validated exactly as the
importer validates any module's, and compiled and written (atomically) when missing or
stale; the one change is that the pyc written is *checked-hash* (PEP 552), so an edit
of the same size within the same second is still seen. A fresh pyc someone else wrote
(the importer, ``ember build``) is honoured in its own invalidation mode, as the
importer would, except a timestamp pyc written in the very second it records as the
source's mtime: an equal-size edit later in that second is invisible to its header,
so that one is recompiled (and rewritten as checked-hash).

Start-up is the product: this module imports nothing at load time that ``python -c pass``
has not already imported (``sys``, ``os`` and the frozen importlib), so ``ember run``
costs python's start-up plus about a millisecond. The one other import,
:mod:`ember.pyc.header` (kept light: no dataclasses, no importlib.util; ~3 ms with
its enum), happens only when a pyc is written, after an edit, next to the compile.

Everything here changes process-wide state (``sys.argv``, ``sys.path[0]``,
``sys.modules["__main__"]``): call :func:`run_script` or :func:`run_module` once, as
the last thing a process does.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import CodeType, TracebackType

try:  # Always loaded at start-up: importing it costs nothing.
    from _frozen_importlib_external import SourceFileLoader, cache_from_source
except ImportError:  # pragma: no cover - an interpreter without the frozen importlib
    from importlib.machinery import SourceFileLoader
    from importlib.util import cache_from_source

# Frames of this file are ember's machinery: tracebacks start below them.
_THIS_FILE = __file__
# The entry module (console-script wrapper, launcher) we displace from sys.modules;
# kept alive so the frame still running it keeps working globals.
_displaced_main: list[object] = []


def run_script(
    path: str, args: Sequence[str] = (), *, write_cache: bool | None = None, quiet: bool = False
) -> int:
    """Run ``path`` as ``python path *args`` would and return the exit status.

    The script's ``sys.argv``, ``sys.path[0]`` (its real folder), ``__file__``,
    ``__name__``, tracebacks and exit status are python's; its code comes from the pyc
    when fresh. ``write_cache=None`` follows ``sys.dont_write_bytecode`` (``-B`` /
    ``PYTHONDONTWRITEBYTECODE``). ``SystemExit`` from the script propagates, so the
    interpreter exits as it would under python. Unless ``quiet``, one note on stderr
    says when the environment (not ``write_cache=False``) kept a compiled script's pyc
    from being written, since every run then pays for the compile.

    >>> run_script("hello.py", ["--name", "ada"])  # doctest: +SKIP
    hello ada
    0
    """
    if write_cache is False:
        sys.dont_write_bytecode = True
    # Python makes __file__ absolute by joining the working directory, without
    # normalising, and puts the script's *real* folder first on sys.path.
    filename = path if os.path.isabs(path) else os.path.join(os.getcwd(), path)
    try:
        st = os.stat(filename)
    except OSError as exc:
        from ember.diagnostics import dangling_symlink

        # python's line, but naming a dangling link as such ("no such file" sends a
        # user looking for a file `ls` shows them).
        why = dangling_symlink(filename) or f"[Errno {exc.errno}] {exc.strerror}"
        sys.stderr.write(f"{sys.executable}: can't open file {filename!r}: {why}\n")
        return 2
    sys.argv[:] = [path, *args]
    if _is_dir_or_zip(filename, st.st_mode):
        # `python DIR` / `python app.zip` run DIR/__main__.py through runpy, with the
        # path itself (made absolute) first on sys.path.
        _set_path0(filename)
        return _run_guarded(_run_runpy_main, "__main__", False)
    _set_path0(os.path.dirname(os.path.realpath(filename)))

    try:
        code, cached, compiled = _load_main(filename, _is_regular(st.st_mode))
    except BaseException as exc:  # noqa: BLE001 - reported like python: no traceback
        if isinstance(exc, SystemExit):
            raise
        # No traceback at all: python reports a script's SyntaxError by itself.
        sys.excepthook(type(exc), exc.with_traceback(None), None)
        if isinstance(exc, KeyboardInterrupt):
            del exc
            _exit_by_sigint()
        return 1

    if compiled and write_cache is None and sys.dont_write_bytecode and not quiet:
        _note_not_cached(path)
    main = type(sys)("__main__")
    g = main.__dict__
    g["__file__"] = filename
    g["__cached__"] = cached
    g["__loader__"] = SourceFileLoader("__main__", filename)
    g["__builtins__"] = sys.modules["builtins"]
    g["__annotations__"] = {}
    _displaced_main.append(sys.modules.get("__main__"))
    sys.modules["__main__"] = main
    return _run_guarded(exec, code, g)


def run_module(name: str, args: Sequence[str] = (), *, write_cache: bool | None = None) -> int:
    """Run module ``name`` as ``python -m name *args`` would (runpy's
    ``_run_module_as_main``, a package runs its ``__main__``); return the exit status.

    The module is imported through the normal importer, which already validates and
    writes its cache; ``write_cache=False`` is ``-B``.

    >>> run_module("json.tool", ["data.json"])  # doctest: +SKIP
    0
    """
    if write_cache is False:
        sys.dont_write_bytecode = True
    sys.argv[:] = ["-m", *args]  # runpy replaces argv[0] with the module's file
    _set_path0(os.getcwd())
    return _run_guarded(_run_runpy_main, name, True)


def load_main_code(filename: str, *, regular: bool = True) -> tuple[CodeType, str | None]:
    """The code object for script ``filename`` and the cache path it was read from or
    written to (None when there is none).

    CPython's own ``SourceFileLoader.get_code`` does the work: the importer's header
    checks (timestamp, or by source hash for a hash pyc), its compile-and-write when
    the pyc is missing or stale (honouring ``sys.dont_write_bytecode`` and
    ``sys.pycache_prefix``, written atomically) and its ``co_filename`` fix-up. Only
    what it writes changes: a checked-hash pyc (:class:`_MainLoader`). Non-regular
    files (pipes, ``/dev/stdin``) are compiled and never cached.
    """
    code, cached, _compiled = _load_main(filename, regular)
    return code, cached


def _load_main(filename: str, regular: bool) -> tuple[CodeType, str | None, bool]:
    """:func:`load_main_code`, and whether the source was compiled (no usable pyc)."""
    if not regular:
        with open(filename, "rb") as f:
            return compile(f.read(), filename, "exec", dont_inherit=True), None, False
    loader = _MainLoader("__main__", filename)
    code = loader.get_code("__main__")
    try:
        pyc = cache_from_source(filename)
    except (NotImplementedError, ValueError):  # no cache tag, or a bad optimization level
        return code, None, loader.compiled
    return code, (pyc if os.path.exists(pyc) else None), loader.compiled


def _note_not_cached(path: str) -> None:
    # Said because it is the one way `ember run` silently loses its point: with the
    # variable set in a shell profile, every run compiles, as python does.
    why = (
        "PYTHONDONTWRITEBYTECODE is set"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else "python runs with -B"
    )
    sys.stderr.write(
        f"ember run: note: {why}, so {path}'s cache is not written and every run compiles "
        f"it; `ember build {path}` writes it once (-q hides this note)\n"
    )
    sys.stderr.flush()


class _MainLoader(SourceFileLoader):  # type: ignore[misc]
    """The importer's loader, except that the pycs it writes are checked-hash: the
    main script is the file a user edits and re-runs within a second, where a
    timestamp pyc (mtime in whole seconds + size) can miss an edit."""

    _source: bytes | None = None
    compiled = False  # set when get_code had to compile the source (no usable pyc)

    def get_data(self, path: str) -> bytes:
        data: bytes = super().get_data(path)
        if path == self.path:
            self._source = data  # kept for the hash when the pyc is written
        elif _written_in_recorded_second(path, data):
            # An equal-size edit later in that second keeps (mtime, size): the header
            # cannot tell, so recompile (the importer's path for an unreadable pyc),
            # and the pyc written in its place is checked-hash.
            raise OSError(f"{path}: timestamp pyc written in its source's second")
        return data

    def source_to_code(self, data: bytes, path: str, *, _optimize: int = -1) -> CodeType:  # type: ignore[override]
        self.compiled = True
        check_decodes(data, path)
        return super().source_to_code(data, path, _optimize=_optimize)  # type: ignore[no-any-return]

    def set_data(self, path: str, data: bytes, *, _mode: int = 0o666) -> None:
        if self._source is not None:
            from ember.pyc.header import InvalidationMode, body, pack, source_hash

            head = pack(InvalidationMode.CHECKED_HASH, source_hash=source_hash(self._source))
            data = head + body(data)
        # The importer's writer: makes __pycache__, temp file + replace, silent on
        # an unwritable folder.
        super().set_data(path, data, _mode=_mode)


def check_decodes(data: bytes, filename: str) -> None:
    """Raise python's SyntaxError for a script whose bytes are not UTF-8 and that
    declares no encoding. compile() of bytes words it differently ("(unicode error)")
    or, for bad bytes in a comment, accepts it; `python FILE` refuses it with
    "Non-UTF-8 code starting with ...", and so does ember run."""
    try:
        data.decode("utf-8")  # the common case, and cheap: nothing to say
        return
    except UnicodeDecodeError:
        pass
    from ember.diagnostics import undecodable_source

    found = undecodable_source(data)
    if found is not None and not found.declared:
        raise SyntaxError(found.python_message(filename))


def _written_in_recorded_second(pyc: str, data: bytes) -> bool:
    """Whether ``data`` is a timestamp pyc whose file was written no later than the
    second its header records as the source's mtime (so a same-second edit is unseen)."""
    if len(data) < 16 or data[4:8] != b"\0\0\0\0":  # flags 0: timestamp (PEP 552)
        return False
    try:
        written = os.stat(pyc).st_mtime_ns // 1_000_000_000
    except OSError:
        return True
    return (written & 0xFFFFFFFF) <= int.from_bytes(data[8:12], "little")


def _run_runpy_main(name: str, alter_argv: bool) -> None:
    import runpy

    # The function `python -m` itself calls, so its frames (and `<frozen runpy>` lines
    # in tracebacks) are the same as python's.
    runpy._run_module_as_main(name, alter_argv)  # type: ignore[attr-defined]


def _run_guarded(func: object, *args: object) -> int:
    """Call ``func(*args)`` as python runs ``__main__``: an uncaught exception is
    printed by ``sys.excepthook`` from the user's first frame and gives status 1;
    KeyboardInterrupt ends the process by SIGINT, as python does."""
    try:
        func(*args)  # type: ignore[operator]
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the script's uncaught exception
        tb = _user_traceback(exc.__traceback__)
        exc = exc.with_traceback(tb)
        sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, tb
        if sys.version_info >= (3, 12):
            sys.last_exc = exc
        sys.excepthook(type(exc), exc, tb)
        if isinstance(exc, KeyboardInterrupt):
            del exc, tb
            _exit_by_sigint()
        return 1
    return 0


def _user_traceback(tb: TracebackType | None) -> TracebackType | None:
    while tb is not None and tb.tb_frame.f_code.co_filename == _THIS_FILE:
        tb = tb.tb_next
    return tb


def _exit_by_sigint() -> None:
    """Python, after an uncaught KeyboardInterrupt, finalises and then kills itself
    with SIGINT so that a shell sees 'interrupted' (status 130), not 'failed'."""
    import signal

    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()  # type: ignore[attr-defined] - join non-daemon threads
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed pipe must not hide the signal
            pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    os._exit(130)  # pragma: no cover - only when the signal is blocked


def _set_path0(entry: str) -> None:
    # sys.path[0] is the entry point's folder (console script, launcher) or the cwd
    # (`python -m ember`); python would have put the script's there. Under -P /
    # PYTHONSAFEPATH python adds nothing, and neither do we.
    if getattr(sys.flags, "safe_path", False):  # 3.11+
        return
    if sys.path:
        sys.path[0] = entry
    else:
        sys.path.insert(0, entry)


def _is_regular(st_mode: int) -> bool:
    return (st_mode & 0o170000) == 0o100000


def _is_dir_or_zip(filename: str, st_mode: int) -> bool:
    if (st_mode & 0o170000) == 0o040000:
        return True
    if not _is_regular(st_mode):
        return False
    try:
        with open(filename, "rb") as f:
            f.seek(-22, os.SEEK_END)  # end-of-central-directory record of a zip
            return f.read(4) == b"PK\x05\x06"
    except OSError:
        return False


def install_launcher(target: str | os.PathLike[str]) -> str:
    """Write an executable launcher at ``target`` (or ``target/ember-run`` when it is
    a folder): ``LAUNCHER SCRIPT ARGS`` runs like ``ember run SCRIPT ARGS`` without
    the console script's ``import re`` and ember's CLI (a few milliseconds of
    start-up). Returns the path written. Only an earlier launcher is ever replaced:
    any other existing file raises :class:`~ember.diagnostics.EmberError`.

    >>> install_launcher("~/.local/bin/ember-run")  # doctest: +SKIP
    '/home/ada/.local/bin/ember-run'
    """
    import site

    path = os.path.abspath(os.path.expanduser(os.fspath(target)))
    if os.path.isdir(path):
        path = os.path.join(path, "ember-run")
    _refuse_to_overwrite(path)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(_THIS_FILE))))
    site_dirs = {*site.getsitepackages(), site.getusersitepackages()}
    body = ["import sys"]
    if root not in site_dirs:
        # ember is not installed in this Python (a checkout on PYTHONPATH): find it
        # here, then take the entry back out so the script sees python's sys.path.
        body.append(f"sys.path.insert(0, {root!r})")
        body.append("from ember.commands.run import fast_main")
        body.append("del sys.path[0]")
    else:
        body.append("from ember.commands.run import fast_main")
    body.append("sys.exit(fast_main(sys.argv[1:]))")
    exe = sys.executable
    if len(exe) > 120 or " " in exe:
        # Linux limits a shebang line's length and splits it on spaces: use sh.
        head = f"#!/bin/sh\n'''exec' {_sh_quote(exe)} \"$0\" \"$@\"\n' '''\n"
    else:
        head = f"#!{exe}\n"
    text = (
        head + f"{_LAUNCHER_MARK}: `THIS SCRIPT [ARGS]` is\n"
        "# `ember run SCRIPT [ARGS]` with less start-up. Safe to delete.\n" + "\n".join(body) + "\n"
    )
    from ember._fs import write_atomic

    write_atomic(path, text.encode("utf-8"), 0o755)
    return path


_LAUNCHER_MARK = "# Generated by `ember run --install-launcher`"


def _refuse_to_overwrite(path: str) -> None:
    """Replacing an earlier launcher is fine; any other file is the user's."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except FileNotFoundError:
        return
    except OSError:
        head = b""
    if _LAUNCHER_MARK.encode() in head:
        return
    from ember.diagnostics import Diagnostic, EmberError, Span

    raise EmberError(
        Diagnostic(
            Span(path, 0),
            "this file exists and is not an ember launcher: not overwriting it",
            hint="choose a new path, e.g. ~/.local/bin/ember-run, or a folder to put it in",
        )
    )


def _sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"
