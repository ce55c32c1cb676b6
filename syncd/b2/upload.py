"""Simple (single-request) uploads with the probe that prevents duplicate versions.

Imports ``syncd.b2.session``/``listing``/``models``/``source``, ``syncd.domain`` and
``syncd.errors``. The body is streamed with ``hex_digits_at_end``: one read of the
file computes the SHA-1 and sends the bytes, memory stays at one chunk, and the file
is re-checked before the 40 trailing digits go out, so a file that changes mid-read
never becomes a stored version (the request is cut short instead). Hashing first and
streaming second would cost a second read of every file for no extra safety.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog

from syncd.b2 import listing
from syncd.b2.models import (
    SRC_LAST_MODIFIED_KEY,
    Bucket,
    FileVersion,
    UploadResult,
    UploadTarget,
)
from syncd.b2.protect import NO_SEAL, Seal
from syncd.b2.session import B2Session
from syncd.b2.source import HashingBody, SourceFile
from syncd.domain import LocalState
from syncd.errors import RemoteProtocolError

log = structlog.get_logger(__name__)


def matches(version: FileVersion | None, *, sha1: str, size: int, mtime_ms: int) -> bool:
    """True when ``version`` is a stored copy of exactly these bytes and this mtime."""
    return (
        version is not None
        and version.action in ("upload", "copy")
        and version.content_sha1 == sha1
        and version.size == size
        and version.src_last_modified_ms == mtime_ms
    )


def upload_small(
    session: B2Session,
    bucket: Bucket,
    b2_name: str,
    abs_path: Path,
    expected: LocalState,
    *,
    content_type: str,
    on_progress: Callable[[int], None] | None,
    seal: Seal = NO_SEAL,
) -> UploadResult:
    """Upload a file in one request; never leave a duplicate after a lost answer."""
    info = {**seal.info, SRC_LAST_MODIFIED_KEY: str(expected.mtime_ms)}
    with SourceFile(abs_path, expected) as source:
        last_body: list[HashingBody] = []

        def attempt(target: UploadTarget) -> FileVersion:
            body = HashingBody(source, on_progress)
            last_body.append(body)
            version = session.raw.upload_file(
                target,
                file_name=b2_name,
                content_type=content_type,
                size=source.size,
                sha1=None,
                file_info=info,
                body=body,
                extra_headers=seal.upload_headers(),
            )
            if body.sha1 is None or not matches(
                version, sha1=body.sha1, size=source.size, mtime_ms=expected.mtime_ms
            ):
                raise RemoteProtocolError(
                    f"upload_file: B2 stored something else for {b2_name!r}", code="bad_response"
                )
            return version

        def probe() -> FileVersion | None:
            sha1 = last_body[-1].sha1 if last_body else None
            if sha1 is None:  # the body never completed: B2 cannot have stored it
                return None
            found = listing.latest_version(session, bucket, b2_name)
            ok = matches(found, sha1=sha1, size=source.size, mtime_ms=expected.mtime_ms)
            return found if ok else None

        version = session.upload(
            "upload_file",
            bucket.bucket_id,
            lambda a: session.raw.get_upload_url(
                a.api_url, a.authorization_token, bucket.bucket_id
            ),
            attempt,
            probe=probe,
        )
        source.check()
    sha1 = version.content_sha1 or ""
    log.info("upload_finished", b2_name=b2_name, size_bytes=expected.size, file_id=version.file_id)
    return UploadResult(version=version, sha1=sha1)
