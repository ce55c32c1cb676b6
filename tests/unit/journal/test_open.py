"""Opening the journal: creation, PRAGMAs, migration from v1, refusal and damage."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from syncd.domain import B2Name, ChangeKind, IndexEntry, LocalChange, RelPath, RootIdentity
from syncd.errors import JournalError
from syncd.journal import Journal, migrate
from syncd.journal.db import Database
from syncd.journal.peek import JournalPeek
from syncd.journal.peek_history import HistoryQuery
from syncd.journal.schema import APPLICATION_ID, SCHEMA_VERSION, folders, pending

V1_SQL = Path(__file__).parent / "fixtures" / "journal_v1.sql"


def run_sql(path: Path, *statements: str) -> list[tuple[Any, ...]]:
    """Run statements through a plain sqlite3 connection; rows of the last one."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        rows: list[tuple[Any, ...]] = []
        for statement in statements:
            rows = conn.execute(statement).fetchall()
        return rows
    finally:
        conn.close()


def schema_of(path: Path) -> list[tuple[object, ...]]:
    """Every table and index definition, whitespace removed, sqlite_ internals left out."""
    rows = run_sql(
        path,
        "SELECT type, name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    return [(kind, name, re.sub(r"\s+", "", str(sql))) for kind, name, sql in rows]


@pytest.fixture
def v1_path(tmp_path: Path) -> Path:
    """A journal file as the v1 builds wrote it."""
    path = tmp_path / "journal.sqlite3"
    conn = sqlite3.connect(path)
    try:
        conn.executescript(V1_SQL.read_text(encoding="utf-8"))
    finally:
        conn.close()
    return path


def test_fresh_journal_is_marked_and_private(journal, journal_path):
    """A new journal carries syncd's application_id and schema version, mode 0600, WAL."""
    assert run_sql(journal_path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert run_sql(journal_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert run_sql(journal_path, "PRAGMA journal_mode") == [("wal",)]
    assert journal_path.stat().st_mode & 0o777 == 0o600
    assert not journal_path.with_name(journal_path.name + ".new").exists()


def test_connections_get_their_pragmas(journal_path, journal):
    """Every pooled connection runs NORMAL sync, foreign keys and a busy timeout."""
    db = Database(journal_path)
    try:
        with db.read("test") as conn:
            got = [
                conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("synchronous", "foreign_keys", "busy_timeout", "trusted_schema")
            ]
        assert got == [1, 1, 10_000, 0]
        with db.write("test", durable=True) as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        with db.write("test") as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
    finally:
        db.close()


def test_writes_begin_immediate(journal_path, journal):
    """A write transaction holds SQLite's write lock from its first moment."""
    db = Database(journal_path)
    other = sqlite3.connect(journal_path, timeout=0, isolation_level=None)
    try:
        with db.write("test"), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        db.close()


def test_database_errors_become_journal_errors(journal_path, journal):
    """A failing statement (here a broken foreign key) surfaces as JournalError."""
    db = Database(journal_path)
    row = {
        "folder_id": 999, "path": b"x", "kind": "changed", "generation": 1,
        "first_seen_ms": 0, "max_deferral_ms": 0, "quiet_ms": 0, "due_ms": 0, "attempts": 0,
        "retry_at_ms": 0, "lease_until_ms": 0, "ready_ms": 0, "maybe_sent": 0,
    }  # fmt: skip
    try:
        with pytest.raises(JournalError, match="FOREIGN KEY"), db.write("test") as conn:
            conn.execute(insert(pending), [row])
    finally:
        db.close()


def test_closed_journal_refuses_calls(journal):
    """After close, calls raise JournalError instead of reopening silently."""
    journal.close()
    journal.close()
    with pytest.raises(JournalError, match="closed"):
        journal.pending_count()


def test_migrates_v1(v1_path, clock):
    """A v1 journal is migrated in place: rows, paths, kinds and meta carried over."""
    with Journal.open(v1_path, clock=clock) as journal:
        assert run_sql(v1_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert journal.index_get("docs", RelPath("notes/todo.txt")) == IndexEntry(
            folder="docs",
            rel_path=RelPath("notes/todo.txt"),
            b2_name=B2Name("backup/notes/todo.txt"),
            dev=2049,
            inode=131,
            size=12,
            mtime_ns=1699999000000000000,
            ctime_ns=1699999000000000001,
            sha1="da39a3ee5e6b4b0d3255bfef95601890afd80709",
            file_id="4_zfile_1",
            upload_timestamp_ms=1699999001000,
        )
        assert [e.rel_path for e in journal.iter_index("photos")] == ["old.jpg", "été/plage.jpg"]
        assert journal.state.root("docs") == RootIdentity(dev=2049, marker="0f1e")
        assert journal.failures() == [("new.txt", 2, "")]
        assert journal.count_pending(kind=ChangeKind.DELETED) == 1
        clock.advance(5_000)  # past the v1 backoff; the dead v1 lease is gone
        jobs = journal.claim(worker="w", limit=10, lease_ms=1_000)
        assert [(j.folder, j.rel_path, j.kind) for j in jobs] == [
            ("photos", "old.jpg", ChangeKind.DELETED),
            ("docs", "notes/todo.txt", ChangeKind.CHANGED),
            ("docs", "new.txt", ChangeKind.CHANGED),
        ]
    assert run_sql(v1_path, "SELECT DISTINCT typeof(path) FROM files") == [("blob",)]


def test_migrated_schema_equals_fresh(v1_path, tmp_path, clock):
    """The frozen v1->v2 step builds exactly the tables a fresh journal has."""
    Journal.open(v1_path, clock=clock).close()
    fresh = tmp_path / "fresh.sqlite3"
    Journal.open(fresh, clock=clock).close()
    assert schema_of(v1_path) == schema_of(fresh)
    assert run_sql(v1_path, "PRAGMA foreign_key_check") == []
    assert run_sql(v1_path, "PRAGMA integrity_check") == [("ok",)]


@pytest.fixture
def v2_path(tmp_path: Path) -> Path:
    """A v2 journal (the v1 fixture moved on by the frozen v1->v2 step) holding the meta
    keys v2 used for in-flight marks, root identities and the delete guard."""
    path = tmp_path / "journal-v2.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(V1_SQL.read_text(encoding="utf-8"))
        conn.execute("BEGIN")
        for statement in migrate.V1_TO_V2:
            conn.execute(statement)
        conn.execute("PRAGMA user_version=2")
        conn.execute("DELETE FROM meta")
        new_txt = conn.execute("SELECT hex(path) FROM pending WHERE path = x'6e65772e747874'")
        assert new_txt.fetchone() == ("6E65772E747874",)
        conn.executemany(
            'INSERT INTO meta ("key", value) VALUES (?, ?)',
            [
                ("inflight:docs:6e65772e747874", "stale lease"),  # docs/new.txt
                ("root:docs", '{"dev": 2049, "marker": "abc"}'),
                ("root:photos", '{"dev": 64770, "marker": null}'),
                ("root:gone", '{"dev": 18446744073709551610, "marker": "x"}'),
                ("deletes_paused:photos", "7"),
                ("deletes_approved:photos", ""),
                ("deletes_paused:gone", "3"),  # a folder with no other rows
                ("schedule_offset:rescan:docs", "12.5"),
            ],
        )
        conn.execute("UPDATE sqlite_sequence SET seq = 90 WHERE name = 'pending'")
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


def test_migrates_v2_state_out_of_meta(v2_path, clock):
    """v2 -> v3 moves in-flight, root and delete-guard keys out of meta; job ids keep growing."""
    with Journal.open(v2_path, clock=clock) as journal:
        assert journal.state.root("docs") == RootIdentity(dev=2049, marker="abc")
        assert journal.state.root("photos") == RootIdentity(dev=64770, marker=None)
        assert journal.state.root("gone") is None  # not a JSON integer: recorded again
        assert journal.state.paused_deletes("photos") == 7
        assert journal.state.approved_deletes("photos") == 0
        assert journal.state.paused_deletes("gone") == 3
        assert journal.state.schedule_offset("rescan:docs") == 12.5
        clock.advance(5_000)
        jobs = journal.claim(worker="w", limit=10, lease_ms=1_000)
        assert {(j.folder, j.rel_path): j.maybe_sent for j in jobs} == {
            ("photos", "old.jpg"): False,
            ("docs", "notes/todo.txt"): False,
            ("docs", "new.txt"): True,
        }
        journal.record(
            [
                LocalChange(
                    folder="docs",
                    rel_path=RelPath("fresh.txt"),
                    kind=ChangeKind.CHANGED,
                    observed_ms=clock.now_ms(),
                )
            ],
            settle_ms=0,
            delete_hold_ms=0,
            max_deferral_ms=0,
        )
    assert run_sql(v2_path, 'SELECT "key" FROM meta') == [("schedule_offset:rescan:docs",)]
    assert run_sql(v2_path, "SELECT max(id) > 90 FROM pending") == [(1,)]
    assert run_sql(v2_path, "PRAGMA foreign_key_check") == []


def test_v2_migration_equals_fresh(v2_path, tmp_path, clock):
    """The frozen v2->v3 step builds exactly the tables a fresh journal has."""
    Journal.open(v2_path, clock=clock).close()
    fresh = tmp_path / "fresh.sqlite3"
    Journal.open(fresh, clock=clock).close()
    assert schema_of(v2_path) == schema_of(fresh)
    assert run_sql(v2_path, "PRAGMA integrity_check") == [("ok",)]


def test_newer_schema_is_refused_untouched(journal_path, clock):
    """A journal from a newer syncd is refused and left byte-identical."""
    Journal.open(journal_path, clock=clock).close()
    run_sql(journal_path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = journal_path.read_bytes()
    with pytest.raises(
        JournalError, match=rf"schema version {SCHEMA_VERSION + 1}, newer .* untouched"
    ):
        Journal.open(journal_path, clock=clock)
    assert journal_path.read_bytes() == before
    assert run_sql(journal_path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"not a database at all " * 200), "not a SQLite database"),
        (lambda p: p.write_bytes(p.read_bytes()[:5000]), "damaged"),
        (lambda p: _scribble(p, "files"), "damaged"),
        (lambda p: _scribble(p, "folders"), "damaged"),
        (lambda p: run_sql(p, "PRAGMA application_id = 7"), "not a syncd journal"),
        (lambda p: run_sql(p, "PRAGMA user_version = 0"), "no valid schema version"),
    ],
    ids=[
        "zero-bytes",
        "garbage",
        "truncated",
        "damaged-files-page",
        "damaged-folders-page",
        "foreign-app-id",
        "no-version",
    ],
)
def test_damaged_journal_is_a_journal_error(journal_path, clock, entry, damage, message):
    """Each kind of damage is reported as one JournalError, never a traceback."""
    with Journal.open(journal_path, clock=clock) as journal:
        journal.put_index([entry(f"dir/file-{i:04d}") for i in range(400)])
    damage(journal_path)
    with pytest.raises(JournalError, match=message):
        Journal.open(journal_path, clock=clock)


def _scribble(path: Path, table: str) -> None:
    """Overwrite the page header of ``table``'s root page."""
    [(page, size)] = run_sql(
        path,
        f"SELECT rootpage, (SELECT page_size FROM pragma_page_size) "
        f"FROM sqlite_master WHERE name = '{table}'",
    )
    data = bytearray(path.read_bytes())
    offset = int(size) * (int(page) - 1)
    data[offset : offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))


def test_foreign_sqlite_file_is_refused(tmp_path, clock):
    """Another program's database is not taken over."""
    path = tmp_path / "other.db"
    run_sql(path, "CREATE TABLE t (x)")
    with pytest.raises(JournalError, match=r"not a syncd journal \(application_id 0x0\)"):
        Journal.open(path, clock=clock)


def test_missing_directory_is_a_journal_error(tmp_path, clock):
    """A journal that cannot be created is reported, not raised as OSError."""
    with pytest.raises(JournalError, match="cannot be created"):
        Journal.open(tmp_path / "no" / "such" / "journal.sqlite3", clock=clock)


def test_orphaned_wal_is_set_aside(journal_path, clock):
    """A WAL left by a deleted journal is moved aside, never replayed into a new one."""
    wal = journal_path.with_name(journal_path.name + "-wal")
    wal.write_bytes(b"stale wal" * 100)
    with Journal.open(journal_path, clock=clock) as journal:
        assert journal.pending_count() == 0
    assert journal_path.with_name(journal_path.name + "-wal.orphaned").exists()


def test_reopen_keeps_data_and_is_concurrent_safe(journal_path, clock, change):
    """Two journals on one file (another process's status read) see each other's commits."""
    with Journal.open(journal_path, clock=clock) as first:
        first.record([change("a")], settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
        with Journal.open(journal_path, clock=clock) as second:
            assert second.pending_count() == 1
            done = threading.Event()

            def claim() -> None:
                second.claim(worker="w", limit=1, lease_ms=10_000)
                done.set()

            thread = threading.Thread(target=claim)
            thread.start()
            thread.join(10)
            assert done.is_set()
        assert first.claim(worker="x", limit=1, lease_ms=1) == []


def test_failed_migration_leaves_v1_intact(v1_path, clock, monkeypatch):
    """A step that fails half-way rolls back whole: the file is still a usable v1."""
    broken = (*migrate.V1_TO_V2[:-3], "INSERT INTO no_such_table VALUES (1)")
    monkeypatch.setattr(migrate, "STEPS", {1: broken})
    before = schema_of(v1_path)
    with pytest.raises(JournalError, match="migration from schema 1 failed: no such table"):
        Journal.open(v1_path, clock=clock)
    assert run_sql(v1_path, "PRAGMA user_version") == [(1,)]
    assert schema_of(v1_path) == before
    assert run_sql(v1_path, "SELECT count(*) FROM changes") == [(3,)]


def test_unknown_old_version_is_refused(v1_path, clock, monkeypatch):
    """A version with no migration step is an error, not a guess."""
    monkeypatch.setattr(migrate, "STEPS", {})
    with pytest.raises(JournalError, match="cannot be migrated"):
        Journal.open(v1_path, clock=clock)


def test_failed_transaction_leaves_nothing(journal_path, journal):
    """A write that fails part-way is rolled back as a whole."""
    db = Database(journal_path)

    def insert_twice() -> None:
        with db.write("test") as conn:
            conn.execute(insert(folders), [{"name": "ghost"}])
            conn.execute(insert(folders), [{"name": "ghost"}])  # UNIQUE violation

    try:
        with pytest.raises(JournalError, match="UNIQUE"):
            insert_twice()
        assert run_sql(journal_path, "SELECT count(*) FROM folders") == [(0,)]
    finally:
        db.close()


@pytest.fixture
def v4_path(tmp_path: Path) -> Path:
    """A v4 journal (the v1 fixture moved on by the frozen steps) with remote-index rows."""
    path = tmp_path / "journal-v4.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(V1_SQL.read_text(encoding="utf-8"))
        conn.execute("BEGIN")
        for statement in (*migrate.V1_TO_V2, *migrate.V2_TO_V3, *migrate.V3_TO_V4):
            conn.execute(statement)
        conn.execute("PRAGMA user_version=4")
        conn.executemany(
            "INSERT INTO remote_versions VALUES (1, ?, ?, 'upload', 3, ?, 5, 7, 1, 1)",
            [("p/a", "id-a", "a" * 40), ("p/b", "id-b", None)],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


def test_v4_migration_keeps_remote_rows_and_equals_fresh(v4_path, tmp_path, clock):
    """v4 -> v5 rebuilds remote_versions (rows kept, copy facts NULL) and adds the history."""
    with JournalPeek(v4_path) as peek:  # the read-only reader still reads a v4 file
        assert peek.schema_version() == 4
        assert peek.history(HistoryQuery()) == []
    with Journal.open(v4_path, clock=clock) as journal:
        assert [(v.file_id, v.content_sha1) for v in journal.remote.iter_versions("docs")] == [
            ("id-a", "a" * 40), ("id-b", None),
        ]  # fmt: skip
        assert journal.remote.copy_source("docs", "p/a", "id-a", "bucket") is None
    assert run_sql(v4_path, "SELECT count(*) FROM remote_versions WHERE content_type IS NULL"
                   " AND file_info IS NULL AND encryption IS NULL") == [(2,)]  # fmt: skip
    fresh = tmp_path / "fresh.sqlite3"
    Journal.open(fresh, clock=clock).close()
    assert schema_of(v4_path) == schema_of(fresh)
    assert run_sql(v4_path, "PRAGMA user_version") == [(5,)]
    assert run_sql(v4_path, "PRAGMA foreign_key_check") == []
    assert run_sql(v4_path, "PRAGMA integrity_check") == [("ok",)]
