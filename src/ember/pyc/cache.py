"""Where a source's cache file lives, and whether the importer would use it.

source path → cache path (:func:`cache_path`, PEP 3147/488 names, optional pycache
prefix), cache path → source (:func:`source_for_cache`), and source → :class:`Verdict`
(:func:`judge`, :func:`judge_many`, :func:`judge_cache`), decided the way
``importlib._bootstrap_external.SourceLoader.get_code`` decides, with a reason a person
can act on::

    >>> cache_path(Path("/app/shop/cart.py")).as_posix()  # doctest: +ELLIPSIS
    '/app/shop/__pycache__/cart.cpython-3....pyc'
    >>> judge(Path("app.py")).state  # needs app.py on disk  # doctest: +SKIP
    'stale'

Bodies are untrusted: ``marshal.loads`` can crash the interpreter on hostile bytes, so
the body check (``check_body=True``) unmarshals in a separate, isolated ``python -I -S``
subprocess, batched over all files, and restarts it past a file that kills it.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ember.diagnostics import Diagnostic, Span, dangling_symlink
from ember.pyc.header import (
    HEADER_SIZE,
    HeaderError,
    InvalidationMode,
    PycHeader,
    check_hash,
    check_timestamp,
    classify,
)
from ember.support.skips import Skipped, skip_reason, walks_everything

STATES = ("fresh", "missing", "stale", "foreign", "corrupt", "unchecked", "same-second", "orphan")
PYCACHE = "__pycache__"
# The reason of a plain missing cache, which `ember status` then explains further.
NO_CACHE = "no cache file"
# The states in which the importer goes on to unmarshal the body (sourceless: a
# legacy pyc with no source beside it, which `ember inspect` names).
LOADS_BODY = frozenset({"fresh", "unchecked", "same-second", "sourceless"})

# name.<tag>[.opt-N].pyc, tag of any implementation/version, e.g. cpython-310, pypy39.
_CACHE_NAME = re.compile(
    r"^(?P<base>.+?)\.(?P<tag>[a-z]+-?\d+)(?:\.opt-(?P<opt>[0-9A-Za-z]+))?\.pyc$"
)


def cache_tag() -> str:
    """This interpreter's cache tag, e.g. ``cpython-311``."""
    tag = sys.implementation.cache_tag
    if tag is None:  # pragma: no cover - only on implementations without caches
        raise NotImplementedError("this Python writes no bytecode caches (no cache tag)")
    return tag


def _opt_suffix(optimization: int | str) -> str:
    # Level 0 has no suffix (PEP 488); an int 0 means level 0, as py_compile passes ''.
    text = "" if optimization in ("", 0) else str(optimization)
    if text and not text.isalnum():
        raise ValueError(f"{text!r} is not alphanumeric")
    return f".opt-{text}" if text else ""


def cache_path(source: Path, *, optimization: int | str = "", prefix: Path | None = None) -> Path:
    """The cache file the importer uses for ``source``, as
    ``importlib.util.cache_from_source`` computes it, except that the pycache prefix is
    an argument instead of ``sys.pycache_prefix`` (``None``: in-tree ``__pycache__``).
    ``optimization`` 0 or ``""`` is level 0 (no ``.opt-`` suffix).

    >>> cache_path(Path("/a/b.py"), optimization=2, prefix=Path("/pc")).as_posix()
    ... # doctest: +ELLIPSIS
    '/pc/a/b.cpython-3....opt-2.pyc'
    """
    head, tail = os.path.split(os.fspath(source))
    base, sep, rest = tail.rpartition(".")
    filename = (base if base else rest) + sep + cache_tag() + _opt_suffix(optimization) + ".pyc"
    return Path(cache_dir(head, prefix=prefix), filename)


