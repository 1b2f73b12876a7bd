"""Compile a tree of sources to their ``__pycache__`` files, in parallel, incrementally.

PATHs → :class:`BuildReport`: every ``.py`` under the paths gets the cache file the
importer looks for, byte-identical to what ``py_compile`` writes for the same (absolute)
path, invalidation mode, optimisation level and source mtime::

    >>> report = build([Path("examples/sampleapp")])  # writes pycs into the repository  # doctest: +SKIP
    >>> report.summary()  # the report above  # doctest: +SKIP
    'compiled 7, already fresh 0, failed 0 in 0.03 s'

How it is fast:

- the parent skips fresh files itself, cheaply: one ``scandir`` of each cache folder,
  then a ``stat`` of the source and a 16-byte read of its cache, compared with the
  exact header the build would write (magic, flags, then mtime and size or the hash),
  and one subprocess unmarshalling the bodies behind those headers;
- the rest is one queue over the whole de-duplicated list, biggest files first, fed
  to ``-j`` fresh worker interpreters (:mod:`ember.pyc.compile_worker`, run as a
  plain ``python -c``), each kept two tasks ahead over a pipe; each reads, compiles
  and writes its files and streams back a small record per level.

Why fresh interpreters, even for ``-j1``: marshal flags an object as shared by its
reference count, so a pyc's bytes depend on what else is alive where it is compiled
(the previous level's code, strings interned by imported modules). The worker holds
only what a fresh ``py_compile`` process holds, so the output is the same from any
worker, in any order, whatever the calling process imported.

An explicit build ignores ``PYTHONDONTWRITEBYTECODE``, as ``compileall`` does: that
variable stops the *importer* from writing caches, not a request to build them.
A cache whose header is fresh is fresh only if its body unmarshals too (checked in
one isolated subprocess, as ``ember status`` checks it): build rewrites what status
calls corrupt. ``--force`` rewrites everything.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ember.diagnostics import Diagnostic, Span
from ember.pyc.cache import (
    Source,
    cache_dir,
    cache_tag,
    check_bodies,
    diagnostic_json,
    find_sources,
)
from ember.pyc.header import HEADER_SIZE, InvalidationMode, pack, source_hash
from ember.support.skips import Skipped

if TYPE_CHECKING:  # annotations only: imported where the workers run
    import queue
    import subprocess
    import threading

# (index, absolute source, ((optimize level, cache path), ...))
Task = tuple[int, str, tuple[tuple[int, str], ...]]
# (index, ok, payload): ok → warnings ((line, text), ...); failed → diagnostic fields
# (line, col, end_line, end_col, message, hint, where): `where` is "source", or "cache"
# for a failure to write, which is about the cache folder, not a place in the source.
Record = tuple[int, bool, tuple]

# Below this much source in total, a second worker costs more than it saves.
_SMALL_BUILD_BYTES = 48_000


@dataclass(frozen=True, slots=True)
class FileResult:
    """One source's outcome: ``compiled``, ``fresh`` (left alone) or ``failed``."""

    source: Path
    caches: tuple[Path, ...]
    outcome: str
    diagnostic: Diagnostic | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "source": str(self.source),
            "caches": [str(c) for c in self.caches],
            "outcome": self.outcome,
        }
        if self.diagnostic is not None:
            out["error"] = diagnostic_json(self.diagnostic)
        return out


