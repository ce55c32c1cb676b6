"""BucketStore: bucket rows in SQLite (create, find, list, update, delete).

Names are unique case-insensitively; ``revision`` starts at 1 and grows on each update.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import Any

from syncd.emulator.ids import new_bucket_id
from syncd.emulator.models import Bucket

_COLUMNS = (
    "bucket_id, name, bucket_type, info, cors_rules, lifecycle_rules, revision, file_lock, "
    "default_sse, default_retention, replication"
)
NO_SSE: dict[str, Any] = {"mode": None, "algorithm": None}


def _row_to_bucket(row: tuple[Any, ...]) -> Bucket:
    return Bucket(
        bucket_id=row[0],
        name=row[1],
        bucket_type=row[2],
        info=json.loads(row[3]),
        cors_rules=json.loads(row[4]),
        lifecycle_rules=json.loads(row[5]),
        revision=row[6],
        file_lock_enabled=bool(row[7]),
        default_sse=json.loads(row[8]),
        default_retention=json.loads(row[9]),
        replication=None if row[10] is None else json.loads(row[10]),
    )


class BucketStore:
    """Buckets of the single emulated account."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def create(
        self,
        name: str,
        bucket_type: str,
        *,
        info: dict[str, Any] | None = None,
        cors_rules: list[Any] | None = None,
        lifecycle_rules: list[Any] | None = None,
        file_lock_enabled: bool = False,
        default_sse: dict[str, Any] | None = None,
        replication: dict[str, Any] | None = None,
        default_retention: dict[str, Any] | None = None,
    ) -> Bucket:
        """Insert a bucket; the caller has checked the name is free."""
        bucket = Bucket(
            bucket_id=new_bucket_id(),
            name=name,
            bucket_type=bucket_type,
            info=info or {},
            cors_rules=cors_rules or [],
            lifecycle_rules=lifecycle_rules or [],
            revision=1,
            file_lock_enabled=file_lock_enabled,
            default_sse=default_sse or dict(NO_SSE),
            replication=replication,
            default_retention=default_retention or {"mode": None, "period": None},
        )
        self._db.execute(
            f"INSERT INTO buckets ({_COLUMNS}, name_folded) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (*self._values(bucket), name.lower()),
        )
        return bucket

    @staticmethod
    def _values(bucket: Bucket) -> tuple[Any, ...]:
        return (
            bucket.bucket_id,
            bucket.name,
            bucket.bucket_type,
            json.dumps(bucket.info),
            json.dumps(bucket.cors_rules),
            json.dumps(bucket.lifecycle_rules),
            bucket.revision,
            int(bucket.file_lock_enabled),
            json.dumps(bucket.default_sse),
            json.dumps(bucket.default_retention),
            None if bucket.replication is None else json.dumps(bucket.replication),
        )

    def by_id(self, bucket_id: str) -> Bucket | None:
        """The bucket with this id, or None."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM buckets WHERE bucket_id = ?", (bucket_id,)
        ).fetchone()
        return None if row is None else _row_to_bucket(row)

    def by_name(self, name: str) -> Bucket | None:
        """The bucket with this name (exact case), or None."""
        row = self._db.execute(f"SELECT {_COLUMNS} FROM buckets WHERE name = ?", (name,)).fetchone()
        return None if row is None else _row_to_bucket(row)

    def name_taken(self, name: str) -> bool:
        """True when a bucket with this name in any letter case exists."""
        row = self._db.execute(
            "SELECT 1 FROM buckets WHERE name_folded = ?", (name.lower(),)
        ).fetchone()
        return row is not None

    def all(self) -> list[Bucket]:
        """Every bucket, sorted by name."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM buckets ORDER BY name").fetchall()
        return [_row_to_bucket(row) for row in rows]

    def count(self) -> int:
        """How many buckets exist."""
        return int(self._db.execute("SELECT COUNT(*) FROM buckets").fetchone()[0])

    def update(self, bucket: Bucket, **changes: Any) -> Bucket:
        """Store ``changes`` and bump the revision."""
        updated = replace(bucket, revision=bucket.revision + 1, **changes)
        values = self._values(updated)
        self._db.execute(
            "UPDATE buckets SET bucket_type=?, info=?, cors_rules=?, lifecycle_rules=?, "
            "revision=?, file_lock=?, default_sse=?, default_retention=?, replication=? "
            "WHERE bucket_id=?",
            (*values[2:], updated.bucket_id),
        )
        return updated

    def delete(self, bucket_id: str) -> None:
        """Remove the bucket row."""
        self._db.execute("DELETE FROM buckets WHERE bucket_id = ?", (bucket_id,))
