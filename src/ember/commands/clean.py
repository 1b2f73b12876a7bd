"""``ember clean [PATH...]``: argv → :func:`ember.pyc.clean.clean` → what was removed.

$ ember clean --orphans .
removed 1 cache file and 0 empty cache folders
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ember.commands.build import add_tree_arguments, print_json, resolve_prefix, skipped_note

EPILOG = """\
Only files named like cache files (NAME.TAG[.opt-N].pyc, any Python's tag) inside
__pycache__ folders (or a pycache-prefix tree) are removed, then the __pycache__ folders
left empty. Native cache entries (the machine code of @ember.jit functions:
NAME.FUNC.KEY.ember-TAG.so in __pycache__ or the per-user cache) go the same way, with
--orphans and --stale meaning the same. Sources, legacy foo.pyc files beside their source,
symlinks and anything else are never touched.

Virtual environments, build output, node_modules, site-packages and .git below a PATH
are left alone, with one note on stderr; --no-default-excludes cleans them too, and a
PATH you name (ember clean .venv) is always walked.

examples:
  ember clean                     remove every cache under the current folder
  ember clean --dry-run src/      list what would be removed
  ember clean --orphans .         only caches whose source was deleted or renamed
  ember clean --stale .           only this Python's caches that are stale, corrupt,
                                  foreign, or unchecked-hash and out of date
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Remove cache files (all, stale or orphaned) and empty __pycache__ folders."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_tree_arguments(parser)
    parser.add_argument("--orphans", action="store_true", help="only caches with no source")
    parser.add_argument(
        "--stale",
        action="store_true",
        help="only caches the importer would reject (stale, corrupt, foreign) or that run "
        "old code (unchecked-hash, out of date)",
    )
    parser.add_argument("-n", "--dry-run", action="store_true", help="list, do not remove")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("-v", "--verbose", action="store_true", help="list each removed file")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")


def main(args: argparse.Namespace) -> int:
    from ember.native.cache_scan import clean_native
    from ember.pyc.clean import clean

    prefix, prefix_note = resolve_prefix(args.prefix)
    # Native entries first: they share __pycache__ folders, which the bytecode clean
    # then removes once they are empty.
    native = clean_native(
        args.paths or [Path(".")],
        orphans=args.orphans,
        stale=args.stale,
        dry_run=args.dry_run,
        default_excludes=args.default_excludes,
    )
    report = clean(
        args.paths or [Path(".")],
        orphans=args.orphans,
        stale=args.stale,
        dry_run=args.dry_run,
        prefix=prefix,
        exclude=args.exclude,
        follow_symlinks=args.follow_symlinks,
        default_excludes=args.default_excludes,
    )
    if args.json:
        print_json({**report.to_json(), "native_removed": native})
        return 0 if report.ok else 1
    if prefix_note and not args.quiet:
        print(prefix_note, file=sys.stderr)
    for problem in report.problems:
        print(problem.render(), file=sys.stderr)
    for failure in report.failures:
        print(failure.render(), file=sys.stderr)
    if not args.quiet:
        if (skipped := skipped_note(report)) is not None:
            print(skipped, file=sys.stderr)
        if args.verbose or args.dry_run:
            verb = "would remove" if args.dry_run else "removed"
            for path in (*native, *report.removed, *report.removed_dirs):
                print(f"{verb} {path}")
        print(report.summary())
        if native:
            verb = "would remove" if args.dry_run else "removed"
            print(f"native cache: {verb} {len(native)} entr{'y' if len(native) == 1 else 'ies'}")
    return 0 if report.ok else 1
