"""Shared by the benchmark scripts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def precompile_ember() -> None:
    """Give ember's own modules their .pyc, as an installed copy has them (pip writes
    them at install time; Numba's are there too). A checkout run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile ember from source in every fresh
    process, ~50 ms that no installed user pays. Uses ``ember build`` itself."""
    import ember

    package = Path(ember.__file__).resolve().parent
    subprocess.run([sys.executable, "-m", "ember", "build", "-q", str(package)], check=True)
    print(f"(ember's modules precompiled with `ember build -q {package}`, as an install has them)")
