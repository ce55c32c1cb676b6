"""Server-side copies: b2_copy_file (COPY/REPLACE metadata, optional range) and b2_copy_part.

A copied file references the source's content segments (no bytes are copied) and gets
a fresh SHA1 when only a range, or a large file, is copied. Hashing and part copies run
in a worker thread so the event loop stays free. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import hashlib

from starlette.responses import Response

from syncd.emulator import sse, writes
from syncd.emulator.auth import Principal, authenticate
from syncd.emulator.blobs import BlobStore, read_segments, slice_segments
from syncd.emulator.call import Call
from syncd.emulator.calls_buckets import owned_bucket
from syncd.emulator.calls_upload import check_test_modes, resolve_content_type, unfinished_file
from syncd.emulator.download import parse_range
from syncd.emulator.models import UPLOAD, Part, Segment, Version
from syncd.emulator.names import check_file_info, check_file_name
from syncd.emulator.problem import bad_request
from syncd.emulator.render import file_json, part_json
from syncd.emulator.replies import json_reply
from syncd.emulator.state import EmulatorState

MAX_COPY_BYTES = 5_000_000_000


def _source(state: EmulatorState, principal: Principal, call: Call) -> Version:
    file_id = call.params.req_str("sourceFileId")
    version = state.versions.get(file_id)
    if version is None or version.action != UPLOAD:
        raise bad_request(f"Invalid sourceFileId: {file_id}")
    principal.require_file("readFiles", version.bucket_id, version.name)
    field = "sourceServerSideEncryption"
    sse.require_key(version.encryption, sse.from_json(call.params.opt_dict(field), field), file_id)
    return version


def _span(call: Call, source: Version) -> tuple[int, int]:
    wanted = parse_range(call.params.opt_str("range"), source.size)
    start, end = wanted if wanted is not None else (0, source.size - 1)
    length = end - start + 1
    if length > MAX_COPY_BYTES:
        raise bad_request(f"Copy source too big: {length}", "source_too_large")
    return start, length


def _hash(blobs: BlobStore, segments: list[Segment]) -> str:
    hasher = hashlib.sha1(usedforsecurity=False)
    for chunk in read_segments(blobs, segments, 0, sum(s.length for s in segments)):
        hasher.update(chunk)
    return hasher.hexdigest()


def _copy_bytes(blobs: BlobStore, segments: list[Segment]) -> tuple[str, str]:
    writer = blobs.writer()
    hasher = hashlib.sha1(usedforsecurity=False)
    try:
        for chunk in read_segments(blobs, segments, 0, sum(s.length for s in segments)):
            hasher.update(chunk)
            writer.write(chunk)
        return writer.commit(), hasher.hexdigest()
    except BaseException:
        writer.abort()
        raise


def _metadata(call: Call, source: Version, name: str) -> tuple[str | None, dict[str, str]]:
    directive = call.params.opt_str("metadataDirective") or "COPY"
    if directive == "COPY":
        if call.params.has("contentType") or call.params.has("fileInfo"):
            raise bad_request("contentType and fileInfo need metadataDirective REPLACE")
        return source.content_type, source.info
    if directive != "REPLACE":
        raise bad_request("metadataDirective must be COPY or REPLACE")
    content_type = resolve_content_type(call.params.opt_str("contentType"), name)
    return content_type, check_file_info(call.params.opt_dict("fileInfo"), name)


async def copy_file(state: EmulatorState, call: Call) -> Response:
    """b2_copy_file: a new version made from (a range of) an existing one."""
    principal = authenticate(state, call.request)
    source = _source(state, principal, call)
    bucket_id = call.params.opt_str("destinationBucketId") or source.bucket_id
    bucket = owned_bucket(state, principal, bucket_id)
    name = check_file_name(call.params.req_str("fileName"))
    principal.require_file("writeFiles", bucket_id, name)
    settings = writes.from_params(
        state, principal, bucket, call.params, "destinationServerSideEncryption"
    )
    check_test_modes(state, call, uploads=False)
    start, length = _span(call, source)
    content_type, info = _metadata(call, source, name)
    segments = slice_segments(state.versions.segments(source.file_id), start, length)
    sha1 = source.sha1
    if source.is_large or length != source.size:
        sha1 = await asyncio.to_thread(_hash, state.blobs, segments)
        if state.versions.get(source.file_id) is None:
            raise bad_request("the source file was deleted during the copy")
    version = state.versions.add(
        bucket_id=bucket_id,
        name=name,
        action=UPLOAD,
        size=length,
        sha1=sha1,
        content_type=content_type,
        info=info,
        is_large=False,
        now_ms=state.now_ms(),
        segments=segments,
        encryption=settings.encryption,
        lock=settings.lock,
        custom_ms=settings.custom_ms,
    )
    return json_reply(
        file_json(
            version,
            state.account_id,
            call.version,
            action="copy",
            capabilities=principal.key.capabilities,
        )
    )


async def copy_part(state: EmulatorState, call: Call) -> Response:
    """b2_copy_part: a part of an unfinished large file copied from an existing file."""
    principal = authenticate(state, call.request)
    source = _source(state, principal, call)
    large = unfinished_file(state, call.params.req_str("largeFileId"))
    principal.require_file("writeFiles", large.bucket_id, large.name)
    field = "destinationServerSideEncryption"
    sse.require_key(
        large.encryption, sse.from_json(call.params.opt_dict(field), field), large.file_id
    )
    number = call.params.opt_int("partNumber")
    if number is None or not 1 <= number <= 10_000:
        raise bad_request("partNumber must be 1..10000")
    check_test_modes(state, call, uploads=False)
    start, length = _span(call, source)
    segments = slice_segments(state.versions.segments(source.file_id), start, length)
    blob, sha1 = await asyncio.to_thread(_copy_bytes, state.blobs, segments)
    if state.versions.get(large.file_id) != large:
        state.collect([blob])
        raise bad_request(f"No active upload for: {large.file_id}")
    part = Part(
        file_id=large.file_id,
        number=number,
        blob=blob,
        size=length,
        sha1=sha1,
        upload_ms=state.now_ms(),
    )
    replaced = state.parts.put(part)
    if replaced is not None:
        state.collect([replaced])
    return json_reply(part_json(part, large.encryption))
