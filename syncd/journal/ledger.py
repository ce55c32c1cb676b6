"""What happened between syncd and other writers, and what it cost: the conflicts met
(each shown once, kept for ``status``) and the B2 calls made per UTC day and class.

Functions taking a connection run inside a transaction the caller opened (a job's
completion records its conflict with its index entry); ``Ledger`` is ``journal.ledger``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection

from syncd.domain import B2Name, ConflictKind, ConflictRecord
from syncd.journal.codec import decode_path, encode_path, safe_text
from syncd.journal.db import Database, dbapi
from syncd.journal.folders import Folders


def record_conflict(conn: Connection, folder_id: int, record: ConflictRecord) -> bool:
    """Keep one conflict; True when it is new (not seen for this path and version)."""
    cursor = dbapi(conn).execute(
        "INSERT OR IGNORE INTO conflicts (folder_id, path, remote_file_id, kind, resolution,"
        " kept_as, detected_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            folder_id,
            encode_path(record.rel_path),
            record.remote_file_id,
            record.kind.value,
            safe_text(record.resolution),
            record.kept_as,
            record.detected_ms,
        ),
    )
    return cursor.rowcount > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CallCount:
    """B2 calls made on one UTC day, by price class."""

    day: str
    by_class: Mapping[str, int]

    def of(self, price_class: str) -> int:
        """Calls of one class (0 when none)."""
        return self.by_class.get(price_class, 0)


class Ledger:
    """Conflicts and B2 call counts (``journal.ledger``)."""

    def __init__(self, db: Database, folders: Folders) -> None:
        self._db = db
        self._folders = folders

    def conflict_known(self, folder: str, rel_path: str, remote_file_id: str) -> bool:
        """True when this path already met this version of another writer."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return False
        with self._db.read("read conflicts") as conn:
            row = (
                dbapi(conn)
                .execute(
                    "SELECT 1 FROM conflicts WHERE folder_id = ? AND path = ?"
                    " AND remote_file_id = ?",
                    (folder_id, encode_path(rel_path), remote_file_id),
                )
                .fetchone()
            )
        return row is not None

    def conflicts(self, folder: str | None = None) -> list[ConflictRecord]:
        """Every recorded conflict, newest first."""
        sql = (
            "SELECT f.name, c.path, c.remote_file_id, c.kind, c.resolution, c.kept_as,"
            " c.detected_ms FROM conflicts AS c JOIN folders AS f ON f.id = c.folder_id"
        )
        params: tuple[str, ...] = ()
        if folder is not None:
            sql += " WHERE f.name = ?"
            params = (folder,)
        sql += " ORDER BY c.detected_ms DESC, f.name, c.path"
        with self._db.read("list conflicts") as conn:
            rows = dbapi(conn).execute(sql, params).fetchall()
        return [
            ConflictRecord(
                folder=name,
                rel_path=decode_path(bytes(path)),
                remote_file_id=file_id,
                kind=ConflictKind(kind),
                resolution=resolution,
                kept_as=None if kept_as is None else B2Name(kept_as),
                detected_ms=detected,
            )
            for name, path, file_id, kind, resolution, kept_as, detected in rows
        ]

    def add_calls(self, day: str, by_class: Mapping[str, int]) -> None:
        """Add calls made on ``day`` (UTC, YYYY-MM-DD) to the ledger."""
        rows = [(day, cls, n) for cls, n in sorted(by_class.items()) if n > 0]
        if not rows:
            return
        with self._db.write("count B2 calls") as conn:
            dbapi(conn).executemany(
                "INSERT INTO b2_calls (day, class, calls) VALUES (?, ?, ?)"
                " ON CONFLICT (day, class) DO UPDATE SET calls = calls + excluded.calls",
                rows,
            )

    def calls(self, day: str) -> CallCount:
        """The calls counted for one UTC day."""
        with self._db.read("read B2 call counts") as conn:
            rows = (
                dbapi(conn)
                .execute("SELECT class, calls FROM b2_calls WHERE day = ?", (day,))
                .fetchall()
            )
        return CallCount(day=day, by_class={str(cls): int(n) for cls, n in rows})
