"""analysis/unbound.py: which locals may be read before assignment. Inference already
refuses such reads in Python source (a compile error), so compiled functions carry no
"assigned yet" flags at all; typed IR built by hand still gets them, and CPython's
UnboundLocalError, where a read can find its local unassigned."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ember.native.analysis.unbound import maybe_unbound
from ember.native.frontend.statements import infer_unit
from ember.native.ir import nodes as T
from ember.native.options import Options
from ember.native.runtime.dispatch import jit
from ember.native.types import BOOL, INT64

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codegen"))
from test_function import S, c, fn, n, run  # noqa: E402


def early_return_branch(k):
    if k < 0:
        return -1
    else:
        w = k * 2
    return w


def both_branches_then_loop(k):
    if k > 0:
        v = 1
    else:
        v = 2
    acc = 0
    for i in range(k):
        acc += i * v
    j = 0
    while j < k:
        last = j
        j += 1
        acc += last
    return acc + v


@pytest.mark.parametrize("py", [early_return_branch, both_branches_then_loop])
def test_inferred_functions_need_no_flags(py) -> None:
    assert maybe_unbound(infer_unit(py, (INT64,), Options()).root) == set()
    compiled = jit(cache=False)(py)
    assert [compiled(k) for k in (-1, 0, 3)] == [py(k) for k in (-1, 0, 3)]
    text = compiled.inspect_llvm((INT64,), optimized=False)
    assert ".set" not in text and "UnboundLocalError" not in text


def _if_then_read():  # if flag: x = 1  /  return x
    return (T.If(n("flag", BOOL), (T.Assign("x", c(1), S),), (), S), T.Return(n("x"), S))


def _loop_target_after():  # for i in range(k): pass  /  return i
    return (T.ForRange("i", c(0), n("k"), c(1), (T.Pass(S),), (), S), T.Return(n("i"), S))


def _read_in_body_before_set():  # for i in range(k): (if i > 0: t = t + p)  p = i
    read = T.If(T.Compare(("<",), (c(0), n("i")), BOOL, S),
                (T.Assign("t", T.BinOp("+", n("t"), n("p"), INT64, S), S),), (), S)
    return (T.Assign("t", c(0), S),
            T.ForRange("i", c(0), n("k"), c(1), (read, T.Assign("p", n("i"), S)), (), S),
            T.Return(n("t"), S))


def _break_before_set():  # while True: (if flag: break)  y = 1; break  /  return y
    loop = T.While(c(True, BOOL), (T.If(n("flag", BOOL), (T.Break(S),), (), S),
                                   T.Assign("y", c(1), S), T.Break(S)), (), S)
    return (loop, T.Return(n("y"), S))


@pytest.mark.parametrize(("body", "param", "flagged", "ok", "unbound"), [
    (_if_then_read(), ("flag", BOOL), {"x"}, (True, 1), False),
    (_loop_target_after(), ("k", INT64), {"i"}, (3, 2), 0),
    (_read_in_body_before_set(), ("k", INT64), {"p"}, (3, 1), None),
    (_break_before_set(), ("flag", BOOL), {"y"}, (False, 1), True),
])
def test_hand_built_reads_that_may_find_a_local_unassigned(body, param, flagged, ok, unbound):
    f = fn(body, (param,), INT64, {"x": INT64, "i": INT64, "t": INT64, "p": INT64,
                                   "y": INT64})
    assert maybe_unbound(f) == flagged
    arg, expected = ok
    assert run(f, arg) == expected
    if unbound is not None:
        with pytest.raises(UnboundLocalError, match=f"'{next(iter(flagged))}'"):
            run(f, unbound)
