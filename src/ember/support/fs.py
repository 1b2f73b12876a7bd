"""Atomic file writes, shared by the bytecode layer and the native cache.

bytes → a file that readers see whole or not at all::

    >>> write_atomic("out/__pycache__/m.cpython-311.pyc", data, 0o644)  # writes a file  # doctest: +SKIP

Stdlib-only and cheap to import: ``ember build`` writes thousands of files per second
through it, in forked workers.
"""

from __future__ import annotations

import _thread
import os


def write_atomic(path: str, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a part of it: a temporary
    file in the same folder, then one ``os.replace``. Concurrent writers of one path
    each publish a complete file; the last rename wins. ``mode`` is masked by the umask.
    """
    # Unique per process and thread, so concurrent writers never share a temporary;
    # a leftover with our name can only come from a crashed process that had our pid.
    tmp = f"{path}.{os.getpid()}-{_thread.get_ident()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(tmp, flags, mode)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd = os.open(tmp, flags, mode)
    except FileExistsError:
        os.unlink(tmp)
        fd = os.open(tmp, flags, mode)
    try:
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until all of ``data`` is written (a pipe or file may take less)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
