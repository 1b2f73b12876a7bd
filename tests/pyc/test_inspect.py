"""ember.pyc.inspect and ember.pyc.codeinfo: walking code objects, strings, resolving
targets, decoding untrusted bodies out of process, and the text report."""

from __future__ import annotations

import json
import marshal
import os
import py_compile
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ember.pyc import codeinfo
from ember.pyc.header import InvalidationMode, pack
from ember.pyc.inspect import (
    NOT_PROTECTION,
    InspectError,
    find_python,
    inspect_pyc,
    inspect_target,
    render,
    resolve,
    run_worker,
    to_json,
)

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"

SAMPLE = textwrap.dedent(
    '''\
    """Module doc."""
    API_KEY = "sk-live-123"
    BLOB = b"\\x00raw"


    class Greeter:
        """Says hello."""

        def __init__(self, name):
            self.name = name

        def greet(self):
            return "hello " + self.name


    def outer(x, *args, **kw):
        def inner(y):
            return (
                y
                + x
            )

        return inner


    async def fetch():
        return [i for i in range(3)]


    def gen():
        yield "gen-value"


    square = lambda v: v * v
    '''
)

# (qualname, kind, first_line, last_line) on every Python 3.10+; comprehensions are
# left out because 3.12 inlines them.
EXPECTED_CODES = [
    ("<module>", "module", 1, 34),
    ("Greeter", "class", 6, 13),
    ("Greeter.__init__", "function", 9, 10),
    ("Greeter.greet", "function", 12, 13),
    ("outer", "function", 16, 23),
    ("outer.<locals>.inner", "function", 17, 21),
    ("fetch", "function", 26, 27),
    ("gen", "function", 30, 31),
    ("<lambda>", "lambda", 34, 34),
]


def expected_codes(python_version: str) -> list[tuple]:
    """EXPECTED_CODES as Python ``python_version`` ("3.10.13") reports them."""
    expected = list(EXPECTED_CODES)
    if python_version.startswith("3.10."):
        # No co_positions before 3.11: a range ends at the last line an instruction
        # starts on, so the closing parenthesis of inner's return is not seen.
        expected[5] = ("outer.<locals>.inner", "function", 17, 20)
    return expected


THIS = ".".join(map(str, sys.version_info[:3]))


def _rows(codes: list[dict[str, object]] | list[codeinfo.CodeInfo]) -> list[tuple]:
    out = []
    for c in codes:
        d = c.to_json() if isinstance(c, codeinfo.CodeInfo) else c
        if d["kind"] != "comprehension":
            out.append((d["qualname"], d["kind"], d["first_line"], d["last_line"]))
    return out


def _write_pyc(path: Path, source: str, filename: str = "sample.py") -> Path:
    code = compile(source, filename, "exec", dont_inherit=True)
    path.write_bytes(pack(InvalidationMode.TIMESTAMP, mtime=0, source_size=0) + marshal.dumps(code))
    return path


# -- codeinfo -------------------------------------------------------------------------


def test_walk_names_kinds_and_line_ranges():
    code = compile(SAMPLE, "sample.py", "exec")
    assert _rows(codeinfo.walk(code)) == expected_codes(THIS)
    flags = {c.qualname: c.flags for c in codeinfo.walk(code)}
    assert flags["fetch"] == ("async",)
    assert flags["gen"] == ("generator",)
    assert flags["outer"] == ("*args", "**kwargs")


def _other_pythons() -> list[str]:
    found = []
    for version in ("3.10", "3.11", "3.12", "3.13"):
        exe = find_python(version)
        if exe is not None:
            found.append(exe)
    return found


@pytest.mark.parametrize("python", _other_pythons() or [sys.executable])
def test_worker_gives_the_same_tree_on_every_python(tmp_path, python):
    # Compiled and decoded by that Python: line ranges must not depend on its bytecode.
    src = tmp_path / "sample.py"
    src.write_text(SAMPLE)
    pyc = tmp_path / "sample.pyc"
    subprocess.run(
        [
            python,
            "-I",
            "-c",
            "import py_compile, sys; py_compile.compile(sys.argv[1], "
            "cfile=sys.argv[2], doraise=True)",
            str(src),
            str(pyc),
        ],
        check=True,
    )
    data = run_worker(python, pyc)
    assert isinstance(data, dict), data
    assert _rows(data["codes"]) == expected_codes(data["python"])
    found = {(s["code"], s["line"], s["value"]) for s in data["strings"]}
    assert ("<module>", 2, "sk-live-123") in found
    assert ("gen", 31, "gen-value") in found
    assert ("<module>", 3, repr(b"\x00raw")) in found


