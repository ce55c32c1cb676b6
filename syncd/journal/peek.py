"""A read-only look at a journal, for commands that run beside the daemon (``status``,
``explain``, ``doctor``).

Imports ``syncd.errors``, ``peek_history`` and the standard library only, never SQLAlchemy: ``syncd
status`` must start fast, and it only reads. The file is opened with SQLite's
``mode=ro``, so nothing here can change it; WAL lets it read while the daemon writes.
The statements name the tables of ``schema.py``; a test runs them on a fresh journal,
so a change of layout that breaks them fails there.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from syncd.errors import JournalError
from syncd.journal.peek_history import HistoryQuery, HistoryRow
from syncd.journal.peek_history import read as read_history

APPLICATION_ID = 0x73796E63  # the same mark as schema.APPLICATION_ID (a test checks)


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderFigures:
    """One folder's counts, read in one transaction."""

    indexed_files: int
    indexed_bytes: int
    last_upload_ms: int  # 0: nothing on B2 yet
    recent_files: int  # uploads of the window given to ``folder_figures``
    recent_bytes: int
    pending: int
    pending_deletes: int
    oldest_pending_ms: int  # 0: nothing pending
    paused_deletes: int
    paused_until_ms: int  # 0: not paused


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingRow:
    """A path's pending row, as the queue holds it."""

    rel_path: str
    kind: str
    first_seen_ms: int
    due_ms: int
    attempts: int
    retry_at_ms: int
    last_error: str
    leased: bool
    maybe_sent: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexRow:
    """What the journal says syncd last put on B2 for a path."""

    rel_path: str
    b2_name: str
    size: int
    mtime_ns: int
    sha1: str
    file_id: str
    upload_timestamp_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IssueRow:
    """A path that will not be synced, and why."""

    rel_path: str
    reason: str
    first_seen_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConflictRow:
    """Another writer's version met syncd's at a path (schema v4)."""

    rel_path: str
    kind: str
    resolution: str
    kept_as: str | None
    remote_file_id: str
    detected_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WalkRow:
    """A folder's remote-index listing walk (schema v4)."""

    last_finished_ms: int  # 0: never finished
    is_running: bool
    versions: int
    calls: int


_FIGURES = """
SELECT
  (SELECT count(*) FROM files WHERE folder_id = :f),
  (SELECT coalesce(sum(size), 0) FROM files WHERE folder_id = :f),
  (SELECT coalesce(max(upload_timestamp_ms), 0) FROM files WHERE folder_id = :f),
  (SELECT count(*) FROM files WHERE folder_id = :f AND upload_timestamp_ms >= :since),
  (SELECT coalesce(sum(size), 0) FROM files WHERE folder_id = :f AND upload_timestamp_ms >= :since),
  (SELECT count(*) FROM pending WHERE folder_id = :f),
  (SELECT count(*) FROM pending WHERE folder_id = :f AND kind = 'deleted'),
  (SELECT coalesce(min(first_seen_ms), 0) FROM pending WHERE folder_id = :f)
"""
_PENDING = (
    "SELECT path, kind, first_seen_ms, due_ms, attempts, retry_at_ms, last_error,"
    " lease_owner IS NOT NULL AND lease_until_ms > 0, maybe_sent FROM pending"
)
_INDEX = "SELECT path, b2_name, size, mtime_ns, sha1, file_id, upload_timestamp_ms FROM files"
_ISSUES = "SELECT path, reason, first_seen_ms FROM issues"