def cache_dir(source_dir: str, *, prefix: Path | None = None) -> str:
    """The folder holding the caches of the sources in ``source_dir``.

    >>> cache_dir("/app/shop", prefix=Path("/pc"))
    '/pc/app/shop'
    """
    if prefix is None:
        return os.path.join(source_dir, PYCACHE)
    # Absolute, then root-relative under the prefix, so two foo/bar.py never collide.
    absolute = os.path.abspath(source_dir or os.curdir)
    drive, rel = os.path.splitdrive(absolute)
    return os.path.join(prefix, rel.lstrip("/\\"))


def parse_cache_name(name: str) -> tuple[str, str, str] | None:
    """``(module, tag, optimization)`` of a cache file name, or None.

    >>> parse_cache_name("cart.cpython-312.opt-1.pyc")
    ('cart', 'cpython-312', '1')
    """
    match = _CACHE_NAME.match(name)
    if match is None:
        return None
    return match["base"], match["tag"], match["opt"] or ""


def source_for_cache(cache: Path, *, prefix: Path | None = None) -> Path | None:
    """The source a cache file belongs to (it need not exist), for any cache tag;
    None if ``cache`` is not named or placed like a cache file.

    >>> source_for_cache(Path("/a/__pycache__/b.cpython-313.opt-2.pyc")).as_posix()
    '/a/b.py'
    """
    parsed = parse_cache_name(cache.name)
    if parsed is None:
        return None
    if prefix is None:
        if cache.parent.name != PYCACHE:
            return None
        return cache.parent.parent / (parsed[0] + ".py")
    try:
        rel = Path(os.path.abspath(cache.parent)).relative_to(os.path.abspath(prefix))
    except ValueError:
        return None
    return Path(os.sep, rel, parsed[0] + ".py")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The importer's verdict on one cache file, with the reason in words.

    ``state`` is one of :data:`STATES`; ``source`` is None only for an orphan whose
    source cannot be named.
    """

    state: str
    reason: str
    source: Path | None
    cache: Path
    header: PycHeader | None

    @property
    def ok(self) -> bool:
        """True when the importer uses this cache and it matches the source."""
        return self.state == "fresh"

    def to_json(self) -> dict[str, object]:
        h = self.header
        return {
            "state": self.state,
            "reason": self.reason,
            "source": None if self.source is None else str(self.source),
            "cache": str(self.cache),
            "mode": None if h is None else h.mode.value,
            "python": None if h is None else h.python_version,
        }


def _size_text(n: int) -> str:
    return f"{n} byte" if n == 1 else f"{n} bytes"


def when(seconds: int) -> str:
    """A pyc's recorded mtime as local time, ``YYYY-MM-DD HH:MM:SS``."""
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def _judge_header(source: Path, cache: Path, st: os.stat_result, data: bytes) -> Verdict:
    """The header part of the importer's decision (no body check)."""
    try:
        header = classify(data[:HEADER_SIZE])
    except HeaderError as exc:
        return Verdict("corrupt", exc.reason, source, cache, None)
    if not header.is_current_python:
        version = header.python_version
        who = f"Python {version}" if version else f"an unknown Python (magic {header.magic_number})"
        return Verdict("foreign", f"built by {who}", source, cache, header)
    mode = header.mode
    if mode is InvalidationMode.TIMESTAMP:
        why = check_timestamp(header, st.st_mtime, st.st_size)
        if why == "mtime":
            reason = (
                f"source modified ({when(int(st.st_mtime))}; cache records "
                f"{when(header.mtime or 0)})"
            )
            return Verdict("stale", reason, source, cache, header)
        if why == "size":
            reason = f"source size changed ({header.source_size} -> {_size_text(st.st_size)})"
            return Verdict("stale", reason, source, cache, header)
        return Verdict("fresh", "timestamp and size match", source, cache, header)
    matches = check_hash(header, source.read_bytes()) is None
    if mode is InvalidationMode.UNCHECKED_HASH:
        if not matches:
            # The importer loads it anyway: stale in the way that matters most.
            reason = "unchecked-hash and the source changed: import still loads it, old code runs"
            return Verdict("stale", reason, source, cache, header)
        reason = "unchecked-hash: matches the source now, but import never revalidates it"
        return Verdict("unchecked", reason, source, cache, header)
    if not matches:
        return Verdict("stale", "source hash changed", source, cache, header)
    return Verdict("fresh", "source hash matches", source, cache, header)


