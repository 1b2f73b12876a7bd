"""The 16-byte header: pack/classify round trips, every cut of the input, and
agreement with importlib's own writers and with other Pythons' magic numbers."""

from __future__ import annotations

import importlib._bootstrap_external as bootstrap
import importlib.util
import subprocess

import pytest

from ember.pyc.header import (
    HEADER_SIZE,
    MAGIC_NUMBER,
    HeaderError,
    InvalidationMode,
    check_hash,
    check_timestamp,
    classify,
    pack,
    python_for_magic,
    source_hash,
)

SOURCE = b"x = 1\n"
HASH = importlib.util.source_hash(SOURCE)
HEADERS = {
    InvalidationMode.TIMESTAMP: pack(
        InvalidationMode.TIMESTAMP, mtime=1_700_000_000, source_size=6
    ),
    InvalidationMode.CHECKED_HASH: pack(InvalidationMode.CHECKED_HASH, source_hash=HASH),
    InvalidationMode.UNCHECKED_HASH: pack(InvalidationMode.UNCHECKED_HASH, source_hash=HASH),
}


@pytest.mark.parametrize("mode", list(InvalidationMode))
def test_pack_matches_importlib(mode):
    code = compile(SOURCE, "x.py", "exec")
    if mode is InvalidationMode.TIMESTAMP:
        theirs = bootstrap._code_to_timestamp_pyc(code, 1_700_000_000, 6)
    else:
        theirs = bootstrap._code_to_hash_pyc(code, HASH, mode is InvalidationMode.CHECKED_HASH)
    assert HEADERS[mode] == bytes(theirs[:HEADER_SIZE])


@pytest.mark.parametrize("mode", list(InvalidationMode))
def test_classify_round_trip(mode):
    header = classify(HEADERS[mode] + b"body")
    assert header.mode is mode
    assert header.magic == MAGIC_NUMBER and header.is_current_python
    if mode is InvalidationMode.TIMESTAMP:
        assert (header.mtime, header.source_size, header.source_hash) == (1_700_000_000, 6, None)
    else:
        assert header.source_hash == HASH and header.mtime is None


@pytest.mark.parametrize("mode", list(InvalidationMode))
@pytest.mark.parametrize("cut", range(HEADER_SIZE))
def test_every_cut_short_of_16_bytes_is_truncated(mode, cut):
    with pytest.raises(HeaderError) as info:
        classify(HEADERS[mode][:cut])
    assert "truncated" in info.value.reason
    assert ("empty file" in info.value.reason) == (cut == 0)


@pytest.mark.parametrize("mode", list(InvalidationMode))
def test_exactly_16_bytes_is_enough(mode):
    assert classify(HEADERS[mode][:HEADER_SIZE]).mode is mode


@pytest.mark.parametrize("magic", [b"\x00\x00\x00\x00", b"PK\x03\x04", MAGIC_NUMBER[:2] + b"\n\r"])
def test_bad_magic(magic):
    with pytest.raises(HeaderError, match="bad magic"):
        classify(magic + HEADERS[InvalidationMode.TIMESTAMP][4:])


@pytest.mark.parametrize("flags", [0b10, 0b100, 0xFFFFFFFF])
def test_invalid_flags(flags):
    data = MAGIC_NUMBER + flags.to_bytes(4, "little") + bytes(8)
    with pytest.raises(HeaderError, match="invalid flags"):
        classify(data)


def test_timestamp_check_truncates_like_the_importer():
    header = classify(pack(InvalidationMode.TIMESTAMP, mtime=2**32 + 5, source_size=2**32 + 7))
    assert (header.mtime, header.source_size) == (5, 7)
    assert check_timestamp(header, 2**32 + 5.9, 2**32 + 7) is None
    assert check_timestamp(header, 6.0, 7) == "mtime"
    assert check_timestamp(header, 5.0, 8) == "size"


def test_hash_check():
    header = classify(HEADERS[InvalidationMode.CHECKED_HASH])
    assert check_hash(header, SOURCE) is None
    assert check_hash(header, b"x = 2\n") == "hash"
    assert source_hash(SOURCE) == HASH


def test_hash_pack_needs_eight_bytes():
    with pytest.raises(ValueError):
        pack(InvalidationMode.CHECKED_HASH, source_hash=b"short")


@pytest.mark.parametrize(
    ("number", "version"),
    [(3439, "3.10"), (3495, "3.11"), (3531, "3.12"), (3571, "3.13"), (62211, "2.7"), (9999, None)],
)
def test_python_for_magic(number, version):
    assert python_for_magic(number.to_bytes(2, "little") + b"\r\n") == version


def test_python_for_magic_rejects_non_magic():
    assert python_for_magic(b"\x00\x00\x00\x00") is None
    assert python_for_magic(b"") is None


def test_other_pythons_magic_decodes_to_their_version(other_python):
    out = subprocess.run(
        [
            other_python,
            "-c",
            "import importlib.util, sys; print(importlib.util.MAGIC_NUMBER.hex(), "
            "'%d.%d' % sys.version_info[:2])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert python_for_magic(bytes.fromhex(out[0])) == out[1]
