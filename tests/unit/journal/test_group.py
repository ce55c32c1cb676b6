"""Group commit: concurrent durable writes share transactions, and each caller gets its
own result or its own error only after the batch committed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from syncd.errors import JournalError
from syncd.journal.db import Database
from syncd.journal.group import GroupCommit

THREADS = 8
WRITES = 40


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """A bare database with one table of numbers."""
    database = Database(tmp_path / "group.sqlite3")
    with database.write("create") as conn:
        conn.exec_driver_sql("CREATE TABLE n (v INTEGER PRIMARY KEY)")
    return database


def insert(value: int) -> Callable[[Connection], int]:
    """Work that inserts ``value`` and returns it."""

    def work(conn: Connection) -> int:
        conn.execute(text("INSERT INTO n (v) VALUES (:v)"), {"v": value})
        return value

    return work


def count(db: Database) -> int:
    """Rows committed so far, read on another connection."""
    with db.read("count") as conn:
        return int(conn.execute(text("SELECT count(*) FROM n")).scalar_one())


def test_concurrent_writes_share_batches_and_all_land(db: Database) -> None:
    """8 threads x 40 durable writes all commit, in fewer transactions than writes."""
    group = GroupCommit(db)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(thread: int) -> None:
        try:
            for i in range(WRITES):
                value = group.run("insert", insert(thread * 1000 + i))
                with lock:
                    results.append(value)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == sorted(t * 1000 + i for t in range(THREADS) for i in range(WRITES))
    assert count(db) == THREADS * WRITES
    assert group.tickets == THREADS * WRITES
    assert group.batches < group.tickets
    db.close()


def test_a_failing_work_fails_only_its_caller(db: Database) -> None:
    """A work breaking a constraint fails its own caller only; the rest of the batch commits."""
    group = GroupCommit(db)
    assert group.run("insert", insert(1)) == 1
    with pytest.raises(JournalError, match="UNIQUE constraint failed"):
        group.run("insert", insert(1))
    assert group.run("insert", insert(2)) == 2
    assert count(db) == 2
    db.close()


def test_a_result_is_returned_only_once_committed(db: Database) -> None:
    """When the caller gets its result, another connection already sees the row."""
    group = GroupCommit(db)
    seen: list[int] = []

    def work(conn: Connection) -> None:
        conn.execute(text("INSERT INTO n (v) VALUES (7)"))
        seen.append(count(db))  # inside the open transaction: not visible yet

    group.run("insert", work)
    assert seen == [0]
    assert count(db) == 1
    db.close()
