"""Carry out a restore plan: check what is there, download, verify, place, record.

One item's failure never stops the others; a key refused (``AuthRejectedError``) does.
Several files are fetched at once (``[sync] workers``); their results are recorded in
the plan's order.
What happens after a file is placed (in place: make B2's newest version match and write
the index) is a seam, ``AfterPlace``, so a restore into a separate directory touches
neither B2 nor the journal.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal, Protocol

import structlog

from syncd.domain import LocalState, RelPath, mtime_ms_of
from syncd.engine.report import ProgressHook
from syncd.engine.restore_plan import Note, RestoreItem, RestorePlan, local_verdict
from syncd.engine.restore_pool import OrderedPool
from syncd.engine.restore_write import ANY, TargetDir
from syncd.errors import (
    AuthRejectedError,
    CapExceededError,
    RemoteTransientError,
    RestoreConflictError,
    SyncdError,
    UnsafePathError,
)
from syncd.remote import DirEntry, FileVersion

log = structlog.get_logger(__name__)


class Downloader(Protocol):
    """What the restore needs of the B2 client."""

    def download(
        self,
        version: FileVersion,
        dest: DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Download ``version`` to ``dest`` (reached by its directory's descriptor),
        SHA-1 verified."""


class AfterPlace(Protocol):
    """Called once a restored file is in place (in-place restores record it)."""

    def __call__(self, item: RestoreItem, placed: LocalState) -> None:
        """Record ``placed`` as the restored ``item``."""


