"""Safe reads of local files: lstat without following links, and a sha1 that is only
returned when the file held still while it was read.

Imports ``syncd.domain`` and ``syncd.errors``. "Could not read" is never "gone":
only ENOENT/ENOTDIR mean absent; every other failure is a LocalAccessError.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from syncd.domain import LocalState, RelPath
from syncd.errors import FileChangedError, FileVanishedError, LocalAccessError, SpecialFileError

MARKER_NAME = ".syncd-folder"  # the root marker; never synced
CHUNK_BYTES = 1 << 20
_ABSENT = (errno.ENOENT, errno.ENOTDIR)
INT64_MAX = 2**63 - 1  # the journal keeps mtime_ns as a SQLite integer
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def state_from_stat(rel_path: RelPath, st: os.stat_result) -> LocalState:
    """The LocalState of a stat result."""
    return LocalState(
        rel_path=rel_path,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        ctime_ns=st.st_ctime_ns,
        dev=st.st_dev,
        inode=st.st_ino,
    )


def stat_file(root: Path, rel_path: RelPath) -> LocalState | None:
    """lstat ``root/rel_path``: its state if it is a regular file, None if nothing syncable
    is there (absent, a directory, a symlink), SpecialFileError for FIFOs, sockets and
    devices, LocalAccessError when it cannot be looked at."""
    try:
        st = os.lstat(root / rel_path)
    except OSError as exc:
        if exc.errno in _ABSENT:
            return None
        raise LocalAccessError(f"cannot stat: {exc.strerror}", rel_path=rel_path) from exc
    if stat.S_ISREG(st.st_mode):
        if "/" in rel_path and _parent_escapes(root, rel_path):
            return None  # a parent became a symlink: not inside the folder any more
        if not -INT64_MAX <= st.st_mtime_ns <= INT64_MAX:
            raise LocalAccessError(
                "mtime is after 2262 or before 1677 (beyond 64-bit nanoseconds); "
                "set a real date with touch",
                rel_path=rel_path,
            )
        return state_from_stat(rel_path, st)
    if stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode):
        return None
    raise SpecialFileError("not a regular file (FIFO, socket or device)", rel_path=rel_path)


def _parent_escapes(root: Path, rel_path: RelPath) -> bool:
    """True when a parent directory of ``rel_path`` is (or passes through) a symlink,
    so the path no longer names a file inside ``root``."""
    parent = rel_path.rsplit("/", 1)[0]
    real_root = os.path.realpath(root)
    return os.path.realpath(root / parent) != os.path.join(real_root, parent)


def hash_file(root: Path, expected: LocalState) -> str:
    """The sha1 of the file, read once; FileChangedError if it moved while read."""
    rel_path = expected.rel_path
    try:
        fd = os.open(root / rel_path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in _ABSENT:
            raise FileVanishedError("vanished before it was read", rel_path=rel_path) from exc
        if exc.errno == errno.ELOOP:
            raise FileChangedError("became a symlink", rel_path=rel_path) from exc
        raise LocalAccessError(f"cannot open: {exc.strerror}", rel_path=rel_path) from exc
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise FileChangedError("is no longer a regular file", rel_path=rel_path)
        if not state_from_stat(rel_path, before).same_identity(expected):
            raise FileChangedError("changed before it was read", rel_path=rel_path)
        digest = hashlib.sha1()  # noqa: S324  (B2's checksum, not a security use)
        while chunk := os.read(fd, CHUNK_BYTES):
            digest.update(chunk)
        after = os.fstat(fd)
    except OSError as exc:
        raise LocalAccessError(f"cannot read: {exc.strerror}", rel_path=rel_path) from exc
    finally:
        os.close(fd)
    if not state_from_stat(rel_path, after).same_identity(expected):
        raise FileChangedError("changed while it was read", rel_path=rel_path)
    return digest.hexdigest()
