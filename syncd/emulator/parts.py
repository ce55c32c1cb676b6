"""PartStore: uploaded parts of unfinished large files in SQLite.

Re-uploading a part number replaces it (the old blob is returned for collection).
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from syncd.emulator.models import Part

_COLUMNS = "file_id, number, blob, size, sha1, upload_ms"


def _row_to_part(row: tuple[Any, ...]) -> Part:
    return Part(
        file_id=row[0], number=row[1], blob=row[2], size=row[3], sha1=row[4], upload_ms=row[5]
    )


class PartStore:
    """Parts keyed by (large file id, part number)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def put(self, part: Part) -> str | None:
        """Store a part; return the blob of the part it replaced, if any."""
        row = self._db.execute(
            "SELECT blob FROM parts WHERE file_id = ? AND number = ?", (part.file_id, part.number)
        ).fetchone()
        self._db.execute(
            f"INSERT OR REPLACE INTO parts ({_COLUMNS}) VALUES (?,?,?,?,?,?)",
            (part.file_id, part.number, part.blob, part.size, part.sha1, part.upload_ms),
        )
        return None if row is None else str(row[0])

    def all(self, file_id: str) -> list[Part]:
        """Every part of a large file, by number."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM parts WHERE file_id = ? ORDER BY number", (file_id,)
        ).fetchall()
        return [_row_to_part(row) for row in rows]

    def page(self, file_id: str, start: int, limit: int) -> list[Part]:
        """Up to ``limit`` parts numbered ``start`` or more."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM parts WHERE file_id = ? AND number >= ? "
            "ORDER BY number LIMIT ?",
            (file_id, start, limit),
        ).fetchall()
        return [_row_to_part(row) for row in rows]

    def remove_all(self, file_id: str) -> list[str]:
        """Forget every part of a large file; return their blobs."""
        blobs = [
            str(r[0])
            for r in self._db.execute("SELECT blob FROM parts WHERE file_id = ?", (file_id,))
        ]
        self._db.execute("DELETE FROM parts WHERE file_id = ?", (file_id,))
        return blobs
