"""The build backend end to end: ``pip wheel`` of a sample project
(tests/data/aot_package, ``build-backend = "ember.build_backend"``) gives a platform wheel
holding the extension; installed into a fresh virtual environment that has neither
ember nor llvmlite, it imports and gives the interpreted module's results and exception
types for every signature, loads no ember module (``-X importtime``), and an edit of its
installed source is reported stale by ``ember status`` and warned about at import."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ember.native.aot.wheel import wheel_tag
from ember.native.backend.engine import linker

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "aot_package"

pytestmark = [
    pytest.mark.skipif(linker(fallback=True) is None, reason="no linker (no cc, no ziglang)"),
    pytest.mark.skipif(shutil.which("pip", path=str(Path(sys.executable).parent)) is None,
                       reason="no pip in this environment"),
]

# (function, arguments) for every signature the sample declares, edge cases included.
CALLS = [
    ("steps", (27,)), ("steps", (1,)),
    ("norm2", ("f", [0.5, 1.5, -2.0])), ("norm2", ("f", [])), ("norm2", ("i", [1, -2, 3])),
    ("clamp", (5, 1, 3)), ("clamp", (-4, 1, 3)), ("clamp", (0.5, 1.0, 3.0)),
    ("clamp", (2.5, 1.0, 3.0)), ("clamp", (1, 3, 2)), ("clamp", (1.0, 3.0, 2.0)),
    ("clamp", (None, 1, 2)),  # no signature takes it; Python raises TypeError too
]
PROBE = textwrap.dedent('''\
    import json, sys
    import numpy as np
    {importer}
    def arg(a):
        if isinstance(a, list) and len(a) == 2 and a[0] in ("f", "i"):
            return np.array(a[1], dtype=np.float64 if a[0] == "f" else np.int64)
        return a
    out = []
    for name, args in json.loads(sys.argv[1]):
        try:
            r = getattr(kernels, name)(*map(arg, args))
            out.append(["ok", float(r), type(r).__name__ in ("int", "int64")])
        except Exception as e:
            out.append(["raised", type(e).__name__])
    print(json.dumps(out))
''')


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(the wheel, the fresh environment's python, its site-packages)."""
    root = tmp_path_factory.mktemp("wheel")
    project = root / "project"
    shutil.copytree(SAMPLE, project)
    env = {**os.environ, "EMBER_CACHE": "0"}
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps",
          "--no-index", "-w", str(root / "dist"), str(project)], env=env)
    (wheel,) = (root / "dist").iterdir()
    fresh = root / "fresh"
    _run([sys.executable, "-m", "venv", "--without-pip", str(fresh)])
    python = fresh / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
          "--no-index", str(wheel)])
    site = Path(_run([str(python), "-c", "import sysconfig; "
                      "print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # NumPy (the sample uses arrays), and nothing else of this environment.
    numpy_dir = Path(np.__file__).parent
    for name in ("numpy", "numpy.libs"):
        if (numpy_dir.parent / name).exists():
            (site / name).symlink_to(numpy_dir.parent / name)
    return wheel, python, site


def test_the_wheel_is_tagged_for_this_platform_with_a_true_record(installed) -> None:
    wheel, _, _ = installed
    assert wheel.name == f"aotpkg-0.1.0-{wheel_tag()}.whl"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        so = f"aotpkg/kernels{sysconfig.get_config_var('EXT_SUFFIX')}"
        assert so in names and "aotpkg/kernels.py" in names
        meta = z.read("aotpkg-0.1.0.dist-info/WHEEL").decode()
        assert "Root-Is-Purelib: false" in meta and f"Tag: {wheel_tag()}" in meta
        for line in z.read("aotpkg-0.1.0.dist-info/RECORD").decode().splitlines():
            name, digest, size = line.rsplit(",", 2)
            if digest:
                data = z.read(name)
                want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                assert (digest, int(size)) == (f"sha256={want.decode()}", len(data)), name


def test_runs_without_ember_like_the_interpreted_module(installed) -> None:
    _, python, _ = installed
    assert subprocess.run([str(python), "-c", "import ember"], capture_output=True,
                          timeout=60).returncode == 1  # no ember there
    assert subprocess.run([str(python), "-c", "import llvmlite"], capture_output=True,
                          timeout=60).returncode == 1
    calls = json.dumps(CALLS)
    got = json.loads(_run([str(python), "-I", "-c", PROBE.format(
        importer="from aotpkg import kernels\nassert kernels.__file__.endswith('.so')"),
        calls], cwd="/").stdout)
    # The interpreted module: the sample's own source, @jit functions run as Python.
    interpreted = (f"sys.path.insert(0, {str(SAMPLE)!r})\nfrom aotpkg import kernels\n"
                   "for n in ('steps', 'norm2', 'clamp'):\n"
                   "    setattr(kernels, n, getattr(kernels, n).py_func)")
    want = json.loads(_run([sys.executable, "-c", PROBE.format(importer=interpreted), calls],
                           env={**os.environ, "EMBER_CACHE": "0"}).stdout)
    assert got == want


def test_imports_no_ember_module(installed) -> None:
    _, python, _ = installed
    proc = _run([str(python), "-I", "-X", "importtime", "-c", "import aotpkg.kernels"])
    modules = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()]
    assert "aotpkg.kernels" in modules
    assert not [m for m in modules if m.split(".")[0] in ("ember", "llvmlite")]


def test_an_edited_installed_source_is_stale(installed) -> None:
    _, python, site = installed
    status = [sys.executable, "-m", "ember", "status", "--no-body-check", str(site / "aotpkg")]
    fresh = subprocess.run(status, capture_output=True, text=True, timeout=120)
    assert "fresh        " in fresh.stdout.split("ahead-of-time extensions")[1]
    source = site / "aotpkg" / "kernels.py"
    original = source.read_text()
    try:
        source.write_text(original.replace("SCALE = 3", "SCALE = 5"))
        stale = subprocess.run(status, capture_output=True, text=True, timeout=120)
        section = stale.stdout.split("ahead-of-time extensions")[1]
        assert "stale" in section and "kernels.py changed since it was built" in section
        warned = _run([str(python), "-c", "import aotpkg"])
        assert warned.stderr.count("RuntimeWarning") == 1
        assert "kernels.py changed since kernels" in warned.stderr
    finally:
        source.write_text(original)
