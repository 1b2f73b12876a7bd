"""What an ahead-of-time extension records about how it was built, and the verdict on
it now: sources (path, size, mtime, sha256) → a JSON blob inside the shared object →
``fresh`` / ``stale`` / ``orphan`` / ``foreign`` with a reason, as a ``.pyc`` is judged.

The blob sits in the extension's read-only data between two markers, so ``ember status``
reads it from the file without loading the extension (or any of ember's compiler)::

    >>> blob = encode({"format": FORMAT, "module": "kernels"})
    >>> decode(b"ELF..." + blob + b"...")["module"]
    'kernels'

The first source is the module itself; the others are the modules whose ``@jit``
functions its compiled code calls (compiled into it, so an edit there makes it stale).
Standard library only: no llvmlite, no NumPy.
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FORMAT = 1
MARKER = b"\0ember-aot-metadata:"
END = b":end-ember-aot-metadata\0"


def file_record(path: str | Path, base: str | Path) -> dict[str, Any]:
    """One source as recorded: absolute path, path relative to the extension's folder
    ``base`` (found again after the tree moves), size, mtime (ns) and sha256."""
    st = os.stat(path)
    data = Path(path).read_bytes()
    return {
        "path": os.path.abspath(path),
        "rel": os.path.relpath(os.path.abspath(path), os.path.abspath(base)),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def environment() -> dict[str, str]:
    """ember's version and the interpreter the extension is for (its suffix)."""
    from ember._version import __version__

    return {"ember": __version__, "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX") or ""}


def encode(meta: Mapping[str, Any]) -> bytes:
    """The blob the extension carries: markers around compact JSON."""
    return MARKER + json.dumps(meta, separators=(",", ":"), sort_keys=True).encode() + END


def decode(data: bytes) -> dict[str, Any] | None:
    """The metadata found in a file's bytes, or None (not an ember extension)."""
    start = data.find(MARKER)
    while start >= 0:
        end = data.find(END, start)
        if end < 0:
            return None
        try:
            meta = json.loads(data[start + len(MARKER):end])
        except ValueError:
            meta = None
        if isinstance(meta, dict) and "format" in meta:
            return meta
        start = data.find(MARKER, start + 1)
    return None


def read_metadata(path: str | Path) -> dict[str, Any] | None:
    """The metadata of the extension at ``path``, or None when it is not one of ember's
    (or cannot be read)."""
    import mmap
    import stat

    try:
        # Non-blocking, then regular files only: a FIFO named x.so (in a cache folder,
        # say) would block a plain open until a writer came.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                if mm.find(MARKER) < 0:
                    return None
                return decode(mm[:])
    except (OSError, ValueError):  # unreadable, or empty (mmap refuses length 0)
        return None


def locate(record: Mapping[str, Any], extension: str | Path) -> str | None:
    """Where a recorded source is now: where it was relative to the extension (the tree
    may have moved), else beside it under its own name (an installed wheel: built in a
    temporary folder, installed next to its package's sources), else at its absolute
    path; None when none exists."""
    folder = os.path.dirname(os.path.abspath(extension))
    here = os.path.normpath(os.path.join(folder, record["rel"]))
    beside = os.path.join(folder, os.path.basename(record["path"]))
    for candidate in (here, beside, record["path"]):
        if os.path.isfile(candidate):
            return candidate
    return None


def source_changed(record: Mapping[str, Any], path: str) -> bool:
    """Whether the file at ``path`` differs from the recorded one: one stat first, the
    hash only when mtime or size differ (a checkout that touched it, say)."""
    st = os.stat(path)
    if (st.st_size, st.st_mtime_ns) == (record["size"], record["mtime_ns"]):
        return False
    if st.st_size != record["size"]:
        return True
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() != record["sha256"]


def verdict(meta: Mapping[str, Any], extension: str | Path) -> tuple[str, str]:
    """(state, reason) for an extension built with ``meta``: ``foreign`` (another
    Python's), ``stale`` (ember changed, or a source did), ``orphan`` (its module's
    source is gone: nothing to rebuild from), else ``fresh``."""
    now = environment()
    if meta.get("format") != FORMAT:
        return "stale", f"written in ember's metadata format {meta.get('format')}, not {FORMAT}"
    if meta.get("ext_suffix") != now["ext_suffix"]:
        return "foreign", f"built for another Python ({meta.get('ext_suffix')})"
    if meta.get("ember") != now["ember"]:
        return "stale", f"built by ember {meta.get('ember')}; this is ember {now['ember']}"
    sources = meta.get("sources") or []
    for i, record in enumerate(sources):
        where = locate(record, extension)
        shown = _shown(record["path"] if where is None else where)
        if where is None:
            if i == 0:
                return "orphan", f"its source {shown} is gone"
            return "stale", f"{shown}, whose code it holds, is gone"
        if source_changed(record, where):
            if i == 0:
                return "stale", f"{shown} changed since it was built (sha256 differs)"
            return "stale", f"{shown}, whose code it holds, changed (sha256 differs)"
    return "fresh", "sources unchanged since it was built"


def _shown(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if rel.startswith("..") else rel
