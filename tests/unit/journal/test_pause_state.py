"""The user's pause in ``folder_state`` (schema v4) and the v3 -> v4 step that adds it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from syncd.domain import RootIdentity
from syncd.journal import Journal
from syncd.journal.schema import SCHEMA_VERSION
from tests.support.fake_clock import FakeClock

V3_FOLDER_STATE = """CREATE TABLE folder_state (
    folder_id INTEGER NOT NULL, root_dev INTEGER, root_marker TEXT,
    paused_deletes INTEGER NOT NULL, approved_deletes INTEGER NOT NULL,
    PRIMARY KEY (folder_id),
    FOREIGN KEY(folder_id) REFERENCES folders (id) ON DELETE CASCADE) WITHOUT ROWID"""


def downgrade_to_v3(path: Path) -> None:
    """Turn a fresh journal back into the v3 layout, keeping folder_state's rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("ALTER TABLE folder_state RENAME TO v4")
    conn.execute(V3_FOLDER_STATE)
    conn.execute(
        "INSERT INTO folder_state SELECT folder_id, root_dev, root_marker, paused_deletes,"
        " approved_deletes FROM v4"
    )
    conn.execute("DROP TABLE v4")
    conn.execute("DROP TABLE history")  # v5's
    for table in ("remote_versions", "remote_walks", "conflicts", "b2_calls", "large_uploads"):
        conn.execute(f"DROP TABLE {table}")  # the rest of v4: new tables
    conn.execute("PRAGMA user_version=3")
    conn.execute("COMMIT")
    conn.close()


def test_pause_survives_reopening(tmp_path: Path) -> None:
    """A pause set in one process is read back after the journal is closed and opened."""
    path, clock = tmp_path / "j.sqlite3", FakeClock()
    with Journal.open(path, clock=clock) as journal:
        assert journal.state.paused_until("docs") == 0
        journal.state.set_paused_until("docs", 123_456)
    with Journal.open(path, clock=clock) as journal:
        assert journal.state.paused_until("docs") == 123_456
        journal.state.set_paused_until("docs", 0)
        assert journal.state.paused_until("docs") == 0


def test_v3_journal_gains_the_pause_column_and_keeps_its_state(tmp_path: Path) -> None:
    """Root identity and delete counts survive the v3 -> v4 step; the pause starts at 0."""
    path, clock = tmp_path / "j.sqlite3", FakeClock()
    with Journal.open(path, clock=clock) as journal:
        journal.state.record_root("docs", RootIdentity(dev=2**63 + 5, marker="m-1"))
        journal.state.set_deletes("docs", paused=7, approved=3)
    downgrade_to_v3(path)
    with Journal.open(path, clock=clock) as journal:
        assert journal.state.root("docs") == RootIdentity(dev=2**63 + 5, marker="m-1")
        assert journal.state.paused_deletes("docs") == 7
        assert journal.state.approved_deletes("docs") == 3
        assert journal.state.paused_until("docs") == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