@dataclass(frozen=True, slots=True)
class BuildReport:
    """Everything one build did: per-file results, path problems (missing path,
    dangling symlink), compiler warnings, notes, the time it took and the workers."""

    files: tuple[FileResult, ...]
    problems: tuple[Diagnostic, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    workers: int = 1
    mode: InvalidationMode = InvalidationMode.TIMESTAMP
    levels: tuple[int, ...] = (0,)
    prefix: Path | None = None
    skipped: tuple[Skipped, ...] = ()  # folders the default excludes left out

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Every error, path problems first, then failed files in order."""
        failed = tuple(f.diagnostic for f in self.files if f.diagnostic is not None)
        return self.problems + failed

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """``compiled N, already fresh N, failed N in S s`` (warnings when any)."""
        failed = self.count("failed") + len(self.problems)
        text = (
            f"compiled {self.count('compiled')}, already fresh {self.count('fresh')}, "
            f"failed {failed}"
        )
        if self.warnings:
            text += f", {len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}"
        return f"{text} in {self.seconds:.2f} s"

    def to_json(self) -> dict[str, object]:
        return {
            "compiled": self.count("compiled"),
            "fresh": self.count("fresh"),
            "failed": self.count("failed") + len(self.problems),
            "seconds": round(self.seconds, 4),
            "workers": self.workers,
            "invalidation": self.mode.value,
            "levels": list(self.levels),
            "cache_tag": cache_tag(),
            "prefix": None if self.prefix is None else str(self.prefix),
            "files": [f.to_json() for f in self.files],
            "errors": [diagnostic_json(d) for d in self.errors],
            "warnings": [diagnostic_json(d) for d in self.warnings],
            "notes": list(self.notes),
            "skipped": [s.to_json() for s in self.skipped],
        }


def default_jobs() -> int:
    """The CPUs this process may run on (affinity and cgroup-aware where possible)."""
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        return count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def build(
    paths: Sequence[Path] = (Path("."),),
    *,
    mode: InvalidationMode | None = None,
    levels: Sequence[int] = (0,),
    force: bool = False,
    exclude: Sequence[str] = (),
    follow_symlinks: bool = False,
    prefix: Path | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    default_excludes: bool = True,
) -> BuildReport:
    """Compile every ``.py`` under ``paths`` whose cache is not fresh for ``mode``
    (default as py_compile: timestamp, checked-hash when SOURCE_DATE_EPOCH is set) at
    each optimisation level. ``prefix`` writes a PYTHONPYCACHEPREFIX-style tree.
    ``jobs`` worker processes (default: all CPUs), fresh interpreters even for one.
    ``progress(done, total)`` is called as files finish. ``default_excludes``: skip
    virtual environments, build output and the like below a PATH (see
    :mod:`ember.support.skips`).

    >>> build([Path("app")], levels=(0, 1)).ok  # needs an app on disk  # doctest: +SKIP
    True
    """
    started = time.perf_counter()
    mode = InvalidationMode.default() if mode is None else mode
    levels = tuple(dict.fromkeys(levels)) or (0,)
    for level in levels:
        if level not in (0, 1, 2):
            raise ValueError(f"optimisation level must be 0, 1 or 2, not {level}")
    found = find_sources(
        paths, exclude=exclude, follow_symlinks=follow_symlinks, default_excludes=default_excludes
    )
    plan = _plan(found.sources, mode, levels, force, prefix)

    records: dict[int, Record] = {}
    total = len(plan.tasks)

    def collect(record: Record) -> None:
        records[record[0]] = record
        if progress is not None:
            progress(len(records), total)

    workers = _schedule(plan.tasks, plan.sizes, mode.value, jobs, collect)
    files, compiler_warnings = _results(found.sources, plan, records)
    return BuildReport(
        files=tuple(files),
        problems=found.problems,
        warnings=tuple(compiler_warnings),
        notes=found.notes,
        seconds=time.perf_counter() - started,
        workers=workers,
        mode=mode,
        levels=levels,
        prefix=prefix,
        skipped=found.skipped,
    )


def _results(
    sources: Sequence[Source], plan: _Plan, records: dict[int, Record]
) -> tuple[list[FileResult], list[Diagnostic]]:
    """Each source's result, in the order found, and the compiler's warnings: decided
    by the plan, or by the worker's record (none: the worker died)."""
    files: list[FileResult] = []
    compiler_warnings: list[Diagnostic] = []
    for i, src in enumerate(sources):
        caches = plan.caches[i]
        if i in plan.early:
            files.append(FileResult(src.path, caches, plan.early[i][0], plan.early[i][1]))
            continue
        record = records.get(i)
        display = str(src.path)
        if record is None:
            diag = Diagnostic(Span(display, 0), _DIED, hint=_DIED_HINT)
            files.append(FileResult(src.path, caches, "failed", diag))
        elif record[1]:
            files.append(FileResult(src.path, caches, "compiled"))
            for line, text in record[2]:
                compiler_warnings.append(
                    Diagnostic(Span(display, line, 0), text, severity="warning")
                )
        else:
            files.append(FileResult(src.path, caches, "failed", _failed(display, caches, record)))
    return files, compiler_warnings


def _failed(display: str, caches: tuple[Path, ...], record: Record) -> Diagnostic:
    """The diagnostic of a worker's failure record."""
    line, col, end_line, end_col, message, hint, where = record[2]
    # A folder as the path: the renderer then shows no (irrelevant) source line.
    path = display if where == "source" else os.path.dirname(caches[0])
    # Where the indentation is what is wrong, the quoted line keeps it.
    indentation = message.startswith(("IndentationError:", "TabError:"))
    return Diagnostic(
        Span(path, line, col, end_line, end_col),
        message,
        hint=hint,
        indentation=indentation,
    )


# --- planning: which files need compiling ----------------------------------------------


@dataclass(slots=True)
class _Plan:
    tasks: list[Task]
    sizes: list[int]
    caches: list[tuple[Path, ...]]
    early: dict[int, tuple[str, Diagnostic | None]]  # decided without a worker


# (index, size, absolute, levels to compile, levels whose header is fresh)
_Pending = tuple[int, int, str, list[tuple[int, str]], list[tuple[int, str]]]


def _plan(
    sources: Sequence[Source],
    mode: InvalidationMode,
    levels: tuple[int, ...],
    force: bool,
    prefix: Path | None,
) -> _Plan:
    tag = cache_tag()
    suffixes = {level: (f".opt-{level}" if level else "") for level in levels}
    listings: dict[str, dict[str, os.DirEntry[str]]] = {}
    plan = _Plan([], [], [], {})
    pending: list[_Pending] = []
    for i, src in enumerate(sources):
        absolute = src.absolute
        display = str(src.path)
        head, name = os.path.split(absolute)
        cdir = cache_dir(head, prefix=prefix)
        # cache_path's names, built here from strings: this loop runs once per file.
        names = [f"{name[:-3]}.{tag}{suffixes[level]}.pyc" for level in levels]
        targets = tuple(
            (level, os.path.join(cdir, n)) for level, n in zip(levels, names, strict=True)
        )
        # Shown next to the source as the user named it (a prefix tree: as is).
        shown_dir = cdir if prefix is not None else cache_dir(os.path.dirname(display))
        plan.caches.append(tuple(Path(shown_dir, n) for n in names))
        try:
            st = os.stat(absolute)
        except OSError as exc:
            plan.early[i] = ("failed", _unreadable(display, exc))
            continue
        listing = listings.get(cdir)
        if listing is None:
            try:
                listing = {e.name: e for e in os.scandir(cdir)}
            except OSError:
                listing = {}
            listings[cdir] = listing
        sorted_targets = _sort_targets(targets, listing, display, absolute, st, mode, force)
        if isinstance(sorted_targets, Diagnostic):
            plan.early[i] = ("failed", sorted_targets)
        else:
            pending.append((i, st.st_size, absolute, *sorted_targets))
    _recheck_bodies(pending)
    sized: list[tuple[int, Task]] = []
    for i, size, absolute, needed, _ in pending:
        if needed:
            sized.append((size, (i, absolute, tuple(needed))))
        else:
            plan.early[i] = ("fresh", None)
    # Biggest first: the long compiles start early and small files fill the tail.
    sized.sort(key=lambda item: -item[0])
    plan.tasks = [task for _, task in sized]
    plan.sizes = [size for size, _ in sized]
    return plan


def _sort_targets(
    targets: tuple[tuple[int, str], ...],
    listing: dict[str, os.DirEntry[str]],
    display: str,
    absolute: str,
    st: os.stat_result,
    mode: InvalidationMode,
    force: bool,
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]] | Diagnostic:
    """One source's (level, cache) targets split into (to compile, header fresh), or
    why the source fails without a worker: a cache path that is not a regular file,
    or a source that cannot be read for its hash."""
    needed: list[tuple[int, str]] = []
    header_fresh: list[tuple[int, str]] = []
    # Computed at most once, and only if some cache exists: a hash mode reads the source.
    expected: bytes | None = None
    for level, cache in targets:
        entry = listing.get(os.path.basename(cache))
        if entry is None:
            needed.append((level, cache))
            continue
        if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
            what = "a symlink" if entry.is_symlink() else "not a regular file"
            return Diagnostic(
                Span(display, 0),
                f"cache path {cache} is {what}; refusing to replace it",
                hint="remove it (the importer would turn it into a regular file)",
            )
        if force:
            needed.append((level, cache))
            continue
        if expected is None:
            try:
                expected = _expected_header(absolute, st, mode)
            except OSError as exc:
                return _unreadable(display, exc)
        (header_fresh if _read_head(cache) == expected else needed).append((level, cache))
    return needed, header_fresh


