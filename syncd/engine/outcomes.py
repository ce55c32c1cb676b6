"""What happens to a job after it ran: the one place where a job's error is turned into
what happens next, and the pool-wide state that follows from errors (a pause, jobs
whose record could not be written, a fatal stop).

Errors are dispatched on their ``recovery`` (``syncd.errors.Recovery``): PER_JOB fails
the job with a backoff (never dropped), SKIP reports the item once, REQUEUE looks again
once the file settled, PAUSE fails the job with a long floor (a guard refused),
PAUSE_POOL stops every worker for a while (a cap), FATAL stops syncd.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from typing import assert_never

import structlog

from syncd.clock import Clock, backoff_s
from syncd.config import SyncConfig
from syncd.domain import Job, SkippedItem
from syncd.engine.report import RunReport, Tally
from syncd.errors import (
    CapExceededError,
    JournalError,
    Recovery,
    RemoteTransientError,
    SyncdError,
)
from syncd.journal import Journal

log = structlog.get_logger(__name__)

MAX_REQUEUES = 5  # a file that changes during this many reads in a row is failed instead
GUARD_FLOOR_S = 60.0  # a job a guard refused is not looked at again sooner
JOB_BACKOFF_MIN_SHARE = 0.5  # a failed job never comes back at once


class Outcomes:
    """Records what became of each job; thread-safe. ``fatal`` is set (and ``stop``)
    by the first FATAL error; ``paused_until`` (monotonic) is when a pool pause ends."""

    def __init__(
        self,
        *,
        journal: Journal,
        sync: SyncConfig,
        clock: Clock,
        report: RunReport,
        rng: random.Random,
        stop: threading.Event,
    ) -> None:
        self._journal = journal
        self._sync = sync
        self._clock = clock
        self._report = report
        self._rng = rng
        self._stop = stop
        self._lock = threading.Lock()
        self._changed: dict[tuple[str, str], int] = {}  # consecutive requeues per path
        self._stalled: list[Job] = []  # jobs the journal could not record (a full disk)
        self.paused_until = 0.0
        self.fatal: SyncdError | None = None

    def done(self, job: Job) -> None:
        """The job ran to its end: its streak of requeues is over."""
        if self._changed:
            with self._lock:
                self._changed.pop((job.folder, job.rel_path), None)

    def crashed(self, job: Job, exc: Exception) -> None:
        """A bug, not an error syncd raises: fail the job with a backoff."""
        self.fail(job, f"internal error: {exc!r}")

    def dispatch(self, job: Job, exc: SyncdError, worker: str) -> None:
        """What an error of a job leads to, by the error's own ``recovery``."""
        bound = log.bind(worker=worker, folder=job.folder, rel_path=job.rel_path, job=job.id)
        self._report.count_error(type(exc).__name__)
        match exc.recovery:
            case Recovery.REQUEUE:
                self._requeue(job, exc, bound)
            case Recovery.SKIP:
                self._skip(job, str(exc))
            case Recovery.PAUSE:
                bound.warning("safety_stop", reason=str(exc))
                self._report.pause(str(exc))
                self.fail(job, str(exc), floor_s=GUARD_FLOOR_S)
            case Recovery.PAUSE_POOL:
                capped = isinstance(exc, CapExceededError)
                bound.error("cap_exceeded" if capped else "pool_paused", error=str(exc))
                self._report.capped = self._report.capped or capped
                self.pause_pool(exc)
                self._park(job, str(exc), floor_s=exc.pause_s)
            case Recovery.FATAL:
                bound.error("fatal_error", error=str(exc))
                self._set_fatal(exc, then=lambda: self._journal.requeue(job, due_ms=self._now()))
            case Recovery.PER_JOB | Recovery.BACKOFF | Recovery.REAUTH | Recovery.NEW_UPLOAD_TARGET:
                if isinstance(exc, RemoteTransientError):
                    self._report.remote_unavailable = True
                bound.warning("job_failed", error=str(exc), attempts=job.attempts + 1)
                self.fail(job, str(exc))
            case unknown:  # mypy proves every Recovery is handled above
                assert_never(unknown)

    def record_failed(self, job: Job, exc: JournalError) -> None:
        """The journal's writer could not commit a job's record (on its thread): the job
        was sent; keep it, to release it marked maybe_sent, and pause or stop."""
        log.error("record_failed", folder=job.folder, rel_path=job.rel_path, error=str(exc))
        with self._lock:
            self._stalled.append(job)
        if exc.recovery is Recovery.PAUSE_POOL:
            self.pause_pool(exc)
        else:
            self._set_fatal(exc)

    def _set_fatal(self, exc: SyncdError, *, then: Callable[[], None] | None = None) -> None:
        """Remember the first fatal error, do ``then`` (the job's requeue), stop the pool."""
        self.fatal = exc
        self._report.fatal = str(exc)
        self._report.fatal_exit_code = exc.exit_code
        if then is not None:
            then()
        self._stop.set()

    def _now(self) -> int:
        return self._clock.now_ms()

    def pause_pool(self, exc: SyncdError) -> None:
        """Every worker rests for ``exc.pause_s``."""
        self._report.pause(str(exc))
        self.paused_until = max(self.paused_until, self._clock.monotonic() + exc.pause_s)

    def _park(self, job: Job, error: str, *, floor_s: float) -> None:
        """Fail the job with a floor; if the journal cannot take even that (a full disk),
        keep the job here and give its lease back once the pause is over."""
        try:
            self.fail(job, error, floor_s=floor_s)
        except JournalError:
            with self._lock:
                self._stalled.append(job)

    @property
    def stalled(self) -> bool:
        """Jobs wait whose lease could not be given back yet."""
        return bool(self._stalled)

    def release_stalled(self) -> bool:
        """Give back the leases of parked jobs; False (and pause again) if the journal
        still cannot be written."""
        with self._lock:
            stalled, self._stalled = self._stalled, []
        try:
            self._journal.checkpoint()  # a full disk: a truncated WAL gives room back
            self._journal.release_jobs(stalled, maybe_sent=True)  # sent, not recorded
        except JournalError as exc:
            with self._lock:
                self._stalled.extend(stalled)
            self.pause_pool(exc)
            return False
        return True

    def finish(self) -> None:
        """After the last worker: parked jobs are released if the journal lets us."""
        if self._stalled:
            with contextlib.suppress(JournalError):
                self._journal.release_jobs(self._stalled, maybe_sent=True)

    def _requeue(
        self, job: Job, exc: SyncdError, bound: structlog.typing.FilteringBoundLogger
    ) -> None:
        key = (job.folder, job.rel_path)
        with self._lock:
            self._changed[key] = self._changed.get(key, 0) + 1
            streak = self._changed[key]
        if streak > MAX_REQUEUES:  # never quiet: a failure with backoff, shown per path
            with self._lock:
                del self._changed[key]
            self.fail(job, f"kept changing while it was read ({streak} times)")
            return
        bound.info("requeued", reason=str(exc))
        self._report.add(Tally.REQUEUED_FILES)
        self._journal.requeue(job, due_ms=self._clock.now_ms() + int(self._sync.settle_s * 1000))

    def _skip(self, job: Job, reason: str) -> None:
        item = SkippedItem(folder=job.folder, rel_path=job.rel_path, reason=reason)
        if self._journal.report_issue(item):
            log.warning("item_skipped", folder=job.folder, rel_path=job.rel_path, reason=reason)
        self._report.skip(job.folder, job.rel_path, reason)
        self._journal.complete(job, index=None)

    def fail(self, job: Job, error: str, *, floor_s: float = 0.0) -> None:
        """Keep the job pending with a backoff (at least ``floor_s``) and report it."""
        delay = backoff_s(
            job.attempts + 1,
            base_s=self._sync.retry_base_s,
            cap_s=self._sync.retry_cap_s,
            rng=self._rng,
            min_share=JOB_BACKOFF_MIN_SHARE,
        )
        delay = max(floor_s, delay)
        self._journal.fail(job, error=error, retry_at_ms=self._clock.now_ms() + int(delay * 1000))
        self._report.fail(job.folder, job.rel_path, error)
