"""Safe looks at local files: lstat of the path the folder's symlink policy allows,
and a sha1 that is only returned when the file held still while it was read.

The symlink rule is the scanner's (``syncd.watch.filters``): the two never disagree.
The reading is ``syncd.localfile``'s. "Could not read" is never "gone": only
ENOENT/ENOTDIR mean absent; every other failure is a LocalAccessError.
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
from syncd.errors import LocalAccessError, SpecialFileError
from syncd.localfile import HeldFile
from syncd.watch.filters import symlink_problem

MARKER_NAME = ".syncd-folder"  # the root marker; never synced
CHUNK_BYTES = 1 << 20
_ABSENT = (errno.ENOENT, errno.ENOTDIR)
INT64_MAX = 2**63 - 1  # the journal keeps mtime_ns as a SQLite integer


_REAL_ROOTS: dict[str, tuple[int, int, str]] = {}  # root -> (st_dev, st_ino, realpath)


def _real_root(root: Path) -> str:
    """``os.path.realpath(root)``, resolved again only when the directory ``root`` names
    is no longer the one resolved last time (one stat instead of an lstat per
    component on every call)."""
    key = os.fspath(root)
    st = os.stat(key)
    known = _REAL_ROOTS.get(key)
    if known is not None and known[0] == st.st_dev and known[1] == st.st_ino:
        return known[2]
    real = os.path.realpath(key)
    _REAL_ROOTS[key] = (st.st_dev, st.st_ino, real)
    return real


def _plain(real_root: str, rel_path: RelPath) -> tuple[str, os.stat_result] | None:
    """``real_root/rel_path`` and its lstat when no component below the root is a
    symlink (an lstat per component); None when one is (the caller resolves the links).
    OSError when a component cannot be looked at."""
    path = real_root
    for part in rel_path.split("/"):
        path = os.path.join(path, part)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return None
    return path, st


def _look(
    root: Path, rel_path: RelPath, follow: FollowSymlinks
) -> tuple[Path | None, os.stat_result | None]:
    """:func:`source_path`, with the path's lstat when the walk already made it."""
    try:
        real_root = _real_root(root)
        plain = _plain(real_root, rel_path)
        if plain is not None:
            return Path(plain[0]), plain[1]
        real = os.path.realpath(root / rel_path, strict=True)
    except OSError as exc:
        if exc.errno in (*_ABSENT, errno.ELOOP) or not exc.errno:  # absent, dangling, a loop
            return None, None
        raise LocalAccessError(f"cannot stat: {exc.strerror}", rel_path=rel_path) from exc
    if symlink_problem(real_root, str(root / rel_path), follow=follow) is not None:
        return None, None  # the scanner reports it (once); the worker finds nothing to sync
    return Path(real), None


def source_path(root: Path, rel_path: RelPath, follow: FollowSymlinks = False) -> Path | None:
    """Where the bytes of ``root/rel_path`` are read: the path itself when no symlink is
    on the way, the resolved target when the folder's policy follows the links on the
    way, None when it does not (or the path is absent). LocalAccessError when it cannot
    be looked at."""
    return _look(root, rel_path, follow)[0]


def stat_file(root: Path, rel_path: RelPath, follow: FollowSymlinks = False) -> LocalState | None:
    """lstat what ``root/rel_path`` names under the symlink policy ``follow``: its state
    if it is a regular file, None if nothing syncable is there (absent, a directory, a
    link not followed), SpecialFileError for FIFOs, sockets and devices,
    LocalAccessError when it cannot be looked at."""
    path, st_known = _look(root, rel_path, follow)
    if path is None:
        return None
    try:
        st = st_known or os.lstat(path)
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
        return LocalState.from_stat(rel_path, st)
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
    # not followed: O_NOFOLLOW on the path itself says what became of it
    path = source_path(root, expected.rel_path, follow) or root / expected.rel_path
    digest = hashlib.sha1(usedforsecurity=False)  # B2's checksum
    with HeldFile(path, expected) as held:
        for chunk in held.chunks(CHUNK_BYTES):
            digest.update(chunk)
            if on_progress is not None:
                on_progress()
        held.check()
    return digest.hexdigest()