def _recheck_bodies(pending: list[_Pending]) -> None:
    """Move each cache whose header is fresh but whose body does not unmarshal (a
    truncated file, say) to the levels to compile: ``ember status`` calls it corrupt
    and the importer would crash on it, so it is not fresh. One isolated subprocess
    checks them all (:func:`~ember.pyc.cache.check_bodies`, as status does)."""
    caches = [cache for *_, fresh in pending for _, cache in fresh]
    if not caches:
        return
    problems = iter(check_bodies([Path(c) for c in caches]))
    for *_, needed, fresh in pending:
        for target in fresh:
            if next(problems) is not None:
                needed.append(target)


def _expected_header(source: str, st: os.stat_result, mode: InvalidationMode) -> bytes:
    """The exact 16 bytes a build would write now (hash modes read the source)."""
    if mode is InvalidationMode.TIMESTAMP:
        return pack(mode, mtime=int(st.st_mtime), source_size=st.st_size)
    with open(source, "rb") as f:
        return pack(mode, source_hash=source_hash(f.read()))


def _read_head(cache: str) -> bytes:
    try:
        with open(cache, "rb") as f:
            return f.read(HEADER_SIZE)
    except OSError:
        return b""


def _unreadable(display: str, exc: OSError) -> Diagnostic:
    return Diagnostic(
        Span(display, 0), f"cannot read source ({exc.strerror or exc})", hint=_READ_HINT
    )


