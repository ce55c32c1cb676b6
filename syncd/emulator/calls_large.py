"""Large-file lifecycle: start, finish, cancel, list parts, list unfinished large files.

A finished large file keeps its parts as content segments (no concatenation), has
``contentSha1: "none"`` and keeps the start time as ``uploadTimestamp``. Imports nothing
from syncd outside the emulator.
"""

from __future__ import annotations

from starlette.responses import Response

from syncd.emulator import writes
from syncd.emulator.auth import authenticate
from syncd.emulator.call import Call
from syncd.emulator.calls_buckets import owned_bucket
from syncd.emulator.calls_upload import check_test_modes, resolve_content_type, unfinished_file
from syncd.emulator.models import START, Part, Segment
from syncd.emulator.names import check_file_info, check_file_name
from syncd.emulator.problem import bad_request
from syncd.emulator.render import file_json, part_json
from syncd.emulator.replies import json_reply
from syncd.emulator.schema import transaction
from syncd.emulator.state import EmulatorState


async def start_large_file(state: EmulatorState, call: Call) -> Response:
    """b2_start_large_file: an unfinished version (action ``start``) with its file info."""
    principal = authenticate(state, call.request)
    bucket_id = call.params.req_str("bucketId")
    name = check_file_name(call.params.req_str("fileName"))
    principal.require_file("writeFiles", bucket_id, name)
    bucket = owned_bucket(state, principal, bucket_id)
    content_type = resolve_content_type(call.params.opt_str("contentType"), name)
    info = check_file_info(call.params.opt_dict("fileInfo"), name)
    settings = writes.from_params(state, principal, bucket, call.params)
    check_test_modes(state, call, uploads=False)
    version = state.versions.add(
        bucket_id=bucket_id,
        name=name,
        action=START,
        size=0,
        sha1="none",
        content_type=content_type,
        info=info,
        is_large=True,
        now_ms=state.now_ms(),
        encryption=settings.encryption,
        lock=settings.lock,
        custom_ms=settings.custom_ms,
    )
    return json_reply(
        file_json(version, state.account_id, call.version, capabilities=principal.key.capabilities)
    )


def _check_parts(state: EmulatorState, parts: list[Part], sha1s: list[str]) -> None:
    if len(sha1s) < 2:
        raise bad_request("large files must have at least 2 parts")
    by_number = {part.number: part for part in parts}
    minimum = state.options.absolute_minimum_part_size
    for number, sha1 in enumerate(sha1s, start=1):
        part = by_number.get(number)
        if part is None:
            raise bad_request(f"Part number {number} has not been uploaded", "missing_part")
        if not isinstance(sha1, str) or sha1.lower() != part.sha1:
            raise bad_request(
                f"Part number {number} has SHA1 {part.sha1}, not {sha1}", "part_sha1_mismatch"
            )
        if number < len(sha1s) and part.size < minimum:
            raise bad_request(
                f"Part number {number} is {part.size} bytes; the minimum is {minimum}"
            )
    extra = sorted(set(by_number) - set(range(1, len(sha1s) + 1)))
    if extra:
        raise bad_request(f"parts {extra} were uploaded but are not in partSha1Array")


async def finish_large_file(state: EmulatorState, call: Call) -> Response:
    """b2_finish_large_file: check parts 1..N against ``partSha1Array`` and publish."""
    principal = authenticate(state, call.request)
    version = unfinished_file(state, call.params.req_str("fileId"))
    principal.require_file("writeFiles", version.bucket_id, version.name)
    sha1s = call.params.opt_list("partSha1Array")
    if sha1s is None:
        raise bad_request("required field partSha1Array is missing")
    parts = state.parts.all(version.file_id)
    _check_parts(state, parts, sha1s)
    size = sum(part.size for part in parts)
    segments = [Segment(blob=p.blob, offset=0, length=p.size) for p in parts]
    with transaction(state.db):
        state.versions.finish(version.file_id, size, segments)
        state.parts.remove_all(version.file_id)
    finished = state.versions.get(version.file_id)
    assert finished is not None
    return json_reply(
        file_json(finished, state.account_id, call.version, capabilities=principal.key.capabilities)
    )


async def cancel_large_file(state: EmulatorState, call: Call) -> Response:
    """b2_cancel_large_file: forget an unfinished large file and its parts."""
    principal = authenticate(state, call.request)
    version = unfinished_file(state, call.params.req_str("fileId"))
    principal.require_file("writeFiles", version.bucket_id, version.name)
    with transaction(state.db):
        blobs = state.parts.remove_all(version.file_id) + state.versions.remove(version.file_id)
    state.collect(blobs)
    return json_reply(
        {
            "fileId": version.file_id,
            "accountId": state.account_id,
            "bucketId": version.bucket_id,
            "fileName": version.name,
        }
    )


async def list_parts(state: EmulatorState, call: Call) -> Response:
    """b2_list_parts: parts of an unfinished large file from ``startPartNumber``."""
    principal = authenticate(state, call.request)
    version = unfinished_file(state, call.params.req_str("fileId"))
    principal.require_file("writeFiles", version.bucket_id, version.name)
    start = call.params.opt_int("startPartNumber") or 1
    limit = call.params.opt_int("maxPartCount") or 100
    if not 1 <= start <= 10_000 or not 1 <= limit <= 1000:
        raise bad_request("startPartNumber must be 1..10000 and maxPartCount 1..1000")
    parts = state.parts.page(version.file_id, start, limit + 1)
    following = parts[limit].number if len(parts) > limit else None
    shown = [part_json(p, version.encryption) for p in parts[:limit]]
    return json_reply({"parts": shown, "nextPartNumber": following})


async def list_unfinished_large_files(state: EmulatorState, call: Call) -> Response:
    """b2_list_unfinished_large_files: oldest first, paged by ``startFileId``."""
    principal = authenticate(state, call.request)
    principal.require("listFiles")
    bucket = owned_bucket(state, principal, call.params.req_str("bucketId"))
    prefix = call.params.opt_str("namePrefix") or ""
    principal.require_name(prefix)
    limit = call.params.opt_int("maxFileCount") or 100
    if not 1 <= limit <= 100:
        raise bad_request("maxFileCount must be 1..100")
    start_id = call.params.opt_str("startFileId")
    after = None
    if start_id is not None:
        after = state.versions.get(start_id)
        if after is None or after.bucket_id != bucket.bucket_id:
            raise bad_request(f"bad startFileId: {start_id}")
    files = state.versions.unfinished(bucket.bucket_id, prefix, after, limit + 1)
    following = files[limit].file_id if len(files) > limit else None
    return json_reply(
        {
            "files": [
                file_json(
                    v, state.account_id, call.version, capabilities=principal.key.capabilities
                )
                for v in files[:limit]
            ],
            "nextFileId": following,
        }
    )
