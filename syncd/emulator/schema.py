"""The SQLite schema for emulator metadata and how to open the database.

Disk mode uses WAL with ``synchronous=NORMAL`` (fast, survives a clean restart; the
emulator is a test tool, so no fsync per call). Memory mode uses ``:memory:``. The
connection runs in autocommit mode; stores wrap multi-statement changes in
``transaction()``. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = "1"

DDL = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (
    bucket_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL UNIQUE,
    bucket_type TEXT NOT NULL,
    info TEXT NOT NULL,
    cors_rules TEXT NOT NULL,
    lifecycle_rules TEXT NOT NULL,
    revision INTEGER NOT NULL,
    file_lock INTEGER NOT NULL,
    default_sse TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id TEXT NOT NULL UNIQUE,
    bucket_id TEXT NOT NULL,
    name TEXT NOT NULL,
    action TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha1 TEXT,
    content_type TEXT,
    info TEXT NOT NULL,
    upload_ms INTEGER NOT NULL,
    is_large INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_order
    ON versions (bucket_id, name, upload_ms DESC, seq DESC);
CREATE INDEX IF NOT EXISTS versions_started
    ON versions (bucket_id, action, upload_ms, seq);
CREATE TABLE IF NOT EXISTS segments (
    file_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    blob TEXT NOT NULL,
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    PRIMARY KEY (file_id, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS segments_blob ON segments (blob);
CREATE TABLE IF NOT EXISTS parts (
    file_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha1 TEXT NOT NULL,
    upload_ms INTEGER NOT NULL,
    PRIMARY KEY (file_id, number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS parts_blob ON parts (blob);
CREATE TABLE IF NOT EXISTS keys (
    key_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    name TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    bucket_ids TEXT,
    name_prefix TEXT,
    expires_ms INTEGER
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    uses_left INTEGER
);
"""


def open_db(path: Path | None) -> sqlite3.Connection:
    """Open (and create) the metadata database; None means in memory.

    The connection may be used from the server thread although created elsewhere;
    the emulator only ever uses it from one thread at a time.
    """
    target = ":memory:" if path is None else str(path)
    db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
    if path is not None:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    db.executescript(DDL)
    _add_columns(db)
    db.execute("INSERT OR IGNORE INTO meta (k, v) VALUES ('schema', ?)", (SCHEMA_VERSION,))
    return db


# Encryption and Object Lock columns, added to the first release's tables on every open
# (a database made before them keeps working).
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("buckets", "default_retention", 'TEXT NOT NULL DEFAULT \'{"mode": null, "period": null}\''),
    ("buckets", "replication", "TEXT"),
    ("versions", "sse_mode", "TEXT"),
    ("versions", "sse_algorithm", "TEXT"),
    ("versions", "sse_key_md5", "TEXT"),
    ("versions", "lock_mode", "TEXT"),
    ("versions", "lock_until_ms", "INTEGER"),
    ("versions", "legal_hold", "TEXT"),
)


def _add_columns(db: sqlite3.Connection) -> None:
    for table, column, decl in ADDED_COLUMNS:
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one write transaction (BEGIN IMMEDIATE … COMMIT/ROLLBACK)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def get_meta(db: sqlite3.Connection, key: str) -> str | None:
    """Read one value from the meta table."""
    row = db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    """Write one value to the meta table."""
    db.execute("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", (key, value))
