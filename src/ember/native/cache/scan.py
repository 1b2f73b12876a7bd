"""Native cache entries on disk → one verdict each, for ``ember status`` and ``ember clean``.

    >>> for r in scan_native_cache(["src/"]):  # needs a cache on disk  # doctest: +SKIP
    ...     print(r.state, r.qualname, r.signature, r.reason)
    fresh dot (int64, int64) sources unchanged
    stale norm (float64) the source of norm changed
    orphan old (int64) old is no longer defined in src/k.py

States: ``fresh`` (would be used, as far as can be told without running the program: the
global values it captured are checked when it loads), ``stale`` (a source, ember, llvmlite
changed), ``orphan`` (its source file or function is gone; the bytecode layer's word),
``foreign`` (another Python or CPU), ``corrupt`` and ``unsafe`` (refused when loading).
Nothing here imports the user's code, llvmlite or a compiler stage.

:func:`status_section` and :func:`clean_native` are what ``ember status`` / ``ember clean``
call; the section has the shape of the bytecode layer's (title, records with ``state``,
``reason``, ``source``, ``cache``, ``to_json()``), so both render as one report.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ember.native.cache import key as K
from ember.native.cache import store as S
from ember.support.skips import skip_reason, walks_everything

STATES = ("fresh", "stale", "orphan", "foreign", "corrupt", "unsafe")


@dataclass(frozen=True, slots=True)
class NativeRecord:
    """One entry file and its verdict. ``kind`` is ``so`` (a shared object, loaded
    without LLVM) or ``o`` (object code, loaded through llvmlite: no linker was found)."""

    path: str
    state: str
    reason: str
    source: str | None = None
    qualname: str | None = None
    signature: str | None = None
    kind: str = "so"
    size: int = 0
    cpu: str | None = None  # LLVM's CPU name recorded when it was compiled

    @property
    def label(self) -> str:
        """``dot(int64, int64)``, or the file name when the entry is unreadable."""
        return f"{self.qualname}{self.signature}" if self.qualname else os.path.basename(self.path)

    def describe(self) -> str:
        """``dot(int64, int64) [so]: fresh (sources unchanged)``."""
        return f"{self.label} [{self.kind}]: {self.state} ({self.reason})"

    # The bytecode layer's record shape, so ``ember status`` renders both alike.
    @property
    def cache(self) -> Path:
        return Path(self.path)

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state, "reason": self.reason, "source": self.source,
            "cache": self.path, "function": self.qualname, "signature": self.signature,
            "kind": self.kind, "size": self.size, "cpu": self.cpu,
        }  # fmt: skip


def _entry_files(folder: str) -> list[str]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(os.path.join(folder, n) for n in names if S.is_entry_name(n))


def _locations_for(source_dir: str) -> list[S.Location]:
    return S.candidate_dirs(os.path.join(source_dir, "x.py"))


def _walk_source_dirs(
    paths: Iterable[str | Path], default_excludes: bool = True
) -> tuple[list[str], set[str] | None]:
    dirs: list[str] = []
    files: set[str] = set()
    only_files = True
    for p in paths:
        p = os.path.abspath(os.fspath(p))
        if os.path.isdir(p):
            only_files = False
            # The bytecode walk's default excludes (virtual environments, build output...),
            # so `ember clean` and `ember status` leave the same folders alone in both.
            skips = default_excludes and not walks_everything(p)
            for root, subdirs, _ in os.walk(p):
                subdirs[:] = [
                    d
                    for d in subdirs
                    if d != S.PYCACHE
                    and not (skips and (d.startswith(".") or skip_reason(os.path.join(root, d), d)))
                ]
                dirs.append(root)
        else:
            files.add(p)
            dirs.append(os.path.dirname(p))
    return list(dict.fromkeys(dirs)), (files if only_files else None)


def scan_native_cache(
    paths: Iterable[str | Path] | None = None, *, default_excludes: bool = True
) -> list[NativeRecord]:
    """Verdicts for the native entries of the sources under ``paths`` (files or
    folders; their ``__pycache__`` and their per-user / ``EMBER_CACHE_DIR`` folders).
    ``None`` scans the whole per-user cache (and ``EMBER_CACHE_DIR``), which also finds
    entries whose source folder is gone."""
    locations, only = _native_locations(paths, default_excludes)
    entries = {e: loc.trust_root for loc in locations for e in _entry_files(loc.folder)}
    records = [judge_entry(e, anchor) for e, anchor in entries.items()]
    if only is not None:
        records = [r for r in records if r.source is None or r.source in only]
    return records


def _native_locations(
    paths: Iterable[str | Path] | None, default_excludes: bool = True
) -> tuple[list[S.Location], set[str] | None]:
    """The folders :func:`scan_native_cache` lists, and the source files it is limited
    to (None: every entry there)."""
    if paths is not None:
        dirs, only = _walk_source_dirs(paths, default_excludes)
        return [loc for d in dirs for loc in _locations_for(d)], only
    roots = [S.user_cache_root()]
    if os.environ.get("EMBER_CACHE_DIR"):
        roots.append(os.path.abspath(os.environ["EMBER_CACHE_DIR"]))
    locations = []
    for root in roots:
        native = os.path.join(root, "native")
        for sub in sorted(os.listdir(native)) if os.path.isdir(native) else ():
            locations.append(S.Location(os.path.join(native, sub), True, root))
    return locations, None


def judge_entry(path: str, anchor: str | None = None) -> NativeRecord:
    """The verdict on one entry file, without loading it (folders checked from
    ``anchor`` down, as a lookup does; never blocking on a FIFO)."""
    kind = "o" if path.endswith(".o") else "so"
    try:
        size = os.lstat(path).st_size
        _, _, meta = S.read_entry(path, anchor)
    except S.EntryError as err:
        return NativeRecord(path, err.kind, err.reason, kind=kind)
    except OSError as exc:
        return NativeRecord(path, "corrupt", f"cannot read: {exc.strerror or exc}", kind=kind)
    root = meta.get("root") or {}
    base = {
        "source": meta.get("source"),
        "qualname": root.get("qualname"),
        "signature": root.get("signature"),
        "kind": meta.get("kind", kind),
        "size": size,
        "cpu": (meta.get("llvm") or {}).get("cpu"),
    }
    state, reason = _verdict(meta)
    if state == "fresh" and meta.get("kind") == "o":
        reason += "; object code, loaded through llvmlite (no linker when compiled)"
    return NativeRecord(path, state, reason, **base)


def _verdict(meta: dict) -> tuple[str, str]:
    env, now = meta.get("env") or {}, K.environment_key()
    for part in ("implementation", "hexversion", "ext_suffix"):
        if env.get(part) != now[part]:
            return "foreign", f"made for another Python ({part} {env.get(part)})"
    if env.get("machine") != now["machine"]:
        return "foreign", f"made for another CPU ({(meta.get('llvm') or {}).get('cpu')})"
    for part in ("ember", "compiler", "llvmlite"):
        if env.get(part) != now[part]:
            return "stale", f"{part} changed since it was compiled"
    for src in meta.get("sources", ()):
        path, qualname = src["path"], src["qualname"]
        try:
            st = os.stat(path)
        except OSError:
            return "orphan", f"{path} is gone"
        if (st.st_mtime_ns, st.st_size) == (src["mtime_ns"], src["size"]):
            continue
        lines = K.read_lines(path) or []
        if K.function_digest(lines, src["line"]) == src["sha256"]:
            continue
        name = qualname.rsplit(".", 1)[-1]
        defs = [
            i + 1
            for i, text in enumerate(lines)
            if re.match(rf"\s*def\s+{re.escape(name)}\b", text)
        ]
        if not defs:
            return "orphan", f"{qualname} is no longer defined in {path}"
        if any(K.find_function_start(lines, d, src["sha256"], reach=30) for d in defs):
            continue  # moved in its file, text unchanged: a run re-validates it
        return "stale", f"the source of {qualname} changed"
    return "fresh", "sources unchanged; captured globals are checked when it loads"


def remove(records: Iterable[NativeRecord | str], *, dry_run: bool = False) -> tuple[int, int]:
    """Delete entries (records or paths); returns (files, bytes) removed. Only files
    ending in ember's entry trailer are removed, whatever their name says. A file that
    vanished meanwhile (another ``ember clean``, a rebuild) is skipped silently."""
    count = total = 0
    for r in records:
        path = r.path if isinstance(r, NativeRecord) else os.fspath(r)
        if not S.has_trailer(path):
            continue  # e.g. a user's libfoo.ember-plugin.so: not ours to delete
        try:
            size = os.path.getsize(path)
            if not dry_run:
                os.unlink(path)
        except FileNotFoundError:
            continue
        count += 1
        total += size
    return count, total


# What a killed writer leaves in a native cache folder: an entry's temporary
# (_fs.write_atomic: "<entry>.<pid>-<thread>.tmp"), a writability probe
# (".ember-probe-<pid>"), a private load copy of older versions (".ember-load-*.so").
_LEFTOVER = re.compile(
    r"(?:.+\.ember-.+\.(?:so|o)\.(?P<pid>\d+)-\d+\.tmp"
    r"|\.ember-probe-(?P<probe>\d+)(?:-\d+)?|\.ember-load-\w+\.so"
    # cache/lock.py's lock files, left only by a killed holder (a live one removes its own)
    r"|\..+\.ember-.+\.lock)"
)
# A leftover whose writer's pid may be alive (or is another host's) must be this old:
# a live writer takes milliseconds; an hour-old temporary is nobody's.
LEFTOVER_AGE = 3600.0


def leftovers(folder: str, now: float | None = None) -> list[str]:
    """The files in the native cache ``folder`` that a killed writer left: named as
    ember names them, regular files, and either their writer is gone or they are older
    than :data:`LEFTOVER_AGE` seconds."""
    import time  # only for ember clean

    now = time.time() if now is None else now
    found = []
    for name in _entry_names(folder):
        m = _LEFTOVER.fullmatch(name)
        if m is None:
            continue
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        pid = m.group("pid") or m.group("probe")
        if (pid is not None and not _alive(int(pid))) or now - st.st_mtime > LEFTOVER_AGE:
            found.append(path)
    return found


def _entry_names(folder: str) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process (EPERM): it may be writing
    return True


# ------------------------------------------------------------ ember status / clean


@dataclass(frozen=True, slots=True)
class NativeSection:
    """Native entries as one section of ``ember status`` (the shape of
    ``ember.pyc.status.StatusSection``: title, records, ok, counts, to_json)."""

    title: str
    records: tuple[NativeRecord, ...]

    @property
    def ok(self) -> bool:
        return all(r.state == "fresh" for r in self.records)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.records:
            out[r.state] = out.get(r.state, 0) + 1
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "title": self.title, "ok": self.ok, "counts": self.counts(),
            "records": [r.to_json() for r in self.records],
        }  # fmt: skip


def _shown(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if rel.startswith("..") else rel


def status_section(
    paths: Iterable[str | Path] | None = None, *, default_excludes: bool = True
) -> NativeSection:
    """``ember status``'s native section for ``paths``: one record per entry, the
    function and signature leading the reason; the title says where entries live and
    whether a linker is available (without one, entries hold object code that a run
    loads through llvmlite: a slower start)."""
    records = []
    for r in scan_native_cache(paths, default_excludes=default_excludes):
        source = _shown(r.source)
        reason = f"{r.label} [{r.kind}]: {r.reason}"
        records.append(
            NativeRecord(
                r.path, r.state, reason, source, r.qualname, r.signature, r.kind, r.size, r.cpu
            )  # fmt: skip
        )
    from ember.native.backend.engine import find_cc

    where = (
        f"under {os.environ['EMBER_CACHE_DIR']}" if os.environ.get("EMBER_CACHE_DIR")
        else f"in __pycache__ or {S.user_cache_root()}"
    )  # fmt: skip
    linker = (
        "" if find_cc() else "; no linker: new entries hold object code, loaded through llvmlite"
    )
    off = "; disabled by EMBER_CACHE=0" if os.environ.get("EMBER_CACHE", "1") == "0" else ""
    title = f"native caches ({K.cache_tag()}, {where}{linker}{off})"
    return NativeSection(title, tuple(records))


def clean_native(
    paths: Iterable[str | Path] | None = None,
    *,
    orphans: bool = False,
    stale: bool = False,
    dry_run: bool = False,
    default_excludes: bool = True,
) -> list[str]:
    """``ember clean``'s native part: remove the entries under ``paths`` (all unless
    ``orphans`` / ``stale`` narrow it; stale includes foreign, corrupt and unsafe
    entries) and what killed writers left in their folders (:func:`leftovers`). Only
    files recognised as ember's are removed (:func:`remove`), and a cache folder that
    is a symlink is not entered (it may lead out of the tree). Returns the paths
    removed (or that would be, with ``dry_run``)."""
    records = scan_native_cache(paths, default_excludes=default_excludes)
    chosen = [
        r for r in records
        if not (orphans or stale)
        or (orphans and r.state == "orphan")
        or (stale and r.state in ("stale", "foreign", "corrupt", "unsafe"))
    ]  # fmt: skip
    locations, _ = _native_locations(paths, default_excludes)
    linked = {loc.folder for loc in locations if os.path.islink(loc.folder)}
    gone = [r.path for r in chosen if os.path.dirname(r.path) not in linked]
    removed = [p for p in gone if remove([p], dry_run=dry_run)[0]]
    for folder in dict.fromkeys(loc.folder for loc in locations):
        if folder in linked:
            continue
        for path in leftovers(folder):
            try:
                if not dry_run:
                    os.unlink(path)
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed
