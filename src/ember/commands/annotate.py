"""``ember annotate FILE.py[:FUNC]``: each source line of a function marked by what it
compiles to (:mod:`ember.insight.annotate`).

    $ ember annotate kernels.py:smooth --types "float64[::1]"
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  ember annotate kernels.py:step              types from its annotations, or from the
                                              specialization that ran last (native cache)
  ember annotate kernels.py:step --types float64[:],int
  ember annotate kernels.py                   every function of the file that has types
  ember annotate kernels.py --html a.html     also as a page, lines tinted by their marks

marks:  L a loop   = machine arithmetic only   O int64 overflow check
        Z division-by-zero check   D math domain check   B array bounds check
        A allocates an array   P calls into CPython   J calls another compiled function
        X stops the function from compiling (ember's error follows, with a hint)

A line with no mark compiles to nothing of its own (a `def`, `else:`, a comment).
The file is imported (its top-level code runs, not as __main__) to find the functions.

exit status: 0 when everything shown compiles, 1 when a function does not, 2 for a
usage error.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Show a function's source with each line marked by what it compiles to: pure "
        "machine arithmetic, a check, a call into CPython or NumPy, an allocation; and "
        "the line that stops it from compiling, if any."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("target", metavar="FILE.py[:FUNC]", help="the function(s) to annotate")
    parser.add_argument("--types", metavar="T,T,...",
                        help="argument types, as for `ember explain` (one FUNC only)")
    parser.add_argument("--html", metavar="FILE",
                        help="also write the annotated source as a self-contained HTML page")


def main(args: argparse.Namespace) -> int:
    from ember.diagnostics import EmberError
    from ember.insight.annotate import annotate_function, render, render_html
    from ember.insight.explain import ExplainError, load_function, module_functions, resolve_types
    from ember.native.options import Options

    try:
        if ":" in args.target.rpartition(".py")[2] or not args.target.endswith(".py"):
            targets = [load_function(args.target)]
        else:
            if args.types is not None:
                raise ExplainError("--types needs one function: FILE.py:FUNC")
            targets = module_functions(args.target)
        status = 0
        results = []
        for obj in targets:
            func = obj.py_func if getattr(obj, "__ember_jit__", False) else obj
            try:
                arg_types, origin = resolve_types(func, args.types)
            except ExplainError as exc:
                if len(targets) == 1:
                    raise
                sys.stdout.write(f"{func.__qualname__}: skipped ({exc})\n\n")
                continue
            result = annotate_function(func, arg_types, getattr(obj, "options", Options()))
            results.append(result)
            sys.stdout.write(f"# types from {origin}\n" + render(result) + "\n")
            status = max(status, 1 if result.error is not None else 0)
        if args.html:
            from ember.support.fs import write_atomic

            try:
                write_atomic(args.html, render_html(results).encode("utf-8"))
            except OSError as exc:
                sys.stderr.write(f"{args.html}: error: cannot write ({exc.strerror or exc})\n")
                return max(status, 1)
            sys.stderr.write(f"wrote {args.html}\n")
        return status
    except ExplainError as exc:
        sys.stderr.write(f"ember annotate: error: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"{exc.filename or args.target}: error: cannot read "
                         f"({exc.strerror or exc})\n")
        return 2
    except EmberError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
