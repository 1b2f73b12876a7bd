"""``ember startup``: argv → :func:`ember.pyc.startup.measure` → a table, JSON or a plot.

$ ember startup app.py
$ ember startup -n 10 --json -m http.server --help
"""

from __future__ import annotations

import argparse
import json
import sys

from ember.commands.run import add_target_arguments, target_of

EPILOG = """\
Cold runs hide every cache behind a fresh, empty PYTHONPYCACHEPREFIX folder (with
writing off), so each module imported from source is compiled; warm runs use a
second temporary prefix filled by one untimed run. Your own __pycache__ folders are
never read, written or deleted. Cold and warm runs alternate so drift hits both.
Per-module times come from extra runs under `python -X importtime -v`; "cold from"
and "warm from" say where each module's code came from: compiled (from source),
cache (a pyc), frozen or builtin (inside the interpreter: no cache involved),
extension (a shared library).

The program runs with stdin closed and its output discarded; it must exit by itself.

examples:
  ember startup app.py                     5 cold and 5 warm runs, the 10 slowest imports
  ember startup -n 20 --top 25 app.py --quiet
  ember startup -m http.server --help      a module, with its own arguments
  ember startup --json app.py > startup.json
  ember startup --plot startup.svg app.py  cold vs warm per module (needs ember[plot])
  ember startup --python python3.12 app.py measure another interpreter

exit status: 0 when every run of the program exited 0; 1 when it failed (the report
is still printed, with its status and the end of its stderr) or ember could not
measure it (no such script, --plot without matplotlib); 2 for a usage error; 3 when
a run did not finish within --timeout. With --json, stdout is JSON either way: the
report, or {"error": ..., "exit_status": ...}.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Measure what the bytecode cache buys at start-up: N runs cold and N warm, "
        "min and median, the gain, and the imports that dominate."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "-n",
        "--runs",
        type=_positive,
        default=5,
        metavar="N",
        help="timed runs of each kind (default 5)",
    )
    parser.add_argument(
        "--profile-runs",
        type=_positive,
        default=3,
        metavar="N",
        help="profiled runs of each kind for per-module times (default 3)",
    )
    parser.add_argument(
        "--top", type=_positive, default=10, metavar="N", help="modules to list (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--plot", metavar="FILE", help="draw cold vs warm per module to FILE.png|.svg"
    )
    parser.add_argument(
        "--python", metavar="EXE", help="interpreter to measure (default: this one)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds a single run may take (default 120)",
    )
    add_target_arguments(parser, "measure")


def main(args: argparse.Namespace) -> int:
    from ember.commands.errors import FAILED, OK, TIMED_OUT, USAGE, fail_diagnostic
    from ember.diagnostics import EmberError
    from ember.pyc import startup

    parsed = target_of(args)
    if isinstance(parsed, str):
        return _usage(parsed, as_json=args.json)
    module, script, rest = parsed
    target = startup.Target(script=script, module=module, args=tuple(rest))
    try:
        if args.plot:
            startup.check_plot_path(args.plot)  # before minutes of measuring
        report = startup.measure(
            target,
            runs=args.runs,
            profile_runs=args.profile_runs,
            python=args.python,
            timeout=args.timeout,
        )
        if args.json:
            print(json.dumps(report.to_json(args.top), indent=2))
        else:
            print(startup.render_table(report, args.top))
        if args.plot:
            path = startup.plot(report, args.plot, top=max(args.top, 15))
            if not args.json:
                print(f"plot written to {path}")
    except startup.RunTimedOut as exc:
        return fail_diagnostic(exc.diagnostic, as_json=args.json, status=TIMED_OUT)
    except startup.BadOption as exc:
        return fail_diagnostic(exc.diagnostic, as_json=args.json, status=USAGE)
    except EmberError as exc:  # no such script, no matplotlib: not usage errors
        return fail_diagnostic(exc.diagnostic, as_json=args.json, status=FAILED)
    # A CI job measuring start-up must notice a program that no longer starts.
    return FAILED if report.returncode else OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _usage(message: str, *, as_json: bool = False) -> int:
    from ember.commands.errors import USAGE, fail

    sys.stderr.write("usage: ember startup [options] SCRIPT [ARGS] | -m MODULE [ARGS]\n")
    return fail("ember startup", message, as_json=as_json, status=USAGE)
