"""The 16-byte ``.pyc`` header (PEP 552), and nothing else owns it.

bytes → :class:`PycHeader` (:func:`classify`), fields → bytes (:func:`pack`), and the
importer's freshness checks against a source (:func:`check_timestamp`,
:func:`check_hash`), mirroring ``importlib._bootstrap_external``::

    0      4      8                16
    magic  flags  mtime | size     (flags bit 0 clear: timestamp pyc)
    magic  flags  siphash(source)  (bit 0 set: hash pyc; bit 1: check_source)

>>> h = classify(pack(InvalidationMode.TIMESTAMP, mtime=1700000000, source_size=12))
>>> h.mode.value, h.mtime, h.source_size
('timestamp', 1700000000, 12)
"""

from __future__ import annotations

import enum

# The frozen importer is always loaded: taking MAGIC_NUMBER and the hash from it (not
# importlib.util, nor dataclasses) keeps this module cheap, because `ember run` imports
# it on its start-up path whenever it writes the script's pyc.
try:
    from _frozen_importlib_external import MAGIC_NUMBER
except ImportError:  # pragma: no cover - an interpreter without the frozen importlib
    from importlib.util import MAGIC_NUMBER

HEADER_SIZE = 16
_HASH_KEY = int.from_bytes(MAGIC_NUMBER, "little")  # importlib's _RAW_MAGIC_NUMBER

_FLAG_HASH = 0b01
_FLAG_CHECK_SOURCE = 0b10


class InvalidationMode(enum.Enum):
    """How the importer decides a pyc is fresh (PEP 552); values match the CLI."""

    TIMESTAMP = "timestamp"
    CHECKED_HASH = "checked-hash"
    UNCHECKED_HASH = "unchecked-hash"

    @property
    def flags(self) -> int:
        return {
            InvalidationMode.TIMESTAMP: 0,
            InvalidationMode.CHECKED_HASH: _FLAG_HASH | _FLAG_CHECK_SOURCE,
            InvalidationMode.UNCHECKED_HASH: _FLAG_HASH,
        }[self]

    @classmethod
    def default(cls, environ: dict[str, str] | None = None) -> InvalidationMode:
        """py_compile's default: checked-hash when SOURCE_DATE_EPOCH is set."""
        import os

        env = os.environ if environ is None else environ
        return cls.CHECKED_HASH if env.get("SOURCE_DATE_EPOCH") else cls.TIMESTAMP

    def to_py_compile(self) -> object:
        """The matching ``py_compile.PycInvalidationMode`` member."""
        import py_compile

        return py_compile.PycInvalidationMode[self.name]


