"""The pending queue through the Journal: record, claim, lease, complete, fail, requeue."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.domain import ChangeKind, LocalChange, RelPath
from syncd.journal import Journal

C, D, S = ChangeKind.CHANGED, ChangeKind.DELETED, ChangeKind.SUBTREE
PACE = {"settle_ms": 2_000, "delete_hold_ms": 10_000, "max_deferral_ms": 60_000}
LEASE = 30_000


def record(journal: Journal, *changes: LocalChange) -> int:
    """Record hints with the test pacing."""
    return journal.record(list(changes), **PACE)


def test_record_coalesces_one_row_per_path(journal, change):
    """Hints for the same path fold into one row; the return counts rows touched."""
    assert record(journal, change("a"), change("a"), change("b")) == 2
    assert record(journal, change("a")) == 1
    assert journal.pending_count() == 2
    assert record(journal) == 0


def test_row_is_claimable_only_after_settle(journal, clock, change):
    """A changed path waits for the settle window before a worker sees it."""
    record(journal, change("a"))
    assert journal.claim(worker="w1", limit=10, lease_ms=LEASE) == []
    assert journal.next_due_ms() == clock.now_ms() + 2_000
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=10, lease_ms=LEASE)
    assert (job.folder, job.rel_path, job.kind, job.attempts, job.generation) == (
        "docs",
        "a",
        C,
        0,
        1,
    )


def test_delete_waits_for_the_hold(journal, clock, change):
    """A deleted path waits delete_hold_ms, not the settle window."""
    record(journal, change("gone", D))
    clock.advance(9_999)
    assert journal.claim(worker="w1", limit=1, lease_ms=LEASE) == []
    clock.advance(1)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    assert job.kind is D


def test_claim_leases_and_an_expired_lease_frees_the_row(journal, clock, change):
    """A leased row is invisible to other workers until its lease runs out."""
    record(journal, change("a"))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    assert journal.claim(worker="w2", limit=1, lease_ms=LEASE) == []
    assert journal.next_due_ms() == clock.now_ms() + LEASE
    clock.advance(LEASE)
    [again] = journal.claim(worker="w2", limit=1, lease_ms=LEASE)
    assert again.id == job.id


def test_claim_takes_oldest_due_first_up_to_limit(journal, clock, change):
    """Rows come out in due order, at most ``limit`` at a time."""
    now = clock.now_ms()
    record(journal, change("late", at=now), change("early", at=now - 1_000))
    record(journal, change("middle", at=now - 500))
    clock.advance(2_000)
    first = journal.claim(worker="w1", limit=2, lease_ms=LEASE)
    second = journal.claim(worker="w1", limit=2, lease_ms=LEASE)
    assert [job.rel_path for job in first + second] == ["early", "middle", "late"]


def test_next_due_is_none_when_empty(journal):
    """With nothing pending there is nothing to wait for."""
    assert journal.next_due_ms() is None


def test_complete_records_the_upload_and_removes_the_row(journal, clock, change, entry):
    """A completed job leaves an index entry and no pending row."""
    record(journal, change("a"))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    assert journal.complete(job, index=entry("a")) is True
    assert journal.pending_count() == 0
    assert journal.index_get("docs", RelPath("a")) == entry("a")


def test_generation_race_keeps_the_row(journal, clock, change, entry):
    """A hint arriving while a job runs survives the job's completion."""
    record(journal, change("a"))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    record(journal, change("a"))  # the file changed again during the upload
    assert journal.claim(worker="w2", limit=1, lease_ms=LEASE) == []  # lease kept
    assert journal.complete(job, index=entry("a")) is False
    assert journal.index_get("docs", RelPath("a")) == entry("a")
    assert journal.pending_count() == 1
    clock.advance(2_000)
    [again] = journal.claim(worker="w2", limit=1, lease_ms=LEASE)
    assert (again.id, again.generation) == (job.id, 2)
    assert journal.complete(again, index=entry("a", size=11)) is True
    assert journal.pending_count() == 0


