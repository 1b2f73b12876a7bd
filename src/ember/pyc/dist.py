"""A sourceless copy of a package or app: SRC folder → OUT folder of legacy ``.pyc``
files for this one Python, verified to import, with a plain account of what stays
readable.

    >>> result = make_dist(Path("examples/sampleapp"), Path("/tmp/shop-dist"))  # writes /tmp/shop-dist  # doctest: +SKIP
    >>> print(render(result))  # the result above  # doctest: +SKIP
    ember dist: examples/sampleapp -> /tmp/shop-dist  (app: 7 modules, ...)

Layout. ``foo.py`` becomes ``foo.pyc`` beside where it was (the legacy location, which
the plain importer and zipimport load with no source). An app folder (no
``__init__.py``) is mirrored as is; a package folder lands as ``OUT/<package>/``, so
OUT is always a folder to put on ``sys.path``. ``co_filename`` is rewritten to the
path relative to OUT (``shop/cart.py``), so tracebacks name the module, not the build
machine's absolute path. Other files are copied; ``__pycache__``, stray ``.pyc`` files
and VCS folders are not. SRC is only read.

One Python. A pyc's body is readable by one Python version only, and another Python
stops at the magic number ("bad magic number"): nothing in a pyc can explain itself
to an interpreter that cannot read it. So every *way in* gets a tiny source launcher:
each top-level module and top-level package ``__init__`` (the modules an import can
reach without first importing a package of OUT) is written as ``X.py`` (launcher,
checks the magic, then runs ``X.pyc``) beside ``X.pyc``. Under the wrong Python,
``python OUT/main.py``, ``python -m shop`` and ``import shop`` say which Python it
needs. (zipimport prefers ``X.pyc`` and falls back to ``X.py`` on a bad magic, so
a zipped OUT behaves the same.) ``EMBER-DIST.json`` records the Python, magic, cache
tag and optimization level.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import CodeType

from ember.diagnostics import Diagnostic, Span
from ember.pyc.cache import path_problem
from ember.pyc.codeinfo import rewrite_filenames, strings, walk
from ember.pyc.dist_verify import verify_imports
from ember.pyc.header import MAGIC_NUMBER, InvalidationMode, pack, source_hash
from ember.support.skips import Skipped, skip_reason, walks_everything

MARKER = "EMBER-DIST.json"
LAUNCHER_MARK = "# Written by `ember dist`"
SKIP_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn"})
SKIP_SUFFIXES = frozenset({".pyc", ".pyo"})


class DistError(Exception):
    """A user-facing refusal or failure: a message, a hint, and for sources that do
    not compile, their diagnostics."""

    def __init__(
        self, message: str, hint: str | None = None, diagnostics: tuple[Diagnostic, ...] = ()
    ) -> None:
        self.message = message
        self.hint = hint
        self.diagnostics = diagnostics
        super().__init__(message)

    def render(self, prog: str = "ember dist") -> str:
        parts = [d.render() for d in self.diagnostics]
        parts.append(f"{prog}: error: {self.message}")
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class DistModule:
    """One compiled module: ``rel`` is its ``.py`` path relative to OUT (also its
    ``co_filename``); ``guarded`` modules get a source launcher beside the pyc."""

    rel: PurePosixPath
    name: str
    guarded: bool
    entry: bool

    @property
    def pyc(self) -> PurePosixPath:
        return self.rel.with_suffix(".pyc")


@dataclass(frozen=True, slots=True)
class Readable:
    """What anyone holding the pycs can still read, counted, with a few samples."""

    definitions: tuple[str, ...]
    global_names: int
    local_names: int
    strings: int
    string_samples: tuple[str, ...]
    docstrings: int


@dataclass(frozen=True, slots=True)
class DistResult:
    src: Path
    out: Path
    layout: str  # "app" | "package"
    modules: tuple[DistModule, ...]
    copied: tuple[PurePosixPath, ...]
    optimize: int
    readable: Readable
    verify_failures: dict[str, str] = field(default_factory=dict)
    # module → the top-level module it needs that is not installed here (and is not
    # part of the tree): an optional dependency, not a broken copy; not a failure.
    verify_missing: dict[str, str] = field(default_factory=dict)

    verified: bool = False
    skipped: tuple[Skipped, ...] = ()  # folders of SRC the default excludes left out

    @property
    def python(self) -> str:
        return f"{sys.version_info.major}.{sys.version_info.minor}"


# -- checks on SRC and OUT ------------------------------------------------------------


def _check_paths(src: Path, out: Path, force: bool) -> None:
    if not src.is_dir():
        what = "does not exist" if not src.exists() else "is not a folder"
        raise DistError(
            f"SRC {src} {what}",
            hint="give the folder of an app (with its main script) or of a package",
        )
    rsrc, rout = src.resolve(), out.resolve()
    if rout == rsrc or rout.is_relative_to(rsrc):
        raise DistError(
            f"OUT {out} is inside SRC {src}",
            hint="write the copy outside the tree being copied, e.g. next to it: "
            f"ember dist {src} {src.resolve().parent / (src.resolve().name + '-dist')}",
        )
    if rsrc.is_relative_to(rout):
        raise DistError(f"SRC {src} is inside OUT {out}", hint="choose another OUT")
    if out.exists() and not out.is_dir():
        raise DistError(f"OUT {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise DistError(
                f"OUT {out} is not empty", hint="add --force to replace an earlier ember dist"
            )
        if not (out / MARKER).is_file():
            # --force replaces only what ember dist made: never someone's own files.
            raise DistError(
                f"OUT {out} is not empty and is not an earlier `ember dist` output "
                f"(no {MARKER}); --force only replaces those",
                hint="choose a new or empty folder, or remove this one yourself",
            )


# -- compiling ------------------------------------------------------------------------


def _walk_src(
    src: Path, default_excludes: bool = True
) -> tuple[list[Path], list[Path], list[Diagnostic], list[Skipped]]:
    """(.py files, other files, folders that cannot be listed, folders skipped) under
    src, sorted, skipping caches and VCS folders, and (``default_excludes``) virtual
    environments, build output and the like, as every tree walk does
    (:mod:`ember.support.skips`). A folder left out by failure would silently drop its
    modules from OUT, so each one is an error."""
    sources: list[Path] = []
    others: list[Path] = []
    problems: list[Diagnostic] = []
    skipped: list[Skipped] = []
    skips = default_excludes and not walks_everything(str(src))

    def unlistable(exc: OSError) -> None:
        where = str(exc.filename) if exc.filename else str(src)
        problems.append(
            path_problem(
                where, f"cannot list directory ({exc.strerror or exc})", "check its permissions"
            )
        )

    def kept(dirpath: str, name: str) -> bool:
        if name in SKIP_DIRS:
            return False
        why = skip_reason(os.path.join(dirpath, name), name) if skips else None
        if why is not None:
            skipped.append(Skipped(os.path.join(dirpath, name), why))
        return why is None

    for dirpath, dirnames, filenames in os.walk(src, onerror=unlistable):
        dirnames[:] = [d for d in sorted(dirnames) if kept(dirpath, d)]
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if name.endswith(".py"):
                sources.append(path)
            elif path.suffix not in SKIP_SUFFIXES:
                others.append(path)
    return sources, others, problems, skipped


def _syntax_diagnostic(path: Path, exc: SyntaxError) -> Diagnostic:
    if (exc.msg or "").startswith("(unicode error)"):
        # Worded once (diagnostics) for build, dist and run alike; re-read, as only
        # this error path needs the bytes.
        from ember.diagnostics import undecodable_source

        try:
            found = undecodable_source(path.read_bytes())
        except OSError:
            found = None
        if found is not None:
            return found.diagnostic(str(path))
    line = exc.lineno or 1
    col = max((exc.offset or 1) - 1, 0)
    end_line = getattr(exc, "end_lineno", None)
    end_col = getattr(exc, "end_offset", None)
    return Diagnostic(
        Span(str(path), line, col, end_line, None if end_col is None else max(end_col - 1, 0)),
        exc.msg,
        hint="fix it (python cannot run it either), or move it out of SRC: "
        "ember dist compiles every .py",
        indentation=isinstance(exc, IndentationError),
    )


def _null_byte(path: Path) -> Diagnostic:
    """Worded as ``ember build`` words it (diagnostics), at the first NUL."""
    from ember.diagnostics import NULL_BYTE_HINT, NULL_BYTE_MESSAGE, byte_position

    data = path.read_bytes()
    line, col = byte_position(data, data.find(b"\0"))
    return Diagnostic(Span(str(path), line, col), NULL_BYTE_MESSAGE, hint=NULL_BYTE_HINT)


def _unreadable(path: Path, exc: OSError) -> Diagnostic:
    from ember.diagnostics import dangling_symlink  # worded once, for every command

    dangling = dangling_symlink(path)
    if dangling is not None:
        return path_problem(str(path), dangling, "remove the link or restore its target")
    return path_problem(
        str(path),
        f"cannot read ({exc.strerror or exc})",
        "check that you may read it, or move it out of SRC",
    )


def _compile(path: Path, rel: str, optimize: int) -> tuple[CodeType, bytes]:
    data = path.read_bytes()
    code = compile(data, str(path), "exec", dont_inherit=True, optimize=optimize)
    return rewrite_filenames(code, rel), data


def _is_guarded(rel: PurePosixPath, package_dirs: set[PurePosixPath]) -> bool:
    """True for a way into OUT: a module an import reaches without first running the
    ``__init__`` of a package in OUT (whose launcher would check the Python)."""
    owner = rel.parent.parent if rel.name == "__init__.py" else rel.parent
    return owner not in package_dirs


def _looks_like_entry(data: bytes) -> bool:
    return b"__main__" in data and b"__name__" in data


# -- the launcher ---------------------------------------------------------------------

# Python 2 and 3 syntax alike (no f-strings): any python may run it. The blank lines
# before it outnumber the module's lines, so a traceback line of the real code that
# gets looked up in this file (same name) shows as blank, as for any sourceless module.
_LAUNCHER = """\
# Written by `ember dist`: the code of {module} is in {pyc} beside this file, compiled
# for Python {python} (pyc magic {number}). This launcher only checks the Python, then
# runs it; under another Python it says so instead of "bad magic number".
import sys as _ember_sys
try:
    from _frozen_importlib_external import MAGIC_NUMBER as _ember_magic