def test_strings_flag_docstrings_and_find_lines():
    code = compile(SAMPLE, "sample.py", "exec")
    got = {(s.code, s.line, s.value, s.docstring) for s in codeinfo.strings(code)}
    assert ("<module>", 1, "Module doc.", True) in got
    assert ("Greeter", 7, "Says hello.", True) in got
    assert ("Greeter.greet", 13, "hello ", False) in got
    assert ("<module>", 3, b"\x00raw", False) in got


def test_strings_inside_constant_tuples():
    code = compile("def f(x):\n    return x in ('alpha', 'beta')\n", "m.py", "exec")
    values = [s.value for s in codeinfo.strings(code) if s.code == "f"]
    assert "alpha" in values and "beta" in values


ANNOTATED = textwrap.dedent(
    """\
    from __future__ import annotations


    class Cart:
        def add(self, sku: str, quantity: int) -> None:
            pass

        def lines(self) -> list[str]:
            return []
    """
)


@pytest.mark.parametrize("python", [sys.executable, *_other_pythons()])
def test_annotation_strings_are_listed_once_with_their_line(tmp_path, python):
    # 3.10 and 3.11 keep each part of the folded annotation tuple as a dead constant:
    # those must not show up a second time, without a line.
    src = tmp_path / "cart.py"
    src.write_text(ANNOTATED)
    pyc = tmp_path / "cart.pyc"
    subprocess.run(
        [
            python,
            "-I",
            "-c",
            "import py_compile, sys; py_compile.compile(sys.argv[1], "
            "cfile=sys.argv[2], doraise=True)",
            str(src),
            str(pyc),
        ],
        check=True,
    )
    data = run_worker(python, pyc)
    assert isinstance(data, dict), data
    rows = [(s["code"], s["line"], s["value"]) for s in data["strings"]]
    assert len(rows) == len(set(rows))
    assert [r for r in rows if r[1] is None] == []
    assert ("Cart", 5, "quantity") in rows and ("Cart", 8, "list[str]") in rows
    assert sum(r[2] == "quantity" for r in rows) == 1


def test_a_string_no_instruction_loads_is_kept_without_a_line():
    code = compile("x = 1\n", "m.py", "exec")
    dead = code.replace(co_consts=(*code.co_consts, "left-over"))
    found = [(s.line, s.value) for s in codeinfo.strings(dead)]
    assert (None, "left-over") in found
    pyc_report = render(_report_with_strings(codeinfo.strings(dead)), show_strings=True)
    assert "  -      <module>                 'left-over'" in pyc_report
    assert "no instruction loads" in pyc_report


def _report_with_strings(strings: list[codeinfo.StringConst]):
    from ember.pyc.inspect import Report, Target

    return Report(Target(Path("m.pyc"), None, "m.pyc"), 0, None, None, None, strings=tuple(strings))


def test_codeinfo_knows_the_header_size():
    from ember.pyc.header import HEADER_SIZE

    assert codeinfo.HEADER_SIZE == HEADER_SIZE


def test_rewrite_filenames_reaches_nested_code():
    code = compile(SAMPLE, "/build/machine/sample.py", "exec")
    new = codeinfo.rewrite_filenames(code, "app/sample.py")
    names = {co.co_filename for co, _q, _r in codeinfo.iter_code(new)}
    assert names == {"app/sample.py"}
    assert len(list(codeinfo.iter_code(new))) == len(list(codeinfo.iter_code(code)))


def test_walk_survives_nesting_deeper_than_the_recursion_limit():
    src = "".join("    " * i + f"def f{i}():\n" for i in range(90)) + "    " * 90 + "pass\n"
    code = compile(src, "deep.py", "exec")
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(60)
    try:
        infos = codeinfo.walk(code)
    finally:
        sys.setrecursionlimit(old)
    assert len(infos) == 91
    assert infos[0].last_line == 91


# -- resolving targets ----------------------------------------------------------------


def test_resolve_source_without_cache_says_how_to_build(tmp_path):
    src = tmp_path / "app.py"
    src.write_text("x = 1\n")
    with pytest.raises(InspectError) as err:
        resolve(str(src))
    assert "no cache file for this Python" in err.value.message
    assert "ember build" in (err.value.hint or "")


def test_resolve_source_with_cache(tmp_path):
    src = tmp_path / "app.py"
    src.write_text("x = 1\n")
    cache = Path(py_compile.compile(str(src), doraise=True))
    target = resolve(str(src))
    assert target.pyc == cache and target.source == src


