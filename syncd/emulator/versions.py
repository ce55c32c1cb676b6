"""VersionStore: file versions and their content segments in SQLite.

Order everywhere is B2's: file name ascending (UTF-8 byte order, which SQLite's BINARY
collation gives), then newest first by ``uploadTimestamp`` and creation sequence.
``uploadTimestamp`` is strictly increasing per (bucket, name).
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from syncd.emulator.ids import new_file_id
from syncd.emulator.models import (
    NO_ENCRYPTION,
    NO_LOCK,
    START,
    Encryption,
    FileLock,
    Segment,
    Version,
)
from syncd.emulator.schema import transaction

_COLUMNS = (
    "seq, file_id, bucket_id, name, action, size, sha1, content_type, info, upload_ms, is_large, "
    "sse_mode, sse_algorithm, sse_key_md5, lock_mode, lock_until_ms, legal_hold"
)
_ORDER = "ORDER BY name, upload_ms DESC, seq DESC"


def _row_to_version(row: tuple[Any, ...]) -> Version:
    return Version(
        seq=row[0],
        file_id=row[1],
        bucket_id=row[2],
        name=row[3],
        action=row[4],
        size=row[5],
        sha1=row[6],
        content_type=row[7],
        info=json.loads(row[8]),
        upload_ms=row[9],
        is_large=bool(row[10]),
        encryption=Encryption(mode=row[11], algorithm=row[12], key_md5=row[13]),
        lock=FileLock(mode=row[14], retain_until_ms=row[15], legal_hold=row[16]),
    )


class VersionStore:
    """All file versions of all buckets."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def next_timestamp(self, bucket_id: str, name: str, now_ms: int) -> int:
        """``now_ms``, raised if needed so it exceeds every timestamp already used for name."""
        row = self._db.execute(
            "SELECT MAX(upload_ms) FROM versions WHERE bucket_id = ? AND name = ?",
            (bucket_id, name),
        ).fetchone()
        latest = row[0]
        return now_ms if latest is None or latest < now_ms else int(latest) + 1

    def add(
        self,
        *,
        bucket_id: str,
        name: str,
        action: str,
        size: int,
        sha1: str | None,
        content_type: str | None,
        info: dict[str, str],
        is_large: bool,
        now_ms: int,
        segments: Sequence[Segment] = (),
        encryption: Encryption = NO_ENCRYPTION,
        lock: FileLock = NO_LOCK,
        custom_ms: int | None = None,
    ) -> Version:
        """Insert a new version (and its content segments) in one transaction.

        ``custom_ms`` (X-Bz-Custom-Upload-Timestamp) replaces the clock and is taken as is.
        """
        with transaction(self._db):
            upload_ms = (
                custom_ms if custom_ms is not None else self.next_timestamp(bucket_id, name, now_ms)
            )
            file_id = new_file_id(bucket_id, upload_ms, large=is_large)
            cursor = self._db.execute(
                "INSERT INTO versions (file_id, bucket_id, name, action, size, sha1, "
                "content_type, info, upload_ms, is_large, sse_mode, sse_algorithm, sse_key_md5, "
                "lock_mode, lock_until_ms, legal_hold) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    file_id,
                    bucket_id,
                    name,
                    action,
                    size,
                    sha1,
                    content_type,
                    json.dumps(info),
                    upload_ms,
                    int(is_large),
                    encryption.mode,
                    encryption.algorithm,
                    encryption.key_md5,
                    lock.mode,
                    lock.retain_until_ms,
                    lock.legal_hold,
                ),
            )
            self._put_segments(file_id, segments)
        assert cursor.lastrowid is not None
        return Version(
            seq=cursor.lastrowid,
            file_id=file_id,
            bucket_id=bucket_id,
            name=name,
            action=action,
            size=size,
            sha1=sha1,
            content_type=content_type,
            info=info,
            upload_ms=upload_ms,
            is_large=is_large,
            encryption=encryption,
            lock=lock,
        )

    def _put_segments(self, file_id: str, segments: Sequence[Segment]) -> None:
        self._db.executemany(
            "INSERT INTO segments (file_id, idx, blob, offset, length) VALUES (?,?,?,?,?)",
            [(file_id, i, s.blob, s.offset, s.length) for i, s in enumerate(segments)],
        )

    def get(self, file_id: str) -> Version | None:
        """The version with this id, or None."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM versions WHERE file_id = ?", (file_id,)
        ).fetchone()
        return None if row is None else _row_to_version(row)

    def segments(self, file_id: str) -> list[Segment]:
        """The content of a version, in order."""
        rows = self._db.execute(
            "SELECT blob, offset, length FROM segments WHERE file_id = ? ORDER BY idx", (file_id,)
        ).fetchall()
        return [Segment(blob=r[0], offset=r[1], length=r[2]) for r in rows]

    def newest(self, bucket_id: str, name: str) -> Version | None:
        """The newest upload or hide marker of ``name`` (unfinished large files ignored)."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM versions WHERE bucket_id = ? AND name = ? "
            f"AND action != 'start' {_ORDER} LIMIT 1",
            (bucket_id, name),
        ).fetchone()
        return None if row is None else _row_to_version(row)

    def has_any(self, bucket_id: str) -> bool:
        """True when the bucket holds any version, including unfinished large files."""
        row = self._db.execute(
            "SELECT 1 FROM versions WHERE bucket_id = ? LIMIT 1", (bucket_id,)
        ).fetchone()
        return row is not None

    def finish(self, file_id: str, size: int, segments: Sequence[Segment]) -> None:
        """Turn an unfinished large file into an upload with the given content."""
        self._db.execute(
            "UPDATE versions SET action = 'upload', size = ? WHERE file_id = ?", (size, file_id)
        )
        self._put_segments(file_id, segments)

    def set_lock(self, file_id: str, lock: FileLock) -> None:
        """Store a version's new retention and legal hold."""
        self._db.execute(
            "UPDATE versions SET lock_mode = ?, lock_until_ms = ?, legal_hold = ? "
            "WHERE file_id = ?",
            (lock.mode, lock.retain_until_ms, lock.legal_hold, file_id),
        )

    def remove(self, file_id: str) -> list[str]:
        """Delete a version; return the blobs it referenced (caller collects unused ones)."""
        blobs = [s.blob for s in self.segments(file_id)]
        self._db.execute("DELETE FROM segments WHERE file_id = ?", (file_id,))
        self._db.execute("DELETE FROM versions WHERE file_id = ?", (file_id,))
        return blobs

    def blob_in_use(self, blob: str) -> bool:
        """True when any version or part still references ``blob``."""
        row = self._db.execute(
            "SELECT 1 FROM segments WHERE blob = ? UNION ALL "
            "SELECT 1 FROM parts WHERE blob = ? LIMIT 1",
            (blob, blob),
        ).fetchone()
        return row is not None

    def ordered(
        self, bucket_id: str, start_name: str, upper: str | None, *, include_start: bool
    ) -> Iterator[Version]:
        """Versions with ``start_name <= name < upper`` in B2 order, lazily."""
        sql = f"SELECT {_COLUMNS} FROM versions WHERE bucket_id = ? AND name >= ?"
        args: list[Any] = [bucket_id, start_name]
        if upper is not None:
            sql += " AND name < ?"
            args.append(upper)
        if not include_start:
            sql += " AND action != 'start'"
        cursor = self._db.execute(f"{sql} {_ORDER}", args)
        try:
            for row in cursor:
                yield _row_to_version(row)
        finally:
            cursor.close()

    def unfinished(
        self, bucket_id: str, prefix: str, after: Version | None, limit: int
    ) -> list[Version]:
        """Unfinished large files, oldest first, starting at ``after`` (inclusive)."""
        sql = f"SELECT {_COLUMNS} FROM versions WHERE bucket_id = ? AND action = ?"
        args: list[Any] = [bucket_id, START]
        if after is not None:
            sql += " AND (upload_ms > ? OR (upload_ms = ? AND seq >= ?))"
            args += [after.upload_ms, after.upload_ms, after.seq]
        if prefix:
            sql += " AND substr(name, 1, ?) = ?"
            args += [len(prefix), prefix]
        sql += " ORDER BY upload_ms, seq LIMIT ?"
        args.append(limit)
        return [_row_to_version(row) for row in self._db.execute(sql, args)]