# --- the workers: fresh interpreters, so the bytes never depend on this process ----


def _task_bytes(task: Task, mode: str) -> bytes:
    """A task in compile_worker's wire format (see its docstring)."""
    index, source, targets = task
    fields = [str(index).encode(), mode.encode(), os.fsencode(source)]
    for level, cache in targets:
        # Absolute: the worker runs in a folder of its own (a relative --prefix would
        # be written there, and lost).
        fields += [str(level).encode(), os.fsencode(os.path.abspath(cache))]
    payload = b"\0".join(fields)
    return len(payload).to_bytes(4, "little") + payload


class _Outcome:
    """What the levels of one task reported so far, turned into a :data:`Record`."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.left = len(task[2])
        self.notes: dict[tuple[int, str], None] = {}

    def add(self, level: int, kind: int, fields: tuple) -> Record | None:
        """The task's record once it is complete (a failure ends it), else None."""
        index, source, targets = self.task
        if kind == 0:
            for line, category, message in fields[0]:
                self.notes[(line or 1, f"{category}: {message}")] = None
            self.left -= 1
            return (index, True, tuple(self.notes)) if self.left == 0 else None
        if kind == 1:
            message = f"cannot read source ({fields[0]})"
            return (index, False, _failure(message, _READ_HINT))
        if kind == 2:
            name = os.path.basename(dict(targets)[level])
            message = f"cannot write {name} here ({fields[0]})"
            return (index, False, _failure(message, _write_hint(fields[0]), where="cache"))
        if kind == 3:
            try:
                with open(source, "rb") as f:
                    data = f.read()
            except OSError:
                data = b""
            return (
                index,
                False,
                (*describe_compile_error(_rebuilt(source, *fields), data), "source"),
            )
        return (index, False, _failure(_DIED, _DIED_HINT))


