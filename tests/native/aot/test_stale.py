"""An AOT extension knows when it is stale: ``ember status`` lists it with the reason
(its own source, or a module whose @jit code it holds, changed), ``ember build --native``
rebuilds it as it was built, and importing it with a changed source beside it gives one
warning (or an ImportError, or nothing, as EMBER_AOT_STALE says)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from ember.native.aot.meta import FORMAT, read_metadata
from ember.native.backend.engine import linker

pytestmark = pytest.mark.skipif(linker(fallback=True) is None, reason="no linker (no cc, no ziglang)")

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")

HELPERS = textwrap.dedent('''\
    import ember


    @ember.jit
    def twice(x: int) -> int:
        return 2 * x
''')

KERNEL = textwrap.dedent('''\
    import ember
    from helpers import twice


    @ember.jit
    def quad(x: int) -> int:
        return twice(twice(x))
''')


def _run(*argv: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "EMBER_AOT_STALE"}
    full.update(EMBER_CACHE="0", **env)
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "helpers.py").write_text(HELPERS)
    (tmp_path / "k.py").write_text(KERNEL)
    proc = _run("-m", "ember", "aot", "k.py", "--cpu", "host", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def _aot_section(cwd: Path) -> str:
    proc = _run("-m", "ember", "status", "--no-body-check", ".", cwd=cwd)
    out = proc.stdout[proc.stdout.index("ahead-of-time extensions"):]
    # Through the section's count line, without the notes after it.
    count = re.search(r"^\d+ extensions?: .*\n", out, re.MULTILINE)
    assert count is not None, out
    return out[:count.end()]


def _golden(state: str, reason: str) -> str:
    name = f"k{SUFFIX}"
    width = max(len("FILE"), len(name))
    return (f"ahead-of-time extensions (ember aot)\n"
            f"  {'STATE':<12} {'FILE':<{width}}  REASON\n"
            f"  {state:<12} {name:<{width}}  {reason}\n"
            f"1 extension: 1 {state}\n")


def test_records_its_sources_and_how_it_was_built(tree: Path) -> None:
    meta = read_metadata(tree / f"k{SUFFIX}")
    assert meta is not None and meta["format"] == FORMAT and meta["cpu"] == "host"
    assert [s["rel"] for s in meta["sources"]] == ["k.py", "helpers.py"]
    assert meta["functions"] == {"quad": ["(int64)"]}
    assert read_metadata(tree / "k.py") is None  # not an extension


def test_status_fresh_then_stale_with_the_reason(tree: Path) -> None:
    assert _aot_section(tree) == _golden("fresh", "sources unchanged since it was built")
    os.utime(tree / "k.py", ns=(1, 1))  # touched, same text: still fresh (hash checked)
    assert _aot_section(tree) == _golden("fresh", "sources unchanged since it was built")
    with open(tree / "k.py", "a") as f:
        f.write("# edited\n")
    assert _aot_section(tree) == _golden("stale",
                                         "k.py changed since it was built (sha256 differs)")
    proc = _run("-m", "ember", "status", "-q", ".", cwd=tree)
    assert proc.returncode == 1  # a CI gate


def test_a_changed_dependency_makes_it_stale(tree: Path) -> None:
    (tree / "helpers.py").write_text(HELPERS.replace("2 * x", "3 * x"))
    assert _aot_section(tree) == _golden(
        "stale", "helpers.py, whose code it holds, changed (sha256 differs)")


def test_build_native_rebuilds_what_is_stale(tree: Path) -> None:
    (tree / "helpers.py").write_text(HELPERS.replace("2 * x", "3 * x"))
    proc = _run("-m", "ember", "build", "--native", ".", cwd=tree)
    assert proc.returncode == 0, proc.stderr
    assert (f"rebuilt k{SUFFIX}: helpers.py, whose code it holds, changed (sha256 differs)"
            in proc.stdout.splitlines())
    assert _aot_section(tree) == _golden("fresh", "sources unchanged since it was built")
    probe = _run("-I", "-c", "import sys; sys.path.insert(0, '.'); import k; print(k.quad(2))",
                 cwd=tree)
    assert probe.stdout.strip() == "18", probe.stderr  # 3 * 3 * 2: the new helper
    again = _run("-m", "ember", "build", "--native", ".", cwd=tree)
    assert "rebuilt" not in again.stdout  # fresh ones are left alone


IMPORT = "import sys; sys.path.insert(0, '.'); import k; print(k.quad(1))"


def test_import_warns_once_when_the_source_beside_it_changed(tree: Path) -> None:
    quiet = _run("-I", "-c", IMPORT, cwd=tree)
    assert (quiet.stdout, quiet.stderr) == ("4\n", "")
    with open(tree / "k.py", "a") as f:
        f.write("# edited\n")
    warned = _run("-c", IMPORT + "; import k", cwd=tree)
    assert warned.stdout == "4\n"
    assert warned.stderr.count("RuntimeWarning") == 1, warned.stderr
    assert f"k.py changed since k{SUFFIX} was built from it" in warned.stderr
    assert "EMBER_AOT_STALE=ignore" in warned.stderr
    ignored = _run("-c", IMPORT, cwd=tree, EMBER_AOT_STALE="ignore")
    assert (ignored.stdout, ignored.stderr) == ("4\n", "")
    refused = _run("-c", IMPORT, cwd=tree, EMBER_AOT_STALE="error")
    assert refused.returncode == 1 and "ImportError: " in refused.stderr


def test_a_touched_source_is_hashed_not_reported(tree: Path) -> None:
    os.utime(tree / "k.py", ns=(1, 1))
    proc = _run("-I", "-c", IMPORT, cwd=tree)
    assert (proc.stdout, proc.stderr) == ("4\n", "")


def test_tracebacks_name_the_source_beside_it(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import ember\n\ndef boom():\n    raise ValueError('x')\n")
    assert _run("-m", "ember", "aot", "m.py", "--cpu", "host", cwd=tmp_path).returncode == 0
    proc = _run("-I", "-c", "import sys; sys.path.insert(0, '.'); import m; m.boom()",
                cwd=tmp_path)
    assert f'File "{tmp_path / "m.py"}", line 4, in boom' in proc.stderr
    assert "raise ValueError('x')" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_an_extension_is_not_opened_for_reading(tmp_path: Path) -> None:
    # A blocking open would wait for a writer forever (ember status hung on one).
    fifo = tmp_path / "kernels.cpython-311-x86_64-linux-gnu.so"
    os.mkfifo(fifo)
    assert read_metadata(fifo) is None
    assert read_metadata(tmp_path / "absent.so") is None
