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
- the rest is one queue over the whole de-duplicated list, biggest files first. On
  Linux the workers are forked (nothing to import or pickle): task numbers sit in a
  pipe that the workers read 4 bytes at a time (an atomic, lock-free queue); each
  worker reads, compiles and writes its files and streams back a small record per file.
  Elsewhere, or when the process has threads, a ``ProcessPoolExecutor`` (forkserver
  from 3.12) runs chunks;
  ``jobs=1`` and tiny builds run in-process.

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
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

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
from ember.support.fs import write_all, write_atomic
from ember.support.skips import Skipped

# (index, absolute source, ((optimize level, cache path), ...))
Task = tuple[int, str, tuple[tuple[int, str], ...]]
# (index, ok, payload): ok → warnings ((line, text), ...); failed → diagnostic fields
# (line, col, end_line, end_col, message, hint, where): `where` is "source", or "cache"
# for a failure to write, which is about the cache folder, not a place in the source.
Record = tuple[int, bool, tuple]

# Below this much source in total, forking costs more than it saves.
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
    ``jobs`` worker processes (default: all CPUs; 1 runs in this process).
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

    files: list[FileResult] = []
    compiler_warnings: list[Diagnostic] = []
    for i, src in enumerate(found.sources):
        caches = plan.caches[i]
        if i in plan.early:
            files.append(FileResult(src.path, caches, plan.early[i][0], plan.early[i][1]))
            continue
        record = records.get(i)
        display = str(src.path)
        if record is None:
            diag = Diagnostic(
                Span(display, 0),
                "the worker compiling this file died",
                hint="run again with -j1 to see the crash",
            )
            files.append(FileResult(src.path, caches, "failed", diag))
        elif record[1]:
            files.append(FileResult(src.path, caches, "compiled"))
            for line, text in record[2]:
                compiler_warnings.append(
                    Diagnostic(Span(display, line, 0), text, severity="warning")
                )
        else:
            line, col, end_line, end_col, message, hint, where = record[2]
            # A folder as the path: the renderer then shows no (irrelevant) source line.
            path = display if where == "source" else os.path.dirname(caches[0])
            # Where the indentation is what is wrong, the quoted line keeps it.
            indentation = message.startswith(("IndentationError:", "TabError:"))
            diag = Diagnostic(
                Span(path, line, col, end_line, end_col),
                message,
                hint=hint,
                indentation=indentation,
            )
            files.append(FileResult(src.path, caches, "failed", diag))
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


# --- planning: which files need compiling ----------------------------------------------


@dataclass(slots=True)
class _Plan:
    tasks: list[Task]
    sizes: list[int]
    caches: list[tuple[Path, ...]]
    early: dict[int, tuple[str, Diagnostic | None]]  # decided without a worker


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
    # (index, size, absolute, levels to compile, levels whose header is fresh)
    pending: list[tuple[int, int, str, list[tuple[int, str]], list[tuple[int, str]]]] = []
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
        needed: list[tuple[int, str]] = []
        header_fresh: list[tuple[int, str]] = []
        expected: bytes | None = None
        for level, cache in targets:
            entry = listing.get(os.path.basename(cache))
            if entry is None:
                needed.append((level, cache))
                continue
            if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                what = "a symlink" if entry.is_symlink() else "not a regular file"
                plan.early[i] = (
                    "failed",
                    Diagnostic(
                        Span(display, 0),
                        f"cache path {cache} is {what}; refusing to replace it",
                        hint="remove it (the importer would turn it into a regular file)",
                    ),
                )
                break
            if force:
                needed.append((level, cache))
                continue
            if expected is None:
                try:
                    expected = _expected_header(absolute, st, mode)
                except OSError as exc:
                    plan.early[i] = ("failed", _unreadable(display, exc))
                    break
            (header_fresh if _read_head(cache) == expected else needed).append((level, cache))
        if i not in plan.early:
            pending.append((i, st.st_size, absolute, needed, header_fresh))
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


def _recheck_bodies(
    pending: list[tuple[int, int, str, list[tuple[int, str]], list[tuple[int, str]]]],
) -> None:
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


# --- the worker: one source → its cache files ------------------------------------------


def compile_task(task: Task, mode: str) -> Record:
    """Read, compile and write one source for each requested level; never raises for
    a problem in the file (it becomes a failed record with diagnostic fields)."""
    index, source, targets = task
    try:
        st, data = _read_source(source)
    except OSError as exc:
        return (index, False, _failure(f"cannot read source ({exc.strerror or exc})", _READ_HINT))
    inv = InvalidationMode(mode)
    if inv is InvalidationMode.TIMESTAMP:
        header = pack(inv, mtime=int(st.st_mtime), source_size=st.st_size)
    else:
        header = pack(inv, source_hash=source_hash(data))
    # importlib's _calc_mode: the owner may rewrite it; never executable
    file_mode = (st.st_mode | 0o200) & 0o666
    notes: dict[tuple[int, str], None] = {}
    for level, cache in targets:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                # Keep `code` in a local: marshal flags objects by refcount, and
                # py_compile also holds a reference while dumping.
                code = compile(data, source, "exec", dont_inherit=True, optimize=level)
            except Exception as exc:  # anything compile() raises is about this file
                return (index, False, (*describe_compile_error(exc, data), "source"))
        for w in caught:
            notes[(w.lineno or 1, f"{w.category.__name__}: {w.message}")] = None
        try:
            write_atomic(cache, header + marshal.dumps(code), file_mode)
        except OSError as exc:
            name = os.path.basename(cache)
            message = f"cannot write {name} here ({exc.strerror or exc})"
            return (index, False, _failure(message, _WRITE_HINT, where="cache"))
    return (index, True, tuple(notes))


