"""The pool's claim buffer: batches of leases, one owner, stale leases renewed or dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.domain import ChangeKind, LocalChange, RelPath
from syncd.engine.claims import ClaimBuffer
from syncd.journal import Journal
from tests.support.fake_clock import FakeClock

LEASE_MS = 60_000


@pytest.fixture
def journal(tmp_path: Path, clock: FakeClock) -> Journal:
    """A journal with ten due changes."""
    opened = Journal.open(tmp_path / "journal.sqlite3", clock=clock)
    changes = [
        LocalChange(
            folder="docs", rel_path=RelPath(f"f{i}"), kind=ChangeKind.CHANGED, observed_ms=0
        )
        for i in range(10)
    ]
    opened.record(changes, settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    return opened


def buffer(journal: Journal, clock: FakeClock, batch: int = 4) -> ClaimBuffer:
    """A buffer leasing to the owner 'pool'."""
    return ClaimBuffer(journal, clock, owner="pool", batch=batch, lease_ms=LEASE_MS)


def test_one_claim_per_batch(journal: Journal, clock: FakeClock) -> None:
    """Ten jobs in batches of 4 cost 3 claim transactions (4 + 4 + 2) and a final empty one."""
    claims = buffer(journal, clock)
    taken = [claims.take() for _ in range(11)]
    assert [job.rel_path for job in taken if job is not None] == [f"f{i}" for i in range(10)]
    assert taken[-1] is None
    assert claims.claims == 4
    journal.close()


def test_jobs_are_leased_to_the_pool_owner(journal: Journal, clock: FakeClock) -> None:
    """Whoever runs a buffered job can renew its lease as the pool's owner."""
    claims = buffer(journal, clock)
    job = claims.take()
    assert job is not None
    assert journal.renew_lease(job, worker="pool", lease_ms=LEASE_MS) is True
    assert journal.renew_lease(job, worker="someone-else", lease_ms=LEASE_MS) is False
    journal.close()


def test_a_job_that_waited_long_is_renewed_or_dropped(journal: Journal, clock: FakeClock) -> None:
    """A buffered job past a third of its lease is renewed, or dropped if the lease is lost."""
    claims = buffer(journal, clock)
    assert claims.take() is not None  # f0 taken; f1..f3 wait in the buffer
    clock.advance(LEASE_MS // 3 + 1)
    second = claims.take()  # waited a third of the lease: renewed, still ours
    assert second is not None
    assert second.rel_path == "f1"
    assert journal.renew_lease(second, worker="pool", lease_ms=LEASE_MS) is True
    clock.advance(LEASE_MS + 1)  # f2 and f3, still buffered, lose their leases
    stolen = {job.rel_path for job in journal.claim(worker="thief", limit=10, lease_ms=LEASE_MS)}
    assert {"f2", "f3"} <= stolen
    assert claims.take() is None  # both dropped, and every other row is the thief's now
    journal.close()


def test_release_gives_back_unstarted_jobs(journal: Journal, clock: FakeClock) -> None:
    """Jobs still in the buffer when the pool stops are claimable again at once."""
    claims = buffer(journal, clock)
    assert claims.take() is not None
    assert claims.release() == 3
    again = journal.claim(worker="next", limit=10, lease_ms=LEASE_MS)
    assert len(again) == 9  # every job but the one that was taken
    journal.close()


def test_jobs_of_a_folder_paused_after_their_claim_are_given_back(
    journal: Journal, clock: FakeClock
) -> None:
    """Buffered jobs of a folder that became paused are released, not run; the claim parks them."""
    paused: set[str] = set()
    claims = ClaimBuffer(
        journal, clock, owner="pool", batch=4, lease_ms=LEASE_MS, paused=lambda: paused
    )
    first = claims.take()
    assert first is not None
    assert len(claims) == 3
    paused.add("docs")
    journal.state.set_paused_until("docs", clock.now_ms() + 60_000)
    assert claims.take() is None  # three given back, the six others parked by the claim
    assert len(claims) == 0
    assert journal.claim(worker="probe", limit=20, lease_ms=LEASE_MS, honour_pause=True) == []
    clock.advance(60_000)  # the pause ends (and the first job's lease): all ten come back
    assert len(journal.claim(worker="probe", limit=20, lease_ms=LEASE_MS, honour_pause=True)) == 10
    journal.close()
