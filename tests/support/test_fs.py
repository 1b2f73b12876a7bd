"""ember.support.fs: atomic writes shared by the bytecode layer and the native cache."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from ember.support import fs as _fs


def test_write_atomic_creates_missing_folders_with_the_mode(tmp_path):
    target = tmp_path / "a" / "b" / "f.bin"
    _fs.write_atomic(str(target), b"data", 0o600)
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(target.parent) == ["f.bin"]


def test_a_leftover_temporary_of_a_crashed_process_is_reused(tmp_path):
    target = tmp_path / "f.bin"
    leftover = tmp_path / f"f.bin.{os.getpid()}-{threading.get_ident()}.tmp"
    leftover.write_bytes(b"half")
    _fs.write_atomic(str(target), b"whole")
    assert target.read_bytes() == b"whole"
    assert sorted(os.listdir(tmp_path)) == ["f.bin"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def broken(fd, data):
        os.write(fd, data[:1])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_fs, "write_all", broken)
    with pytest.raises(OSError):
        _fs.write_atomic(str(target), b"new contents")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_write_all_handles_short_writes(tmp_path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    path = tmp_path / "f"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        _fs.write_all(fd, b"0123456789")
    finally:
        os.close(fd)
    assert path.read_bytes() == b"0123456789"
