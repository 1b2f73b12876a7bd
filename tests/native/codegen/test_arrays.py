"""codegen/arrays.py: what the array lowering emits, independent of the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LOWER_PAIRWISE = """
import math
import numpy as np
from ember.native.frontend import statements as infer
from ember.native.codegen import function as lower
from ember.native.options import Options
from ember.native.types import Array, DType

def pairwise(x):
    n, d = x.shape
    out = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(d):
                t = x[i, k] - x[j, -k]
                s += t * t
            out[i, j] = math.sqrt(s)
    return out

options = Options()
unit = infer.infer_unit(pairwise, (Array(DType("float64"), 2, "A"),), options)
print(lower.lower_unit(unit, options))
"""


def test_lowered_ir_is_the_same_in_every_process(tmp_path: Path) -> None:
    """String constants are named by a stable digest, not by ``hash()`` (salted per
    process): ``ember explain`` output and the IR text are reproducible."""
    script = tmp_path / "lower_pairwise.py"  # a file: the frontend reads the source
    script.write_text(LOWER_PAIRWISE)
    texts = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        out = subprocess.run([sys.executable, str(script)], env=env,
                             capture_output=True, text=True, check=True)
        texts.append(out.stdout)
    assert "ember.str." in texts[0]
    assert texts[0] == texts[1]
