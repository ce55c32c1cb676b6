"""Carry out one planned action against B2 and say what the index must now hold.

The returned ``Outcome`` is written to the journal by the worker, only after B2
answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from syncd.config import FolderConfig
from syncd.domain import B2Name, IndexEntry, LocalState, RelPath
from syncd.engine.local import hash_file, source_path
from syncd.engine.plan import (
    Action,
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
from syncd.engine.ports import RemoteStore
from syncd.engine.report import RunReport, Tally
from syncd.errors import EncryptionKeyMissingError, RemoteError, VersionLockedError
from syncd.journal import Journal, Written
from syncd.paths import to_b2_name
from syncd.remote import Bucket, Resume

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What the index must hold for the path once B2 confirmed the action."""

    index: IndexEntry | None = None
    remove_index: bool = False
    written: Written | None = None  # what this client wrote on B2, for the remote index


def entry_for(
    folder: str, b2_name: B2Name, local: LocalState, *, sha1: str, file_id: str, uploaded_ms: int
) -> IndexEntry:
    """The index entry recording that ``local`` is on B2 as ``file_id``."""
    return IndexEntry(
        folder=folder,
        rel_path=local.rel_path,
        b2_name=b2_name,
        dev=local.dev,
        inode=local.inode,
        size=local.size,
        mtime_ns=local.mtime_ns,
        ctime_ns=local.ctime_ns,
        sha1=sha1,
        file_id=file_id,
        upload_timestamp_ms=uploaded_ms,
    )


def cancel_recorded(client: RemoteStore, bucket: Bucket, b2_name: B2Name, file_id: str) -> None:
    """Cancel a recorded large upload: by its id, or (a start recorded before its
    answer came) every one of the name this client started."""
    if file_id:
        client.cancel_large_file(file_id)
    else:
        client.cancel_unfinished_of(bucket, b2_name)


