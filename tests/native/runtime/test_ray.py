"""``@jit`` functions as Ray tasks (``ray.init(num_cpus=2)``, local): a module kernel
(by reference) and a closure (by value) give the serial results. Skipped without ray
(a bench extra: its install is large)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ember

ray = pytest.importorskip("ray")
np = pytest.importorskip("numpy")

SRC = Path(__file__).resolve().parents[3] / "src"

KERNELS = """\
import ember


@ember.jit
def total(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s
"""


def test_ray_tasks_match_a_serial_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ray_kernels.py").write_text(KERNELS)
    # Ray's workers are new interpreters started with the driver's environment.
    path = os.pathsep.join([str(SRC), str(tmp_path), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("EMBER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.syspath_prepend(str(tmp_path))
    import ray_kernels

    k = 3.0

    @ember.jit
    def scaled(a):
        return a.sum() * k

    arrays = [np.arange(n, dtype=np.float64) for n in (4, 40, 400)]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        call = ray.remote(lambda f, a: f(a))  # the @jit function is the task's argument
        got = ray.get([call.remote(ray_kernels.total, a) for a in arrays])
        got_scaled = ray.get([call.remote(scaled, a) for a in arrays])
    finally:
        ray.shutdown()
    assert got == [ray_kernels.total(a) for a in arrays]
    assert got_scaled == [scaled(a) for a in arrays]