def test_stale_completion_after_lost_lease_changes_nothing(journal, clock, change, entry):
    """A worker whose lease expired and whose job was finished by another is ignored."""
    record(journal, change("a"))
    clock.advance(2_000)
    [slow] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    clock.advance(LEASE)
    [fast] = journal.claim(worker="w2", limit=1, lease_ms=LEASE)
    assert journal.complete(fast, index=entry("a", size=2)) is True
    assert journal.complete(slow, index=entry("a", size=1)) is False
    assert journal.index_get("docs", RelPath("a")) == entry("a", size=2)


def test_complete_can_forget_the_index_entry(journal, clock, change, entry):
    """remove_index drops the path's entry (a hidden file)."""
    journal.put_index([entry("a")])
    record(journal, change("a", D))
    clock.advance(10_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    assert journal.complete(job, index=None, remove_index=True) is True
    assert journal.index_get("docs", RelPath("a")) is None


def test_fail_counts_attempts_and_backs_off(journal, clock, change):
    """A failed job is retried only after retry_at, with its attempts and error kept."""
    record(journal, change("a"))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    journal.fail(job, error="503 service_unavailable", retry_at_ms=clock.now_ms() + 5_000)
    assert journal.failures() == [("a", 1, "503 service_unavailable")]
    assert journal.claim(worker="w1", limit=1, lease_ms=LEASE) == []
    assert journal.next_due_ms() == clock.now_ms() + 5_000
    clock.advance(5_000)
    [again] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    assert again.attempts == 1
    journal.fail(again, error="timeout", retry_at_ms=clock.now_ms())
    assert journal.failures("docs") == [("a", 2, "timeout")]


def test_a_new_hint_keeps_the_backoff(journal, clock, change):
    """A failing path that changes again still waits out its backoff."""
    record(journal, change("a"))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    journal.fail(job, error="denied", retry_at_ms=clock.now_ms() + 50_000)
    record(journal, change("a"))
    clock.advance(2_000)
    assert journal.claim(worker="w1", limit=1, lease_ms=LEASE) == []
    assert journal.failures() == [("a", 1, "denied")]


def test_success_after_newer_hints_clears_failures(journal, clock, change, entry):
    """A completed job resets the attempts of a row kept for newer hints."""
    record(journal, change("a"))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    journal.fail(job, error="x", retry_at_ms=clock.now_ms())
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    record(journal, change("a"))
    assert journal.complete(job, index=entry("a")) is False
    assert journal.failures() == []


def test_requeue_counts_no_attempt(journal, clock, change):
    """A file that changed while read comes back at due_ms with its attempts unchanged."""
    record(journal, change("a"))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    journal.requeue(job, due_ms=clock.now_ms() + 3_000)
    assert journal.next_due_ms() == clock.now_ms() + 3_000
    clock.advance(3_000)
    [again] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    assert again.attempts == 0
    assert journal.failures() == []


def test_hot_file_is_taken_once_per_deferral_window(journal, clock, change, entry):
    """A file that never rests is due at the cap, and not again right after its job."""
    for _ in range(61):
        record(journal, change("hot"))
        clock.advance(1_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)  # capped at 60 s
    record(journal, change("hot"))
    assert journal.complete(job, index=entry("hot")) is False
    record(journal, change("hot"))
    assert journal.claim(worker="w1", limit=1, lease_ms=LEASE) == []
    assert journal.next_due_ms() == clock.now_ms() + 2_000


def test_requeued_hot_file_is_not_spun(journal, clock, change):
    """After a requeue, new hints cannot make a capped row due at once again."""
    for _ in range(61):
        record(journal, change("hot"))
        clock.advance(1_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    journal.requeue(job, due_ms=clock.now_ms() + 2_000)
    record(journal, change("hot"))
    assert journal.next_due_ms() == clock.now_ms() + 2_000


def test_subtree_survives_a_later_change_of_its_directory(journal, clock, change):
    """A rescan request is not downgraded by a later hint for the same name."""
    record(journal, change("dir", S))
    record(journal, change("dir", C))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    assert job.kind is S


def test_release_all_leases_by_prefix(journal, clock, change):
    """Shutdown frees the leases of this process's workers only."""
    record(journal, change("a"), change("b"), change("c"))
    clock.advance(2_000)
    journal.claim(worker="pool-1", limit=1, lease_ms=LEASE)
    journal.claim(worker="pool-2", limit=1, lease_ms=LEASE)
    journal.claim(worker="other", limit=1, lease_ms=LEASE)
    assert journal.release_all_leases("pool-") == 2
    assert len(journal.claim(worker="w", limit=10, lease_ms=LEASE)) == 2
    assert journal.release_all_leases() == 3


def test_stale_leases_are_released_and_marked_maybe_sent(journal, clock, change, entry):
    """Dead leases are released marked maybe_sent; the mark lasts until the row is done."""
    record(journal, change("a"), change("b"), change("c"))
    clock.advance(2_000)
    held = journal.claim(worker="dead", limit=2, lease_ms=LEASE)
    assert journal.release_stale_leases() == 2
    jobs = journal.claim(worker="w", limit=10, lease_ms=LEASE)
    marks = {j.rel_path: j.maybe_sent for j in jobs}
    assert marks == {**{j.rel_path: True for j in held}, "c": False}
    first, second = (j for j in jobs if j.maybe_sent)
    journal.fail(first, error="503", retry_at_ms=clock.now_ms())
    [retried] = journal.claim(worker="w", limit=1, lease_ms=LEASE)
    assert (retried.id, retried.maybe_sent) == (first.id, True)
    record(journal, change(second.rel_path))  # a newer hint: complete keeps the row
    assert journal.complete(second, index=entry(second.rel_path)) is False
    clock.advance(2_000)
    [kept] = journal.claim(worker="w", limit=1, lease_ms=LEASE)
    assert (kept.id, kept.maybe_sent) == (second.id, False)
    assert journal.release_stale_leases() == 3  # retried, kept and c are still leased


def test_renew_lease_only_for_the_holder(journal, clock, change):
    """A long job keeps its lease by renewing it; a stranger cannot."""
    record(journal, change("big"))
    clock.advance(2_000)
    [job] = journal.claim(worker="w1", limit=1, lease_ms=LEASE)
    clock.advance(LEASE - 1)
    assert journal.renew_lease(job, worker="w1", lease_ms=LEASE) is True
    assert journal.renew_lease(job, worker="w2", lease_ms=LEASE) is False
    clock.advance(2)
    assert journal.claim(worker="w2", limit=1, lease_ms=LEASE) == []


def test_counts_by_folder_and_kind(journal, change):
    """Pending rows can be counted per folder and per kind (the delete guard)."""
    record(journal, change("a"), change("b", D), change("c", D, folder="photos"))
    assert journal.pending_count() == 3
    assert journal.pending_count("docs") == 2
    assert journal.count_pending("docs", kind=D) == 1
    assert journal.count_pending(kind=D) == 2
    assert journal.pending_count("never-seen") == 0
    assert journal.failures("never-seen") == []


kinds = st.sampled_from(list(ChangeKind))
hint_lists = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), kinds, st.integers(0, 5_000)), max_size=12
)