def _same_second(verdict: Verdict, cache_st: os.stat_result) -> Verdict:
    # A timestamp cache written no later than the second its source mtime records:
    # an equal-size edit later in that second keeps (mtime, size) and goes unnoticed.
    h = verdict.header
    if verdict.state != "fresh" or h is None or h.mode is not InvalidationMode.TIMESTAMP:
        return verdict
    if cache_st.st_mtime_ns // 1_000_000_000 <= (h.mtime or 0):
        return replace(
            verdict,
            state="same-second",
            reason="cached in the second the source was last modified: an equal-size edit "
            "then goes unseen",
        )
    return verdict


def judge_header_only(source: Path, cache: Path) -> tuple[Verdict, bool]:
    """The verdict from stat and the 16-byte header alone; the flag says whether the
    importer would go on to unmarshal the body (so a body check is meaningful)."""
    try:
        st = os.stat(source)
    except FileNotFoundError:
        if os.path.lexists(cache):
            return judge_cache(cache), False
        raise
    try:
        with open(cache, "rb") as f:
            cache_st = os.fstat(f.fileno())
            data = f.read(HEADER_SIZE)
    except FileNotFoundError:
        return Verdict("missing", NO_CACHE, source, cache, None), False
    except IsADirectoryError:
        return Verdict("corrupt", "cache path is a directory", source, cache, None), False
    except NotADirectoryError:
        # The importer cannot read or write a cache here either: it compiles every time.
        reason = f"{cache.parent.name} is a file, not a folder: no cache can be written"
        return Verdict("missing", reason, source, cache, None), False
    except PermissionError as exc:
        reason = f"cache unreadable ({exc.strerror or exc})"
        return Verdict("missing", reason, source, cache, None), False
    try:
        verdict = _judge_header(source, cache, st, data)
    except OSError as exc:
        reason = f"source unreadable ({exc.strerror or exc})"
        return Verdict("stale", reason, source, cache, None), False
    loads_body = verdict.state in ("fresh", "unchecked")
    return _same_second(verdict, cache_st), loads_body


def judge(
    source: Path,
    *,
    optimization: int | str = "",
    prefix: Path | None = None,
    check_body: bool = True,
) -> Verdict:
    """The importer's verdict on ``source``'s cache file, with the reason.

    ``check_body`` also unmarshals the body (in a subprocess) when the importer would
    load it, so a valid header over a corrupt body is reported ``corrupt``. A missing
    source with an existing cache is an ``orphan``; raises FileNotFoundError if neither
    exists.

    >>> judge(Path("shop/cart.py")).reason  # needs shop/ on disk  # doctest: +SKIP
    'source size changed (1204 -> 1210 bytes)'
    """
    return judge_many([source], optimization=optimization, prefix=prefix, check_body=check_body)[0]


def judge_many(
    sources: Sequence[Path],
    *,
    optimization: int | str = "",
    prefix: Path | None = None,
    check_body: bool = True,
    skip_missing: bool = False,
) -> list[Verdict]:
    """:func:`judge` for many sources, with one body-check subprocess for them all.
    ``skip_missing``: a source that has neither file nor cache (deleted while a tree
    is walked) is left out instead of raising FileNotFoundError."""
    verdicts: list[Verdict] = []
    to_check: list[int] = []
    for source in sources:
        cache = cache_path(source, optimization=optimization, prefix=prefix)
        try:
            verdict, loads_body = judge_header_only(source, cache)
        except FileNotFoundError:
            if skip_missing:
                continue
            raise
        if loads_body:
            to_check.append(len(verdicts))
        verdicts.append(verdict)
    if check_body and to_check:
        problems = check_bodies([verdicts[i].cache for i in to_check])
        for i, problem in zip(to_check, problems, strict=True):
            verdicts[i] = with_body(verdicts[i], problem)
    return verdicts


