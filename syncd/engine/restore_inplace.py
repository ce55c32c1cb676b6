"""After an in-place restore: make B2's newest version the restored one, and index it.

A restored file must not be uploaded again by the next sync, and a hidden name must
become visible again. Both come from one server-side copy of the restored version
(``b2_copy_file``, no bytes sent, ``writeFiles`` only): it becomes the newest version of
the name with the restored mtime, the hide marker stays in the history (nothing is ever
deleted), and the index entry written here (same sha1, size, mtime and the copy's file
id) makes the next sync skip the file. When B2's newest version already is these bytes
with this mtime, no copy is made.
"""

from __future__ import annotations

import structlog

from syncd.config import FolderConfig
from syncd.domain import B2Name, LocalState
from syncd.engine.executor import entry_for
from syncd.engine.ports import RemoteStore
from syncd.engine.restore_plan import RestoreItem
from syncd.engine.restore_versions import CONTENT_ACTIONS
from syncd.journal import Journal
from syncd.remote import Bucket, FileVersion

log = structlog.get_logger(__name__)


def already_current(newest: FileVersion | None, item: RestoreItem) -> bool:
    """True when B2's newest version of the name already is the restored content."""
    return (
        newest is not None
        and newest.action in CONTENT_ACTIONS
        and newest.size == item.version.size
        and newest.content_sha1 == item.version.content_sha1
        and newest.src_last_modified_ms == item.mtime_ms
    )


class InPlaceRecorder:
    """The ``AfterPlace`` of restores into a synced folder."""

    def __init__(
        self, client: RemoteStore, journal: Journal, folder: FolderConfig, bucket: Bucket
    ) -> None:
        self._client = client
        self._journal = journal
        self._folder = folder
        self._bucket = bucket
        self.copies = 0

    def __call__(self, item: RestoreItem, placed: LocalState) -> None:
        """Copy the version to the top of the name's history if needed; index it."""
        name = B2Name(self._folder.prefix + item.rel_path)
        newest = self._client.latest_version(self._bucket, name)
        note = f"in place, version {item.version.file_id} (already current)"
        if not already_current(newest, item):
            note = f"in place, version {item.version.file_id} copied to the top"
            newest = self._client.copy_file(
                item.version, self._bucket, name, src_last_modified_ms=item.mtime_ms
            )
            self.copies += 1
            log.info("restore_made_current", b2_name=name, file_id=newest.file_id)
        assert newest is not None  # set by the copy when it was not current
        sha1 = item.version.content_sha1 or newest.content_sha1 or ""
        self._journal.put_index(
            [
                entry_for(
                    self._folder.name,
                    name,
                    placed,
                    sha1=sha1,
                    file_id=newest.file_id,
                    uploaded_ms=newest.upload_timestamp_ms,
                )
            ],
            restored=note,
        )
