"""Write restored files below one target directory and nowhere else (reliability.md S11).

The target is opened once as a directory descriptor. Every directory below it is opened
with ``O_NOFOLLOW`` relative to its parent's descriptor (and created the same way), so a
symlink planted anywhere inside the target, or swapped in during the restore, is refused
rather than followed. Bytes first land in a private staging directory inside the target
(``restore_staging``), are verified there by the download (which reaches staging only
through its descriptor, never by path), get their mtime, and are then renamed into their
final directory by descriptor: ``rename`` replaces a final symlink, never follows it.
Permission bits are never taken from remote metadata.

Durability: see ``restore_durable`` (what is fsynced, and when).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from syncd.domain import RelPath
from syncd.engine.restore_durable import Durability
from syncd.engine.restore_staging import DIR_FLAGS, Staging, sweep
from syncd.errors import LocalAccessError, RestoreConflictError, UnsafePathError
from syncd.localfile import OPEN_FLAGS
from syncd.remote import DirEntry

_HASH_CHUNK = 1024 * 1024
ANY: Literal["any"] = "any"
_NS_MIN, _NS_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Existing:
    """What is at a path in the target now, as ``lstat`` sees it."""

    is_file: bool
    size: int
    mtime_ns: int
    stat: os.stat_result


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


class TargetDir:
    """A restore target held open by descriptor; a context manager."""

    def __init__(
        self,
        root: Path,
        *,
        write: bool,
        create: bool = True,
        sync_each: bool = True,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        """Open ``root``; with ``write`` False (a dry run) nothing is created, and a
        missing root reads as empty. ``create`` False: the root must exist (a synced
        folder is never recreated by a restore). ``sync_each`` False: a new file is not
        fsynced before ``place`` returns (see ``restore_durable``)."""
        self.root = root
        self._fd = -1
        self._durable = Durability(sync_each=sync_each, fsync=fsync)
        self._staging: Staging | None = None
        self._mode = 0o644 & ~_umask()
        if create:
            if not self._open_target(root, write=write):
                return
        elif not root.exists():
            raise LocalAccessError(f"{root}: the folder does not exist")
        else:
            try:
                self._fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError as exc:
                raise LocalAccessError(f"{root}: cannot open the folder: {exc.strerror}") from exc
        if not write:
            return
        try:
            if not create:
                sweep(self._fd)  # in place the instance lock is held: no other restore runs here
            self._staging = Staging(self._fd)
        except OSError as exc:
            self.close()
            raise LocalAccessError(
                f"{root}: cannot make a staging directory: {exc.strerror}"
            ) from exc

    def _open_target(self, root: Path, *, write: bool) -> bool:
        """Open (with ``write``, create) a separate target ``root``; False when it is
        absent in a dry run. Neither ``root`` nor its parent (the ``--to`` directory) is
        followed if it is a symlink."""
        try:
            if write:
                root.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            elif not os.path.lexists(root):
                return False
            parent = os.open(root.parent, DIR_FLAGS)
            try:
                if write:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(root.name, 0o755, dir_fd=parent)
                self._fd = os.open(root.name, DIR_FLAGS, dir_fd=parent)
            finally:
                os.close(parent)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EEXIST):
                raise UnsafePathError(
                    f"{root}: the target or its parent is a symlink or not a directory; "
                    "not followed"
                ) from exc
            raise LocalAccessError(f"{root}: cannot open the target: {exc.strerror}") from exc
        return True

    def __enter__(self) -> TargetDir:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Sync the directories written to, remove the staging directory and close the
        target's descriptor."""
        if self._fd >= 0:
            self.sync_dirs()
        if self._staging is not None:
            self._staging.close()
            self._staging = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    # --- staging -----------------------------------------------------------------------

    def staging_entry(self) -> DirEntry:
        """A fresh name in the staging directory, bound to its descriptor, for one download."""
        return self._staged().entry()

    def discard(self, staged: DirEntry) -> None:
        """Remove a staged file that will not be placed."""
        self._staged().discard(staged)

    def _staged(self) -> Staging:
        assert self._staging is not None, "opened with write=False: nothing is staged"
        return self._staging

    def place(
        self,
        staged: DirEntry,
        rel_path: RelPath,
        mtime_ns: int,
        *,
        was: Existing | Literal["any"] | None = ANY,
    ) -> os.stat_result:
        """Give ``staged`` its mode and mtime and move it to ``rel_path``; return its
        lstat. A regular file it replaces keeps its permission bits, but never more than
        0755 (no setuid, setgid, sticky, or group/other write: a file planted with 0666
        does not hand its writability on); a new file gets 0644 minus the umask.

        ``was`` is what the check before the download saw there. Right before the move
        the leaf is looked at again through its parent's descriptor: anything else now
        (an edit, a new file) is left alone, and where nothing was, nothing is replaced.
        ``ANY`` (``--force``) replaces whatever is there.

        Raises:
            RestoreConflictError: the leaf changed since ``was``.
            UnsafePathError: a symlink or a file stands where a directory should be.
            LocalAccessError: the move failed (a directory in the way, another device).
        """
        name, staging_fd = staged.name, self._staged().fd
        if not _NS_MIN <= mtime_ns <= _NS_MAX:
            raise LocalAccessError(
                f"its mtime ({mtime_ns // 1_000_000} ms) is out of this system's range",
                rel_path=rel_path,
            )
        parent = self._open_parent(rel_path, create=True)
        leaf = rel_path.rsplit("/", 1)[-1]
        try:
            old = _lstat_at(leaf, parent, rel_path)
            if not isinstance(was, str) and _identity(old) != _identity(was):
                what = "appeared" if was is None else "changed"
                raise RestoreConflictError(
                    f"{what} while the restore ran; left alone (use --force)", rel_path=rel_path
                )
            mode = self._mode
            if old is not None and stat.S_ISREG(old.st_mode):
                mode = stat.S_IMODE(old.st_mode) & 0o755
            held = -1
            try:
                held = self._durable.hold(name, staging_fd, replaces=old is not None)
                os.chmod(name, mode, dir_fd=staging_fd)  # our own 0700 directory
                os.utime(name, ns=(mtime_ns, mtime_ns), dir_fd=staging_fd, follow_symlinks=False)
                self._durable.before_move(held)
                if was is None:
                    _move_no_replace(name, staging_fd, leaf, parent, rel_path)
                else:
                    os.rename(name, leaf, src_dir_fd=staging_fd, dst_dir_fd=parent)
                self._durable.after_move(parent, rel_path.rpartition("/")[0])
                return os.stat(leaf, dir_fd=parent, follow_symlinks=False)
            except OSError as exc:
                raise LocalAccessError(
                    f"cannot put the file in place: {exc.strerror}", rel_path=rel_path
                ) from exc
            finally:
                if held >= 0:
                    os.close(held)
        finally:
            os.close(parent)

    def sync_dirs(self) -> None:
        """fsync, once each, the directories files were moved into since the last call
        (and their parents up to the target)."""
        self._durable.sync_dirs(lambda parts: self._open_dir(parts, RelPath("/".join(parts))))

    # --- what is there now -------------------------------------------------------------

    def existing(self, rel_path: RelPath) -> Existing | None:
        """lstat of ``rel_path`` without following any symlink; None when nothing is there.

        Raises:
            UnsafePathError: a symlink or a file stands where a directory should be.
            LocalAccessError: the path cannot be looked at (a name too long, no access).
        """
        if self._fd < 0:
            return None
        try:
            parent = self._open_parent(rel_path, create=False)
        except FileNotFoundError:
            return None
        try:
            st = _lstat_at(rel_path.rsplit("/", 1)[-1], parent, rel_path)
        finally:
            os.close(parent)
        if st is None:
            return None
        return Existing(
            is_file=stat.S_ISREG(st.st_mode), size=st.st_size, mtime_ns=st.st_mtime_ns, stat=st
        )

    def sha1(self, rel_path: RelPath) -> str:
        """The SHA-1 of the regular file at ``rel_path`` (opened ``O_NOFOLLOW``).

        Raises:
            LocalAccessError: it cannot be opened or read.
        """
        try:
            parent = self._open_parent(rel_path, create=False)
        except FileNotFoundError as exc:
            raise LocalAccessError("vanished while it was checked", rel_path=rel_path) from exc
        try:
            fd = os.open(
                rel_path.rsplit("/", 1)[-1],
                OPEN_FLAGS,  # the safe reader's: no link followed, a FIFO never waits
                dir_fd=parent,
            )
        except OSError as exc:
            raise LocalAccessError(f"cannot open: {exc.strerror}", rel_path=rel_path) from exc
        finally:
            os.close(parent)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise LocalAccessError("not a regular file", rel_path=rel_path)
        digest = hashlib.sha1(usedforsecurity=False)
        try:
            with os.fdopen(fd, "rb") as f:
                while chunk := f.read(_HASH_CHUNK):
                    digest.update(chunk)
        except OSError as exc:
            raise LocalAccessError(f"cannot read: {exc.strerror}", rel_path=rel_path) from exc
        return digest.hexdigest()

    def _open_parent(self, rel_path: RelPath, *, create: bool) -> int:
        """A descriptor of the directory that holds ``rel_path``, opened component by
        component with O_NOFOLLOW (FileNotFoundError when absent and not ``create``)."""
        return self._open_dir(rel_path.split("/")[:-1], rel_path, create=create)

    def _open_dir(self, parts: list[str], rel_path: RelPath, *, create: bool = False) -> int:
        """A descriptor of the directory ``parts`` below the target (as above)."""
        fd = os.dup(self._fd)
        for part in parts:
            try:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o777, dir_fd=fd)
                nxt = os.open(part, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                os.close(fd)
                if isinstance(exc, FileNotFoundError) and not create:
                    raise
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EEXIST):
                    raise UnsafePathError(
                        f"'{part}' inside the target is a symlink or a file; not followed",
                        rel_path=rel_path,
                    ) from exc
                raise LocalAccessError(
                    f"cannot open '{part}': {exc.strerror}", rel_path=rel_path
                ) from exc
            os.close(fd)
            fd = nxt
        return fd


