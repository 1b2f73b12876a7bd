"""``python -m tests.native._fuzz``: the fuzzer's command line (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from .gen import KNOWN_BROKEN, generate
from .run import run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.native._fuzz")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--batch", type=int, default=50, help="programs per worker process")
    p.add_argument("--jobs", type=int, default=1, help="workers at once")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per program")
    p.add_argument("--all", action="store_true", help="include KNOWN_BROKEN constructs")
    p.add_argument("--show", type=int, metavar="I", help="print program I and exit")
    args = p.parse_args(argv)
    broken = frozenset() if args.all else KNOWN_BROKEN
    if args.show is not None:
        program = generate(args.seed, args.show, broken)
        print(program.source)
        print("\n".join(f"# f{spec!r}" for spec in program.calls))
        return 0
    start = time.monotonic()
    indices = list(range(args.start, args.start + args.count))
    parts = [indices[j :: args.jobs] for j in range(args.jobs)]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(
            pool.map(
                lambda part: run(args.seed, part, broken, args.batch, args.timeout, progress=True),
                parts,
            )
        )
    findings = [f for got, _ in results for f in got]
    calls = sum(n for _, n in results)
    for f in findings:
        print(f"\n{'=' * 78}\n{f.reproducer()}")
    print(
        f"seed {args.seed}: {args.count} programs, {calls} calls, {len(findings)} "
        f"findings in {time.monotonic() - start:.0f} s",
        file=sys.stderr,
    )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
