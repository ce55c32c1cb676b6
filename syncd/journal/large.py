"""Large uploads this client started and has not finished, one per (folder, path).

Recorded durably before the first part is sent, so a restart resumes exactly that
large file by its id (no guess from a listing); forgotten when the path's job completes
(inside its completion transaction); listed as abandoned when the path is no longer
pending, so the reconciler cancels them on B2.

A start is recorded twice: before the request that starts it, with no file id yet
(``LargeStart.file_id == ""``: a crash before the answer leaves a large file nobody
knows the id of, found again by its name), and with the id once it is known. The
paths that have a record are kept in memory too (loaded once, a handful of rows), so
asking after every job whether one is left costs no query.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection

from syncd.clock import Clock
from syncd.domain import RelPath
from syncd.journal.codec import decode_path, encode_path
from syncd.journal.db import Database, dbapi
from syncd.journal.folders import Folders
from syncd.remote import LargeStart


def forget_row(conn: Connection, folder_id: int, path: bytes) -> None:
    """Drop the record of one path (its upload finished or was given up)."""
    dbapi(conn).execute(
        "DELETE FROM large_uploads WHERE folder_id = ? AND path = ?", (folder_id, path)
    )


class LargeUploads:
    """``journal.large``: the record of large uploads in progress."""

    def __init__(self, db: Database, folders: Folders, clock: Clock) -> None:
        self._db = db
        self._folders = folders
        self._clock = clock
        self._lock = threading.Lock()
        # (folder id, encoded path) of every record, or more (a completion that forgets
        # a row in its own transaction leaves it here): None until first asked.
        self._known: set[tuple[int, bytes]] | None = None

    def may_have(self, folder: str, rel_path: str) -> bool:
        """Whether the path may have a record (never False when it has one)."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return False
        with self._lock:
            if self._known is None:
                with self._db.read("list large uploads") as conn:
                    rows = dbapi(conn).execute("SELECT folder_id, path FROM large_uploads")
                    self._known = {(int(f), bytes(p)) for f, p in rows.fetchall()}
            return (folder_id, encode_path(rel_path)) in self._known

    def get(self, folder: str, rel_path: str) -> LargeStart | None:
        """What was recorded for the path, or None."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return None
        with self._db.read("read a large upload") as conn:
            row = (
                dbapi(conn)
                .execute(
                    "SELECT file_id, sha1, mtime_ms, part_size FROM large_uploads"
                    " WHERE folder_id = ? AND path = ?",
                    (folder_id, encode_path(rel_path)),
                )
                .fetchone()
            )
        if row is None:
            return None
        file_id, sha1, mtime_ms, part_size = row
        return LargeStart(file_id=file_id, sha1=sha1, mtime_ms=mtime_ms, part_size=part_size)

    def started(self, folder: str, rel_path: str, start: LargeStart) -> None:
        """Record a start, durably (before any part of it is sent)."""
        now_ms = self._clock.now_ms()
        folder_id = self._folders.ensure([folder])[folder]
        path = encode_path(rel_path)
        with self._lock:
            if self._known is not None:
                self._known.add((folder_id, path))
        with self._db.write("record a large upload", durable=True) as conn:
            dbapi(conn).execute(
                "INSERT OR REPLACE INTO large_uploads (folder_id, path, file_id, sha1,"
                " mtime_ms, part_size, started_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (folder_id, path, start.file_id, start.sha1,
                 start.mtime_ms, start.part_size, now_ms),
            )  # fmt: skip

    def forget(self, folder: str, rel_path: str) -> None:
        """Drop the record of one path."""
        folder_id = self._folders.lookup(folder)
        if folder_id is not None:
            path = encode_path(rel_path)
            with self._db.write("forget a large upload") as conn:
                forget_row(conn, folder_id, path)
            with self._lock:
                if self._known is not None:
                    self._known.discard((folder_id, path))

    def abandoned(self, folder: str, started_before_ms: int) -> list[tuple[RelPath, str]]:
        """(path, file id) of records older than ``started_before_ms`` whose path has no
        pending row: nothing will finish them."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return []
        with self._db.read("list abandoned large uploads") as conn:
            rows = (
                dbapi(conn)
                .execute(
                    "SELECT l.path, l.file_id FROM large_uploads AS l WHERE l.folder_id = ?"
                    " AND l.started_ms < ? AND NOT EXISTS (SELECT 1 FROM pending AS p"
                    " WHERE p.folder_id = l.folder_id AND p.path = l.path)",
                    (folder_id, started_before_ms),
                )
                .fetchall()
            )
        return [(decode_path(bytes(path)), str(file_id)) for path, file_id in rows]
