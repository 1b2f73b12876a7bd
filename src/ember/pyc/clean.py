"""Remove bytecode caches: PATHs → :class:`CleanReport` (the files and empty
``__pycache__`` folders removed, or that would be with ``dry_run``)::

    >>> clean([Path("examples/sampleapp")], dry_run=True).removed  # doctest: +SKIP
    (PosixPath('examples/sampleapp/__pycache__/main.cpython-311.pyc'), ...)

Only files named like a cache file (``NAME.TAG[.opt-N].pyc``) inside a cache folder
(``__pycache__``, or the pycache-prefix mirror of a walked folder) are ever removed:
no source, no legacy ``foo.pyc`` beside its source, no symlink, nothing else. A
``__pycache__`` folder is removed only once it is empty.

``orphans``: only caches whose source is gone. ``stale``: only this Python's caches
that the importer would reject or that would run old code: stale (an unchecked-hash
cache that no longer matches its source included), corrupt (header or body), foreign.
Both together: the union.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ember._skips import Skipped
from ember.diagnostics import Diagnostic, Span
from ember.pyc.cache import (
    Discovery,
    cache_dir,
    cache_dirs,
    cache_tag,
    check_bodies,
    diagnostic_json,
    find_sources,
    judge_header_only,
    parse_cache_name,
    shown,
    source_for_cache,
)


@dataclass(frozen=True, slots=True)
class CleanReport:
    """What was (or, with ``dry_run``, would be) removed, and path problems."""

    removed: tuple[Path, ...]
    removed_dirs: tuple[Path, ...]
    dry_run: bool = False
    problems: tuple[Diagnostic, ...] = ()
    failures: tuple[Diagnostic, ...] = ()  # caches that could not be removed
    skipped: tuple[Skipped, ...] = ()  # folders the default excludes left out

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failures

    def summary(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        files = len(self.removed)
        dirs = len(self.removed_dirs)
        return (
            f"{verb} {files} cache file{'s' if files != 1 else ''} and {dirs} empty "
            f"cache folder{'s' if dirs != 1 else ''}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "removed": [str(p) for p in self.removed],
            "removed_dirs": [str(p) for p in self.removed_dirs],
            "errors": [diagnostic_json(d) for d in (*self.problems, *self.failures)],
            "skipped": [s.to_json() for s in self.skipped],
        }


def clean(
    paths: Sequence[Path] = (Path("."),),
    *,
    orphans: bool = False,
    stale: bool = False,
    dry_run: bool = False,
    prefix: Path | None = None,
    exclude: Sequence[str] = (),
    follow_symlinks: bool = False,
    default_excludes: bool = True,
) -> CleanReport:
    """Remove the cache files under ``paths`` (all of them unless ``orphans`` and/or
    ``stale`` narrow it), then the cache folders left empty. ``default_excludes``:
    leave virtual environments, build output and the like below a PATH alone (see
    :mod:`ember._skips`).

    >>> clean([Path("app")], orphans=True).summary()  # doctest: +SKIP
    'removed 1 cache file and 0 empty cache folders'
    """
    found = find_sources(
        paths, exclude=exclude, follow_symlinks=follow_symlinks, default_excludes=default_excludes
    )
    candidates: list[tuple[Path, Path | None]] = []  # (cache, its source)
    # Each cache folder is opened once, never through a symlink (O_NOFOLLOW), and its
    # files are listed and removed relative to that descriptor: a __pycache__ that is
    # (or is swapped for) a link out of the tree leads nowhere.
    fds: dict[Path, int] = {}
    dirs = cache_dirs(found.dirs, prefix=prefix)
    for cdir in dirs:
        candidates.extend(_cache_files(cdir, prefix, fds))
    # Explicit file arguments: their own caches, wherever their folder was not walked.
    walked = {str(d) for d in dirs}
    for src in found.sources:
        head, name = os.path.split(src.absolute)
        cdir = Path(cache_dir(head, prefix=prefix))
        if str(cdir) not in walked:
            candidates.extend(
                c
                for c in _cache_files(cdir, prefix, fds)
                if parse_cache_name(c[0].name)[0] == name[:-3]
            )
    try:
        return _remove(found, candidates, fds, orphans, stale, dry_run, prefix, dirs)
    finally:
        for fd in fds.values():
            os.close(fd)


def _remove(
    found: Discovery,
    candidates: list[tuple[Path, Path | None]],
    fds: dict[Path, int],
    orphans: bool,
    stale: bool,
    dry_run: bool,
    prefix: Path | None,
    dirs: list[Path],
) -> CleanReport:
    """Remove the chosen candidates (each through its folder's descriptor)."""
    chosen = [cache for cache, source in candidates if not (orphans or stale)]
    if orphans:
        chosen += [c for c, s in candidates if s is None or not s.exists()]
    if stale:
        chosen += _stale([(c, s) for c, s in candidates if s is not None and s.exists()])
    chosen = sorted(dict.fromkeys(chosen))

    failures: list[Diagnostic] = []
    removed: list[Path] = []
    for cache in chosen:
        if not dry_run:
            try:
                os.unlink(cache.name, dir_fd=fds[cache.parent])
            except FileNotFoundError:
                continue  # removed by someone else meanwhile: the goal is met
            except OSError as exc:
                # The folder as the place: the renderer would print a line of the pyc.
                where = Span(str(shown(cache.parent)), 0)
                message = f"cannot remove {cache.name} ({exc.strerror or exc})"
                failures.append(Diagnostic(where, message, hint="check the folder's permissions"))
                continue
        removed.append(cache)
    removed_dirs = _remove_empty(dirs, set(removed), dry_run, prefix)
    return CleanReport(
        tuple(shown(p) for p in removed),
        tuple(shown(p) for p in removed_dirs),
        dry_run,
        found.problems,
        tuple(failures),
        found.skipped,
    )


def _cache_files(
    cdir: Path, prefix: Path | None, fds: dict[Path, int]
) -> list[tuple[Path, Path | None]]:
    """Regular files named like caches in ``cdir``, each with its source path; ``cdir``
    is opened (into ``fds``) only if it is a real folder, not a symlink to one."""
    out: list[tuple[Path, Path | None]] = []
    fd = fds.get(cdir)
    if fd is None:
        try:
            fd = os.open(cdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            return out  # missing, not a folder, or a symlink: nothing of ours there
        fds[cdir] = fd
    try:
        entries = sorted(os.scandir(fd), key=lambda e: e.name)
    except OSError:
        return out
    for entry in entries:
        if entry.is_file(follow_symlinks=False) and parse_cache_name(entry.name) is not None:
            cache = cdir / entry.name
            out.append((cache, source_for_cache(cache, prefix=prefix)))
    return out


def _stale(pairs: list[tuple[Path, Path | None]]) -> list[Path]:
    """This Python's caches the importer would reject, or that run old code."""
    tag = cache_tag()
    bad: list[Path] = []
    loadable: list[Path] = []
    for cache, source in pairs:
        parsed = parse_cache_name(cache.name)
        if source is None or parsed is None or parsed[1] != tag:
            continue
        verdict, loads_body = judge_header_only(source, cache)
        if verdict.state in ("stale", "corrupt", "foreign"):
            bad.append(cache)
        elif loads_body:
            loadable.append(cache)
    problems = check_bodies(loadable) if loadable else []
    bad += [c for c, p in zip(loadable, problems, strict=True) if p is not None]
    return bad


def _remove_empty(
    dirs: list[Path], removed: set[Path], dry_run: bool, prefix: Path | None
) -> list[Path]:
    """Cache folders that are (or, in a dry run, would be) empty; in a prefix tree, also
    their emptied parents up to the prefix."""
    out = []
    for cdir in dirs:
        try:
            left = [e for e in os.listdir(cdir) if Path(cdir, e) not in removed]
        except OSError:
            continue
        if left:
            continue
        if not dry_run:
            try:
                os.rmdir(cdir)
            except OSError:
                continue  # something appeared meanwhile: keep it
        out.append(cdir)
        if prefix is not None and not dry_run:
            parent, root = cdir.parent, Path(os.path.abspath(prefix))
            while parent != root and root in parent.parents:
                try:
                    os.rmdir(parent)
                except OSError:
                    break
                parent = parent.parent
    return out