def test_resolve_module_never_imports_it(tmp_path, monkeypatch):
    pkg = tmp_path / "trap"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('imported!')\n")
    (pkg / "sub.py").write_text("raise RuntimeError('imported!')\n")
    py_compile.compile(str(pkg / "sub.py"), doraise=True)
    monkeypatch.chdir(tmp_path)
    target = resolve("trap.sub")
    assert target.source == pkg / "sub.py"
    assert target.module == "trap.sub"
    assert "trap" not in sys.modules and "trap.sub" not in sys.modules


def test_resolve_unknown_module_and_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InspectError, match="no module named 'no_such_mod_xyz'"):
        resolve("no_such_mod_xyz")
    with pytest.raises(InspectError, match="is a directory"):
        resolve(str(tmp_path))


def test_resolve_extension_module_is_refused():
    import _ctypes  # noqa: F401 - an extension module on CPython builds with ctypes

    spec = __import__("importlib.util").util.find_spec("_ctypes")
    if spec is None or not (spec.origin or "").endswith(".so"):
        pytest.skip("_ctypes is built in here")
    with pytest.raises(InspectError, match="extension module"):
        resolve("_ctypes")


# -- decoding -------------------------------------------------------------------------


def test_inspect_fresh_cache_has_header_verdict_codes_strings(tmp_path):
    src = tmp_path / "sample.py"
    src.write_text(SAMPLE)
    py_compile.compile(str(src), doraise=True)
    report = inspect_target(str(src))
    assert report.decoded
    assert report.header is not None and report.header.python_version == HERE
    assert report.verdict is not None and report.verdict.state in ("fresh", "same-second")
    assert _rows(list(report.codes)) == expected_codes(THIS)
    assert any(s.value == "sk-live-123" for s in report.strings)
    assert report.filename == str(src)


def test_corrupt_body_is_reported_not_raised(tmp_path):
    pyc = tmp_path / "bad.pyc"
    pyc.write_bytes(pack(InvalidationMode.TIMESTAMP) + b"\xff\x00\x13")
    report = inspect_target(str(pyc))
    assert not report.decoded
    assert report.body_error is not None and report.body_error.startswith("corrupt body:")
    assert "bad marshal data" in report.body_error


def test_body_that_is_not_code(tmp_path):
    pyc = tmp_path / "list.pyc"
    pyc.write_bytes(pack(InvalidationMode.TIMESTAMP) + marshal.dumps([1, 2]))
    report = inspect_target(str(pyc))
    assert report.body_error == "corrupt body: the body is a list, not a code object"


def test_huge_allocation_is_contained(tmp_path):
    # A list claiming 2**31-1 items: the worker's memory limit turns it into an error.
    pyc = tmp_path / "bomb.pyc"
    pyc.write_bytes(pack(InvalidationMode.TIMESTAMP) + b"\xdb" + (2**31 - 1).to_bytes(4, "little"))
    report = inspect_target(str(pyc))
    assert report.body_error is not None and report.body_error.startswith("corrupt body:")


@pytest.mark.parametrize("cut", [0, 3, 4, 8, 15])
def test_truncated_header(tmp_path, cut):
    pyc = tmp_path / "cut.pyc"
    pyc.write_bytes(pack(InvalidationMode.TIMESTAMP)[:cut])
    report = inspect_target(str(pyc))
    assert report.header is None and report.header_error is not None
    assert "truncated header" in report.header_error
    assert "header    corrupt: truncated header" in render(report)
    # A sourceless pyc the importer would load, but cannot: not "loads it as is".
    assert report.verdict is not None and report.verdict.state == "corrupt"


