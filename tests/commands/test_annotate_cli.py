"""``ember annotate``: each line's marks come from the typed IR (checks, calls,
allocations, loops), the blocking line of a function that does not compile is marked
with ember's error, and types come from --types, annotations or the native cache."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

KERNELS = textwrap.dedent('''\
    import math


    def smooth(a, out):
        n = a.shape[0]
        for i in range(1, n - 1):
            out[i] = (a[i - 1] + a[i] + a[i + 1]) / 3.0
        return out


    def stats(n: int, d: int) -> float:
        total = 0
        for i in range(n):
            total += i * i % d
        print("done", total)
        return math.sqrt(total) / 2.0


    def bad(x: int) -> int:
        counts = {}
        return x
    ''')


@pytest.fixture
def kernels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "kernels.py").write_text(KERNELS)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "kernels.py"


def _marks(out: str) -> dict[int, str]:
    """line number -> marks, from the annotated listing."""
    found = {}
    for line in out.splitlines():
        parts = line[:16].split()
        if parts and parts[-1].isdigit() and len(line) > 16:
            found[int(parts[-1])] = " ".join(parts[:-1])
    return found


def test_marks_follow_the_compiled_code(ember, kernels: Path) -> None:
    status, out, err = ember("annotate", "kernels.py:stats")
    assert (status, err) == (0, "")
    marks = _marks(out)
    assert marks[11] == ""  # the def line
    assert marks[12] == "="  # total = 0
    assert marks[13] == "L"  # the loop
    assert marks[14] == "Z O"  # % by a variable, int64 * and +=
    assert marks[15] == "P"  # print calls into CPython
    assert marks[16] == "D"  # math.sqrt's domain check; / 2.0 needs none
    assert "locals: d: int64, i: int64, n: int64, total: int64" in out
    assert "# types from its annotations" in out


def test_arrays_show_bounds_checks(ember, kernels: Path) -> None:
    status, out, _ = ember("annotate", "kernels.py:smooth", "--types",
                           "float64[::1],float64[::1]")
    assert status == 0
    marks = _marks(out)
    assert marks[6] == "L O" and marks[7] == "B O"


def test_blocking_line_is_marked_with_the_error(ember, kernels: Path) -> None:
    status, out, _ = ember("annotate", "kernels.py:bad")
    assert status == 1
    assert _marks(out)[20] == "X"
    assert f"{kernels}:20:14: error: dicts are not supported" in out
    assert "hint:" in out


def test_whole_file_skips_functions_without_types(ember, kernels: Path) -> None:
    status, out, _ = ember("annotate", "kernels.py")
    assert status == 1  # bad() does not compile
    assert out.startswith("smooth: skipped (smooth has unannotated parameters")
    assert "stats(int64, int64)" in out and "bad(int64)" in out


def test_usage_errors(ember, kernels: Path) -> None:
    assert ember("annotate", "kernels.py", "--types", "int")[2] == (
        "ember annotate: error: --types needs one function: FILE.py:FUNC\n")
    assert ember("annotate", "nofile.py:f")[2] == "ember annotate: error: no such file: nofile.py\n"


def test_html_page_tints_lines(ember, kernels: Path) -> None:
    status, _, err = ember("annotate", "kernels.py", "--html", "a.html")
    assert status == 1 and "wrote a.html" in err
    page = (kernels.parent / "a.html").read_text()
    assert "<h2>stats(int64, int64)</h2>" in page and "background:#ffc9c9" in page  # bad()
    assert "title='calls into CPython (print)'" in page
