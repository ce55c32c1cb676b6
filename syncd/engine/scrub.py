"""Scrub: does what B2 holds still match the disk? Re-hash local files and compare with
the SHA-1 B2 reports, optionally download a sample and check the bytes, and queue the
mismatches for upload on request.

Imports the journal (index reads; ``forget_index`` and a hint for ``repair``, as the
reconciler does), the ``RemoteStore`` port, ``engine.local`` and the domain.
``classify`` is pure and table-tested. Costs: one ``list_file_names`` walk (class C,
per 1,000 names), local reads, and with ``download`` class B calls and egress.
"""

from __future__ import annotations

import enum
import hashlib
import random
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from syncd.config import FolderConfig
from syncd.domain import ChangeKind, ChangeSink, IndexEntry, LocalChange, LocalState
from syncd.engine.local import hash_file, stat_file
from syncd.engine.ports import RemoteStore
from syncd.errors import LocalError, Recovery, RemoteError
from syncd.journal import Journal
from syncd.remote import Bucket, FileVersion

log = structlog.get_logger(__name__)

NameSource = Callable[[Bucket, str], Iterable[FileVersion]]
"""(bucket, prefix) -> B2's visible version of each name, by name: a listing now
(``RemoteStore.iter_names``) or, once it exists, the journal's remote index."""


class Finding(enum.Enum):
    """What one checked file turned out to be."""

    OK = "ok"
    SILENT_CHANGE = "content_changed_mtime_kept"  # bit rot, or a tool that kept the mtime
    MISSING_ON_B2 = "missing_on_b2"  # the index says uploaded; B2 shows nothing
    REMOTE_DIFFERS = "other_version_on_b2"  # B2 shows a version syncd did not upload
    BAD_DOWNLOAD = "b2_bytes_do_not_match"  # downloaded bytes differ from the sha1
    CHANGED_LOCALLY = "changed_since_upload"  # an ordinary edit: the next pass uploads it
    GONE_LOCALLY = "missing_locally"  # deleted locally: the next pass hides it
    UNVERIFIABLE = "no_sha1_on_b2"  # a large file without large_file_sha1 (use download)
    UNREADABLE = "unreadable"  # the file could not be read now


MISMATCHES = frozenset(
    {Finding.SILENT_CHANGE, Finding.MISSING_ON_B2, Finding.REMOTE_DIFFERS, Finding.BAD_DOWNLOAD}
)
REPAIRABLE = frozenset({Finding.SILENT_CHANGE, Finding.MISSING_ON_B2, Finding.BAD_DOWNLOAD})


def classify(
    entry: IndexEntry, local: LocalState | None, local_sha1: str | None, remote: FileVersion | None
) -> Finding:
    """Compare the local file (its state and sha1), what syncd last uploaded for it
    (``entry``) and the version B2 shows now (``remote``)."""
    if local is None:
        return Finding.GONE_LOCALLY
    if remote is None:
        return Finding.MISSING_ON_B2
    if local_sha1 is None:
        return Finding.UNREADABLE
    if remote.content_sha1 is None:
        return Finding.UNVERIFIABLE
    if local_sha1 == remote.content_sha1:
        return Finding.OK
    if remote.file_id != entry.file_id and local_sha1 == entry.sha1:
        return Finding.REMOTE_DIFFERS
    if local.size == entry.size and local.mtime_ns == entry.mtime_ns:
        return Finding.SILENT_CHANGE
    return Finding.CHANGED_LOCALLY


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """One file's result."""

    rel_path: str
    finding: Finding
    local_sha1: str | None
    remote_sha1: str | None
    file_id: str | None
    detail: str = ""


@dataclass(slots=True, kw_only=True)
class ScrubReport:
    """A folder's scrub: every checked file, and how many were downloaded or queued."""

    folder: str
    checked: list[Checked] = field(default_factory=list)
    downloaded: int = 0
    queued: int = 0

    @property
    def mismatches(self) -> list[Checked]:
        """The files whose bytes B2 does not hold (or holds wrong)."""
        return [c for c in self.checked if c.finding in MISMATCHES]


