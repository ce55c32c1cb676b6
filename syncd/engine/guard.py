"""Safety guards in front of every hide: the root must be the root we know, and a
pass may not hide more than a threshold of a folder without ``syncd approve``.

A marker file carrying a random folder id is written into the root on first use and its
id kept in the journal: an unmounted, emptied or replaced root has no marker (or another
id, or another device) and so never turns into mass hides.
"""

from __future__ import annotations

import errno
import os
import stat
import uuid

import structlog

from syncd.config import FolderConfig, SyncConfig
from syncd.domain import RootIdentity
from syncd.engine.local import MARKER_NAME
from syncd.errors import SafetyStopError
from syncd.journal import Journal

log = structlog.get_logger(__name__)


class RootGuard:
    """Knows one folder's root by device and marker id, and refuses a stranger."""

    def __init__(self, folder: FolderConfig, journal: Journal) -> None:
        self._folder = folder
        self._journal = journal

    def _root_dev(self) -> int:
        try:
            st = os.stat(self._folder.path)
        except OSError as exc:
            raise self._stop(f"cannot be reached ({exc.strerror})") from exc
        if not stat.S_ISDIR(st.st_mode):
            raise self._stop("is not a directory")
        return st.st_dev

    def _stop(self, problem: str) -> SafetyStopError:
        return SafetyStopError(
            f"folder {self._folder.name}: root {self._folder.path} {problem}; "
            "nothing is hidden or uploaded for it until it is back"
        )

    def _read_marker(self) -> str | None:
        try:
            return (self._folder.path / MARKER_NAME).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise self._stop(f"has an unreadable {MARKER_NAME} ({exc})") from exc

    def establish(self) -> None:
        """Check the root, recording its identity (and writing the marker) on first use."""
        if self._journal.state.root(self._folder.name) is not None:
            self.check()
            return
        dev = self._root_dev()
        marker = self._read_marker() or self._write_marker()
        identity = RootIdentity(dev=dev, marker=marker)
        self._journal.state.record_root(self._folder.name, identity)
        log.info("root_recorded", folder=self._folder.name, has_marker=marker is not None)

    def _write_marker(self) -> str | None:
        marker = uuid.uuid4().hex
        path = self._folder.path / MARKER_NAME
        try:
            with open(path, "x", encoding="ascii") as out:
                out.write(marker + "\n")
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise self._stop(f"cannot hold the marker {MARKER_NAME} ({exc.strerror})") from exc
            log.warning("root_marker_unwritable", folder=self._folder.name, error=exc.strerror)
            return None
        return marker

    def check(self) -> None:
        """Raise SafetyStopError unless the root is the one recorded."""
        identity = self._journal.state.root(self._folder.name)
        if identity is None:
            raise self._stop("was never recorded")
        if self._root_dev() != identity.dev:
            raise self._stop("is on another device (unmounted or replaced)")
        if identity.marker is not None and self._read_marker() != identity.marker:
            raise self._stop(f"has lost its {MARKER_NAME} marker (emptied or replaced)")


def delete_limit(indexed: int, *, ratio: float, count: int) -> int:
    """How many deletes pass without approval: the share ``ratio`` of the indexed files,
    at most ``count``. A single delete always passes (it is not a mass delete) unless
    ``count`` is 0, which makes every delete wait for approval."""
    return min(count, max(1, int(indexed * ratio)))


class DeleteGuard:
    """Pauses hides when a pass would hide more than the configured share of a folder.

    The pending deletes and the index are counted in one read of the journal. Read
    apart, a hide that another worker completed between the two reads lowered the index
    but not the deletes already counted, so a 2-of-4 pass looked like 2 of 3 and paused.
    Only deletes of indexed paths count: the others have nothing on B2 to hide.
    """

    def __init__(self, journal: Journal, sync: SyncConfig) -> None:
        self._journal = journal
        self._ratio = sync.mass_delete_ratio
        self._count = sync.mass_delete_count

    def limit(self, folder: str) -> int:
        """How many pending deletes of ``folder`` pass without approval now."""
        _pending, indexed = self._journal.delete_pressure(folder)
        return delete_limit(indexed, ratio=self._ratio, count=self._count)

    def allow(self, folder: str) -> None:
        """Raise SafetyStopError when the pending deletes exceed the limit unapproved."""
        pending, indexed = self._journal.delete_pressure(folder)
        if pending == 0:
            return
        limit = delete_limit(indexed, ratio=self._ratio, count=self._count)
        state = self._journal.state
        approved = state.approved_deletes(folder)
        if pending <= limit:
            if approved:  # the approved batch is down to a normal size: the approval is spent
                state.set_deletes(folder, approved=0)
            return
        if pending <= approved:
            return
        if state.paused_deletes(folder) != pending:
            state.set_deletes(folder, paused=pending)
            log.warning("mass_delete_paused", folder=folder, pending=pending, limit=limit)
        raise SafetyStopError(
            f"folder {folder}: {pending} files would be hidden (limit {limit}); "
            f"paused until `syncd approve --folder {folder}`"
        )

    def approve(self, folder: str) -> int:
        """Let the currently pending deletes of ``folder`` through; return their number."""
        pending, _indexed = self._journal.delete_pressure(folder)
        self._journal.state.set_deletes(folder, paused=0, approved=pending)
        return pending
