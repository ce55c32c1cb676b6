"""Multipart uploads: Create, UploadPart, Complete, Abort, ListParts, ListMultipartUploads.

An upload is a native unfinished large file (``UploadId`` is its file id), so it shows
in ``b2_list_unfinished_large_files`` and a completed one is a large file in the
native listing (``contentSha1`` "none"), as on B2. S3's rules hold: parts 1..10000 in
any order, Complete names them in ascending order with their ETags, every part but the
last is at least the emulator's minimum part size. UploadPartCopy is not implemented.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from starlette.responses import Response

from syncd.emulator.models import START, Part, Segment, Version
from syncd.emulator.s3.body import read_small, receive
from syncd.emulator.s3.call import S3Call
from syncd.emulator.s3.errors import S3Error, invalid_argument
from syncd.emulator.s3.meta import content_type_of, info_from_headers, multipart_etag
from syncd.emulator.s3.xmlout import document, element, iso_time, xml_reply
from syncd.emulator.schema import transaction

MAX_PART_BYTES = 5 * 1024**3
MAX_PARTS = 10_000
MAX_LISTED = 1000


def _upload(call: S3Call, bucket_id: str, name: str) -> Version:
    upload_id = call.query.get("uploadId", "")
    version = call.state.versions.get(upload_id)
    if (
        version is None
        or version.action != START
        or version.bucket_id != bucket_id
        or version.name != name
    ):
        raise S3Error(
            404,
            "NoSuchUpload",
            "The specified upload does not exist.",
            extra={"UploadId": upload_id},
        )
    return version


async def create(call: S3Call) -> Response:
    """CreateMultipartUpload: an unfinished large file with the object's metadata."""
    bucket = call.bucket()
    name = call.object_name()
    call.require("writeFiles", bucket, name)
    version = call.state.versions.add(
        bucket_id=bucket.bucket_id,
        name=name,
        action=START,
        size=0,
        sha1="none",
        content_type=content_type_of(call.request),
        info=info_from_headers(call.request, name),
        is_large=True,
        now_ms=call.state.now_ms(),
    )
    root = document("InitiateMultipartUploadResult")
    element("Bucket", bucket.name, parent=root)
    element("Key", name, parent=root)
    element("UploadId", version.file_id, parent=root)
    return xml_reply(root)


async def upload_part(call: S3Call) -> Response:
    """UploadPart: store (or replace) one numbered part."""
    if "x-amz-copy-source" in call.request.headers:
        raise S3Error(501, "NotImplemented", "UploadPartCopy is not implemented by the emulator")
    bucket = call.bucket()
    name = call.object_name()
    call.require("writeFiles", bucket, name)
    version = _upload(call, bucket.bucket_id, name)
    raw = call.query.get("partNumber", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PARTS:
        raise invalid_argument(f"Part number must be an integer between 1 and {MAX_PARTS}")
    state = call.state
    body = await receive(call.request, state.blobs, call.signed.content_sha256, MAX_PART_BYTES)
    if state.versions.get(version.file_id) != version:  # aborted or completed meanwhile
        state.collect([body.blob])
        raise S3Error(404, "NoSuchUpload", "The specified upload does not exist.")
    state.stats.bytes_in += body.size
    part = Part(
        file_id=version.file_id,
        number=int(raw),
        blob=body.blob,
        size=body.size,
        sha1=body.sha1,
        upload_ms=state.now_ms(),
    )
    replaced = state.parts.put(part)
    if replaced is not None:
        state.collect([replaced])
    etag = f'"{body.md5}"'
    call.etags.put_part(version.file_id, part.number, etag)
    return Response(b"", headers={"ETag": etag})


def _requested(data: bytes) -> list[tuple[int, str]]:
    try:
        root = ET.fromstring(data)  # noqa: S314  (expat refuses external entities; bodies are small)
    except ET.ParseError:
        raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed") from None
    wanted: list[tuple[int, str]] = []
    for node in root:
        if node.tag.rsplit("}", 1)[-1] != "Part":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in node}
        if not fields.get("PartNumber", "").isdigit():
            raise S3Error(400, "MalformedXML", "every Part needs a PartNumber")
        wanted.append((int(fields["PartNumber"]), fields.get("ETag", "").strip().strip('"')))
    if not wanted:
        raise S3Error(400, "MalformedXML", "CompleteMultipartUpload names no parts")
    return wanted


