"""Decode one ``.pyc``: a path, a source or a module name → :class:`Report` (header,
verdict against its source, code objects, strings, disassembly) → text or JSON.

    >>> report = inspect_target("examples/sampleapp/main.py")  # doctest: +SKIP
    >>> print(render(report))                                   # doctest: +SKIP
    examples/sampleapp/__pycache__/main.cpython-311.pyc  (1,215 bytes)
      magic     3495 (Python 3.11)
      ...

The 16-byte header is decoded here through :mod:`ember.pyc.header`; the body is
untrusted input (``marshal.loads`` can crash or exhaust an interpreter on hostile
bytes), so it is only ever unmarshalled in a separate, isolated, memory-limited
interpreter running :mod:`ember.pyc.codeinfo` as a script, with a timeout. A body
written by another Python is decoded by that Python when it is installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ember.pyc.cache import (
    Verdict,
    cache_path,
    judge_cache,
    judge_header_only,
    parse_cache_name,
    signal_name,
    when,
    with_body,
)
from ember.pyc.codeinfo import CodeInfo, StringConst
from ember.pyc.header import HEADER_SIZE, HeaderError, PycHeader, classify, has_magic

WORKER_TIMEOUT = 30.0
# Address-space cap for the worker: a hostile body can ask marshal for huge objects.
WORKER_MEMORY = 2 << 30
# The most the parent reads back from the worker: marshal shares objects, so a small
# body can describe to gigabytes of JSON (issue 10, item 5). Bigger is "too large".
WORKER_OUTPUT = 32 << 20
# What is kept of the worker's stderr (its last line is the reason it failed).
WORKER_STDERR = 64 << 10

NOT_PROTECTION = (
    "anything in the source, a password or an API key included, is readable in a .pyc "
    "by anyone who has the file: compiling is not protection"
)


class InspectError(Exception):
    """A user-facing failure to find or read what to inspect: a message and a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def render(self) -> str:
        text = f"error: {self.message}"
        return f"{text}\nhint: {self.hint}" if self.hint else text


@dataclass(frozen=True, slots=True)
class Target:
    """What the user named, resolved to a cache file (and its source, if any)."""

    pyc: Path
    source: Path | None
    given: str
    module: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """Everything known about one pyc. ``codes``/``strings``/``dis`` are empty when the
    body was not decoded, and then ``body_error`` says why."""

    target: Target
    size: int
    header: PycHeader | None
    header_error: str | None
    verdict: Verdict | None
    filename: str | None = None
    codes: tuple[CodeInfo, ...] = ()
    strings: tuple[StringConst, ...] = ()
    dis: str | None = None
    body_error: str | None = None
    decoded_by: str | None = None
    hints: tuple[str, ...] = field(default=())

    @property
    def decoded(self) -> bool:
        return self.body_error is None and self.header_error is None


# -- resolving FILE.pyc | FILE.py | MODULE ---------------------------------------------


def resolve(given: str, *, optimization: int | str = "") -> Target:
    """The cache file ``given`` names: a ``.pyc`` as is, a ``.py``'s cache for this
    Python, or a module found on ``sys.path`` (current directory first, as ``python
    -m`` does) without importing it or its parents."""
    path = Path(given)
    if path.suffix == ".pyc" or (path.is_file() and path.suffix != ".py" and _looks_pyc(path)):
        if not path.is_file():
            raise _no_such_file(given)
        return Target(path, _source_of(path), given)
    if path.suffix == ".py" or path.is_file():
        if not path.is_file():
            raise _no_such_file(given)
        return _target_for_source(path, given, optimization)
    if path.is_dir():
        raise InspectError(
            f"{given} is a directory",
            hint="name a .pyc, a .py or a module; `ember status DIR` reports a whole tree",
        )
    return _target_for_module(given, optimization)


_NAME_HINT = "name a .pyc, a .py (its cache for this Python) or an importable module"


def _no_such_file(given: str) -> InspectError:
    from ember.diagnostics import dangling_symlink

    dangling = dangling_symlink(given)
    if dangling is not None:
        return InspectError(f"{given}: {dangling}", hint="remove the link or restore its target")
    return InspectError(f"{given}: no such file", hint=_NAME_HINT)


