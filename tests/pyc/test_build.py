"""ember build: byte-identical to py_compile in every mode and level, on this Python and
the others installed; incremental exactly as the importer judges; the importer really
uses the output; bad inputs are clear errors while the rest compiles; concurrent builds
leave only valid pycs."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from ember.pyc import build as build_mod
from ember.pyc.build import build
from ember.pyc.cache import cache_path, judge_many
from ember.pyc.header import InvalidationMode

OLD = 1_600_000_000
SRC = Path(__file__).resolve().parents[2] / "src"
MODES = list(InvalidationMode)


def sources(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if "__pycache__" not in p.parts)


def py_compile_bytes(source: Path, mode: InvalidationMode, level: int, tmp: Path) -> bytes:
    """What a fresh ``py_compile`` process writes (this one's imports change marshal's
    output: see test_determinism)."""
    out = tmp / "ref.pyc"
    subprocess.run(
        [sys.executable, "-c", FRESH_PY_COMPILE, str(source), str(out), str(level), mode.name],
        check=True,
    )
    return out.read_bytes()


FRESH_PY_COMPILE = (
    "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True, "
    "optimize=int(sys.argv[3]), invalidation_mode=py_compile.PycInvalidationMode[sys.argv[4]])"
)


@pytest.fixture(params=[1, 2], ids=["j1", "j2"])
def scheduler(request, monkeypatch):
    """Run the build with one worker and with two (small trees get two as well)."""
    monkeypatch.setattr(build_mod, "_SMALL_BUILD_BYTES", 0)
    return request.param


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
def test_byte_identical_to_py_compile_every_mode_and_level(app, tmp_path, mode, scheduler):
    report = build([app], mode=mode, levels=(0, 1, 2), jobs=scheduler)
    assert report.ok and report.count("compiled") == len(sources(app))
    assert report.workers == scheduler
    for source in sources(app):
        for level in (0, 1, 2):
            ours = cache_path(source, optimization=level).read_bytes()
            assert ours == py_compile_bytes(source, mode, level, tmp_path), (source, level)


def test_other_pythons_are_byte_identical_to_their_py_compile(app, other_python):
    script = textwrap.dedent(
        """
        import subprocess, sys, tempfile, os
        from pathlib import Path
        from ember.pyc.build import build
        from ember.pyc.cache import cache_path
        from ember.pyc.header import InvalidationMode
        tree = Path(sys.argv[1]); bad = []
        srcs = sorted(p for p in tree.rglob('*.py') if '__pycache__' not in p.parts)
        for mode in InvalidationMode:
            report = build([tree], mode=mode, levels=(0, 1, 2), force=True, jobs=2)
            assert report.ok, [d.render() for d in report.errors]
            for src in srcs:
                for level in (0, 1, 2):
                    ref = os.path.join(tempfile.mkdtemp(), 'r.pyc')
                    subprocess.run([sys.executable, '-c', sys.argv[2], str(src), ref,
                                    str(level), mode.to_py_compile().name], check=True)
                    if Path(ref).read_bytes() != cache_path(src, optimization=level).read_bytes():
                        bad.append((mode.value, str(src), level))
        print('mismatches', bad)
        print('checked', len(srcs) * 9)
        """
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # an explicit build ignores it
    env["PYTHONPATH"] = str(SRC)
    env["PYTHONHASHSEED"] = "0"  # 3.10 writes a frozenset in (hash-seeded) iteration order
    out = subprocess.run(
        [other_python, "-c", script, str(app), FRESH_PY_COMPILE],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "mismatches []" in out.stdout and "checked 63" in out.stdout


# --- incremental ----------------------------------------------------------------------


def test_second_build_is_a_no_op(app):
    assert build([app], jobs=1).count("compiled") == 7
    again = build([app], jobs=1)
    assert (again.count("compiled"), again.count("fresh")) == (0, 7)
    assert again.summary().startswith("compiled 0, already fresh 7, failed 0 in ")


def test_mtime_change_rebuilds_one(app):
    build([app], jobs=1)
    os.utime(app / "shop" / "cart.py", (OLD + 1, OLD + 1))
    report = build([app], jobs=1)
    assert [str(f.source.name) for f in report.files if f.outcome == "compiled"] == ["cart.py"]


def test_size_change_with_the_same_mtime_rebuilds(app):
    # compileall reads only 12 bytes and would skip this file; the importer would not.
    build([app], jobs=1)
    cart = app / "shop" / "cart.py"
    cart.write_text(cart.read_text() + "# more\n")
    os.utime(cart, (OLD, OLD))
    assert build([app], jobs=1).count("compiled") == 1


def test_mode_change_rebuilds_and_hash_builds_are_incremental(app):
    build([app], jobs=1)
    assert build([app], mode=InvalidationMode.CHECKED_HASH, jobs=1).count("compiled") == 7
    assert build([app], mode=InvalidationMode.CHECKED_HASH, jobs=1).count("fresh") == 7
    assert build([app], mode=InvalidationMode.UNCHECKED_HASH, jobs=1).count("compiled") == 7


def test_hash_change_with_same_mtime_and_size_rebuilds(app):
    build([app], mode=InvalidationMode.CHECKED_HASH, jobs=1)
    money = app / "shop" / "money.py"
    money.write_text(money.read_text().replace("ZERO", "NONE"))
    os.utime(money, (OLD, OLD))
    assert build([app], mode=InvalidationMode.CHECKED_HASH, jobs=1).count("compiled") == 1


def test_new_level_builds_only_that_level(app):
    build([app], jobs=1)
    report = build([app], levels=(0, 1), jobs=1)
    assert report.count("compiled") == 7
    assert all(cache_path(s, optimization=1).exists() for s in sources(app))


def test_force_rebuilds_everything(app):
    build([app], jobs=1)
    assert build([app], force=True, jobs=1).count("compiled") == 7


def test_source_date_epoch_selects_checked_hash(app, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    report = build([app], jobs=1)
    assert report.mode is InvalidationMode.CHECKED_HASH
    assert all(
        v.header.mode is InvalidationMode.CHECKED_HASH
        for v in judge_many(sources(app), check_body=False)
    )


def test_prefix_tree_matches_importlib(app, tmp_path, monkeypatch):
    prefix = tmp_path / "pc"
    assert build([app], prefix=prefix, jobs=1).ok
    monkeypatch.setattr(sys, "pycache_prefix", str(prefix))
    for source in sources(app):
        assert Path(importlib.util.cache_from_source(str(source))).is_file()
    assert not list(app.rglob("__pycache__"))


def test_a_relative_prefix_is_written_relative_to_the_callers_folder(app, tmp_path, monkeypatch):
    # Regression: the workers run in a folder of their own, where a relative prefix
    # was written (and lost) while build reported every file compiled.
    monkeypatch.chdir(tmp_path)
    assert build([app], prefix=Path("pc"), jobs=1).ok
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pc"))
    for source in sources(app):
        assert Path(importlib.util.cache_from_source(str(source))).is_file()


def test_exclude_and_file_arguments(app):
    report = build([app / "main.py", app / "shop"], exclude=["receipt.py"], jobs=1)
    assert sorted(f.source.name for f in report.files) == [
        "__init__.py",
        "cart.py",
        "catalog.py",
        "main.py",
        "money.py",
        "pricing.py",
    ]


def test_symlinked_cache_file_is_refused(app, tmp_path):
    target = tmp_path / "elsewhere.pyc"
    target.write_bytes(b"")
    cache = cache_path(app / "main.py")
    cache.parent.mkdir()
    os.symlink(target, cache)
    report = build([app], jobs=1)
    assert report.count("failed") == 1 and "symlink" in report.errors[0].message
    assert target.read_bytes() == b""


def test_json_report(app):
    doc = build([app], jobs=1).to_json()
    json.dumps(doc)
    assert (doc["compiled"], doc["fresh"], doc["failed"]) == (7, 0, 0)
    assert doc["files"][0]["outcome"] == "compiled"


# --- bad inputs -----------------------------------------------------------------------

BAD = {
    "syntax.py": (
        b"x = 1\ndef f(:\n    pass\n",
        "syntax.py:2:7: error: SyntaxError: invalid syntax",
        "    def f(:\n          ^",
    ),
    "undecodable.py": (
        b"x = 1\ny = '\xff'\n",
        # python's wording (issue 19 item 9): the same under build, dist and run.
        "undecodable.py:2:6: error: Non-UTF-8 code starting with '\\xff', but no encoding declared",
        "    y = '\ufffd'\n         ^",
    ),
    "latin1.py": (  # on line 1 too, where tokenize finds no cookie and gives up
        b"x = 'caf\xe9'\n",
        "latin1.py:1:9: error: Non-UTF-8 code starting with '\\xe9', but no encoding declared",
        "    x = 'caf\ufffd'\n            ^",
    ),
    "nul.py": (b"x = 1\ny = 2\x00\n", "nul.py:2:6: error: source contains a null byte", None),
    "klingon.py": (
        b"# -*- coding: klingon -*-\nx = 1\n",
        "klingon.py:1:1: error: unknown encoding: klingon",
        None,
    ),
    "tabs.py": (b"if 1:\n\tx = 1\n        y = 2\n", "tabs.py:3:", None),
}


@pytest.mark.parametrize("jobs", [1, 2])
def test_bad_inputs_are_clear_errors_and_the_rest_compiles(app, jobs, monkeypatch):
    monkeypatch.setattr(build_mod, "_SMALL_BUILD_BYTES", 0)
    bad = app / "bad"
    bad.mkdir()
    for name, (data, _, _) in BAD.items():
        (bad / name).write_bytes(data)
    os.symlink(bad / "gone.py", bad / "dangling.py")
    monkeypatch.chdir(app)
    report = build([Path("."), Path("missing_dir")], jobs=jobs)
    assert not report.ok
    assert report.count("compiled") == 7 and report.count("failed") == len(BAD)
    rendered = "\n\n".join(d.render() for d in report.errors)
    for name, (_, head, caret) in BAD.items():
        assert f"bad/{head}" in rendered, name
        if caret:
            assert caret in rendered, name
    assert "bad/dangling.py: error: dangling symlink" in rendered
    assert "missing_dir: error: no such file or directory" in rendered
    assert all(d.hint for d in report.errors)
    assert report.summary().startswith(f"compiled 7, already fresh 0, failed {len(BAD) + 2}")


def test_unreadable_source_is_an_error(app, monkeypatch):
    # (chmod 000 does not stop root, who runs these tests in CI containers): the
    # source goes away between the plan and the worker's read.
    victim = app / "shop" / "cart.py"
    real_plan = build_mod._plan

    def plan_then_remove(*args):
        plan = real_plan(*args)
        victim.unlink()
        return plan

    monkeypatch.setattr(build_mod, "_plan", plan_then_remove)
    report = build([app], jobs=1)
    assert report.count("compiled") == 6
    assert (
        report.errors[0]
        .render()
        .startswith(f"{app}/shop/cart.py: error: cannot read source (No such file or directory)")
    )


def test_unwritable_cache_folder_is_an_error_about_the_folder(app, monkeypatch):
    # A file where the cache folder should be: as unwritable as it gets, even for root.
    (app / "shop" / "__pycache__").write_bytes(b"")
    monkeypatch.chdir(app)
    report = build([Path(".")], jobs=1)
    assert report.count("compiled") == 1 and report.count("failed") == 6
    first = report.errors[0].render()
    tag = sys.implementation.cache_tag
    assert first.splitlines() == [
        f"shop/__pycache__: error: cannot write __init__.{tag}.pyc here (Not a directory)",
        "hint: a file stands where the __pycache__ folder should be: remove or rename it",
    ]  # no source line: the source is not at fault


def test_compiler_warnings_are_reported_not_printed(app, capfd):
    (app / "warn.py").write_text("x = 1 is 1\n")
    report = build([app], jobs=1)
    assert report.ok and len(report.warnings) == 1
    assert "SyntaxWarning" in report.warnings[0].render()
    assert capfd.readouterr().err == ""


def test_bad_level_is_refused(app):
    with pytest.raises(ValueError):
        build([app], levels=(3,))


# --- the importer uses what ember writes --------------------------------------------


def test_cpython_importer_loads_the_pycs_and_rewrites_nothing(app):
    assert build([app], jobs=1).ok
    caches = {s: cache_path(s) for s in sources(app) if s.name != "main.py"}
    before = {c: (c.read_bytes(), c.stat().st_mtime_ns) for c in caches.values()}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    run = subprocess.run(
        [sys.executable, "-v", "main.py"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "TOTAL                          21.11" in run.stdout
    for cache in caches.values():
        assert f"code object from '{cache}'" in run.stderr
    after = {c: (c.read_bytes(), c.stat().st_mtime_ns) for c in caches.values()}
    assert after == before


def test_pythondontwritebytecode_does_not_stop_an_explicit_build(app, ember_run):
    run = ember_run("build", "-q", ".", cwd=app, PYTHONDONTWRITEBYTECODE="1")
    assert run.returncode == 0, run.stderr
    assert all(cache_path(s).is_file() for s in sources(app))


def test_two_concurrent_builds_leave_only_valid_pycs(tmp_path, app, ember_run):
    # Enough files that the two processes really overlap, rebuilt with -f each round.
    for i in range(40):
        (app / f"gen{i}.py").write_text(
            "\n".join(f"def f{j}(x):\n    return x + {j}" for j in range(200))
        )
    for _ in range(3):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "ember", "build", "-q", "-f", "-j2", "."],
                cwd=app,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(SRC)},
            )
            for _ in range(2)
        ]
        assert [p.wait() for p in procs] == [0, 0]
    verdicts = judge_many(sources(app))
    assert {v.state for v in verdicts} <= {"fresh", "same-second"}
    leftovers = [p for p in app.rglob("__pycache__/*") if not p.name.endswith(".pyc")]
    assert leftovers == []


def test_a_process_with_threads_builds_too(app, monkeypatch):
    # Workers are started with subprocess, never forked from this process, so its
    # threads are no concern.
    monkeypatch.setattr(build_mod, "_SMALL_BUILD_BYTES", 0)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        report = build([app], jobs=2)
    finally:
        stop.set()
        thread.join()
    assert report.ok and report.count("compiled") == len(sources(app))
    assert report.workers == 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_dying_worker_fails_its_files_and_the_build_ends(app, monkeypatch, jobs):
    monkeypatch.setattr(build_mod, "_SMALL_BUILD_BYTES", 0)
    monkeypatch.setattr(build_mod, "_worker_source", lambda: "import os; os._exit(3)")
    report = build([app], jobs=jobs)
    assert report.count("failed") == len(sources(app))
    assert "the worker compiling this file died" in report.errors[0].render()
