"""Native cache files: where entries live, their format, and the checks before loading.

One entry is ONE file, so that publishing it is one atomic rename::

    <payload: a shared object (.so) or an object file (.o)>
    <metadata: UTF-8 JSON, the entry's full key and the payload's sha256>
    <sha256 of the metadata: 32 bytes>
    <length of the metadata: 8 bytes, little-endian>
    <magic: b"EMBERNC1">

The dynamic loader reads an ELF/Mach-O file through its own headers and ignores bytes
after them, so the file is loaded as it is. Every byte is covered by a checksum: a
truncated file loses its magic, a flipped byte breaks one of the two hashes.

    >>> blob = pack(b"payload", {"k": 1})
    >>> unpack(blob)
    (b'payload', {'k': 1, 'sha256': '239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5'})

Locations (:func:`candidate_dirs`): ``$EMBER_CACHE_DIR`` when set; else the source's
``__pycache__`` folder, then a per-user folder (``$XDG_CACHE_HOME/ember`` or
``~/.cache/ember``) for sources whose folder is not writable. Folders ember creates are
user-only (0o700); an entry or folder not owned by the user, or writable by group or
others, is refused (loading a shared object runs its code).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from dataclasses import dataclass
from typing import Any

from ember import _fs

MAGIC = b"EMBERNC1"
FORMAT = 1
_TAIL = 32 + 8 + len(MAGIC)  # metadata hash + length + magic
EXTENSIONS = (".so", ".o")  # a linked shared object, or object code (no linker here)
PYCACHE = "__pycache__"


class EntryError(Exception):
    """An entry that must not be loaded; ``kind`` is ``corrupt``, ``unsafe`` or
    ``foreign``/``mismatch`` (set by the caller), and the message says why."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


# ------------------------------------------------------------------ file format


def pack(payload: bytes, meta: dict[str, Any]) -> bytes:
    """The bytes of an entry: ``payload`` followed by ``meta`` (its ``sha256`` added)."""
    meta = {**meta, "sha256": hashlib.sha256(payload).hexdigest()}
    text = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
    return b"".join(
        (payload, text, hashlib.sha256(text).digest(), len(text).to_bytes(8, "little"), MAGIC)
    )


def unpack_meta(blob: bytes) -> tuple[int, dict[str, Any]]:
    """The payload's length and the metadata of an entry's bytes (payload unchecked).
    Raises :class:`EntryError` (``corrupt``) for truncated or altered bytes."""
    if len(blob) < _TAIL or blob[-len(MAGIC) :] != MAGIC:
        raise EntryError("corrupt", "truncated (no end marker)")
    size = int.from_bytes(blob[-len(MAGIC) - 8 : -len(MAGIC)], "little")
    end = len(blob) - _TAIL
    start = end - size
    if size <= 0 or start < 0:
        raise EntryError("corrupt", "truncated (bad metadata length)")
    text = blob[start:end]
    if hashlib.sha256(text).digest() != blob[end : end + 32]:
        raise EntryError("corrupt", "metadata checksum mismatch")
    try:
        meta = json.loads(text)
    except ValueError as exc:  # pragma: no cover - the hash matched: written so by us
        raise EntryError("corrupt", f"unreadable metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") not in (None, FORMAT):
        raise EntryError("corrupt", "unknown entry format")
    return start, meta


def unpack(blob: bytes) -> tuple[bytes, dict[str, Any]]:
    """Payload and metadata of an entry, both verified; raises :class:`EntryError`."""
    start, meta = unpack_meta(blob)
    payload = blob[:start]
    if hashlib.sha256(payload).hexdigest() != meta.get("sha256"):
        raise EntryError("corrupt", "checksum mismatch (the code bytes were altered)")
    return payload, meta


