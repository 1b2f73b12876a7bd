"""ember.support.digest: SHA-256 without hashlib, checked against hashlib."""

from __future__ import annotations

import hashlib

import pytest

from ember.support import digest


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 10_000, digest.BUILTIN_LIMIT - 1,
                                  digest.BUILTIN_LIMIT, digest.BUILTIN_LIMIT + 1])  # fmt: skip
def test_same_digests_as_hashlib(size: int) -> None:
    data = bytes(i * 7 % 251 for i in range(size))
    assert digest.sha256(data) == hashlib.sha256(data).digest()
    assert digest.sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_without_a_builtin_module_hashlib_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digest, "_builtin", False)  # as _find_builtin says without one
    assert digest.sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_the_builtin_module_is_found_here() -> None:
    # CPython ships it (_sha256, or _sha2 since 3.12): the warm path needs no OpenSSL.
    assert digest._find_builtin() is not False
