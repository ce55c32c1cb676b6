"""``syncd status`` read from a real journal written by ``Journal``, and its documented schema."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from syncd.app.files import JOURNAL_NAME
from syncd.app.live import LIVE_NAME, FolderFacts, LiveState, read_live, write_live
from syncd.app.status import read_status
from syncd.config import Config, load_config
from syncd.domain import B2Name, ChangeKind, IndexEntry, LocalChange, RelPath, SkippedItem
from syncd.errors import JournalError
from syncd.journal import Journal
from syncd.journal.peek import APPLICATION_ID, JournalPeek
from syncd.journal.schema import APPLICATION_ID as SCHEMA_APPLICATION_ID
from tests.support.fake_clock import START_MS, FakeClock

DOC = Path(__file__).parents[3] / "docs" / "status.md"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config with one folder "docs" and an embedded realm (no key needed)."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "state").mkdir()
    path = tmp_path / "syncd.toml"
    path.write_text(
        f'[b2]\nrealm = "embedded"\n[state]\ndir = "{tmp_path / "state"}"\n'
        f'[[folder]]\npath = "{tmp_path / "docs"}"\nbucket = "demo-bucket"\nprefix = "p/"\n'
    )
    return load_config(path, resolve_key=False)


def entry(rel_path: str, size: int, uploaded_ms: int) -> IndexEntry:
    """An index entry of folder "docs"."""
    return IndexEntry(
        folder="docs",
        rel_path=RelPath(rel_path),
        b2_name=B2Name("p/" + rel_path),
        dev=1,
        inode=hash(rel_path) & 0xFFFF,
        size=size,
        mtime_ns=1,
        ctime_ns=1,
        sha1="a" * 40,
        file_id="4_z" + rel_path,
        upload_timestamp_ms=uploaded_ms,
    )


def write_journal(config: Config, clock: FakeClock) -> None:
    """Two files on B2 (one a minute ago), two pending (one failing, 30 s old), one issue."""
    with Journal.open(config.state.dir / JOURNAL_NAME, clock=clock) as journal:
        hints = [
            LocalChange(folder="docs", rel_path=RelPath(p), kind=k, observed_ms=clock.now_ms())
            for p, k in (("old.txt", ChangeKind.CHANGED), ("new.txt", ChangeKind.CHANGED))
        ]
        journal.record(hints, settle_ms=0, delete_hold_ms=0, max_deferral_ms=1000)
        jobs = {j.rel_path: j for j in journal.claim(worker="w", limit=2, lease_ms=1000)}
        journal.complete(jobs[RelPath("old.txt")], index=entry("old.txt", 300, clock.now_ms()))
        journal.put_index([entry("older.txt", 1000, clock.now_ms() - 120_000)])
        journal.fail(
            jobs[RelPath("new.txt")],
            error="503 service unavailable",
            retry_at_ms=clock.now_ms() + 9000,
        )
        hint = LocalChange(
            folder="docs",
            rel_path=RelPath("gone"),
            kind=ChangeKind.DELETED,
            observed_ms=clock.now_ms(),
        )
        journal.record([hint], settle_ms=0, delete_hold_ms=0, max_deferral_ms=1000)
        journal.report_issue(SkippedItem(folder="docs", rel_path=RelPath("fifo"), reason="a FIFO"))


def test_status_reads_counts_rpo_throughput_failures_and_issues(config: Config) -> None:
    """Files/bytes on B2, pending, RPO, the last minute's uploads, failures and issues come out."""
    clock = FakeClock()
    write_journal(config, clock)
    doc = read_status(config, now_ms=START_MS + 30_000).as_json()
    (folder,) = doc["folders"]
    assert doc["daemon"]["state"] == "stopped"
    assert (folder["files_on_b2"], folder["bytes_on_b2"]) == (2, 1300)
    assert (folder["pending"], folder["pending_deletes"]) == (2, 1)
    assert folder["rpo_s"] == 30.0 == folder["oldest_pending_age_s"]
    assert folder["throughput"] == {"window_s": 60, "files": 1, "bytes": 300, "bytes_per_s": 5.0}
    assert folder["last_upload_ms"] == START_MS
    assert folder["state"] == "error"
    assert folder["failing"] == [
        {
            "path": "new.txt",
            "attempts": 1,
            "error": "503 service unavailable",
            "next_retry_ms": START_MS + 9000,
        }
    ]
    assert folder["skipped"] == [{"path": "fifo", "reason": "a FIFO"}]
    assert read_status(config, now_ms=START_MS + 30_000).has_failures


