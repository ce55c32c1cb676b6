"""``sync-now --dry-run``: what each pending path would get, and why, changing nothing.

It runs over a private copy of the journal (``Journal.open_copy``): the rescan records
into the copy, and every due job of the copy is planned with the worker's own ``decide``
(the same stat, rename lookup, hash and ``plan``), never sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from syncd.clock import Clock
from syncd.config import SyncConfig
from syncd.domain import ChangeKind, IndexEntry, Job
from syncd.engine.guard import DeleteGuard
from syncd.engine.plan import (
    CopyFrom,
    DeleteAllVersions,
    Forget,
    Hide,
    HideOrphan,
    NeedHash,
    Refresh,
    Skip,
    Upload,
)
from syncd.engine.plan_remote import AdoptRemote, KeepBoth, Noted, RemoteAction, TakeRemote
from syncd.engine.report import RunReport
from syncd.engine.worker import FolderRuntime, WorkerPool
from syncd.errors import FileChangedError, FileVanishedError, SafetyStopError, SyncdError
from syncd.journal import Journal

CLAIM_BATCH = 500
LEASE_MS = 3_600_000
DEADLINE_S = 5.0  # sync-now's deletes are due 1 ms after they were seen


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedItem:
    """One path of the plan: the action it would get and why."""

    folder: str
    rel_path: str
    action: str  # upload | copy | hide | delete | forget | record | skip | recheck
    reason: str

    def as_dict(self) -> dict[str, str]:
        """The item as plain data (for ``--json``)."""
        return {
            "folder": self.folder,
            "path": self.rel_path,
            "action": self.action,
            "reason": self.reason,
        }


def describe(action: RemoteAction, indexed: IndexEntry | None) -> tuple[str, str]:
    """(action, reason) of a planned action, in the words the plan prints."""
    match action:
        case Noted() | KeepBoth() | TakeRemote() | AdoptRemote():
            return _describe_remote(action, indexed)
        case Upload():
            return "upload", "new" if indexed is None else "changed"
        case CopyFrom():
            return "copy", action.reason
        case Hide():
            return "hide", "deleted locally"
        case DeleteAllVersions():
            return "delete", "deleted locally (every version, delete = delete-all-versions)"
        case Forget():
            return "forget", "deleted locally; B2 keeps it (delete = keep)"
        case HideOrphan():
            return "hide", "a send interrupted by a crash may have stored it"
        case Refresh():
            return "record", "B2 already holds these bytes and this mtime"
        case Skip():
            return "skip", action.reason
        case NeedHash():
            raise AssertionError("decide resolves NeedHash")


def _describe_remote(
    action: Noted | KeepBoth | TakeRemote | AdoptRemote, indexed: IndexEntry | None
) -> tuple[str, str]:
    match action:
        case Noted():
            what, _ = describe(action.action, indexed)
            return what, f"{action.kind.value}: {action.resolution}"
        case KeepBoth():
            return "upload", "conflict: the local bytes go under a conflict name"
        case TakeRemote():
            return "download", "B2 holds another writer's newer version"
        case AdoptRemote():
            return "record", "B2's newer version already holds these bytes"


class DryRun:
    """Plans every due job of a (copied) journal without acting on any."""

    def __init__(
        self,
        *,
        journal: Journal,
        pool: WorkerPool,
        folders: Mapping[str, FolderRuntime],
        sync: SyncConfig,
        clock: Clock,
    ) -> None:
        self._journal = journal
        self._pool = pool
        self._folders = folders
        self._deletes = DeleteGuard(journal, sync)
        self._clock = clock

    def plan(self, report: RunReport) -> list[PlannedItem]:
        """The plan: items the scan skipped, then every due job, sorted by folder and path."""
        items = [
            PlannedItem(folder=s.folder, rel_path=s.rel_path, action="skip", reason=s.error)
            for s in report.skipped
        ]
        deadline = self._clock.monotonic() + DEADLINE_S
        while True:
            jobs = self._journal.claim(worker="dry-run", limit=CLAIM_BATCH, lease_ms=LEASE_MS)
            for job in jobs:
                if (item := self._one(job)) is not None:
                    items.append(item)
                self._journal.complete(job, index=None)  # in the copy: planned once
            if jobs:
                continue
            due = self._journal.next_due_ms()
            left_s = deadline - self._clock.monotonic()
            if due is None or left_s <= 0:
                break
            self._clock.wait(min(left_s, max(0.001, (due - self._clock.now_ms()) / 1000)))
        return sorted(items, key=lambda i: (i.folder, i.rel_path))

    def _one(self, job: Job) -> PlannedItem | None:
        folder = self._folders.get(job.folder)
        if folder is None or job.kind is ChangeKind.SUBTREE:
            return None
        try:
            action, _in_flight = self._pool.decide(job, folder.config)
        except (FileChangedError, FileVanishedError) as exc:
            return self._item(job, "recheck", f"changing while read ({exc})")
        except SyncdError as exc:
            return self._item(job, "skip", str(exc))
        name, reason = describe(action, self._journal.index_get(job.folder, job.rel_path))
        if name in ("hide", "delete"):
            try:
                self._deletes.allow(job.folder)
            except SafetyStopError:
                reason += "; paused by the mass-delete guard until `syncd approve`"
        return self._item(job, name, reason)

    @staticmethod
    def _item(job: Job, action: str, reason: str) -> PlannedItem:
        return PlannedItem(folder=job.folder, rel_path=job.rel_path, action=action, reason=reason)


def counts(items: list[PlannedItem], folder: str) -> dict[str, int]:
    """How many paths of ``folder`` get each action."""
    return dict(Counter(i.action for i in items if i.folder == folder))
