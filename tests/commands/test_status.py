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
    assert lines[-2:] == [
        "8 caches: 6 fresh, 1 stale, 1 orphan",
        "1 warning: not failing (--strict fails them)",
    ]


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


def test_a_fresh_checkout_built_then_checked_passes_the_gate(app, ember):
    # A just-checked-out tree: sources modified now, so every cache is same-second
    # (an mtime ahead of the clock makes that certain: no second boundary to cross).
    # That is a warning in the table, not a failure: `ember build && ember status`
    # must not fail right after a successful build.
    import time

    soon = int(time.time()) + 3600
    for path in app.rglob("*.py"):
        os.utime(path, (soon, soon))
    assert ember("build", "-q")[0] == 0
    status, out, err = ember("status")
    assert status == 0 and err == ""
    assert out.splitlines()[-2:] == [
        "7 caches: 7 same-second",
        "7 warnings: not failing (--strict fails them)",
    ]
    assert all(line.split()[0] == "same-second" for line in out.splitlines()[2:-2])
    status, out, _ = ember("status", "--strict")
    assert status == 1 and out.endswith("7 warnings: failing (--strict)\n")
    doc = json.loads(ember("status", "--json")[1])
    assert (doc["ok"], doc["strict"], doc["failing"], doc["warnings"]) == (True, False, 0, 7)
    doc = json.loads(ember("status", "--json", "--strict")[1])
    assert (doc["ok"], doc["failing"]) == (False, 7)


def test_orphans_warn_and_stale_fails(app, ember):
    ember("build", "-q")
    (app / "shop" / "__pycache__" / f"old.{sys.implementation.cache_tag}.pyc").write_bytes(b"")
    assert ember("status")[0] == 0
    assert ember("status", "--strict")[0] == 1
    os.utime(app / "main.py", (1_600_000_009, 1_600_000_009))
    assert ember("status")[0] == 1


def test_help_documents_the_exit_policy(capsys):
    import pytest

    from ember.cli import main

    with pytest.raises(SystemExit):
        main(["status", "--help"])
    text = capsys.readouterr().out
    assert "exit status (a CI gate)" in text and "--strict" in text
    assert "same-second, unchecked and orphan are warnings" in text
    assert "examples:" in text


def test_default_excludes_golden(cluttered, ember):
    # pip's fresh install in .venv reports nothing; the note says what was skipped,
    # once; -q silences it; --json lists the folders.
    ember("build", "-j1", "-q", "--no-default-excludes")
    assert ember("status", "-q") == (
        0,
        "bytecode caches (TAG, in __pycache__)\n9 caches: 9 fresh\n",
        "",
    )
    status, out, err = ember("status")
    assert (status, out.splitlines()[-1]) == (0, "9 caches: 9 fresh")
    assert err == (
        "note: skipped .venv and env2 (a virtual environment), build (build output), "
        "node_modules (JavaScript packages); --no-default-excludes walks them\n"
    )
    doc = json.loads(ember("status", "--json")[1])
    assert [s["path"] for s in doc["skipped"]] == [".git", ".venv", "build", "env2", "node_modules"]
    assert ember("status", "-q", "--no-default-excludes")[1].endswith("15 caches: 15 fresh\n")
    assert ember("status", "-q", ".venv")[1].endswith("2 caches: 2 fresh\n")


def test_missing_reasons_table_golden(app, ember, monkeypatch):
    # The question users ask first: why has this file no cache? The sample app's
    # main.py is the script python runs (never cached); the rest were never imported.
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    ember("build", "-j1", "-q", "shop/cart.py", "shop/catalog.py", "shop/money.py")
    status, out, err = ember("status", "-q")
    assert (status, err) == (1, "")
    assert out == (
        "bytecode caches (TAG, in __pycache__)\n"
        "  STATE        FILE              REASON\n"
        "  missing      main.py           no cache file: a script run as `python FILE` is "
        "never cached; `ember run FILE` caches it\n"
        "  missing      shop/__init__.py  no cache file: never imported or built\n"
        "  missing      shop/pricing.py   no cache file: never imported or built\n"
        "  missing      shop/receipt.py   no cache file: never imported or built\n"
        "7 caches: 4 missing, 3 fresh\n"
    )
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    row = ember("status", "-q", "main.py")[1].splitlines()[2]
    assert row.endswith("no cache file: python writes none while PYTHONDONTWRITEBYTECODE is set")
