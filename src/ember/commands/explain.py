"""``ember explain FILE.py:FUNC``: a @jit function → every compile stage as text
(:func:`ember.insight.explain.explain`).

    $ ember explain app.py:mandel --types float,float,int --stage types,asm
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  ember explain kernels.py:fib --types int
                            source, typed IR, LLVM IR (as lowered and after O3), assembly
  ember explain kernels.py:norm
                            no --types needed when every parameter is annotated
  ember explain kernels.py:step --types float,int --stage types
                            only the typed IR: a type on every variable and expression
  ember explain kernels.py:step --types float,int --stage opt,asm

  ember explain kernels.py:matmul --types "float64[:, ::1],float64[:, ::1]" --stage types
                            arrays: a dtype and one ':' per axis (::1 on the last
                            axis: C order, on the first: Fortran order)

The file is imported (its top-level code runs, not as __main__) to find FUNC.
Types: int (int64), float (float64), bool, None, tuples (int, float), and arrays
DTYPE[:], DTYPE[:, :], ... with DTYPE one of bool, int8-64, uint8-64, float32, float64, complex64, complex128.

exit status: 0 on success, 1 when the function cannot be compiled (a diagnostic
file:line:col: error: ... is printed), 2 for a usage error (a FILE that does not
exist or cannot be read included).
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Show how ember compiles one function: its source, the typed IR (a type on every "
        "variable and expression), the LLVM IR before and after optimisation for this "
        "CPU, and the machine code."
    )
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("target", metavar="FILE.py:FUNC", help="the function to explain")
    parser.add_argument(
        "--types",
        metavar="T,T,...",
        help="argument types, e.g. int,float or float64[:],int (default: the annotations)",
    )
    parser.add_argument(
        "--all", action="store_true",
        help="everything: the IR as lowered, and the CPython glue (argument checks, "
             "boxing) beside your function's code")
    parser.add_argument(
        "--stage",
        default="source,types,loops,llvm,opt,asm",
        help="comma-separated stages to show: source, types, loops, llvm, opt, asm "
             "(default: all)",
    )


def main(args: argparse.Namespace) -> int:
    from ember.diagnostics import EmberError
    from ember.insight.explain import STAGES, ExplainError, explain

    stages = tuple(s.strip() for s in args.stage.split(",") if s.strip())
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        sys.stderr.write(
            f"ember explain: error: unknown stage {unknown[0]!r} "
            f"(choose from {', '.join(STAGES)})\n"
        )
        return 2
    try:
        sys.stdout.write(explain(args.target, args.types, stages, full=args.all))
    except ExplainError as exc:
        sys.stderr.write(f"ember explain: error: {exc}\n")
        return 2
    except OSError as exc:  # FILE, or a folder above it, that the user may not read
        where = exc.filename or args.target
        sys.stderr.write(f"{where}: error: cannot read ({exc.strerror or exc})\n")
        return 2
    except EmberError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    return 0
