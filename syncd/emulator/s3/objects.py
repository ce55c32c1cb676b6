"""Object operations: PutObject, CopyObject, GetObject/HeadObject (with Range), DeleteObject.

Versioning is B2's as its S3 layer documents it: every put is a new version whose
``versionId`` is the B2 file id; DeleteObject without a version id adds a hide marker
(the S3 delete marker) when the newest version is visible, and with one deletes that
version for good. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import parse_qs, unquote

from starlette.responses import Response

from syncd.emulator import locks
from syncd.emulator.blobs import read_segments
from syncd.emulator.download import parse_range
from syncd.emulator.models import HIDE, HIDE_MARKER_TYPE, START, UPLOAD, Segment, Version
from syncd.emulator.replies import StreamReply
from syncd.emulator.s3.body import receive
from syncd.emulator.s3.call import S3Call, native
from syncd.emulator.s3.errors import S3Error, invalid_argument, no_such_bucket, no_such_key
from syncd.emulator.s3.meta import content_type_of, info_from_headers, object_headers
from syncd.emulator.s3.xmlout import document, element, iso_time, xml_reply
from syncd.emulator.schema import transaction

MAX_PUT_BYTES = 5 * 1024**3
MARKER_HEADER = "x-amz-delete-marker"


def _version_by_id(call: S3Call, bucket_id: str, name: str, version_id: str) -> Version:
    version = call.state.versions.get(version_id)
    if (
        version is None
        or version.bucket_id != bucket_id
        or version.name != name
        or version.action == START
    ):
        raise S3Error(
            404,
            "NoSuchVersion",
            "The specified version does not exist.",
            extra={"Key": name, "VersionId": version_id},
        )
    return version


def _readable(call: S3Call, bucket_id: str, name: str, version_id: str | None) -> Version:
    """The version a GET/HEAD/copy reads: by id, or the newest (404 when hidden)."""
    if version_id is not None:
        version = _version_by_id(call, bucket_id, name, version_id)
        if version.action == HIDE:
            raise S3Error(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against a delete marker.",
                headers={MARKER_HEADER: "true", "x-amz-version-id": version.file_id},
            )
        return version
    newest = call.state.versions.newest(bucket_id, name)
    if newest is None:
        raise no_such_key(name)
    if newest.action == HIDE:
        raise no_such_key(name, {MARKER_HEADER: "true", "x-amz-version-id": newest.file_id})
    return newest


async def put_object(call: S3Call) -> Response:
    """PutObject (or CopyObject, when ``x-amz-copy-source`` is present)."""
    if "x-amz-copy-source" in call.request.headers:
        return await copy_object(call)
    bucket = call.bucket()
    name = call.object_name()
    call.require("writeFiles", bucket, name)
    info = info_from_headers(call.request, name)
    state = call.state
    body = await receive(call.request, state.blobs, call.signed.content_sha256, MAX_PUT_BYTES)
    state.stats.bytes_in += body.size
    version = state.versions.add(
        bucket_id=bucket.bucket_id,
        name=name,
        action=UPLOAD,
        size=body.size,
        sha1=body.sha1,
        content_type=content_type_of(call.request),
        info=info,
        is_large=False,
        now_ms=state.now_ms(),
        segments=[Segment(blob=body.blob, offset=0, length=body.size)],
    )
    etag = f'"{body.md5}"'
    call.etags.put(version.file_id, etag)
    return Response(b"", headers={"ETag": etag, "x-amz-version-id": version.file_id})


def _copy_source(call: S3Call) -> tuple[str, str, str | None]:
    raw = call.request.headers["x-amz-copy-source"]
    path, _, query = raw.partition("?")
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    if not bucket or not key:
        raise invalid_argument("x-amz-copy-source must be bucket/key")
    version_id = parse_qs(query).get("versionId", [None])[0]
    return bucket, key, version_id


def _sha1_of(call: S3Call, segments: list[Segment]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for chunk in read_segments(call.state.blobs, segments, 0, sum(s.length for s in segments)):
        digest.update(chunk)
    return digest.hexdigest()


async def copy_object(call: S3Call) -> Response:
    """CopyObject: a new version sharing the source's content; metadata COPY or REPLACE."""
    bucket = call.bucket()
    name = call.object_name()
    call.require("writeFiles", bucket, name)
    source_bucket_name, source_key, source_id = _copy_source(call)
    state = call.state
    source_bucket = state.buckets.by_name(source_bucket_name)
    if source_bucket is None:
        raise no_such_bucket(source_bucket_name)
    call.require("readFiles", source_bucket, source_key)
    source = _readable(call, source_bucket.bucket_id, source_key, source_id)
    if source.size > MAX_PUT_BYTES:
        raise S3Error(
            400,
            "InvalidRequest",
            f"The copy source is larger than the maximum size for a copy source: {MAX_PUT_BYTES}",
        )
    directive = call.request.headers.get("x-amz-metadata-directive", "COPY").upper()
    if directive == "COPY":
        content_type, info = source.content_type, source.info
    elif directive == "REPLACE":
        content_type, info = content_type_of(call.request), info_from_headers(call.request, name)
    else:
        raise invalid_argument("x-amz-metadata-directive must be COPY or REPLACE")
    segments = state.versions.segments(source.file_id)
    sha1 = source.sha1
    if source.is_large or sha1 is None:
        sha1 = await asyncio.get_running_loop().run_in_executor(None, _sha1_of, call, segments)
    version = state.versions.add(
        bucket_id=bucket.bucket_id,
        name=name,
        action=UPLOAD,
        size=source.size,
        sha1=sha1,
        content_type=content_type,
        info=info,
        is_large=False,
        now_ms=state.now_ms(),
        segments=segments,
    )
    etag = call.etags.of(source)
    call.etags.put(version.file_id, etag)
    root = document("CopyObjectResult")
    element("LastModified", iso_time(version.upload_ms), parent=root)
    element("ETag", etag, parent=root)
    headers = {"x-amz-version-id": version.file_id, "x-amz-copy-source-version-id": source.file_id}
    return xml_reply(root, headers=headers)


