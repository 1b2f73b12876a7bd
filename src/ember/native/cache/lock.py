"""Cross-process locks on native cache entries: one compile per entry, however many
processes miss it at once.

A lock file → held by one process at a time → released (and removed) once the entry
is published::

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> lock = acquire(os.path.join(folder, ".k.f.0123.ember-cpython-311.lock"), timeout=60)
    >>> lock.waited  # no other process held it (True: look the entry up again)
    False
    >>> lock.release()
    >>> os.listdir(folder)  # the lock file goes with the lock
    []

N workers calling a function that is not compiled yet all miss the cache together; the
first takes the entry's lock and compiles, the others wait, then find the entry it
stored. The lock is ``flock`` (``msvcrt.locking`` on Windows) on a file beside the entry:
the kernel drops it when its holder dies, so a crashed compile never wedges the others.
A holder that is alive but stuck (stopped, or compiling for longer than ``timeout``) is
taken over: the waiter compiles too. That is safe because entries are published whole
by an atomic rename (:func:`ember.native.cache.store.write_atomic`): two writers give
two complete files, the last one wins, and no reader ever sees a torn entry.

Why the file is removed while held: a lock file left behind would litter every cache
folder. Removing it while locked is safe because a waiter, once it holds a lock,
checks that its descriptor still is the file at the path (same device and inode) and
starts over otherwise; so two processes never both hold the lock of one path.

Stdlib only, and nothing here is imported on a cache hit.
"""

from __future__ import annotations

import os
import sys
import time

#: Seconds a process waits for another one compiling the same entry before it takes
#: the lock over (``EMBER_CACHE_LOCK_TIMEOUT`` overrides it).
DEFAULT_TIMEOUT = 120.0

_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def timeout_from_env() -> float:
    """``EMBER_CACHE_LOCK_TIMEOUT`` in seconds, else :data:`DEFAULT_TIMEOUT` (also for
    a value that is not a number: a typo must not make every worker compile)."""
    text = os.environ.get("EMBER_CACHE_LOCK_TIMEOUT", "")
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value >= 0 else DEFAULT_TIMEOUT


class EntryLock:
    """A held (or taken-over) lock on one cache entry.

    ``waited``: another process held it when we asked (it may have stored the entry
    meanwhile: look it up again before compiling). ``taken_over``: we gave up waiting
    after the timeout and hold nothing; ``holder`` then says who held it (``pid`` text
    from the lock file, or ``""``).
    """

    __slots__ = ("path", "fd", "waited", "taken_over", "holder")

    def __init__(self, path: str, fd: int | None, waited: bool, holder: str = "") -> None:
        self.path = path
        self.fd = fd
        self.waited = waited
        self.taken_over = fd is None
        self.holder = holder

    def release(self) -> None:
        """Remove the lock file and unlock it; a second call does nothing."""
        fd, self.fd = self.fd, None
        if fd is None:
            return
        if sys.platform != "win32":  # Windows cannot remove an open file: it stays
            try:
                os.unlink(self.path)  # while still locked: see the module docstring
            except OSError:
                pass
        try:
            _unlock(fd)
        finally:
            os.close(fd)


def acquire(path: str, timeout: float) -> EntryLock:
    """Lock ``path`` (created user-only, 0o600), waiting up to ``timeout`` seconds for
    another holder; past it, an :class:`EntryLock` with ``taken_over`` set is returned
    (nothing held). Raises OSError when the lock file cannot be created at all."""
    deadline = time.monotonic() + timeout
    delay, waited = 0.002, False
    while True:
        fd = os.open(path, _FLAGS, 0o600)
        try:
            got = _try_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        if got and _still_named(fd, path):
            _write_holder(fd)
            return EntryLock(path, fd, waited)
        holder = _read_holder(fd)
        os.close(fd)
        if not got:
            waited = True
            if time.monotonic() >= deadline:
                return EntryLock(path, None, True, holder)
            # Polling, not a blocking lock: a blocking flock cannot time out, and the
            # waits are short (a compile), so a little latency is the whole cost.
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        # else: the holder removed that file as we locked it: lock the new one


def _still_named(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (the previous holder removes
    the file just before unlocking it; locking the removed file would be no lock)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    here = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (here.st_dev, here.st_ino)


def _write_holder(fd: int) -> None:
    try:  # who holds it, for the waiters' debug lines only
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"pid {os.getpid()}".encode())
    except OSError:
        pass


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 64).decode("ascii", "replace")
    except OSError:
        return ""


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
