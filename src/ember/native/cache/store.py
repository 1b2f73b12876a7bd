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
others, is refused (loading a shared object runs its code). A location's folders are
checked from its *anchor* (the cache root, or ``__pycache__`` itself) down, through open
descriptors, so what was checked is what is read (docs/security.md).
"""

from __future__ import annotations

import _thread
import errno
import os
import stat
import sys

from ember.support import fs as _fs
from ember.support.digest import sha256, sha256_hex
from ember.support.record import record

# Every cache hit reads an entry through this module: none of `typing` (~3 ms),
# `dataclasses` (~12 ms), `hashlib` (~3 ms) or `json` (~3 ms with the `re` it imports)
# at import (see :func:`parse_meta`).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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


class NativeCacheWarning(RuntimeWarning):
    """A cache entry was refused (corrupt, foreign, unsafe or mismatched) and is being
    rebuilt, or a cache folder was refused and another is used."""


# Warnings already given in this process: each is said once.
_WARNED: set[str] = set()


def warn_once(key: str, message: str) -> None:
    """Warn ``message`` (a :class:`NativeCacheWarning`) unless ``key`` was warned of."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    debug(message)
    import warnings  # only when something is refused: not on the warm path

    from ember.support.warnings import user_stacklevel

    warnings.warn(message, NativeCacheWarning, stacklevel=user_stacklevel())


# ------------------------------------------------------------------ file format


def pack(payload: bytes, meta: dict[str, Any]) -> bytes:
    """The bytes of an entry: ``payload`` followed by ``meta`` (its ``sha256`` added)."""
    import json  # only when storing, after a compile

    meta = {**meta, "sha256": sha256_hex(payload)}
    text = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
    return b"".join((payload, text, sha256(text), len(text).to_bytes(8, "little"), MAGIC))


def parse_meta(text: bytes) -> Any:
    """``json.loads(text)`` for the metadata :func:`pack` writes, without importing
    :mod:`json` on a cache hit: json imports :mod:`re` and compiles its patterns (~3 ms,
    most of a warm start). This is the C scanner ``json.loads`` itself runs, with the
    settings it uses by default; raises ValueError for text that is not one JSON value.
    """
    global _scan
    if _scan is None:
        try:
            from _json import make_scanner  # CPython's C accelerator of json.decoder
        except ImportError:  # pragma: no cover - an interpreter without it
            import json

            _scan = _JsonLoads(json.loads)
        else:
            _scan = make_scanner(_DefaultDecoding())
    doc = text.decode("utf-8").strip(" \t\n\r")  # JSON's own whitespace
    try:
        value, end = _scan(doc, 0)
    except StopIteration:
        raise ValueError("no JSON value") from None
    if end != len(doc):
        raise ValueError(f"extra data after the JSON value, at {end}")
    return value


class _DefaultDecoding:
    """What ``json.JSONDecoder()`` hands its scanner: the default settings."""

    strict = True  # no raw control characters in strings
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # NaN, Infinity, -Infinity, as json's own table gives them


class _JsonLoads:
    """The scanner's calling convention around ``json.loads`` (the fallback)."""

    def __init__(self, loads: Any) -> None:
        self.loads = loads

    def __call__(self, doc: str, index: int) -> tuple[Any, int]:
        return self.loads(doc[index:]), len(doc)


_scan: Any = None  # the scanner, made at the first entry read


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
    if sha256(text) != blob[end : end + 32]:
        raise EntryError("corrupt", "metadata checksum mismatch")
    try:
        meta = parse_meta(text)
    except ValueError as exc:  # pragma: no cover - the hash matched: written so by us
        raise EntryError("corrupt", f"unreadable metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") not in (None, FORMAT):
        raise EntryError("corrupt", "unknown entry format")
    return start, meta


def unpack(blob: bytes) -> tuple[bytes, dict[str, Any]]:
    """Payload and metadata of an entry, both verified; raises :class:`EntryError`."""
    start, meta = unpack_meta(blob)
    payload = blob[:start]
    if sha256_hex(payload) != meta.get("sha256"):
        raise EntryError("corrupt", "checksum mismatch (the code bytes were altered)")
    return payload, meta


