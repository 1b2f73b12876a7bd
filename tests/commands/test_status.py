"""`ember status` as a user runs it: the table, -q, --json, the exit status."""

from __future__ import annotations

import json
import os
import sys


def test_table_golden(app, ember):
    ember("build", "-j1")
    os.utime(app / "shop" / "cart.py", (1_600_000_009, 1_600_000_009))
    (app / "shop" / "__pycache__" / f"old.{sys.implementation.cache_tag}.pyc").write_bytes(b"")
    status, out, err = ember("status")
    assert status == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == "bytecode caches (TAG, in __pycache__)"
    assert lines[1].split() == ["STATE", "FILE", "REASON"]
    assert lines[2].split()[:3] == ["fresh", "main.py", "timestamp"]
    cart = next(line for line in lines if "cart.py" in line)
    assert cart.split()[0] == "stale" and "source modified" in cart
    assert any(line.split()[:2] == ["orphan", "shop/__pycache__/old.TAG.pyc"] for line in lines)
    assert lines[-1] == "8 caches: 6 fresh, 1 stale, 1 orphan"


def test_quiet_lists_only_problems_and_gate_passes_when_fresh(app, ember):
    ember("build", "-j1")
    assert ember("status", "-q") == (
        0,
        "bytecode caches (TAG, in __pycache__)\n7 caches: 7 fresh\n",
        "",
    )


def test_json_and_missing(app, ember):
    status, out, _ = ember("status", "--json")
    doc = json.loads(out)
    assert status == 1 and doc["ok"] is False
    assert doc["sections"][0]["counts"] == {"missing": 7}


def test_prefix_env_warns(app, ember, monkeypatch, tmp_path):
    monkeypatch.setattr("sys.pycache_prefix", str(tmp_path / "pc"))
    ember("build", "-q")
    status, out, err = ember("status")
    assert status == 0
    assert err.startswith("warning: PYTHONPYCACHEPREFIX is set")
    assert "under " in out.splitlines()[0]
