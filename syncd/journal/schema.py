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

The remote index (``remote_versions``, ``remote_walks``), the conflict record, the
per-day B2 call ledger and the large uploads in progress were added in v4 as new
tables; nothing older changed. v5 gave ``remote_versions`` what a server-side copy
needs (content type, file info, encryption) and added the ``history`` of what syncd did.
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
SCHEMA_VERSION = 5  # PRAGMA user_version of the layout below

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


# The remote index: what B2 holds under each folder's prefix, from the last listing walk
# plus what syncd itself wrote since. ``seen`` is the walk that last listed the version
# (syncd's own writes take the folder's current walk), so a finished walk deletes the
# rows it did not see: versions someone else deleted.
remote_versions = Table(
    "remote_versions",
    metadata,
    Column("folder_id", Integer, _folder_fk(), primary_key=True),
    Column("name", Text, primary_key=True),  # the B2 file name (UTF-8 order = B2's order)
    Column("file_id", Text, primary_key=True),
    Column("action", Text, nullable=False),  # upload | hide | start | copy
    Column("size", Integer, nullable=False),
    Column("sha1", Text),  # contentSha1, else large_file_sha1; NULL when unknown
    Column("src_mtime_ms", Integer),  # src_last_modified_millis; NULL when absent
    Column("upload_ms", Integer, nullable=False),
    Column("ours", Integer, nullable=False),  # 1: this journal's client wrote it
    Column("seen", Integer, nullable=False),
    # v5: what a server-side copy of the version needs, so a touch costs no
    # b2_get_file_info. NULL: not known (a row carried over from v4); then the copy asks.
    Column("content_type", Text),
    Column("file_info", Text),  # JSON object of the version's file info
    Column("encryption", Text),  # NULL (plain or unknown), "SSE-B2" or "SSE-C"
    sqlite_with_rowid=False,
)

# One listing walk per folder: resumable from its cursor, counted in list calls.
remote_walks = Table(
    "remote_walks",
    metadata,
    Column("folder_id", Integer, _folder_fk(), primary_key=True),
    Column("walk", Integer, nullable=False),  # bumped when a walk starts
    Column("started_ms", Integer, nullable=False),
    Column("finished_ms", Integer, nullable=False),  # 0: running (or interrupted)
    Column("last_finished_ms", Integer, nullable=False),  # 0: never finished
    Column("cursor_name", Text),  # where the next page starts; NULL: from the beginning
    Column("cursor_id", Text),
    Column("versions", Integer, nullable=False),  # versions listed by this walk so far
    Column("calls", Integer, nullable=False),  # list calls made by this walk so far
    sqlite_with_rowid=False,
)

# Paths where another writer's version met syncd's: each shown once and kept for status.
conflicts = Table(
    "conflicts",
    metadata,
    Column("folder_id", Integer, _folder_fk(), primary_key=True),
    Column("path", LargeBinary, primary_key=True),
    Column("remote_file_id", Text, primary_key=True),  # the other writer's version
    Column("kind", Text, nullable=False),  # ConflictKind.value
    Column("resolution", Text, nullable=False),  # what syncd did about it
    Column("kept_as", Text),  # the B2 name the local bytes went to (keep-both)
    Column("detected_ms", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# B2 transactions made, per UTC day and price class (A, B, C).
b2_calls = Table(
    "b2_calls",
    metadata,
    Column("day", Text, primary_key=True),  # YYYY-MM-DD (UTC)
    Column("class", Text, primary_key=True),
    Column("calls", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# Large uploads this client started and has not finished: resumed by file id after a
# restart, cancelled when abandoned (the path is no longer pending).
large_uploads = Table(
    "large_uploads",
    metadata,
    Column("folder_id", Integer, _folder_fk(), primary_key=True),
    Column("path", LargeBinary, primary_key=True),
    Column("file_id", Text, nullable=False),
    Column("sha1", Text, nullable=False),
    Column("mtime_ms", Integer, nullable=False),
    Column("part_size", Integer, nullable=False),
    Column("started_ms", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# v5: what syncd did, newest last: uploads, copies, hides, deletes, conflicts, restores,
# pauses. Append-only; written in the transaction of the thing it records; old rows are
# trimmed now and then (``history.py``: by age through ``history_time``, by count
# through the rowid).
history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True),  # the rowid: insertion order within a ms
    Column("at_ms", Integer, nullable=False),
    Column("folder_id", Integer, _folder_fk(), nullable=False),
    Column("path", LargeBinary),  # NULL: the whole folder (a pause, a resume)
    Column("action", Text, nullable=False),  # syncd.journal.history.ACTIONS
    Column("file_id", Text),  # the version written, deleted or met; NULL: none
    Column("size", Integer),  # bytes of that version; NULL: not a version
    Column("detail", Text, nullable=False),  # a short note ("touch", "rename from a.txt")
)
Index("history_time", history.c.at_ms)  # newest first; the age trim
Index("history_path", history.c.folder_id, history.c.path, history.c.at_ms)  # one path