def _rebuilt(
    source: str,
    name: str,
    text: str,
    msg: str | None,
    lineno: int | None,
    offset: int | None,
    end_lineno: int | None,
    end_offset: int | None,
    line: str | None,
) -> BaseException:
    """The worker's compile error again, from its raw fields, for describe_compile_error."""
    import builtins

    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, SyntaxError):
        return cls(msg, (source, lineno, offset, line, end_lineno, end_offset))
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(text)
        except Exception:  # an exception type with a different constructor
            pass
    # Not a builtin (or not built from one message): a stand-in with its name.
    return type(name, (Exception,), {})(text)


def _worker_source() -> str:
    return Path(__file__).with_name("compile_worker.py").read_text(encoding="utf-8")


_DIED = "the worker compiling this file died"
_DIED_HINT = "compile it alone (python -m py_compile FILE) to see the crash"


_READ_HINT = "check that the file exists and that you may read it"
_WRITE_HINT = "check the cache folder's permissions, or build into a --prefix tree"


def _write_hint(why: str) -> str:
    """What to do about a cache that could not be written, by the worker's strerror."""
    import errno

    if why == os.strerror(errno.ENOTDIR):
        return "a file stands where the __pycache__ folder should be: remove or rename it"
    if why in (os.strerror(errno.ENOSPC), os.strerror(errno.EDQUOT), os.strerror(errno.EFBIG)):
        return "free some space, or build into a --prefix tree on another disk"
    if why == os.strerror(errno.EROFS):
        return "the disk is read-only: build into a --prefix tree on a writable one"
    return _WRITE_HINT


def _failure(message: str, hint: str, where: str = "source") -> tuple:
    """Diagnostic fields of a failure about a whole file (no position in it)."""
    return (0, 0, None, None, message, hint, where)


def describe_compile_error(exc: BaseException, data: bytes) -> tuple:
    """Diagnostic fields ``(line, col, end_line, end_col, message, hint)`` for a
    compile failure, with the position found by hand where CPython gives none (or a
    different one per version): null bytes, undecodable bytes, unknown encodings."""
    # Worded once, in diagnostics, for build, dist and run alike (an error path only).
    from ember.diagnostics import (
        NULL_BYTE_HINT,
        NULL_BYTE_MESSAGE,
        PEP263_HINT,
        byte_position,
        undecodable_source,
    )

    text = str(exc)
    if "null bytes" in text:
        return (
            *byte_position(data, data.find(b"\0")),
            None,
            None,
            NULL_BYTE_MESSAGE,
            NULL_BYTE_HINT,
        )
    if isinstance(exc, SyntaxError) and (exc.msg or "").startswith("unknown encoding"):
        line = 1 if b"coding" in data.split(b"\n", 1)[0] else 2
        return (
            line,
            0,
            None,
            None,
            exc.msg,
            "declare an encoding Python knows (e.g. utf-8) or remove the coding line",
        )
    if isinstance(exc, SyntaxError) and (exc.msg or "").startswith("(unicode error)"):
        found = undecodable_source(data)
        if found is not None:
            return (found.line, found.col, None, None, found.message, PEP263_HINT)
    if isinstance(exc, SyntaxError):
        line = exc.lineno or 1
        col = max(0, (exc.offset or 1) - 1)
        end_line = exc.end_lineno
        end_col = (exc.end_offset - 1) if exc.end_offset and exc.end_offset > 0 else None
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return (
            line,
            col,
            end_line,
            end_col,
            f"{type(exc).__name__}: {exc.msg}",
            f"this file is not valid Python {version}: fix it, or --exclude it if it is "
            "not meant to be imported (a template, test data)",
        )
    return (
        1,
        0,
        None,
        None,
        f"{type(exc).__name__}: {text}",
        "the compiler could not handle this file; simplify the offending code",
    )


