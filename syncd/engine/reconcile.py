"""The remote pass: list the bucket under each folder's prefix and repair the index
where B2 no longer holds what the index says (a version deleted or hidden by hand, a
lifecycle rule), so the next worker pass uploads it again.

Imports the journal and B2 adapters and the domain. One listing per folder per
period (class C transactions, billed per 1,000 names), at the scheduler's offset.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import structlog

from syncd.clock import Clock
from syncd.domain import ChangeKind, ChangeSink, IndexEntry, LocalChange, mtime_ms_of
from syncd.engine.ports import RemoteStore
from syncd.journal import Journal
from syncd.remote import FileVersion

if TYPE_CHECKING:
    from syncd.engine.job import FolderRuntime

log = structlog.get_logger(__name__)


def stale_entries(
    indexed: Iterator[IndexEntry], remote: Iterator[FileVersion]
) -> Iterator[IndexEntry]:
    """Index entries whose version is not B2's visible one, by a merge-join of two
    streams sorted by name (UTF-8 byte order, which is the index's order)."""
    current = next(remote, None)
    for entry in indexed:
        key = entry.b2_name.encode("utf-8", "surrogateescape")
        while current is not None and current.file_name.encode() < key:
            current = next(remote, None)
        missing = current is None or current.file_name != entry.b2_name
        if missing or _replaced(current, entry):
            yield entry


def _replaced(current: FileVersion | None, entry: IndexEntry) -> bool:
    """True when B2's visible version is another one with other bytes or mtime."""
    return (
        current is not None
        and current.file_id != entry.file_id
        and (
            current.content_sha1 != entry.sha1
            or current.src_last_modified_ms != mtime_ms_of(entry.mtime_ns)
        )
    )


class Reconciler:
    """Compares the index with B2 and queues repairs."""

    def __init__(
        self,
        *,
        journal: Journal,
        client: RemoteStore,
        folders: Mapping[str, FolderRuntime],
        clock: Clock,
        sink: ChangeSink,
    ) -> None:
        self._sink = sink
        self._journal = journal
        self._client = client
        self._folders = folders
        self._clock = clock

    def reconcile(self, folder_name: str) -> int:
        """Repair the index of one folder; return how many paths were queued again."""
        runtime = self._folders[folder_name]
        prefix = runtime.config.prefix
        remote = self._client.iter_names(runtime.bucket, prefix)
        repaired = 0
        now = self._clock.now_ms()
        for entry in stale_entries(self._journal.iter_index(folder_name), remote):
            self._journal.forget_index(folder_name, entry.rel_path)
            change = LocalChange(
                folder=folder_name,
                rel_path=entry.rel_path,
                kind=ChangeKind.CHANGED,
                observed_ms=now,
            )
            self._sink([change])  # recorded like any hint, and the workers are woken
            repaired += 1
        log.info("reconcile_finished", folder=folder_name, repaired=repaired)
        return repaired
