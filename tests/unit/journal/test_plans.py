"""Query plans of the journal's hot statements: an index search, never a walk of a
folder, on a journal SQLite has never analysed (the first sync of a big folder)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from syncd.domain import ChangeKind, RelPath, SkippedItem
from syncd.journal import Journal, Written, index_api
from syncd.remote import FileVersion
from tests.support.fake_clock import FakeClock
from tests.unit.journal.conftest import Change, Entry

LEASE = 60_000
FILES = 300
BIG_TABLES = (
    "pending",
    "files",
    "issues",
    "folder_state",
    "remote_versions",
    "conflicts",
    "history",
)
MANY_PER_FOLDER = ("pending", "files", "issues", "remote_versions", "conflicts", "history")


@contextmanager
def captured(journal: Journal) -> Iterator[list[tuple[str, Any]]]:
    """Every statement SQLite runs for the journal inside the block, parameters inlined
    (the driver's trace: it sees SQLAlchemy's statements and the raw hot path alike)."""
    seen: list[tuple[str, Any]] = []
    traced: list[sqlite3.Connection] = []

    def trace(statement: str) -> None:
        seen.append((statement, ()))

    def checkout(dbapi_conn: sqlite3.Connection, _record: Any, _proxy: Any) -> None:
        dbapi_conn.set_trace_callback(trace)
        traced.append(dbapi_conn)

    engine = journal._db._engine
    event.listen(engine, "checkout", checkout)
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", checkout)
        for conn in traced:
            conn.set_trace_callback(None)


def plan_of(path: Path, statement: str, params: Any) -> list[str]:
    """SQLite's plan for one statement, one line per step."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {statement}", params or ()).fetchall()
        return [str(row[-1]) for row in rows]
    finally:
        conn.close()


def walks(line: str) -> bool:
    """True when a plan step reads a whole table, a whole folder, or sorts rows."""
    table = "|".join(BIG_TABLES)
    many = "|".join(MANY_PER_FOLDER)  # tables with one row per folder are not walked
    return bool(
        re.match(rf"SCAN ({table})\b", line)
        or re.search(rf"({many}) USING (PRIMARY KEY|INDEX \w+) \(folder_id=\?\)$", line)
        or "TEMP B-TREE" in line
    )


def test_hot_statements_search_an_index(
    journal: Journal, journal_path: Path, clock: FakeClock, change: Change, entry: Entry
) -> None:
    """Every hot statement searches an index on an unanalysed journal (no folder walk)."""
    journal.put_index([entry(f"old/{i:04d}", inode=1000 + i) for i in range(FILES)])
    journal.record(
        [change(f"new/{i:04d}") for i in range(FILES)],
        settle_ms=0,
        delete_hold_ms=0,
        max_deferral_ms=0,
    )
    assert sqlite3.connect(journal_path).execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
    ).fetchone() == (0,)
    clock.advance(1)
    with captured(journal) as seen:
        journal.record([change("new/0001"), change("extra")], settle_ms=0, delete_hold_ms=0,
                       max_deferral_ms=0)  # fmt: skip
        clock.advance(1)
        first, second, third = journal.claim(worker="w", limit=3, lease_ms=LEASE)
        journal.index_get("docs", first.rel_path)
        journal.index_lookup("docs", RelPath("new-path"), (1, 1000 + 7))
        journal.index_lookup("docs", RelPath("new-path"), (1, 99))
        journal.renew_lease(first, worker="w", lease_ms=LEASE)
        mine = FileVersion(
            file_id="f2", file_name="prefix/x", action="upload", size=1, content_sha1=None,
            is_sha1_verified=False, content_type=None, upload_timestamp_ms=1,
            src_last_modified_ms=None, file_info={},
        )  # fmt: skip
        journal.complete(first, index=entry(first.rel_path, inode=5000),
                         written=Written(versions=(mine,)))  # fmt: skip
        journal.fail(second, error="503", retry_at_ms=clock.now_ms() + 10)
        journal.requeue(third, due_ms=clock.now_ms() + 10)
        journal.report_issue(SkippedItem(folder="docs", rel_path=RelPath("x"), reason="fifo"))
        journal.clear_issue("docs", RelPath("x"))
        journal.next_due_ms()
    skip = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")
    statements = {st: params for st, params in seen if not st.lstrip().startswith(skip)}
    assert len(statements) >= 10
    plans = {statement: plan_of(journal_path, statement, params) for statement, params in
             statements.items()}  # fmt: skip
    bad = {statement: lines for statement, lines in plans.items() if any(map(walks, lines))}
    assert bad == {}


