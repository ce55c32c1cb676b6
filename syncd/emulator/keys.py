"""KeyStore: the master key (from options) and keys made by b2_create_key (in SQLite).

Capability names are Backblaze's. The master key gets all of them except the bucket
notification pair, which the emulator does not implement (peer test suites skip those
tests when the capabilities are absent). Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from syncd.emulator.models import AppKey

ALL_CAPABILITIES: tuple[str, ...] = (
    "listKeys",
    "writeKeys",
    "deleteKeys",
    "listBuckets",
    "listAllBucketNames",
    "readBuckets",
    "writeBuckets",
    "deleteBuckets",
    "readBucketEncryption",
    "writeBucketEncryption",
    "readBucketRetentions",
    "writeBucketRetentions",
    "readFileRetentions",
    "writeFileRetentions",
    "readFileLegalHolds",
    "writeFileLegalHolds",
    "readBucketReplications",
    "writeBucketReplications",
    "bypassGovernance",
    "listFiles",
    "readFiles",
    "shareFiles",
    "writeFiles",
    "deleteFiles",
)
KNOWN_CAPABILITIES = frozenset(
    (*ALL_CAPABILITIES, "readBucketNotifications", "writeBucketNotifications")
)

_COLUMNS = "key_id, secret, name, capabilities, bucket_ids, name_prefix, expires_ms"


def _row_to_key(row: tuple[Any, ...]) -> AppKey:
    bucket_ids = None if row[4] is None else tuple(json.loads(row[4]))
    return AppKey(
        key_id=row[0],
        secret=row[1],
        name=row[2],
        capabilities=tuple(json.loads(row[3])),
        bucket_ids=bucket_ids,
        name_prefix=row[5],
        expires_ms=row[6],
    )


class KeyStore:
    """Lookup and storage of application keys."""

    def __init__(self, db: sqlite3.Connection, master_key_id: str, master_secret: str) -> None:
        self._db = db
        self.master = AppKey(
            key_id=master_key_id,
            secret=master_secret,
            name="master",
            capabilities=ALL_CAPABILITIES,
            bucket_ids=None,
            name_prefix=None,
            expires_ms=None,
            is_master=True,
        )

    def get(self, key_id: str) -> AppKey | None:
        """The key with this id (master included), or None."""
        if key_id == self.master.key_id:
            return self.master
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM keys WHERE key_id = ?", (key_id,)
        ).fetchone()
        return None if row is None else _row_to_key(row)

    def add(self, key: AppKey) -> None:
        """Store a created key."""
        bucket_ids = None if key.bucket_ids is None else json.dumps(list(key.bucket_ids))
        self._db.execute(
            f"INSERT INTO keys ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)",
            (
                key.key_id,
                key.secret,
                key.name,
                json.dumps(list(key.capabilities)),
                bucket_ids,
                key.name_prefix,
                key.expires_ms,
            ),
        )

    def page(self, start_key_id: str | None, limit: int) -> list[AppKey]:
        """Created keys sorted by id, from ``start_key_id`` (inclusive)."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM keys WHERE key_id >= ? ORDER BY key_id LIMIT ?",
            (start_key_id or "", limit),
        ).fetchall()
        return [_row_to_key(row) for row in rows]

    def delete(self, key_id: str) -> None:
        """Remove a created key and every account token issued for it."""
        self._db.execute("DELETE FROM keys WHERE key_id = ?", (key_id,))
        self._db.execute("DELETE FROM tokens WHERE key_id = ?", (key_id,))