def _looks_pyc(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return has_magic(head)


def _prefix() -> Path | None:
    return Path(sys.pycache_prefix) if sys.pycache_prefix else None


def _source_of(pyc: Path) -> Path | None:
    """``__pycache__/x.TAG.pyc`` → ``x.py``; a legacy ``x.pyc`` → ``x.py`` beside it."""
    from ember.pyc.cache import source_for_cache

    source = source_for_cache(pyc, prefix=None)
    if source is None and _prefix() is not None:
        source = source_for_cache(pyc, prefix=_prefix())
    if source is None and pyc.parent.name != "__pycache__":
        # A legacy pyc: its source, if any, is beside it (and then wins over it).
        beside = pyc.with_suffix(".py")
        source = beside if beside.exists() else None
    return source


def _target_for_source(source: Path, given: str, optimization: int | str) -> Target:
    pyc = cache_path(source, optimization=optimization, prefix=_prefix())
    if not pyc.is_file():
        others = (
            sorted(p.name for p in pyc.parent.glob(f"{source.stem}.*.pyc"))
            if (pyc.parent.is_dir())
            else []
        )
        also = f" (there is {', '.join(others)})" if others else ""
        raise InspectError(
            f"{given}: no cache file for this Python ({pyc}){also}",
            hint=f"compile it with `ember build {given}` (or import it once), then inspect again",
        )
    return Target(pyc, source, given)


def _target_for_module(name: str, optimization: int | str) -> Target:
    from importlib.machinery import PathFinder

    if not all(part.isidentifier() for part in name.split(".")):
        raise InspectError(f"{name}: no such file, and not a module name", hint=_NAME_HINT)
    # PathFinder, part by part, never imports anything (find_spec("a.b") imports a).
    search: list[str] | None = [os.getcwd(), *sys.path]
    spec = None
    parts = name.split(".")
    for i in range(len(parts)):
        spec = PathFinder.find_spec(".".join(parts[: i + 1]), search)
        if spec is None:
            where = "on sys.path" if i == 0 else f"in package {'.'.join(parts[:i])}"
            raise InspectError(
                f"no module named {'.'.join(parts[: i + 1])!r} {where}",
                hint="give a path to a .py or .pyc file instead",
            )
        search = list(spec.submodule_search_locations or [])
        if i < len(parts) - 1 and not search:
            raise InspectError(f"{'.'.join(parts[: i + 1])} is not a package")
    assert spec is not None
    origin = spec.origin
    if origin is None or not spec.has_location:
        raise InspectError(
            f"{name} is a namespace package: it has no code of its own",
            hint="inspect one of its modules",
        )
    path = Path(origin)
    if path.suffix == ".py":
        from dataclasses import replace

        return replace(_target_for_source(path, str(path), optimization), given=name, module=name)
    if path.suffix == ".pyc":
        return Target(path, _source_of(path), name, name)
    raise InspectError(
        f"{name} is an extension module ({path.name}): machine code, not bytecode",
        hint="ember inspect reads .pyc files",
    )


# -- reading --------------------------------------------------------------------------


def inspect_target(
    given: str,
    *,
    optimization: int | str = "",
    disassemble: bool = False,
    python: str | None = None,
    max_output: int | None = None,
) -> Report:
    """Resolve ``given`` and decode it (see :func:`inspect_pyc`)."""
    return inspect_pyc(
        resolve(given, optimization=optimization),
        disassemble=disassemble,
        python=python,
        max_output=max_output,
    )


def inspect_pyc(
    target: Target,
    *,
    disassemble: bool = False,
    python: str | None = None,
    max_output: int | None = None,
) -> Report:
    """Header, verdict and (in a worker process) body of ``target.pyc``.

    ``python`` names the interpreter that decodes the body (a path or a version such
    as ``3.12``); by default this one, which can only read its own magic. Raises
    :class:`InspectError` when the decoded report would pass ``max_output`` bytes
    (default :data:`WORKER_OUTPUT`).
    """
    if max_output is None:
        max_output = WORKER_OUTPUT
    try:
        with open(target.pyc, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(HEADER_SIZE)
    except OSError as exc:
        raise InspectError(f"{target.pyc}: cannot read ({exc.strerror or exc})") from exc
    try:
        header: PycHeader | None = classify(head)
        header_error = None
    except HeaderError as exc:
        header, header_error = None, exc.reason
    verdict = _verdict(target, header)
    if header is None:
        return Report(target, size, None, header_error, verdict, body_error="header unreadable")
    base = Report(target, size, header, None, verdict)

    interpreter, problem, hints = _choose_python(header, python)
    if interpreter is None:
        return _replace(base, body_error=problem, hints=tuple(hints))
    result = run_worker(interpreter, target.pyc, disassemble=disassemble, max_output=max_output)
    if result is TOO_LARGE:
        raise InspectError(
            f"{target.pyc}: too large to show (what it holds decodes to over "
            f"{_size(max_output)} of report)"
        )
    assert not isinstance(result, _TooLarge)
    if isinstance(result, str):
        # The verdict rule status and build use: a body that does not decode is corrupt.
        verdict = None if verdict is None else with_body(verdict, f"body: {result}")
        return _replace(
            base, verdict=verdict, body_error=f"corrupt body: {result}", decoded_by=interpreter
        )
    codes = tuple(_code_from_json(c) for c in result["codes"])
    strings = tuple(_string_from_json(s) for s in result["strings"])
    return _replace(
        base,
        filename=str(result["filename"]),
        codes=codes,
        strings=strings,
        dis=result.get("dis"),
        decoded_by=f"Python {result['python']}"
        + ("" if interpreter == sys.executable else f" ({interpreter})"),
        hints=tuple(hints),
    )


def _replace(report: Report, **changes: object) -> Report:
    from dataclasses import replace

    return replace(report, **changes)  # type: ignore[arg-type]


def _verdict(target: Target, header: PycHeader | None) -> Verdict | None:
    """The importer's verdict for a ``__pycache__`` file; for a legacy pyc beside
    the source, what the importer does with it (loads it as is, or never)."""
    pyc, source = target.pyc, target.source
    if pyc.parent.name == "__pycache__" or parse_cache_name(pyc.name) is not None:
        if source is None or not source.exists():
            return judge_cache(pyc)
        return judge_header_only(source, pyc)[0]
    if source is not None and _is_launcher(source):
        return Verdict(
            "sourceless",
            f"`ember dist` output: the launcher {source.name} beside it checks the Python, "
            "then runs it",
            None,
            pyc,
            header,
        )
    if source is not None and source.exists():
        return Verdict(
            "shadowed",
            f"{source.name} beside it wins: the importer never loads this legacy pyc",
            source,
            pyc,
            header,
        )
    if header is None:
        return Verdict("corrupt", "the importer rejects it (bad header)", None, pyc, None)
    return Verdict(
        "sourceless",
        "legacy location, no source: the importer loads it as is, never checking freshness",
        None,
        pyc,
        header,
    )


def _is_launcher(path: Path) -> bool:
    from ember.pyc.dist import LAUNCHER_MARK

    try:
        return LAUNCHER_MARK in path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return False


# -- the worker -----------------------------------------------------------------------


def _worker_source() -> str:
    import importlib.util

    spec = importlib.util.find_spec("ember.pyc.codeinfo")
    assert spec is not None and spec.loader is not None
    text = spec.loader.get_source("ember.pyc.codeinfo")  # type: ignore[attr-defined]
    assert text is not None
    return text


class _TooLarge:
    """The worker's answer when its report would pass the output cap."""


TOO_LARGE = _TooLarge()


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n:,} bytes"


def _limiter(max_output: int) -> Callable[[], None]:
    def limit() -> None:  # pragma: no cover - runs in the child
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # Its stdout and stderr are files: a worker that ignores --max-bytes (a
        # foreign Python's older codeinfo, a rogue interpreter) still cannot write
        # more than this to either.
        cap = max(max_output, WORKER_STDERR) + 1
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))

    return limit


