"""Check a tree's bytecode caches: PATHs → :class:`StatusReport`, one verdict per source
and optimisation level plus every orphaned cache file, grouped in sections so that other
caches (native code) can report alongside::

    >>> report = status([Path("examples/sampleapp")])  # doctest: +SKIP
    >>> [(v.state, str(v.source)) for v in report.sections[0].records][:1]  # doctest: +SKIP
    [('fresh', 'examples/sampleapp/main.py')]

Bodies are checked (unmarshalled in an isolated subprocess, see :mod:`ember.pyc.cache`)
for every cache the importer would load, so a valid header over a corrupt body shows
as ``corrupt`` rather than crashing the next import.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ember.diagnostics import Diagnostic
from ember.pyc.cache import (
    Verdict,
    cache_dirs,
    cache_tag,
    find_sources,
    judge_cache,
    judge_many,
    parse_cache_name,
    source_for_cache,
)


@dataclass(frozen=True, slots=True)
class StatusSection:
    """A titled group of verdicts (records with ``state``, ``reason``, ``source``,
    ``cache`` and ``to_json()``)."""

    title: str
    records: tuple[Verdict, ...]

    @property
    def ok(self) -> bool:
        return all(r.state == "fresh" for r in self.records)

    def counts(self) -> dict[str, int]:
        return dict(Counter(r.state for r in self.records))

    def to_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "ok": self.ok,
            "counts": self.counts(),
            "records": [r.to_json() for r in self.records],
        }


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Sections of verdicts, path problems (missing path, dangling symlink) and notes.
    ``ok`` only when every record is fresh and there is no problem: a CI gate."""

    sections: tuple[StatusSection, ...]
    problems: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.sections)

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "sections": [s.to_json() for s in self.sections],
            "errors": [p.render() for p in self.problems],
            "notes": list(self.notes),
        }


def status(
    paths: Sequence[Path] = (Path("."),),
    *,
    levels: Sequence[int] = (0,),
    prefix: Path | None = None,
    exclude: Sequence[str] = (),
    follow_symlinks: bool = False,
    check_body: bool = True,
) -> StatusReport:
    """The importer's verdict on every source's cache under ``paths`` at each level,
    then the orphaned cache files (any Python's) in the cache folders walked.

    >>> status([Path("app")]).ok  # doctest: +SKIP
    False
    """
    found = find_sources(paths, exclude=exclude, follow_symlinks=follow_symlinks)
    sources = [Path(s.absolute) for s in found.sources]
    displays = {Path(s.absolute): s.path for s in found.sources}
    records: list[Verdict] = []
    for level in dict.fromkeys(levels) or (0,):
        for verdict in _judge_each(sources, level, prefix, check_body):
            shown = displays.get(verdict.source) if verdict.source else None
            records.append(_relative(verdict, shown))
    records.extend(_relative(v, None) for v in find_orphans(found.dirs, prefix=prefix))
    tag = cache_tag()
    where = "in __pycache__" if prefix is None else f"under {prefix}"
    section = StatusSection(f"bytecode caches ({tag}, {where})", tuple(records))
    return StatusReport((section,), found.problems, found.notes)


def _judge_each(
    sources: list[Path], level: int, prefix: Path | None, check_body: bool
) -> list[Verdict]:
    # A source deleted while we look is skipped, not an error.
    present = [s for s in sources if s.exists()]
    return judge_many(present, optimization=level, prefix=prefix, check_body=check_body)


def find_orphans(dirs: Sequence[str], *, prefix: Path | None = None) -> list[Verdict]:
    """Cache files (any tag, any level) in the cache folders of ``dirs`` whose source
    does not exist."""
    orphans = []
    for cdir in cache_dirs(dirs, prefix=prefix):
        for entry in sorted(os.scandir(cdir), key=lambda e: e.name):
            if not entry.is_file(follow_symlinks=False) or parse_cache_name(entry.name) is None:
                continue
            cache = Path(entry.path)
            source = source_for_cache(cache, prefix=prefix)
            if source is not None and not source.exists():
                orphans.append(judge_cache(cache, prefix=prefix))
    return orphans


def _relative(verdict: Verdict, shown: Path | None) -> Verdict:
    """The verdict with paths as a user reads them: the source as found under its PATH,
    the cache relative to the current folder when it lies below it."""
    from dataclasses import replace

    def rel(p: Path | None) -> Path | None:
        if p is None:
            return None
        text = os.path.relpath(p) if os.path.isabs(p) else str(p)
        return Path(text) if not text.startswith("..") else p

    return replace(
        verdict, source=shown or rel(verdict.source), cache=rel(verdict.cache) or verdict.cache
    )
