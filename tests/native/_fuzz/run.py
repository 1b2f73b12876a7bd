"""Running programs in isolated workers: a batch per subprocess, a crash or hang
attributed to the program that was running, then confirmed by running that program
alone in a fresh worker; a reproducer printed for each finding.

The worker (``python -m _fuzz.run --worker SEED I,J,...``, with ``tests/native`` on the
path) writes ``start I`` before program I and ``done I <findings as JSON>`` after it, so
the parent knows which program a dead or silent worker was in.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .gen import KNOWN_BROKEN, MAKE_ARRAY, generate

HERE = Path(__file__).resolve().parent


@dataclass
class Finding:
    """One disagreement, crash or hang, attributed to program ``index``."""

    seed: int
    index: int
    kind: str
    call: str = ""
    expected: str = ""
    got: str = ""
    broken: frozenset[str] = field(default=KNOWN_BROKEN)

    def reproducer(self) -> str:
        """The program, its failing call, and both outcomes, as a runnable script."""
        program = generate(self.seed, self.index, self.broken)
        lines = [
            f"# ember fuzz: seed {self.seed}, program {self.index}: {self.kind}",
            f"# CPython (reference): {self.expected}",
            f"# ember: {self.got}",
            program.source,
            "import ember",
            MAKE_ARRAY.strip(),
            "",
        ]
        for name in program.functions:
            lines.append(f"{name} = ember.jit(cache=False)({name})")
        calls = (
            [self.call]
            if self.call.startswith("f(")
            else [f"f({', '.join(map(_show, spec))})" for spec in program.calls]
        )
        lines += [f"print({c})" for c in calls]
        return "\n".join(lines) + "\n"


def _show(value: object) -> str:
    from .gen import show

    return show(value)


# ------------------------------------------------------------------------- the worker


def worker(seed: int, indices: list[int], broken: frozenset[str], inject: str) -> None:
    """Check each program, reporting on stdout (the oracle's own prints are captured)."""
    from .oracle import check

    out = sys.stdout
    for i in indices:
        out.write(f"start {i}\n")
        out.flush()
        if inject == f"crash:{i}":
            os.abort()
        if inject == f"hang:{i}":
            while True:
                time.sleep(1)
        findings = check(generate(seed, i, broken))
        out.write(f"done {i} {json.dumps(findings)}\n")
        out.flush()


# ------------------------------------------------------------------------- the parent


def run_batch(
    seed: int, indices: list[int], broken: frozenset[str], timeout: float, inject: str = ""
) -> tuple[list[Finding], int | None, str]:
    """(findings, the program a crash or hang happened in or None, "crash ..." / "hang")
    for one worker over ``indices``; ``timeout`` is per program."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(HERE.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    )
    cmd = [
        sys.executable,
        "-m",
        "_fuzz.run",
        "--worker",
        str(seed),
        ",".join(map(str, indices)),
        ",".join(sorted(broken)),
        inject,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None
    findings: list[Finding] = []
    current: int | None = None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout * 3  # the first program also imports LLVM
    try:
        while True:
            if not sel.select(max(0.0, deadline - time.monotonic())):
                proc.kill()
                proc.wait()
                return findings, current, f"hang (no answer in {timeout:.0f} s)"
            line = proc.stdout.readline()
            if not line:
                break
            word, _, rest = line.partition(" ")
            if word == "start":
                current, deadline = int(rest), time.monotonic() + timeout
            elif word == "done":
                index, _, data = rest.partition(" ")
                findings += [
                    Finding(seed, int(index), broken=broken, **f) for f in json.loads(data)
                ]
                current = None
    finally:
        sel.close()
    code = proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.stderr and proc.stderr.close()
    proc.stdout.close()
    if code != 0 or current is not None:
        tail = stderr.strip().splitlines()[-3:]
        return findings, current, f"crash (exit {code}): {' | '.join(tail)}"
    return findings, None, ""


def run(
    seed: int,
    indices: list[int],
    broken: frozenset[str] = KNOWN_BROKEN,
    batch: int = 50,
    timeout: float = 30.0,
    inject: str = "",
    progress: bool = False,
) -> tuple[list[Finding], int]:
    """(every finding, the number of calls compared) over ``indices``, in batches; after
    a crash or hang the rest of the batch goes on in a new worker, and the program is run
    alone to confirm that it, not an earlier one, is the cause."""
    findings: list[Finding] = []
    todo = list(indices)
    done = 0
    while todo:
        chunk, todo = todo[:batch], todo[batch:]
        got, bad, what = run_batch(seed, chunk, broken, timeout, inject)
        findings += got
        if bad is None and what:
            bad = chunk[0]  # died before its first program: blame it, confirm below
        if bad is not None:
            alone = run_batch(seed, [bad], broken, timeout, inject)
            if alone[1] is None:
                what += f" -- not alone: only after programs {chunk[: chunk.index(bad)]}"
            findings.append(Finding(seed, bad, what, broken=broken))
            todo = chunk[chunk.index(bad) + 1 :] + todo
        done += len(chunk) if bad is None else chunk.index(bad) + 1
        if progress:
            print(f"... {done} programs, {len(findings)} findings", file=sys.stderr)
    calls = sum(len(generate(seed, i, broken).calls) for i in indices)
    return findings, calls


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _seed, _indices, _broken, _inject = sys.argv[2:6]
    worker(
        int(_seed),
        [int(i) for i in _indices.split(",") if i],
        frozenset(filter(None, _broken.split(","))),
        _inject,
    )
