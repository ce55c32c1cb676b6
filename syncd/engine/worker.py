"""The worker pool: N threads that take claimed jobs and run them, and the one place
where a job's error is turned into what happens next.

Imports the journal and B2 adapters, the domain and the engine's own modules. Errors
are dispatched on their ``recovery`` (``syncd.errors.Recovery``): PER_JOB fails the job
with a backoff (never dropped), SKIP reports the item once, REQUEUE looks again once
the file settled, PAUSE fails the job with a long floor (a guard refused), PAUSE_POOL
stops every worker for a while (a cap), FATAL stops syncd.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import threading
from collections.abc import Callable, Mapping
from typing import assert_never

import structlog

from syncd.clock import Clock, backoff_s
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import Job, SkippedItem
from syncd.engine.claims import ClaimBuffer
from syncd.engine.execute_remote import RemoteExecutor
from syncd.engine.executor import Executor
from syncd.engine.guard import DeleteGuard
from syncd.engine.health import Steps
from syncd.engine.inbox import Inbox
from syncd.engine.job import FolderRuntime, JobRunner, Recording, RescanFn
from syncd.engine.plan import Policy
from syncd.engine.plan_remote import RemoteAction
from syncd.engine.ports import RemoteStore
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

HOLD_POLL_S = 1.0  # how soon a held pool notices the end of a pause

__all__ = ["MAX_REQUEUES", "FolderRuntime", "RescanFn", "WorkerPool"]


class WorkerPool:
    """Threads draining the journal. ``drain()`` for sync-now, ``start()`` for the daemon."""

    def __init__(
        self,
        *,
        journal: Journal,
        client: RemoteStore,
        folders: Mapping[str, FolderRuntime],
        sync: SyncConfig,
        clock: Clock,
        report: RunReport,
        rescan: RescanFn,
        rng: random.Random,
        stop: threading.Event,
        remote_bound_s: float | None = None,
        inbox: Inbox | None = None,
        hold: Callable[[], bool] | None = None,
        host: str = "",
    ) -> None:
        self._journal = journal
        self._hold = hold  # True while the user paused uploads (engine.pause.PauseGate)
        self._folders = folders
        self._sync = sync
        self._clock = clock
        self._report = report
        self._rng = rng
        self._stop = stop
        # Idle workers wait for the inbox's "arrived": every producer's batch sets it.
        self._wake = inbox.arrived if inbox is not None else threading.Event()
        self._lock = threading.Lock()
        self._busy = 0
        self._steps = Steps(clock)
        self._threads: list[threading.Thread] = []
        self._paused_until = 0.0
        self._changed: dict[tuple[str, str], int] = {}  # consecutive requeues per path
        self._stalled: list[Job] = []  # jobs the journal could not record (a full disk)
        owner = f"pool-{os.getpid()}-{id(self):x}"
        lease_ms = int(sync.lease_s * 1000)
        recording = Recording()
        self._claims = ClaimBuffer(
            journal,
            clock,
            owner=owner,
            batch=2 * sync.workers,
            lease_ms=lease_ms,
            recording=recording,
        )
        self._runner = JobRunner(
            journal=journal,
            executor=RemoteExecutor(
                client,
                Executor(client, report, journal),
                report,
                clock=clock,
                host=host or platform.node(),
            ),
            deletes=DeleteGuard(journal, sync),
            policy=Policy(delete=sync.delete, touch=sync.touch, conflict=sync.conflict),
            sync=sync,
            clock=clock,
            report=report,
            steps=self._steps,
            rescan=rescan,
            remote_bound_s=sync.lease_s if remote_bound_s is None else remote_bound_s,
            lease_owner=owner,
            on_record_failed=self._record_failed,
            recording=recording,
        )
        self.fatal: SyncdError | None = None

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Start the daemon's worker threads."""
        for i in range(self._sync.workers):
            name = f"worker-{i}"
            thread = threading.Thread(target=self._loop, args=(name, False), name=name, daemon=True)
            self._threads.append(thread)
            thread.start()

    def drain(self) -> None:
        """Run workers until nothing is due (sync-now); failures stay in the journal."""
        while True:
            threads = [
                threading.Thread(target=self._loop, args=(f"drain-{i}", True), daemon=True)
                for i in range(self._sync.workers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self._journal.flush()  # records made durable can make rows due again (KEPT)
            paused = self._paused_until > self._clock.monotonic()
            paused = paused or (self._hold is not None and self._hold())
            if self._stop.is_set() or self.fatal is not None or paused or not self._due_soon():
                break
        self._finish()

    def _due_soon(self) -> bool:
        due = self._journal.next_due_ms()
        return due is not None and due <= self._clock.now_ms() + 2_000

    def _finish(self) -> None:
        """After the last worker: every record durable, every lease this pool holds
        but will not use given back."""
        self._journal.flush()
        self._claims.release()  # a stop or a fatal error can leave claimed, unstarted jobs
        if self._stalled:
            with contextlib.suppress(JournalError):
                self._journal.release_jobs(self._stalled, maybe_sent=True)

    def wake(self) -> None:
        """New work was recorded."""
        self._wake.set()

    def join(self, timeout_s: float) -> bool:
        """Wait for the threads after ``stop`` was set; True when all ended in time."""
        deadline = self._clock.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - self._clock.monotonic()))
        ended = not any(t.is_alive() for t in self._threads)
        if ended:
            self._finish()
        return ended

    def healthy(self, max_age_s: float) -> bool:
        """True when every daemon worker thread lives and none is hung: each is idle or
        inside a step that is still within its own bound (see ``engine.health``);
        ``max_age_s`` bounds the local steps (the health window)."""
        alive = all(t.is_alive() for t in self._threads)
        hung = self._steps.hung(max_age_s)
        for worker, (step, since_s) in hung.items():
            log.error("worker_hung", worker=worker, step=step, since_progress_s=since_s)
        return alive and not hung

    def paused_reason(self) -> str | None:
        """Why the pool does not claim now (a full journal disk, a cap), or None."""
        if self._paused_until <= self._clock.monotonic():
            return None
        return self._report.paused[-1] if self._report.paused else "paused"

    @property
    def busy(self) -> int:
        """Jobs being worked on now."""
        with self._lock:
            return self._busy

    def decide(
        self, job: Job, cfg: FolderConfig, *, on_progress: Callable[[], None] | None = None
    ) -> tuple[RemoteAction, bool]:
        """What the job's path needs and whether it may have been sent (``JobRunner``)."""
        return self._runner.decide(job, cfg, on_progress=on_progress)

    # -- the loop ------------------------------------------------------------------

    def _loop(self, name: str, draining: bool) -> None:
        try:
            self._turns(name, draining)
        finally:
            self._steps.leave(name)  # an ended thread is not hung (a dead one: see healthy)

    def _turns(self, name: str, draining: bool) -> None:
        while not self._stop.is_set() and self.fatal is None:
            self._steps.enter(name, "idle")
            pause_s = self._paused_until - self._clock.monotonic()
            if pause_s > 0:
                self._clock.wait(min(pause_s, 1.0), self._stop)
                if draining:
                    return
                continue
            if self._stalled and not self._release_stalled():
                continue
            if self._hold is not None and self._hold():  # running jobs finish; none starts
                self._claims.release()
                self._clock.wait(HOLD_POLL_S, self._stop)
                if draining:
                    return
                continue
            try:
                with self._lock:
                    job = self._claims.take()
                    self._busy += job is not None
            except SyncdError as exc:  # the journal cannot be written (a full disk)
                if exc.recovery is not Recovery.PAUSE_POOL:
                    raise
                log.error("pool_paused", error=str(exc))
                self._pause_pool(exc)
                continue
            if job is None:
                if draining and self._idle():
                    return
                self._wait_for_work()
                continue
            if len(self._claims):
                self._wake.set()  # more claimed jobs wait: idle workers take them
            try:
                self._process(job, name)
            finally:
                with self._lock:
                    self._busy -= 1
                self._report.job_done()
                self._wake.set()  # idle workers re-check: new rows, or the end of a drain

    def _idle(self) -> bool:
        if self.busy or len(self._claims):
            return False
        due = self._journal.next_due_ms()
        return due is None or due > self._clock.now_ms() + 2_000

    def _wait_for_work(self) -> None:
        due = self._journal.next_due_ms()
        timeout = 1.0 if due is None else (due - self._clock.now_ms()) / 1000
        self._wake.wait(min(1.0, max(0.02, timeout)))
        self._wake.clear()

    # -- one job and its outcome ---------------------------------------------------

    def _process(self, job: Job, worker: str) -> None:
        folder = self._folders.get(job.folder)
        if folder is None:  # a folder removed from the config: forget its pending rows
            self._journal.complete(job, index=None)
            return
        try:
            self._runner.run(job, folder, worker)
        except SyncdError as exc:
            self._dispatch(job, exc, worker)
            return
        except Exception as exc:
            log.exception("job_crashed", worker=worker, folder=job.folder, rel_path=job.rel_path)
            self._fail(job, f"internal error: {exc!r}")
            return
        if self._changed:
            with self._lock:
                self._changed.pop((job.folder, job.rel_path), None)

    def _dispatch(self, job: Job, exc: SyncdError, worker: str) -> None:
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
                self._fail(job, str(exc), floor_s=GUARD_FLOOR_S)
            case Recovery.PAUSE_POOL:
                capped = isinstance(exc, CapExceededError)
                bound.error("cap_exceeded" if capped else "pool_paused", error=str(exc))
                self._report.capped = self._report.capped or capped
                self._pause_pool(exc)
                self._park(job, str(exc), floor_s=exc.pause_s)
            case Recovery.FATAL:
                bound.error("fatal_error", error=str(exc))
                self.fatal = exc
                self._report.fatal = str(exc)
                self._report.fatal_exit_code = exc.exit_code
                self._journal.requeue(job, due_ms=self._clock.now_ms())
                self._stop.set()
            case Recovery.PER_JOB | Recovery.BACKOFF | Recovery.REAUTH | Recovery.NEW_UPLOAD_TARGET:
                if isinstance(exc, RemoteTransientError):
                    self._report.remote_unavailable = True
                bound.warning("job_failed", error=str(exc), attempts=job.attempts + 1)
                self._fail(job, str(exc))
            case unknown:  # mypy proves every Recovery is handled above
                assert_never(unknown)

    def _record_failed(self, job: Job, exc: JournalError) -> None:
        """The journal's writer could not commit a job's record (on its thread): the job
        was sent; keep it, to release it marked maybe_sent, and pause or stop."""
        log.error("record_failed", folder=job.folder, rel_path=job.rel_path, error=str(exc))
        with self._lock:
            self._stalled.append(job)
        if exc.recovery is Recovery.PAUSE_POOL:
            self._pause_pool(exc)
        else:
            self.fatal = exc
            self._report.fatal = str(exc)
            self._report.fatal_exit_code = exc.exit_code
            self._stop.set()

    def _pause_pool(self, exc: SyncdError) -> None:
        self._report.pause(str(exc))
        self._paused_until = max(self._paused_until, self._clock.monotonic() + exc.pause_s)

    def _park(self, job: Job, error: str, *, floor_s: float) -> None:
        """Fail the job with a floor; if the journal cannot take even that (a full disk),
        keep the job here and give its lease back once the pause is over."""
        try:
            self._fail(job, error, floor_s=floor_s)
        except JournalError:
            with self._lock:
                self._stalled.append(job)

    def _release_stalled(self) -> bool:
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
            self._pause_pool(exc)
            return False
        return True

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
            self._fail(job, f"kept changing while it was read ({streak} times)")
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

    def _fail(self, job: Job, error: str, *, floor_s: float = 0.0) -> None:
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
