"""Claims that honour ``syncd pause``: a paused folder's rows are parked, not leased, and
come back when the pause ends, is lifted, or a one-shot run asks for everything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from syncd.domain import ChangeKind
from syncd.journal import Journal
from syncd.journal.park import PARK_MAX, PARK_PAGE
from tests.support.fake_clock import FakeClock
from tests.unit.journal.conftest import Change

LEASE = 60_000
FOREVER_MS = 1 << 62


def record(journal: Journal, change: Change, folder: str, *names: str) -> None:
    """Record ready-at-once changes of ``names`` in ``folder``."""
    journal.record(
        [change(n, folder=folder) for n in names], settle_ms=0, delete_hold_ms=0, max_deferral_ms=0
    )


def ready_of(path: Path, folder: str) -> list[int]:
    """The ready_ms of the folder's rows, by path."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT ready_ms FROM pending JOIN folders ON folders.id = pending.folder_id"
            " WHERE folders.name = ? ORDER BY path",
            (folder,),
        )
        return [int(r[0]) for r in rows]
    finally:
        conn.close()


def test_a_paused_folder_is_parked_and_the_other_is_claimed(
    journal: Journal, journal_path: Path, clock: FakeClock, change: Change
) -> None:
    """Only the running folder's rows are leased; the paused ones wait at the pause's end."""
    until = clock.now_ms() + 30_000
    journal.state.set_paused_until("docs", until)
    record(journal, change, "docs", "a", "b", "c")
    record(journal, change, "photos", "p")
    clock.advance(1)
    jobs = journal.claim(worker="w", limit=2, lease_ms=LEASE, honour_pause=True)
    assert [(j.folder, j.rel_path) for j in jobs] == [("photos", "p")]
    assert ready_of(journal_path, "docs") == [until, until, until]
    assert journal.next_due_ms() == until  # the parked rows, not "now": no busy polling
    assert journal.claim(worker="w", limit=5, lease_ms=LEASE, honour_pause=True) == []
    clock.advance(30_000)  # the pause ends by itself: the rows are ready at its end
    jobs = journal.claim(worker="w", limit=5, lease_ms=LEASE, honour_pause=True)
    assert sorted(j.rel_path for j in jobs) == ["a", "b", "c"]


def test_resume_unparks_at_once(
    journal: Journal, journal_path: Path, clock: FakeClock, change: Change
) -> None:
    """A pause until resume parks at the far end; resume makes the rows claimable now."""
    journal.state.set_paused_until("docs", FOREVER_MS)
    record(journal, change, "docs", "a", "b")
    clock.advance(1)
    assert journal.claim(worker="w", limit=5, lease_ms=LEASE, honour_pause=True) == []
    assert ready_of(journal_path, "docs") == [FOREVER_MS, FOREVER_MS]
    journal.state.set_paused_until("docs", 0)
    assert max(ready_of(journal_path, "docs")) <= clock.now_ms()
    jobs = journal.claim(worker="w", limit=5, lease_ms=LEASE, honour_pause=True)
    assert sorted(j.rel_path for j in jobs) == ["a", "b"]


def test_a_new_hint_is_parked_again_and_many_paused_rows_do_not_hide_the_rest(
    journal: Journal, journal_path: Path, clock: FakeClock, change: Change
) -> None:
    """Rows past the first page of paused ones are still found; a new hint is re-parked."""
    journal.state.set_paused_until("docs", FOREVER_MS)
    record(journal, change, "docs", *(f"d{i:04d}" for i in range(1200)))
    clock.advance(1)
    record(journal, change, "photos", "p1", "p2")
    clock.advance(1)
    jobs = journal.claim(worker="w", limit=4, lease_ms=LEASE, honour_pause=True)
    assert sorted(j.rel_path for j in jobs) == ["p1", "p2"]
    record(journal, change, "docs", "d0007")  # a new change of a paused path
    clock.advance(1)
    assert journal.claim(worker="w", limit=4, lease_ms=LEASE, honour_pause=True) == []
    assert set(ready_of(journal_path, "docs")) == {FOREVER_MS}


def test_a_one_shot_run_is_not_held(journal: Journal, clock: FakeClock, change: Change) -> None:
    """retry_now (sync-now) unparks, and a claim that does not honour pauses takes them."""
    journal.state.set_paused_until("docs", FOREVER_MS)
    record(journal, change, "docs", "a")
    clock.advance(1)
    assert journal.claim(worker="w", limit=5, lease_ms=LEASE, honour_pause=True) == []
    journal.retry_now()
    (job,) = journal.claim(worker="w", limit=5, lease_ms=LEASE)
    assert job.rel_path == "a"


def test_a_paused_folder_is_still_rescanned(
    journal: Journal, clock: FakeClock, change: Change
) -> None:
    """A rescan (SUBTREE) of a paused folder is claimed: it only records, it sends nothing."""
    journal.state.set_paused_until("docs", FOREVER_MS)
    journal.record(
        [change("", kind=ChangeKind.SUBTREE), change("a")],
        settle_ms=0, delete_hold_ms=0, max_deferral_ms=0,
    )  # fmt: skip
    clock.advance(1)
    jobs = journal.claim(worker="w", limit=5, lease_ms=LEASE, honour_pause=True)
    assert [j.kind for j in jobs] == [ChangeKind.SUBTREE]


def test_a_long_paused_backlog_is_parked_over_several_claims(
    journal: Journal, journal_path: Path, clock: FakeClock, change: Change
) -> None:
    """One claim parks at most PARK_MAX rows; the next ones park the rest, then find work."""
    journal.state.set_paused_until("docs", FOREVER_MS)
    record(journal, change, "docs", *(f"d{i:05d}" for i in range(PARK_MAX + 700)))
    clock.advance(1)
    record(journal, change, "photos", "p")
    clock.advance(1)
    assert journal.claim(worker="w", limit=4, lease_ms=LEASE, honour_pause=True) == []
    assert PARK_MAX <= ready_of(journal_path, "docs").count(FOREVER_MS) < PARK_MAX + PARK_PAGE
    (job,) = journal.claim(worker="w", limit=4, lease_ms=LEASE, honour_pause=True)
    assert job.rel_path == "p"
    assert set(ready_of(journal_path, "docs")) == {FOREVER_MS}
