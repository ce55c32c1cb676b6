"""The clean-close seal: a one-shot open skips quick_check only for an untouched file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.errors import JournalError
from syncd.journal import Journal, migrate, seal
from tests.support.fake_clock import FakeClock
from tests.unit.journal.conftest import Entry


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each ``migrate.inspect`` call ran quick_check, in call order."""
    seen: list[bool] = []
    real = migrate.inspect

    def spy(path: Path, *, quick_check: bool = True) -> migrate.FileState | None:
        seen.append(quick_check)
        return real(path, quick_check=quick_check)

    monkeypatch.setattr(migrate, "inspect", spy)
    return seen


@pytest.fixture
def sealed(journal_path: Path, clock: FakeClock, entry: Entry) -> Path:
    """A journal with 400 index rows, closed cleanly (so sealed)."""
    with Journal.open(journal_path, clock=clock) as journal:
        journal.put_index([entry(f"dir/file-{i:04d}") for i in range(400)])
    return journal_path


def _scribble(path: Path, table: str) -> None:
    """Overwrite the page header of ``table``'s root page, keeping the file's size."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        [(page, size)] = conn.execute(
            "SELECT rootpage, (SELECT page_size FROM pragma_page_size) "
            "FROM sqlite_master WHERE name = ?",
            (table,),
        ).fetchall()
    finally:
        conn.close()
    with path.open("r+b") as f:
        f.seek(int(size) * (int(page) - 1))
        f.write(b"\xa5" * 64)


def test_clean_close_seals_and_a_trusting_open_skips_the_check(sealed, clock, checks):
    """After a clean close, sync-now's open skips quick_check; the default open runs it."""
    assert seal.seal_path(sealed).exists()
    Journal.open(sealed, clock=clock, trust_seal=True).close()
    Journal.open(sealed, clock=clock).close()
    assert checks == [False, True]


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: _scribble(p, "files"),
        lambda p: _scribble(p, "folders"),
        lambda p: os.truncate(p, 5000),
        lambda p: p.write_bytes(b"not a database at all " * 200),
    ],
    ids=["files-page", "folders-page", "truncated", "garbage"],
)
def test_damage_after_a_clean_close_is_still_caught(sealed, clock, damage):
    """Damage done to a sealed journal, even in the same clock tick, fails the open."""
    damage(sealed)
    with pytest.raises(JournalError, match=r"damaged|not a SQLite database"):
        Journal.open(sealed, clock=clock, trust_seal=True)


def test_an_unclean_stop_leaves_a_wal_that_forces_the_check(sealed, clock, checks):
    """A process killed after a commit leaves a WAL with frames: the full check runs."""
    script = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute(\"INSERT INTO meta (key, value) VALUES ('k', 'v')\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(sealed)], check=True, timeout=30)
    assert sealed.with_name(sealed.name + "-wal").stat().st_size > 0
    Journal.open(sealed, clock=clock, trust_seal=True).close()
    assert checks == [True]


def test_a_day_old_check_runs_again(sealed, clock, checks):
    """The seal vouches for a day at most: then quick_check runs even on an untouched file."""
    clock.advance(seal.MAX_AGE_MS)
    Journal.open(sealed, clock=clock, trust_seal=True).close()
    clock.advance(1000)
    Journal.open(sealed, clock=clock, trust_seal=True).close()
    assert checks == [True, False]


def test_a_failed_statement_leaves_no_seal(sealed, clock):
    """A session in which the database failed a statement is not sealed at close."""
    journal = Journal.open(sealed, clock=clock, trust_seal=True)
    with pytest.raises(JournalError), journal._db.write("test") as conn:
        conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")
    journal.close()
    assert not seal.seal_path(sealed).exists()


def test_a_seal_from_the_tick_of_the_last_change_is_not_trusted(sealed, clock):
    """A seal whose own mtime is not past the journal's last change proves nothing."""
    found = seal.read(sealed)
    assert found is not None
    assert seal.holds(sealed, found, now_ms=clock.now_ms())
    st = sealed.stat()
    os.utime(seal.seal_path(sealed), ns=(st.st_ctime_ns, st.st_ctime_ns))
    assert not seal.holds(sealed, seal.read(sealed), now_ms=clock.now_ms())


def test_an_unreadable_seal_forces_the_check(sealed, clock, checks):
    """A seal that is not the expected JSON is no seal."""
    seal.seal_path(sealed).write_text("{not json")
    Journal.open(sealed, clock=clock, trust_seal=True).close()
    assert checks == [True]
