"""Ahead-of-time extensions under some paths → one verdict each, for ``ember status``;
and rebuilding the stale ones, for ``ember build --native``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     section = status_section([empty])
    >>> section.title, section.records, section.ok
    ('ahead-of-time extensions (ember aot)', (), True)

A stale record's reason reads ``kernels.cpython-311-x86_64-linux-gnu.so: src/kernels.py
changed since it was built (sha256 differs)`` (tests/native/aot/test_stale.py).

An extension is ember's when its file carries the metadata blob
(:mod:`~ember.native.aot.meta`); other shared objects are left alone. Nothing here loads
an extension, imports the user's code or LLVM.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ember.native.aot.meta import locate, read_metadata, verdict
from ember.support.skips import skip_reason, walks_everything

# Shared-object names an importer loads (CPython's EXTENSION_SUFFIXES end so).
_SUFFIXES = (".so", ".pyd")


@dataclass(frozen=True, slots=True)
class AotRecord:
    """One extension and its verdict (the record shape ``ember status`` renders:
    ``state``, ``reason``, ``source``, ``cache``)."""

    path: str
    state: str
    reason: str
    source: str | None
    meta: dict[str, Any]

    @property
    def cache(self) -> Path:
        return Path(self.path)

    @property
    def file_label(self) -> str:
        """What ``ember status`` shows in its FILE column: the extension (the reason
        names its source)."""
        return _shown(self.path)

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state, "reason": self.reason, "source": self.source,
            "cache": self.path, "module": self.meta.get("module"),
            "cpu": self.meta.get("cpu"), "functions": self.meta.get("functions"),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class AotSection:
    """``ember status``'s section for ahead-of-time extensions."""

    title: str
    records: tuple[AotRecord, ...]
    noun = "extension"  # the count line's: "2 extensions: 1 fresh, 1 stale"

    @property
    def ok(self) -> bool:
        return all(r.state == "fresh" for r in self.records)

    def to_json(self) -> dict[str, object]:
        counts: dict[str, int] = {}
        for r in self.records:
            counts[r.state] = counts.get(r.state, 0) + 1
        return {"title": self.title, "ok": self.ok, "counts": counts,
                "records": [r.to_json() for r in self.records]}


def extension_files(paths: Iterable[str | Path], default_excludes: bool = True) -> list[str]:
    """The shared objects under ``paths`` (files or folders), walking as ``ember
    build`` walks: virtual environments, build output and the like skipped unless named."""
    found: list[str] = []
    for p in paths:
        p = os.path.abspath(os.fspath(p))
        if not os.path.isdir(p):
            if p.endswith(_SUFFIXES):
                found.append(p)
            continue
        skips = default_excludes and not walks_everything(p)
        for root, subdirs, files in os.walk(p):
            subdirs[:] = sorted(
                d for d in subdirs
                if not (skips and (d.startswith(".") or skip_reason(os.path.join(root, d), d)))
            )  # fmt: skip
            found.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(_SUFFIXES))
    return list(dict.fromkeys(found))


def scan(paths: Iterable[str | Path], default_excludes: bool = True) -> list[AotRecord]:
    """A verdict for each of ember's extensions under ``paths``."""
    records = []
    for path in extension_files(paths, default_excludes):
        meta = read_metadata(path)
        if meta is None:
            continue
        state, reason = verdict(meta, path)
        sources = meta.get("sources") or [{}]
        where = locate(sources[0], path) if sources[0] else None
        shown = _shown(where or sources[0].get("path") or path)
        records.append(AotRecord(path, state, reason, shown, meta))
    return records


def status_section(paths: Iterable[str | Path], default_excludes: bool = True) -> AotSection:
    """The section ``ember status`` prints (empty when there are no extensions)."""
    return AotSection("ahead-of-time extensions (ember aot)",
                      tuple(scan(paths, default_excludes)))


def rebuild_command(record: AotRecord) -> list[str]:
    """The ``ember aot`` command that builds the extension again as it was built: its
    source, folder, CPU option and the signatures it was given."""
    meta = record.meta
    source = locate(meta["sources"][0], record.path) or meta["sources"][0]["path"]
    cmd = [sys.executable, "-m", "ember", "aot", source, "-o", os.path.dirname(record.path),
           "--cpu", meta.get("cpu", "portable")]
    for sig in meta.get("signatures", ()):
        cmd += ["--signature", sig]
    return cmd


def rebuild(records: Sequence[AotRecord]) -> list[tuple[AotRecord, int, str]]:
    """Build the ``stale`` extensions among ``records`` again, each in its own process
    (the module runs to find its functions; one module's state never leaks into the
    next); returns (record, exit status, stderr) for each one built."""
    import subprocess

    done = []
    for r in records:
        if r.state != "stale":
            continue
        env = {**os.environ, "EMBER_CACHE": "0"}
        proc = subprocess.run(rebuild_command(r), capture_output=True, text=True, env=env,
                              check=False)
        done.append((r, proc.returncode, proc.stderr.strip()))
    return done


def _shown(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