def pair_with_remote(
    indexed: Iterator[IndexEntry], remote: Iterator[FileVersion]
) -> Iterator[tuple[IndexEntry, FileVersion | None]]:
    """Each index entry with B2's visible version of its name (or None), by a merge-join
    of two streams sorted by name in UTF-8 byte order."""
    current = next(remote, None)
    for entry in indexed:
        key = entry.b2_name.encode("utf-8", "surrogateescape")
        while current is not None and current.file_name.encode() < key:
            current = next(remote, None)
        yield (
            entry,
            (current if current is not None and current.file_name == entry.b2_name else None),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScrubOptions:
    """What to check: the share of files, whether to download them, whether to queue
    mismatches for upload."""

    sample: float = 1.0
    download: bool = False
    repair: bool = False


class Scrubber:
    """Checks one folder at a time."""

    def __init__(
        self,
        *,
        journal: Journal,
        store: RemoteStore,
        sink: ChangeSink,
        now_ms: int,
        rng: random.Random,
        names: NameSource | None = None,
    ) -> None:
        self._journal = journal
        self._store = store
        self._names = names or store.iter_names
        self._sink = sink
        self._now_ms = now_ms
        self._rng = rng

    def scrub(self, folder: FolderConfig, bucket: Bucket, options: ScrubOptions) -> ScrubReport:
        """Check the folder's indexed files (a sample of them) against B2."""
        report = ScrubReport(folder=folder.name)
        remote = iter(self._names(bucket, folder.prefix))
        with tempfile.TemporaryDirectory(prefix="syncd-verify-") as scratch:
            for entry, version in pair_with_remote(self._journal.iter_index(folder.name), remote):
                if options.sample < 1.0 and self._rng.random() >= options.sample:
                    continue
                checked = self._check(folder, entry, version)
                if (
                    options.download
                    and version is not None
                    and checked.finding
                    in (
                        Finding.OK,
                        Finding.UNVERIFIABLE,
                    )
                ):
                    checked = self._download(version, checked, Path(scratch))
                    report.downloaded += 1
                report.checked.append(checked)
                if checked.finding in MISMATCHES:
                    log.warning(
                        "scrub_mismatch_found",
                        folder=folder.name,
                        rel_path=checked.rel_path,
                        finding=checked.finding.value,
                        local_sha1=checked.local_sha1,
                        remote_sha1=checked.remote_sha1,
                        file_id=checked.file_id,
                    )
                if options.repair and checked.finding in REPAIRABLE:
                    self._queue(folder, entry)
                    report.queued += 1
        log.info(
            "scrub_finished",
            folder=folder.name,
            checked=len(report.checked),
            mismatches=len(report.mismatches),
            downloaded=report.downloaded,
            queued=report.queued,
        )
        return report

    def _check(
        self, folder: FolderConfig, entry: IndexEntry, version: FileVersion | None
    ) -> Checked:
        remote_sha1 = version.content_sha1 if version is not None else None
        file_id = version.file_id if version is not None else None
        try:
            local = stat_file(folder.path, entry.rel_path, folder.follow_symlinks)
            sha1 = None
            if local is not None and version is not None:
                sha1 = hash_file(folder.path, local, folder.follow_symlinks)
        except LocalError as exc:
            return Checked(
                rel_path=entry.rel_path,
                finding=Finding.UNREADABLE,
                local_sha1=None,
                remote_sha1=remote_sha1,
                file_id=file_id,
                detail=str(exc),
            )
        finding = classify(entry, local, sha1, version)
        return Checked(
            rel_path=entry.rel_path,
            finding=finding,
            local_sha1=sha1,
            remote_sha1=remote_sha1,
            file_id=file_id,
        )

    def _download(self, version: FileVersion, checked: Checked, scratch: Path) -> Checked:
        """Fetch the bytes; the download checks them against B2's sha1 when it has one,
        and the local sha1 is compared here (it is all a large file without one has)."""
        dest = scratch / version.file_id
        try:
            self._store.download(version, dest)
            with dest.open("rb") as data:
                got = hashlib.file_digest(data, "sha1").hexdigest()
        except RemoteError as exc:
            if exc.recovery is Recovery.FATAL or exc.code != "sha1_mismatch":
                raise
            return _with(checked, Finding.BAD_DOWNLOAD, str(exc))
        finally:
            dest.unlink(missing_ok=True)
        if got != checked.local_sha1:
            return _with(checked, Finding.BAD_DOWNLOAD, f"downloaded bytes have sha1 {got}")
        return _with(checked, Finding.OK, "bytes downloaded and checked")

    def _queue(self, folder: FolderConfig, entry: IndexEntry) -> None:
        """Forget the index entry and record a hint, as the reconciler does: the next
        worker pass uploads the local file again (the old version stays on B2 as an
        older version, so nothing is lost if the local copy was the damaged one)."""
        self._journal.forget_index(folder.name, entry.rel_path)
        change = LocalChange(
            folder=folder.name,
            rel_path=entry.rel_path,
            kind=ChangeKind.CHANGED,
            observed_ms=self._now_ms,
        )
        self._sink([change])


def _with(checked: Checked, finding: Finding, detail: str) -> Checked:
    return Checked(
        rel_path=checked.rel_path,
        finding=finding,
        local_sha1=checked.local_sha1,
        remote_sha1=checked.remote_sha1,
        file_id=checked.file_id,
        detail=detail,
    )
