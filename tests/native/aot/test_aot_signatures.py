"""``ember aot`` of Numba-style code: ``@njit("sig", ...)`` signatures are what it builds,
and the extension runs them with no ember installed (the bootstrap's stand-in ``jit``
takes the strings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ember.native.backend.engine import find_cc

pytestmark = pytest.mark.skipif(find_cc() is None, reason="no C compiler to link with")

KERNELS = textwrap.dedent('''\
    from ember import njit


    @njit(["float64(float64[:], int64)"], cache=False)
    def pick(a, i):
        return a[i]


    @njit("int64(int64, int64)", nogil=True)
    def add(a, b):
        return a + b
''')

PROBE = textwrap.dedent('''\
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    import numbaish
    a = np.arange(4.0)
    try:
        numbaish.pick(np.arange(4), 1)
        refused = None
    except TypeError as e:
        refused = str(e)
    print(json.dumps({"pick": numbaish.pick(a, 2), "strided": numbaish.pick(a[::2], 1),
                      "add": numbaish.add(2, 3), "refused": refused,
                      "ember": [m for m in sys.modules if m.split(".")[0] == "ember"]}))
''')


def test_declared_signatures_build_and_run_without_ember(tmp_path: Path) -> None:
    (tmp_path / "numbaish.py").write_text(KERNELS)
    env = {**os.environ, "EMBER_CACHE": "0"}
    done = subprocess.run([sys.executable, "-m", "ember", "aot", "numbaish.py", "-o", "out"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "pick: (array(float64, 1d, A), int64)" in done.stdout
    assert "add: (int64, int64)" in done.stdout
    probe = subprocess.run([sys.executable, "-I", "-c", PROBE, str(tmp_path / "out")],
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    out = json.loads(probe.stdout)
    assert (out["pick"], out["strided"], out["add"]) == (2.0, 2.0, 5)
    assert "no signature accepts (ndarray, int)" in out["refused"]
    assert out["ember"] == []
