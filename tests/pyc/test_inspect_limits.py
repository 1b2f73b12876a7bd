"""ember inspect against a body built to exhaust the parent (issue 10, item 5): marshal
shares one object among many references, so a 1 MB pyc can hold a 1 MiB name used
1,500 times. The worker clips long strings, stops at a byte budget, and the parent
never reads more than that budget."""

from __future__ import annotations

import json
import marshal
import os
import sys
from pathlib import Path

import pytest

from ember import cli
from ember.pyc import codeinfo
from ember.pyc import inspect as pyc_inspect
from ember.pyc.header import InvalidationMode, pack
from ember.pyc.inspect import TOO_LARGE, InspectError, inspect_target, run_worker

MIB = 1 << 20


def _shared_name_pyc(path: Path, *, name_size: int, refs: int) -> Path:
    """A pyc whose one code object names the same ``name_size``-character string
    ``refs`` times: marshal writes the string once and ``refs - 1`` back-references."""
    big = "n" * name_size
    code = compile("x", "big.py", "exec").replace(co_names=(big,) * refs)
    body = marshal.dumps(code)
    assert len(body) < name_size + 10 * refs + 200  # small: shared, not copied
    path.write_bytes(pack(InvalidationMode.TIMESTAMP, mtime=0, source_size=0) + body)
    return path


def test_a_shared_huge_name_is_clipped_not_multiplied(tmp_path):
    # The file: ~1 MB on disk. Reported whole it is 1.5 GB of JSON.
    pyc = _shared_name_pyc(tmp_path / "big.pyc", name_size=MIB, refs=1500)
    assert pyc.stat().st_size < 2 * MIB
    data = run_worker(sys.executable, pyc)
    assert isinstance(data, dict)
    (code,) = data["codes"]
    names = code["names"]
    assert len(names) == 1500
    assert names[0] == "n" * codeinfo.MAX_TEXT + "... (1,048,576 characters)"
    assert len(json.dumps(data)) < 2 * MIB


def test_clip_keeps_short_text_and_says_how_long_long_text_is():
    assert codeinfo.clip("short") == "short"
    assert codeinfo.clip("x" * 12, 5) == "xxxxx... (12 characters)"


def test_a_long_bytes_constant_stays_a_literal_with_its_length():
    value = codeinfo.StringConst("<module>", 1, b"\x00" * 5000).to_json()
    assert value["length"] == 5000
    assert value["value"] == repr(b"\x00" * codeinfo.MAX_TEXT)


def test_a_report_over_the_budget_is_too_large_to_show(tmp_path):
    # 3,000 distinct 100-character names: ~330 KB of JSON, over a 100 KB budget.
    code = compile("x", "many.py", "exec").replace(
        co_names=tuple(f"{i:0100d}" for i in range(3000))
    )
    pyc = tmp_path / "many.pyc"
    pyc.write_bytes(pack(InvalidationMode.TIMESTAMP, mtime=0, source_size=0) + marshal.dumps(code))
    assert run_worker(sys.executable, pyc, max_output=100_000) is TOO_LARGE
    with pytest.raises(InspectError) as caught:
        inspect_target(str(pyc), max_output=100_000)
    assert caught.value.render() == (
        f"error: {pyc}: too large to show (what it holds decodes to over 100,000 bytes of report)"
    )
    # Under a budget it fits, the same file decodes.
    assert inspect_target(str(pyc), max_output=1_000_000).decoded


def test_the_disassembly_counts_against_the_budget(tmp_path):
    # dis repeats a name at every instruction that loads it: 200 loads of a 900-char name.
    name = "v" * 900
    source = "\n".join([f"{name} = 1", *[name] * 200])
    pyc = tmp_path / "dis.pyc"
    code = compile(source, "dis.py", "exec")
    pyc.write_bytes(pack(InvalidationMode.TIMESTAMP, mtime=0, source_size=0) + marshal.dumps(code))
    assert isinstance(run_worker(sys.executable, pyc, max_output=100_000), dict)
    assert run_worker(sys.executable, pyc, disassemble=True, max_output=100_000) is TOO_LARGE


@pytest.mark.skipif(os.name != "posix", reason="needs a shell script as interpreter")
def test_the_parent_never_reads_past_the_budget(tmp_path):
    # A decoder that ignores --max-bytes and writes forever: the file-size limit stops
    # it, and the parent sees the size before reading anything.
    pyc = _shared_name_pyc(tmp_path / "m.pyc", name_size=10, refs=2)
    fake = tmp_path / "fakepython"
    fake.write_text("#!/bin/sh\nexec yes\n")
    fake.chmod(0o755)
    assert run_worker(str(fake), pyc, max_output=1000, timeout=60) is TOO_LARGE


def test_cli_says_too_large_in_one_line_and_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pyc_inspect, "WORKER_OUTPUT", 100_000)
    pyc = _shared_name_pyc(tmp_path / "big.pyc", name_size=MIB, refs=1500)
    assert cli.main(["inspect", str(pyc)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"ember inspect: error: {pyc}: too large to show "
        "(what it holds decodes to over 100,000 bytes of report)\n"
    )
