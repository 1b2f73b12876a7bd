"""Range proofs against generated loops: each generated ``for`` loop is compiled twice,
with loop versioning (the default) and in the immediate-checks reference mode
(``Gen.defer_overflow = False``, which plans nothing), and run on values at the int64
edges and around the entry tests' thresholds: same value, or the same exception with
the same message, and the same value as CPython whenever neither raised."""

from __future__ import annotations

import linecache
import sys
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))  # the harness, whatever the import mode

from _harness import run, same  # noqa: E402

from ember.native.codegen.builder import Gen  # noqa: E402
from ember.native.runtime.dispatch import jit  # noqa: E402

LEAVES = st.sampled_from(["i", "c", "t", "1", "3", "7", "255", "-2", "2**31", "3037000499"])
OPS = ["+", "-", "*", "%", "//", "&", "|", "^"]


def _expr(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return LEAVES
    sub = _expr(depth - 1)
    binop = st.tuples(sub, st.sampled_from(OPS), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    calls = st.tuples(st.sampled_from(["abs", "-"]), sub).map(
        lambda t: f"abs({t[1]})" if t[0] == "abs" else f"(-{t[1]})")
    shifts = st.tuples(sub, st.sampled_from([">>", "<<"]), st.sampled_from(["1", "4", "31"])).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})")
    return st.one_of(sub, binop, binop, calls, shifts)


EDGE = st.one_of(
    st.integers(-5, 5),
    st.integers(3037000490, 3037000510).map(lambda v: v),
    st.integers(-3037000510, -3037000490),
    st.sampled_from([2**31, -(2**31), 2**62, -(2**62), 2**63 - 1, -(2**63), 2**24]),
)
_COUNTER = [0]


def _compile(source: str, name: str) -> tuple[Any, Any]:
    """(versioned, reference) compilations of ``name`` from ``source``."""
    filename = f"<ember-versioning-{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    out = []
    for defer in (True, False):
        ns: dict[str, Any] = {"np": np}
        exec(compile(source, filename, "exec"), ns)
        f = jit(cache=False)(ns[name])
        saved = Gen.defer_overflow
        Gen.defer_overflow = defer
        try:
            run(f, (0, 1, 0, np.zeros(4, dtype=np.int64)))  # compiles under this mode
        finally:
            Gen.defer_overflow = saved
        out.append(f)
    return out[0], out[1]


@settings(max_examples=25, deadline=None)
@given(_expr(2), _expr(1), st.sampled_from(["s += x", "s = (s + x) % 1000", "s -= x % 5",
                                              "out[i % 4] = x", "t = x"]),
       st.lists(st.tuples(EDGE, st.integers(0, 6), EDGE), min_size=3, max_size=3))
def test_generated_loops_agree_with_the_reference(
    term: str, shift: str, update: str, cases: list[tuple[int, int, int]]
) -> None:
    _COUNTER[0] += 1
    name = f"gen{_COUNTER[0]}"
    source = (
        f"def {name}(a, n, c, out):\n"
        f"    s = c\n"
        f"    t = c\n"
        f"    for i in range(a, a + n):\n"
        f"        x = {term}\n"
        f"        if x > {shift}:\n"
        f"            x = x - 1\n"
        f"        {update}\n"
        f"    return s + t\n"
    )
    fast, ref = _compile(source, name)
    for a, n, c in cases:
        if not -(2**63) <= a + n < 2**63:
            continue
        o1, o2, o3 = (np.zeros(4, dtype=np.int64) for _ in range(3))
        got, want = run(fast, (a, n, c, o1)), run(ref, (a, n, c, o2))
        assert got[1] is want[1], (source, a, n, c, got, want)
        assert np.array_equal(o1, o2), (source, a, n, c)
        if got[1] is None:
            assert same(got[0], want[0]), (source, a, n, c, got, want)
            py = run(fast.py_func, (a, n, c, o3))
            if py[1] is None:
                assert same(got[0], py[0]) and np.array_equal(o1, o3), (source, a, n, c)
        else:
            assert got[0] == want[0], (source, a, n, c, got, want)  # the same message
