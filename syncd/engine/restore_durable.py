"""What a restore fsyncs, and when (reliability.md S16 for the rules it keeps).

``sync_each`` (a restore in place, a sync's download of B2's version): an index row is
written right after the file is placed, so the file is fsynced before its move and its
directory right after. A power cut must never leave an index row naming bytes or a name
the disk lost: the next sync would take the hole for a local change and upload it.

Without it (a restore into a separate directory, which no index records):

* a file that lands on a free name is not fsynced one by one. A crash loses nothing B2
  does not still hold, and running the same restore again fetches what is missing (a
  file torn by a power cut is reported as in the way, and ``--force`` replaces it). The
  b2 CLI and rclone fsync nothing per file either; this was 3 fsyncs per file, about a
  third of the time of a restore of small files;
* a file that *replaces* one (``--force``, a changed file) is still fsynced before the
  rename over it, so a crash never leaves a torn file where a whole one was;
* each directory a file went into is fsynced once when the restore ends (``sync_dirs``),
  not after every file.

The download itself syncs nothing it writes into a restore's staging directory: that
directory is private and swept after a crash; only the final name matters, and only the
code that moves the file there knows whether it replaces one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import structlog

from syncd.errors import SyncdError

log = structlog.get_logger(__name__)


class Durability:
    """The fsync policy of one target; safe to use from several threads."""

    def __init__(self, *, sync_each: bool, fsync: Callable[[int], None] = os.fsync) -> None:
        self._sync_each = sync_each
        self._fsync = fsync
        self._dirty: set[str] = set()  # directories moved into since the last sync_dirs
        self._lock = threading.Lock()

    def hold(self, name: str, staging_fd: int, *, replaces: bool) -> int:
        """A descriptor of the staged file ``name`` when it must be fsynced before its
        move (it replaces one, or every file is synced), else -1; the caller closes it.
        Opened before the file gets its final mode, which may not allow reading."""
        if not (self._sync_each or replaces):
            return -1
        return os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=staging_fd)

    def before_move(self, held: int) -> None:
        """fsync a file ``hold`` returned (bytes, mode and mtime): on disk before any
        name points at it."""
        if held >= 0:
            self._fsync(held)

    def after_move(self, parent_fd: int, rel_dir: str) -> None:
        """The file's directory (``rel_dir`` below the target, "" for the top) now holds
        a new name: synced now, or noted for ``sync_dirs``."""
        if self._sync_each:
            self._fsync(parent_fd)
            return
        with self._lock:
            self._dirty.add(rel_dir)

    def sync_dirs(self, open_dir: Callable[[list[str]], int]) -> None:
        """fsync every noted directory and its parents up to the target (they may have
        been created by the restore), deepest first, once each. ``open_dir`` opens a
        directory by its components below the target; one that cannot be opened any
        more (gone, replaced by a symlink) is skipped, a failed fsync is logged."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        todo: set[tuple[str, ...]] = set()
        for rel_dir in dirty:
            parts = tuple(rel_dir.split("/")) if rel_dir else ()
            todo.update(parts[:i] for i in range(len(parts) + 1))
        for parts in sorted(todo, key=lambda p: (-len(p), p)):
            try:
                fd = open_dir(list(parts))
            except (OSError, SyncdError):  # gone, or no longer a plain directory
                continue
            try:
                self._fsync(fd)
            except OSError as exc:
                log.warning("restore_dir_sync_failed", rel_dir="/".join(parts), error=str(exc))
            finally:
                os.close(fd)
