"""The journal's tables (SQLAlchemy Core), its file identity and its schema version.

Imports nothing from syncd. This is the layout a *fresh* journal is created with;
older layouts reach it through the frozen steps in ``migrate.py`` (a test checks that a
migrated journal and a fresh one are the same, table by table).

Conventions:

* Folder names live once, in ``folders``; every other table refers to ``folder_id``,
  so a million index rows do not repeat the name (and ``ON DELETE CASCADE`` will let a
  removed folder be forgotten in one statement).
* Local paths are BLOBs (``os.fsencode`` of the RelPath), so undecodable names survive
  and ``ORDER BY path`` is memcmp order, the same as ``syncd.domain.rel_path_key``.
* Times are integer ms since the epoch; 0 means "never" (no lease, no retry).
* Unsigned 64-bit numbers (``dev``, ``inode``) are stored two's-complement (see
  ``codec.py``): SQLite integers are signed.

Room is left for what design.md §7 plans: a remote-listing cache and per-path history
become new tables keyed by ``folder_id`` (plus a migration step), nothing here changes.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)

APPLICATION_ID = 0x73796E63  # b"sync": marks the file as a syncd journal
SCHEMA_VERSION = 4  # PRAGMA user_version of the layout below

metadata = MetaData()

folders = Table(
    "folders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
)


def _folder_fk() -> ForeignKey:
    return ForeignKey("folders.id", ondelete="CASCADE")


# One row per (folder, path) that needs a look; later hints coalesce into it.
pending = Table(
    "pending",
    metadata,
    Column("id", Integer, primary_key=True),  # AUTOINCREMENT: a job id is never reused
    Column("folder_id", Integer, _folder_fk(), nullable=False),
    Column("path", LargeBinary, nullable=False),
    Column("kind", Text, nullable=False),  # ChangeKind.value
    Column("generation", Integer, nullable=False),  # bumped by every hint
    Column("first_seen_ms", Integer, nullable=False),  # start of the deferral window
    Column("max_deferral_ms", Integer, nullable=False),
    Column("quiet_ms", Integer, nullable=False),  # settle end, before the deferral cap
    Column("due_ms", Integer, nullable=False),  # min(quiet_ms, first_seen + max_deferral)
    Column("attempts", Integer, nullable=False),
    Column("retry_at_ms", Integer, nullable=False),
    Column("lease_owner", Text),
    Column("lease_until_ms", Integer, nullable=False),
    Column("ready_ms", Integer, nullable=False),  # max(due, retry_at, lease_until)
    Column("last_error", Text),
    # 1 when a process died holding this row's lease: its send may have reached B2, so
    # the next worker looks on B2 before sending again. Cleared when the row finishes.
    Column("maybe_sent", Integer, nullable=False),
    UniqueConstraint("folder_id", "path"),
    sqlite_autoincrement=True,
)
Index("pending_ready", pending.c.ready_ms)

# What syncd last put on B2 for each local path (written only after B2 confirmed).
files = Table(
    "files",
    metadata,
    Column("folder_id", Integer, _folder_fk(), primary_key=True),
    Column("path", LargeBinary, primary_key=True),
    Column("b2_name", Text, nullable=False),
    Column("dev", Integer, nullable=False),
    Column("inode", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("mtime_ns", Integer, nullable=False),
    Column("ctime_ns", Integer, nullable=False),
    Column("sha1", Text, nullable=False),
    Column("file_id", Text, nullable=False),
    Column("upload_timestamp_ms", Integer, nullable=False),
    sqlite_with_rowid=False,  # clustered on (folder_id, path): iter_index reads in order
)
Index("files_inode", files.c.folder_id, files.c.dev, files.c.inode)

# Local items that will not be synced, each shown to the user once.
issues = Table(
    "issues",
    metadata,
    Column("folder_id", Integer, _folder_fk(), primary_key=True),
    Column("path", LargeBinary, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("first_seen_ms", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# Per-folder safety state: the root's recorded identity, the mass-delete guard and the
# user's pause (``syncd pause``).
folder_state = Table(
    "folder_state",
    metadata,
    Column("folder_id", Integer, _folder_fk(), primary_key=True),
    Column("root_dev", Integer),  # NULL: the root was never recorded
    Column("root_marker", Text),  # NULL: recorded without a marker (read-only root)
    Column("paused_deletes", Integer, nullable=False),  # hides a paused pass would do
    Column("approved_deletes", Integer, nullable=False),  # hides the user let through
    # v4 (operations): no new upload starts before this time; 0: not paused; a pause
    # "until resumed" stores 2**62 (syncd.app.pause.FOREVER_MS).
    Column("paused_until_ms", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# Small named values: the per-client schedule offsets.
meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    sqlite_with_rowid=False,
)
