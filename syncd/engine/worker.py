"""The worker pool: N threads that take claimed jobs and run them (``job.py``), and
hand each job's error to ``outcomes.py``, which says what happens next.
"""

from __future__ import annotations

import os
import platform
import random
import threading
from collections.abc import Callable, Collection, Mapping

import structlog

from syncd.clock import Clock
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import Job
from syncd.engine.claims import ClaimBuffer
from syncd.engine.execute_remote import RemoteExecutor
from syncd.engine.executor import Executor
from syncd.engine.guard import DeleteGuard
from syncd.engine.health import Steps
from syncd.engine.inbox import Inbox
from syncd.engine.job import FolderRuntime, JobRunner, Recording, RescanFn
from syncd.engine.outcomes import MAX_REQUEUES, Outcomes
from syncd.engine.plan import Policy
from syncd.engine.plan_remote import RemoteAction
from syncd.engine.ports import RemoteStore
from syncd.engine.report import RunReport
from syncd.errors import Recovery, SyncdError
from syncd.journal import Journal

log = structlog.get_logger(__name__)

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
        paused: Callable[[], Collection[str]] | None = None,
        host: str = "",
    ) -> None:
        self._journal = journal
        self._hold = hold  # True while the user paused uploads (engine.pause.PauseGate)
        self._folders = folders
        self._sync = sync
        self._clock = clock
        self._report = report
        self._stop = stop
        # Idle workers wait for the inbox's "arrived": every producer's batch sets it.
        self._wake = inbox.arrived if inbox is not None else threading.Event()
        self._lock = threading.Lock()
        self._busy = 0
        self._steps = Steps(clock)
        self._threads: list[threading.Thread] = []
        self._outcomes = Outcomes(
            journal=journal, sync=sync, clock=clock, report=report, rng=rng, stop=stop
        )
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
            paused=paused,  # the folders paused now (engine.pause.PauseGate); None: sync-now
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
            on_record_failed=self._outcomes.record_failed,
            recording=recording,
        )

    @property
    def fatal(self) -> SyncdError | None:
        """The error that stopped the pool, if one did."""
        return self._outcomes.fatal

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
            paused = self._outcomes.paused_until > self._clock.monotonic()
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
        self._outcomes.finish()

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
        if self._outcomes.paused_until <= self._clock.monotonic():
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
            pause_s = self._outcomes.paused_until - self._clock.monotonic()
            if pause_s > 0:
                self._clock.wait(min(pause_s, 1.0), self._stop)
                if draining:
                    return
                continue
            if self._outcomes.stalled and not self._outcomes.release_stalled():
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
                self._outcomes.pause_pool(exc)
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
                self._wake_after_job(draining)

    def _wake_after_job(self, draining: bool) -> None:
        """Idle drainers re-check for the end of the drain, and idle workers take what is
        claimed; a daemon's idle workers are otherwise woken by new rows (a wake per
        finished job made each of them run an empty claim)."""
        if draining or len(self._claims):
            self._wake.set()

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

    # -- one job ---------------------------------------------------------------------

    def _process(self, job: Job, worker: str) -> None:
        folder = self._folders.get(job.folder)
        if folder is None:  # a folder removed from the config: forget its pending rows
            self._journal.complete(job, index=None)
            return
        try:
            self._runner.run(job, folder, worker)
        except SyncdError as exc:
            self._outcomes.dispatch(job, exc, worker)
            return
        except Exception as exc:
            log.exception("job_crashed", worker=worker, folder=job.folder, rel_path=job.rel_path)
            self._outcomes.crashed(job, exc)
            return
        self._outcomes.done(job)
