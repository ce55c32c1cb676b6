"""The instance lock: one syncd per journal, held with ``flock`` on a lock file.

Imports ``syncd.errors`` only. The lock lives on its own file next to the journal, not
on the database: SQLite's POSIX locks are dropped when *any* descriptor of the database
file in the process is closed, while an ``flock`` belongs to this one open file and is
released by the kernel when the process dies (no stale-lock cleanup after ``kill -9``).
The holder's pid is written into the file so a second starter can say who holds it.
The file is never deleted: unlinking a lock file races with the next acquirer.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
from types import TracebackType

from syncd.errors import JournalError, JournalLockedError


class InstanceLock:
    """An exclusive, non-blocking lock on ``path``; a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def is_held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock and write our pid into the file.

        Raises:
            JournalLockedError: another process (or another InstanceLock) holds it.
            JournalError: the lock file cannot be opened.
        """
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise JournalError(f"lock file {self.path} cannot be opened: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                who = f"pid {holder}" if holder else "another process"
                raise JournalLockedError(
                    f"another syncd ({who}) is using this state directory (lock {self.path})"
                ) from None
            raise JournalError(f"lock file {self.path} cannot be locked: {exc.strerror}") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock (the pid stays in the file; it is stale once unlocked)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
