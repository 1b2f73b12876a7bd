"""One module per CLI subcommand: ``configure(parser)`` and ``main(args) -> int``."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself costs ~2 ms of the CLI's start-up
if TYPE_CHECKING:
    import argparse
    from typing import IO

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
    "annotate": "show a function's source, each line marked by what it compiles to",
    "profile": "run a program and say which functions are worth compiling, and the gain",
    "aot": "compile a module's @jit functions into an extension that runs without ember",
}


def parser_for(name: str) -> argparse.ArgumentParser:
    """The argument parser of subcommand ``name``, before its ``configure``. Unlike a
    plain one it lets a failed write of ``--help`` raise (argparse drops it silently:
    exit 0, nothing shown), so a full disk under stdout is the CLI's one-line error."""
    import argparse  # ~6 ms: only once a command is chosen

    class Parser(argparse.ArgumentParser):
        def _print_message(self, message: str, file: IO[str] | None = None) -> None:
            if message:
                (file or sys.stderr).write(message)

    return Parser(prog=f"ember {name}", description=COMMANDS[name])
