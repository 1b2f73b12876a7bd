"""``ember aot MODULE.py [-o DIR]``: the module's ``@jit`` functions compiled ahead of time
into an extension module that imports and runs without ember (:mod:`ember.native.aot`).

    $ ember aot kernels.py -o build/
"""

from __future__ import annotations

import argparse
import sys

EPILOG = """\
examples:
  ember aot kernels.py                      kernels.cpython-XY-<platform>.so beside it
  ember aot kernels.py -o build/            ... in build/
  ember aot kernels.py --signature 'smooth:float64[:],int' --signature 'smooth:float32[:],int'

what it builds:
  one CPython extension module, named with this interpreter's suffix, that is a drop-in
  for the source module: importing it runs the module's own code (constants, classes,
  helpers all work; `import ember` in it needs no ember installed), then binds each
  @jit function to machine code for its signatures. Arguments of other types raise a
  TypeError naming the signatures built. It needs only CPython (and NumPy where arrays
  are used) at run time: no ember, no llvmlite.

signatures come from --signature NAME:TYPES (as `ember explain --types` writes them;
repeat for several), else from the function's annotations (def f(x: float, n: int)).

The module is imported to find its @jit functions (its top-level code runs, not as
__main__). Functions that call NumPy's SVML math or its BLAS are refused for now (use
the JIT for them).

cpu (--cpu): portable by default: every function for the platform's baseline
(x86-64-v2: SSE4.2, POPCNT; aarch64: armv8-a), and the looping ones also for x86-64-v3
(AVX2, FMA) and x86-64-v4 (AVX-512), the best version chosen at import by a CPUID check
compiled into the extension (EMBER_AOT_CPU=x86-64-v2 or x86-64-v3 caps it). --cpu host
builds for this machine only (may not run on older CPUs of the same architecture).

staleness: the extension records the sha256 of its source and of every module whose
@jit code it holds. 'ember status' lists it stale when one changed; 'ember build
--native' rebuilds it. Importing it when the source beside it differs warns once;
EMBER_AOT_STALE=ignore silences that, EMBER_AOT_STALE=error fails the import.

linker: the system C compiler (cc, gcc or clang; $CC first), else Zig's from the
ziglang wheel (pip install ziglang; its first link takes about a minute, then is
cached). On this machine: {linker}.

to ship it: a project whose pyproject.toml says build-backend = "ember.build_backend"
and [tool.ember] aot = ["pkg.kernels"] gets the extension into its wheel from
'pip install .' or 'python -m build' (README, "Shipping compiled modules").

exit status: 0 built, 1 a function or the module could not be compiled (nothing is
written), 2 usage error.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Compile a module's @jit functions ahead of time into an extension module that "
        "imports and runs without ember or llvmlite."
    )
    parser.epilog = EPILOG.format(linker=_linker_found())
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("module", metavar="MODULE.py", help="the source module")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="where to write the extension (default: beside the source)")
    parser.add_argument("--signature", metavar="NAME:TYPES", action="append", default=[],
                        help="a signature to build for NAME, e.g. 'smooth:float64[:],int'")
    parser.add_argument("--cpu", default="portable", metavar="CPU",
                        help="portable (default: the platform's baseline, x86-64-v2, with "
                        "x86-64-v3/v4 versions chosen at import), host (this machine "
                        "only), or an LLVM CPU name (x86-64-v3, znver4, ...)")


def _linker_found() -> str:
    from ember.native.backend.engine import find_cc, zig_cc

    cc = find_cc()
    if cc is not None:
        return cc
    return "python -m ziglang cc" if zig_cc() else "none (install gcc, or pip install ziglang)"


def main(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from ember.diagnostics import EmberError
    from ember.insight.explain import (
        ExplainError,
        ModuleRunError,
        load_function,
        parse_type_list,
    )
    from ember.native.aot.build import build_extension

    source = Path(args.module)
    if source.suffix != ".py":
        sys.stderr.write(f"ember aot: expected a .py file, got {args.module}\n")
        return 2
    given: dict[str, list[tuple]] = {}
    try:
        for text in args.signature:
            name, sep, types = text.partition(":")
            if not sep or not name.strip():
                raise ExplainError(f"--signature expects NAME:TYPES, got {text!r}")
            given.setdefault(name.strip(), []).append(parse_type_list(types))
        # The module runs here to find its functions; what it compiles eagerly (annotated
        # functions) must not land in the user's native cache as a side effect.
        os.environ["EMBER_CACHE"] = "0"
        namespace = load_function(f"{source}:__dict__")
        out_dir = Path(args.output) if args.output else source.resolve().parent
        path, built = build_extension(source.stem, source.resolve(), namespace, out_dir,
                                      given, cpu=args.cpu, signature_texts=args.signature)
    except ModuleRunError as exc:
        sys.stderr.write(f"ember aot: {exc}\n")
        return 1
    except ExplainError as exc:
        sys.stderr.write(f"ember aot: {exc}\n")
        return 2
    except EmberError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    if not built:
        sys.stderr.write(f"ember aot: {source} has no @jit function; built {path} anyway "
                         "(it runs the module's code)\n")
    for name, sigs in built:
        shown = ", ".join(f"({', '.join(map(str, s))})" for s in sigs)
        sys.stdout.write(f"{name}: {shown}\n")
    sys.stdout.write(f"wrote {path}\n")
    return 0
