"""``ember profile SCRIPT [ARGS]``: run a program, find its hot functions, try
compiling them, and say which are worth it (:mod:`ember.insight.profile`).

    $ ember profile sim.py --steps 1000
    $ ember profile --json out.json -m mypkg.cli run
"""

from __future__ import annotations

import argparse
import json
import sys

from ember.commands.run import add_target_arguments, target_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ember.insight.profile.session import Report

EPILOG = """\
examples:
  ember profile sim.py --steps 100     run sim.py as `ember run` would, then report
  ember profile -m mypkg.tool data     the same for a module (as python -m)
  ember profile --apply sim.py         also print the @ember.jit lines to add
  ember profile --apply --write sim.py and add them to the sources
  ember profile --json r.json sim.py   also write the report as JSON
  ember profile --html r.html sim.py   also write a page: a chart, the table, the sources
  ember profile --no-trial sim.py      only measure: do not try compiling anything

The program runs once, exactly as `ember run` runs it (same output, files and exit
status); the report goes to stderr. For each of its hottest functions the report says
where the time went — its own Python code (what compiling speeds up), NumPy, blocked
in I/O or sleeping (wall time that was not CPU time), other C code, its callees — and
gives a verdict. A promising function is compiled and timed in a separate, forked
process on the arguments recorded during the run (so neither a crash nor a mutation
of its arguments can touch the program): "compile" with the measured speed-up and the
run's predicted time (Amdahl's law), "does not compile" with ember's error and hint,
or "not worth it" with the reason.

exit status: the program's.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run a program once and say which of its functions are worth compiling with "
        "ember, by how much, and why not for the others."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--top", type=int, default=10, metavar="N",
                        help="report the N hottest functions (default 10)")
    parser.add_argument("--no-trial", dest="trial", action="store_false",
                        help="measure only: do not try compiling the hot functions")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit of each compile trial (default 60)")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON to FILE "
                        "('-' for stdout, after the program's own output)")
    parser.add_argument("--html", metavar="FILE",
                        help="also write the report as a self-contained HTML page")
    parser.add_argument("--apply", action="store_true",
                        help="print the decorator lines to add (nothing is written)")
    parser.add_argument("--write", action="store_true",
                        help="with --apply: add them to the source files (atomically; "
                             "only the lines shown are added)")
    add_target_arguments(parser, "profile")


def main(args: argparse.Namespace) -> int:
    from ember.insight.profile import report as text_report
    from ember.insight.profile.session import profile_program
    from ember.pyc import run

    target = target_of(args)
    if isinstance(target, str):
        sys.stderr.write(f"ember profile: error: {target}\n")
        return 2
    module, script, rest = target
    if module is not None:
        program = f"-m {module}"

        def go() -> int:
            return run.run_module(module, rest)
    else:
        assert script is not None
        program = script

        def go() -> int:
            return run.run_script(script, rest, quiet=True)

    if args.write and not args.apply:
        sys.stderr.write("ember profile: error: --write goes with --apply\n")
        return 2
    progress = sys.stderr if sys.stderr.isatty() else None
    report = profile_program(go, program, limit=args.top, trials=args.trial,
                             timeout=args.timeout, progress=progress)
    sys.stdout.flush()
    sys.stderr.write("\n" + text_report.text(report))
    status = report.exit_code
    if args.apply:
        sys.stderr.write("\n" + text_report.apply_text(report))
        if args.write and not _write_decorators(report):
            status = report.exit_code or 1
    if args.json:
        data = json.dumps(text_report.to_json(report), indent=2) + "\n"
        if args.json == "-":
            sys.stdout.write(data)
        elif not _write(args.json, data):
            status = status or 1
    if args.html:
        from ember.insight.profile.html import page

        if _write(args.html, page(report)):
            sys.stderr.write(f"wrote {args.html}\n")
        else:
            status = status or 1
    return status


def _write_decorators(report: Report) -> bool:
    """Add the suggested decorators to their files; False if one could not be written."""
    from ember.insight.profile.report import with_decorators

    files: dict[str, list[int]] = {}
    for row in report.rows:
        if row.verdict == "compile":
            files.setdefault(row.filename, []).append(row.line)
    ok = True
    for path, lines in files.items():
        try:
            with open(path, encoding="utf-8") as f:
                source = f.read()
        except OSError as exc:
            sys.stderr.write(f"{path}: error: cannot read ({exc.strerror or exc})\n")
            ok = False
            continue
        if _write(path, with_decorators(source, lines)):
            sys.stderr.write(f"added @ember.jit to {len(lines)} function(s) in {path}\n")
        else:
            ok = False
    return ok


def _write(path: str, text: str) -> bool:
    """Write a report file atomically; an OS error is one line naming the path."""
    from ember.support.fs import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        sys.stderr.write(f"{path}: error: cannot write the report ({exc.strerror or exc})\n")
        return False
    return True
