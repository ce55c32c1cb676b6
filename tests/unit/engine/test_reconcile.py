"""The reconciler: resumable walks, the daily class C budget, and what it queues."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from syncd.clock import utc_day
from syncd.config import FolderConfig
from syncd.domain import ChangeKind, ConflictKind, ConflictRecord, LocalChange, RelPath
from syncd.engine.guard import RootGuard
from syncd.engine.job import FolderRuntime
from syncd.engine.ports import RemoteStore
from syncd.engine.reconcile import Reconciler
from syncd.journal import Journal, Written
from syncd.remote import Bucket, FileVersion, VersionsPage
from tests.support.fake_clock import FakeClock
from tests.unit.engine.conftest import BUCKET, FOLDER, PREFIX, file_version, index_entry


class PagedStore:
    """Serves a fixed version list in pages, counting calls by class like B2."""

    def __init__(self, versions: list[FileVersion], page_size: int) -> None:
        self.versions = versions
        self.page_size = page_size
        self.starts: list[tuple[str, str | None] | None] = []
        self._counts = {"C": 0}

    def versions_page(
        self, bucket: Bucket, prefix: str, *, start: tuple[str, str | None] | None, page_size: int
    ) -> VersionsPage:
        """One page from ``start``."""
        self.starts.append(start)
        self._counts["C"] += 1
        at = 0
        if start is not None:
            at = next(i for i, v in enumerate(self.versions) if (v.file_name, v.file_id) == start)
        page = self.versions[at : at + self.page_size]
        rest = self.versions[at + self.page_size :]
        following = (rest[0].file_name, rest[0].file_id) if rest else None
        return VersionsPage(versions=tuple(page), next_start=following)

    def take_call_counts(self) -> dict[str, int]:
        """Calls since the last take."""
        counts, self._counts = self._counts, {"C": 0}
        return counts


def reconciler(
    journal: Journal, store: PagedStore, folder: FolderConfig, clock: FakeClock,
    sink: list[LocalChange], budget: int | None = None,
) -> Reconciler:  # fmt: skip
    """A reconciler of the one folder over ``store``."""
    runtime = FolderRuntime(config=folder, bucket=BUCKET, root=cast(RootGuard, None))

    def record(changes: Sequence[LocalChange]) -> None:
        sink.extend(changes)

    return Reconciler(
        journal=journal, client=cast(RemoteStore, store), folders={FOLDER: runtime},
        clock=clock, sink=record, class_c_budget=budget,
    )  # fmt: skip


def tree(n: int) -> list[FileVersion]:
    """``n`` names under the prefix, one version each (the index's file ids)."""
    return [file_version(f"{PREFIX}f{i:04d}", file_id=f"id-f{i:04d}") for i in range(n)]


def test_one_list_call_per_page_and_nothing_queued_when_in_step(
    journal: Journal, folder: FolderConfig, clock: FakeClock
) -> None:
    """2,500 versions in pages of 1,000: three calls, and an index in step queues nothing."""
    journal.put_index([index_entry(f"f{i:04d}") for i in range(2_500)])
    store, sink = PagedStore(tree(2_500), 1_000), list[LocalChange]()
    result = reconciler(journal, store, folder, clock, sink).reconcile(FOLDER)
    assert (result.finished, result.calls, result.listed, result.queued) == (True, 3, 2_500, 0)
    assert sink == []


def test_the_budget_defers_the_walk_and_the_next_day_resumes_it(
    journal: Journal, folder: FolderConfig, clock: FakeClock
) -> None:
    """Past the day's class C budget the walk stops; the next day it resumes where it stood."""
    journal.put_index([index_entry(f"f{i:04d}") for i in range(30)])
    store, sink = PagedStore(tree(25), 10), list[LocalChange]()  # f0025..f0029 are gone from B2
    rec = reconciler(journal, store, folder, clock, sink, budget=2)
    first = rec.reconcile(FOLDER)
    assert (first.finished, first.deferred, first.calls) == (False, True, 2)
    assert rec.stale(FOLDER, max_age_ms=10**12)
    clock.advance(86_400_000)
    second = rec.reconcile(FOLDER)
    assert (second.finished, second.calls) == (True, 1)
    assert store.starts == [None, ("p/f0010", "id-f0010"), ("p/f0020", "id-f0020")]
    assert sorted(c.rel_path for c in sink) == [RelPath(f"f{i:04d}") for i in range(25, 30)]
    assert {c.kind for c in sink} == {ChangeKind.REMOTE}
    today = journal.ledger.calls(utc_day(clock.now_ms()))
    assert today.of("C") == 1


def test_a_stop_leaves_the_walk_resumable(
    journal: Journal, folder: FolderConfig, clock: FakeClock
) -> None:
    """A stop before the next page leaves the walk running, to resume next time."""
    store, sink = PagedStore(tree(5), 2), list[LocalChange]()
    rec = reconciler(journal, store, folder, clock, sink)
    rec._stop.set()
    assert rec.reconcile(FOLDER).finished is False
    walk = journal.remote.walk(FOLDER)
    assert walk is not None
    assert walk.running


def test_an_entry_met_before_is_not_queued_again(
    journal: Journal, folder: FolderConfig, clock: FakeClock
) -> None:
    """A divergence already recorded as a conflict for that version is not queued twice."""
    journal.put_index([index_entry("f0000")])
    newer = file_version(f"{PREFIX}f0000", file_id="theirs", uploaded_ms=clock.now_ms() + 5)
    store, sink = PagedStore([newer, *tree(1)], 10), list[LocalChange]()
    rec = reconciler(journal, store, folder, clock, sink)
    assert rec.reconcile(FOLDER).queued == 1
    journal.record(sink, settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    [job] = journal.claim(worker="w", limit=1, lease_ms=1_000)
    record = ConflictRecord(
        folder=FOLDER, rel_path=RelPath("f0000"), remote_file_id="theirs",
        kind=ConflictKind.REMOTE_UPDATE, resolution="left alone",
    )  # fmt: skip
    journal.complete(job, index=None, written=Written(conflict=record))
    assert rec.reconcile(FOLDER).queued == 0
