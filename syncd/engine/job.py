"""One job, start to end: look (stat, index, rename candidates), plan, guard, send,
record. The pool around it (``worker.py``) claims jobs and sorts their errors.

``decide`` only reads, so a dry run plans with it too.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass

from syncd.clock import Clock
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import ChangeKind, IndexEntry, Job, LocalState, RelPath
from syncd.engine.execute_remote import RemoteExecutor
from syncd.engine.executor import Outcome
from syncd.engine.guard import DeleteGuard, RootGuard
from syncd.engine.health import Steps
from syncd.engine.local import hash_file, stat_file
from syncd.engine.plan import (
    CopyFrom,
    DeleteAllVersions,
    Facts,
    Hide,
    HideOrphan,
    NeedHash,
    Policy,
    Upload,
)
from syncd.engine.plan_remote import CONTENT, RemoteAction, RemoteFacts
from syncd.engine.plan_remote import decide as plan_action
from syncd.engine.report import RunReport
from syncd.errors import JournalError, LocalAccessError
from syncd.journal import Journal
from syncd.paths import to_b2_name
from syncd.remote import Bucket

RescanFn = Callable[[str, RelPath | None, Callable[[], None] | None], object]
"""Rescan (folder, under, progress): ``progress`` is called as the walk moves on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderRuntime:
    """A folder with what the workers need to act on it."""

    config: FolderConfig
    bucket: Bucket
    root: RootGuard


