"""The worker pool: N threads that claim -> plan -> act -> record.

Imports the journal and B2 adapters, the domain, ``syncd.paths`` and the engine's
own modules. Errors are sorted by their ``recovery``: per-item problems fail the job
with a backoff (never dropped), unsyncable items are reported once and skipped, a
changed file is requeued, a cap or a safety guard pauses, a fatal error stops all.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

from syncd.b2 import B2Client, Bucket
from syncd.clock import Clock
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import ChangeKind, IndexEntry, Job, LocalState, RelPath, SkippedItem
from syncd.engine.executor import Executor, Outcome
from syncd.engine.guard import DeleteGuard, RootGuard
from syncd.engine.health import Steps
from syncd.engine.local import hash_file, stat_file
from syncd.engine.plan import (
    Action,
    CopyFrom,
    DeleteAllVersions,
    Facts,
    Hide,
    HideOrphan,
    NeedHash,
    Policy,
    Upload,
    plan,
)
from syncd.engine.report import RunReport
from syncd.errors import (
    CapExceededError,
    FileChangedError,
    FileVanishedError,
    LocalAccessError,
    Recovery,
    RemoteTransientError,
    SafetyStopError,
    SpecialFileError,
    SyncdError,
)
from syncd.journal import Journal
from syncd.paths import to_b2_name

log = structlog.get_logger(__name__)


MAX_REQUEUES = 5  # a file that changes during this many reads in a row is failed instead


RescanFn = Callable[[str, RelPath | None, Callable[[], None] | None], object]
"""Rescan (folder, under, progress): ``progress`` is called as the walk moves on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderRuntime:
    """A folder with what the workers need to act on it."""

    config: FolderConfig
    bucket: Bucket
    root: RootGuard


