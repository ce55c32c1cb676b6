"""Per-path issues (items that will not be synced, each shown once) and the folder
filter that ``Journal``'s listings share: a base class of ``Journal``, kept apart so
that neither module passes 400 lines. Each method is one short transaction.
"""

from __future__ import annotations

from syncd.clock import Clock
from syncd.domain import RelPath, SkippedItem
from syncd.journal import notes
from syncd.journal.codec import decode_path, encode_path
from syncd.journal.db import Database
from syncd.journal.folders import Folders

UNKNOWN = -1  # a folder filter naming a folder the journal has never seen


class IssueMethods:
    """``report_issue``, ``clear_issue``, ``issues`` over ``_db`` and ``_folders``."""

    _db: Database
    _folders: Folders
    _clock: Clock

    def report_issue(self, item: SkippedItem) -> bool:
        """Remember a skipped item; True only the first time for that path and reason."""
        folder_id = self._folders.ensure([item.folder])[item.folder]
        now = self._clock.now_ms()
        with self._db.write("report issue") as conn:
            return notes.report(conn, folder_id, encode_path(item.rel_path), item.reason, now)

    def clear_issue(self, folder: str, rel_path: RelPath) -> None:
        """Forget the issue of one path (it synced, or is gone)."""
        folder_id = self._folders.lookup(folder)
        if folder_id is not None:
            with self._db.write("clear issue") as conn:
                notes.clear(conn, folder_id, encode_path(rel_path))

    def issues(self, folder: str | None = None) -> list[SkippedItem]:
        """Every remembered issue, by folder then path."""
        folder_id = self._folder_filter(folder)
        if folder_id == UNKNOWN:
            return []
        with self._db.read("list issues") as conn:
            rows = notes.listing(conn, folder_id)
            names = {fid: self._folders.name(fid, conn) for fid in {row[0] for row in rows}}
        rows.sort(key=lambda row: (names[row[0]], row[1]))
        return [
            SkippedItem(folder=names[fid], rel_path=decode_path(path), reason=reason)
            for fid, path, reason in rows
        ]

    def _folder_filter(self, folder: str | None) -> int | None:
        if folder is None:
            return None
        folder_id = self._folders.lookup(folder)
        return UNKNOWN if folder_id is None else folder_id
