"""``@jit`` functions on a real Dask ``LocalCluster`` (two worker processes):
``client.map`` gives the serial results for a module's kernel (by reference), a closure
and a main-script function (by value), and the workers load the code the client
compiled from the shared native cache instead of compiling it. One cluster per module:
starting one takes seconds."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ember
from ember.native.runtime import dispatch

distributed = pytest.importorskip("distributed")
np = pytest.importorskip("numpy")

KERNELS = """\
import ember


@ember.jit
def energy(a, k):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i] * k
    return s


def stats(name):
    import sys

    return dict(getattr(sys.modules[__name__], name).stats)
"""

SCRIPT = """\
import ember

BIAS = 2


@ember.jit(boundscheck=False)
def spread(a):
    return a[a.shape[0] - 1] - a[0] + BIAS
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, Path]]:
    """(client, the kernels module, the folder): the workers are started with the
    folder on their path and its cache as ``EMBER_CACHE_DIR``."""
    folder = tmp_path_factory.mktemp("dask")
    (folder / "dask_kernels.py").write_text(KERNELS)
    saved = {k: os.environ.get(k) for k in ("EMBER_CACHE_DIR", "EMBER_DEBUG")}
    os.environ["EMBER_CACHE_DIR"] = str(folder / "cache")
    os.environ.pop("EMBER_DEBUG", None)
    sys.path.insert(0, str(folder))  # spawned workers get the parent's sys.path
    import dask_kernels

    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            yield client, dask_kernels, folder
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("dask_kernels", None)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _arrays() -> list[Any]:
    return [np.arange(n, dtype=np.float64) for n in (5, 50, 500, 5000)]


def test_a_module_kernel_maps_like_a_serial_run_and_workers_compile_nothing(env) -> None:
    client, kernels, _ = env
    arrays = _arrays()
    serial = [kernels.energy(a, 3) for a in arrays]  # compiles here, stores the entry
    dispatch._finish_stores()
    got = client.gather(client.map(kernels.energy, arrays, [3] * len(arrays)))
    assert got == serial
    per_worker = client.run(kernels.stats, "energy")
    assert len(per_worker) == 2
    assert all(s["compiled"] == 0 for s in per_worker.values()), per_worker
    assert sum(s["loaded"] for s in per_worker.values()) >= 1


def test_closures_and_main_script_functions_go_by_value(env) -> None:
    client, _, folder = env
    k = 4

    @ember.jit
    def scaled(a):
        return a.sum() * k

    path = folder / "script.py"
    path.write_text(SCRIPT)
    ns: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(SCRIPT, str(path), "exec"), ns)  # noqa: S102 - the test's main script
    spread = ns["spread"]
    arrays = _arrays()
    assert client.gather(client.map(scaled, arrays)) == [scaled(a) for a in arrays]
    assert client.gather(client.map(spread, arrays)) == [spread(a) for a in arrays]
    # The options came along.
    assert client.submit(lambda f: f.options.boundscheck, spread).result() is False