def test_counts_for_status_and_the_guard_use_an_index(
    journal: Journal, journal_path: Path, change: Change
) -> None:
    """Status, delete-guard and never-synced counts search an index: no full scan."""
    journal.record(
        [change("a", kind=ChangeKind.DELETED), change("b", folder="photos")],
        settle_ms=0, delete_hold_ms=0, max_deferral_ms=0,
    )  # fmt: skip
    with captured(journal) as seen:
        journal.count_pending("docs", kind=ChangeKind.DELETED)
        journal.index_count("docs")
        journal.index_empty("docs")
    for statement, params in seen:
        assert not any(line.startswith("SCAN") for line in plan_of(journal_path, statement, params))


def test_the_walk_detector_sees_a_folder_walk(journal_path: Path, journal: Journal) -> None:
    """The check above can fail: the old rename lookup's plan is reported as a walk."""
    old = "SELECT * FROM files WHERE folder_id = ? AND dev = ? AND inode = ? ORDER BY path"
    assert any(walks(line) for line in plan_of(journal_path, old, (1, 1, 1)))


def test_a_claim_that_honours_pauses_searches_indexes(
    journal: Journal, journal_path: Path, clock: FakeClock, change: Change
) -> None:
    """Claiming past a paused folder (reading its pause, parking its rows) is index-only."""
    journal.state.set_paused_until("photos", clock.now_ms() + 60_000)
    journal.record(
        [change(f"p/{i:04d}", folder="photos") for i in range(FILES)]
        + [change(f"d/{i:04d}") for i in range(FILES)],
        settle_ms=0, delete_hold_ms=0, max_deferral_ms=0,
    )  # fmt: skip
    clock.advance(1)
    with captured(journal) as seen:
        jobs = journal.claim(worker="w", limit=3, lease_ms=LEASE, honour_pause=True)
        journal.next_due_ms()
    assert {job.folder for job in jobs} == {"docs"}
    skip = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")
    statements = {st: params for st, params in seen if not st.lstrip().startswith(skip)}
    assert any("folder_state" in st for st in statements)
    plans = {statement: plan_of(journal_path, statement, params) for statement, params in
             statements.items()}  # fmt: skip
    bad = {statement: lines for statement, lines in plans.items() if any(map(walks, lines))}
    assert bad == {}


def test_rescan_reads_the_index_by_primary_key_in_order(
    journal: Journal, journal_path: Path, entry: Entry, monkeypatch: Any
) -> None:
    """iter_stamps pages search the files primary key in key order: no scan, no sort."""
    monkeypatch.setattr(index_api, "STAMP_PAGE_ROWS", 7)
    journal.put_index([entry(f"d{i % 3}/f{i:04d}", inode=i) for i in range(FILES)])
    with captured(journal) as seen:
        assert len(list(journal.iter_stamps("docs"))) == FILES
        assert len(list(journal.iter_stamps("docs", RelPath("d1")))) == FILES // 3
    statements = {st for st, _ in seen if st.lstrip().startswith("SELECT")}
    assert len(statements) >= 4  # first page, next pages, the exact path, a subtree page
    for statement in statements:
        lines = plan_of(journal_path, statement, None)
        assert all(line.startswith("SEARCH files USING PRIMARY KEY") for line in lines), lines