def read_meta(path: str) -> dict[str, Any]:
    """The metadata of the entry at ``path`` reading only its tail (for listings).
    Raises OSError, or :class:`EntryError` for a file that is not an entry."""
    fd = open_entry_fd(path)
    try:
        total = _regular_size(fd, path)
        if total < _TAIL:
            raise EntryError("corrupt", "truncated (no end marker)")
        tail = os.pread(fd, _TAIL, total - _TAIL)
        size = int.from_bytes(tail[32:40], "little")
        if tail[-len(MAGIC) :] != MAGIC or not 0 < size <= total - _TAIL:
            raise EntryError("corrupt", "truncated (no end marker)")
        text = os.pread(fd, size, total - _TAIL - size)
    finally:
        os.close(fd)
    return unpack_meta(text + tail)[1]


def has_trailer(path: str) -> bool:
    """Whether ``path`` is a regular file ending in ember's entry trailer (magic and a
    plausible metadata length): what ``ember clean`` requires before deleting it, so a
    user's ``libfoo.ember-plugin.so`` is never taken for an entry by its name."""
    try:
        fd = open_entry_fd(path)
    except (OSError, EntryError):
        return False
    try:
        total = _regular_size(fd, path)
        if total < _TAIL:
            return False
        tail = os.pread(fd, _TAIL, total - _TAIL)
    except (OSError, EntryError):
        return False
    finally:
        os.close(fd)
    size = int.from_bytes(tail[32:40], "little")
    return tail[-len(MAGIC) :] == MAGIC and 0 < size <= total - _TAIL


# ------------------------------------------------------------------ safety


# Entries are opened without following a symlink (a link could point anywhere) and
# without blocking (opening a FIFO named like an entry would wait for a writer forever).
_ENTRY_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)  # fmt: skip
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
# Without openat (Windows) folders are checked by path, entries opened by path.
_HAS_DIR_FD = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")


