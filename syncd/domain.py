"""The shared vocabulary of syncd: frozen value types that cross layer boundaries.

Imports nothing from syncd. Three path vocabularies never mix:

* ``abs_path: Path`` — a path on disk;
* ``RelPath`` — POSIX, relative to a folder's root; may hold surrogate escapes
  (``os.fsdecode``) for names that are not valid UTF-8;
* ``B2Name`` — the file name in the bucket, prefix included, valid UTF-8.

Times are integer ms since the Unix epoch (UTC) unless a name says otherwise
(``mtime_ns``, ``timeout_s``).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NewType

RelPath = NewType("RelPath", str)
B2Name = NewType("B2Name", str)
NS_PER_MS = 1_000_000


def mtime_ms_of(mtime_ns: int) -> int:
    """An mtime in ns as ``src_last_modified_millis``: whole ms, the rest cut off toward
    zero. This is what rclone (``UnixNano()/1e6``) and b2sdk (``int(mtime*1000)``) write,
    so files they uploaded compare equal; for times before 1970 it is not the floor
    (-1.5 ms is -1). Every ns -> ms conversion of an mtime goes through here."""
    ms = abs(mtime_ns) // NS_PER_MS
    return ms if mtime_ns >= 0 else -ms


def rel_path_key(rel_path: str) -> bytes:
    """The sort key of a path: its bytes, so every layer orders paths the same way."""
    return os.fsencode(rel_path)


FileStamp = tuple[bytes, int, int, int, int, int]
"""``(rel_path_key, dev, inode, size, mtime_ns, ctime_ns)``: a file's sort key and its
quick-check identity in one plain tuple, for whole-folder comparisons (a tuple per file,
no object). Two stamps are equal exactly when the paths are and ``same_identity`` holds."""


def stamp_of(key: bytes, st: os.stat_result) -> FileStamp:
    """The stamp of the file at path key ``key`` whose ``lstat`` is ``st``."""
    return (key, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ChangeKind(enum.Enum):
    """What a producer believes happened to a path; a hint, never a verdict."""

    CHANGED = "changed"  # created or modified: stat it and compare with the index
    DELETED = "deleted"  # may be gone: confirm before any hide
    SUBTREE = "subtree"  # a directory appeared, moved or was missed: rescan under it
    REMOTE = "remote"  # B2 moved away from the index (another writer): compare with it too


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    """How long hints wait before they are due: the settle window, the delete hold and
    the deferral cap (from ``[sync]``; no waiting for sync-now)."""

    settle_ms: int
    delete_hold_ms: int
    max_deferral_ms: int

    def wait_ms(self, kind: ChangeKind) -> int:
        """How long a path of this kind must stay quiet before it is due."""
        return self.delete_hold_ms if kind is ChangeKind.DELETED else self.settle_ms


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalChange:
    """One hint recorded in the journal by the watcher, the scanner or the reconciler."""

    folder: str
    rel_path: RelPath
    kind: ChangeKind
    observed_ms: int
    # The watcher saw the file's writer finish (closed after writing, or renamed into
    # place) and no write after it: quiet already, no settle window (``coalesce.fold``).
    closed: bool = False


ChangeSink = Callable[[Sequence[LocalChange]], None]
"""Where producers send hints; in the daemon this is the journal's ``record``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalState:
    """What ``lstat`` says about a regular file under a folder root."""

    rel_path: RelPath
    size: int
    mtime_ns: int
    ctime_ns: int
    dev: int
    inode: int

    @classmethod
    def from_stat(cls, rel_path: RelPath, st: os.stat_result) -> LocalState:
        """The state of a stat result: the one place a stat becomes a LocalState."""
        return cls(
            rel_path=rel_path,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            ctime_ns=st.st_ctime_ns,
            dev=st.st_dev,
            inode=st.st_ino,
        )

    @classmethod
    def from_stamp(cls, stamp: FileStamp) -> LocalState:
        """The state a ``stamp_of`` recorded."""
        key, dev, inode, size, mtime_ns, ctime_ns = stamp
        return cls(
            rel_path=RelPath(os.fsdecode(key)),
            size=size,
            mtime_ns=mtime_ns,
            ctime_ns=ctime_ns,
            dev=dev,
            inode=inode,
        )

    @property
    def mtime_ms(self) -> int:
        """The mtime as B2's ``src_last_modified_millis`` (see ``mtime_ms_of``)."""
        return mtime_ms_of(self.mtime_ns)

    def same_identity(self, other: LocalState | IndexEntry) -> bool:
        """True when (dev, inode, size, mtime_ns, ctime_ns) all match: the quick check."""
        return (
            self.dev == other.dev
            and self.inode == other.inode
            and self.size == other.size
            and self.mtime_ns == other.mtime_ns
            and self.ctime_ns == other.ctime_ns
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RootIdentity:
    """How a folder's root was known when first used: its device and marker id (None
    when the marker could not be written, e.g. a read-only root)."""

    dev: int
    marker: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexEntry:
    """What syncd last put on B2 for one local path, recorded after B2 confirmed it."""

    folder: str
    rel_path: RelPath
    b2_name: B2Name
    dev: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int
    sha1: str
    file_id: str
    upload_timestamp_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A pending change claimed by one worker under a lease."""

    id: int
    folder: str
    rel_path: RelPath
    kind: ChangeKind
    attempts: int
    first_seen_ms: int
    generation: int  # bumped by every new hint; complete() keeps the row if it moved
    maybe_sent: bool = False  # a dead process held it: its send may have reached B2


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedItem:
    """A local item that will not be synced, with the reason shown to the user once."""

    folder: str
    rel_path: RelPath
    reason: str


class ConflictKind(enum.Enum):
    """How another writer's version met syncd's for one path."""

    CONFLICT = "conflict"  # both changed since syncd's last upload
    REMOTE_UPDATE = "remote_update"  # B2 has a newer version; the local file did not change
    REMOTE_HIDDEN = "remote_hidden"  # someone hid or deleted syncd's version
    DELETED_HERE = "deleted_here"  # deleted locally while B2 got a newer version


@dataclass(frozen=True, slots=True, kw_only=True)
class ConflictRecord:
    """One meeting of two writers on one path and what syncd did about it."""

    folder: str
    rel_path: RelPath
    remote_file_id: str  # the other writer's version (or syncd's lost one)
    kind: ConflictKind
    resolution: str  # e.g. "kept both", "local made newest", "remote downloaded"
    kept_as: B2Name | None = None  # where the local bytes went (keep-both)
    detected_ms: int = 0
