"""ember status: every verdict in one report, orphans, sections, the CI-gate exit."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from ember.pyc.build import build
from ember.pyc.cache import cache_path
from ember.pyc.status import status

OLD = 1_600_000_000


def states(report) -> dict[str, str]:
    return {Path(str(r.source or r.cache)).name: r.state for r in report.sections[0].records}


def test_every_state_in_one_tree(app, monkeypatch, foreign_magic):
    monkeypatch.chdir(app)
    build([Path(".")], jobs=1)
    shop = Path("shop")
    # stale (mtime), stale (size), foreign, corrupt body, same-second, missing, orphan
    os.utime(shop / "cart.py", (OLD + 9, OLD + 9))
    (shop / "money.py").write_text((shop / "money.py").read_text() + "\n")
    os.utime(shop / "money.py", (OLD, OLD))
    pricing = cache_path(shop / "pricing.py")
    magic, version = foreign_magic
    pricing.write_bytes(magic + pricing.read_bytes()[4:])
    receipt = cache_path(shop / "receipt.py")
    receipt.write_bytes(receipt.read_bytes()[:16] + b"\x00garbage")
    os.utime(cache_path(Path("main.py")), (OLD + 0.2, OLD + 0.2))
    cache_path(shop / "__init__.py").unlink()
    (shop / "gone.py").write_text("")
    build([shop / "gone.py"], jobs=1)
    (shop / "gone.py").unlink()

    report = status([Path(".")])
    assert states(report) == {
        "main.py": "same-second",
        "__init__.py": "missing",
        "cart.py": "stale",
        "catalog.py": "fresh",
        "money.py": "stale",
        "pricing.py": "foreign",
        "receipt.py": "corrupt",
        "gone.py": "orphan",
    }
    reasons = {Path(str(r.source)).name: r.reason for r in report.sections[0].records}
    assert reasons["money.py"].startswith("source size changed")
    assert reasons["pricing.py"] == f"built by Python {version}"
    assert "does not unmarshal" in reasons["receipt.py"]
    assert not report.ok


def test_all_fresh_is_ok_and_paths_read_as_given(app, monkeypatch):
    monkeypatch.chdir(app.parent)
    build([Path("app")], jobs=1)
    report = status([Path("app")])
    assert report.ok
    assert [str(r.source) for r in report.sections[0].records][:2] == [
        "app/main.py",
        "app/shop/__init__.py",
    ]


def test_levels_and_prefix(app, tmp_path):
    build([app], levels=(1,), prefix=tmp_path / "pc", jobs=1)
    assert status([app], levels=(1,), prefix=tmp_path / "pc").ok
    assert not status([app], levels=(1,)).ok
    assert "under" in status([app], prefix=tmp_path / "pc").sections[0].title


def test_other_pythons_caches_are_not_orphans(app):
    build([app], jobs=1)
    other = cache_path(app / "main.py").with_name("main.cpython-399.pyc")
    other.write_bytes(b"")
    assert status([app]).ok


def test_problems_fail_the_gate(app):
    build([app], jobs=1)
    report = status([app, app / "nope"])
    assert not report.ok and report.problems[0].message == "no such file or directory"


def test_json_document(app):
    doc = status([app]).to_json()
    json.dumps(doc)
    section = doc["sections"][0]
    assert doc["ok"] is False and section["counts"] == {"missing": 7}
    assert set(section["records"][0]) >= {"state", "reason", "source", "cache"}


def test_warnings_pass_the_gate_unless_strict(app):
    from ember.pyc.header import InvalidationMode

    build([app], mode=InvalidationMode.UNCHECKED_HASH, jobs=1)
    report = status([app])
    assert set(states(report).values()) == {"unchecked"}
    assert report.ok and report.warnings == 7 and report.failing == 0
    strict = status([app], strict=True)
    assert not strict.ok and strict.failing == 7
    (app / "main.py").write_text("print('edited')\n")
    assert not status([app]).ok  # out of date: stale, old code would run


def test_pycache_that_is_a_file_is_reported_not_a_crash(app):
    # Regression (issue 10, item 6): NotADirectoryError escaped as a traceback.
    shop = app / "shop"
    (shop / "__pycache__").write_bytes(b"not a folder")
    report = status([app])
    got = {Path(str(r.source)).name: r for r in report.sections[0].records}
    assert got["cart.py"].state == "missing"
    assert "is a file, not a folder" in got["cart.py"].reason
    assert not report.ok


# --- why a cache is missing (issue 19, item 7) -----------------------------------------


def missing_reasons(report) -> dict[str, str]:
    return {str(r.source): r.reason for r in report.sections[0].records if r.state == "missing"}


@pytest.fixture
def writing_env(monkeypatch):
    """The environment of a user whose python writes caches (this machine sets
    PYTHONDONTWRITEBYTECODE=1), with no pycache prefix."""
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setattr(sys, "pycache_prefix", None)


def test_missing_reasons_golden(tmp_path, monkeypatch, writing_env):
    monkeypatch.chdir(tmp_path)
    Path("lib.py").write_text("X = 1\n")
    Path("tool.py").write_text("def main():\n    pass\n\nif __name__ == '__main__':\n    main()\n")
    Path("odd.py").write_text('if "__main__" == __name__:\n    pass\n')
    Path("pkg").mkdir()
    Path("pkg/__main__.py").write_text("if __name__ == '__main__':\n    pass\n")
    Path("pkg/quoted.py").write_text('TEXT = """\n  if __name__ == "__main__":\n"""\n')
    assert missing_reasons(status([Path(".")])) == {
        "lib.py": "no cache file: never imported or built",
        "odd.py": "no cache file: a script run as `python FILE` is never cached; "
        "`ember run FILE` caches it",
        "tool.py": "no cache file: a script run as `python FILE` is never cached; "
        "`ember run FILE` caches it",
        # python -m pkg imports __main__.py (cached); an indented guard is not a guard.
        "pkg/__main__.py": "no cache file: never imported or built",
        "pkg/quoted.py": "no cache file: never imported or built",
    }


def test_missing_reason_dont_write_bytecode(tmp_path, monkeypatch, writing_env):
    monkeypatch.chdir(tmp_path)
    Path("tool.py").write_text("if __name__ == '__main__':\n    pass\n")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert missing_reasons(status([Path(".")])) == {
        "tool.py": "no cache file: python writes none while PYTHONDONTWRITEBYTECODE is set"
    }


def test_missing_reason_prefix_says_where(tmp_path, monkeypatch, writing_env):
    monkeypatch.chdir(tmp_path)
    Path("a.py").write_text("")
    Path("b.py").write_text("")
    build([Path("b.py")], jobs=1)  # an in-tree cache the importer ignores under a prefix
    prefix = tmp_path / "pc"
    assert missing_reasons(status([Path("a.py"), Path("b.py")], prefix=prefix)) == {
        "a.py": f"no cache file: never imported or built with the pycache prefix {prefix}",
        "b.py": f"no cache file: never imported or built with the pycache prefix {prefix}; "
        f"the __pycache__/b.{sys.implementation.cache_tag}.pyc beside it is ignored while "
        "a prefix is set",
    }
    # Looked for in-tree while python has a prefix: its caches are elsewhere.
    monkeypatch.setattr(sys, "pycache_prefix", str(prefix))
    assert missing_reasons(status([Path("a.py")])) == {
        "a.py": f"no cache file: a pycache prefix is in force: python writes caches under "
        f"{prefix}, not in __pycache__"
    }


def test_missing_reason_unwritable_folder(tmp_path, monkeypatch, writing_env):
    # Root may write anywhere, so the permission answer is what os.access says of
    # these folders (the test as user nobody below checks the real thing).
    monkeypatch.chdir(tmp_path)
    for d in ("ro", "rw/__pycache__"):
        Path(d).mkdir(parents=True)
    Path("ro/a.py").write_text("")
    Path("rw/b.py").write_text("")
    locked = {str(tmp_path / "ro"), str(tmp_path / "rw" / "__pycache__")}
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: str(p) not in locked and real(p, m))
    assert missing_reasons(status([Path(".")])) == {
        "ro/a.py": "no cache file: __pycache__ cannot be created: ro is not writable by you "
        "(permission)",
        "rw/b.py": "no cache file: rw/__pycache__ is not writable by you: the cache cannot be "
        "written (permission)",
    }


def test_missing_reason_unwritable_as_another_user(as_nobody):
    import subprocess

    python, preexec = as_nobody
    import tempfile

    root = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        os.chmod(root, 0o755)  # readable by nobody, writable only by root
        (root / "lib.py").write_text("X = 1\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
        proc = subprocess.run(
            [python, "-m", "ember", "status", "."],
            cwd=root,
            env=env,
            preexec_fn=preexec,  # noqa: PLW1509 - the child only execs python
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        import shutil

        shutil.rmtree(root)
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout.splitlines()[2].split(None, 2) == [
        "missing",
        "lib.py",
        "no cache file: __pycache__ cannot be created: . is not writable by you (permission)",
    ]
