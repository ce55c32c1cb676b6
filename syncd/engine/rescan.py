"""The local pass: walk a folder (or part of it), merge-join with the index, and
record what differs as hints in the journal. No hashing, no network.

Items the scanner cannot sync are reported once each; an unreadable directory yields no
deletes for what is under it ("could not read" is never "gone").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import structlog

from syncd.clock import Clock
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import FileStamp, LocalChange, RelPath, SkippedItem, Timing, rel_path_key
from syncd.engine.inbox import Inbox
from syncd.engine.job import FolderRuntime
from syncd.engine.local import MARKER_NAME
from syncd.engine.report import RunReport, Tally
from syncd.journal import Journal
from syncd.watch import Scanner, diff_stamps

log = structlog.get_logger(__name__)
BATCH = 1000
MARKER_KEY = rel_path_key(MARKER_NAME)


def timing_of(sync: SyncConfig, *, immediate: bool = False) -> Timing:
    """The daemon's timing from config, or (``immediate``, sync-now) no waiting at all."""
    if immediate:  # deletes still sort after writes, so renames are seen as copies
        return Timing(settle_ms=0, delete_hold_ms=1, max_deferral_ms=60_000)
    return Timing(
        settle_ms=int(sync.settle_s * 1000),
        delete_hold_ms=int(sync.delete_hold_s * 1000),
        max_deferral_ms=int(sync.max_deferral_s * 1000),
    )


class Rescanner:
    """Runs local passes and records their differences."""

    def __init__(
        self,
        *,
        journal: Journal,
        folders: Mapping[str, FolderRuntime],
        clock: Clock,
        inbox: Inbox,
        report: RunReport,
    ) -> None:
        self._journal = journal
        self._folders = folders
        self._clock = clock
        self._inbox = inbox
        self._report = report
        self.last_full: dict[str, tuple[int, int]] = {}  # folder -> (finished ms, hints)

    def record(self, changes: Sequence[LocalChange]) -> None:
        """Record hints through the inbox (which wakes the workers)."""
        self._inbox.record(changes)

    def _changes(
        self, folder: FolderConfig, under: RelPath | None, progress: Callable[[], None] | None
    ) -> Iterator[LocalChange]:
        scanner = Scanner(folder)
        locals_ = self._locals(folder, scanner.scan_stamps(under), progress)
        indexed = self._journal.iter_stamps(folder.name, under)
        now = self._clock.now_ms()
        return diff_stamps(folder.name, locals_, indexed, now_ms=now, unreadable=scanner.unreadable)

    def rescan(
        self,
        folder_name: str,
        under: RelPath | None = None,
        progress: Callable[[], None] | None = None,
    ) -> int:
        """Walk ``folder_name`` (below ``under``) and record every difference; return
        the number of hints recorded. ``progress`` is called for every entry walked."""
        folder = self._folders[folder_name].config
        batch: list[LocalChange] = []
        count = 0
        for change in self._changes(folder, under, progress):
            batch.append(change)
            if len(batch) >= BATCH:
                self.record(batch)
                count += len(batch)
                batch = []
        self.record(batch)
        count += len(batch)
        log.info("rescan_finished", folder=folder.name, under=under or "", hints=count)
        if not under:
            self.last_full[folder.name] = (self._clock.now_ms(), count)
        return count

    def _locals(
        self,
        folder: FolderConfig,
        entries: Iterator[FileStamp | SkippedItem],
        progress: Callable[[], None] | None,
    ) -> Iterator[FileStamp]:
        scanned = 0
        try:
            for entry in entries:
                if progress is not None:
                    progress()
                if isinstance(entry, SkippedItem):
                    if self._journal.report_issue(entry):
                        log.warning(
                            "item_skipped",
                            folder=folder.name,
                            rel_path=entry.rel_path,
                            reason=entry.reason,
                        )
                    self._report.skip(folder.name, entry.rel_path, entry.reason)
                elif entry[0] != MARKER_KEY:
                    scanned += 1
                    yield entry
        finally:  # one update of the run's counter per pass, not one per file
            self._report.add(Tally.SCANNED_FILES, scanned)