def trust_problem(st: os.stat_result, what: str, path: str) -> str | None:
    """Why a file or folder with status ``st`` must not be trusted, or None: it must be
    the user's, and writable by nobody else (its code would run in our process)."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    if uid is not None and st.st_uid != uid:
        return f"{what} {path} is owned by uid {st.st_uid}, not by you ({uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{what} {path} is writable by others (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _check_owner_mode(st: os.stat_result, what: str, path: str) -> None:
    problem = trust_problem(st, what, path)
    if problem is not None:
        raise EntryError("unsafe", problem)


def _file_kind(st: os.stat_result) -> str:
    if stat.S_ISDIR(st.st_mode):
        return "a folder"
    if stat.S_ISFIFO(st.st_mode):
        return "a FIFO"
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    return "not a regular file"


def _regular_size(fd: int, path: str) -> int:
    st = os.fstat(fd)  # of the open descriptor: what is checked is what is read
    if not stat.S_ISREG(st.st_mode):
        raise EntryError("unsafe", f"{path} is {_file_kind(st)}, not a regular file")
    return st.st_size


def open_entry_fd(path: str, dir_fd: int | None = None) -> int:
    """A read descriptor of the entry ``path`` (its base name within ``dir_fd`` when
    given), never through a symlink and never blocking. Raises FileNotFoundError,
    OSError, or :class:`EntryError` (``unsafe``) for a symlink."""
    name = os.path.basename(path) if dir_fd is not None else path
    try:
        return os.open(name, _ENTRY_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (
            exc.errno == errno.EMLINK and sys.platform.startswith("freebsd")
        ):
            raise EntryError("unsafe", f"{path} is a symbolic link, not a regular file") from None
        raise


def check_folder(folder: str) -> None:
    """Refuse a folder holding entries unless it is the user's and only the user's to
    write (an entry there could be swapped for someone else's code)."""
    fd, problem = open_folder(folder, folder)
    os.close(fd)
    if problem is not None:
        raise EntryError("unsafe", problem)


def open_folder(anchor: str, folder: str) -> tuple[int, str | None]:
    """A descriptor of ``folder`` reached from ``anchor`` one component at a time
    (each opened within the last, never through a symlink), and the first reason any of
    them must not be trusted (None: all are the user's only). Holding the descriptor,
    nobody else can swap what is found in it: its folders are writable by the user only.
    Raises OSError (FileNotFoundError for a missing folder) or :class:`EntryError` for a
    symlink below the anchor."""
    rel = os.path.relpath(folder, anchor)
    if rel.startswith(os.pardir) or not _HAS_DIR_FD:
        anchor, rel = folder, os.curdir
    fd = os.open(anchor, _DIR_FLAGS)  # the anchor may be a symlink: its target is checked
    try:
        st = os.fstat(fd)
        problem = None if stat.S_ISDIR(st.st_mode) else f"{anchor} is not a folder"
        problem = problem or trust_problem(st, "folder", anchor)
        here = anchor
        for part in () if rel == os.curdir else rel.split(os.sep):
            here = os.path.join(here, part)
            try:
                sub = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(here):
                    raise EntryError("unsafe", f"folder {here} is a symbolic link") from None
                raise
            os.close(fd)
            fd = sub
            problem = problem or trust_problem(os.fstat(fd), "folder", here)
    except BaseException:
        os.close(fd)
        raise
    return fd, problem


def read_entry(path: str, anchor: str | None = None) -> tuple[bytes, bytes, dict[str, Any]]:
    """The verified bytes, payload and metadata of the entry at ``path``: every folder
    from ``anchor`` (default: the entry's own folder) down and the file itself are
    checked for ownership and mode on open descriptors, then both checksums. The bytes
    returned are the ones verified: load those, never ``path`` again.

    Raises OSError (FileNotFoundError when there is no entry), :class:`EntryError` when
    it must be refused.
    """
    folder = os.path.dirname(path) or "."
    dir_fd, problem = open_folder(anchor or folder, folder)
    try:
        fd = open_entry_fd(path, dir_fd if _HAS_DIR_FD else None)
    finally:
        os.close(dir_fd)
    try:
        if problem is not None:  # said only now: an unsafe folder holding no entry is no news
            raise EntryError("unsafe", problem)
        _regular_size(fd, path)
        _check_owner_mode(os.fstat(fd), "entry", path)
        with open(fd, "rb", closefd=False) as f:
            blob = f.read()
    finally:
        os.close(fd)
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
    """Publish an entry whole, private to the user (mode 0o600): see :func:`ember.support.fs.write_atomic`."""
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
    digest = sha256_hex(absolute.encode("utf-8", "surrogateescape"))[:12]
    return os.path.join(root, "native", f"{os.path.basename(absolute) or 'root'}-{digest}")


@record
class Location:
    """A folder entries of one source folder may be in; ``private`` folders live under
    a cache root ember owns (created 0o700 all the way). ``anchor`` is where the trust
    check starts: the cache root, or the folder itself for a ``__pycache__``."""

    folder: str
    private: bool
    anchor: str = ""

    @property
    def trust_root(self) -> str:
        """The folder checks start at (``anchor``, or ``folder`` when none is set)."""
        return self.anchor or self.folder


def root_problem(root: str, folder: str) -> str | None:
    """Why the cache root ``root`` must not hold ``folder``'s entries, or None: the
    root and each existing folder down to ``folder`` must be the user's only, and none
    below the root a symlink (another user could redirect it to their own tree)."""
    here, parts = root, os.path.relpath(folder, root).split(os.sep)
    for i, part in enumerate([os.curdir, *parts]):
        here = os.path.normpath(os.path.join(here, part))
        try:
            st = os.stat(here) if i == 0 else os.lstat(here)
        except FileNotFoundError:
            return None  # created user-only when the first entry is stored
        except OSError as exc:
            return f"{here} cannot be checked ({exc.strerror or exc})"
        if stat.S_ISLNK(st.st_mode):
            return f"folder {here} is a symbolic link"
        if not stat.S_ISDIR(st.st_mode):
            return f"{here} is not a folder"
        problem = trust_problem(st, "folder", here)
        if problem is not None:
            return problem
    return None


def candidate_dirs(source_path: str) -> list[Location]:
    """Where entries for functions of ``source_path`` are looked for, first first;
    the first writable one is where a new entry is written. A refused
    ``$EMBER_CACHE_DIR`` (see :func:`root_problem`) is said once, and the per-user cache
    is used instead."""
    source_dir = os.path.dirname(os.path.abspath(source_path))
    user = user_cache_root()
    in_user = Location(_flat_folder(user, source_dir), True, user)
    override = os.environ.get("EMBER_CACHE_DIR")
    if override:
        root = os.path.abspath(override)
        folder = _flat_folder(root, source_dir)
        problem = root_problem(root, folder)
        if problem is None:
            return [Location(folder, True, root)]
        warn_once(
            f"root {root}",
            f"ember: not using EMBER_CACHE_DIR={override}: {problem}; "
            f"native code is cached in {user} instead",
        )
        return [in_user]
    return [Location(os.path.join(source_dir, PYCACHE), False), in_user]


def blocked(path: str) -> bool:
    """Whether something that is not a regular file (a folder, a FIFO) holds the name
    ``path``: an entry cannot be published there."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISLNK(mode))  # a symlink is replaced whole


def writable_location(source_path: str, entry_name: str | None = None) -> Location | None:
    """The folder a new entry for ``source_path`` goes to (created if needed), or None
    when no candidate can be written. A folder where ``entry_name`` is taken by a
    non-file (see :func:`blocked`) is passed over."""
    for loc in candidate_dirs(source_path):
        try:
            if loc.private:
                make_private_dirs(loc.folder)
            elif not os.path.isdir(loc.folder):
                # Like CPython's __pycache__, but user-only: it may hold native code.
                try:
                    os.mkdir(loc.folder, 0o700)
                except FileExistsError:
                    pass  # another process made it just now (N workers miss at once)
            fd, problem = open_folder(loc.trust_root, loc.folder)
            os.close(fd)
            if problem is not None:
                continue
            if entry_name is not None and blocked(os.path.join(loc.folder, entry_name)):
                debug(f"not using {loc.folder}: {entry_name} there is not a regular file")
                continue
            if not os.access(loc.folder, os.W_OK):
                continue
            # Per thread too: a store in the background and a miss in the caller probe
            # at once, and one's unlink must not remove the other's probe.
            probe = os.path.join(loc.folder, f".ember-probe-{os.getpid()}-{_thread.get_ident()}")
            # os.access says yes to root on a read-only mount; a real write answers.
            with open(probe, "wb"):
                pass
            os.unlink(probe)
            return loc
        except (OSError, EntryError):
            continue
    return None


# ------------------------------------------------------------------ payloads


def _host_elf() -> tuple[bytes, bytes] | None:
    """(EI_CLASS + EI_DATA bytes, e_machine bytes) of this interpreter's executable, the
    identity a loadable ELF object must share; None when it is not ELF."""
    global _HOST_ELF
    if _HOST_ELF is None:
        try:
            with open(sys.executable, "rb") as f:
                head = f.read(20)
        except OSError:
            head = b""
        _HOST_ELF = (head[4:6], head[18:20]) if head[:4] == b"\x7fELF" else ()
    return _HOST_ELF or None


_HOST_ELF: tuple[bytes, bytes] | tuple[()] | None = None
_ELF_TYPES = {"o": 1, "so": 3}  # ET_REL: object code for the JIT; ET_DYN: a shared object


def check_payload(kind: str, payload: bytes) -> None:
    """Refuse (``corrupt``) a payload that is not an object of this machine's format
    and of the entry's ``kind``: its checksum only says it is the bytes written, not
    that they can be loaded (garbage would fail at the first call, in the JIT)."""
    host = _host_elf()
    if host is None:
        return  # Mach-O / PE hosts: the loader's own error is reported when loading
    ident, machine = host
    if payload[:4] != b"\x7fELF" or len(payload) < 64:
        raise EntryError("corrupt", "its code is not an ELF object")
    if payload[4:6] != ident:
        raise EntryError("corrupt", "its code is an ELF object of another class or byte order")
    order = "little" if ident[1] == 1 else "big"
    if payload[18:20] != machine:
        raise EntryError("corrupt", "its code is an ELF object for another CPU")
    if int.from_bytes(payload[16:18], order) != _ELF_TYPES.get(kind):
        what = "shared object" if kind == "so" else "object file"
        raise EntryError("corrupt", f"its code is not an ELF {what}")
    wide = ident[0] == 2
    shoff = int.from_bytes(payload[40:48] if wide else payload[32:36], order)
    shentsize, shnum = (
        int.from_bytes(payload[i : i + 2], order) for i in ((58, 60) if wide else (46, 48))
    )
    if shoff + shentsize * shnum > len(payload):
        raise EntryError("corrupt", "its code is a truncated ELF object")


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
