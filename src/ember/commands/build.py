"""``ember build [PATH...]``: argv → :func:`ember.pyc.build.build` → errors and a summary.

$ ember build examples/sampleapp
compiled 7, already fresh 0, failed 0 in 0.02 s
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

EPILOG = """\
Every .py file under the PATHs gets the cache file the importer looks for
(__pycache__/NAME.cpython-3XX[.opt-N].pyc), byte-identical to py_compile's. A file is
skipped only when its cache is fresh exactly as the importer would judge it for the
requested mode: all 16 header bytes (magic, flags, and source mtime and size, or the
source hash). One pool of workers compiles the whole list; writes are atomic.

An explicit build writes caches even when PYTHONDONTWRITEBYTECODE is set (that variable
stops the importer from writing them, like compileall ignores it).

examples:
  ember build                          compile everything under the current folder
  ember build src/ -O 0 -O 1 -O 2      all three optimisation levels
  ember build --invalidation checked-hash --exclude 'tests/data/*' .
  ember build -j1 --json app/ > build.json
  ember build --prefix /tmp/pycache .  a PYTHONPYCACHEPREFIX-style tree
  ember build --site-packages          this environment's installed packages
  ember build .venv/lib/python3.11/site-packages
                                       the same, named: a PATH is always walked

Below a PATH, virtual environments (.venv, venv, any folder with a pyvenv.cfg), .tox,
.nox, build, dist, node_modules, site-packages and .git are skipped, as other tools
skip them, with one note naming them; a folder among those names that holds an
__init__.py is a package and is walked. Below a PATH that is (or lies inside) a
virtual environment, site-packages or a Python's lib/python3.X, nothing is skipped.
--no-default-excludes walks everything.

--native also rebuilds each ahead-of-time extension (ember aot) under the PATHs that
'ember status' calls stale, in its folder, with the --cpu and --signature it was built
with (recorded in it).

exit status: 0 when every file compiled or was fresh, 1 when any failed.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Compile every .py under PATHs to its __pycache__ .pyc, in parallel and\n"
        "incrementally, byte-identical to py_compile."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_tree_arguments(
        parser, levels="optimisation level 0, 1 (-O) or 2 (-OO); repeat for several (default 0)"
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=non_negative,
        default=0,
        metavar="N",
        help="worker processes (default 0: all CPUs)",
    )
    parser.add_argument(
        "--invalidation",
        choices=("timestamp", "checked-hash", "unchecked-hash"),
        help="how the importer revalidates the cache (default: timestamp, or "
        "checked-hash when SOURCE_DATE_EPOCH is set, as py_compile)",
    )
    parser.add_argument("-f", "--force", action="store_true", help="rebuild even fresh caches")
    parser.add_argument(
        "--site-packages",
        action="store_true",
        help="build the installed packages of the Python ember runs on (its "
        "site-packages: a virtual environment's when ember is installed in one), "
        "with any PATHs given",
    )
    parser.add_argument(
        "--native",
        action="store_true",
        help="also rebuild the stale ahead-of-time extensions (ember aot) under the PATHs, "
        "as they were built (same folder, --cpu and --signature)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")


def rebuild_native(paths: list[Path], default_excludes: bool, show: bool) -> bool:
    """``--native``: rebuild the stale AOT extensions under ``paths``, one line each;
    False when one failed (its errors follow its line)."""
    from ember.native.aot.scan import rebuild, scan

    ok = True
    for record, code, errors in rebuild(scan(paths, default_excludes)):
        if code == 0:
            if show:
                print(f"rebuilt {record.file_label}: {record.reason}")
        else:
            ok = False
            print(f"ember build: rebuilding {record.path} failed:\n{errors}", file=sys.stderr)
    return ok


