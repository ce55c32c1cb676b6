"""Server-side copies that give a version new file info (rclone's mtime update).

Imports ``syncd.b2.session``/``listing``/``large_file``/``models`` and ``syncd.errors``.
``b2_copy_file`` with ``metadataDirective`` REPLACE keeps the content type and every
other info key and sets (or drops) ``src_last_modified_millis``. Sources over 5 GB
(or refused as ``source_too_large``) are copied part by part with ``b2_copy_part``.
A lost answer is probed for, so a retry never stores a second copy.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import structlog

from syncd.b2 import listing
from syncd.b2.large_file import MAX_PARTS, cancel_large, finish_large
from syncd.b2.models import (
    LARGE_FILE_SHA1_KEY,
    SRC_LAST_MODIFIED_KEY,
    Authorization,
    Bucket,
    FileVersion,
    PartInfo,
)
from syncd.b2.protect import NO_SEAL, Seal, source_fields
from syncd.b2.session import B2Session
from syncd.errors import LocalError, RemoteBadRequestError, RemoteError, RemoteProtocolError
from syncd.remote import SSE_C_KEY_ID_KEY, Encryption

log = structlog.get_logger(__name__)
COPY_FILE_LIMIT = 5_000_000_000
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def _same_copy(version: FileVersion | None, source: FileVersion, mtime_ms: int | None) -> bool:
    return (
        version is not None
        and version.action in ("upload", "copy")
        and version.size == source.size
        and version.content_sha1 == source.content_sha1
        and version.src_last_modified_ms == mtime_ms
    )


def copy_version(
    session: B2Session,
    source: FileVersion,
    bucket: Bucket,
    b2_name: str,
    *,
    src_last_modified_ms: int | None,
    part_size: int,
    seal: Seal = NO_SEAL,
    source_key: Encryption | None = None,
) -> FileVersion:
    """Copy ``source`` to ``b2_name`` in ``bucket`` with ``src_last_modified_ms`` replaced.

    ``source_key`` is the SSE-C key of an SSE-C source; ``seal`` gives the copy the
    destination's encryption and retention (a copy is a new version like any upload).
    """
    info = dict(source.file_info)
    info.pop(SRC_LAST_MODIFIED_KEY, None)
    info.pop(SSE_C_KEY_ID_KEY, None)
    info.update(seal.info)
    if src_last_modified_ms is not None:
        info[SRC_LAST_MODIFIED_KEY] = str(src_last_modified_ms)
    content_type = source.content_type or DEFAULT_CONTENT_TYPE

    def probe() -> FileVersion | None:
        found = listing.latest_version(session, bucket, b2_name)
        return found if _same_copy(found, source, src_last_modified_ms) else None

    version: FileVersion | None = None
    if source.size <= COPY_FILE_LIMIT:
        try:
            version = session.call(
                "copy_file",
                lambda a: session.raw.copy_file(
                    a.api_url,
                    a.authorization_token,
                    source_file_id=source.file_id,
                    file_name=b2_name,
                    bucket_id=bucket.bucket_id,
                    content_type=content_type,
                    file_info=info,
                    extra={**source_fields(source_key), **seal.copy_fields()},
                ),
                probe=probe,
            )
        except RemoteBadRequestError as exc:
            if exc.code != "source_too_large":
                raise
    if version is None:
        if source.content_sha1 is not None:
            info.setdefault(LARGE_FILE_SHA1_KEY, source.content_sha1)
        version = _copy_in_parts(
            session,
            source,
            bucket,
            b2_name,
            content_type=content_type,
            info=info,
            part_size=part_size,
            seal=seal,
            source_key=source_key,
        )
    if not _same_copy(version, source, src_last_modified_ms):
        raise RemoteProtocolError(f"copy_file: the copy of {source.file_name!r} does not match it")
    log.info("copy_finished", b2_name=b2_name, size_bytes=source.size, file_id=version.file_id)
    return version


def _copy_in_parts(
    session: B2Session,
    source: FileVersion,
    bucket: Bucket,
    b2_name: str,
    *,
    content_type: str,
    info: dict[str, str],
    part_size: int,
    seal: Seal,
    source_key: Encryption | None,
) -> FileVersion:
    part_size = max(part_size, -(-source.size // MAX_PARTS))
    part_fields = {**source_fields(source_key), **seal.copy_part_fields()}
    started = session.call(
        "start_large_file",
        lambda a: session.raw.start_large_file(
            a.api_url,
            a.authorization_token,
            bucket_id=bucket.bucket_id,
            file_name=b2_name,
            content_type=content_type,
            file_info=info,
            extra=seal.start_fields(),
        ),
    )
    sha1s: list[str] = []
    try:
        for number, first in enumerate(range(0, source.size, part_size), start=1):
            last = min(first + part_size, source.size) - 1
            # Re-sending a part overwrites it, so a lost answer needs no probe here.
            part = session.call(
                "copy_part",
                partial(
                    _copy_part,
                    session,
                    source_id=source.file_id,
                    large_id=started.file_id,
                    number=number,
                    first=first,
                    last=last,
                    extra=part_fields,
                ),
            )
            sha1s.append(part.content_sha1)
    except (RemoteError, LocalError):
        cancel_large(session, started.file_id, reason="copy_failed")
        raise
    return finish_large(session, started.file_id, sha1s)


def _copy_part(
    session: B2Session,
    auth: Authorization,
    *,
    source_id: str,
    large_id: str,
    number: int,
    first: int,
    last: int,
    extra: dict[str, Any],
) -> PartInfo:
    return session.raw.copy_part(
        auth.api_url,
        auth.authorization_token,
        source_file_id=source_id,
        large_file_id=large_id,
        part_number=number,
        first=first,
        last=last,
        extra=extra,
    )
