"""``ember inspect``: a pyc, a source or a module name → :func:`ember.pyc.inspect.inspect_target`
→ the report as text or JSON on stdout.

    $ ember inspect app.py --strings      # app.py's cache for this Python
"""

from __future__ import annotations

import argparse

EPILOG = """\
examples:
  ember inspect app.py                   app.py's cache for this Python: header, verdict,
                                         functions and classes with their lines
  ember inspect __pycache__/app.cpython-312.pyc --python 3.12
                                         a pyc of another Python, decoded by that Python
  ember inspect json --dis               a module found on sys.path (not imported)
  ember inspect app.py --strings         every string and bytes constant, and where it sits
  ember inspect dist/shop/cart.pyc --json

A .pyc's body is untrusted input: it is unmarshalled in a separate, isolated,
memory-limited interpreter with a timeout, never in ember's own process; a body that
crashes or hangs it is reported as corrupt.

Compiling is not protection: names and string constants (a password, an API key) are
readable in a .pyc by anyone who has the file. --strings shows them.

exit status: 0 when the body was decoded, 1 when it could not be (missing, corrupt,
too large to show, or written by a Python that is not available), 2 for a usage
error. With --json, stdout is JSON either way: the report, or {"error": ...,
"exit_status": ...} when there is nothing to report on.

A report is bounded: names and strings longer than 1,000 characters are clipped
(saying how long they are), and a file whose report would pass 32 MiB is "too
large to show".
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Decode a .pyc: its header (magic -> Python version, invalidation mode, source "
        "mtime and size or hash), the importer's verdict against its source, and the code "
        "objects inside with their line ranges."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("target", metavar="FILE.pyc|FILE.py|MODULE", help="what to inspect")
    parser.add_argument("--dis", action="store_true", help="add the disassembly")
    parser.add_argument(
        "--strings", action="store_true", help="list every str/bytes constant with its place"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--python",
        metavar="PY",
        help="decode the body with this interpreter (a path, or a version like 3.12): "
        "for a pyc written by another Python",
    )
    parser.add_argument(
        "--opt",
        type=int,
        choices=(0, 1, 2),
        default=0,
        help="for FILE.py or MODULE: the cache of this optimization level (-O is 1, -OO 2)",
    )


def main(args: argparse.Namespace) -> int:
    import sys

    from ember.commands.errors import fail
    from ember.pyc.inspect import InspectError, inspect_target, render, to_json

    try:
        report = inspect_target(
            args.target, optimization=args.opt or "", disassemble=args.dis, python=args.python
        )
    except InspectError as exc:
        return fail("ember inspect", exc.message, hint=exc.hint, as_json=args.json)
    if args.json:
        import json

        print(json.dumps(to_json(report), indent=2))
    else:
        sys.stdout.write(render(report, show_strings=args.strings, show_dis=args.dis))
    return 0 if report.decoded else 1