def with_body(verdict: Verdict, problem: str | None) -> Verdict:
    """The verdict once the body has been checked: ``problem`` (from
    :func:`check_bodies`, or any decoder's reason) makes a cache the importer would
    load ``corrupt``, whatever its header says. The one rule build, status, clean and
    inspect share, so none calls fresh what another calls corrupt."""
    if problem is None or verdict.state not in LOADS_BODY:
        return verdict
    return replace(verdict, state="corrupt", reason=problem)


def judge_cache(cache: Path, *, prefix: Path | None = None) -> Verdict:
    """The verdict on a cache file whose source is missing: ``orphan`` (or, if its
    source exists after all, the normal verdict without a body check)."""
    source = source_for_cache(cache, prefix=prefix)
    header: PycHeader | None
    try:
        with open(cache, "rb") as f:
            header = classify(f.read(HEADER_SIZE))
    except (OSError, HeaderError):
        header = None
    if source is not None and source.exists():
        return judge_header_only(source, cache)[0]
    where = "no source" if source is None else f"no source {source.name} beside it"
    return Verdict("orphan", f"{where}: the importer never uses it", source, cache, header)


# Runs in `python -I -S`: imports only marshal and sys. Reads NUL-separated paths on
# stdin, answers one line per path ("ok" or "bad <reason>"), flushing each, so that the
# parent knows which file was being read if the process dies.
_BODY_CHECK = r"""
import marshal, sys
out = sys.stdout
for raw in sys.stdin.buffer.read().split(b"\0"):
    if not raw:
        continue
    try:
        with open(raw, "rb") as f:
            data = f.read()
        obj = marshal.loads(memoryview(data)[HEADER_SIZE:])
        if type(obj).__name__ != "code":
            msg = "bad body is of type " + type(obj).__name__ + ", not a code object"
        else:
            msg = "ok"
    except Exception as exc:
        msg = "bad body does not unmarshal (" + type(exc).__name__ + ": " + str(exc) + ")"
    out.write(msg.replace("\n", " ") + "\n")
    out.flush()
"""