_READ_HINT = "check that the file exists and that you may read it"
_WRITE_HINT = "check the cache folder's permissions, or build into a --prefix tree"


def _failure(message: str, hint: str, where: str = "source") -> tuple:
    """Diagnostic fields of a failure about a whole file (no position in it)."""
    return (0, 0, None, None, message, hint, where)


def _read_source(path: str) -> tuple[os.stat_result, bytes]:
    # os-level calls: no buffered file object (its isatty and seek calls), one fstat
    # that gives both the size to read and the mtime for the header.
    fd = os.open(path, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        data = os.read(fd, st.st_size + 1)  # a short read is the end of the file
        if len(data) > st.st_size:  # it grew meanwhile: read to the end
            chunks = [data]
            while chunks[-1]:
                chunks.append(os.read(fd, 1 << 16))
            data = b"".join(chunks)
        return st, data
    finally:
        os.close(fd)


def describe_compile_error(exc: BaseException, data: bytes) -> tuple:
    """Diagnostic fields ``(line, col, end_line, end_col, message, hint)`` for a
    compile failure, with the position found by hand where CPython gives none (or a
    different one per version): null bytes, undecodable bytes, unknown encodings."""
    # Worded once, in diagnostics, for build, dist and run alike (an error path only).
    from ember.diagnostics import PEP263_HINT, byte_position, undecodable_source

    text = str(exc)
    if "null bytes" in text:
        return (
            *byte_position(data, data.find(b"\0")),
            None,
            None,
            "source contains a null byte",
            "a .py file must be text; is this a binary file named .py?",
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
    """Run every task, passing each record to ``collect``; returns the worker count."""
    if not tasks:
        return 0
    workers = min(default_jobs() if jobs is None or jobs < 1 else jobs, len(tasks))
    if workers <= 1 or sum(sizes) < _SMALL_BUILD_BYTES:
        for task in tasks:
            collect(compile_task(task, mode))
        return 1
    if sys.platform.startswith("linux") and _single_threaded():
        _run_forked(tasks, mode, workers, collect)
    else:
        _run_pool(tasks, mode, workers, collect)
    return workers


def _single_threaded() -> bool:
    """Whether this process has one OS thread, so forking is safe. Threads that the
    threading module does not know (OpenBLAS's, LLVM's) count too: a fork could copy a
    lock one of them holds, and 3.12+ warns about it."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _chunks(tasks: list[Task], count: int) -> list[list[Task]]:
    size = -(-len(tasks) // count)
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def _run_forked(
    tasks: list[Task], mode: str, workers: int, collect: Callable[[Record], None]
) -> None:
    import select

    # The whole queue is written before any worker starts, so it must fit in the
    # smallest pipe buffer (PIPE_BUF, 4 KiB): at most 1,000 4-byte chunk numbers.
    chunks = _chunks(tasks, min(len(tasks), 1_000))
    queue_r, queue_w = os.pipe()
    payload = b"".join(k.to_bytes(4, "little") for k in range(len(chunks)))
    write_all(queue_w, payload)
    os.close(queue_w)
    readers: list[int] = []
    pids: list[int] = []
    for _ in range(workers):
        result_r, result_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            status = 0
            try:
                os.close(result_r)
                for fd in readers:
                    os.close(fd)
                while True:
                    raw = os.read(queue_r, 4)
                    if not raw:
                        break
                    for task in chunks[int.from_bytes(raw, "little")]:
                        blob = marshal.dumps(compile_task(task, mode))
                        write_all(result_w, len(blob).to_bytes(4, "little") + blob)
            except BaseException:
                import traceback

                traceback.print_exc()
                status = 1
            finally:
                os._exit(status)
        os.close(result_w)
        readers.append(result_r)
        pids.append(pid)
    os.close(queue_r)
    buffers = {fd: bytearray() for fd in readers}
    open_fds = list(readers)
    while open_fds:
        ready, _, _ = select.select(open_fds, [], [])
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.remove(fd)
                os.close(fd)
                continue
            buf = buffers[fd]
            buf += chunk
            while len(buf) >= 4:
                length = int.from_bytes(buf[:4], "little")
                if len(buf) < 4 + length:
                    break
                collect(marshal.loads(bytes(buf[4 : 4 + length])))
                del buf[: 4 + length]
    for pid in pids:
        os.waitpid(pid, 0)


def _run_chunk(chunk: list[Task], mode: str) -> list[Record]:
    return [compile_task(task, mode) for task in chunk]


def _run_pool(
    tasks: list[Task], mode: str, workers: int, collect: Callable[[Record], None]
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Chunks small enough to balance, big enough that pickling does not dominate.
    chunks = _chunks(tasks, min(len(tasks), workers * 8))
    # We get here when this process has threads (see _single_threaded). From 3.12,
    # forking then is deprecated: start fresh workers. Before 3.12 fork, as the pool
    # always did: 3.10's marshal flags a string as shared by its reference count in
    # the writing process, so only workers sharing our interned strings write pycs
    # byte-identical to py_compile's here (tested on each version).
    methods = multiprocessing.get_all_start_methods()
    if sys.version_info < (3, 12) and "fork" in methods:
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_run_chunk, chunk, mode) for chunk in chunks]
        for future in as_completed(futures):
            for record in future.result():
                collect(record)
