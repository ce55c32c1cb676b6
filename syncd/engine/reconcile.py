"""The remote pass: one listing walk per folder fills the remote index, then every
index entry that B2 moved away from is queued (``REMOTE``) for the workers.

A walk lists the folder's prefix a page at a time (``b2_list_file_versions``, one
class C call per 1,000 versions) and stores each page with the walk's cursor in one
transaction, so a walk cut short (a stop, a crash, the day's class C budget) resumes
at the first page it did not store. When the walk finishes, versions it did not see
are dropped (deleted by someone else), and ``Journal.remote.divergent`` names the
index entries whose version is gone or lies under another writer's newer upload or
hide marker. Each is queued once per version met (``ledger.conflict_known``); what
happens to it is the workers' decision (``plan_remote``) under ``[sync] conflict``.
Last, large uploads this client started for paths that are no longer pending are
cancelled (``journal.large``); other clients' unfinished uploads are never touched.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from syncd.clock import Clock, utc_day
from syncd.domain import ChangeKind, ChangeSink, LocalChange
from syncd.engine.executor import cancel_recorded
from syncd.engine.ports import RemoteStore
from syncd.journal import Journal
from syncd.paths import to_b2_name

if TYPE_CHECKING:
    from syncd.engine.job import FolderRuntime

log = structlog.get_logger(__name__)
PAGE_SIZE = 1000
ABANDON_AFTER_MS = 3_600_000  # a large upload's record outlives its job this long at most


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileResult:
    """What one reconcile of one folder did."""

    finished: bool  # False: the walk stopped early and resumes next time
    listed: int  # versions listed by this call
    calls: int  # list calls made by this call
    dropped: int  # cached versions B2 no longer holds
    queued: int  # paths queued for the workers (B2 moved away from the index)
    deferred: bool = False  # stopped by the daily class C budget


class CallLedger:
    """Moves the remote store's call counts into the journal's per-day ledger."""

    def __init__(self, journal: Journal, client: RemoteStore, clock: Clock) -> None:
        self._journal = journal
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()

    def flush(self) -> int:
        """Add the calls made since the last flush to today's counts; return today's
        class C count."""
        with self._lock:
            day = utc_day(self._clock.now_ms())
            self._journal.ledger.add_calls(day, self._client.take_call_counts())
            return self._journal.ledger.calls(day).of("C")


class Reconciler:
    """Walks B2 into the remote index and queues the paths B2 moved away from."""

    def __init__(
        self,
        *,
        journal: Journal,
        client: RemoteStore,
        folders: Mapping[str, FolderRuntime],
        clock: Clock,
        sink: ChangeSink,
        calls: CallLedger | None = None,
        class_c_budget: int | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._sink = sink
        self._journal = journal
        self._client = client
        self._folders = folders
        self._clock = clock
        self._calls = calls or CallLedger(journal, client, clock)
        self._budget = class_c_budget
        self._stop = stop or threading.Event()

    def stale(self, folder_name: str, max_age_ms: int) -> bool:
        """True when the folder's remote index is older than ``max_age_ms`` (or a walk
        was cut short, or none ever finished)."""
        walk = self._journal.remote.walk(folder_name)
        if walk is None or walk.running or walk.last_finished_ms == 0:
            return True
        return self._clock.now_ms() - walk.last_finished_ms > max_age_ms

    def reconcile(self, folder_name: str) -> ReconcileResult:
        """Walk one folder's prefix (resuming a cut-short walk), then queue repairs."""
        runtime = self._folders[folder_name]
        remote = self._journal.remote
        walk = remote.begin_walk(folder_name, self._clock.now_ms())
        start, listed, calls = walk.cursor, 0, 0
        while True:
            if self._stop.is_set():
                return self._cut_short(folder_name, listed, calls, deferred=False)
            if self._over_budget():
                return self._cut_short(folder_name, listed, calls, deferred=True)
            page = self._client.versions_page(
                runtime.bucket, runtime.config.prefix, start=start, page_size=PAGE_SIZE
            )
            remote.store_page(folder_name, walk.walk, page.versions, page.next_start)
            listed, calls = listed + len(page.versions), calls + 1
            if page.next_start is None:
                break
            start = page.next_start
        dropped = remote.finish_walk(folder_name, walk.walk, self._clock.now_ms())
        queued = self._queue_divergent(folder_name)
        self._cancel_abandoned(folder_name)
        self._calls.flush()
        log.info(
            "reconcile_finished",
            folder=folder_name,
            listed=listed,
            list_calls=calls,
            dropped=dropped,
            queued=queued,
        )
        return ReconcileResult(
            finished=True, listed=listed, calls=calls, dropped=dropped, queued=queued
        )

    def _over_budget(self) -> bool:
        if self._budget is None:
            return False  # no budget: the calls are flushed when the walk ends
        return self._calls.flush() >= self._budget

    def _cut_short(
        self, folder_name: str, listed: int, calls: int, *, deferred: bool
    ) -> ReconcileResult:
        self._calls.flush()
        if deferred:
            log.warning(
                "reconcile_deferred",
                folder=folder_name,
                reason="daily_class_c_budget reached; the walk resumes tomorrow",
                budget=self._budget,
            )
        return ReconcileResult(
            finished=False, listed=listed, calls=calls, dropped=0, queued=0, deferred=deferred
        )

    def _cancel_abandoned(self, folder_name: str) -> None:
        """Cancel the large uploads this client started for paths no longer pending
        (deleted, or changed and sent anew) once they are older than the grace period."""
        before = self._clock.now_ms() - ABANDON_AFTER_MS
        runtime = self._folders[folder_name]
        for rel_path, file_id in self._journal.large.abandoned(folder_name, before):
            b2_name = to_b2_name(runtime.config.prefix, rel_path)
            cancel_recorded(self._client, runtime.bucket, b2_name, file_id)
            self._journal.large.forget(folder_name, rel_path)
            log.info("large_file_abandoned", folder=folder_name, path=rel_path, file_id=file_id)

    def _queue_divergent(self, folder_name: str) -> int:
        now = self._clock.now_ms()
        changes: list[LocalChange] = []
        queued = 0
        ledger = self._journal.ledger
        for item in self._journal.remote.divergent(folder_name):
            met = item.newest_file_id or item.indexed_file_id
            if ledger.conflict_known(folder_name, item.rel_path, met):
                continue  # already met and handled (e.g. a remote update left alone)
            changes.append(
                LocalChange(
                    folder=folder_name,
                    rel_path=item.rel_path,
                    kind=ChangeKind.REMOTE,
                    observed_ms=now,
                )
            )
            queued += 1
            if len(changes) >= PAGE_SIZE:
                self._sink(changes)
                changes = []
        if changes:
            self._sink(changes)
        return queued