def check_bodies(caches: Iterable[Path]) -> list[str | None]:
    """For each cache file, None if its body unmarshals to a code object, else why not.

    Runs in a separate isolated interpreter (the same Python, so the same marshal
    format): a hostile body that crashes ``marshal.loads`` kills that process, not
    ours; the file it died on is reported and the rest are checked by a new one.
    """
    import subprocess

    paths = list(caches)
    results: list[str | None] = []
    while len(results) < len(paths):
        batch = paths[len(results) :]
        proc = subprocess.run(
            [sys.executable, "-I", "-S", "-c", f"HEADER_SIZE = {HEADER_SIZE}\n{_BODY_CHECK}"],
            input=b"\0".join(os.fsencode(p) for p in batch),
            capture_output=True,
            check=False,
        )
        lines = proc.stdout.decode("utf-8", "replace").splitlines()
        for line in lines[: len(batch)]:
            results.append(None if line == "ok" else line.removeprefix("bad "))
        if len(lines) < len(batch):
            code = proc.returncode
            how = signal_name(-code) if code < 0 else f"exit status {code}"
            results.append(f"body crashes the unmarshaller ({how})")
    return results


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11: how a child process died, in words."""
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# --- finding sources -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """A source file found under a PATH: ``path`` as the user would write it (for
    messages), ``absolute`` as the importer names it (no symlinks resolved)."""

    path: Path
    absolute: str


@dataclass(frozen=True, slots=True)
class Discovery:
    """What :func:`find_sources` found: the de-duplicated sources, every directory
    walked (absolute), problems (missing path, dangling symlink, ...), notes, and the
    folders left out by the default excludes (:mod:`ember.support.skips`)."""

    sources: tuple[Source, ...]
    dirs: tuple[str, ...]
    problems: tuple[Diagnostic, ...]
    notes: tuple[str, ...]
    skipped: tuple[Skipped, ...] = ()


def _excluded(rel: str, name: str, patterns: Sequence[str]) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(rel, p) or fnmatchcase(name, p) for p in patterns)


def diagnostic_json(d: Diagnostic) -> dict[str, object]:
    """A diagnostic for ``--json``: its fields (line 1-based, column 1-based as shown),
    and ``text``, the rendering a terminal gets (with the source line and caret)."""
    return {
        "file": d.span.path,
        # No position (null) for an error about a path as a whole.
        "line": d.span.line or None,
        "column": d.span.col + 1 if d.span.line else None,
        "severity": d.severity,
        "message": d.message,
        "hint": d.hint,
        "text": d.render(),
    }


def path_problem(path: str, message: str, hint: str | None = None) -> Diagnostic:
    """An error about ``path`` as a whole (an OS error, a bad argument): one line naming
    it, no ``line:col`` (there is no source line to point at), and a hint."""
    return Diagnostic(Span(path, 0), message, hint=hint)


def unlistable(folder: str | Path, exc: OSError) -> Diagnostic:
    """``folder: error: cannot list directory (...)``: the one message every command
    gives for a folder it may not read."""
    return path_problem(
        str(shown(Path(folder))),
        f"cannot list directory ({exc.strerror or exc})",
        "check its permissions",
    )


def find_sources(
    paths: Sequence[Path],
    *,
    exclude: Sequence[str] = (),
    follow_symlinks: bool = False,
    default_excludes: bool = True,
) -> Discovery:
    """Every ``.py`` file under ``paths`` (files are taken as given), de-duplicated by
    real directory and name. ``exclude`` globs match a path relative to its PATH
    argument or a bare name, and prune whole directories. Symlinked directories are
    skipped unless ``follow_symlinks`` (each skip is a note; cycles are cut).
    ``default_excludes``: also skip virtual environments, build output, VCS folders
    and the like found below a PATH (:func:`ember.support.skips.skip_reason`); a PATH
    itself is always walked, and below one inside an environment nothing is skipped.

    >>> [s.path.as_posix() for s in find_sources([Path("shop")]).sources]  # needs shop/ on disk  # doctest: +SKIP
    ['shop/__init__.py', 'shop/cart.py']
    """
    walk = _Walk(exclude, follow_symlinks)
    for given in paths:
        display = os.fspath(given)
        absolute = os.path.abspath(display)
        if os.path.isdir(absolute):
            walk.folder(display, absolute, "", default_excludes and not walks_everything(absolute))
        elif os.path.isfile(absolute):
            if not display.endswith(".py"):
                walk.problems.append(
                    path_problem(
                        display,
                        "not a Python source file (no .py suffix)",
                        "the importer only caches .py files; pass a .py file or a directory",
                    )
                )
            else:
                walk.add_file(display, absolute)
        elif os.path.islink(absolute):
            walk.problems.append(_dangling(display))
        else:
            walk.problems.append(_unreachable(display, absolute))
    # `ember build . .venv`: skipped below ".", then walked as named; not skipped after all.
    left_out = tuple(s for s, path in walk.skipped if os.path.realpath(path) not in walk.seen_dirs)
    return Discovery(
        tuple(walk.sources), tuple(walk.dirs), tuple(walk.problems), tuple(walk.notes), left_out
    )


@dataclass(slots=True)
class _Walk:
    """What :func:`find_sources` gathers over all its PATHs, as it goes: one walk
    shares the seen files and folders, so a file reached twice is listed once."""

    exclude: Sequence[str]
    follow_symlinks: bool
    sources: list[Source] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[tuple[Skipped, str]] = field(default_factory=list)  # with the absolute path
    seen_files: set[tuple[str, str]] = field(default_factory=set)
    seen_dirs: set[str] = field(default_factory=set)

    def add_file(self, display: str, absolute: str, real_head: str | None = None) -> None:
        head, name = os.path.split(absolute)
        key = (real_head or os.path.realpath(head), name)
        if key not in self.seen_files:
            self.seen_files.add(key)
            self.sources.append(Source(Path(display), absolute))

    def folder(self, display: str, absolute: str, rel: str, skips: bool) -> None:
        """Walk one folder: its files in name order, then its subfolders, depth first."""
        real = os.path.realpath(absolute)
        if real in self.seen_dirs:
            return
        self.seen_dirs.add(real)
        self.dirs.append(absolute)
        try:
            entries = sorted(os.scandir(absolute), key=lambda e: e.name)
        except OSError as exc:
            self.problems.append(
                path_problem(
                    display, f"cannot list directory ({exc.strerror})", "check its permissions"
                )
            )
            return
        subdirs = []
        for entry in entries:
            name = entry.name
            child_rel = f"{rel}/{name}" if rel else name
            child_display = os.path.join(display, name)
            if self.exclude and _excluded(child_rel, name, self.exclude):
                continue
            is_link = entry.is_symlink()
            try:
                is_dir = entry.is_dir()
            except OSError:  # ELOOP: a link to itself; reported below as dangling
                is_dir = False
            if is_dir:
                if name == PYCACHE:
                    continue
                if is_link and not self.follow_symlinks:
                    self.notes.append(
                        f"skipped symlinked directory {child_display} (use --follow-symlinks)"
                    )
                    continue
                why = skip_reason(entry.path, name) if skips else None
                if why is not None:
                    self.skipped.append(
                        (Skipped(os.path.normpath(child_display), why), entry.path)
                    )
                    continue
                subdirs.append((child_display, entry.path, child_rel, skips))
            elif name.endswith(".py"):
                if is_link and not os.path.exists(entry.path):
                    self.problems.append(_dangling(child_display))
                elif entry.is_file():
                    self.add_file(child_display, entry.path, real)
        for sub in subdirs:
            self.folder(*sub)


def _dangling(display: str) -> Diagnostic:
    return path_problem(
        display,
        dangling_symlink(display) or f"cannot reach {display}",
        "remove the link or restore its target",
    )


def _unreachable(display: str, absolute: str) -> Diagnostic:
    """Why a PATH is neither a file nor a folder, in the OS's words: isdir/isfile say
    False for a path under a folder the user may not enter, too."""
    try:
        os.stat(absolute)
    except PermissionError as exc:
        return path_problem(
            display,
            f"cannot read ({exc.strerror})",
            "check the permissions of the folders above it",
        )
    except NotADirectoryError as exc:
        return path_problem(
            display, f"cannot read ({exc.strerror})", "a file stands where this path needs a folder"
        )
    except OSError:
        pass
    return path_problem(
        display, "no such file or directory", "check the path (typo? wrong directory?)"
    )


def cache_dirs(dirs: Iterable[str], *, prefix: Path | None = None) -> list[Path]:
    """The cache directories that exist for walked source directories."""
    found = []
    for d in dirs:
        cdir = Path(cache_dir(d, prefix=prefix))
        try:
            st = os.lstat(cdir)
        except OSError:
            # Missing, or under a folder the user may not enter: the walk has already
            # reported that folder, and there is nothing of ours to see in it.
            continue
        if stat.S_ISDIR(st.st_mode):
            found.append(cdir)
    return found


def shown(path: Path) -> Path:
    """``path`` as a user reads it: relative to the current folder when below it."""
    try:
        text = os.path.relpath(path) if os.path.isabs(path) else str(path)
    except OSError:  # the current folder was deleted: nothing to be relative to
        return path
    return Path(text) if not text.startswith("..") else path