def read_meta(path: str) -> dict[str, Any]:
    """The metadata of the entry at ``path`` reading only its tail (for listings)."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        total = f.tell()
        if total < _TAIL:
            raise EntryError("corrupt", "truncated (no end marker)")
        f.seek(total - _TAIL)
        tail = f.read(_TAIL)
        size = int.from_bytes(tail[32:40], "little")
        if tail[-len(MAGIC) :] != MAGIC or not 0 < size <= total - _TAIL:
            raise EntryError("corrupt", "truncated (no end marker)")
        f.seek(total - _TAIL - size)
        text = f.read(size)
    return unpack_meta(text + tail)[1]


# ------------------------------------------------------------------ safety


def _check_owner_mode(st: os.stat_result, what: str, path: str) -> None:
    uid = os.getuid() if hasattr(os, "getuid") else None
    if uid is not None and st.st_uid != uid:
        raise EntryError("unsafe", f"{what} {path} is owned by uid {st.st_uid}, not by you ({uid})")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise EntryError(
            "unsafe", f"{what} {path} is writable by others (mode {stat.S_IMODE(st.st_mode):o})"
        )


def check_folder(folder: str) -> None:
    """Refuse a folder holding entries unless it is the user's and only the user's to
    write (an entry there could be swapped for someone else's code)."""
    st = os.stat(folder)
    if not stat.S_ISDIR(st.st_mode):
        raise EntryError("unsafe", f"{folder} is not a folder")
    _check_owner_mode(st, "folder", folder)


def read_entry(path: str) -> tuple[bytes, bytes, dict[str, Any]]:
    """The verified bytes, payload and metadata of the entry at ``path``: the file and
    its folder are checked for ownership and mode, then both checksums.

    Raises OSError when there is no file, :class:`EntryError` when it must be refused.
    """
    check_folder(os.path.dirname(path) or ".")
    with open(path, "rb") as f:
        # fstat of the open file: the mode checked is that of the bytes read.
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise EntryError("unsafe", f"{path} is not a regular file")
        _check_owner_mode(st, "entry", path)
        blob = f.read()
    payload, meta = unpack(blob)
    return blob, payload, meta


# ------------------------------------------------------------------ writing


def make_private_dirs(folder: str) -> None:
    """Create ``folder`` (and missing parents) user-only, 0o700."""
    if os.path.isdir(folder):
        return
    parent = os.path.dirname(folder)
    if parent and parent != folder and not os.path.isdir(parent):
        make_private_dirs(parent)
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    else:
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask


def write_atomic(path: str, data: bytes) -> None:
    """Publish an entry whole, private to the user (mode 0o600): see :func:`ember._fs.write_atomic`."""
    _fs.write_atomic(path, data, 0o600)


# ------------------------------------------------------------------ locations


def user_cache_root() -> str:
    """``$XDG_CACHE_HOME/ember`` or ``~/.cache/ember``: for sources whose folder is not
    writable (a read-only tree, site-packages owned by root)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ember")


def _flat_folder(root: str, source_dir: str) -> str:
    # One folder per source folder, named readably plus a hash of the absolute path, so
    # two packages' kernels.py never meet.
    absolute = os.path.abspath(source_dir)
    digest = hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return os.path.join(root, "native", f"{os.path.basename(absolute) or 'root'}-{digest}")


@dataclass(frozen=True, slots=True)
class Location:
    """A folder entries of one source folder may be in; ``private`` folders live under
    a cache root ember owns (created 0o700 all the way)."""

    folder: str
    private: bool


def candidate_dirs(source_path: str) -> list[Location]:
    """Where entries for functions of ``source_path`` are looked for, first first;
    the first writable one is where a new entry is written."""
    source_dir = os.path.dirname(os.path.abspath(source_path))
    override = os.environ.get("EMBER_CACHE_DIR")
    if override:
        return [Location(_flat_folder(os.path.abspath(override), source_dir), True)]
    return [
        Location(os.path.join(source_dir, PYCACHE), False),
        Location(_flat_folder(user_cache_root(), source_dir), True),
    ]


def writable_location(source_path: str) -> Location | None:
    """The folder a new entry for ``source_path`` goes to (created if needed), or None
    when no candidate can be written."""
    for loc in candidate_dirs(source_path):
        try:
            if loc.private:
                make_private_dirs(loc.folder)
            elif not os.path.isdir(loc.folder):
                # Like CPython's __pycache__, but user-only: it may hold native code.
                os.mkdir(loc.folder, 0o700)
            check_folder(loc.folder)
            if not os.access(loc.folder, os.W_OK):
                continue
            probe = os.path.join(loc.folder, f".ember-probe-{os.getpid()}")
            # os.access says yes to root on a read-only mount; a real write answers.
            with open(probe, "wb"):
                pass
            os.unlink(probe)
            return loc
        except (OSError, EntryError):
            continue
    return None


def is_entry_name(name: str) -> bool:
    return ".ember-" in name and name.endswith(EXTENSIONS) and not name.startswith(".")


def debug_enabled() -> bool:
    """``EMBER_DEBUG=cache`` (or a list with ``cache``, or ``all``)."""
    flags = os.environ.get("EMBER_DEBUG", "")
    return any(part.strip() in ("cache", "all", "1") for part in flags.split(","))


def debug(message: str) -> None:
    if debug_enabled():
        sys.stderr.write(f"ember cache: {message}\n")
        sys.stderr.flush()