class Executor:
    """Turns actions into B2 calls for one folder's bucket."""

    def __init__(
        self, client: RemoteStore, report: RunReport, journal: Journal | None = None
    ) -> None:
        self._client = client
        self._report = report
        self._journal = journal  # where large uploads are recorded for an exact resume

    def execute(
        self,
        action: Action,
        folder: FolderConfig,
        bucket: Bucket,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> Outcome:
        """Run ``action``; raise the error tree's classes on failure. ``on_progress`` is
        called with the bytes sent as an upload goes."""
        match action:
            case Upload():
                return self._upload(action, folder, bucket, on_progress or self._report.sent)
            case CopyFrom():
                try:
                    return self._copy(action, folder, bucket)
                except EncryptionKeyMissingError as exc:
                    # The source needs an SSE-C key no longer configured (a rotated key):
                    # send the local bytes instead, under today's key.
                    log.info("copy_replaced_by_upload", b2_name=action.b2_name, reason=str(exc))
                    upload = Upload(local=action.local, b2_name=action.b2_name)
                    return self._upload(upload, folder, bucket, on_progress or self._report.sent)
            case Hide():
                return self._hide(action, bucket)
            case DeleteAllVersions():
                return self._delete_all(action, folder, bucket)
            case Forget():
                return Outcome(remove_index=True)
            case Refresh():
                entry = entry_for(
                    folder.name,
                    action.indexed.b2_name,
                    action.local,
                    sha1=action.indexed.sha1,
                    file_id=action.indexed.file_id,
                    uploaded_ms=action.indexed.upload_timestamp_ms,
                )
                self._report.add(Tally.REFRESHED_FILES)
                return Outcome(index=entry)
            case HideOrphan():
                return self._hide_orphan(action, bucket)
            case Skip():
                self._report.add(Tally.UNCHANGED_FILES)
                return Outcome()
            case NeedHash():
                raise AssertionError("NeedHash is resolved by the worker before execution")

    def adopt(
        self, local: LocalState, b2_name: B2Name, folder: FolderConfig, bucket: Bucket
    ) -> Outcome | None:
        """After a crash mid-send: if B2 already holds exactly this file (size, mtime and
        sha1), record that version instead of sending it again. One listing call."""
        version = self._client.latest_version(bucket, b2_name)
        if (
            version is None
            or version.action not in ("upload", "copy")
            or version.size != local.size
            or version.src_last_modified_ms != local.mtime_ms
            or version.content_sha1 is None
        ):
            return None
        sha1 = hash_file(folder.path, local, folder.follow_symlinks)
        if sha1 != version.content_sha1:
            return None
        self._report.add(Tally.ADOPTED_FILES)
        log.info("adopted_after_crash", b2_name=b2_name, file_id=version.file_id)
        entry = entry_for(
            folder.name,
            b2_name,
            local,
            sha1=sha1,
            file_id=version.file_id,
            uploaded_ms=version.upload_timestamp_ms,
        )
        return Outcome(index=entry)

    def _upload(
        self,
        action: Upload,
        folder: FolderConfig,
        bucket: Bucket,
        on_progress: Callable[[int], None],
    ) -> Outcome:
        rel_path = action.local.rel_path
        # a followed link is read at its target; otherwise the upload's own checks
        # (no link followed, same identity) report what became of the path
        path = source_path(folder.path, rel_path, folder.follow_symlinks) or folder.path / rel_path
        result = self._client.upload_file(
            bucket,
            action.b2_name,
            path,
            action.local,
            on_progress=on_progress,
            resume=self._resume(folder.name, rel_path),
            sha1=action.sha1,
        )
        self._report.add(Tally.UPLOADED_FILES)
        self._report.add(Tally.UPLOADED_BYTES, action.local.size)
        entry = entry_for(
            folder.name,
            action.b2_name,
            action.local,
            sha1=result.sha1,
            file_id=result.version.file_id,
            uploaded_ms=result.version.upload_timestamp_ms,
        )
        written = Written(versions=(result.version,), in_parts=result.in_parts)
        return Outcome(index=entry, written=written)

    def cancel_unfinished(self, folder: FolderConfig, bucket: Bucket, rel_path: RelPath) -> None:
        """Cancel the large upload recorded for a path whose job is done without it
        (deleted, moved away, back to what B2 holds, or sent small), so a crash in the
        middle of one leaves no unfinished large file behind (the reconciler's grace
        period is the backstop). Costs no query unless the path has a record."""
        journal = self._journal
        if journal is None or not journal.large.may_have(folder.name, rel_path):
            return
        recorded = journal.large.get(folder.name, rel_path)
        if recorded is not None:
            b2_name = to_b2_name(folder.prefix, rel_path)
            try:
                cancel_recorded(self._client, bucket, b2_name, recorded.file_id)
            except RemoteError as exc:  # the job is done; the reconciler tries again later
                log.warning(
                    "large_file_cancel_failed",
                    file_id=recorded.file_id,
                    code=exc.code,
                    reason=str(exc),
                )
                return
            log.info(
                "large_file_abandoned",
                folder=folder.name,
                path=rel_path,
                file_id=recorded.file_id,
            )
        journal.large.forget(folder.name, rel_path)

    def _resume(self, folder: str, rel_path: RelPath) -> Resume | None:
        journal = self._journal
        if journal is None:
            return None
        return Resume(
            recorded=lambda: journal.large.get(folder, rel_path),
            record=lambda start: journal.large.started(folder, rel_path, start),
        )

    def _copy(self, action: CopyFrom, folder: FolderConfig, bucket: Bucket) -> Outcome:
        # The remote index holds what the copy needs (content type, file info,
        # encryption) for versions syncd wrote or listed: then a touch costs the one
        # class C copy, no class B b2_get_file_info. Rows without it fall back to asking.
        source = None
        if self._journal is not None:
            source = self._journal.remote.copy_source(
                folder.name, action.source.b2_name, action.source.file_id, bucket.bucket_id
            )
        mtime_ms = action.local.mtime_ms
        if source is not None:
            version = self._client.copy_file(
                source, bucket, action.b2_name, src_last_modified_ms=mtime_ms
            )
        else:
            version = self._client.copy_file_id(
                action.source.file_id, bucket, action.b2_name, src_last_modified_ms=mtime_ms
            )
        self._report.add(Tally.COPIED_FILES)
        log.info(
            "copied", b2_name=action.b2_name, reason=action.reason, source=action.source.b2_name
        )
        entry = entry_for(
            folder.name,
            action.b2_name,
            action.local,
            sha1=action.source.sha1,
            file_id=version.file_id,
            uploaded_ms=version.upload_timestamp_ms,
        )
        detail = action.reason
        if action.reason == "rename":
            detail = f"rename from {action.source.rel_path}"
        return Outcome(index=entry, written=Written(versions=(version,), detail=detail))

    def _hide(self, action: Hide, bucket: Bucket) -> Outcome:
        marker = self._client.hide(bucket, action.indexed.b2_name)  # idempotent
        self._report.add(Tally.HIDDEN_FILES)
        versions = () if marker is None else (marker,)
        written = Written(versions=versions, detail="deleted locally")
        return Outcome(remove_index=True, written=written)

    def _hide_orphan(self, action: HideOrphan, bucket: Bucket) -> Outcome:
        version = self._client.latest_version(bucket, action.b2_name)
        if version is not None and version.action in ("upload", "copy"):
            marker = self._client.hide(bucket, action.b2_name)
            self._report.add(Tally.HIDDEN_FILES)
            log.info("orphan_hidden", b2_name=action.b2_name, file_id=version.file_id)
            if marker is not None:
                written = Written(
                    versions=(marker,), detail="gone locally; sent by a process that died"
                )
                return Outcome(remove_index=True, written=written)
        return Outcome(remove_index=True)

    def _delete_all(
        self, action: DeleteAllVersions, folder: FolderConfig, bucket: Bucket
    ) -> Outcome:
        """Delete every version; those Object Lock keeps stay, hidden, and are reported."""
        name = action.indexed.b2_name
        versions = [v for v in self._client.iter_versions(bucket, name) if v.file_name == name]
        kept: list[str] = []
        for version in versions:
            try:
                self._client.delete_version(version)
            except VersionLockedError as exc:
                kept.append(str(exc))
                continue
            self._report.add(Tally.DELETED_VERSIONS)
        if kept:
            self._client.hide(bucket, name)  # B2 allows hiding a locked file
            self._report.add(Tally.HIDDEN_FILES)
            reason = f"{len(kept)} version(s) kept under Object Lock, name hidden: {kept[0]}"
            self._report.skip(folder.name, str(action.indexed.rel_path), reason)
            return Outcome(remove_index=True)  # the next walk sees what is left
        written = Written(purged=name, detail=f"every version ({len(versions)}), deleted locally")
        return Outcome(remove_index=True, written=written)