def test_status_of_a_state_dir_never_used(config: Config) -> None:
    """Without a journal, status says so and lists no folders (and creates nothing)."""
    doc = read_status(config).as_json()
    assert doc["folders"] == []
    assert "never synced" in doc["note"]
    assert not (config.state.dir / JOURNAL_NAME).exists()


def test_status_leaves_the_journal_byte_identical(config: Config) -> None:
    """The read-only open leaves the journal byte-identical (SQLite may add an empty WAL)."""
    write_journal(config, FakeClock())
    path = config.state.dir / JOURNAL_NAME
    before = path.read_bytes()
    read_status(config)
    assert path.read_bytes() == before
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_status_never_loads_sqlalchemy_or_the_engine(config: Config) -> None:
    """The status path imports no SQLAlchemy, httpx or engine module (it must start fast)."""
    write_journal(config, FakeClock())
    code = (
        "import sys; from pathlib import Path; from syncd.app.status import read_status;"
        "from syncd.config import load_config;"
        f"read_status(load_config(Path({str(config.source)!r}), resolve_key=False));"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'httpx')"
        " or m.startswith('syncd.engine')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_live_state_of_this_process_is_read_back_and_a_dead_pid_is_stopped(tmp_path: Path) -> None:
    """The live-state file round-trips; a dead pid or a stale file reads as no daemon."""
    path = tmp_path / LIVE_NAME
    state = LiveState(
        pid=os.getpid(),
        started_ms=1,
        updated_ms=START_MS,
        uploaded_files=3,
        errors_by_class={"RemoteTransientError": 2},
        folders={"docs": FolderFacts(last_rescan_ms=5, rescan_hints=2, watched_dirs=3, dirs=4)},
    )
    write_live(path, state)
    assert read_live(path, now_ms=START_MS + 1000) == state
    assert read_live(path, now_ms=START_MS + 60_000) is None  # not rewritten for 60 s
    write_live(path, LiveState(pid=2**22 + 12345, started_ms=1, updated_ms=START_MS))
    assert read_live(path, now_ms=START_MS) is None


def test_peek_carries_the_journal_application_id() -> None:
    """The read-only view checks the same application_id the schema stamps."""
    assert APPLICATION_ID == SCHEMA_APPLICATION_ID


def test_peek_refuses_a_foreign_sqlite_file(tmp_path: Path) -> None:
    """A SQLite file that is not a journal is refused with a JournalError (exit 74)."""
    path = tmp_path / "other.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(JournalError, match="not a syncd journal"):
        JournalPeek(path)


def _flatten(value: Any, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            name = f"{prefix}.{k}" if prefix else k
            keys.add(name)
            keys |= _flatten(v, name)
    elif isinstance(value, list) and value:
        keys |= _flatten(value[0], prefix + "[]")
    return keys


def test_documented_schema_matches_the_output(config: Config) -> None:
    """Every field of status --json is in docs/status.md's table, and every row is a field."""
    write_journal(config, FakeClock())
    conn = sqlite3.connect(config.state.dir / JOURNAL_NAME)  # a walk and a conflict (v4 rows)
    conn.execute("INSERT INTO remote_walks VALUES (1, 1, 5, 9, 9, NULL, NULL, 3, 1)")
    conn.execute(
        "INSERT INTO conflicts VALUES (1, CAST('a.txt' AS BLOB), '4_zother', 'both_changed',"
        " 'kept both', 'a (conflict).txt', 7)"
    )
    conn.commit()
    conn.close()
    doc = read_status(config, now_ms=START_MS + 30_000).as_json()
    schema = DOC.read_text().split("## JSON schema", 1)[1]
    documented = set(re.findall(r"^\| `([^`]+)` \|", schema, re.MULTILINE))
    assert _flatten(doc) == documented