async def get_object(call: S3Call) -> Response:
    """GetObject and HeadObject, with a single Range."""
    bucket = call.bucket()
    name = call.object_name()
    call.require("readFiles", bucket, name)
    state = call.state
    version = _readable(call, bucket.bucket_id, name, call.query.get("versionId"))
    wanted = native(lambda: parse_range(call.request.headers.get("range"), version.size))
    start, end = wanted if wanted is not None else (0, version.size - 1)
    length = end - start + 1
    headers = [*object_headers(version, call.etags.of(version)), ("Content-Length", str(length))]
    status = 200
    if wanted is not None:
        status = 206
        headers.append(("Content-Range", f"bytes {start}-{end}/{version.size}"))
    chunks = None
    if call.request.method != "HEAD" and length > 0:
        chunks = read_segments(state.blobs, state.versions.segments(version.file_id), start, length)

    def count(size: int) -> None:
        state.stats.bytes_out += size

    return StreamReply(status, headers, chunks, count, blocking=state.blobs.blocking)


async def delete_object(call: S3Call) -> Response:
    """DeleteObject: a hide marker, or (with ``versionId``) that version deleted."""
    bucket = call.bucket()
    name = call.object_name()
    state = call.state
    version_id = call.query.get("versionId")
    if version_id is not None:
        call.require("deleteFiles", bucket, name)
        version = state.versions.get(version_id)
        if version is None or version.bucket_id != bucket.bucket_id or version.name != name:
            return Response(b"", status_code=204, headers={"x-amz-version-id": version_id})
        bypass = call.request.headers.get("x-amz-bypass-governance-retention", "") == "true"
        principal = call.principal
        native(lambda: locks.check_delete(version.lock, principal, bypass, state.now_ms()))
        with transaction(state.db):
            blobs = state.parts.remove_all(version_id) + state.versions.remove(version_id)
        state.collect(blobs)
        headers = {"x-amz-version-id": version_id}
        if version.action == HIDE:
            headers[MARKER_HEADER] = "true"
        return Response(b"", status_code=204, headers=headers)
    call.require("writeFiles", bucket, name)
    newest = state.versions.newest(bucket.bucket_id, name)
    if newest is None or newest.action == HIDE:  # nothing visible: nothing to hide (as B2)
        return Response(b"", status_code=204)
    marker = state.versions.add(
        bucket_id=bucket.bucket_id,
        name=name,
        action=HIDE,
        size=0,
        sha1=None,
        content_type=HIDE_MARKER_TYPE,
        info={},
        is_large=False,
        now_ms=state.now_ms(),
    )
    return Response(
        b"", status_code=204, headers={MARKER_HEADER: "true", "x-amz-version-id": marker.file_id}
    )
