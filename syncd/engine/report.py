"""What a run did, counted from many worker threads: the summary of ``sync-now`` and
the figures behind ``status``.

A progress callback lets the CLI draw a bar without the engine knowing about terminals.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

ProgressHook = Callable[[str, int], None]
"""Called with (what, amount): a sync sends ("job", 1) per finished job and ("bytes", n)
per chunk sent; a restore ("file", 1) per finished item and ("bytes", n) per chunk
received."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """One item that did not reach B2 in this run, and why."""

    folder: str
    rel_path: str
    error: str


class Tally(enum.StrEnum):
    """The counters of a run (each names a ``RunReport`` field)."""

    SCANNED_FILES = "scanned_files"
    UPLOADED_FILES = "uploaded_files"
    UPLOADED_BYTES = "uploaded_bytes"
    COPIED_FILES = "copied_files"
    HIDDEN_FILES = "hidden_files"
    DELETED_VERSIONS = "deleted_versions"
    UNCHANGED_FILES = "unchanged_files"
    REFRESHED_FILES = "refreshed_files"
    ADOPTED_FILES = "adopted_files"
    REQUEUED_FILES = "requeued_files"
    CONFLICTS = "conflicts"
    DOWNLOADED_FILES = "downloaded_files"


@dataclass(slots=True)
class RunReport:
    """Thread-safe counters of one run."""

    scanned_files: int = 0
    uploaded_files: int = 0
    uploaded_bytes: int = 0
    copied_files: int = 0
    hidden_files: int = 0
    deleted_versions: int = 0
    unchanged_files: int = 0
    refreshed_files: int = 0
    adopted_files: int = 0
    requeued_files: int = 0
    conflicts: int = 0  # paths where another writer met syncd on B2 (plan_remote)
    downloaded_files: int = 0  # B2 versions brought into a folder (conflict = "remote-wins")
    skipped: list[Failure] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)
    fatal: str | None = None
    fatal_exit_code: int = 1
    remote_unavailable: bool = False
    capped: bool = False  # B2 refused work for a storage, download or transaction cap
    progress: ProgressHook | None = None
    errors: dict[str, int] = field(default_factory=dict)  # failed attempts by error class
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, counter: Tally, amount: int = 1) -> None:
        """Add to one of the run's counters."""
        with self._lock:
            setattr(self, counter.value, getattr(self, counter.value) + amount)

    def sent(self, amount: int) -> None:
        """Bytes went out on an upload."""
        if self.progress is not None:
            self.progress("bytes", amount)

    def job_done(self) -> None:
        """One job finished, whatever its outcome."""
        if self.progress is not None:
            self.progress("job", 1)

    def skip(self, folder: str, rel_path: str, reason: str) -> None:
        """An item that will not be synced (reported once)."""
        with self._lock:
            self.skipped.append(Failure(folder=folder, rel_path=rel_path, error=reason))

    def fail(self, folder: str, rel_path: str, error: str) -> None:
        """An item that failed in this run (kept in the journal and retried)."""
        with self._lock:
            self.failed.append(Failure(folder=folder, rel_path=rel_path, error=error))

    def count_error(self, error_class: str) -> None:
        """One failed attempt, counted by the error's class (for status and metrics)."""
        with self._lock:
            self.errors[error_class] = self.errors.get(error_class, 0) + 1

    def errors_by_class(self) -> dict[str, int]:
        """Failed attempts so far, by error class."""
        with self._lock:
            return dict(self.errors)

    def pause(self, reason: str) -> None:
        """A guard stopped part of the work."""
        with self._lock:
            if reason not in self.paused:
                self.paused.append(reason)

    def as_dict(self) -> dict[str, object]:
        """The summary as plain data (for ``--json``)."""
        with self._lock:
            return {
                "scanned_files": self.scanned_files,
                "uploaded_files": self.uploaded_files,
                "uploaded_bytes": self.uploaded_bytes,
                "copied_files": self.copied_files,
                "hidden_files": self.hidden_files,
                "deleted_versions": self.deleted_versions,
                "unchanged_files": self.unchanged_files,
                "refreshed_files": self.refreshed_files,
                "adopted_files": self.adopted_files,
                "requeued_files": self.requeued_files,
                "conflicts": self.conflicts,
                "downloaded_files": self.downloaded_files,
                "skipped": [_plain(f) for f in self.skipped],
                "failed": [_plain(f) for f in self.failed],
                "paused": list(self.paused),
                "fatal": self.fatal,
                "remote_unavailable": self.remote_unavailable,
                "capped": self.capped,
            }


def _plain(failure: Failure) -> dict[str, str]:
    return {"folder": failure.folder, "path": failure.rel_path, "reason": failure.error}