class Recording:
    """Ids of jobs whose record is queued but not yet durable: their rows are still
    leased, and must not be taken again (not even after the lease ran out) meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()

    def add(self, job_id: int) -> None:
        """A record was queued."""
        with self._lock:
            self._ids.add(job_id)

    def discard(self, job_id: int) -> None:
        """A record committed (or failed)."""
        with self._lock:
            self._ids.discard(job_id)

    def __contains__(self, job_id: object) -> bool:
        with self._lock:
            return job_id in self._ids


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRunner:
    """Runs one claimed job; errors leave as ``SyncdError`` for the pool to dispatch."""

    journal: Journal
    executor: RemoteExecutor
    deletes: DeleteGuard
    policy: Policy
    sync: SyncConfig
    clock: Clock
    report: RunReport
    steps: Steps
    rescan: RescanFn
    remote_bound_s: float
    lease_owner: str
    on_record_failed: Callable[[Job, JournalError], None]
    recording: Recording

    def run(self, job: Job, folder: FolderRuntime, worker: str) -> None:
        """Do what the job's path needs and record it once B2 confirmed."""
        cfg, steps = folder.config, self.steps
        if job.kind is ChangeKind.SUBTREE:
            steps.enter(worker, "scan")
            self.rescan(cfg.name, job.rel_path or None, lambda: steps.progress(worker))
            self.journal.complete(job, index=None)
            return
        steps.enter(worker, "plan")
        action, in_flight = self.decide(job, cfg, on_progress=lambda: steps.progress(worker))
        self._guard(action, folder)
        progress = self._lease_keeper(job, worker)
        steps.enter(worker, "send", self.remote_bound_s)
        outcome = self._send(action, folder, in_flight=in_flight, progress=progress)
        if outcome.written is None or not outcome.written.in_parts:
            # Done without a large upload (deleted, moved, unchanged, sent small): one
            # this path's earlier content left unfinished is not needed any more.
            self.executor.cancel_unfinished(cfg, folder.bucket, job.rel_path)
        steps.enter(worker, "record")
        # The record is made durable by the journal's writer, with other workers' records
        # (one fsync a batch); the worker moves on. Until it commits, the row stays leased:
        # a crash before that makes the next start look on B2 before sending again.
        self.recording.add(job.id)

        def failed(exc: JournalError) -> None:
            self.recording.discard(job.id)
            self.on_record_failed(job, exc)

        self.journal.complete_later(
            job,
            index=outcome.index,
            remove_index=outcome.remove_index,
            written=outcome.written,
            on_failed=failed,
            on_done=lambda: self.recording.discard(job.id),
        )

    def decide(
        self, job: Job, cfg: FolderConfig, *, on_progress: Callable[[], None] | None = None
    ) -> tuple[RemoteAction, bool]:
        """What the job's path needs (hashing it if the decision needs its sha1), and
        whether an earlier send of it may have reached B2. Reads only: a dry run plans
        with this too. Raises the local errors of ``stat_file`` and ``hash_file``."""
        local = stat_file(cfg.path, job.rel_path, cfg.follow_symlinks)
        if local is not None and cfg.max_size_bytes is not None and local.size > cfg.max_size_bytes:
            raise LocalAccessError(f"larger than max_size_bytes ({local.size} bytes)")
        inode = (local.dev, local.inode) if local is not None else None
        indexed, candidates = self.journal.index_lookup(cfg.name, job.rel_path, inode)
        b2_name = indexed.b2_name if indexed is not None else to_b2_name(cfg.prefix, job.rel_path)
        in_flight = job.maybe_sent
        moved = self._moved_from(cfg, local, candidates) if local is not None else None
        facts = Facts(
            b2_name=b2_name, local=local, indexed=indexed, moved_from=moved, maybe_sent=in_flight
        )
        remote = self._remote_facts(cfg.name, indexed) if job.kind is ChangeKind.REMOTE else None
        action = plan_action(facts, remote, self.policy)
        if isinstance(action, NeedHash):
            sha1 = hash_file(cfg.path, action.local, cfg.follow_symlinks, on_progress=on_progress)
            facts = dataclasses.replace(facts, local_sha1=sha1, moved_from=None, maybe_sent=False)
            action = plan_action(facts, remote, self.policy)
        return action, in_flight

    def _remote_facts(self, folder: str, indexed: IndexEntry | None) -> RemoteFacts | None:
        """What the remote index holds for the path's name (a REMOTE job only)."""
        if indexed is None:
            return None
        versions = [
            (v, ours)
            for v, ours in self.journal.remote.versions_of(folder, indexed.b2_name)
            if v.action in (*CONTENT, "hide")
        ]
        newest, ours = versions[0] if versions else (None, False)
        present = any(v.file_id == indexed.file_id for v, _ in versions)
        return RemoteFacts(newest=newest, newest_ours=ours, indexed_present=present)

    def _lease_keeper(self, job: Job, worker: str) -> Callable[[int], None]:
        """A progress hook that also renews the job's lease while a long upload runs, so
        no other worker takes the job and sends it a second time."""
        lease_ms = int(self.sync.lease_s * 1000)
        last = self.clock.monotonic()

        def progress(amount: int) -> None:
            nonlocal last
            self.steps.progress(worker)
            self.report.sent(amount)
            now = self.clock.monotonic()
            if now - last >= self.sync.lease_s / 3:
                last = now
                self.journal.renew_lease(job, worker=self.lease_owner, lease_ms=lease_ms)

        return progress

    def _send(
        self,
        action: RemoteAction,
        folder: FolderRuntime,
        *,
        in_flight: bool,
        progress: Callable[[int], None],
    ) -> Outcome:
        """Execute; for a path whose earlier send may have reached B2 (a dead process held
        its job), look on B2 first, so a stored upload is never repeated."""
        if in_flight and isinstance(action, (Upload, CopyFrom)):
            adopted = self.executor.adopt(
                action.local, action.b2_name, folder.config, folder.bucket
            )
            if adopted is not None:
                return adopted
        return self.executor.execute(action, folder.config, folder.bucket, on_progress=progress)

    def _moved_from(
        self, cfg: FolderConfig, local: LocalState, candidates: list[IndexEntry]
    ) -> IndexEntry | None:
        for entry in candidates:
            if entry.rel_path == local.rel_path:
                continue
            still_there = stat_file(cfg.path, entry.rel_path, cfg.follow_symlinks)
            if still_there is None or still_there.inode != entry.inode:
                return entry
        return None

    def _guard(self, action: RemoteAction, folder: FolderRuntime) -> None:
        if isinstance(action, (Hide, DeleteAllVersions, HideOrphan)):
            folder.root.check()
            self.deletes.allow(folder.config.name)