def _lstat_at(leaf: str, parent: int, rel_path: RelPath) -> os.stat_result | None:
    """lstat of ``leaf`` in ``parent``; None when nothing is there."""
    try:
        return os.stat(leaf, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LocalAccessError(
            f"cannot look at the file: {exc.strerror}", rel_path=rel_path
        ) from exc


def _identity(st: os.stat_result | Existing | None) -> tuple[int, ...] | None:
    """What tells one state of a path from another: device, inode, size, mtime, ctime."""
    if st is None:
        return None
    if isinstance(st, Existing):
        st = st.stat
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _move_no_replace(name: str, staging_fd: int, leaf: str, parent: int, rel_path: RelPath) -> None:
    """Move a staged file to ``leaf`` only if nothing is there: ``link`` fails with
    EEXIST instead of replacing. Where hard links are not supported, one more lstat
    right before the rename narrows the window to a few instructions."""
    try:
        os.link(name, leaf, src_dir_fd=staging_fd, dst_dir_fd=parent, follow_symlinks=False)
    except FileExistsError:
        raise RestoreConflictError(
            "appeared while the restore ran; left alone (use --force)", rel_path=rel_path
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise
        if _lstat_at(leaf, parent, rel_path) is not None:
            raise RestoreConflictError(
                "appeared while the restore ran; left alone (use --force)",
                rel_path=rel_path,
            ) from None
        os.rename(name, leaf, src_dir_fd=staging_fd, dst_dir_fd=parent)
        return
    os.unlink(name, dir_fd=staging_fd)