def run_worker(
    python: str,
    pyc: Path,
    *,
    disassemble: bool = False,
    timeout: float = WORKER_TIMEOUT,
    max_output: int | None = None,
) -> dict[str, object] | str | _TooLarge:
    """Decode ``pyc``'s body with ``python`` in an isolated process: the
    :func:`ember.pyc.codeinfo.describe` data, a one-line reason it failed, or
    :data:`TOO_LARGE` when its report would pass ``max_output`` bytes.

    The worker writes to temporary files, not pipes, so that the parent can look at
    the size before reading anything: it never reads more than ``max_output`` bytes.
    """
    import subprocess
    import tempfile

    from ember.pyc.codeinfo import TOO_LARGE_STATUS

    if max_output is None:
        max_output = WORKER_OUTPUT
    argv = [python, "-I", "-B", "-c", _worker_source(), os.fspath(pyc)]
    argv += ["--max-bytes", str(max_output)]
    if disassemble:
        argv.append("--dis")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                timeout=timeout,
                check=False,
                preexec_fn=_limiter(max_output) if os.name == "posix" else None,  # noqa: PLW1509
            )
        except subprocess.TimeoutExpired:
            return f"decoding did not finish in {timeout:g} s"
        except OSError as exc:
            return f"cannot run {python} ({exc.strerror or exc})"
        out_size = os.fstat(out.fileno()).st_size
        if proc.returncode == TOO_LARGE_STATUS or out_size > max_output:
            return TOO_LARGE
        out.seek(0)
        stdout = out.read(max_output)
        err_size = os.fstat(err.fileno()).st_size
        err.seek(max(0, err_size - WORKER_STDERR))
        stderr = err.read(WORKER_STDERR)
    return _worker_answer(proc.returncode, stdout, stderr)


