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
import re
import sys
from collections import Counter
from collections.abc import Sequence, Set
from dataclasses import dataclass
from pathlib import Path

from ember._skips import Skipped
from ember.diagnostics import Diagnostic
from ember.pyc.cache import (
    NO_CACHE,
    Verdict,
    cache_dirs,
    cache_path,
    cache_tag,
    diagnostic_json,
    find_sources,
    judge_cache,
    judge_many,
    parse_cache_name,
    shown,
    source_for_cache,
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
    skipped: tuple[Skipped, ...] = ()  # folders the default excludes left out

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
            "skipped": [s.to_json() for s in self.skipped],
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
    default_excludes: bool = True,
) -> StatusReport:
    """The importer's verdict on every source's cache under ``paths`` at each level,
    then the orphaned cache files (any Python's) in the cache folders walked.
    ``strict``: the report is ok only when every record is fresh.
    ``default_excludes``: skip virtual environments, build output and the like below a
    PATH (see :mod:`ember._skips`).

    >>> status([Path("app")]).ok  # doctest: +SKIP
    False
    """
    found = find_sources(
        paths, exclude=exclude, follow_symlinks=follow_symlinks, default_excludes=default_excludes
    )
    why_missing = MissingReasons(prefix)
    sources = [Path(s.absolute) for s in found.sources]
    displays = {Path(s.absolute): s.path for s in found.sources}
    records: list[Verdict] = []
    for level in dict.fromkeys(levels) or (0,):
        verdicts = judge_many(
            sources, optimization=level, prefix=prefix, check_body=check_body, skip_missing=True
        )
        for verdict in verdicts:
            shown = displays.get(verdict.source) if verdict.source else None
            records.append(_relative(why_missing.explain(verdict), shown))
    orphans = find_orphans(found.dirs, prefix=prefix, known=set(displays))
    records.extend(_relative(v, None) for v in orphans)
    tag = cache_tag()
    where = "in __pycache__" if prefix is None else f"under {prefix}"
    section = StatusSection(f"bytecode caches ({tag}, {where})", tuple(records))
    return StatusReport((section,), found.problems, found.notes, strict, found.skipped)


# --- why a cache is missing -------------------------------------------------------------

# `if __name__ == "__main__":` (either way round) at the start of a line: the file is
# meant to be run as a script, the one file python never caches.
_MAIN_GUARD = re.compile(
    rb"""^if\s+(?:__name__\s*==\s*(['"])__main__\1|(['"])__main__\2\s*==\s*__name__)\s*:""",
    re.MULTILINE,
)


class MissingReasons:
    """Why a source has no cache file, in the words a user can act on: the reason a
    ``missing`` verdict gets in ``ember status``. The first that applies, broadest
    first:

    - ``PYTHONDONTWRITEBYTECODE`` is set: python writes no caches at all;
    - the cache folder cannot be created or written by this user;
    - the file is a main script (``if __name__ == "__main__":``): python never caches
      the script it runs;
    - a pycache prefix is in force, so caches live under it, not in ``__pycache__``
      (or, with none, one is set for python but these caches were looked for in-tree);
    - else it was never imported or built.
    """

    def __init__(self, prefix: Path | None) -> None:
        self.prefix = prefix
        # What python would do in this environment (not ember's own -B: that is not
        # the interpreter that imports the user's code).
        self.no_write = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        self.python_prefix = sys.pycache_prefix
        self._writable: dict[str, bool] = {}
        self._scripts: dict[Path, bool] = {}

    def explain(self, verdict: Verdict) -> Verdict:
        """``verdict`` with the reason of a plain ``no cache file`` made specific."""
        if verdict.state != "missing" or verdict.reason != NO_CACHE:
            return verdict
        if verdict.source is None:  # pragma: no cover - a missing verdict has a source
            return verdict
        from dataclasses import replace

        return replace(verdict, reason=f"{NO_CACHE}: {self.why(verdict.source, verdict.cache)}")

    def why(self, source: Path, cache: Path) -> str:
        """The first reason that applies to ``source`` (its cache file ``cache``)."""
        if self.no_write:
            return "python writes none while PYTHONDONTWRITEBYTECODE is set"
        unwritable = self._unwritable(cache.parent)
        if unwritable is not None:
            return unwritable
        if source.name != "__main__.py" and self._is_script(source):
            # `python -m pkg` and `python pkgdir` import __main__.py: that one is cached.
            # FILE, not the name: the row already names it, and a path would double it.
            return "a script run as `python FILE` is never cached; `ember run FILE` caches it"
        if self.prefix is not None:
            beside = cache_path(source)
            also = (
                f"; the {shown(beside)} beside it is ignored while a prefix is set"
                if beside.is_file()
                else ""
            )
            return f"never imported or built with the pycache prefix {self.prefix}{also}"
        if self.python_prefix:
            return (
                f"a pycache prefix is in force: python writes caches under "
                f"{self.python_prefix}, not in __pycache__"
            )
        return "never imported or built"

    def _is_script(self, source: Path) -> bool:
        """Whether ``source`` looks like a script: a main guard at top level (read
        once however many levels are checked)."""
        if source not in self._scripts:
            try:
                with open(source, "rb") as f:
                    self._scripts[source] = _MAIN_GUARD.search(f.read()) is not None
            except OSError:
                self._scripts[source] = False
        return self._scripts[source]

    def _unwritable(self, cdir: Path) -> str | None:
        """Why the importer cannot write into ``cdir`` (created as needed), or None."""
        folder = str(cdir)
        while not os.path.lexists(folder):
            parent = os.path.dirname(folder)
            if parent == folder:
                return None
            folder = parent
        if folder not in self._writable:
            self._writable[folder] = os.access(folder, os.W_OK | os.X_OK)
        if self._writable[folder]:
            return None
        if folder == str(cdir):
            return f"{shown(cdir)} is not writable by you: the cache cannot be written (permission)"
        return (
            f"{cdir.name} cannot be created: {shown(Path(folder))} is not writable by you "
            "(permission)"
        )


def find_orphans(
    dirs: Sequence[str], *, prefix: Path | None = None, known: Set[Path] = frozenset()
) -> list[Verdict]:
    """Cache files (any tag, any level) in the cache folders of ``dirs`` whose source
    does not exist (``known`` sources were just found, so exist: no stat for them)."""
    orphans = []
    for cdir in cache_dirs(dirs, prefix=prefix):
        for entry in sorted(os.scandir(cdir), key=lambda e: e.name):
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
