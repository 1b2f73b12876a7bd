"""How much NumPy-style code compiles: the corpus of numpy_corpus.py under ember and Numba.

    .venv/bin/python benchmarks/numpy_coverage.py [--quick] [--no-numba] [--src DIR]

For each kernel: does it compile under ember (else the first line of ember's error), is
its result NumPy's (same shape and dtype, np.allclose), and the same under Numba. Then
"N of M compile under ember (Numba: K)", and ember's first errors counted by what they
need (slicing, broadcasting, np.* functions, axis=, ...): the work left, by size. Only
the first error of a kernel is seen; fixing it may reveal the next.

Each engine runs in a child process, so a crash of compiled code costs one kernel (shown
as "crashed"), not the report: the child is restarted after the kernel that killed it.
--quick is accepted for symmetry with the other scripts (the inputs are tiny anyway).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from _common import add_src_option, anchor_note, have, use_src

CORPUS = Path(__file__).resolve().parent / "numpy_corpus.py"

# What an ember error asks for, in order (the first match wins); group 1, when there,
# names the function or method, to count which ones are wanted most.
NEEDS: list[tuple[str, re.Pattern[str]]] = [(name, re.compile(rx)) for name, rx in [
    ("fancy / mask indexing", r"index must be an int, not array|boolean|mask|fancy"),
    ("slicing and views", r"slic|needs \d+ indices|views"),
    ("axis= / keepdims= on reductions",
     r"\b(sum|min|max|mean|std|var|prod|argmax|argmin|any|all|cumsum)\(\) takes no arg|"
     r"\baxis\b|keepdims"),
    ("shape and dtype methods",
     r"\b(reshape|transpose|ravel|flatten|astype|squeeze)\(\)|attribute '(\w+)'"),
    ("array methods", r"no method '(\w+)'|(\w+)\(\) takes no arguments"),
    ("array operators and broadcasting",
     r"operand types? for|comparison of array|broadcast|shape mismatch|"
     r"matrix multiplication"),
    ("NumPy scalars and dtypes", r"calling '(np\.\w+)' \(a class\)"),
    ("keyword arguments", r"keyword"),
    ("np.* functions", r"'(np\.[\w.]+)'|(np\.\w+)\(\) of"),
]]


def need_of(message: str) -> tuple[str, str]:
    """(category, the function it names or "") of an ember error's first line.

    >>> need_of("calling 'np.exp' (ufunc) is not supported")
    ('np.* functions', 'np.exp')
    """
    for name, rx in NEEDS:
        m = rx.search(message)
        if m:
            return name, next((g for g in m.groups() if g), "")
    return "other", ""


def worker(engine: str, start: int) -> None:
    """Child process: one JSON line per kernel from ``start`` on, "start" first."""
    import _numpy_engines as eng
    import numpy as np

    reference = eng.load(CORPUS, "numpy").CORPUS
    compiled = eng.load(CORPUS, engine).CORPUS
    for name in list(reference)[start:]:
        print(json.dumps({"start": name}), flush=True)
        _kind, make, numpy_fn = reference[name]
        args = make(np.random.default_rng(0))
        expected = numpy_fn(*eng.copied(args))
        outcome = eng.attempt(engine, compiled[name][2], args, expected)
        print(json.dumps({"name": name, "status": outcome.status,
                          "detail": outcome.detail}), flush=True)


def outcomes(engine: str, names: list[str]) -> dict[str, dict[str, str]]:
    """Every kernel's outcome under ``engine``, restarting the child after a crash."""
    results: dict[str, dict[str, str]] = {}
    start = 0
    while start < len(names):
        child = subprocess.run(
            [sys.executable, __file__, "--worker", engine, "--start", str(start)],
            capture_output=True, text=True,
        )
        current = None
        for line in child.stdout.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            if "start" in record:
                current = record["start"]
            else:
                results[record["name"]] = record
                current = None
        if current is None:  # finished (or died between kernels: nothing to blame)
            if child.returncode != 0 and len(results) < len(names):
                raise SystemExit(f"{engine} worker failed:\n{child.stderr}")
            break
        tail = (child.stderr.strip().splitlines() or [""])[-1]
        results[current] = {"name": current, "status": "raised",
                            "detail": f"crashed (exit {child.returncode}) {tail}"}
        start = names.index(current) + 1
    return results


def cell(record: dict[str, str] | None) -> str:
    if record is None:
        return "-"
    return {"ok": "ok", "wrong": "WRONG", "nocompile": "no", "raised": "error"}[record["status"]]


def describe(record: dict[str, str]) -> str:
    return {"ok": "ok", "wrong": "wrong result: ", "nocompile": "does not compile: ",
            "raised": "raised "}[record["status"]] + record["detail"]


def report(with_numba: bool) -> None:
    import _numpy_engines as eng

    kinds = {name: entry[0] for name, entry in eng.load(CORPUS, "numpy").CORPUS.items()}
    names = list(kinds)
    ember = outcomes("ember", names)
    numba = outcomes("numba", names) if with_numba else {}
    print(f"{'kernel':18} {'kind':8} {'numba':6} ember")
    for name in names:
        print(f"{name:18} {kinds[name]:8} {cell(numba.get(name)):6} {describe(ember[name])}")

    def count(results: dict[str, dict[str, str]], *statuses: str) -> int:
        return sum(r["status"] in statuses for r in results.values())

    n = f" (Numba: {count(numba, 'ok', 'wrong')})" if with_numba else ""
    m = f" (Numba: {count(numba, 'ok')})" if with_numba else ""
    print(f"\n{count(ember, 'ok', 'wrong')} of {len(names)} compile under ember{n}; "
          f"{count(ember, 'ok')} of {len(names)} give NumPy's result{m}")
    needs: Counter[str] = Counter()
    named: dict[str, Counter[str]] = {}
    for record in ember.values():
        if record["status"] == "nocompile":
            category, what = need_of(record["detail"])
            needs[category] += 1
            named.setdefault(category, Counter())[what] += bool(what)
    print("\nember's first errors by what they need (kernels blocked):")
    for category, k in needs.most_common():
        top = ", ".join(f"{w} x{c}" if c > 1 else w
                        for w, c in named[category].most_common() if w)
        print(f"  {k:3}  {category}" + (f"  ({top})" if top else ""))
    for label, status in (("wrong results", "wrong"), ("crashes", "raised")):
        bad = [n for n, r in ember.items() if r["status"] == status]
        if bad:
            print(f"ember {label}: {', '.join(bad)}")
    if with_numba:
        print("\nNumba's failures:")
        for name in names:
            if numba[name]["status"] != "ok":
                print(f"  {name:18} {describe(numba[name])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="(no effect: inputs are tiny)")
    parser.add_argument("--no-numba", action="store_true", help="skip Numba even if installed")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    add_src_option(parser)
    args = parser.parse_args()
    if args.worker:  # the parent has put --src first on PYTHONPATH already
        worker(args.worker, args.start)
        return
    use_src(args.src)
    numba = have("numba") and not args.no_numba
    if not numba and not args.no_numba:
        anchor_note("numba")
    report(numba)


if __name__ == "__main__":
    main()