def _worker_answer(status: int, stdout: bytes, stderr: bytes) -> dict[str, object] | str:
    import json

    if status == 0:
        try:
            data = json.loads(stdout)
        except ValueError:
            return "the decoder's output was not readable"
        if isinstance(data, dict):
            return data
        return "the decoder's output was not readable"
    if status < 0:
        return f"it crashes the unmarshaller ({signal_name(-status)})"
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return _short(lines[-1], 200) if lines else f"the decoder failed (exit status {status})"


def _code_from_json(d: dict[str, object]) -> CodeInfo:
    return CodeInfo(
        qualname=str(d["qualname"]),
        name=str(d["name"]),
        kind=str(d["kind"]),
        first_line=int(d["first_line"]),  # type: ignore[call-overload]
        last_line=int(d["last_line"]),  # type: ignore[call-overload]
        flags=tuple(map(str, d["flags"])),  # type: ignore[call-overload]
        argcount=int(d["argcount"]),  # type: ignore[call-overload]
        names=tuple(map(str, d["names"])),  # type: ignore[call-overload]
        locals=tuple(map(str, d["locals"])),  # type: ignore[call-overload]
    )


def _string_from_json(d: dict[str, object]) -> StringConst:
    import ast

    raw = d["value"]
    # bytes travel as their repr; literal_eval evaluates literals only, never code.
    value: str | bytes = ast.literal_eval(str(raw)) if d["type"] == "bytes" else str(raw)
    line = d["line"]
    return StringConst(
        str(d["code"]), int(line) if isinstance(line, int) else None, value, bool(d["docstring"])
    )


# -- which interpreter decodes the body -----------------------------------------------


def _choose_python(
    header: PycHeader, requested: str | None
) -> tuple[str | None, str | None, list[str]]:
    """(interpreter, why not, hints). This Python for its own magic; for a foreign
    magic, the requested interpreter (checked) or an offer to use an installed one."""
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    version = header.python_version
    if requested is not None:
        exe = find_python(requested) if _is_version(requested) else requested
        if exe is None:
            return None, f"Python {requested} is not installed here", []
        magic = python_magic(exe)
        if magic is None:
            return None, f"cannot run {exe}", []
        if magic != header.magic:
            who = f"Python {version}" if version else f"magic {header.magic_number}"
            return None, f"{exe} cannot read this body (it was written by {who})", []
        return exe, None, []
    if header.is_current_python:
        return sys.executable, None, []
    who = f"Python {version}" if version else f"an unknown Python (magic {header.magic_number})"
    problem = f"written by {who}; this is Python {here}, which cannot read its body"
    hints: list[str] = []
    if version is not None and _is_version(version):
        if tuple(map(int, version.split("."))) < (3, 10):
            hints.append(f"ember decodes bodies with Python 3.10 or later, not {version}")
        else:
            exe = find_python(version)
            if exe is not None and python_magic(exe) == header.magic:
                hints.append(f"Python {version} is installed: add `--python {exe}` to decode it")
            else:
                hints.append(f"install Python {version} to decode the body, then add --python")
    return None, problem, hints