except ImportError:
    _ember_magic = None
if _ember_magic != {magic!r}:
    _ember_msg = (
        "{module} was built by 'ember dist' for Python {python}, but this is Python %s: "
        "run it with python{python}, or rebuild it from the sources with 'ember dist' "
        "under this Python" % _ember_sys.version.split()[0]
    )
    # As a script, or found by `python -m` (argv[0] is "-m" until the module runs):
    # a plain message and exit status 1, not a traceback through runpy.
    if __name__ == "__main__" or _ember_sys.argv[:1] == ["-m"]:
        raise SystemExit("error: " + _ember_msg)
    raise ImportError(_ember_msg)


def _ember_load(path):
    import marshal

    with open(path, "rb") as f:
        return marshal.loads(f.read()[16:])


_ember_code = _ember_load(__file__[:-3] + ".pyc")
del _ember_sys, _ember_magic, _ember_load
exec(_ember_code)
del _ember_code
"""


def launcher_text(module: str, pyc_name: str, lines: int) -> str:
    """The source launcher for a guarded module whose code has ``lines`` lines."""
    body = _LAUNCHER.format(
        module=module,
        pyc=pyc_name,
        python=f"{sys.version_info.major}.{sys.version_info.minor}",
        number=int.from_bytes(MAGIC_NUMBER[:2], "little"),
        magic=MAGIC_NUMBER,
    )
    return "\n" * lines + body


# -- building -------------------------------------------------------------------------


def make_dist(
    src: Path,
    out: Path,
    *,
    optimize: int = 0,
    force: bool = False,
    verify: bool = True,
    default_excludes: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> DistResult:
    """Write the sourceless copy of ``src`` to ``out`` (see the module docstring) and,
    with ``verify``, import every module from it in a fresh interpreter.
    ``default_excludes``: leave out the virtual environments, build output and the like
    found in SRC (:mod:`ember.support.skips`); they are listed in ``skipped``.
    ``progress(done, total)`` is called after each source compiled, after writing
    and after verifying.

    Raises :class:`DistError` before writing anything if the paths are refused or a
    source does not compile. OUT appears whole: it is built in a temporary folder
    beside it and renamed into place.
    """
    layout = _layout(src, out, optimize, force)
    base = PurePosixPath(src.resolve().name) if layout == "package" else PurePosixPath()
    sources, others, problems, skipped = _walk_src(src, default_excludes)
    steps = len(sources) + 1 + int(verify)
    compiled = _compile_all(src, base, sources, optimize, problems, progress, steps)
    for path in others:  # copied as they are: each must be readable too
        try:
            # O_NONBLOCK: a FIFO among the data files must not hang the check.
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        except OSError as exc:
            problems.append(_unreadable(path, exc))
    if problems:
        raise _refusal(src, problems)
    modules, copied = _write_out(src, out, base, layout, compiled, others, optimize)
    result = DistResult(
        src,
        out,
        layout,
        modules,
        copied,
        optimize,
        readable([code for _m, code, _d in compiled]),
        skipped=tuple(skipped),
    )
    if progress is not None:
        progress(len(sources) + 1, steps)
    if verify:
        verification = verify_imports(out, modules)
        if progress is not None:
            progress(steps, steps)
        from dataclasses import replace

        result = replace(
            result,
            verify_failures=verification.failures,
            verify_missing=verification.missing,
            verified=True,
        )
    return result


def _layout(src: Path, out: Path, optimize: int, force: bool) -> str:
    """``"package"`` or ``"app"``, once the request is checked (before anything is read
    or written): a refused one raises :class:`DistError`."""
    if optimize not in (0, 1, 2):
        raise DistError(f"optimization level {optimize} is not 0, 1 or 2")
    try:
        _check_paths(src, out, force)
    except OSError as exc:  # OUT (or its folder) may not be looked into
        raise DistError(
            f"cannot check OUT {out} ({exc.strerror or exc})",
            hint="check the permissions of OUT and the folders above it",
        ) from None
    try:
        layout = "package" if (src / "__init__.py").is_file() else "app"
    except OSError as exc:  # a SRC the user may not enter
        raise DistError(f"cannot read SRC {src} ({exc.strerror or exc})") from None
    if layout == "package" and not src.resolve().name.isidentifier():
        raise DistError(
            f"SRC {src} has an __init__.py but {src.resolve().name!r} is not a package name"
        )
    return layout


# A compiled module, its code object (co_filename as in OUT) and its source bytes.
_Compiled = tuple[DistModule, CodeType, bytes]


def _compile_all(
    src: Path,
    base: PurePosixPath,
    sources: list[Path],
    optimize: int,
    problems: list[Diagnostic],
    progress: Callable[[int, int], None] | None,
    steps: int,
) -> list[_Compiled]:
    """Compile every source in order, reporting progress before each; a source that
    does not compile adds to ``problems`` (all are reported, not just the first)."""
    rels = {p: base / PurePosixPath(p.relative_to(src).as_posix()) for p in sources}
    package_dirs = {r.parent for r in rels.values() if r.name == "__init__.py"}
    compiled: list[_Compiled] = []
    for done, path in enumerate(sources, 1):
        if progress is not None:
            progress(done, steps)
        outcome = _compile_one(path, rels[path], optimize, package_dirs)
        if isinstance(outcome, Diagnostic):
            problems.append(outcome)
        else:
            compiled.append(outcome)
    return compiled


def _compile_one(
    path: Path, rel: PurePosixPath, optimize: int, package_dirs: set[PurePosixPath]
) -> _Compiled | Diagnostic:
    """One source compiled as the module at ``rel`` in OUT, or why it cannot be."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            # Opening a FIFO named x.py would wait forever for a writer.
            return path_problem(
                str(path),
                "not a regular file (a FIFO, socket or device): not compiled",
                "move it out of SRC",
            )
        code, data = _compile(path, str(rel), optimize)
    except (SyntaxError, ValueError) as exc:
        if "null bytes" in str(exc):  # ValueError before 3.12, SyntaxError after
            return _null_byte(path)
        if isinstance(exc, SyntaxError):
            return _syntax_diagnostic(path, exc)
        return Diagnostic(Span(str(path), 1), f"cannot compile: {exc}")
    except OSError as exc:
        return _unreadable(path, exc)
    parts = rel.with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    guarded = _is_guarded(rel, package_dirs)
    entry = (guarded and rel.parent == PurePosixPath() and _looks_like_entry(data)) or (
        rel.name == "__main__.py"
    )
    return DistModule(rel, name, guarded, entry), code, data


