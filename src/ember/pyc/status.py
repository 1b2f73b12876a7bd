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
from collections.abc import Sequence, Set
from dataclasses import dataclass
from pathlib import Path

from ember.diagnostics import Diagnostic
from ember.pyc.cache import (
    Verdict,
    cache_dirs,
    cache_tag,
    diagnostic_json,
    find_sources,
    judge_cache,
    judge_many,
    parse_cache_name,
    shown,
    source_for_cache,
    unlistable,
)

# The exit policy. These states are reported but pass the gate: the importer uses the
# cache and it matches the source as far as can be known. same-second is what a fresh
# checkout gets from any build (sources and caches written in the same second); an
# unchecked-hash cache that still matches is what `--invalidation unchecked-hash`
# asks for; an orphan is never loaded. `strict` fails them too.
WARNING_STATES = frozenset({"same-second", "unchecked", "orphan"})


def fails(state: str, *, strict: bool = False) -> bool:
    """Whether a record in ``state`` fails the gate: anything but ``fresh`` when
    ``strict``, else anything that is neither fresh nor a warning.

    >>> fails("same-second"), fails("same-second", strict=True), fails("stale")
    (False, True, True)
    """
    return state != "fresh" and (strict or state not in WARNING_STATES)


@dataclass(frozen=True, slots=True)
class StatusSection:
    """A titled group of verdicts (records with ``state``, ``reason``, ``source``,
    ``cache`` and ``to_json()``)."""

    title: str
    records: tuple[Verdict, ...]

    @property
    def ok(self) -> bool:
        return not any(fails(r.state) for r in self.records)

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
    """Sections of verdicts (any objects with ``title`` and ``records``), path problems
    (missing path, dangling symlink) and notes. ``ok`` is the CI gate: no problem and
    no failing record (see :func:`fails`; ``strict`` fails warnings too)."""

    sections: tuple[StatusSection, ...]
    problems: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()
    strict: bool = False

    def _records(self) -> list[Verdict]:
        return [r for s in self.sections for r in s.records]

    @property
    def failing(self) -> int:
        return sum(fails(r.state, strict=self.strict) for r in self._records())

    @property
    def warnings(self) -> int:
        """Records that pass only because the gate is not strict."""
        return sum(fails(r.state, strict=True) and not fails(r.state) for r in self._records())

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failing

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "strict": self.strict,
            "failing": self.failing,
            "warnings": self.warnings,
            "warning_states": sorted(WARNING_STATES),
            "sections": [s.to_json() for s in self.sections],
            "errors": [diagnostic_json(p) for p in self.problems],
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
    strict: bool = False,
) -> StatusReport:
    """The importer's verdict on every source's cache under ``paths`` at each level,
    then the orphaned cache files (any Python's) in the cache folders walked.
    ``strict``: the report is ok only when every record is fresh.

    >>> status([Path("app")]).ok  # doctest: +SKIP
    False
    """
    found = find_sources(paths, exclude=exclude, follow_symlinks=follow_symlinks)
    sources = [Path(s.absolute) for s in found.sources]
    displays = {Path(s.absolute): s.path for s in found.sources}
    records: list[Verdict] = []
    for level in dict.fromkeys(levels) or (0,):
        verdicts = judge_many(
            sources, optimization=level, prefix=prefix, check_body=check_body, skip_missing=True
        )
        for verdict in verdicts:
            shown = displays.get(verdict.source) if verdict.source else None
            records.append(_relative(verdict, shown))
    unlisted: list[Diagnostic] = []
    orphans = find_orphans(found.dirs, prefix=prefix, known=set(displays), problems=unlisted)
    records.extend(_relative(v, None) for v in orphans)
    tag = cache_tag()
    where = "in __pycache__" if prefix is None else f"under {prefix}"
    section = StatusSection(f"bytecode caches ({tag}, {where})", tuple(records))
    return StatusReport((section,), (*found.problems, *unlisted), found.notes, strict)


def find_orphans(
    dirs: Sequence[str],
    *,
    prefix: Path | None = None,
    known: Set[Path] = frozenset(),
    problems: list[Diagnostic] | None = None,
) -> list[Verdict]:
    """Cache files (any tag, any level) in the cache folders of ``dirs`` whose source
    does not exist (``known`` sources were just found, so exist: no stat for them).
    A cache folder that cannot be listed is added to ``problems`` and skipped."""
    orphans = []
    for cdir in cache_dirs(dirs, prefix=prefix):
        try:
            entries = sorted(os.scandir(cdir), key=lambda e: e.name)
        except OSError as exc:
            if problems is not None:
                problems.append(unlistable(cdir, exc))
            continue
        for entry in entries:
            if not entry.is_file(follow_symlinks=False) or parse_cache_name(entry.name) is None:
                continue
            cache = Path(entry.path)
            source = source_for_cache(cache, prefix=prefix)
            if source is not None and source not in known and not source.exists():
                orphans.append(judge_cache(cache, prefix=prefix))
    return orphans


def _relative(verdict: Verdict, shown_source: Path | None) -> Verdict:
    """The verdict with paths as a user reads them: the source as found under its PATH,
    the cache relative to the current folder when it lies below it."""
    from dataclasses import replace

    source = shown_source or (None if verdict.source is None else shown(verdict.source))
    return replace(verdict, source=source, cache=shown(verdict.cache))