def _is_version(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 2 and all(p.isdigit() for p in parts)


def find_python(version: str) -> str | None:
    """An installed interpreter for ``version`` (``"3.12"``): pyenv's versions first
    (direct paths, no shim), then ``python3.12`` on PATH; None if there is none."""
    import shutil

    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if root.is_dir():

        def key(p: Path) -> tuple[int, ...]:
            return tuple(int(x) for x in p.name.split(".") if x.isdigit())

        found = sorted(root.glob(f"{version}.*"), key=key, reverse=True)
        for candidate in found:
            exe = candidate / "bin" / "python"
            if exe.is_file() and os.access(exe, os.X_OK) and candidate.name.count(".") == 2:
                return str(exe)
    return shutil.which(f"python{version}")


def python_magic(python: str) -> bytes | None:
    """The pyc magic ``python`` writes, asked of it in a subprocess; None if it fails."""
    import subprocess

    script = "import importlib.util as u, sys; sys.stdout.write(u.MAGIC_NUMBER.hex())"
    try:
        proc = subprocess.run(
            [python, "-I", "-c", script], capture_output=True, timeout=20, check=False
        )
        return bytes.fromhex(proc.stdout.decode()) if proc.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


# -- presenting -----------------------------------------------------------------------


def _printable(text: str) -> str:
    # Names and strings come from untrusted bytes: never let them drive the terminal.
    return text if text.isprintable() else repr(text)[1:-1]


def _short(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _header_rows(h: PycHeader) -> list[tuple[str, str]]:
    version = h.python_version
    who = f"Python {version}" if version else "unknown Python"
    mark = "" if h.is_current_python else "  <- not this Python"
    rows = [
        ("magic", f"{h.magic_number} ({who}){mark}"),
        ("mode", f"{h.mode.value} (flags {h.flags:#x})"),
    ]
    if h.source_hash is not None:
        rows.append(("hash", h.source_hash.hex()))
    else:
        rows.append(("mtime", f"{when(h.mtime or 0)} ({h.mtime})"))
        rows.append(("size", f"{h.source_size:,} bytes of source"))
    return rows


def _signature(c: CodeInfo) -> str:
    name = _printable(c.qualname)
    if c.kind in ("function", "lambda"):
        name += "()"
    extra = ", ".join(c.flags)
    return f"{name}  [{extra}]" if extra else name


def render(
    report: Report, *, show_strings: bool = False, show_dis: bool = False, width: int = 72
) -> str:
    """The report as text for a terminal (golden-tested; stable for a given pyc)."""
    t = report.target
    lines = [f"{t.pyc}  ({report.size:,} bytes)"]
    rows: list[tuple[str, str]] = []
    if t.module:
        rows.append(("module", t.module))
    if t.source is not None:
        rows.append(("source", str(t.source) + ("" if t.source.exists() else "  (missing)")))
    if report.header is not None:
        rows.extend(_header_rows(report.header))
    else:
        rows.append(("header", f"corrupt: {report.header_error}"))
    if report.verdict is not None:
        rows.append(("verdict", f"{report.verdict.state}: {report.verdict.reason}"))
    if report.filename is not None:
        rows.append(
            ("built as", f"{_printable(report.filename)}  (co_filename, what tracebacks name)")
        )
    if report.decoded_by is not None and report.body_error is None:
        rows.append(("decoded", f"by {report.decoded_by}"))
    if report.body_error is not None:
        rows.append(("body", report.body_error))
    lines += [f"  {k:<9} {v}" for k, v in rows]
    if report.codes:
        lines += ["", f"code objects ({len(report.codes)})", f"  {'lines':<11} {'kind':<13} name"]
        for c in report.codes:
            span = f"{c.first_line}-{c.last_line}"
            lines.append(f"  {span:<11} {c.kind:<13} {_signature(c)}")
    if show_strings and report.header_error is None and report.body_error is None:
        lines += ["", f"strings ({len(report.strings)})", f"  note: {NOT_PROTECTION}"]
        if report.strings:
            lines.append(f"  {'line':<6} {'in':<24} value")
        for s in report.strings:
            where = _short(_printable(s.code), 24)
            text = _short(repr(s.value), width) + ("  [docstring]" if s.docstring else "")
            line = "-" if s.line is None else str(s.line)
            lines.append(f"  {line:<6} {where:<24} {text}")
        if any(s.line is None for s in report.strings):
            lines.append("  (line -: a constant the compiler kept but no instruction loads)")
    if show_dis and report.dis:
        lines += ["", "disassembly", report.dis.rstrip("\n")]
    lines += [f"hint: {h}" for h in report.hints]
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> dict[str, object]:
    """The report as JSON-ready data (strings and disassembly always included when
    decoded; ``null`` for what could not be read)."""
    h = report.header
    header: dict[str, object] | None = None
    if h is not None:
        header = {
            "magic": h.magic.hex(),
            "magic_number": h.magic_number,
            "python": h.python_version,
            "current_python": h.is_current_python,
            "mode": h.mode.value,
            "flags": h.flags,
            "mtime": h.mtime,
            "source_size": h.source_size,
            "source_hash": None if h.source_hash is None else h.source_hash.hex(),
        }
    t = report.target
    return {
        "file": str(t.pyc),
        "module": t.module,
        "source": None if t.source is None else str(t.source),
        "size": report.size,
        "header": header,
        "header_error": report.header_error,
        "verdict": None if report.verdict is None else report.verdict.to_json(),
        "decoded": report.decoded,
        "decoded_by": report.decoded_by,
        "body_error": report.body_error,
        "filename": report.filename,
        "codes": [c.to_json() for c in report.codes],
        "strings": [s.to_json() for s in report.strings],
        "dis": report.dis,
        "hints": list(report.hints),
    }