def _fake_python(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "fakepython"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return str(exe)


@pytest.mark.skipif(os.name != "posix", reason="needs a shell script as interpreter")
def test_worker_crash_becomes_a_message(tmp_path):
    pyc = _write_pyc(tmp_path / "m.pyc", "x = 1\n")
    fake = _fake_python(tmp_path, "kill -SEGV $$")
    assert run_worker(fake, pyc) == "it crashes the unmarshaller (SIGSEGV)"


@pytest.mark.skipif(os.name != "posix", reason="needs a shell script as interpreter")
def test_worker_timeout_becomes_a_message(tmp_path):
    pyc = _write_pyc(tmp_path / "m.pyc", "x = 1\n")
    fake = _fake_python(tmp_path, "exec tail -f /dev/null")
    assert run_worker(fake, pyc, timeout=0.5) == "decoding did not finish in 0.5 s"


def _foreign_python() -> str | None:
    for version in ("3.12", "3.13", "3.11", "3.10"):
        if version != HERE:
            exe = find_python(version)
            if exe is not None:
                return exe
    return None


def test_foreign_pyc_names_the_python_and_offers_it(tmp_path):
    other = _foreign_python()
    if other is None:
        pytest.skip("no other Python 3.10+ installed")
    src = tmp_path / "m.py"
    src.write_text("SECRET = 'x'\n")
    subprocess.run([other, "-I", "-m", "py_compile", str(src)], check=True)
    pyc = next((tmp_path / "__pycache__").glob("m.*.pyc"))
    report = inspect_target(str(pyc))
    assert report.header is not None
    version = report.header.python_version
    assert not report.decoded
    assert f"written by Python {version}; this is Python {HERE}" in (report.body_error or "")
    assert any("--python" in h for h in report.hints)
    assert report.verdict is not None and report.verdict.state == "foreign"

    decoded = inspect_target(str(pyc), python=version)
    assert decoded.decoded, decoded.body_error
    assert decoded.decoded_by is not None and decoded.decoded_by.startswith(f"Python {version}")
    assert [s.value for s in decoded.strings] == ["x"]


def test_wrong_python_requested_is_refused(tmp_path):
    pyc = _write_pyc(tmp_path / "m.pyc", "x = 1\n")
    other = _foreign_python()
    if other is None:
        pytest.skip("no other Python 3.10+ installed")
    report = inspect_pyc(resolve(str(pyc)), python=other)
    assert not report.decoded and "cannot read this body" in (report.body_error or "")


def test_legacy_pyc_verdicts(tmp_path):
    pyc = _write_pyc(tmp_path / "m.pyc", "x = 1\n")
    assert inspect_target(str(pyc)).verdict.state == "sourceless"
    (tmp_path / "m.py").write_text("x = 1\n")
    assert inspect_target(str(pyc)).verdict.state == "shadowed"


# -- presenting -----------------------------------------------------------------------

GOLDEN = """\
PYC  (SIZE bytes)
  source    SRC
  magic     MAGIC
  mode      checked-hash (flags 0x3)
  hash      HASH
  verdict   fresh: source hash matches
  built as  shop/util.py  (co_filename, what tracebacks name)
  decoded   by PYTHON

code objects (4)
  lines       kind          name
  1-10        module        <module>
  4-6         class         Box
  5-6         function      Box.size()
  9-10        function      total()  [*args]

strings (5)
  note: NOTE
  line   in                       value
  1      <module>                 'Helpers.'  [docstring]
  2      <module>                 'token-abc'
  4      <module>                 'Box'
  4      Box                      'Box'
  10     total                    'sum: '
"""


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 also keeps qualnames as constants")
def test_render_golden(tmp_path):
    source = (
        '"""Helpers."""\n'
        'TOKEN = "token-abc"\n'
        "\n"
        "class Box:\n"
        "    def size(self):\n"
        "        return 1\n"
        "\n"
        "\n"
        "def total(*xs):\n"
        '    return "sum: " + str(sum(xs))\n'
    )
    src = tmp_path / "util.py"
    src.write_text(source)
    from ember.pyc.header import source_hash

    code = codeinfo.rewrite_filenames(compile(source, str(src), "exec"), "shop/util.py")
    pyc = tmp_path / "__pycache__" / f"util.{sys.implementation.cache_tag}.pyc"
    pyc.parent.mkdir()
    head = pack(InvalidationMode.CHECKED_HASH, source_hash=source_hash(src.read_bytes()))
    pyc.write_bytes(head + marshal.dumps(code))
    report = inspect_target(str(src))
    text = render(report, show_strings=True)
    h = report.header
    assert h is not None
    text = (
        text.replace(str(pyc), "PYC")
        .replace(f"{report.size:,}", "SIZE")
        .replace(str(src), "SRC")
        .replace(f"{h.magic_number} (Python {HERE})", "MAGIC")
        .replace(h.source_hash.hex(), "HASH")
        .replace(report.decoded_by or "?", "PYTHON")
        .replace(NOT_PROTECTION, "NOTE")
    )
    assert text == GOLDEN, text


def test_render_escapes_control_characters(tmp_path):
    pyc = _write_pyc(tmp_path / "m.pyc", "X = '\\x1b[31mred'\n")
    text = render(inspect_target(str(pyc)), show_strings=True)
    assert "\x1b" not in text and "\\x1b[31mred" in text


def test_json_round_trips(tmp_path):
    pyc = _write_pyc(tmp_path / "m.pyc", "K = b'\\xff'\ndef f(): pass\n")
    data = json.loads(json.dumps(to_json(inspect_target(str(pyc), disassemble=True))))
    assert data["decoded"] is True
    assert data["header"]["mode"] == "timestamp"
    assert [c["qualname"] for c in data["codes"]] == ["<module>", "f"]
    assert {"type": "bytes", "value": "b'\\xff'"}.items() <= data["strings"][0].items()
    assert "RETURN" in data["dis"]
