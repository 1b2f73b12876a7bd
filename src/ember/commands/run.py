"""``ember run``: argv → :func:`ember.pyc.run.run_script` / :func:`run_module`.

    $ ember run app.py --port 8000     # as python app.py --port 8000
    $ ember run -m json.tool data.json # as python -m json.tool data.json

:func:`fast_main` parses the common forms without argparse (whose import alone costs
more than what ``ember run`` adds to python's start-up); anything else (``--help``,
``--install-launcher``, a mistake) goes through :func:`configure`/:func:`main`.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # keep typing (and argparse) off the start-up path
if TYPE_CHECKING:
    import argparse

EPILOG = """\
examples:
  ember run app.py --port 8000      run app.py as `python app.py --port 8000` would
  ember run -m http.server 8000     run a module as `python -m http.server 8000` would
  ember run -B app.py               run without writing app.py's cache
  ember run -q app.py               no note when PYTHONDONTWRITEBYTECODE stops the cache
  ember run --install-launcher ~/.local/bin/ember-run
                                    write a launcher: `ember-run app.py` starts faster

Everything after SCRIPT (or -m MODULE) is passed to the script untouched.
The first run compiles SCRIPT and writes a checked-hash pyc to its __pycache__
(atomically; not under -B or PYTHONDONTWRITEBYTECODE); later runs load it after
checking the source's hash, so any edit, even within the same second, is seen.
When PYTHONDONTWRITEBYTECODE keeps the script's cache from being written, one note
on stderr says so (every run then compiles it); -q silences it.
sys.argv, sys.path[0], __file__, __name__, tracebacks and the exit status are
python's; __cached__ names the pyc the script was loaded from.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    import argparse

    parser.description = (
        "Run a script (or -m module) exactly as python does, but load the script's "
        "bytecode from its cache instead of compiling it on every run."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "-B",
        dest="write_cache",
        action="store_false",
        default=None,
        help="do not write the script's pyc (as python -B)",
    )
    parser.add_argument(
        "-q",
        dest="quiet",
        action="store_true",
        help="no note on stderr when PYTHONDONTWRITEBYTECODE keeps the script uncached",
    )
    parser.add_argument(
        "--install-launcher",
        metavar="PATH",
        help="write an executable at PATH that runs scripts like `ember run`, faster",
    )
    add_target_arguments(parser, "run")


def add_target_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """``SCRIPT [ARGS]`` or ``-m MODULE [ARGS]``, as python takes them (shared with
    ``ember startup``); :func:`target_of` reads them back."""
    import argparse

    parser.add_argument(
        "-m",
        dest="module",
        nargs=argparse.REMAINDER,
        metavar="MODULE [ARGS]",
        help=f"{verb} a module as `python -m MODULE ARGS` does (ends the option list)",
    )
    parser.add_argument("script", nargs="?", help=f"the script to {verb}")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")


def target_of(args: argparse.Namespace) -> tuple[str | None, str | None, list[str]] | str:
    """``(module, script, args)`` from :func:`add_target_arguments`' namespace (one of
    module and script is set), or a usage error message."""
    if args.module is not None:
        if not args.module:
            return "argument -m: expected a module name"
        # argparse stops -m's REMAINDER after a joined `-mMODULE`; the rest landed in
        # script/args and belongs to the module.
        rest = [*args.module[1:], *([args.script] if args.script else []), *args.args]
        return args.module[0], None, rest
    if args.script is None:
        return "a SCRIPT or -m MODULE is required"
    return None, args.script, list(args.args)


def main(args: argparse.Namespace) -> int:
    from ember.pyc import run

    if args.install_launcher:
        from ember.diagnostics import EmberError

        try:
            path = run.install_launcher(args.install_launcher)
        except EmberError as exc:
            sys.stderr.write(f"{exc}\n")
            return 2
        print(f"wrote {path}")
        print(f"usage: {path} SCRIPT [ARGS...]   (same as: ember run SCRIPT [ARGS...])")
        return 0
    target = target_of(args)
    if isinstance(target, str):
        return _usage_error(target)
    module, script, rest = target
    if module is not None:
        return run.run_module(module, rest, write_cache=args.write_cache)
    assert script is not None
    return run.run_script(script, rest, write_cache=args.write_cache, quiet=args.quiet)


def fast_main(argv: list[str]) -> int:
    """``ember run`` without argparse: ``[-B] [-q] SCRIPT ARGS`` and ``[-B] [-q] -m
    MODULE ARGS`` are parsed here; any other option falls back to the full parser.

    >>> fast_main(["hello.py", "--name", "ada"])  # doctest: +SKIP
    0
    """
    write_cache: bool | None = None
    quiet = False
    for i, arg in enumerate(argv):
        if arg == "-B":
            write_cache = False
            continue
        if arg == "-q":
            quiet = True
            continue
        if arg.startswith("-m") and (len(arg) > 2 or i + 1 < len(argv)):
            from ember.pyc.run import run_module

            if len(arg) > 2:  # -mMODULE, as python accepts
                return run_module(arg[2:], argv[i + 1 :], write_cache=write_cache)
            return run_module(argv[i + 1], argv[i + 2 :], write_cache=write_cache)
        if arg.startswith("-"):
            break
        from ember.pyc.run import run_script

        return run_script(arg, argv[i + 1 :], write_cache=write_cache, quiet=quiet)
    return _slow_main(argv)


def _slow_main(argv: list[str]) -> int:
    import argparse

    from ember.cli import COMMANDS

    parser = argparse.ArgumentParser(prog="ember run", description=COMMANDS["run"])
    configure(parser)
    return main(parser.parse_args(argv))


def _usage_error(message: str) -> int:
    sys.stderr.write(
        "usage: ember run [-h] [-B] [-q] [--install-launcher PATH] [-m MODULE [ARGS]] "
        f"[script] [args ...]\nember run: error: {message}\n"
    )
    return 2
