"""ember.pyc.dist: the sourceless copy imports and runs, names the Python it needs
under another one, leaves SRC untouched, and refuses what would lose files."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ember.pyc.codeinfo import iter_code
from ember.pyc.dist import MARKER, DistError, make_dist, render, to_json
from ember.pyc.inspect import find_python

ROOT = Path(__file__).resolve().parents[2]
SAMPLEAPP = ROOT / "examples" / "sampleapp"
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"


def tree_digest(root: Path) -> dict[str, str]:
    """Every file and folder under root → a digest of its content (folders: "dir")."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return out


def run(python: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [python, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def other_python() -> str | None:
    """An installed Python 3.10+ that is not this one (3.12 first, as the issue asks)."""
    for version in ("3.12", "3.13", "3.11", "3.10"):
        if version != HERE:
            exe = find_python(version)
            if exe is not None:
                return exe
    return None


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An app folder: a main script, a package with data, a __main__, and a bug."""
    src = tmp_path / "app"
    (src / "pkg").mkdir(parents=True)
    (src / "main.py").write_text(
        "import sys\n"
        "from pkg import core\n"
        "\n"
        "\n"
        "def main():\n"
        "    if sys.argv[1:] == ['boom']:\n"
        "        core.explode()\n"
        "    print('ok', __name__, core.answer(), core.data())\n"
        "\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    main()\n"
    )
    (src / "pkg" / "__init__.py").write_text('"""The package."""\n')
    (src / "pkg" / "core.py").write_text(
        "from pathlib import Path\n"
        "PASSWORD = 'hunter2-secret'\n"
        "\n"
        "\n"
        "def answer():\n"
        "    assert False, 'asserts are on'\n"
        "\n"
        "\n"
        "def explode():\n"
        "    raise ValueError('kaboom')\n"
        "\n"
        "\n"
        "def data():\n"
        "    return (Path(__file__).parent / 'data.txt').read_text().strip()\n"
    )
    (src / "pkg" / "__main__.py").write_text(
        "from pkg import core\nprint('pkg main', core.data())\n"
    )
    (src / "pkg" / "data.txt").write_text("payload\n")
    return src


# -- the output runs --------------------------------------------------------------------


def test_sampleapp_output_runs_like_the_source_and_src_is_unchanged(tmp_path):
    before = tree_digest(SAMPLEAPP)
    out = tmp_path / "out"
    result = make_dist(SAMPLEAPP, out)
    assert tree_digest(SAMPLEAPP) == before
    assert result.verified and result.verify_failures == {}
    expected = run(sys.executable, str(SAMPLEAPP / "main.py"))
    got = run(sys.executable, str(out / "main.py"))
    assert (got.returncode, got.stdout, got.stderr) == (0, expected.stdout, "")


def test_layout_launchers_and_marker(app, tmp_path):
    out = tmp_path / "out"
    make_dist(app, out)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        MARKER,
        "main.py",
        "main.pyc",
        "pkg/__init__.py",
        "pkg/__init__.pyc",
        "pkg/__main__.pyc",
        "pkg/core.pyc",
        "pkg/data.txt",
    ]
    # The only sources are launchers: no line of the app's code is in them.
    for launcher in ("main.py", "pkg/__init__.py"):
        text = (out / launcher).read_text()
        assert "ember dist" in text and "hunter2" not in text and "core" not in text
    marker = json.loads((out / MARKER).read_text())
    assert marker["python"] == HERE
    assert marker["cache_tag"] == sys.implementation.cache_tag
    assert marker["launchers"] == ["main.py", "pkg/__init__.py"]
    assert marker["source"] == "app"  # the name only, not the build machine's path


def test_co_filename_is_relative_everywhere(app, tmp_path):
    out = tmp_path / "out"
    make_dist(app, out)
    for pyc, rel in [("main.pyc", "main.py"), ("pkg/core.pyc", "pkg/core.py")]:
        code = marshal.loads((out / pyc).read_bytes()[16:])  # our own output: trusted
        assert {co.co_filename for co, _q, _r in iter_code(code)} == {rel}


def test_script_package_main_and_data_files(app, tmp_path):
    out = tmp_path / "out"
    make_dist(app, out, optimize=1)  # -O: the assert in answer() is gone
    proc = run(sys.executable, str(out / "main.py"))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "ok __main__ None payload\n", "")
    proc = run(sys.executable, "-m", "pkg", cwd=out)
    assert (proc.returncode, proc.stdout) == (0, "pkg main payload\n")


def test_traceback_names_relative_files_and_lines(app, tmp_path):
    out = tmp_path / "out"
    make_dist(app, out)
    proc = run(sys.executable, str(out / "main.py"), "boom", cwd=tmp_path)
    assert proc.returncode == 1
    assert 'File "main.py", line 7, in main' in proc.stderr
    assert 'File "pkg/core.py", line 10, in explode' in proc.stderr
    assert proc.stderr.rstrip().endswith("ValueError: kaboom")
    assert str(app) not in proc.stderr


def test_optimize_2_drops_docstrings_and_asserts(app, tmp_path):
    out = tmp_path / "out"
    result = make_dist(app, out, optimize=2)
    assert result.readable.docstrings == 0
    proc = run(
        sys.executable, "-c", "import pkg, pkg.core; print(pkg.__doc__, pkg.core.answer())", cwd=out
    )
    assert proc.stdout == "None None\n", proc.stderr
    proc = run(sys.executable, "-c", "import pkg.core; pkg.core.answer()", cwd=tmp_path / "out")
    assert proc.returncode == 0


def test_zipped_output_imports(app, tmp_path):
    out = tmp_path / "out"
    make_dist(app, out)
    archive = tmp_path / "app.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(out.rglob("*")):
            z.write(p, p.relative_to(out).as_posix())
    code = "import sys; sys.path.insert(0, sys.argv[1]); import pkg.core; print(pkg.core.data)"
    proc = run(sys.executable, "-c", code, str(archive))
    assert proc.returncode == 0, proc.stderr


def test_output_is_reproducible(app, tmp_path):
    make_dist(app, tmp_path / "a", verify=False)
    (app / "main.py").touch()  # a new mtime must not change the output
    make_dist(app, tmp_path / "b", verify=False)
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_package_folder_lands_under_its_name(tmp_path):
    out = tmp_path / "out"
    result = make_dist(SAMPLEAPP / "shop", out)
    assert result.layout == "package"
    assert (out / "shop" / "cart.pyc").is_file() and (out / "shop" / "__init__.py").is_file()
    assert not (out / "shop" / "cart.py").exists()
    proc = run(sys.executable, "-c", "import shop.cart, shop; print(shop.__version__)", cwd=out)
    assert (proc.returncode, proc.stdout) == (0, "1.0\n"), proc.stderr


def test_caches_and_stray_pycs_in_src_are_not_copied(app, tmp_path):
    (app / "pkg" / "__pycache__").mkdir()
    (app / "pkg" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"x")
    (app / "old.pyc").write_bytes(b"x")
    result = make_dist(app, tmp_path / "out", verify=False)
    assert not (tmp_path / "out" / "pkg" / "__pycache__").exists()
    assert not (tmp_path / "out" / "old.pyc").exists()
    assert [str(p) for p in result.copied] == ["pkg/data.txt"]


# -- another Python -------------------------------------------------------------------


def test_wrong_python_gets_a_clear_message(app, tmp_path):
    other = other_python()
    if other is None:
        pytest.skip("no other Python 3.10+ installed")
    out = tmp_path / "out"
    make_dist(app, out)
    version = run(
        other, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"
    ).stdout.strip()
    need = f"was built by 'ember dist' for Python {HERE}, but this is Python {version}"

    script = run(other, str(out / "main.py"))
    assert script.returncode == 1
    assert (
        script.stderr == f"error: main {need}: run it with python{HERE}, or rebuild it "
        "from the sources with 'ember dist' under this Python\n"
    )

    module = run(other, "-m", "pkg", cwd=out)
    assert module.returncode == 1
    assert module.stderr.startswith(f"error: pkg {need}")
    assert "Traceback" not in module.stderr

    imported = run(other, "-c", "import pkg.core", cwd=out)
    assert imported.returncode == 1
    assert f"ImportError: pkg {need}" in imported.stderr
    assert "bad magic" not in imported.stderr.lower()


def test_wrong_python_in_a_zip_falls_back_to_the_launcher(app, tmp_path):
    other = other_python()
    if other is None:
        pytest.skip("no other Python 3.10+ installed")
    out = tmp_path / "out"
    make_dist(app, out, verify=False)
    archive = tmp_path / "app.zip"
    shutil.make_archive(str(archive.with_suffix("")), "zip", out)
    code = "import sys; sys.path.insert(0, sys.argv[1]); import pkg.core"
    proc = run(other, "-c", code, str(archive))
    assert f"for Python {HERE}, but this is Python" in proc.stderr


# -- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["same", "inside"])
def test_out_inside_or_equal_to_src_is_refused(app, where):
    out = app if where == "same" else app / "dist"
    before = tree_digest(app)
    with pytest.raises(DistError, match="is inside SRC"):
        make_dist(app, out)
    assert tree_digest(app) == before


def test_src_inside_out_is_refused_even_with_force(app, tmp_path):
    (tmp_path / MARKER).write_text("{}")
    with pytest.raises(DistError, match="is inside OUT"):
        make_dist(app, tmp_path, force=True)
    assert (app / "main.py").is_file()


def test_non_empty_out_needs_force_and_force_only_replaces_a_dist(app, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.py").write_text("mine\n")
    with pytest.raises(DistError, match="is not empty"):
        make_dist(app, out)
    with pytest.raises(DistError, match="not an earlier `ember dist` output"):
        make_dist(app, out, force=True)
    assert (out / "precious.py").read_text() == "mine\n"


def test_force_replaces_an_earlier_dist_whole(app, tmp_path):
    out = tmp_path / "out"
    make_dist(app, out, verify=False)
    (out / "leftover.txt").write_text("old\n")
    make_dist(app, out, force=True, verify=False)
    assert not (out / "leftover.txt").exists()
    assert (out / "main.pyc").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_empty_out_folder_is_fine(app, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    make_dist(app, out, verify=False)
    assert (out / "main.pyc").is_file()


def test_syntax_errors_are_diagnostics_and_nothing_is_written(app, tmp_path):
    (app / "pkg" / "broken.py").write_text("x = 1\ndef f(:\n    pass\n")
    out = tmp_path / "out"
    with pytest.raises(DistError) as err:
        make_dist(app, out)
    text = err.value.render()
    assert f"{app / 'pkg' / 'broken.py'}:2:7: error: invalid syntax" in text
    assert "    def f(:\n          ^" in text
    assert "nothing was written" in text
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["app"]


def test_an_unlistable_folder_is_an_error_naming_it(app, tmp_path, unlistable):
    locked = app / "pkg" / "locked"
    locked.mkdir()
    (locked / "b.py").write_text("B = 1\n")
    unlistable(locked)
    out = tmp_path / "out"
    with pytest.raises(DistError) as err:
        make_dist(app, out)
    text = err.value.render()
    assert f"{locked}: error: cannot list directory (Permission denied)" in text
    assert "1 path in" in text and "nothing was written" in text
    assert not out.exists()


def test_an_unreadable_source_or_data_file_is_an_error_naming_it(app, tmp_path, monkeypatch):
    victims = {str(app / "pkg" / "core.py"), str(app / "pkg" / "data.txt")}
    (app / "pkg" / "data.txt").write_text("x\n")
    real_read, real_open = Path.read_bytes, os.open

    def read_bytes(self):
        if str(self) in victims:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    def os_open(path, flags, *args):
        if str(path) in victims:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(os, "open", os_open)
    with pytest.raises(DistError) as err:
        make_dist(app, tmp_path / "out")
    lines = err.value.render().splitlines()
    for victim in sorted(victims):
        assert f"{victim}: error: cannot read (Permission denied)" in lines


def test_missing_src(tmp_path):
    with pytest.raises(DistError, match="does not exist"):
        make_dist(tmp_path / "nope", tmp_path / "out")


# -- verification and the report ------------------------------------------------------


def test_a_module_that_fails_to_import_is_reported(app, tmp_path):
    # A module of the tree itself that is not there: a broken copy, a failure.
    (app / "pkg" / "needs.py").write_text("import pkg.gone\n")
    result = make_dist(app, tmp_path / "out")
    assert list(result.verify_failures) == ["pkg.needs"]
    assert "ModuleNotFoundError" in result.verify_failures["pkg.needs"]
    assert result.verify_missing == {}
    assert "FAILED: 1 of 5 modules do not import" in render(result)


def test_a_missing_third_party_module_is_not_a_failure(app, tmp_path):
    # An optional dependency not installed here says nothing about the copy.
    (app / "pkg" / "needs.py").write_text("import not_installed_anywhere_xyz\n")
    (app / "pkg" / "also.py").write_text("from zz_absent_dep import thing\n")
    result = make_dist(app, tmp_path / "out")
    assert result.verify_failures == {}
    assert result.verify_missing == {
        "pkg.needs": "not_installed_anywhere_xyz",
        "pkg.also": "zz_absent_dep",
    }
    assert (
        "  verified   4 import, 2 need modules not installed here "
        "(not_installed_anywhere_xyz, zz_absent_dep): not counted as failures\n"
    ) in render(result)
    assert to_json(result)["verify_missing"] == result.verify_missing


def test_a_missing_module_beside_a_real_failure(app, tmp_path):
    (app / "pkg" / "needs.py").write_text("import not_installed_anywhere_xyz\n")
    (app / "pkg" / "broken.py").write_text("from pkg import no_such_name\n")
    result = make_dist(app, tmp_path / "out")
    assert list(result.verify_failures) == ["pkg.broken"]
    text = render(result)
    assert "FAILED: 1 of 6 modules do not import:" in text
    assert (
        "    and 1 needs a module not installed here (not_installed_anywhere_xyz): "
        "not counted as failures\n"
    ) in text


def test_verification_does_not_run_main_modules_or_write_caches(app, tmp_path):
    (app / "pkg" / "__main__.py").write_text("raise SystemExit('ran the app!')\n")
    out = tmp_path / "out"
    result = make_dist(app, out)
    assert result.verify_failures == {}
    assert not list(out.rglob("__pycache__"))


def test_report_says_what_stays_readable(app, tmp_path):
    result = make_dist(app, tmp_path / "out")
    text = render(result)
    assert f"python     {HERE} only" in text
    assert "this is not protection" in text
    assert "'hunter2-secret'" in text
    assert "explode" in text
    assert f"run        python {tmp_path / 'out' / 'main.py'}" in text
    assert f"run        cd {tmp_path / 'out'} && python -m pkg" in text
    data = json.loads(json.dumps(to_json(result)))
    assert "hunter2-secret" in data["readable"]["string_samples"]
    assert {m["name"] for m in data["modules"] if m["launcher"]} == {"main", "pkg"}


def test_inspect_knows_a_launcher_runs_the_pyc(app, tmp_path):
    from ember.pyc.inspect import inspect_target

    out = tmp_path / "out"
    make_dist(app, out, verify=False)
    main = inspect_target(str(out / "main.pyc"))
    assert main.verdict is not None and main.verdict.state == "sourceless"
    assert "launcher main.py" in main.verdict.reason
    assert main.filename == "main.py"
    core = inspect_target(str(out / "pkg" / "core.pyc"))
    assert core.verdict is not None and core.verdict.state == "sourceless"
    assert any(s.value == "hunter2-secret" for s in core.strings)
