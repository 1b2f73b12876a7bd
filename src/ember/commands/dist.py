"""``ember dist``: SRC OUT → :func:`ember.pyc.dist.make_dist` → the report on stdout.

$ ember dist myapp/ build/myapp-py311/
"""

from __future__ import annotations

import argparse

EPILOG = """\
examples:
  ember dist myapp build/myapp        an app folder: run it with python build/myapp/main.py
  ember dist src/shop build/shop      a package: build/shop/shop/...; PYTHONPATH=build/shop
  ember dist -OO myapp build/myapp    strip asserts and docstrings too
  ember dist --force myapp build/myapp
                                      replace an earlier ember dist output

Each foo.py becomes foo.pyc beside where it was (the legacy location: the plain
importer and zipimport load it with no source), with co_filename set to its path
relative to OUT so tracebacks name the module. Other files are copied; SRC is only
read. OUT must be outside SRC, and a non-empty OUT is replaced only with --force and
only if it is an earlier ember dist output. Virtual environments, build output,
node_modules, site-packages and VCS folders inside SRC are left out, with one note
(--no-default-excludes copies them too; VCS folders never).

The output runs on this Python version only. Each way into it (top-level modules and
top-level packages) gets a tiny source launcher beside its .pyc that checks the Python
first, so another Python says which one it needs instead of "bad magic number";
EMBER-DIST.json records the version. Every module is then imported in a fresh
interpreter to check the output.

This is not protection: names and string constants stay readable in a .pyc (ember
inspect --strings shows them), and decompilers recover most of the logic.

A module whose import fails only because it needs a top-level module that is not
installed here (and is not part of SRC) is counted apart: "needs a module not
installed here", not a failure of the copy.

exit status: 0 when written and every module imports (or needs only modules not
installed here), 1 otherwise, 2 for a usage error. With --json, stdout is JSON
either way: the result, or {"error": ..., "exit_status": ...} (and "diagnostics",
one rendered message each, for sources that do not compile).
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Make a sourceless copy of a package or app for this Python: .pyc files at the "
        "legacy location, verified to import."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("src", metavar="SRC", help="the app or package folder to copy")
    parser.add_argument("out", metavar="OUT", help="the folder to write (outside SRC)")
    parser.add_argument(
        "-O",
        dest="optimize",
        action="count",
        default=0,
        help="-O drops asserts and __debug__ blocks; -OO docstrings too",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace OUT if it is an earlier ember dist output"
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="skip importing every module afterwards"
    )
    parser.add_argument(
        "--no-default-excludes",
        "--include-venvs",
        dest="default_excludes",
        action="store_false",
        help="also copy what is skipped by default in SRC (and named in one note): "
        "virtual environments (.venv, venv, any folder with a pyvenv.cfg), .tox, .nox, "
        "build, dist, node_modules, site-packages",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from ember.commands.errors import USAGE, fail
    from ember.pyc.dist import DistError, make_dist, render, to_json

    if args.optimize > 2:
        return fail("ember dist", "-O at most twice (-OO)", as_json=args.json, status=USAGE)
    try:
        result = make_dist(
            Path(args.src),
            Path(args.out),
            optimize=args.optimize,
            force=args.force,
            verify=not args.no_verify,
            default_excludes=args.default_excludes,
        )
    except DistError as exc:
        if not args.json:
            sys.stderr.write(exc.render() + "\n")
            return 1
        from ember.commands.build import print_json

        document: dict[str, object] = {"error": exc.message, "exit_status": 1}
        if exc.hint:
            document["hint"] = exc.hint
        if exc.diagnostics:
            document["diagnostics"] = [d.render() for d in exc.diagnostics]
        print_json(document)
        return 1
    if args.json:
        import json

        print(json.dumps(to_json(result), indent=2))
    else:
        from ember._skips import skipped_note

        if (note := skipped_note(result.skipped)) is not None:
            sys.stderr.write(f"note: {note}\n")
        sys.stdout.write(render(result))
    return 1 if result.verify_failures else 0