# The clock fixture is shared by the examples on purpose: each opens fresh journals and
# times are relative to the clock's current value.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(hints=hint_lists, batch=st.integers(min_value=1, max_value=5))
def test_batching_does_not_change_the_outcome(hints, batch, clock, change):
    """Hints recorded in one batch or in several leave the same rows."""
    changes = [change(path, kind, at=clock.now_ms() + at) for path, kind, at in hints]
    with tempfile.TemporaryDirectory() as tmp:
        one = Journal.open(Path(tmp, "one.sqlite3"), clock=clock)
        many = Journal.open(Path(tmp, "many.sqlite3"), clock=clock)
        try:
            record(one, *changes)
            for start in range(0, len(changes), batch):
                record(many, *changes[start : start + batch])
            clock.advance(70_000)
            assert one.claim(worker="w", limit=9, lease_ms=1) == many.claim(
                worker="w", limit=9, lease_ms=1
            )
        finally:
            one.close()
            many.close()


def test_retry_now_ends_backoff(journal, change, clock):
    """retry_now makes a failed row claimable again at once, keeping its attempts."""
    journal.record([change("a")], settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    (job,) = journal.claim(worker="w", limit=1, lease_ms=1000)
    journal.fail(job, error="boom", retry_at_ms=clock.now_ms() + 60_000)
    assert journal.claim(worker="w", limit=1, lease_ms=1000) == []
    assert journal.retry_now() == 1
    (again,) = journal.claim(worker="w", limit=1, lease_ms=1000)
    assert again.attempts == 1