class JournalPeek:
    """Read-only queries on one journal file; a context manager that closes it."""

    def __init__(self, path: Path) -> None:
        """Open ``path`` read-only.

        Raises:
            JournalError: missing, not a syncd journal, or unreadable.
        """
        if not path.exists():
            raise JournalError(f"journal {path} does not exist: syncd never ran with this state")
        uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
        try:
            self._conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            app_id = int(self._conn.execute("PRAGMA application_id").fetchone()[0])
        except sqlite3.Error as exc:
            raise JournalError(f"journal {path} cannot be read: {exc}") from exc
        if app_id != APPLICATION_ID:
            self._conn.close()
            raise JournalError(f"journal {path} is not a syncd journal")
        self.path = path
        self._folder_ids = {
            str(name): int(fid) for fid, name in self._all("SELECT id, name FROM folders")
        }
        columns = {str(row[1]) for row in self._all("PRAGMA table_info(folder_state)")}
        self._has_pause = "paused_until_ms" in columns

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> JournalPeek:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _all(self, sql: str, params: Any = ()) -> list[Any]:
        try:
            return list(self._conn.execute(sql, params))
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path} cannot be read: {exc}") from exc

    def schema_version(self) -> int:
        """``PRAGMA user_version`` of the file."""
        return int(self._all("PRAGMA user_version")[0][0])

    def quick_check(self) -> list[str]:
        """``PRAGMA quick_check``'s findings: ``["ok"]`` when the file is sound."""
        return [str(row[0]) for row in self._all("PRAGMA quick_check(5)")]

    def knows(self, folder: str) -> bool:
        """True once the journal has seen ``folder``."""
        return folder in self._folder_ids

    def folder_figures(self, folder: str, *, since_ms: int) -> FolderFigures:
        """Counts of ``folder``; ``recent_*`` count uploads at or after ``since_ms``."""
        fid = self._folder_ids.get(folder, -1)
        self._all("BEGIN")  # one snapshot for every figure below
        try:
            row = [int(v or 0) for v in self._all(_FIGURES, {"f": fid, "since": since_ms})[0]]
            state = self._state(fid)
        finally:
            self._all("COMMIT")
        return FolderFigures(
            indexed_files=row[0],
            indexed_bytes=row[1],
            last_upload_ms=row[2],
            recent_files=row[3],
            recent_bytes=row[4],
            pending=row[5],
            pending_deletes=row[6],
            oldest_pending_ms=row[7],
            paused_deletes=state[0],
            paused_until_ms=state[1],
        )

    def _state(self, fid: int) -> tuple[int, int]:
        pause = "paused_until_ms" if self._has_pause else "0"
        sql = f"SELECT paused_deletes, {pause} FROM folder_state WHERE folder_id = ?"
        rows = self._all(sql, (fid,))
        return (0, 0) if not rows else (int(rows[0][0] or 0), int(rows[0][1] or 0))

    def failures(self, folder: str, *, limit: int = 50) -> list[PendingRow]:
        """Pending rows of ``folder`` that failed at least once, by path."""
        sql = f"{_PENDING} WHERE folder_id = ? AND attempts > 0 ORDER BY path LIMIT ?"
        return [_pending(r) for r in self._all(sql, (self._folder_ids.get(folder, -1), limit))]

    def failure_count(self, folder: str) -> int:
        """How many pending rows of ``folder`` failed at least once."""
        sql = "SELECT count(*) FROM pending WHERE folder_id = ? AND attempts > 0"
        return int(self._all(sql, (self._folder_ids.get(folder, -1),))[0][0])

    def issues(self, folder: str, *, limit: int = 50) -> list[IssueRow]:
        """Skipped items of ``folder``, by path."""
        sql = f"{_ISSUES} WHERE folder_id = ? ORDER BY path LIMIT ?"
        return [_issue(r) for r in self._all(sql, (self._folder_ids.get(folder, -1), limit))]

    def issue_count(self, folder: str) -> int:
        """How many skipped items ``folder`` has."""
        sql = "SELECT count(*) FROM issues WHERE folder_id = ?"
        return int(self._all(sql, (self._folder_ids.get(folder, -1),))[0][0])

    def _has_table(self, name: str) -> bool:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return bool(self._all(sql, (name,)))

    def conflicts(self, folder: str) -> list[ConflictRow]:
        """Conflicts met in ``folder``, by path (none before schema v4)."""
        if not self._has_table("conflicts"):
            return []
        sql = (
            "SELECT path, kind, resolution, kept_as, remote_file_id, detected_ms FROM conflicts"
            " WHERE folder_id = ? ORDER BY path, detected_ms"
        )
        return [
            ConflictRow(
                rel_path=_text(r[0]),
                kind=str(r[1]),
                resolution=str(r[2]),
                kept_as=r[3],
                remote_file_id=str(r[4]),
                detected_ms=int(r[5]),
            )
            for r in self._all(sql, (self._folder_ids.get(folder, -1),))
        ]

    def walk(self, folder: str) -> WalkRow | None:
        """The folder's remote-index walk, or None (never walked, or before v4)."""
        if not self._has_table("remote_walks"):
            return None
        sql = (
            "SELECT last_finished_ms, started_ms > 0 AND finished_ms = 0, versions, calls"
            " FROM remote_walks WHERE folder_id = ?"
        )
        rows = self._all(sql, (self._folder_ids.get(folder, -1),))
        if not rows:
            return None
        r = rows[0]
        return WalkRow(
            last_finished_ms=int(r[0]), is_running=bool(r[1]), versions=int(r[2]), calls=int(r[3])
        )

    def history(self, query: HistoryQuery) -> list[HistoryRow]:
        """What syncd did, newest first, as ``query`` narrows it (none before v5)."""
        return read_history(self._all, self._has_table("history"), query, self._folder_ids)

    def calls_on(self, day: str) -> dict[str, int]:
        """B2 calls recorded on one UTC day (``YYYY-MM-DD``), by price class."""
        if not self._has_table("b2_calls"):
            return {}
        rows = self._all("SELECT class, calls FROM b2_calls WHERE day = ?", (day,))
        return {str(c): int(n) for c, n in rows}

    def pending_row(self, folder: str, rel_path: str) -> PendingRow | None:
        """The pending row of one path, or None."""
        sql = f"{_PENDING} WHERE folder_id = ? AND path = ?"
        rows = self._all(sql, (self._folder_ids.get(folder, -1), os.fsencode(rel_path)))
        return _pending(rows[0]) if rows else None

    def index_row(self, folder: str, rel_path: str) -> IndexRow | None:
        """The index entry of one path, or None."""
        sql = f"{_INDEX} WHERE folder_id = ? AND path = ?"
        rows = self._all(sql, (self._folder_ids.get(folder, -1), os.fsencode(rel_path)))
        return _index(rows[0]) if rows else None

    def issue(self, folder: str, rel_path: str) -> IssueRow | None:
        """The issue of one path, or None."""
        sql = f"{_ISSUES} WHERE folder_id = ? AND path = ?"
        rows = self._all(sql, (self._folder_ids.get(folder, -1), os.fsencode(rel_path)))
        return _issue(rows[0]) if rows else None


def _text(raw: Any) -> str:
    return os.fsdecode(bytes(raw))


def _pending(r: Any) -> PendingRow:
    return PendingRow(
        rel_path=_text(r[0]),
        kind=str(r[1]),
        first_seen_ms=int(r[2]),
        due_ms=int(r[3]),
        attempts=int(r[4]),
        retry_at_ms=int(r[5]),
        last_error=str(r[6] or ""),
        leased=bool(r[7]),
        maybe_sent=bool(r[8]),
    )


def _index(r: Any) -> IndexRow:
    return IndexRow(
        rel_path=_text(r[0]),
        b2_name=str(r[1]),
        size=int(r[2]),
        mtime_ns=int(r[3]),
        sha1=str(r[4]),
        file_id=str(r[5]),
        upload_timestamp_ms=int(r[6]),
    )


def _issue(r: Any) -> IssueRow:
    return IssueRow(rel_path=_text(r[0]), reason=str(r[1]), first_seen_ms=int(r[2]))
