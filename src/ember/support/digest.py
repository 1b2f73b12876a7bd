"""SHA-256 without importing :mod:`hashlib`: bytes → the same digest, at start-up cost
~0.3 ms instead of ~3 ms.

    >>> sha256_hex(b"abc")[:16], len(sha256(b"abc"))
    ('ba7816bf8f01cfea', 32)

Why: a warm process (every kernel found in the native cache) checks two SHA-256 sums per
entry and names entries by one. ``hashlib`` loads OpenSSL's libcrypto (~3 ms, more than
the rest of the hit); CPython's own SHA-256 module (``_sha256``, ``_sha2`` since 3.12) is
a small extension computing the identical digest. It is slower per byte than OpenSSL
(~0.3 GB/s against ~1.5), so inputs of :data:`BUILTIN_LIMIT` bytes or more (where the
import is paid back) go to hashlib.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

#: Inputs this long or longer are hashed by hashlib (OpenSSL): past ~1 MiB its speed
#: pays for its import.
BUILTIN_LIMIT = 1 << 20

# CPython's own SHA-256 constructor, looked up at the first use; False when there is none.
_builtin: Callable[[bytes], object] | bool | None = None


def _sha256_object(data: bytes) -> object:
    global _builtin
    if len(data) < BUILTIN_LIMIT:
        if _builtin is None:
            _builtin = _find_builtin()
        if _builtin is not False:
            return _builtin(data)  # type: ignore[operator]
    import hashlib

    return hashlib.sha256(data)


def _find_builtin() -> Callable[[bytes], object] | bool:
    # Private modules of CPython; a build without them (or a FIPS build that disables
    # them) uses hashlib, with the same digests.
    import sys

    try:
        if sys.version_info >= (3, 12):
            from _sha2 import sha256  # type: ignore[import-not-found]
        else:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        return False
    return sha256  # type: ignore[no-any-return]


def sha256(data: bytes) -> bytes:
    """The 32-byte SHA-256 digest of ``data`` (as ``hashlib.sha256(data).digest()``)."""
    return _sha256_object(data).digest()  # type: ignore[attr-defined,no-any-return]


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 digest of ``data`` (as ``hashlib.sha256(data).hexdigest()``)."""
    return _sha256_object(data).hexdigest()  # type: ignore[attr-defined,no-any-return]
