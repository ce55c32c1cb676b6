"""Multipart uploads for large files: parallel parts, resumed from ListParts, abandoned
uploads aborted.

Imports ``syncd.s3.session``/``upload``/``versions``/``wire``, the shared local reader
``syncd.localfile.HeldFile``, ``syncd.remote``, ``syncd.domain`` and
``syncd.errors``. A first pass reads the file for its SHA-1 (metadata given at
CreateMultipartUpload) and each part's MD5; an upload of the same key already in
progress whose uploaded parts all have the MD5 and size this file's parts have is
resumed (only the missing parts are sent), any other is aborted. Parts go in parallel
with Content-MD5. After Complete the version is read back: if its metadata is not this
file's (a resumed upload started for other content), it is deleted and the job fails
to be retried from scratch. A file that changes meanwhile aborts the upload.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import structlog

from syncd.domain import LocalState
from syncd.errors import (
    FileChangedError,
    FileVanishedError,
    RemoteConflictError,
    RemoteError,
    RemoteNotFoundError,
    RemoteProtocolError,
    SpecialFileError,
)
from syncd.localfile import HeldFile
from syncd.remote import Bucket, FileVersion, LargeStart, UploadResult
from syncd.s3 import versions
from syncd.s3.session import S3Session
from syncd.s3.upload import b64, body, matches, metadata_headers, sent_version, uploaded_ms

log = structlog.get_logger(__name__)


def _plan(size: int, part_size: int) -> list[tuple[int, int]]:
    return [(offset, min(part_size, size - offset)) for offset in range(0, size, part_size)]


def _hash(source: HeldFile, plan: list[tuple[int, int]]) -> tuple[str, list[str]]:
    whole = hashlib.sha1(usedforsecurity=False)
    md5s: list[str] = []
    for offset, length in plan:
        md5 = hashlib.md5(usedforsecurity=False)
        for chunk in source.read_range(offset, length):
            whole.update(chunk)
            md5.update(chunk)
        md5s.append(md5.hexdigest())
    source.check()
    return whole.hexdigest(), md5s


def abort_open(session: S3Session, bucket: Bucket, key: str) -> None:
    """Abort every multipart upload in progress for exactly ``key`` (S3 does not say
    which client started one); one already gone counts as aborted."""
    raw, name = session.raw, bucket.bucket_name
    for upload in session.call("list_multipart_uploads", lambda: raw.list_uploads(name, key)):
        if upload.key != key:
            continue
        try:
            session.call(
                "abort_multipart_upload",
                partial(raw.abort_multipart, name, key, upload.upload_id),
            )
        except RemoteNotFoundError:
            continue
        log.info("multipart_aborted", b2_name=key, upload_id=upload.upload_id)


class LargeUpload:
    """One file on its way up in parts."""

    def __init__(self, session: S3Session, bucket: Bucket, key: str, *, threads: int) -> None:
        self._session = session
        self._bucket = bucket
        self._key = key
        self._threads = threads

    def _resume(self, plan: list[tuple[int, int]], md5s: list[str]) -> tuple[str | None, set[int]]:
        """An upload in progress to carry on (and its finished parts); abort the others."""
        raw, name = self._session.raw, self._bucket.bucket_name
        found = self._session.call(
            "list_multipart_uploads", lambda: raw.list_uploads(name, self._key)
        )
        chosen: tuple[str | None, set[int]] = (None, set())
        for upload in sorted(found, key=lambda u: -u.initiated_ms):
            if upload.key != self._key:
                continue
            parts = self._session.call(
                "list_parts", partial(raw.list_parts, name, self._key, upload.upload_id)
            )
            fits = all(
                p.number <= len(plan)
                and p.etag == md5s[p.number - 1]
                and p.size == plan[p.number - 1][1]
                for p in parts
            )
            if fits and chosen[0] is None:
                chosen = (upload.upload_id, {p.number for p in parts})
                log.info("multipart_resumed", b2_name=self._key, parts_done=len(parts))
                continue
            self._abort(upload.upload_id)
        return chosen

    def _read_back(
        self, version_id: str, expected: LocalState, sha1: str, content_type: str
    ) -> FileVersion:
        """The completed version, checked: a resumed upload begun for other content
        (its metadata says so) is deleted and the job fails, to be sent afresh. Once the
        version is stored nothing else fails the job (its retry would store it again):
        when it cannot be read back, what was sent describes it."""
        session, key = self._session, self._key
        when = uploaded_ms(session, self._bucket, key, version_id)
        try:
            found = versions.head(session, self._bucket, key, version_id)
        except RemoteError as exc:
            log.warning("s3_read_back_skipped", b2_name=key, error=str(exc))
            sent = metadata_headers(expected, sha1, content_type)
            return sent_version(
                self._bucket, key, version_id, sent, expected=expected, sha1=sha1, uploaded_ms=when
            )
        version = versions.file_version(self._bucket, key, found, uploaded_ms=when)
        if matches(version, sha1=sha1, size=expected.size, mtime_ms=expected.mtime_ms):
            return version
        raw, name = session.raw, self._bucket.bucket_name
        session.call("delete_object", lambda: raw.delete_object(name, key, version_id))
        raise RemoteConflictError(
            f"{key!r}: a resumed upload held other content; sent again next time",
            code="stale_upload",
        )

    def _abort_leftovers(self) -> None:
        """Abort what is still open for this key once it is finished (an upload whose
        CreateMultipartUpload answer was lost, and was made again, is one)."""
        abort_open(self._session, self._bucket, self._key)

    def _abort(self, upload_id: str) -> None:
        raw, name = self._session.raw, self._bucket.bucket_name
        self._session.call(
            "abort_multipart_upload", lambda: raw.abort_multipart(name, self._key, upload_id)
        )
        log.info("multipart_aborted", b2_name=self._key, upload_id=upload_id)

    def run(
        self,
        abs_path: Path,
        expected: LocalState,
        *,
        content_type: str,
        part_size: int,
        on_progress: Callable[[int], None] | None,
        record: Callable[[LargeStart], None] | None = None,
    ) -> UploadResult:
        """Upload, resuming when possible; the finished, checked version. ``record`` gets
        the upload's id (``<uploadId>@<key>``) before any part is sent, so a path that
        needs it no more can have it aborted (the journal's record of large uploads)."""
        session, raw, name, key = (
            self._session,
            self._session.raw,
            self._bucket.bucket_name,
            self._key,
        )
        plan = _plan(expected.size, part_size)
        with HeldFile(abs_path, expected, not_regular=SpecialFileError) as source:
            sha1, md5s = _hash(source, plan)
            upload_id, done = self._resume(plan, md5s)
            if upload_id is None:
                if record is not None:  # a crash before the answer: aborted by name
                    record(
                        LargeStart(
                            file_id="", sha1=sha1, mtime_ms=expected.mtime_ms, part_size=part_size
                        )
                    )
                headers = metadata_headers(expected, sha1, content_type)
                upload_id = session.call(
                    "create_multipart_upload", lambda: raw.create_multipart(name, key, headers)
                )
                log.info("multipart_started", b2_name=key, upload_id=upload_id, parts=len(plan))
            uid = upload_id
            if record is not None:
                start = LargeStart(
                    file_id=versions.make_id(uid, key),
                    sha1=sha1,
                    mtime_ms=expected.mtime_ms,
                    part_size=part_size,
                )
                record(start)

            def send(number: int) -> None:
                offset, length = plan[number - 1]
                headers = {"Content-Length": str(length), "Content-MD5": b64(md5s[number - 1])}
                etag = session.call(
                    "upload_part",
                    lambda: raw.upload_part(
                        name,
                        key,
                        uid,
                        number=number,
                        headers=headers,
                        stream=body(source, offset, length, on_progress),
                    ),
                )
                if etag and etag != md5s[number - 1]:
                    raise RemoteProtocolError(
                        f"part {number} of {key!r} has ETag {etag}", code="bad_response"
                    )

            todo = [n for n in range(1, len(plan) + 1) if n not in done]
            try:
                with ThreadPoolExecutor(
                    max_workers=self._threads, thread_name_prefix="s3-part"
                ) as pool:
                    for future in [pool.submit(send, n) for n in todo]:
                        future.result()
                source.check()
            except (FileChangedError, FileVanishedError):
                self._abort(uid)
                raise

            def probe() -> str | None:
                found = versions.latest_version(session, self._bucket, key)
                ok = matches(found, sha1=sha1, size=expected.size, mtime_ms=expected.mtime_ms)
                return versions.split_id(found.file_id)[0] if ok and found is not None else None

            version_id = session.call(
                "complete_multipart_upload",
                lambda: raw.complete_multipart(name, key, uid, md5s),
                probe=probe,
            )
        version = self._read_back(version_id, expected, sha1, content_type)
        try:
            self._abort_leftovers()
        except RemoteError as exc:  # stored already: leftovers wait for the next upload
            log.warning("multipart_leftovers_kept", b2_name=key, error=str(exc))
        log.info(
            "upload_finished",
            b2_name=key,
            size_bytes=expected.size,
            file_id=version.file_id,
            parts=len(plan),
        )
        return UploadResult(version=version, sha1=sha1, in_parts=True)
