"""``ember status [PATH...]``: argv → :func:`ember.pyc.status.status` → a table.

$ ember status examples/sampleapp
bytecode caches (cpython-311, in __pycache__)
  STATE        FILE                           REASON
  fresh        examples/sampleapp/main.py     timestamp and size match
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ember.commands.build import add_tree_arguments, print_json, resolve_prefix, skipped_note

EPILOG = """\
states (the importer's verdict on each cache):
  fresh        the importer uses the cache and it matches the source
  missing      no cache file: the importer compiles the source on every run. The
               reason says why there is none: PYTHONDONTWRITEBYTECODE is set, the
               folder is not writable by you, it is a main script (python never
               caches the script it runs; ember run does), a pycache prefix is in
               force (caches live under it), or it was never imported or built
  stale        source mtime, size or hash differs from what the cache records (or an
               unchecked-hash cache no longer matches: import still loads it)
  foreign      written by another Python (its magic number is decoded)
  corrupt      short header, bad magic or flags, or a body that does not unmarshal
               (import would crash on such a body: rebuild with 'ember build -f')
  same-second  fresh, but written in the second the source was last modified, so an
               equal-size edit later in that second would go unnoticed; any build of a
               just-checked-out tree gives this. 'ember build -f' a second later, or
               --invalidation checked-hash, removes the risk
  unchecked    an unchecked-hash cache that matches its source: import never
               revalidates it
  orphan       a cache file whose source is gone: never loaded (remove with
               'ember clean --orphans')

ahead-of-time extensions (built by 'ember aot') are listed in a section of their own:
fresh when every source they were compiled from is unchanged (size and mtime, else
sha256), stale when one changed (the reason names it), when another ember built them,
or when a module whose @jit code they hold changed; 'ember build --native' rebuilds
the stale ones. orphan: the source is gone (nothing to rebuild from).

exit status (a CI gate): 1 when any cache or extension is missing, stale, foreign or corrupt, or a
PATH is bad; same-second, unchecked and orphan are warnings, shown in the table, that
fail only with --strict; else 0.

Bodies are unmarshalled in a separate process, so a hostile .pyc cannot crash ember.

Virtual environments, build output, node_modules, site-packages and .git below a PATH
are skipped, with one note on stderr (-q silences it; --json lists them under
"skipped"); --no-default-excludes walks them. A PATH you name is always walked.

examples:
  ember status                    the current folder
  ember status src/ -O 0 -O 1     check two optimisation levels
  ember build -q . && ember status -q .
                                  a CI gate: build, then print only what is not fresh
  ember status --strict .         fail on warnings too
  ember status --json . > status.json
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Say, for each source, whether the importer would use its cache and why not;\n"
        "list orphaned caches."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_tree_arguments(parser, levels="optimisation level to check; repeatable (default 0)")
    parser.add_argument(
        "--no-body-check",
        action="store_true",
        help="judge headers only (faster; misses corrupt bodies)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 unless every cache is fresh (same-second, unchecked, orphan included)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="list only caches that are not fresh (and no note of skipped folders)",
    )


def main(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ember.native.aot.scan import status_section as aot_status_section
    from ember.native.cache.scan import status_section as native_status_section
    from ember.pyc.status import status

    prefix, prefix_note = resolve_prefix(args.prefix)
    report = status(
        args.paths or [Path(".")],
        levels=args.levels or (0,),
        prefix=prefix,
        exclude=args.exclude,
        follow_symlinks=args.follow_symlinks,
        check_body=not args.no_body_check,
        strict=args.strict,
        default_excludes=args.default_excludes,
    )
    native = native_status_section(
        args.paths or [Path(".")], default_excludes=args.default_excludes
    )
    if native.records:
        report = replace(report, sections=(*report.sections, native))
    aot = aot_status_section(args.paths or [Path(".")], default_excludes=args.default_excludes)
    if aot.records:
        report = replace(report, sections=(*report.sections, aot))
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok else 1
    if prefix_note:
        print(prefix_note.replace("note:", "warning:", 1), file=sys.stderr)
    for problem in report.problems:
        print(problem.render(), file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if not args.quiet and (skipped := skipped_note(report)) is not None:
        print(skipped, file=sys.stderr)
    for section in report.sections:
        sys.stdout.write(render_section(section, only_problems=args.quiet))
    if report.warnings:
        n = report.warnings
        verdict = "failing (--strict)" if report.strict else "not failing (--strict fails them)"
        print(f"{n} warning{'s' if n != 1 else ''}: {verdict}")
    return 0 if report.ok else 1


def render_section(section: object, *, only_problems: bool = False) -> str:
    """A section as a table: state, file (the cache for orphans) and reason, then a
    count line. Works for any section whose records have ``state``, ``reason``,
    ``source`` and ``cache``."""
    records = list(section.records)  # type: ignore[attr-defined]
    rows = []
    for r in records:
        if only_problems and r.state == "fresh":
            continue
        shown = r.cache if r.state == "orphan" or r.source is None else r.source
        label = getattr(r, "file_label", None) or str(shown)
        opt = _opt_level(r.cache.name)
        if opt and r.state != "orphan":
            label += f" [opt-{opt}]"
        rows.append((r.state, label, r.reason))
    out = [f"{section.title}\n"]  # type: ignore[attr-defined]
    if rows:
        width = min(60, max(len("FILE"), *(len(row[1]) for row in rows)))
        out.append(f"  {'STATE':<12} {'FILE':<{width}}  REASON\n")
        out.extend(f"  {s:<12} {f:<{width}}  {why}\n" for s, f, why in rows)
    counts = {}
    for r in records:
        counts[r.state] = counts.get(r.state, 0) + 1
    if records:
        parts = ", ".join(f"{n} {state}" for state, n in counts.items())
        noun = getattr(section, "noun", "cache")
        out.append(f"{len(records)} {noun}{'s' if len(records) != 1 else ''}: {parts}\n")
    else:
        out.append("no Python sources found\n")
    return "".join(out)


def _opt_level(name: str) -> str:
    from ember.pyc.cache import parse_cache_name

    parsed = parse_cache_name(name)
    return parsed[2] if parsed else ""
