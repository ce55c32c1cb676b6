"""Single-request uploads (PutObject), with the checks that keep them whole and single.

Imports ``syncd.s3.session``/``versions``, the shared local reader
``syncd.localfile.HeldFile`` (opened ``O_NOFOLLOW``, re-checked before the last byte
goes out), ``syncd.remote``, ``syncd.domain`` and ``syncd.errors``. The file is read
twice: once for its MD5 and SHA-1, which travel ahead of the body as ``Content-MD5``
and ``x-amz-checksum-sha1`` (the server refuses bytes that do not match, so a file
that changes mid-send never becomes a version), then to send it. After an answer is
lost, the newest version is looked at before sending again.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import structlog

from syncd.domain import LocalState
from syncd.errors import RemoteError, SpecialFileError
from syncd.localfile import HeldFile
from syncd.remote import LARGE_FILE_SHA1_KEY, Bucket, FileVersion, UploadResult
from syncd.s3 import versions
from syncd.s3.session import S3Session

log = structlog.get_logger(__name__)
META = "x-amz-meta-"


def b64(hex_digest: str) -> str:
    """A hex digest as the base64 S3's digest headers carry."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def metadata_headers(expected: LocalState, sha1: str, content_type: str) -> dict[str, str]:
    """Content-Type and the metadata every syncd upload carries: the mtime (B2's key, and
    rclone's ``mtime`` in seconds) and the whole file's SHA-1."""
    return {
        "Content-Type": content_type,
        f"{META}{versions.SRC_LAST_MODIFIED_KEY}": str(expected.mtime_ms),
        f"{META}{LARGE_FILE_SHA1_KEY}": sha1,
        f"{META}mtime": f"{expected.mtime_ms / 1000:.3f}",
    }


def matches(version: FileVersion | None, *, sha1: str, size: int, mtime_ms: int) -> bool:
    """True when ``version`` holds exactly these bytes with this mtime."""
    return (
        version is not None
        and version.action == "upload"
        and version.content_sha1 == sha1
        and version.size == size
        and version.src_last_modified_ms == mtime_ms
    )


def digests(source: HeldFile, offset: int, length: int) -> tuple[str, str]:
    """(MD5, SHA-1) hex of a slice of the source, read once."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    for chunk in source.read_range(offset, length):
        md5.update(chunk)
        sha1.update(chunk)
    return md5.hexdigest(), sha1.hexdigest()


def body(
    source: HeldFile, offset: int, length: int, on_progress: Callable[[int], None] | None
) -> Iterator[bytes]:
    """The slice's bytes; the source is re-checked before the last chunk goes out."""
    sent = 0
    for chunk in source.read_range(offset, length):
        sent += len(chunk)
        if sent == length:
            source.check()
        yield chunk
        if on_progress is not None:
            on_progress(len(chunk))


def sent_version(
    bucket: Bucket,
    key: str,
    version_id: str,
    sent: dict[str, str],
    *,
    expected: LocalState,
    sha1: str,
    uploaded_ms: int,
) -> FileVersion:
    """The version just stored, described by what was sent (the server checked the bytes
    against Content-MD5 / the part MD5s before it stored them)."""
    metadata = {k[len(META) :]: v for k, v in sent.items() if k.startswith(META)}
    return FileVersion(
        file_id=versions.make_id(version_id, key),
        file_name=key,
        action="upload",
        size=expected.size,
        content_sha1=sha1,
        is_sha1_verified=True,
        content_type=sent["Content-Type"],
        upload_timestamp_ms=uploaded_ms,
        src_last_modified_ms=expected.mtime_ms,
        file_info=metadata,
        bucket_id=bucket.bucket_id,
    )


def uploaded_ms(session: S3Session, bucket: Bucket, key: str, version_id: str) -> int:
    """When the store says ``version_id`` was stored (milliseconds, from the listing).

    Once a version is stored nothing may fail the job (its retry would store it again):
    if the listing cannot be read, this machine's clock stands in.
    """
    try:
        listed = versions.find(session, bucket, key, version_id)
    except RemoteError as exc:
        log.warning("s3_upload_time_unknown", b2_name=key, error=str(exc))
        listed = None
    return listed.last_modified_ms if listed is not None else session.now_ms()


def upload_small(
    session: S3Session,
    bucket: Bucket,
    key: str,
    abs_path: Path,
    expected: LocalState,
    *,
    content_type: str,
    on_progress: Callable[[int], None] | None,
) -> UploadResult:
    """PutObject one file; never leave a duplicate after a lost answer."""
    with HeldFile(abs_path, expected, not_regular=SpecialFileError) as source:
        md5, sha1 = digests(source, 0, source.size)
        source.check()
        headers = {
            **metadata_headers(expected, sha1, content_type),
            "Content-Length": str(source.size),
            "Content-MD5": b64(md5),
            "x-amz-checksum-sha1": b64(sha1),
        }

        def attempt() -> str:
            stream = body(source, 0, source.size, on_progress)
            return session.raw.put_object(bucket.bucket_name, key, headers, stream)

        def probe() -> str | None:
            found = versions.latest_version(session, bucket, key)
            ok = matches(found, sha1=sha1, size=source.size, mtime_ms=expected.mtime_ms)
            return versions.split_id(found.file_id)[0] if ok and found is not None else None

        version_id = session.call("put_object", attempt, probe=probe)
    when = uploaded_ms(session, bucket, key, version_id)
    version = sent_version(
        bucket, key, version_id, headers, expected=expected, sha1=sha1, uploaded_ms=when
    )
    log.info("upload_finished", b2_name=key, size_bytes=expected.size, file_id=version.file_id)
    return UploadResult(version=version, sha1=sha1)
