"""Muting and sampling (sys.monitoring, 3.12+): short, often-called functions stop
costing a callback per call, and their time is still accounted for."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from ember.insight.profile.collect import MUTE_AFTER, CCall, FunctionStats, Recorder
from ember.insight.profile.sampler import Samples

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_profile import _ember, interpreter  # noqa: E402

CALL_HEAVY = textwrap.dedent('''\
    def step(x):
        return x * 3 % 7

    def slow(n):
        t = 0
        for i in range(n):
            t += i % 3
        return t

    def run(n):
        s = 0
        for i in range(n):
            s = (s + step(i)) % 1000003
        return s + slow(2_000_000)

    print(run(300_000))
''')


def test_apply_scales_a_muted_function_and_moves_its_callers_time() -> None:
    r = Recorder(mute=False)
    caller, muted = (compile(f"def {n}(): pass", "f.py", "exec") for n in ("caller", "muted"))
    r.functions[caller] = FunctionStats(caller, calls=1, total=1000, own=800, callees=200)
    m = r.functions[muted] = FunctionStats(muted, calls=500, total=200, own=100, callees=100)
    m.c_calls["numpy.sort"] = CCall("numpy.sort", calls=10, wall=50, cpu=50, numpy=True)
    r.muted[muted] = 1
    s = Samples()
    s.post[muted] = 600  # 3x its timed total, after muting
    s.moved[caller] = 600  # counted as the caller's own work while muted
    s.moved_c[caller] = {("os.path.join", False, True): 100}
    r.fold(s)
    c = r.functions[caller]
    assert (c.total, c.own, c.callees) == (1000, 100, 800)
    assert c.c_calls["os.path.join"].wall == 100 and c.c_calls["os.path.join"].io
    assert (m.total, m.own, m.callees, m.calls, m.sampled) == (800, 400, 400, 500, True)
    assert m.c_calls["numpy.sort"].wall == 200


def test_moved_time_never_makes_own_time_negative() -> None:
    r = Recorder(mute=False)
    code = compile("def f(): pass", "f.py", "exec")
    r.functions[code] = FunctionStats(code, calls=1, total=100, own=10)
    s = Samples()
    s.moved[code] = 50
    r.fold(s)
    assert r.functions[code].own == 0 and r.functions[code].callees == 10


@pytest.mark.skipif(sys.version_info < (3, 12), reason="muting needs sys.monitoring")
def test_recorder_mutes_after_its_first_calls() -> None:  # pragma: no cover - 3.12+
    def tiny(x: int) -> int:
        return x + 1

    def loop(n: int) -> int:
        s = 0
        for i in range(n):
            s += tiny(i)
        return s

    r = Recorder()
    with r.active():
        assert loop(5 * MUTE_AFTER) == sum(range(1, 5 * MUTE_AFTER + 1))
    stats = r.stats_for(tiny.__code__)
    assert stats.calls == MUTE_AFTER and stats.sampled
    assert r.stats_for(loop.__code__).calls == 1 and not r.stats_for(loop.__code__).sampled
    # A second recording in the same process sees the events again.
    r2 = Recorder()
    with r2.active():
        loop(10)
    assert r2.stats_for(tiny.__code__).calls == 10


@pytest.mark.parametrize("version", [(3, 12), (3, 13)])
def test_call_heavy_program_is_muted_and_still_ranked(tmp_path: Path,
                                                      version: tuple[int, int]) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"python{version[0]}.{version[1]} is not installed")
    (tmp_path / "p.py").write_text(CALL_HEAVY)
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = _ember("profile", "--no-trial", "--json", "-", "p.py", cwd=tmp_path, python=python,
                  env=env)
    assert proc.returncode == 0, proc.stderr
    out, _, data = proc.stdout.partition("\n")
    namespace: dict[str, object] = {}
    exec(CALL_HEAVY.replace("print(", "result = ("), namespace)
    assert out == str(namespace["result"])
    names = {r["name"]: r for r in json.loads(data)["functions"]}
    assert names["run"]["calls"] == 1 and not names["run"]["sampled"]
    assert names["step"]["sampled"] and names["step"]["calls"] == MUTE_AFTER
    assert not names["slow"]["sampled"] and names["slow"]["own"] > 0.9
    # The run's inclusive time is timed exactly, so it ranks first.
    assert json.loads(data)["functions"][0]["name"] == "run"