@dataclass(slots=True)
class RestoreOutcome:
    """What a restore did, item by item."""

    dry_run: bool = False
    restored: list[RestoreItem] = field(default_factory=list)
    unchanged: list[RestoreItem] = field(default_factory=list)
    conflicts: list[Note] = field(default_factory=list)
    failed: list[Note] = field(default_factory=list)
    refused: list[Note] = field(default_factory=list)
    kept: list[Note] = field(default_factory=list)
    restored_bytes: int = 0
    remote_unavailable: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing was refused, failed or left for ``--force``."""
        return not (self.conflicts or self.failed or self.refused)

    def as_dict(self) -> dict[str, object]:
        """The summary for ``--json``."""

        def notes(items: list[Note]) -> list[dict[str, str]]:
            return [{"path": n.name, "reason": n.reason} for n in items]

        return {
            "dry_run": self.dry_run,
            "restored": [i.as_dict() for i in self.restored],
            "unchanged": [i.as_dict() for i in self.unchanged],
            "conflicts": notes(self.conflicts),
            "failed": notes(self.failed),
            "refused": notes(self.refused),
            "kept": notes(self.kept),
            "restored_bytes": self.restored_bytes,
        }


@dataclass(frozen=True, slots=True)
class _Step:
    """What a worker found or did for one item; the calling thread records it."""

    kind: Literal["unchanged", "conflict", "failed", "planned", "restored"]
    note: Note | None = None
    placed: os.stat_result | None = None


class Restorer:
    """Writes a plan's items below a target, ``workers`` files at once.

    Workers check, download, verify and place; the calling thread takes their results
    in the plan's order and does everything else (progress, the outcome, ``AfterPlace``
    and its journal), so what the user sees is ordered as with one worker.
    """

    def __init__(
        self,
        client: Downloader,
        target: TargetDir,
        *,
        in_place: bool,
        force: bool,
        allow_unverified: bool = False,
        after_place: AfterPlace | None = None,
        progress: ProgressHook | None = None,
        workers: int = 1,
    ) -> None:
        self._client = client
        self._allow_unverified = allow_unverified
        self._target = target
        self._in_place = in_place
        self._force = force
        self._after_place = after_place
        self._progress = progress
        self._workers = workers
        self._progress_lock = threading.Lock()  # byte ticks come from every worker

    def run(self, plan: RestorePlan, *, dry_run: bool = False) -> RestoreOutcome:
        """Restore every item of ``plan`` (or, in a dry run, only check them)."""
        out = RestoreOutcome(dry_run=dry_run, refused=list(plan.refused), kept=list(plan.kept))
        for note in plan.refused:
            log.warning("restore_name_refused", name=note.name, reason=note.reason)
        step = partial(self._fetch, dry_run=dry_run)
        with OrderedPool(step, self._workers, name="restore") as pool:
            for item, result in pool.results(plan.items):
                try:
                    self._record(item, result(), out, dry_run=dry_run)
                except AuthRejectedError:
                    raise
                except UnsafePathError as exc:
                    out.refused.append(Note(name=item.rel_path, reason=str(exc)))
                    log.warning("restore_name_refused", name=item.rel_path, reason=str(exc))
                except SyncdError as exc:
                    out.failed.append(Note(name=item.rel_path, reason=str(exc)))
                    if isinstance(exc, RemoteTransientError | CapExceededError):
                        out.remote_unavailable = True
                    log.warning("restore_item_failed", rel_path=item.rel_path, error=str(exc))
                self._tick("file", 1)
        if not dry_run:
            self._target.sync_dirs()
        log.info(
            "restore_finished",
            dry_run=dry_run,
            restored=len(out.restored),
            unchanged=len(out.unchanged),
            conflicts=len(out.conflicts),
            failed=len(out.failed),
            refused=len(out.refused),
        )
        return out

    def _fetch(self, item: RestoreItem, *, dry_run: bool) -> _Step:
        """Check ``item`` against what is there and, if needed, download and place it
        (on a worker thread: touches only the target and the client)."""
        rel = item.rel_path
        existing = self._target.existing(rel)
        verdict = local_verdict(
            None if existing is None else existing.size,
            existing is not None and existing.is_file,
            item,
            lambda: self._target.sha1(rel),
            in_place=self._in_place,
        )
        mtime_ns = item.mtime_ms * 1_000_000
        if (
            verdict == "same"
            and existing is not None
            and mtime_ms_of(existing.mtime_ns) == item.mtime_ms  # B2 keeps ms, as uploaded
        ):
            return _Step("unchanged", placed=existing.stat)
        if verdict == "conflict" and not self._force:
            what = "a local file with changes B2 does not hold" if self._in_place else "a file"
            if existing is not None and not existing.is_file:
                what = "something that is not a regular file"
            return _Step("conflict", Note(name=rel, reason=f"{what} is in the way (use --force)"))
        unverified = _unverified(item.version)
        if unverified is not None and not self._allow_unverified:
            log.warning("restore_unverified_refused", rel_path=rel, file_id=item.version.file_id)
            return _Step("failed", Note(name=rel, reason=f"{unverified} (use --allow-unverified)"))
        if dry_run:
            return _Step("planned")
        staged = self._target.staging_entry()
        try:
            self._client.download(item.version, staged, on_progress=self._bytes)
            st = self._target.place(
                staged, RelPath(rel), mtime_ns, was=ANY if self._force else existing
            )
        except RestoreConflictError as exc:
            self._target.discard(staged)
            log.warning("restore_conflict", rel_path=rel, reason=str(exc))
            return _Step("conflict", Note(name=rel, reason=str(exc)))
        except BaseException:
            self._target.discard(staged)
            raise
        log.info("file_restored", rel_path=rel, file_id=item.version.file_id, size=st.st_size)
        return _Step("restored", placed=st)

    def _record(
        self, item: RestoreItem, step: _Step, out: RestoreOutcome, *, dry_run: bool
    ) -> None:
        """Put one item's result into ``out`` (on the calling thread, in plan order)."""
        rel = item.rel_path
        if step.kind == "conflict" and step.note is not None:
            out.conflicts.append(step.note)
        elif step.kind == "failed" and step.note is not None:
            out.failed.append(step.note)
        elif step.kind == "planned":
            out.restored.append(item)
        elif step.placed is not None:
            if self._after_place is not None and not dry_run:
                # Unchanged: already these bytes here; B2's newest version and the
                # index may still differ. Restored: record what was placed.
                self._after_place(item, LocalState.from_stat(rel, step.placed))
            if step.kind == "unchanged":
                out.unchanged.append(item)
            else:
                out.restored.append(item)
                out.restored_bytes += item.version.size

    def _bytes(self, amount: int) -> None:
        self._tick("bytes", amount)

    def _tick(self, what: str, amount: int) -> None:
        if self._progress is not None:
            with self._progress_lock:
                self._progress(what, amount)


def _unverified(version: FileVersion) -> str | None:
    """Why the downloaded bytes of ``version`` could not be checked, or None."""
    if version.content_sha1 is None:
        return "B2 holds no SHA-1 for this version"
    if not version.is_sha1_verified:
        return "B2 holds only an unverified SHA-1 for this version"
    return None
