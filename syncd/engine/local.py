"""Safe reads of local files: lstat of the path the folder's symlink policy allows,
and a sha1 that is only returned when the file held still while it was read.

Imports ``syncd.config``, ``syncd.domain``, ``syncd.errors`` and the symlink rule of
``syncd.watch.filters`` (the scanner's rule: the two never disagree). "Could not read"
is never "gone": only ENOENT/ENOTDIR mean absent; every other failure is a
LocalAccessError.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from syncd.config import FollowSymlinks
from syncd.domain import LocalState, RelPath
from syncd.errors import FileChangedError, FileVanishedError, LocalAccessError, SpecialFileError
from syncd.watch.filters import symlink_problem

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


def source_path(root: Path, rel_path: RelPath, follow: FollowSymlinks = False) -> Path | None:
    """Where the bytes of ``root/rel_path`` are read: the path itself when no symlink is
    on the way, the resolved target when the folder's policy follows the links on the
    way, None when it does not (or the path is absent). LocalAccessError when it cannot
    be looked at."""
    real_root = os.path.realpath(root)
    plain = os.path.join(real_root, rel_path)
    try:
        real = os.path.realpath(root / rel_path, strict=True)
    except OSError as exc:
        if exc.errno in (*_ABSENT, errno.ELOOP) or not exc.errno:  # absent, dangling, a loop
            return None
        raise LocalAccessError(f"cannot stat: {exc.strerror}", rel_path=rel_path) from exc
    if real == plain:
        return Path(plain)
    if symlink_problem(real_root, str(root / rel_path), follow=follow) is not None:
        return None  # the scanner reports it (once); the worker finds nothing to sync
    return Path(real)


def stat_file(root: Path, rel_path: RelPath, follow: FollowSymlinks = False) -> LocalState | None:
    """lstat what ``root/rel_path`` names under the symlink policy ``follow``: its state
    if it is a regular file, None if nothing syncable is there (absent, a directory, a
    link not followed), SpecialFileError for FIFOs, sockets and devices,
    LocalAccessError when it cannot be looked at."""
    path = source_path(root, rel_path, follow)
    if path is None:
        return None
    try:
        st = os.lstat(path)
    except OSError as exc:
        if exc.errno in _ABSENT:
            return None
        raise LocalAccessError(f"cannot stat: {exc.strerror}", rel_path=rel_path) from exc
    if stat.S_ISREG(st.st_mode):
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


def hash_file(
    root: Path,
    expected: LocalState,
    follow: FollowSymlinks = False,
    *,
    on_progress: Callable[[], None] | None = None,
) -> str:
    """The sha1 of the file, read once; FileChangedError if it moved while read.
    ``on_progress`` is called after each chunk read."""
    rel_path = expected.rel_path
    # not followed: O_NOFOLLOW on the path itself says what became of it
    path = source_path(root, rel_path, follow) or root / rel_path
    try:
        fd = os.open(path, _OPEN_FLAGS)
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
            if on_progress is not None:
                on_progress()
        after = os.fstat(fd)
    except OSError as exc:
        raise LocalAccessError(f"cannot read: {exc.strerror}", rel_path=rel_path) from exc
    finally:
        os.close(fd)
    if not state_from_stat(rel_path, after).same_identity(expected):
        raise FileChangedError("changed while it was read", rel_path=rel_path)
    return digest.hexdigest()
