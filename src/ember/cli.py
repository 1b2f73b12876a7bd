"""The ``ember`` command line: argv → one subcommand module → an exit status.

Each subcommand lives in ``ember.commands.<name>`` with two functions,
``configure(parser)`` and ``main(args) -> int``; only the chosen one is imported, so
``ember --help`` and ``ember run`` never pay for the others (or for llvmlite).

    $ ember build src/          # -> ember.commands.build.main(args)
"""

from __future__ import annotations

import sys

from ember.commands import COMMANDS

TYPE_CHECKING = False  # collections.abc alone is ~1.5 ms of `ember --help`
if TYPE_CHECKING:
    from collections.abc import Sequence

USAGE = "usage: ember [-h] [--version] COMMAND [ARGS...]"


def _top_help() -> str:
    width = max(map(len, COMMANDS))
    rows = "\n".join(f"  {name:<{width}}  {summary}" for name, summary in COMMANDS.items())
    return (
        f"{USAGE}\n\n"
        "ember compiles Python: bytecode caches built and checked like the importer does,\n"
        "and typed numeric functions compiled to machine code with @ember.jit.\n\n"
        f"commands:\n{rows}\n\n"
        "Run 'ember COMMAND --help' for a command's options.\n"
    )


def _close_commands(name: str) -> list[str]:
    """Commands a typo most likely meant: a transposition (``biuld``) shares no
    prefix beyond two letters, so ask difflib, and keep the prefix rule for short input."""
    import difflib  # only on this error path

    close = difflib.get_close_matches(name, COMMANDS, n=2, cutoff=0.6)
    return close or [c for c in COMMANDS if len(name) >= 2 and c.startswith(name[:2])]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ember subcommand and return its exit status.

    >>> main(["--version"])
    ember ...
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args and args[0] in COMMANDS else ""
    try:
        status = _dispatch(args)
        sys.stdout.flush()  # a full disk under stdout fails here, not at exit
        return status
    except SystemExit as exc:  # argparse: --help printed, or a usage error
        sys.stdout.flush()
        raise exc from None
    except KeyboardInterrupt:
        sys.stderr.write("ember: interrupted\n")
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error worth a traceback.
        return 0
    except OSError as exc:
        # The last guard: an OS error no command expected (its output going to a full
        # disk, say) is still one line, never a traceback.
        return _os_error(name, exc)


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(_top_help())
        return 0 if args else 2
    if args[0] == "--version":
        from ember._version import __version__

        print(f"ember {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"{USAGE}\nember: error: unknown command {name!r}")
        close = _close_commands(name)
        sys.stderr.write(f" (did you mean {' or '.join(close)}?)\n" if close else "\n")
        sys.stderr.write("Run 'ember --help' to list the commands.\n")
        return 2

    if name == "run":
        # `ember run` is start-up-critical: parse its argv without argparse (whose
        # import and parser cost more than everything else ember adds).
        from ember.commands.run import fast_main

        return fast_main(rest)

    import importlib

    from ember.commands import parser_for

    module = importlib.import_module(f"ember.commands.{name.replace('-', '_')}")
    parser = parser_for(name)
    module.configure(parser)
    if "--json" in rest:
        from ember.commands.errors import json_usage_errors

        json_usage_errors(parser)
    return int(module.main(parser.parse_args(rest)))


def _os_error(name: str, exc: OSError) -> int:
    import os

    if exc.filename is not None:
        sys.stderr.write(f"{exc.filename}: error: {exc.strerror or exc}\n")
        return 1
    import errno

    if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG):
        why = exc.strerror or str(exc)
        try:
            os.getcwd()
        except OSError:  # relative paths are shown relative to a folder that is gone
            why = "the current folder no longer exists (cd to one that does)"
        sys.stderr.write(f"{('ember ' + name).rstrip()}: error: {why}\n")
        return 1
    sys.stderr.write(f"{('ember ' + name).rstrip()}: error: cannot write its output ({exc.strerror})\n")
    try:  # what is still buffered would fail again at exit, with a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 1