class HeaderError(ValueError):
    """The bytes are not a usable pyc header; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class PycHeader:
    """A decoded header. Timestamp pycs have ``mtime``/``source_size``; hash pycs
    have ``source_hash``. Immutable; a plain slotted class rather than a dataclass
    only because importing :mod:`dataclasses` would cost ``ember run`` ~12 ms."""

    __slots__ = ("magic", "flags", "mtime", "source_size", "source_hash")
    magic: bytes
    flags: int
    mtime: int | None
    source_size: int | None
    source_hash: bytes | None

    def __init__(
        self,
        magic: bytes,
        flags: int,
        mtime: int | None = None,
        source_size: int | None = None,
        source_hash: bytes | None = None,
    ) -> None:
        values = (magic, flags, mtime, source_size, source_hash)
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PycHeader is immutable (cannot set {name})")

    def _key(self) -> tuple[object, ...]:
        return (self.magic, self.flags, self.mtime, self.source_size, self.source_hash)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PycHeader) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={v!r}" for n, v in zip(self.__slots__, self._key(), strict=True))
        return f"PycHeader({fields})"

    @property
    def mode(self) -> InvalidationMode:
        if not self.flags & _FLAG_HASH:
            return InvalidationMode.TIMESTAMP
        if self.flags & _FLAG_CHECK_SOURCE:
            return InvalidationMode.CHECKED_HASH
        return InvalidationMode.UNCHECKED_HASH

    @property
    def magic_number(self) -> int:
        return magic_number(self.magic)

    @property
    def is_current_python(self) -> bool:
        return self.magic == MAGIC_NUMBER

    @property
    def python_version(self) -> str | None:
        """The Python that writes this magic, e.g. ``"3.11"``; None if unknown."""
        return python_for_magic(self.magic)


def has_magic(data: bytes) -> bool:
    """True if ``data`` starts like a pyc (any Python's): 2 bytes, then ``\\r\\n``."""
    return len(data) >= 4 and data[2:4] == b"\r\n"


def magic_number(magic: bytes = MAGIC_NUMBER) -> int:
    """The number in a magic (its first two bytes), e.g. 3495 for Python 3.11."""
    return int.from_bytes(magic[:2], "little")


def body(data: bytes) -> memoryview:
    """The marshalled code after the header (unchecked: see :func:`classify`)."""
    return memoryview(data)[HEADER_SIZE:]


def pack(
    mode: InvalidationMode,
    *,
    mtime: int = 0,
    source_size: int = 0,
    source_hash: bytes = b"",
    magic: bytes = MAGIC_NUMBER,
) -> bytes:
    """The 16 header bytes, as ``importlib._bootstrap_external`` writes them
    (mtime and size are truncated to 32 bits, as the importer does)."""
    head = magic + mode.flags.to_bytes(4, "little")
    if mode is InvalidationMode.TIMESTAMP:
        return (
            head
            + (int(mtime) & 0xFFFFFFFF).to_bytes(4, "little")
            + (int(source_size) & 0xFFFFFFFF).to_bytes(4, "little")
        )
    if len(source_hash) != 8:
        raise ValueError("a hash pyc needs the 8-byte source hash")
    return head + source_hash


def classify(data: bytes) -> PycHeader:
    """Decode the first 16 bytes of a pyc. Raises :class:`HeaderError` if there are
    fewer than 16 bytes, the magic is not a pyc magic, or the flags are invalid."""
    if len(data) < HEADER_SIZE:
        what = "empty file" if not data else f"only {len(data)} of {HEADER_SIZE} header bytes"
        raise HeaderError(f"truncated header ({what})")
    magic = bytes(data[:4])
    if not has_magic(magic):
        raise HeaderError(f"not a pyc (bad magic {magic.hex()})")
    flags = int.from_bytes(data[4:8], "little")
    if flags & ~(_FLAG_HASH | _FLAG_CHECK_SOURCE):
        raise HeaderError(f"invalid flags {flags:#x}")
    if flags & _FLAG_HASH:
        return PycHeader(magic, flags, source_hash=bytes(data[8:16]))
    if flags & _FLAG_CHECK_SOURCE:
        # The importer rejects check_source without the hash bit as invalid flags.
        raise HeaderError(f"invalid flags {flags:#x}")
    return PycHeader(
        magic,
        flags,
        mtime=int.from_bytes(data[8:12], "little"),
        source_size=int.from_bytes(data[12:16], "little"),
    )


def check_timestamp(header: PycHeader, source_mtime: float, source_size: int) -> str | None:
    """None if a timestamp pyc matches its source as the importer judges it, else
    the reason: ``"mtime"`` or ``"size"``."""
    if header.mtime != (int(source_mtime) & 0xFFFFFFFF):
        return "mtime"
    if header.source_size != (source_size & 0xFFFFFFFF):
        return "size"
    return None


def source_hash(source: bytes) -> bytes:
    """The importer's 8-byte SipHash of source bytes (keyed by this Python's magic)."""
    import _imp

    return _imp.source_hash(_HASH_KEY, source)


def check_hash(header: PycHeader, source: bytes) -> str | None:
    """None if a hash pyc's hash matches ``source``, else ``"hash"``."""
    return None if header.source_hash == source_hash(source) else "hash"


# Final magic numbers of each release, and the ranges its alphas and betas used.
_MAGIC_RANGES: tuple[tuple[int, int, str], ...] = (
    (3360, 3379, "3.6"),
    (3390, 3394, "3.7"),
    (3400, 3413, "3.8"),
    (3420, 3425, "3.9"),
    (3430, 3439, "3.10"),
    (3450, 3495, "3.11"),
    (3500, 3531, "3.12"),
    (3550, 3571, "3.13"),
    (3600, 3649, "3.14"),
    (3650, 3699, "3.15"),
)


def python_for_magic(magic: bytes) -> str | None:
    """Decode a magic to the Python version that writes it; None if unknown.

    >>> python_for_magic((3495).to_bytes(2, "little") + b"\\r\\n")
    '3.11'
    """
    if not has_magic(magic):
        return None
    number = magic_number(magic)
    if magic == MAGIC_NUMBER:
        import sys

        return f"{sys.version_info.major}.{sys.version_info.minor}"
    if number == 62211:
        return "2.7"
    for low, high, version in _MAGIC_RANGES:
        if low <= number <= high:
            return version
    return None
