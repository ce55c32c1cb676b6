"""B2Client: the task-level API the engine codes against.

Each method is one task (upload a file, hide a name, list a prefix); the retries,
re-authorization, upload targets and probes below it are invisible here. The engine
catches ``syncd.errors`` and nothing else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import structlog

from syncd.b2 import listing
from syncd.b2.access import check_access
from syncd.b2.copy import copy_version
from syncd.b2.download import Download
from syncd.b2.large import LargeUpload
from syncd.b2.large_file import choose_part_size
from syncd.b2.lifecycle import LifecycleRule, with_rule
from syncd.b2.models import Authorization, Bucket, FileVersion, UploadResult
from syncd.b2.protect import Sealer, describe_lock
from syncd.b2.session import B2Session
from syncd.b2.upload import upload_small
from syncd.config import B2Config
from syncd.domain import LocalState
from syncd.errors import (
    AccessDeniedError,
    LocalAccessError,
    RemoteBadRequestError,
    RemoteConflictError,
    RemoteNotFoundError,
    VersionLockedError,
)
from syncd.paths import name_problem
from syncd.remote import CLIENT_KEY, DirEntry, Resume, VersionsPage

log = structlog.get_logger(__name__)
SIMPLE_UPLOAD_LIMIT = 5_000_000_000  # the older, smaller of B2's documented limits


class B2Client:
    """Everything syncd asks of B2, one task per method; thread-safe."""

    def __init__(
        self,
        session: B2Session,
        config: B2Config,
        *,
        stop: threading.Event,
        http: httpx.Client,
        owns_stop: bool = True,
        client_tag: str = "",
        sealer: Sealer | None = None,
    ) -> None:
        self.session = session
        self._sealer = sealer or Sealer()  # encryption, retention and SSE-C keys
        self._config = config
        self._stop = stop
        self._owns_stop = owns_stop  # a stop event the caller gave is the caller's to set
        self._http = http
        self.client_tag = client_tag
        """Marks the large files this client starts (``syncd_client`` file info)."""

    # --- account ----------------------------------------------------------------------

    def take_call_counts(self) -> dict[str, int]:
        """B2 calls sent since the last take, by price class ("A", "B", "C")."""
        return self.session.raw.calls.take()

    def authorize(self) -> Authorization:
        """Authorize the key (API v4); the account id comes from B2, not the key id."""
        return self.session.authorize()

    def check_access(self, bucket_name: str, prefix: str, *, need: frozenset[str]) -> Bucket:
        """The bucket, once the key is known to reach it with ``need`` under ``prefix``.

        Raises:
            AuthRejectedError: a capability, the bucket or the prefix is outside the key.
            ConfigError: the bucket does not exist.
        """
        return check_access(self.session, bucket_name, prefix, need=need)

    # --- uploads and copies -----------------------------------------------------------

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
        """Upload one local file as the newest version of ``b2_name``; a large one
        resumes what ``resume`` recorded for the path, and skips its hash pass when
        ``sha1`` (of exactly ``expected``) is given.

        Raises:
            FileChangedError, FileVanishedError, SpecialFileError, LocalAccessError: local.
            RemoteError subclasses: what retries could not fix.
        """
        problem = name_problem(b2_name)
        if problem is not None:
            raise LocalAccessError(problem, rel_path=str(expected.rel_path))
        content_type = content_type or self._config.content_type
        auth = self.session.authorization
        part_size = choose_part_size(expected.size, auth, self._config.part_size_bytes)
        threshold = self._config.large_file_threshold_bytes or 2 * auth.recommended_part_size
        is_large = expected.size > SIMPLE_UPLOAD_LIMIT or (
            expected.size >= threshold and expected.size > part_size
        )
        seal = self._sealer.seal(bucket, b2_name)
        if not is_large:
            return upload_small(
                self.session,
                bucket,
                b2_name,
                abs_path,
                expected,
                content_type=content_type,
                on_progress=on_progress,
                seal=seal,
            )
        large = LargeUpload(
            self.session,
            threads=self._config.upload_threads,
            on_progress=on_progress,
            seal=seal,
            client_tag=self.client_tag,
            resume=resume,
        )
        return large.run(
            bucket,
            b2_name,
            abs_path,
            expected,
            content_type=content_type,
            part_size=part_size,
            sha1=sha1,
        )

    def copy_file(
        self, source: FileVersion, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        """Server-side copy of ``source`` with a new ``src_last_modified_ms`` (other info kept)."""
        part_size = self._config.part_size_bytes or self.session.authorization.recommended_part_size
        return copy_version(
            self.session,
            source,
            bucket,
            b2_name,
            src_last_modified_ms=src_last_modified_ms,
            part_size=part_size,
            seal=self._sealer.seal(bucket, b2_name),
            source_key=self._sealer.key_for(source),
        )

    def copy_file_id(
        self, file_id: str, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        """:meth:`copy_file` for a source known only by its id."""
        return self.copy_file(
            self.get_file_info(file_id), bucket, b2_name, src_last_modified_ms=src_last_modified_ms
        )

    def get_file_info(self, file_id: str) -> FileVersion:
        """One version by id (``RemoteNotFoundError`` if it does not exist)."""
        raw = self.session.raw
        return self.session.call(
            "get_file_info", lambda a: raw.get_file_info(a.api_url, a.authorization_token, file_id)
        )

    # --- hide and delete --------------------------------------------------------------

    def hide(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        """Hide ``b2_name``, idempotently: if it is already hidden, return the hide marker
        that is there; if B2 holds no version of it, there is nothing to hide: None.
        The caller never sees B2's codes for either case.
        """
        raw = self.session.raw
        try:
            return self.session.call(
                "hide_file",
                lambda a: raw.hide_file(
                    a.api_url, a.authorization_token, bucket_id=bucket.bucket_id, file_name=b2_name
                ),
            )
        except RemoteNotFoundError as exc:  # no_such_file / file_not_present
            log.info("hide_not_needed", b2_name=b2_name, code=exc.code)
            return None
        except RemoteConflictError as exc:
            # already_hidden, typically a replay after a lost answer: hiding is idempotent.
            marker = self.latest_version(bucket, b2_name)
            if marker is None or marker.action != "hide":
                raise
            log.info("hide_not_needed", b2_name=b2_name, code=exc.code)
            return marker

    def delete_version(self, version: FileVersion) -> None:
        """Delete one version for good; a version that is already gone counts as deleted.

        Raises:
            VersionLockedError: B2 refused (403 access_denied): Object Lock keeps it.
        """
        raw = self.session.raw
        try:
            self.session.call(
                "delete_file_version",
                lambda a: raw.delete_file_version(
                    a.api_url,
                    a.authorization_token,
                    file_name=version.file_name,
                    file_id=version.file_id,
                ),
            )
        except RemoteNotFoundError as exc:
            log.info("delete_not_needed", file_id=version.file_id, code=exc.code)
        except AccessDeniedError as exc:
            log.warning(
                "delete_refused_locked",
                b2_name=version.file_name,
                file_id=version.file_id,
                retention_mode=version.retention_mode,
                retain_until_ms=version.retain_until_ms,
                legal_hold=version.legal_hold,
            )
            raise VersionLockedError(
                f"B2 refused to delete {version.file_name!r} (version {version.file_id}): "
                f"it is under Object Lock ({describe_lock(version)}); it stays",
                status=exc.status,
                code=exc.code,
            ) from exc

    def set_lifecycle_rule(self, bucket: Bucket, rule: LifecycleRule) -> tuple[LifecycleRule, ...]:
        """Put ``rule`` on ``bucket`` in place of the rule for its prefix, leaving the
        other rules alone; return the bucket's rules as B2 holds them now. The write is
        guarded by ``ifRevisionIs``: a change made meanwhile gives RemoteConflictError
        instead of being overwritten. Needs ``writeBuckets``."""
        raw = self.session.raw
        current, revision = self.session.call(
            "list_buckets",
            lambda a: raw.bucket_lifecycle(
                a.api_url, a.authorization_token, account_id=a.account_id, bucket=bucket
            ),
        )
        wanted = with_rule(current, rule)
        if wanted == current:
            return current
        rules = [r.to_json() for r in wanted]
        updated, _revision = self.session.call(
            "update_bucket",
            lambda a: raw.update_lifecycle(
                a.api_url,
                a.authorization_token,
                account_id=a.account_id,
                bucket=bucket,
                rules=rules,
                if_revision_is=revision,
            ),
        )
        return updated

    # --- listings ---------------------------------------------------------------------

    def iter_versions(
        self, bucket: Bucket, prefix: str = "", *, page_size: int = 1000
    ) -> Iterator[FileVersion]:
        """Every version under ``prefix`` (name ascending, newest first), lazily."""
        return listing.iter_versions(self.session, bucket, prefix, page_size)

    def versions_page(
        self,
        bucket: Bucket,
        prefix: str,
        *,
        start: tuple[str, str | None] | None,
        page_size: int = 1000,
    ) -> VersionsPage:
        """One page of the versions under ``prefix`` from ``start`` (resumable walks)."""
        return listing.versions_page(self.session, bucket, prefix, start, page_size)

    def iter_names(
        self, bucket: Bucket, prefix: str = "", *, page_size: int = 1000
    ) -> Iterator[FileVersion]:
        """The newest visible version of each name under ``prefix``, lazily."""
        return listing.iter_names(self.session, bucket, prefix, page_size)

    def latest_version(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        """The newest upload or hide marker of exactly ``b2_name``, or None."""
        return listing.latest_version(self.session, bucket, b2_name)

    def iter_unfinished_large_files(
        self, bucket: Bucket, prefix: str = ""
    ) -> Iterator[FileVersion]:
        """Unfinished large files under ``prefix``, oldest first, lazily."""
        return listing.iter_unfinished(self.session, bucket, prefix)

    def cancel_large_file(self, file_id: str) -> None:
        """Cancel an unfinished large file; one that is already gone counts as cancelled."""
        raw = self.session.raw
        try:
            self.session.call(
                "cancel_large_file",
                lambda a: raw.cancel_large_file(a.api_url, a.authorization_token, file_id),
            )
        except (RemoteNotFoundError, RemoteBadRequestError) as exc:  # finished or gone
            log.info("large_file_cancel_not_needed", file_id=file_id, code=exc.code)

    def cancel_unfinished_of(self, bucket: Bucket, b2_name: str) -> None:
        """Cancel the unfinished large files of exactly ``b2_name`` that this client
        started (its tag in the file info); other clients' are left alone."""
        for version in listing.iter_unfinished(self.session, bucket, b2_name):
            if version.file_name == b2_name and version.file_info.get(CLIENT_KEY, "") == (
                self.client_tag
            ):
                self.cancel_large_file(version.file_id)

    # --- downloads and lifecycle ------------------------------------------------------

    def download(
        self,
        version: FileVersion,
        dest: Path | DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Download ``version`` to ``dest``: SHA-1 verified, renamed into place, resumable
        (a ``DirEntry`` is reached through its directory's descriptor only)."""
        key = self._sealer.key_for(version)  # refuses an SSE-C version whose key is unknown
        Download(
            self.session,
            version,
            dest,
            threshold_bytes=self._config.download_parallel_threshold_bytes,
            threads=self._config.download_threads,
            on_progress=on_progress,
            key=key,
        ).run()

    def close(self) -> None:
        """Wake every wait (if the stop event is the client's own), then close the HTTP
        client (the client owns it once built)."""
        if self._owns_stop:
            self._stop.set()
        self._http.close()