class WorkerPool:
    """Threads draining the journal. ``drain()`` for sync-now, ``start()`` for the daemon."""

    def __init__(
        self,
        *,
        journal: Journal,
        client: B2Client,
        folders: Mapping[str, FolderRuntime],
        sync: SyncConfig,
        clock: Clock,
        report: RunReport,
        rescan: RescanFn,
        rng: random.Random,
        stop: threading.Event,
        remote_bound_s: float | None = None,
    ) -> None:
        self._journal = journal
        self._folders = folders
        self._sync = sync
        self._clock = clock
        self._report = report
        self._rescan = rescan
        self._rng = rng
        self._stop = stop
        self._executor = Executor(client, report)
        self._deletes = DeleteGuard(journal, sync)
        self._policy = Policy(delete=sync.delete, touch=sync.touch)
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._busy = 0
        self._steps = Steps(clock)
        self._remote_bound_s = sync.lease_s if remote_bound_s is None else remote_bound_s
        self._threads: list[threading.Thread] = []
        self._paused_until = 0.0
        self._changed: dict[tuple[str, str], int] = {}  # consecutive requeues per path
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
        threads = [
            threading.Thread(target=self._loop, args=(f"drain-{i}", True), daemon=True)
            for i in range(self._sync.workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def wake(self) -> None:
        """New work was recorded."""
        self._wake.set()

    def join(self, timeout_s: float) -> bool:
        """Wait for the threads after ``stop`` was set; True when all ended in time."""
        deadline = self._clock.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - self._clock.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def healthy(self, max_age_s: float) -> bool:
        """True when every daemon worker thread lives and none is hung: each is idle or
        inside a step that is still within its own bound (see ``engine.health``);
        ``max_age_s`` bounds the local steps (the health window)."""
        alive = all(t.is_alive() for t in self._threads)
        hung = self._steps.hung(max_age_s)
        for worker, (step, since_s) in hung.items():
            log.error("worker_hung", worker=worker, step=step, since_progress_s=since_s)
        return alive and not hung

    @property
    def busy(self) -> int:
        """Jobs being worked on now."""
        with self._lock:
            return self._busy

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
            with self._lock:
                jobs = self._journal.claim(
                    worker=name, limit=1, lease_ms=int(self._sync.lease_s * 1000)
                )
                self._busy += len(jobs)
            if not jobs:
                if draining and self._idle():
                    return
                self._wait_for_work()
                continue
            for job in jobs:
                try:
                    self._process(job, name)
                finally:
                    with self._lock:
                        self._busy -= 1
                    self._report.job_done()
                    self._wake.set()  # idle workers re-check: new rows, or the end of a drain

    def _idle(self) -> bool:
        if self.busy:
            return False
        due = self._journal.next_due_ms()
        return due is None or due > self._clock.now_ms() + 2_000

    def _wait_for_work(self) -> None:
        due = self._journal.next_due_ms()
        timeout = 1.0 if due is None else (due - self._clock.now_ms()) / 1000
        self._wake.wait(min(1.0, max(0.02, timeout)))
        self._wake.clear()

    # -- one job -------------------------------------------------------------------

    def _process(self, job: Job, worker: str) -> None:
        folder = self._folders.get(job.folder)
        bound = log.bind(worker=worker, folder=job.folder, rel_path=job.rel_path, job=job.id)
        if folder is None:  # a folder removed from the config: forget its pending rows
            self._journal.complete(job, index=None)
            return
        try:
            self._run(job, folder, worker)
        except (FileChangedError, FileVanishedError) as exc:
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
            self._report.add("requeued_files")
            due = self._clock.now_ms() + int(self._sync.settle_s * 1000)
            self._journal.requeue(job, due_ms=due)
        except (SpecialFileError, LocalAccessError) as exc:
            self._skip(job, str(exc))
        except SafetyStopError as exc:
            bound.warning("safety_stop", reason=str(exc))
            self._report.pause(str(exc))
            self._fail(job, str(exc), floor_s=60.0)
        except CapExceededError as exc:
            bound.error("cap_exceeded", error=str(exc))
            self._report.capped = True
            self._report.pause(str(exc))
            self._paused_until = self._clock.monotonic() + 300
            self._fail(job, str(exc), floor_s=300.0)
        except SyncdError as exc:
            if exc.recovery is Recovery.FATAL:
                bound.error("fatal_error", error=str(exc))
                self.fatal = exc
                self._report.fatal = str(exc)
                self._report.fatal_exit_code = exc.exit_code
                self._journal.requeue(job, due_ms=self._clock.now_ms())
                self._stop.set()
                return
            if isinstance(exc, RemoteTransientError):
                self._report.remote_unavailable = True
            bound.warning("job_failed", error=str(exc), attempts=job.attempts + 1)
            self._fail(job, str(exc))
        except Exception as exc:  # noqa: BLE001  (the one catch-all: a bug must not kill the worker)
            bound.exception("job_crashed")
            self._fail(job, f"internal error: {exc!r}")

    def _lease_keeper(self, job: Job, worker: str) -> Callable[[int], None]:
        """A progress hook that also renews the job's lease while a long upload runs, so
        no other worker takes the job and sends it a second time."""
        lease_ms = int(self._sync.lease_s * 1000)
        last = self._clock.monotonic()

        def progress(amount: int) -> None:
            nonlocal last
            self._steps.progress(worker)
            self._report.sent(amount)
            now = self._clock.monotonic()
            if now - last >= self._sync.lease_s / 3:
                last = now
                self._journal.renew_lease(job, worker=worker, lease_ms=lease_ms)

        return progress

    def _run(self, job: Job, folder: FolderRuntime, worker: str) -> None:
        cfg = folder.config
        steps = self._steps
        if job.kind is ChangeKind.SUBTREE:
            steps.enter(worker, "scan")
            self._rescan(cfg.name, job.rel_path or None, lambda: steps.progress(worker))
            self._journal.complete(job, index=None)
            return
        steps.enter(worker, "plan")
        action, in_flight = self.decide(job, cfg, on_progress=lambda: steps.progress(worker))
        self._guard(action, folder)
        progress = self._lease_keeper(job, worker)
        steps.enter(worker, "send", self._remote_bound_s)
        outcome = self._send(action, folder, in_flight=in_flight, progress=progress)
        steps.enter(worker, "record")
        self._journal.complete(job, index=outcome.index, remove_index=outcome.remove_index)
        if self._changed:
            with self._lock:
                self._changed.pop((job.folder, job.rel_path), None)

    def decide(
        self, job: Job, cfg: FolderConfig, *, on_progress: Callable[[], None] | None = None
    ) -> tuple[Action, bool]:
        """What the job's path needs (hashing it if the decision needs its sha1), and
        whether an earlier send of it may have reached B2. Reads only: a dry run plans
        with this too. Raises the local errors of ``stat_file`` and ``hash_file``."""
        indexed = self._journal.index_get(cfg.name, job.rel_path)
        local = stat_file(cfg.path, job.rel_path, cfg.follow_symlinks)
        if local is not None and cfg.max_size_bytes is not None and local.size > cfg.max_size_bytes:
            raise LocalAccessError(f"larger than max_size_bytes ({local.size} bytes)")
        b2_name = indexed.b2_name if indexed is not None else to_b2_name(cfg.prefix, job.rel_path)
        in_flight = job.maybe_sent
        moved = self._moved_from(cfg, local) if local is not None and indexed is None else None
        facts = Facts(
            b2_name=b2_name, local=local, indexed=indexed, moved_from=moved, maybe_sent=in_flight
        )
        action = plan(facts, self._policy)
        if isinstance(action, NeedHash):
            sha1 = hash_file(cfg.path, action.local, cfg.follow_symlinks, on_progress=on_progress)
            action = plan(
                Facts(b2_name=b2_name, local=local, indexed=indexed, local_sha1=sha1), self._policy
            )
        return action, in_flight

    def _send(
        self,
        action: Action,
        folder: FolderRuntime,
        *,
        in_flight: bool,
        progress: Callable[[int], None],
    ) -> Outcome:
        """Execute; for a path whose earlier send may have reached B2 (a dead process held
        its job), look on B2 first, so a stored upload is never repeated."""
        if in_flight and isinstance(action, (Upload, CopyFrom)):
            executor = self._executor
            adopted = executor.adopt(action.local, action.b2_name, folder.config, folder.bucket)
            if adopted is not None:
                return adopted
        return self._executor.execute(action, folder.config, folder.bucket, on_progress=progress)

    def _moved_from(self, cfg: FolderConfig, local: LocalState) -> IndexEntry | None:
        for entry in self._journal.index_find_inode(cfg.name, local.dev, local.inode):
            if entry.rel_path == local.rel_path:
                continue
            still_there = stat_file(cfg.path, entry.rel_path, cfg.follow_symlinks)
            if still_there is None or still_there.inode != entry.inode:
                return entry
        return None

    def _guard(self, action: Action, folder: FolderRuntime) -> None:
        if isinstance(action, (Hide, DeleteAllVersions, HideOrphan)):
            folder.root.check()
            self._deletes.allow(folder.config.name)

    def _skip(self, job: Job, reason: str) -> None:
        item = SkippedItem(folder=job.folder, rel_path=job.rel_path, reason=reason)
        if self._journal.report_issue(item):
            log.warning("item_skipped", folder=job.folder, rel_path=job.rel_path, reason=reason)
        self._report.skip(job.folder, job.rel_path, reason)
        self._journal.complete(job, index=None)

    def _fail(self, job: Job, error: str, *, floor_s: float = 0.0) -> None:
        delay = min(self._sync.retry_cap_s, self._sync.retry_base_s * 2 ** min(job.attempts, 20))
        delay = max(floor_s, delay * (0.5 + self._rng.random() / 2))
        self._journal.fail(job, error=error, retry_at_ms=self._clock.now_ms() + int(delay * 1000))
        self._report.fail(job.folder, job.rel_path, error)