async def complete(call: S3Call) -> Response:
    """CompleteMultipartUpload: publish the named parts, in order, as one version."""
    bucket = call.bucket()
    name = call.object_name()
    call.require("writeFiles", bucket, name)
    version = _upload(call, bucket.bucket_id, name)
    wanted = _requested(await read_small(call.request, call.signed.content_sha256))
    state = call.state
    stored = {part.number: part for part in state.parts.all(version.file_id)}
    etags = call.etags.parts(version.file_id)
    numbers = [number for number, _ in wanted]
    if numbers != sorted(set(numbers)):
        raise S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
    chosen: list[Part] = []
    for index, (number, etag) in enumerate(wanted):
        part = stored.get(number)
        if part is None or etags.get(number, "").strip('"') != etag:
            raise S3Error(
                400, "InvalidPart", f"Part {number} was not uploaded or its ETag does not match."
            )
        if index < len(wanted) - 1 and part.size < state.options.absolute_minimum_part_size:
            raise S3Error(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
                extra={"PartNumber": str(number), "ProposedSize": str(part.size)},
            )
        chosen.append(part)
    segments = [Segment(blob=p.blob, offset=0, length=p.size) for p in chosen]
    etag = multipart_etag([etags[p.number] for p in chosen])
    with transaction(state.db):
        state.versions.finish(version.file_id, sum(p.size for p in chosen), segments)
        leftovers = state.parts.remove_all(version.file_id)
        call.etags.forget_parts(version.file_id)
        call.etags.put(version.file_id, etag)
    state.collect(leftovers)
    root = document("CompleteMultipartUploadResult")
    element("Location", f"/{bucket.name}/{name}", parent=root)
    element("Bucket", bucket.name, parent=root)
    element("Key", name, parent=root)
    element("ETag", etag, parent=root)
    return xml_reply(root, headers={"x-amz-version-id": version.file_id})


async def abort(call: S3Call) -> Response:
    """AbortMultipartUpload: forget the upload and its parts."""
    bucket = call.bucket()
    name = call.object_name()
    call.require("writeFiles", bucket, name)
    version = _upload(call, bucket.bucket_id, name)
    state = call.state
    with transaction(state.db):
        blobs = state.parts.remove_all(version.file_id) + state.versions.remove(version.file_id)
        call.etags.forget_parts(version.file_id)
    state.collect(blobs)
    return Response(b"", status_code=204)


async def list_parts(call: S3Call) -> Response:
    """ListParts: parts after ``part-number-marker``, up to ``max-parts``."""
    bucket = call.bucket()
    name = call.object_name()
    call.require("writeFiles", bucket, name)
    version = _upload(call, bucket.bucket_id, name)
    marker = int(call.query.get("part-number-marker", "0") or 0)
    limit = min(int(call.query.get("max-parts", str(MAX_LISTED)) or MAX_LISTED), MAX_LISTED)
    parts = call.state.parts.page(version.file_id, marker + 1, limit + 1)
    etags = call.etags.parts(version.file_id)
    root = document("ListPartsResult")
    element("Bucket", bucket.name, parent=root)
    element("Key", name, parent=root)
    element("UploadId", version.file_id, parent=root)
    element("PartNumberMarker", marker, parent=root)
    element("MaxParts", limit, parent=root)
    truncated = len(parts) > limit
    element("IsTruncated", "true" if truncated else "false", parent=root)
    if truncated:
        element("NextPartNumberMarker", parts[limit - 1].number, parent=root)
    for part in parts[:limit]:
        node = element("Part", parent=root)
        element("PartNumber", part.number, parent=node)
        element("LastModified", iso_time(part.upload_ms), parent=node)
        element("ETag", etags.get(part.number, f'"{part.sha1}"'), parent=node)
        element("Size", part.size, parent=node)
    return xml_reply(root)


async def list_uploads(call: S3Call) -> Response:
    """ListMultipartUploads: unfinished uploads under ``prefix``, by key then age."""
    bucket = call.bucket()
    call.require("listFiles", bucket)
    prefix = call.query.get("prefix", "")
    limit = min(int(call.query.get("max-uploads", str(MAX_LISTED)) or MAX_LISTED), MAX_LISTED)
    key_marker = call.query.get("key-marker", "")
    id_marker = call.query.get("upload-id-marker", "")
    uploads = sorted(
        call.state.versions.unfinished(bucket.bucket_id, prefix, None, MAX_PARTS),
        key=lambda v: (v.name.encode("utf-8"), v.upload_ms, v.seq),
    )
    if key_marker:
        position = next(
            (
                i + 1
                for i, v in enumerate(uploads)
                if v.name == key_marker and v.file_id == id_marker
            ),
            None,
        )
        uploads = (
            uploads[position:]
            if position is not None
            else [v for v in uploads if v.name > key_marker]
        )
    root = document("ListMultipartUploadsResult")
    element("Bucket", bucket.name, parent=root)
    element("KeyMarker", key_marker, parent=root)
    element("UploadIdMarker", id_marker, parent=root)
    element("Prefix", prefix, parent=root)
    element("MaxUploads", limit, parent=root)
    truncated = len(uploads) > limit
    element("IsTruncated", "true" if truncated else "false", parent=root)
    if truncated:
        element("NextKeyMarker", uploads[limit - 1].name, parent=root)
        element("NextUploadIdMarker", uploads[limit - 1].file_id, parent=root)
    for upload in uploads[:limit]:
        node = element("Upload", parent=root)
        element("Key", upload.name, parent=node)
        element("UploadId", upload.file_id, parent=node)
        element("Initiated", iso_time(upload.upload_ms), parent=node)
        element("StorageClass", "STANDARD", parent=node)
    return xml_reply(root)