def main(args: argparse.Namespace) -> int:
    from ember.pyc.build import build
    from ember.pyc.header import InvalidationMode

    prefix, prefix_note = resolve_prefix(args.prefix)
    mode = InvalidationMode(args.invalidation) if args.invalidation else None
    show = not (args.quiet or args.json)
    progress = Progress("compiling") if show and sys.stderr.isatty() else None
    paths = [*args.paths, *(site_packages() if args.site_packages else ())]
    report = build(
        paths or [Path(".")],
        mode=mode,
        levels=args.levels or (0,),
        force=args.force,
        exclude=args.exclude,
        follow_symlinks=args.follow_symlinks,
        prefix=prefix,
        jobs=args.jobs or None,
        progress=progress,
        default_excludes=args.default_excludes,
    )
    if progress is not None:
        progress.clear()
    native_ok = True
    if args.native:
        native_ok = rebuild_native(paths or [Path(".")], args.default_excludes,
                                   show and not args.json)
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok and native_ok else 1
    err = sys.stderr
    if show and prefix_note:
        print(prefix_note, file=err)
    for diagnostic in report.errors:
        print(diagnostic.render(), file=err)
    if show:
        for warning in report.warnings:
            print(warning.render(), file=err)
        for note in report.notes:
            print(f"note: {note}", file=err)
        if (skipped := skipped_note(report)) is not None:
            print(skipped, file=err)
        print(report.summary())
    return 0 if report.ok and native_ok else 1


def site_packages() -> list[Path]:
    """The folders this Python installs packages into (purelib and platlib; one
    folder on most systems), those that exist."""
    import sysconfig

    found = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    return [Path(p) for p in found if os.path.isdir(p)]


# --- helpers shared with the status and clean commands ---------------------------------


def add_tree_arguments(parser: argparse.ArgumentParser, *, levels: str | None = None) -> None:
    """PATH..., ``--exclude``, ``--follow-symlinks``, ``--prefix`` and, when ``levels``
    (its help) is given, ``-O LEVEL``: how build, status and clean choose their files."""
    parser.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: .)"
    )
    if levels is not None:
        parser.add_argument(
            "-O",
            "--optimize",
            dest="levels",
            type=int,
            action="append",
            choices=(0, 1, 2),
            metavar="LEVEL",
            help=levels,
        )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching GLOB (relative to its PATH, or a bare name); repeatable",
    )
    parser.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="descend into symlinked folders (default: skip them, with a note)",
    )
    parser.add_argument(
        "--no-default-excludes",
        "--include-venvs",
        dest="default_excludes",
        action="store_false",
        help="walk what is skipped by default below a PATH (and named in one note): "
        "virtual environments (.venv, venv, any folder with a pyvenv.cfg), .tox, .nox, "
        "build, dist, node_modules, site-packages, .git; a PATH you name is always walked",
    )
    parser.add_argument(
        "--prefix",
        type=Path,
        metavar="DIR",
        help="a pycache-prefix tree, as PYTHONPYCACHEPREFIX (default: that variable when "
        "set, else in-tree __pycache__ folders)",
    )


def skipped_note(report: object) -> str | None:
    """The one ``note: skipped ...`` line for a report's ``skipped`` folders, if any."""
    from ember.support.skips import skipped_note as note

    text = note(getattr(report, "skipped", ()))
    return None if text is None else f"note: {text}"


def non_negative(text: str) -> int:
    """An argparse type for counts where 0 means "automatic" (``-j 0``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (all CPUs) or more, not {value}")
    return value


def resolve_prefix(given: Path | None) -> tuple[Path | None, str | None]:
    """The prefix to use, and a note when it came from PYTHONPYCACHEPREFIX (then the
    importer ignores in-tree ``__pycache__`` folders, which a user should know)."""
    if given is not None:
        return given, None
    env = sys.pycache_prefix
    if env:
        return Path(env), (
            f"note: PYTHONPYCACHEPREFIX is set: the importer reads caches under {env} and "
            "ignores in-tree __pycache__ folders; using that tree (pass --prefix to choose)"
        )
    return None, None


def print_json(document: object) -> None:
    import json

    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


class Progress:
    """``done/total`` on one stderr line, redrawn at most ten times a second; not
    before ``delay`` seconds have passed (a quick command prints no progress)."""

    def __init__(self, verb: str, minimum: int = 50, delay: float = 0.0) -> None:
        self.verb = verb
        self.minimum = minimum
        self.delay = delay
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if total < self.minimum or (now - self.last < 0.1 and done < total):
            return
        if now - self.started < self.delay:
            return
        self.last = now
        self.shown = True
        sys.stderr.write(f"\r{self.verb} {done}/{total} ({100 * done // total}%)")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
