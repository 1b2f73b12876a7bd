"""analysis/loop_report.py: the per-loop lines ``ember explain`` shows (which checks
were proven away, hoisted or kept)."""

from __future__ import annotations

from typing import Any

from ember.native.analysis.loop_report import loop_report
from ember.native.frontend.statements import infer_unit
from ember.native.options import Options
from ember.native.types import INT64, Array, DType, Type


def report(func: Any, *types: Type) -> list[str]:
    return loop_report(infer_unit(func, types, Options()).root)


def test_square_loop_shows_its_entry_test_and_proofs() -> None:
    def f(n):
        s = 0
        for i in range(n):
            s += i * i % 7
        return s

    lines = report(f, INT64)
    assert lines[0].endswith(
        "for i in range(...): check-free copy when, at entry: n in [-3037000500, 3037000500]; "
        "|s| < 4611686018427387904 and trip count <= 768614336404564650")
    assert lines[1] == "  proven, no overflow check: (s + ((i * i) % 7)), ((i * i) % 7), (i * i)"


def test_kept_and_hoisted_checks_are_listed() -> None:
    def f(a, out):
        for i in range(1, len(a) - 1):
            out[i] = a[i - 1] + a[i + 1]
        return out

    arr = Array(DType("int64"), 1, "C")
    lines = report(f, arr, arr)
    assert "0 <= i-1 < a.shape[0] for the first and last i" in lines[0]
    assert "  bounds check hoisted to the entry: out[i], a[(i - 1)], a[(i + 1)]" in lines
    assert "  overflow check kept: (a[(i - 1)] + a[(i + 1)])" in lines


def test_while_loops_and_loop_free_functions() -> None:
    def f(n):
        while n > 1:
            n = n // 2
        return n

    def g(x):
        return x + 1

    assert [line.split(": ", 1)[1] for line in report(f, INT64)] == [
        "while loop: its checks are kept (range versioning covers for-range loops)"]
    assert report(g, INT64) == []
