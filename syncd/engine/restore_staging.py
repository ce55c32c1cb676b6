"""The private staging directory of one restore: made inside the target (mode 0700,
holding a marker file), reached only by descriptor, emptied and removed at the end.

Staging directories a killed restore left behind are swept, but only those holding the
marker: a user's own ``.syncd-restore-*`` directory stays.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import threading

import structlog

from syncd.remote import DirEntry

log = structlog.get_logger(__name__)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
STAGING_PREFIX = ".syncd-restore-"
STAGING_MARKER = ".syncd-staging"  # inside every staging directory: only these are swept


class Staging:
    """A fresh staging directory inside the directory ``parent_fd``. Raises OSError
    (leaving nothing behind) when it cannot be made; ``close()`` removes it."""

    def __init__(self, parent_fd: int) -> None:
        self._parent = parent_fd
        self.name = STAGING_PREFIX + secrets.token_hex(6)
        self.fd = -1
        self._count = 0
        self._lock = threading.Lock()  # several downloads take names at once
        os.mkdir(self.name, 0o700, dir_fd=parent_fd)
        try:
            self.fd = os.open(self.name, DIR_FLAGS, dir_fd=parent_fd)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            os.close(os.open(STAGING_MARKER, flags, 0o600, dir_fd=self.fd))
        except OSError:
            if self.fd < 0:
                with contextlib.suppress(OSError):
                    os.rmdir(self.name, dir_fd=parent_fd)
            else:
                self.close()
            raise

    def entry(self) -> DirEntry:
        """A fresh name in the directory, bound to its descriptor, for one download."""
        with self._lock:
            self._count += 1
            return DirEntry(self.fd, f"f{self._count}")

    def discard(self, staged: DirEntry) -> None:
        """Remove a staged file that will not be placed."""
        with contextlib.suppress(OSError):
            os.unlink(staged.name, dir_fd=self.fd)

    def close(self) -> None:
        """Empty and remove the directory and close its descriptor. Its files are
        removed through its descriptor; its name only while it is still ours."""
        if self.fd < 0:
            return
        names: list[str] = []
        with contextlib.suppress(OSError), os.scandir(self.fd) as entries:
            names = [e.name for e in entries]
        for name in names:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=self.fd)
        mine = os.fstat(self.fd)
        os.close(self.fd)
        self.fd = -1
        with contextlib.suppress(OSError):
            now = os.stat(self.name, dir_fd=self._parent, follow_symlinks=False)
            if (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
                shutil.rmtree(self.name, dir_fd=self._parent)


def sweep(root_fd: int) -> None:
    """Remove the staging directories a killed restore left in ``root_fd``: only those
    holding the marker file."""
    with os.scandir(root_fd) as entries:
        stale = [
            e.name
            for e in entries
            if e.name.startswith(STAGING_PREFIX)
            and e.is_dir(follow_symlinks=False)
            and _is_staging(root_fd, e.name)
        ]
    for name in stale:
        with contextlib.suppress(OSError):
            shutil.rmtree(name, dir_fd=root_fd)
            log.info("restore_staging_swept", name=name)


def _is_staging(root_fd: int, name: str) -> bool:
    """True when the directory ``name`` in ``root_fd`` carries the staging marker."""
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=root_fd)
    except OSError:
        return False
    try:
        st = os.stat(STAGING_MARKER, dir_fd=fd, follow_symlinks=False)
    except OSError:
        return False
    finally:
        os.close(fd)
    return stat.S_ISREG(st.st_mode)