def _refusal(src: Path, problems: list[Diagnostic]) -> DistError:
    """The one error for every source that does not compile and path that cannot be
    read (a path problem has no line), raised before anything is written."""
    n = len(problems)
    unreadable = sum(1 for d in problems if d.span.line == 0)
    what = (
        f"do{'es' if n == 1 else ''} not compile"
        if not unreadable
        else f"cannot be read{'' if unreadable == n else ' or compiled'}"
    )
    noun = ("source file" if not unreadable else "path") + ("s" if n != 1 else "")
    return DistError(
        f"{n} {noun} in {src} {what}; nothing was written", diagnostics=tuple(problems)
    )


def _write_out(
    src: Path,
    out: Path,
    base: PurePosixPath,
    layout: str,
    compiled: list[_Compiled],
    others: list[Path],
    optimize: int,
) -> tuple[tuple[DistModule, ...], tuple[PurePosixPath, ...]]:
    """Write OUT whole: into a temporary folder beside it, renamed into place; on any
    failure the temporary folder goes and OUT is left as it was. Returns the modules
    written and the other files copied."""
    import tempfile

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.ember-dist-", dir=out.parent))
    except OSError as exc:
        # OUT is built beside itself and renamed into place: its folder must be writable.
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            why = f": {exc.filename} is a file, not a folder"
        else:
            why = f" ({exc.strerror or exc})"
        raise DistError(
            f"cannot write in {out.parent}, OUT's folder{why}",
            hint="choose an OUT in a folder you may write to",
        ) from None
    try:
        for module, code, data in compiled:
            _write_module(tmp, module, code, data)
        copied = []
        for path in others:
            rel = base / PurePosixPath(path.relative_to(src).as_posix())
            _copy(path, tmp / rel)
            copied.append(rel)
        modules = tuple(m for m, _c, _d in compiled)
        _write_marker(tmp, src, layout, modules, optimize)
        _swap_into_place(tmp, out)
    except BaseException as exc:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):  # disk full, quota, a folder that vanished
            where = os.fspath(exc.filename or tmp)
            # Name the file as it would have been in OUT: the temporary folder is ours.
            where = where.replace(os.fspath(tmp), os.fspath(out), 1)
            raise DistError(
                f"cannot write {where} ({exc.strerror or exc}); OUT {out} was left as it was",
                hint="free some space or check permissions, then run again",
            ) from None
        raise
    return modules, tuple(copied)


