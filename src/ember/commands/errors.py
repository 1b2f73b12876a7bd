"""How a command reports the error that stops it: one line (and a hint) on stderr, or,
under ``--json``, one JSON object on stdout, so a CI job that parses stdout always
gets JSON and can branch on its ``"error"`` field as on the exit status.

    >>> fail("ember inspect", "x.pyc: no such file", as_json=False)  # doctest: +SKIP
    ember inspect: error: x.pyc: no such file
    1
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import argparse

    from ember.diagnostics import Diagnostic

# Exit statuses shared by the commands (each command's --help lists its own).
OK = 0
FAILED = 1  # the work was done and something in it failed, or an input is unusable
USAGE = 2  # the command line itself is wrong (argparse uses 2 too)
TIMED_OUT = 3  # a program ember ran for you did not finish in time


def fail(
    command: str,
    message: str,
    *,
    as_json: bool,
    hint: str | None = None,
    status: int = FAILED,
) -> int:
    """Report ``message`` (without its ``error:`` prefix) and return ``status``."""
    if as_json:
        from ember.commands.build import print_json

        document: dict[str, object] = {"error": message, "exit_status": status}
        if hint:
            document["hint"] = hint
        print_json(document)
    else:
        text = f"{command}: error: {message}"
        sys.stderr.write(f"{text}\nhint: {hint}\n" if hint else f"{text}\n")
    return status


def fail_diagnostic(diagnostic: Diagnostic, *, as_json: bool, status: int = FAILED) -> int:
    """Report a :class:`~ember.diagnostics.Diagnostic` (its own ``file:line:col:`` or
    path prefix) and return ``status``; under ``--json`` its first line is the error."""
    text = diagnostic.render()
    if as_json:
        from ember.commands.build import print_json

        document: dict[str, object] = {"error": text.splitlines()[0], "exit_status": status}
        if diagnostic.hint:
            document["hint"] = diagnostic.hint
        print_json(document)
    else:
        sys.stderr.write(text + "\n")
    return status


def json_usage_errors(parser: argparse.ArgumentParser) -> None:
    """Make ``parser``'s usage errors JSON on stdout too (CI parses stdout), still
    exit status 2, with argparse's usage line on stderr as always."""

    def error(message: str) -> NoReturn:
        parser.print_usage(sys.stderr)
        fail(parser.prog, message, as_json=True, status=USAGE)
        sys.exit(USAGE)

    parser.error = error  # type: ignore[method-assign]