# --- scheduling -------------------------------------------------------------------------


def _schedule(
    tasks: list[Task],
    sizes: list[int],
    mode: str,
    jobs: int | None,
    collect: Callable[[Record], None],
) -> int:
    """Run every task in fresh worker interpreters, passing each record to
    ``collect``; returns the worker count. Even ``-j1`` compiles in a worker: this
    process has imported ember (and whatever its caller imported), and that changes
    the bytes marshal writes."""
    if not tasks:
        return 0
    workers = min(default_jobs() if jobs is None or jobs < 1 else jobs, len(tasks))
    if sum(sizes) < _SMALL_BUILD_BYTES:
        workers = 1  # a worker's start-up costs more than the compile it would share
    _run_workers(tasks, mode, workers, collect)
    return workers


def _run_workers(
    tasks: list[Task], mode: str, workers: int, collect: Callable[[Record], None]
) -> None:
    """One queue, ``workers`` compile_worker processes, each kept two tasks ahead so
    it never waits for us; records stream back as each level finishes. One thread
    per worker talks to it (blocking pipe reads work everywhere, select on pipes
    does not); this thread only collects."""
    import queue
    import subprocess
    import tempfile
    import threading

    source = _worker_source()
    env = _worker_env()
    todo = iter(tasks)
    lock = threading.Lock()
    done: queue.SimpleQueue[Record | None] = queue.SimpleQueue()

    # An empty working folder: a plain `python -c` puts it first on sys.path, and the
    # tree being built (with its own enum.py, say) must never be imported.
    with tempfile.TemporaryDirectory(prefix="ember-build-") as cwd:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", source],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=cwd,
                env=env,
            )
            for _ in range(workers)
        ]
        try:
            threads = [
                threading.Thread(target=_drive, args=(p, todo, lock, mode, done), daemon=True)
                for p in procs
            ]
            for thread in threads:
                thread.start()
            running = len(threads)
            while running:
                record = done.get()
                if record is None:
                    running -= 1
                else:
                    collect(record)
        finally:
            for proc in procs:
                for stream in (proc.stdin, proc.stdout):
                    if stream is not None:
                        try:
                            stream.close()
                        except OSError:  # a broken pipe on the final flush
                            pass
                proc.wait()


def _worker_env() -> dict[str, str] | None:
    """The workers' environment: this one (None), except where a Python's pycs would
    differ from run to run."""
    if sys.version_info < (3, 11) and "PYTHONHASHSEED" not in os.environ:
        # 3.10's marshal writes a frozenset in iteration order, which follows the
        # per-process hash seed; a fixed one makes its pycs the same from run to run.
        return {**os.environ, "PYTHONHASHSEED": "0"}
    return None


def _drive(
    proc: subprocess.Popen[bytes],
    todo: Iterator[Task],
    lock: threading.Lock,
    mode: str,
    done: queue.SimpleQueue[Record | None],
) -> None:
    """One worker's thread: takes tasks from the shared ``todo`` (under ``lock``) to
    keep two in flight, puts each finished record on ``done``, then None when the
    worker has no more to do or has died (its pending tasks go unanswered)."""
    assert proc.stdin is not None and proc.stdout is not None
    pending: dict[int, _Outcome] = {}
    try:
        while True:
            while len(pending) < 2:
                with lock:
                    task = next(todo, None)
                if task is None:
                    break
                pending[task[0]] = _Outcome(task)
                proc.stdin.write(_task_bytes(task, mode))
            proc.stdin.flush()
            if not pending:
                break
            head = proc.stdout.read(4)
            if len(head) < 4:  # the worker died: its pending tasks go unanswered
                break
            index, level, kind, *fields = marshal.loads(
                proc.stdout.read(int.from_bytes(head, "little"))
            )
            record = pending[index].add(level, kind, tuple(fields))
            if record is not None:
                del pending[index]
                done.put(record)
    except (OSError, ValueError, EOFError):  # a broken pipe, a cut-off record
        pass
    finally:
        done.put(None)
