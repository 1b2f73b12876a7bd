"""Linking without a C toolchain: with no cc on PATH (and no $CC), ``ember aot`` links
with the ziglang wheel's ``zig cc``, and the extension works; with neither, the error
is one line naming what to install, and nothing is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ember.native.backend.engine import zig_cc

SOURCE = "import ember\n\n@ember.jit\ndef inc(n: int) -> int:\n    return n + 1\n"


def _aot_without_cc(cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    empty = cwd / "empty-path"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "CC"}
    env.update(PATH=str(empty), EMBER_CACHE="0", **extra)
    return subprocess.run([sys.executable, "-m", "ember", "aot", "m.py", "-o", "out",
                           "--cpu", "host"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.skipif(zig_cc() is None, reason="the ziglang wheel is not installed")
def test_links_with_zig_when_there_is_no_cc(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    proc = _aot_without_cc(tmp_path)
    assert proc.returncode == 0, proc.stderr
    probe = subprocess.run([sys.executable, "-I", "-c",
                            "import sys; sys.path.insert(0, 'out'); import m; print(m.inc(41))"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert probe.stdout == "42\n", probe.stderr


def test_no_linker_at_all_names_what_to_install(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from ember.native.backend import engine

    monkeypatch.setattr(engine, "find_cc", lambda: None)
    monkeypatch.setattr(engine, "zig_cc", lambda: None)
    with pytest.raises(engine.EngineError, match="pip install ziglang"):
        engine.link_shared([b"not an object"], tmp_path / "out" / "m.so", fallback=True)
    assert not (tmp_path / "out").exists()