def _write_module(root: Path, module: DistModule, code: CodeType, data: bytes) -> None:
    import marshal

    target = root / module.pyc
    target.parent.mkdir(parents=True, exist_ok=True)
    # Unchecked-hash: no source to check against, and no build time in the file, so
    # the same sources give byte-identical output (reproducible builds).
    header = pack(InvalidationMode.UNCHECKED_HASH, source_hash=source_hash(data))
    target.write_bytes(header + marshal.dumps(code))
    if module.guarded:
        lines = data.count(b"\n") + 1
        stub = launcher_text(module.name, module.pyc.name, lines)
        (root / module.rel).write_text(stub, encoding="ascii")


def _copy(path: Path, target: Path) -> None:
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target)


def _write_marker(
    root: Path, src: Path, layout: str, modules: tuple[DistModule, ...], optimize: int
) -> None:
    from ember._version import __version__

    record = {
        "tool": f"ember dist {__version__}",
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "magic": MAGIC_NUMBER.hex(),
        "magic_number": int.from_bytes(MAGIC_NUMBER[:2], "little"),
        "optimize": optimize,
        "layout": layout,
        # The folder's name only: an absolute build path is nobody's business.
        "source": src.resolve().name,
        "modules": [m.name for m in modules],
        "launchers": [str(m.rel) for m in modules if m.guarded],
        "note": "sourceless .pyc files for this one Python; names and string constants "
        "stay readable: this is not protection",
    }
    (root / MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _swap_into_place(tmp: Path, out: Path) -> None:
    import shutil

    if not out.exists():
        os.replace(tmp, out)
        return
    if not any(out.iterdir()):
        out.rmdir()
        os.replace(tmp, out)
        return
    # An earlier dist (checked by _check_paths): move it aside, move the new one in,
    # then delete the old, so OUT is never half old and half new.
    old = Path(str(tmp) + ".old")
    os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


# -- what stays readable --------------------------------------------------------------


def readable(codes: list[CodeType], samples: int = 5) -> Readable:
    """Count what a reader of the pycs gets for free: definitions, names, strings."""
    definitions: list[str] = []
    global_names: set[str] = set()
    local_names: set[str] = set()
    texts: list[str] = []
    docstrings = 0
    for code in codes:
        for info in walk(code):
            if info.kind in ("function", "class"):
                definitions.append(info.qualname)
            global_names.update(info.names)
            local_names.update(info.locals)
        for s in strings(code):
            if s.docstring:
                docstrings += 1
            else:
                texts.append(s.value if isinstance(s.value, str) else repr(s.value))
    distinct = list(dict.fromkeys(texts))
    # Longer strings first: they are the ones a reader learns most from.
    picked = sorted((t for t in distinct if len(t) >= 6), key=len, reverse=True)[:samples]
    return Readable(
        tuple(definitions),
        len(global_names),
        len(local_names),
        len(distinct),
        tuple(picked),
        docstrings,
    )


# -- verification (importing OUT: ember.pyc.dist_verify) -----------------------------


def _missing_summary(missing: dict[str, str], width: int = 5) -> str:
    """``14 need modules not installed here (django, libcst)``."""
    needed = sorted(set(missing.values()))
    shown = ", ".join(needed[:width]) + (", ..." if len(needed) > width else "")
    n = len(missing)
    what = "needs a module" if n == 1 else "need modules"
    return f"{n} {what} not installed here ({shown})"


# -- presenting -----------------------------------------------------------------------


def _quote(text: str, width: int = 40) -> str:
    text = text if len(text) <= width else text[: width - 3] + "..."
    return repr(text)


def run_hints(result: DistResult) -> list[str]:
    """How to run the output: entry scripts and packages with a ``__main__``."""
    out = result.out
    hints = []
    for m in result.modules:
        if m.entry and m.rel.name != "__main__.py":
            hints.append(f"python {out / m.rel}")
        elif m.rel.name == "__main__.py" and len(m.rel.parts) == 1:
            hints.append(f"python {out}")
        elif m.rel.name == "__main__.py":
            package = ".".join(m.rel.parts[:-1])
            hints.append(f"cd {out} && python -m {package}")
    return hints


def render(result: DistResult) -> str:
    """The report printed by ``ember dist``."""
    r = result.readable
    n = len(result.modules)
    lines = [
        f"ember dist: {result.src} -> {result.out}  ({result.layout}: {n} module"
        f"{'s' if n != 1 else ''}, {len(result.copied)} other file"
        f"{'s' if len(result.copied) != 1 else ''} copied)",
        f"  python     {result.python} only (pyc magic "
        f"{int.from_bytes(MAGIC_NUMBER[:2], 'little')}, cache tag "
        f"{sys.implementation.cache_tag}), optimization level {result.optimize}; recorded "
        f"in {MARKER}",
    ]
    guarded = [str(m.rel) for m in result.modules if m.guarded]
    if guarded:
        lines.append(f"  launchers  {', '.join(guarded)}: check the Python, then run their .pyc")
    for hint in run_hints(result):
        lines.append(f"  run        {hint}")
    if result.verified:
        bad, missing = result.verify_failures, result.verify_missing
        not_counted = f"{_missing_summary(missing)}: not counted as failures"
        if bad:
            lines.append(f"  verified   FAILED: {len(bad)} of {n} modules do not import:")
            lines += [f"    {name}: {why}" for name, why in sorted(bad.items())]
            if missing:
                lines.append(f"    and {not_counted}")
        elif missing:
            lines.append(f"  verified   {n - len(missing)} import, {not_counted}")
        else:
            lines.append(f"  verified   all {n} modules import in a fresh python{result.python}")
    lines += [
        "",
        "Still readable in these .pyc files (this is not protection):",
        f"  names      {len(r.definitions)} functions and classes"
        + (
            f" ({', '.join(r.definitions[:4])}{', ...' if len(r.definitions) > 4 else ''})"
            if r.definitions
            else ""
        )
        + f", {r.global_names} global/attribute names, {r.local_names} local variable names",
        f"  strings    {r.strings} distinct string constants"
        + (
            f", e.g. {', '.join(_quote(s) for s in r.string_samples[:3])}"
            if r.string_samples
            else ""
        ),
    ]
    if r.docstrings:
        lines.append(f"  docstrings {r.docstrings} (-OO drops them)")
    example = next((m.pyc for m in result.modules if not m.guarded), None) or (
        result.modules[0].pyc if result.modules else None
    )
    if example is not None:
        lines.append(
            f"  anyone can list them (ember inspect --strings {result.out / example}),"
            " and decompilers recover most of the logic."
        )
    return "\n".join(lines) + "\n"


def to_json(result: DistResult) -> dict[str, object]:
    r = result.readable
    return {
        "src": str(result.src),
        "out": str(result.out),
        "layout": result.layout,
        "python": result.python,
        "magic": MAGIC_NUMBER.hex(),
        "cache_tag": sys.implementation.cache_tag,
        "optimize": result.optimize,
        "modules": [
            {"name": m.name, "pyc": str(m.pyc), "launcher": m.guarded, "entry": m.entry}
            for m in result.modules
        ],
        "copied": [str(p) for p in result.copied],
        "verified": result.verified,
        "verify_missing": result.verify_missing,
        "verify_failures": result.verify_failures,
        "skipped": [s.to_json() for s in result.skipped],
        "readable": {
            "definitions": list(r.definitions),
            "global_names": r.global_names,
            "local_names": r.local_names,
            "strings": r.strings,
            "string_samples": list(r.string_samples),
            "docstrings": r.docstrings,
        },
        "run": run_hints(result),
    }
