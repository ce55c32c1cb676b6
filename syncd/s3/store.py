"""S3Store: the engine's RemoteStore over an S3-compatible API (B2's, or any S3 store).

Imports the rest of ``syncd.s3``, ``syncd.paths``, ``syncd.config``, ``syncd.remote``,
``syncd.domain`` and ``syncd.errors``. B2 semantics map onto a *versioned* bucket:
an upload is a new version (PutObject, or a multipart upload past the threshold), a
rename or touch is CopyObject with metadata REPLACE (the new mtime), hiding is a delete
marker, deleting a version is DeleteObject with its version id, listings come from
ListObjectVersions. ``check_access`` refuses a bucket without versioning: its deletes
would destroy data instead of hiding it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from urllib.parse import quote

import httpx
import structlog

from syncd.config import B2Config
from syncd.domain import LocalState
from syncd.errors import ConfigError, LocalAccessError, RemoteError, RemoteNotFoundError
from syncd.paths import name_problem
from syncd.remote import Bucket, DirEntry, FileVersion, Resume, UploadResult, VersionsPage
from syncd.s3 import versions
from syncd.s3.download import download
from syncd.s3.multipart import LargeUpload, abort_open
from syncd.s3.session import S3Session
from syncd.s3.upload import matches, upload_small

log = structlog.get_logger(__name__)
DEFAULT_PART_BYTES = 100_000_000  # B2's recommendedPartSize
MAX_PUT_BYTES = 5_000_000_000


class S3Store:
    """Everything syncd asks of an S3 bucket, one task per method; thread-safe."""

    def __init__(
        self,
        session: S3Session,
        config: B2Config,
        *,
        stop: threading.Event,
        http: httpx.Client,
        owns_stop: bool,
    ) -> None:
        self.session = session
        self._config = config
        self._stop = stop
        self._owns_stop = owns_stop
        self._http = http
        self._lock = threading.Lock()
        self._checked: list[Bucket] = []  # buckets check_access has seen, for get_file_info

    # --- account ----------------------------------------------------------------------

    def authorize(self) -> None:
        """Nothing to do: every S3 request is signed; ``check_access`` proves the key."""

    def check_access(self, bucket_name: str, prefix: str, *, need: frozenset[str]) -> Bucket:
        """The bucket, once it answers to the key and keeps versions.

        Raises:
            AuthRejectedError: the key is refused (AccessDenied, bad signature, clock).
            ConfigError: the bucket does not exist or does not keep versions.
        """
        raw = self.session.raw
        # GetBucketVersioning, not HeadBucket: its error answers have a body naming the cause
        status = self.session.call(
            "get_bucket_versioning", lambda: raw.bucket_versioning(bucket_name)
        )
        if status != "Enabled":
            raise ConfigError(
                f"bucket {bucket_name!r} must have versioning enabled for syncd's S3 API "
                f"(its status is {status or 'never enabled'!r}): a delete would destroy data"
            )
        log.info("s3_bucket_checked", bucket=bucket_name, prefix=prefix, need=sorted(need))
        bucket = Bucket(bucket_id=bucket_name, bucket_name=bucket_name, bucket_type="allPrivate")
        with self._lock:
            if bucket not in self._checked:
                self._checked.append(bucket)
        return bucket

    # --- uploads and copies -----------------------------------------------------------

    def _part_size(self) -> int:
        return max(self._config.part_size_bytes or DEFAULT_PART_BYTES, 1)

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
        """Upload one local file as the newest version of ``b2_name``. A multipart
        upload resumes from ListParts and records its upload id through ``resume`` (so
        a path that needs it no more can have it aborted); ``sha1`` is not used (S3
        hashes parts as it sends them)."""
        del sha1
        problem = name_problem(b2_name)
        if problem is not None:
            raise LocalAccessError(problem, rel_path=str(expected.rel_path))
        content_type = content_type or self._config.content_type
        if content_type == "b2/x-auto":  # B2's native "guess it"; S3 has no such value
            content_type = "application/octet-stream"
        part_size = self._part_size()
        threshold = self._config.large_file_threshold_bytes or 2 * part_size
        if expected.size > MAX_PUT_BYTES or (
            expected.size >= threshold and expected.size > part_size
        ):
            large = LargeUpload(self.session, bucket, b2_name, threads=self._config.upload_threads)
            return large.run(
                abs_path,
                expected,
                content_type=content_type,
                part_size=part_size,
                on_progress=on_progress,
                record=None if resume is None else resume.record,
            )
        return upload_small(
            self.session,
            bucket,
            b2_name,
            abs_path,
            expected,
            content_type=content_type,
            on_progress=on_progress,
        )

    def copy_file(
        self, source: FileVersion, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        """CopyObject of ``source`` with metadata REPLACE: its metadata, the new mtime."""
        version_id, key = versions.split_id(source.file_id)
        info = dict(source.file_info)
        if src_last_modified_ms is not None:
            info["src_last_modified_millis"] = str(src_last_modified_ms)
            info["mtime"] = f"{src_last_modified_ms / 1000:.3f}"
        # S3 metadata travels in headers: ASCII only (other values are left behind)
        headers = {f"x-amz-meta-{k}": v for k, v in info.items() if (k + v).isascii()}
        headers["x-amz-metadata-directive"] = "REPLACE"
        headers["Content-Type"] = source.content_type or "application/octet-stream"
        source_bucket = quote(source.bucket_id or bucket.bucket_name)
        copy_source = f"{source_bucket}/{quote(key)}?versionId={quote(version_id)}"
        raw = self.session.raw

        def probe() -> str | None:
            found = versions.latest_version(self.session, bucket, b2_name)
            mtime = (
                src_last_modified_ms
                if src_last_modified_ms is not None
                else source.src_last_modified_ms
            )
            ok = source.content_sha1 is not None and matches(
                found, sha1=source.content_sha1, size=source.size, mtime_ms=mtime or 0
            )
            return versions.split_id(found.file_id)[0] if ok and found is not None else None

        new_id = self.session.call(
            "copy_object",
            lambda: raw.copy_object(bucket.bucket_name, b2_name, copy_source, headers),
            probe=probe,
        )
        # stored: from here nothing may fail the job (its retry would copy again)
        try:
            copied = versions.file_version(
                bucket, b2_name, versions.head(self.session, bucket, b2_name, new_id)
            )
        except RemoteError as exc:
            log.warning("s3_read_back_skipped", b2_name=b2_name, error=str(exc))
            copied = replace(
                source,
                file_id=versions.make_id(new_id, b2_name),
                file_name=b2_name,
                upload_timestamp_ms=self.session.now_ms(),
                src_last_modified_ms=src_last_modified_ms or source.src_last_modified_ms,
                file_info=info,
                bucket_id=bucket.bucket_id,
            )
        log.info("copied_version", b2_name=b2_name, file_id=copied.file_id)
        return copied

    def get_file_info(self, file_id: str) -> FileVersion:
        """One upload version by id (HeadObject); RemoteNotFoundError when gone."""
        version_id, key = versions.split_id(file_id)
        for bucket in self._checked:  # an S3 version id does not say its bucket
            try:
                found = versions.head(self.session, bucket, key, version_id)
            except RemoteNotFoundError:
                continue
            return versions.file_version(bucket, key, found)
        raise RemoteNotFoundError(
            f"no version {file_id!r} in the checked buckets", code="not_found"
        )

    def copy_file_id(
        self, file_id: str, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        """:meth:`copy_file` for a source known only by its id."""
        version_id, key = versions.split_id(file_id)
        source = versions.file_version(
            bucket, key, versions.head(self.session, bucket, key, version_id)
        )
        return self.copy_file(source, bucket, b2_name, src_last_modified_ms=src_last_modified_ms)

    # --- hide and delete --------------------------------------------------------------

    def hide(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        """Hide ``b2_name`` with a delete marker, idempotently (the marker already there,
        or None when the name has no version)."""
        newest = versions.latest_version(self.session, bucket, b2_name)
        if newest is None or newest.action == "hide":
            log.info("hide_not_needed", b2_name=b2_name)
            return newest
        raw = self.session.raw

        def probe() -> str | None:
            found = versions.latest_version(self.session, bucket, b2_name)
            return found.file_id if found is not None and found.action == "hide" else None

        self.session.call(
            "delete_object", lambda: raw.delete_object(bucket.bucket_name, b2_name)[0], probe=probe
        )
        try:  # hidden: from here nothing may fail the job
            return versions.latest_version(self.session, bucket, b2_name)
        except RemoteError as exc:
            log.warning("s3_read_back_skipped", b2_name=b2_name, error=str(exc))
            return None

    def delete_version(self, version: FileVersion) -> None:
        """Delete one version for good; one already gone counts as deleted."""
        version_id, key = versions.split_id(version.file_id)
        raw, name = self.session.raw, version.bucket_id or ""
        try:
            self.session.call("delete_object", lambda: raw.delete_object(name, key, version_id))
        except RemoteNotFoundError as exc:
            log.info("delete_not_needed", file_id=version.file_id, code=exc.code)

    # --- listings ---------------------------------------------------------------------

    def iter_versions(
        self, bucket: Bucket, prefix: str = "", *, page_size: int = 1000
    ) -> Iterator[FileVersion]:
        """Every version under ``prefix`` (name ascending, newest first), lazily."""
        return versions.iter_versions(self.session, bucket, prefix, page_size)

    def iter_names(
        self, bucket: Bucket, prefix: str = "", *, page_size: int = 1000
    ) -> Iterator[FileVersion]:
        """The newest visible version of each name under ``prefix``, lazily."""
        return versions.iter_names(self.session, bucket, prefix, page_size)

    def versions_page(
        self,
        bucket: Bucket,
        prefix: str,
        *,
        start: tuple[str, str | None] | None,
        page_size: int = 1000,
    ) -> VersionsPage:
        """One page of :meth:`iter_versions` and where the next one starts."""
        return versions.versions_page(self.session, bucket, prefix, start, page_size)

    def cancel_large_file(self, file_id: str) -> None:
        """Abort a multipart upload (``<uploadId>@<key>``); one already gone counts."""
        upload_id, key = versions.split_id(file_id)
        raw = self.session.raw
        for bucket in list(self._checked):
            abort = partial(raw.abort_multipart, bucket.bucket_name, key, upload_id)
            try:
                self.session.call("abort_multipart_upload", abort)
            except RemoteNotFoundError:
                continue
            return
        log.info("large_file_cancel_not_needed", file_id=file_id)

    def cancel_unfinished_of(self, bucket: Bucket, b2_name: str) -> None:
        """Abort every multipart upload in progress for exactly ``b2_name``
        (:func:`syncd.s3.multipart.abort_open`, as a finished upload of the key does)."""
        abort_open(self.session, bucket, b2_name)

    def take_call_counts(self) -> dict[str, int]:
        """Requests sent since the last take, by B2 price class ("A", "B", "C")."""
        return self.session.take_call_counts()

    def latest_version(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        """The newest upload or delete marker of exactly ``b2_name``, or None."""
        return versions.latest_version(self.session, bucket, b2_name)

    # --- downloads and lifecycle ------------------------------------------------------

    def download(
        self,
        version: FileVersion,
        dest: Path | DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Download ``version`` to ``dest``: ranged GETs, SHA-1 verified, renamed into place."""
        download(
            self.session,
            version,
            dest,
            threshold_bytes=self._config.download_parallel_threshold_bytes,
            threads=self._config.download_threads,
            on_progress=on_progress,
        )

    def close(self) -> None:
        """Wake every wait (if the stop event is the store's own), stop the HEAD pool and
        close the HTTP client."""
        if self._owns_stop:
            self._stop.set()
        self.session.close()
        self._http.close()
