"""``ember profile`` on sample programs with known answers: the verdicts, the ranking,
and that the program behaves exactly as under ``ember run`` (output, files, status)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for test_versions
from test_versions import interpreter  # noqa: E402

PROGRAM = '''\
import os
import sys
import time
import numpy as np

def cpu_loop(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s

def waits(k):
    for _ in range(k):
        time.sleep(0.01)
    return k

def reads(path, n):
    total = 0
    for _ in range(n):
        with open(path, "rb") as f:
            total += len(f.read())
    return total

def in_numpy(a):
    for _ in range(30):
        b = np.sort(a)
    return float(b[0])

def uses_dict(n):
    counts = {}
    for i in range(n):
        counts[i % 10] = counts.get(i % 10, 0) + 1
    return len(counts)

def doubles(a):
    for i in range(a.shape[0]):
        a[i] = a[i] * 2.0
    return a[0]

a = np.arange(1.0, 50_001.0)
data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.bin")
with open(data, "wb") as f:
    f.write(b"x" * (1 << 20))
print(cpu_loop(3_000_000), waits(15), reads(data, 150), in_numpy(np.random.default_rng(1).random(200_000)),
      uses_dict(100_000), doubles(a), a[:3].tolist())
with open("out.txt", "w") as f:
    f.write("written\\n")
sys.exit(3)
'''


def _ember(*argv: str, cwd: Path, python: str = sys.executable,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-m", "ember", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, subprocess.CompletedProcess[str], Path]:
    root = tmp_path_factory.mktemp("profile")
    (root / "prog.py").write_text(PROGRAM)
    env = {**os.environ, "EMBER_CACHE_DIR": str(root / "cache")}
    proc = _ember("profile", "--json", "report.json", "--apply", "prog.py", cwd=root, env=env)
    return json.loads((root / "report.json").read_text()), proc, root


def _row(report: dict, name: str) -> dict:
    (row,) = [r for r in report["functions"] if r["name"] == name]
    return row


def test_program_behaves_as_under_ember_run(profiled, tmp_path: Path) -> None:
    report, proc, root = profiled
    (tmp_path / "prog.py").write_text(PROGRAM)
    plain = _ember("run", "prog.py", cwd=tmp_path)
    assert proc.returncode == plain.returncode == 3
    assert proc.stdout == plain.stdout  # doubles() ran once: the trial's re-runs are not seen
    assert "[2.0, 4.0, 6.0]" in proc.stdout
    assert (root / "out.txt").read_text() == (tmp_path / "out.txt").read_text() == "written\n"
    assert report["exit_code"] == 3


def test_cpu_loop_ranks_first_and_compiles_with_a_measured_gain(profiled) -> None:
    report, proc, _ = profiled
    tried = [r for r in report["functions"] if r["verdict"] in ("compile", "does not compile")]
    assert tried[0]["name"] == "cpu_loop"
    row = _row(report, "cpu_loop")
    assert row["verdict"] == "compile", row
    assert row["trial"]["speedup"] > 10
    assert row["program_s"] < report["wall_s"]
    assert row["arg_types"] == "int"
    assert "@ember.jit" in proc.stderr and "def cpu_loop(n):" in proc.stderr  # --apply


@pytest.mark.parametrize("name", ["waits", "reads"])
def test_sleeping_and_reading_files_is_io(profiled, name: str) -> None:
    row = _row(profiled[0], name)
    assert row["verdict"] == "not worth it"
    assert row["reason"].startswith("I/O"), row


def test_numpy_bound_function_is_already_in_numpy(profiled) -> None:
    row = _row(profiled[0], "in_numpy")
    assert row["verdict"] == "not worth it"
    assert row["reason"].startswith("already in NumPy"), row["reason"]


def test_unsupported_construct_names_the_line(profiled) -> None:
    row = _row(profiled[0], "uses_dict")
    assert row["verdict"] == "does not compile"
    assert row["reason"].startswith(f"{profiled[2] / 'prog.py'}:30:14: error:"), row["reason"]
    assert "hint:" in row["detail"]


def test_function_mutating_its_argument_is_tried_on_a_copy(profiled) -> None:
    row = _row(profiled[0], "doubles")
    assert row["arg_types"] == "ndarray[float64, 1d]"
    assert row["verdict"] in ("compile", "not worth it"), row


def test_terminal_report_is_a_ranked_table(profiled) -> None:
    err = profiled[1].stderr
    assert "ember profile: prog.py takes" in err
    assert "#  function" in err and "verdict" in err
    assert "the run would take" in err


def test_no_trial_only_measures(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(textwrap.dedent('''\
        def loop(n):
            return sum(i for i in range(n))
        print(loop(300_000))
    '''))
    proc = _ember("profile", "--no-trial", "--json", "-", "p.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out, _, data = proc.stdout.partition("\n")
    assert out == str(sum(range(300_000)))
    row = json.loads(data)["functions"][0]
    assert row["name"] == "loop" and row["verdict"] == "not tried"


@pytest.mark.parametrize("version", [(3, 12), (3, 13)])
def test_sys_monitoring_recorder(tmp_path: Path, version: tuple[int, int]) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"python{version[0]}.{version[1]} is not installed")
    (tmp_path / "p.py").write_text(textwrap.dedent('''\
        import time
        def loop(n):
            s = 0
            for i in range(n):
                s += i % 3
            return s
        def nap():
            time.sleep(0.1)
        print(loop(500_000)); nap()
    '''))
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    proc = _ember("profile", "--no-trial", "--json", "-", "p.py", cwd=tmp_path, python=python,
                  env=env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.partition("\n")[2])
    assert report["recorder"] == "sys.monitoring"
    names = {r["name"]: r for r in report["functions"]}
    assert names["loop"]["own"] > 0.9
    assert names["nap"]["reason"].startswith("I/O")


def test_apply_write_adds_the_decorators_and_the_program_still_runs(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(textwrap.dedent('''\
        """A docstring."""
        from __future__ import annotations


        def loop(n):
            s = 0
            for i in range(n):
                s += i % 3
            return s


        print(loop(2_000_000))
    '''))
    env = {**os.environ, "EMBER_CACHE_DIR": str(tmp_path / "cache")}
    assert _ember("profile", "--write", "p.py", cwd=tmp_path, env=env).returncode == 2
    proc = _ember("profile", "--apply", "--write", "p.py", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "added @ember.jit to 1 function(s)" in proc.stderr
    text = (tmp_path / "p.py").read_text()
    assert text.startswith('"""A docstring."""\nfrom __future__ import annotations\nimport ember\n')
    assert "@ember.jit\ndef loop(n):" in text
    again = _ember("run", "p.py", cwd=tmp_path, env=env)
    assert again.stdout == proc.stdout == f"{sum(i % 3 for i in range(2_000_000))}\n"
