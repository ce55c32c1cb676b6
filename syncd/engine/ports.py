"""The engine's one seam to remote storage: the calls it makes, and nothing else.

Imports ``syncd.domain`` and ``syncd.remote`` only. ``syncd.b2.B2Client`` implements
this today; a second backend (B2's S3-compatible API) implements the same calls and
the engine does not change. An import-linter contract keeps ``syncd.b2`` out of the
engine. Every call is idempotent where B2 allows it (``hide`` never raises for a name
already hidden or absent) and raises only ``syncd.errors`` classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from syncd.domain import LocalState
from syncd.remote import Bucket, DirEntry, FileVersion, Resume, UploadResult, VersionsPage


class RemoteStore(Protocol):
    """What the engine asks of a remote store."""

    def upload_file(
        self,
        bucket: Bucket,
        b2_name: str,
        abs_path: Path,
        expected: LocalState,
        *,
        content_type: str | None = None,
        on_progress: Callable[[int], None] | None = None,
        resume: Resume | None = None,
        sha1: str | None = None,
    ) -> UploadResult:
        """Store the file's bytes as the newest version of ``b2_name``; a multi-part
        upload resumes what ``resume`` recorded and records a new start there. ``sha1``:
        the file's SHA-1 when the caller hashed exactly ``expected`` (spares a read)."""
        ...

    def copy_file(
        self, source: FileVersion, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        """A server-side copy of ``source`` as the newest version of ``b2_name``."""
        ...

    def copy_file_id(
        self, file_id: str, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        """A server-side copy of the version ``file_id`` as the newest of ``b2_name``."""
        ...

    def hide(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        """Hide ``b2_name``: the marker, the one already there, or None if nothing is."""
        ...

    def delete_version(self, version: FileVersion) -> None:
        """Delete one version for good (gone already counts as deleted)."""
        ...

    def latest_version(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        """The newest upload or hide marker of exactly ``b2_name``, or None."""
        ...

    def iter_versions(
        self, bucket: Bucket, prefix: str = "", *, page_size: int = 1000
    ) -> Iterator[FileVersion]:
        """Every version under ``prefix``, by name then newest first."""
        ...

    def versions_page(
        self,
        bucket: Bucket,
        prefix: str,
        *,
        start: tuple[str, str | None] | None,
        page_size: int = 1000,
    ) -> VersionsPage:
        """One page of the versions under ``prefix`` from ``start`` (name, file id), as
        ``iter_versions`` orders them, and where the next page starts."""
        ...

    def iter_names(
        self, bucket: Bucket, prefix: str = "", *, page_size: int = 1000
    ) -> Iterator[FileVersion]:
        """The newest visible version of each name under ``prefix``, by name."""
        ...

    def cancel_large_file(self, file_id: str) -> None:
        """Give up an unfinished multi-part upload this client started (gone counts)."""
        ...

    def cancel_unfinished_of(self, bucket: Bucket, b2_name: str) -> None:
        """Give up every unfinished multi-part upload of exactly ``b2_name`` this client
        started (for a start whose answer never reached the journal)."""
        ...

    def take_call_counts(self) -> dict[str, int]:
        """Calls sent since the last take, by B2 price class ("A", "B", "C")."""
        ...

    def download(
        self,
        version: FileVersion,
        dest: Path | DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Write ``version``'s bytes to ``dest``, SHA-1 checked."""
        ...
