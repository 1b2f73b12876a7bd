"""The ``ember`` command line: argv → one subcommand module → an exit status.

Each subcommand lives in ``ember.commands.<name>`` with two functions,
``configure(parser)`` and ``main(args) -> int``; only the chosen one is imported, so
``ember --help`` and ``ember run`` never pay for the others (or for llvmlite).

    $ ember build src/          # -> ember.commands.build.main(args)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# name -> one-line summary; the module is ember.commands.<name with - as _>.
COMMANDS: dict[str, str] = {
    "tour": "walk through both layers on a bundled example app",
    "build": "compile every .py under PATHs to its __pycache__ .pyc, in parallel",
    "status": "say, for each source, whether the importer would use its cache and why",
    "clean": "remove cache files (all, stale or orphaned) and empty __pycache__ folders",
    "inspect": "decode a .pyc: header, verdict, code objects, disassembly, strings",
    "run": "run a script (or -m module) like python does, loading it from its cache",
    "startup": "measure start-up cold vs warm and the imports that dominate it",
    "dist": "make a sourceless, single-Python copy of a package or app",
    "explain": "show every compile stage of a @jit function: source, types, LLVM IR, asm",
}

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

    >>> main(["--version"])  # doctest: +SKIP
    ember 0.1.0
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(_top_help())
        return 0 if args else 2
    if args[0] == "--version":
        from ember import __version__

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

    import argparse
    import importlib

    module = importlib.import_module(f"ember.commands.{name.replace('-', '_')}")
    parser = argparse.ArgumentParser(prog=f"ember {name}", description=COMMANDS[name])
    module.configure(parser)
    if "--json" in rest:
        from ember.commands.errors import json_usage_errors

        json_usage_errors(parser)
    parsed = parser.parse_args(rest)
    try:
        return int(module.main(parsed))
    except KeyboardInterrupt:
        sys.stderr.write("ember: interrupted\n")
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error worth a traceback.
        return 0
