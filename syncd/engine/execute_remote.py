"""Carry out what ``plan_remote`` decided where another writer met syncd on B2.

Plain actions go to the ``Executor``; this adds the conflict copy (the local bytes
under ``name (conflict <host> <date>).ext``), the download of B2's version into the
folder (through the restore writer: staged, SHA-1 checked, moved into place only if
the local file did not change meanwhile) and the adoption of a version that already
holds the local bytes. Every meeting is returned as a ``ConflictRecord`` with the
outcome, so the journal keeps it with the index entry in one transaction.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable

import structlog

from syncd.clock import Clock, utc_day
from syncd.config import FolderConfig
from syncd.domain import B2Name, ConflictRecord, LocalState, RelPath
from syncd.engine.executor import Executor, Outcome, entry_for
from syncd.engine.local import stat_file
from syncd.engine.plan import Upload
from syncd.engine.plan_remote import AdoptRemote, KeepBoth, Noted, RemoteAction, TakeRemote
from syncd.engine.ports import RemoteStore
from syncd.engine.report import RunReport, Tally
from syncd.engine.restore_write import Existing, TargetDir
from syncd.errors import LocalAccessError
from syncd.journal import Written
from syncd.remote import Bucket, FileVersion

log = structlog.get_logger(__name__)


def conflict_name(b2_name: str, host: str, now_ms: int) -> B2Name:
    """``dir/name (conflict <host> <YYYY-MM-DD>).ext``: beside the contested name, with
    the extension kept so the copy still opens with the same program."""
    folder, leaf = posixpath.split(b2_name)
    stem, dot, ext = leaf.rpartition(".")
    if not stem:  # no extension, or a leading-dot name such as ".bashrc"
        stem, dot, ext = leaf, "", ""
    day = utc_day(now_ms)
    safe_host = host.replace("/", "_") or "unknown"
    renamed = f"{stem} (conflict {safe_host} {day}){dot}{ext}"
    return B2Name(posixpath.join(folder, renamed) if folder else renamed)


class RemoteExecutor:
    """Executes remote-aware actions for one folder's bucket."""

    def __init__(
        self,
        client: RemoteStore,
        executor: Executor,
        report: RunReport,
        *,
        clock: Clock,
        host: str,
    ) -> None:
        self._client = client
        self._executor = executor
        self._report = report
        self._clock = clock
        self._host = host

    def cancel_unfinished(self, folder: FolderConfig, bucket: Bucket, rel_path: RelPath) -> None:
        """:meth:`Executor.cancel_unfinished`."""
        self._executor.cancel_unfinished(folder, bucket, rel_path)

    def execute(
        self,
        action: RemoteAction,
        folder: FolderConfig,
        bucket: Bucket,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> Outcome:
        """Run ``action``; raise the error tree's classes on failure."""
        match action:
            case Noted():
                outcome = self.execute(action.action, folder, bucket, on_progress=on_progress)
                record = ConflictRecord(
                    folder=folder.name,
                    rel_path=action.rel_path,
                    remote_file_id=action.remote_file_id,
                    kind=action.kind,
                    resolution=action.resolution,
                    kept_as=_kept_as(action, outcome),
                    detected_ms=self._clock.now_ms(),
                )
                self._report.add(Tally.CONFLICTS)
                log.warning(
                    "remote_divergence",
                    folder=folder.name,
                    path=record.rel_path,
                    kind=record.kind.value,
                    resolution=record.resolution,
                    remote_file_id=record.remote_file_id,
                )
                written = outcome.written or Written()
                return dataclasses.replace(
                    outcome, written=dataclasses.replace(written, conflict=record)
                )
            case KeepBoth():
                return self._keep_both(action.local, action.b2_name, folder, bucket, on_progress)
            case TakeRemote():
                return self._take_remote(action, folder, bucket, on_progress)
            case AdoptRemote():
                entry = entry_for(
                    folder.name,
                    B2Name(action.version.file_name),
                    action.local,
                    sha1=action.sha1,
                    file_id=action.version.file_id,
                    uploaded_ms=action.version.upload_timestamp_ms,
                )
                self._report.add(Tally.ADOPTED_FILES)
                return Outcome(index=entry)
            case _:
                return self._executor.execute(action, folder, bucket, on_progress=on_progress)

    def adopt(
        self, local: LocalState, b2_name: B2Name, folder: FolderConfig, bucket: Bucket
    ) -> Outcome | None:
        """After a crash mid-send: record B2's copy of exactly this file (``Executor.adopt``)."""
        return self._executor.adopt(local, b2_name, folder, bucket)

    def _keep_both(
        self,
        local: LocalState,
        b2_name: B2Name,
        folder: FolderConfig,
        bucket: Bucket,
        on_progress: Callable[[int], None] | None,
    ) -> Outcome:
        """Upload the local bytes under the conflict name; the path is indexed there."""
        name = conflict_name(b2_name, self._host, self._clock.now_ms())
        return self._executor.execute(
            Upload(local=local, b2_name=name), folder, bucket, on_progress=on_progress
        )

    def _take_remote(
        self,
        action: TakeRemote,
        folder: FolderConfig,
        bucket: Bucket,
        on_progress: Callable[[int], None] | None,
    ) -> Outcome:
        """Save the local bytes if asked, then download B2's version over the file."""
        version, local = action.version, action.local
        written: tuple[FileVersion, ...] = ()
        if action.keep_local and local is not None:
            saved = self._keep_both(local, B2Name(version.file_name), folder, bucket, on_progress)
            if saved.written is not None:
                written = saved.written.versions
        rel_path = action.rel_path
        was: Existing | None = None
        with TargetDir(folder.path, write=True, create=False) as target:
            was = target.existing(rel_path)
            if (local is None) != (was is None):
                raise LocalAccessError("changed while B2's version was fetched", rel_path=rel_path)
            staged = target.staging_entry()
            try:
                self._client.download(version, staged)
                mtime_ms = version.src_last_modified_ms or version.upload_timestamp_ms
                target.place(staged, rel_path, mtime_ms * 1_000_000, was=was)
            except BaseException:
                target.discard(staged)
                raise
        now = stat_file(folder.path, rel_path, folder.follow_symlinks)
        if now is None or version.content_sha1 is None:
            raise LocalAccessError("vanished after B2's version was placed", rel_path=rel_path)
        self._report.add(Tally.DOWNLOADED_FILES)
        entry = entry_for(
            folder.name,
            B2Name(version.file_name),
            now,
            sha1=version.content_sha1,
            file_id=version.file_id,
            uploaded_ms=version.upload_timestamp_ms,
        )
        return Outcome(index=entry, written=Written(versions=written))


def _kept_as(noted: Noted, outcome: Outcome) -> B2Name | None:
    """The conflict name the local bytes went to, if they went to one."""
    saved = isinstance(noted.action, KeepBoth) or (
        isinstance(noted.action, TakeRemote) and noted.action.keep_local
    )
    if not saved or outcome.written is None:
        return None
    names = [v.file_name for v in outcome.written.versions if v.action != "hide"]
    return B2Name(names[0]) if names else None
