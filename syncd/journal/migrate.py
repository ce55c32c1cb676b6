"""Open-time checks, creation and migration of the journal file.

Imports ``syncd.errors`` and the journal's ``schema`` and ``db``. Order at open:

1. ``inspect`` reads the file through a **read-only** connection, so a journal that is
   refused is left byte-identical: it must be a SQLite file, carry syncd's
   ``application_id``, have a ``user_version`` this build knows (a newer one is refused:
   downgrading must not scribble on it), and pass ``PRAGMA quick_check`` (which a
   one-shot run skips when the clean-close seal holds: ``seal.py``).
2. A missing journal is built under a temporary name and renamed into place, so the
   journal path never names a half-created file; an empty or foreign file found there
   is therefore damage, not a fresh start.
3. ``migrate`` runs the frozen steps from the file's version up to ``SCHEMA_VERSION``,
   each in one ``BEGIN IMMEDIATE`` transaction that also sets ``user_version``.

Schema history:

* **v1** (early development builds): paths as TEXT, which the sqlite3 driver cannot
  hold for names that are not valid UTF-8; folder names repeated on every row; change
  kinds ``created``/``modified``/``deleted``; no generation counter, no per-path last
  error, no issues table, no inode index for rename detection.
* **v2**: folders by id, BLOB paths, generations, issues, the inode index; in-flight
  marks (``inflight:<folder>:<hex path>``), root identities (``root:<folder>``, JSON) and
  the mass-delete state (``deletes_paused:`` / ``deletes_approved:``) as ``meta`` keys.
* **v3**: the in-flight mark is the ``maybe_sent`` column
  of the pending row, the root identity and the delete guard's counts are the typed
  ``folder_state`` table; ``meta`` keeps only the schedule offsets.
* **v4**: the layout of ``schema.py``: new tables — the remote index
  (``remote_versions``, ``remote_walks``), the ``conflicts`` record, the per-day
  ``b2_calls`` ledger and the ``large_uploads`` in progress. A migrated journal's
  remote index starts empty, so its first walk lists the bucket. Operations step:
  ``folder_state`` gains ``paused_until_ms`` (``syncd pause``; the table is rebuilt).
* **v5**: ``remote_versions`` gains ``content_type``, ``file_info`` (JSON) and
  ``encryption``, what a server-side copy needs (the table is rebuilt; carried rows get
  NULLs, so a copy from one of them asks B2 once, as before); a new append-only
  ``history`` table (what syncd did, for ``syncd history``) with its indexes
  ``history_time`` (at_ms) and ``history_path`` (folder_id, path, at_ms).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from syncd.errors import JournalError
from syncd.journal.db import Database, driver_execute
from syncd.journal.schema import APPLICATION_ID, SCHEMA_VERSION, metadata

# v1 -> v2. Frozen: the DDL is v2's, written out, never generated from schema.py (which
# will move on); a test checks that a migrated journal equals a freshly created one.
V1_TO_V2 = (
    "ALTER TABLE changes RENAME TO v1_changes",
    "ALTER TABLE files RENAME TO v1_files",
    "ALTER TABLE meta RENAME TO v1_meta",
    """CREATE TABLE folders (
        id INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (id), UNIQUE (name))""",
    """CREATE TABLE pending (
        id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, folder_id INTEGER NOT NULL,
        path BLOB NOT NULL, kind TEXT NOT NULL, generation INTEGER NOT NULL,
        first_seen_ms INTEGER NOT NULL, max_deferral_ms INTEGER NOT NULL,
        quiet_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL, attempts INTEGER NOT NULL,
        retry_at_ms INTEGER NOT NULL, lease_owner TEXT, lease_until_ms INTEGER NOT NULL,
        ready_ms INTEGER NOT NULL, last_error TEXT, UNIQUE (folder_id, path),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE)""",
    "CREATE INDEX pending_ready ON pending (ready_ms)",
    """CREATE TABLE files (
        folder_id INTEGER NOT NULL, path BLOB NOT NULL, b2_name TEXT NOT NULL,
        dev INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha1 TEXT NOT NULL,
        file_id TEXT NOT NULL, upload_timestamp_ms INTEGER NOT NULL,
        PRIMARY KEY (folder_id, path),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
    "CREATE INDEX files_inode ON files (folder_id, dev, inode)",
    """CREATE TABLE issues (
        folder_id INTEGER NOT NULL, path BLOB NOT NULL, reason TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL, PRIMARY KEY (folder_id, path),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
    """CREATE TABLE meta (
        "key" TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY ("key")) WITHOUT ROWID""",
    """INSERT INTO folders (name)
        SELECT folder FROM v1_changes UNION SELECT folder FROM v1_files ORDER BY 1""",
    # Leases of v1 belonged to a process that is gone (the instance lock is ours now).
    """INSERT INTO pending (folder_id, path, kind, generation, first_seen_ms,
            max_deferral_ms, quiet_ms, due_ms, attempts, retry_at_ms, lease_owner,
            lease_until_ms, ready_ms, last_error)
        SELECT f.id, CAST(c.path AS BLOB),
            CASE c.kind WHEN 'deleted' THEN 'deleted' ELSE 'changed' END,
            1, c.first_seen_ms, max(c.due_ms - c.first_seen_ms, 0), c.due_ms, c.due_ms,
            c.attempts, c.retry_at_ms, NULL, 0, max(c.due_ms, c.retry_at_ms), NULL
        FROM v1_changes AS c JOIN folders AS f ON f.name = c.folder ORDER BY c.id""",
    """INSERT INTO files (folder_id, path, b2_name, dev, inode, size, mtime_ns, ctime_ns,
            sha1, file_id, upload_timestamp_ms)
        SELECT f.id, CAST(v.path AS BLOB), v.b2_name, v.dev, v.inode, v.size, v.mtime_ns,
            v.ctime_ns, v.sha1, v.file_id, v.upload_timestamp_ms
        FROM v1_files AS v JOIN folders AS f ON f.name = v.folder""",
    'INSERT INTO meta ("key", value) SELECT "key", value FROM v1_meta',
    "DROP TABLE v1_changes",
    "DROP TABLE v1_files",
    "DROP TABLE v1_meta",
)

# v2 -> v3. Frozen like V1_TO_V2. ``pending`` is rebuilt (not ALTERed) so that its
# definition is the one a fresh journal gets, and its AUTOINCREMENT counter is carried
# over so that a job id is never reused. A root identity whose device is not a JSON
# integer is dropped: the next start records the root again from its marker file.
V2_TO_V3 = (
    "DROP INDEX pending_ready",
    "ALTER TABLE pending RENAME TO v2_pending",
    """CREATE TABLE pending (
        id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, folder_id INTEGER NOT NULL,
        path BLOB NOT NULL, kind TEXT NOT NULL, generation INTEGER NOT NULL,
        first_seen_ms INTEGER NOT NULL, max_deferral_ms INTEGER NOT NULL,
        quiet_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL, attempts INTEGER NOT NULL,
        retry_at_ms INTEGER NOT NULL, lease_owner TEXT, lease_until_ms INTEGER NOT NULL,
        ready_ms INTEGER NOT NULL, last_error TEXT, maybe_sent INTEGER NOT NULL,
        UNIQUE (folder_id, path),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE)""",
    "CREATE INDEX pending_ready ON pending (ready_ms)",
    """INSERT INTO pending (id, folder_id, path, kind, generation, first_seen_ms,
            max_deferral_ms, quiet_ms, due_ms, attempts, retry_at_ms, lease_owner,
            lease_until_ms, ready_ms, last_error, maybe_sent)
        SELECT p.id, p.folder_id, p.path, p.kind, p.generation, p.first_seen_ms,
            p.max_deferral_ms, p.quiet_ms, p.due_ms, p.attempts, p.retry_at_ms,
            p.lease_owner, p.lease_until_ms, p.ready_ms, p.last_error,
            EXISTS (SELECT 1 FROM meta AS m JOIN folders AS f ON f.id = p.folder_id
                    WHERE m."key" = 'inflight:' || f.name || ':' || lower(hex(p.path)))
        FROM v2_pending AS p ORDER BY p.id""",
    "DELETE FROM sqlite_sequence WHERE name = 'pending'",
    """INSERT INTO sqlite_sequence (name, seq)
        SELECT 'pending', seq FROM sqlite_sequence WHERE name = 'v2_pending'""",
    "DROP TABLE v2_pending",
    """CREATE TABLE folder_state (
        folder_id INTEGER NOT NULL, root_dev INTEGER, root_marker TEXT,
        paused_deletes INTEGER NOT NULL, approved_deletes INTEGER NOT NULL,
        PRIMARY KEY (folder_id),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
    """INSERT OR IGNORE INTO folders (name)
        SELECT substr("key", 6) FROM meta WHERE "key" GLOB 'root:*'
        UNION SELECT substr("key", 16) FROM meta WHERE "key" GLOB 'deletes_paused:*'
        UNION SELECT substr("key", 18) FROM meta WHERE "key" GLOB 'deletes_approved:*'
        ORDER BY 1""",
    """INSERT INTO folder_state (folder_id, root_dev, root_marker, paused_deletes,
            approved_deletes)
        SELECT f.id,
            (SELECT json_extract(m.value, '$.dev') FROM meta AS m
                WHERE m."key" = 'root:' || f.name AND json_valid(m.value)
                AND typeof(json_extract(m.value, '$.dev')) = 'integer'),
            (SELECT coalesce(json_extract(m.value, '$.marker'), json_extract(m.value, '$.id'))
                FROM meta AS m WHERE m."key" = 'root:' || f.name AND json_valid(m.value)),
            coalesce((SELECT CAST(nullif(m.value, '') AS INTEGER) FROM meta AS m
                WHERE m."key" = 'deletes_paused:' || f.name), 0),
            coalesce((SELECT CAST(nullif(m.value, '') AS INTEGER) FROM meta AS m
                WHERE m."key" = 'deletes_approved:' || f.name), 0)
        FROM folders AS f
        WHERE EXISTS (SELECT 1 FROM meta AS m WHERE m."key" IN
            ('root:' || f.name, 'deletes_paused:' || f.name, 'deletes_approved:' || f.name))""",
    """DELETE FROM meta WHERE "key" GLOB 'inflight:*' OR "key" GLOB 'root:*'
        OR "key" GLOB 'deletes_paused:*' OR "key" GLOB 'deletes_approved:*'""",
)

# v3 -> v4, remote index part: new tables only.
V3_TO_V4_REMOTE = (
    """CREATE TABLE remote_versions (
        folder_id INTEGER NOT NULL, name TEXT NOT NULL, file_id TEXT NOT NULL,
        action TEXT NOT NULL, size INTEGER NOT NULL, sha1 TEXT, src_mtime_ms INTEGER,
        upload_ms INTEGER NOT NULL, ours INTEGER NOT NULL, seen INTEGER NOT NULL,
        PRIMARY KEY (folder_id, name, file_id),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
    """CREATE TABLE remote_walks (
        folder_id INTEGER NOT NULL, walk INTEGER NOT NULL, started_ms INTEGER NOT NULL,
        finished_ms INTEGER NOT NULL, last_finished_ms INTEGER NOT NULL, cursor_name TEXT,
        cursor_id TEXT, versions INTEGER NOT NULL, calls INTEGER NOT NULL,
        PRIMARY KEY (folder_id),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
    """CREATE TABLE conflicts (
        folder_id INTEGER NOT NULL, path BLOB NOT NULL, remote_file_id TEXT NOT NULL,
        kind TEXT NOT NULL, resolution TEXT NOT NULL, kept_as TEXT,
        detected_ms INTEGER NOT NULL, PRIMARY KEY (folder_id, path, remote_file_id),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
    """CREATE TABLE b2_calls (
        day TEXT NOT NULL, class TEXT NOT NULL, calls INTEGER NOT NULL,
        PRIMARY KEY (day, class)) WITHOUT ROWID""",
    """CREATE TABLE large_uploads (
        folder_id INTEGER NOT NULL, path BLOB NOT NULL, file_id TEXT NOT NULL,
        sha1 TEXT NOT NULL, mtime_ms INTEGER NOT NULL, part_size INTEGER NOT NULL,
        started_ms INTEGER NOT NULL, PRIMARY KEY (folder_id, path),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
)

# v3 -> v4, operations part. Frozen. ``folder_state`` is rebuilt (not ALTERed: an added
# column would land after the table constraints, unlike a fresh journal's definition).
V3_TO_V4_PAUSE = (
    "ALTER TABLE folder_state RENAME TO v3_folder_state",
    """CREATE TABLE folder_state (
        folder_id INTEGER NOT NULL, root_dev INTEGER, root_marker TEXT,
        paused_deletes INTEGER NOT NULL, approved_deletes INTEGER NOT NULL,
        paused_until_ms INTEGER NOT NULL,
        PRIMARY KEY (folder_id),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
    """INSERT INTO folder_state (folder_id, root_dev, root_marker, paused_deletes,
            approved_deletes, paused_until_ms)
        SELECT folder_id, root_dev, root_marker, paused_deletes, approved_deletes, 0
        FROM v3_folder_state""",
    "DROP TABLE v3_folder_state",
)
V3_TO_V4 = (*V3_TO_V4_REMOTE, *V3_TO_V4_PAUSE)

# v4 -> v5. Frozen. ``remote_versions`` is rebuilt (not ALTERed, so that its definition
# is a fresh journal's): every row is kept, the new columns are NULL (not known).
V4_TO_V5 = (
    "ALTER TABLE remote_versions RENAME TO v4_remote_versions",
    """CREATE TABLE remote_versions (
        folder_id INTEGER NOT NULL, name TEXT NOT NULL, file_id TEXT NOT NULL,
        action TEXT NOT NULL, size INTEGER NOT NULL, sha1 TEXT, src_mtime_ms INTEGER,
        upload_ms INTEGER NOT NULL, ours INTEGER NOT NULL, seen INTEGER NOT NULL,
        content_type TEXT, file_info TEXT, encryption TEXT,
        PRIMARY KEY (folder_id, name, file_id),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID""",
    """INSERT INTO remote_versions (folder_id, name, file_id, action, size, sha1,
            src_mtime_ms, upload_ms, ours, seen, content_type, file_info, encryption)
        SELECT folder_id, name, file_id, action, size, sha1, src_mtime_ms, upload_ms, ours,
            seen, NULL, NULL, NULL
        FROM v4_remote_versions""",
    "DROP TABLE v4_remote_versions",
    """CREATE TABLE history (
        id INTEGER NOT NULL, at_ms INTEGER NOT NULL, folder_id INTEGER NOT NULL,
        path BLOB, action TEXT NOT NULL, file_id TEXT, size INTEGER,
        detail TEXT NOT NULL, PRIMARY KEY (id),
        FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE)""",
    "CREATE INDEX history_time ON history (at_ms)",
    "CREATE INDEX history_path ON history (folder_id, path, at_ms)",
)

STEPS: dict[int, tuple[str, ...]] = {1: V1_TO_V2, 2: V2_TO_V3, 3: V3_TO_V4, 4: V4_TO_V5}


@dataclass(frozen=True, slots=True)
class FileState:
    """What the read-only look at an existing journal found."""

    user_version: int


def _fail(path: Path, problem: str) -> JournalError:
    return JournalError(f"journal {path} {problem}")


def inspect(path: Path, *, quick_check: bool = True) -> FileState | None:
    """Check an existing journal without writing to it; None when there is none.
    ``quick_check=False`` skips the page walk only (the clean-close seal of ``seal.py``
    vouched for the file); the header checks always run.

    Raises:
        JournalError: empty, not SQLite, not a syncd journal, newer schema, or corrupt.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _fail(path, f"cannot be read: {exc.strerror}") from exc
    if size == 0:
        raise _fail(path, "is empty (0 bytes): damaged; move it aside to start afresh")
    uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise _fail(path, f"cannot be opened: {exc}") from exc
    try:
        return _check(path, conn, quick_check=quick_check)
    except sqlite3.Error as exc:
        raise _fail(path, f"is damaged or not a SQLite database ({exc})") from exc
    finally:
        conn.close()


def _check(path: Path, conn: sqlite3.Connection, *, quick_check: bool) -> FileState:
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if app_id != APPLICATION_ID:
        raise _fail(path, f"is not a syncd journal (application_id {app_id:#x})")
    if version > SCHEMA_VERSION:
        raise _fail(
            path,
            f"has schema version {version}, newer than this syncd understands "
            f"({SCHEMA_VERSION}); it was left untouched: run the newer syncd",
        )
    if version < 1:
        raise _fail(path, f"has no valid schema version ({version}): damaged")
    if not quick_check:
        return FileState(user_version=version)
    problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(5)")]
    if problems != ["ok"]:
        raise _fail(path, f"is damaged (quick_check: {'; '.join(problems)})")
    return FileState(user_version=version)


def create(path: Path) -> None:
    """Build a fresh journal beside ``path`` and rename it into place."""
    tmp = path.with_name(path.name + ".new")
    for leftover in (tmp, _sidecar(tmp, "-wal"), _sidecar(tmp, "-shm")):
        leftover.unlink(missing_ok=True)
    _set_aside_orphans(path)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    db = Database(tmp)
    try:
        with db.write("create", durable=True) as conn:
            metadata.create_all(conn, checkfirst=False)
            conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
            conn.exec_driver_sql(f"PRAGMA user_version={SCHEMA_VERSION}")
    finally:
        db.close()  # the last connection checkpoints and removes the WAL
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


def migrate(db: Database, version: int) -> None:
    """Bring the journal from schema ``version`` to ``SCHEMA_VERSION``, step by step."""
    while version < SCHEMA_VERSION:
        step = STEPS.get(version)
        if step is None:
            raise _fail(db.path, f"has schema version {version}, which cannot be migrated")
        found = version
        with db.raw(f"migration from schema {version}") as conn:
            # Foreign keys cannot be switched inside a transaction (SQLite's table
            # rebuild procedure): off for the step, checked by hand before commit.
            driver_execute(conn, "PRAGMA foreign_keys=OFF")
            driver_execute(conn, "PRAGMA synchronous=FULL")
            try:
                with conn.begin():
                    found = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
                    if found == version:
                        for statement in step:
                            conn.exec_driver_sql(statement)
                        if conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                            raise _fail(db.path, "broke a foreign key in migration")
                        conn.exec_driver_sql(f"PRAGMA user_version={version + 1}")
                        found = version + 1
            finally:
                driver_execute(conn, "PRAGMA foreign_keys=ON")
                driver_execute(conn, "PRAGMA synchronous=NORMAL")
        version = found


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _set_aside_orphans(path: Path) -> None:
    # A WAL left behind by a deleted journal would be replayed into the new file.
    wal = _sidecar(path, "-wal")
    if wal.exists():
        os.replace(wal, _sidecar(path, "-wal.orphaned"))
    _sidecar(path, "-shm").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    fd = os.open(path, flags)
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse fsync on a directory
            os.fsync(fd)
    finally:
        os.close(fd)
