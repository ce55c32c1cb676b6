"""Upload calls: b2_get_upload_url, b2_upload_file, b2_get_upload_part_url, b2_upload_part.

Upload URLs look like ``<base>/b2api/vN/b2_upload_file/<bucketId>/<slot>`` and
``…/b2_upload_part/<fileId>/<slot>``; the token, not the URL, carries the authority.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import mimetypes
import secrets

from starlette.requests import Request
from starlette.responses import Response

from syncd.emulator import sse, writes
from syncd.emulator.auth import Principal, authenticate, authorization_header
from syncd.emulator.call import Call
from syncd.emulator.calls_buckets import owned_bucket
from syncd.emulator.intake import content_length, parse_sha1_header, receive
from syncd.emulator.models import START, UPLOAD, Part, Segment, Version
from syncd.emulator.names import check_file_info, check_file_name, decode_header_value
from syncd.emulator.problem import ApiError, bad_auth_token, bad_request
from syncd.emulator.render import file_json, part_json
from syncd.emulator.replies import json_reply
from syncd.emulator.state import EmulatorState
from syncd.emulator.testmode import FAIL_SOME_UPLOADS, FORCE_CAP_EXCEEDED

MAX_SIMPLE_BYTES = 5 * 1024**3
MAX_PART_BYTES = 5_000_000_000
MAX_PARTS = 10_000
AUTO_CONTENT_TYPE = "b2/x-auto"
INFO_PREFIX = b"x-bz-info-"


def check_test_modes(state: EmulatorState, call: Call, *, uploads: bool) -> None:
    """Apply ``force_cap_exceeded`` and (for uploads) ``fail_some_uploads``."""
    if FORCE_CAP_EXCEEDED in call.modes:
        raise ApiError(403, "storage_cap_exceeded", "Cannot upload files, storage cap exceeded.")
    if uploads and FAIL_SOME_UPLOADS in call.modes and state.modes.upload_fails():
        raise ApiError(
            503,
            "service_unavailable",
            "fail_some_uploads: upload failed",
            retry_after="1",
            spoils_upload_token=True,
        )


def resolve_content_type(value: str | None, name: str) -> str:
    """The stored Content-Type; ``b2/x-auto`` is guessed from the extension."""
    if not value:
        raise bad_request("Content-Type is required")
    if value == AUTO_CONTENT_TYPE:
        return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    return value


def unfinished_file(state: EmulatorState, file_id: str) -> Version:
    """The unfinished large file with this id.

    Raises:
        ApiError: 400 bad_request when unknown or already finished/cancelled.
    """
    version = state.versions.get(file_id)
    if version is None or version.action != START:
        raise bad_request(f"No active upload for: {file_id}")
    return version


def _upload_url(state: EmulatorState, call: Call, kind: str, target: str) -> str:
    slot = f"c000_v0001000_t{secrets.token_hex(2)}"
    return f"{state.base_url}/b2api/v{call.version}/{kind}/{target}/{slot}"


async def get_upload_url(state: EmulatorState, call: Call) -> Response:
    """b2_get_upload_url: a fresh single-flight upload URL and token for a bucket."""
    principal = authenticate(state, call.request)
    principal.require("writeFiles")
    bucket = owned_bucket(state, principal, call.params.req_str("bucketId"))
    check_test_modes(state, call, uploads=False)
    token = state.tokens.issue_upload(
        "file", bucket.bucket_id, principal.key.key_id, state.now_ms()
    )
    return json_reply(
        {
            "bucketId": bucket.bucket_id,
            "uploadUrl": _upload_url(state, call, "b2_upload_file", bucket.bucket_id),
            "authorizationToken": token,
        }
    )


async def get_upload_part_url(state: EmulatorState, call: Call) -> Response:
    """b2_get_upload_part_url: a fresh upload URL and token for one large file."""
    principal = authenticate(state, call.request)
    version = unfinished_file(state, call.params.req_str("fileId"))
    principal.require_file("writeFiles", version.bucket_id, version.name)
    check_test_modes(state, call, uploads=False)
    token = state.tokens.issue_upload("part", version.file_id, principal.key.key_id, state.now_ms())
    return json_reply(
        {
            "fileId": version.file_id,
            "uploadUrl": _upload_url(state, call, "b2_upload_part", version.file_id),
            "authorizationToken": token,
        }
    )


def _uploader(
    state: EmulatorState, request: Request, kind: str, target: str
) -> tuple[str, Principal]:
    token = authorization_header(request)
    grant = state.tokens.upload_grant(token, kind, target, state.now_ms())
    key = state.keys.get(grant.key_id)
    if key is None:
        raise bad_auth_token("the application key of this upload token was deleted")
    return token, Principal(state.account_id, key)


def _file_info_headers(request: Request, name: str) -> dict[str, str]:
    info: dict[str, str] = {}
    for raw_name, raw_value in request.headers.raw:
        lowered = raw_name.lower()
        if lowered.startswith(INFO_PREFIX):
            key = lowered[len(INFO_PREFIX) :].decode("latin-1")
            info[key] = decode_header_value(raw_value, f"X-Bz-Info-{key}")
    return check_file_info(info, name)


async def upload_file(state: EmulatorState, call: Call) -> Response:
    """b2_upload_file: store one version from the raw body."""
    request = call.request
    token, principal = _uploader(state, request, "file", call.target)
    with state.tokens.single_flight(token):
        raw_name = request.headers.raw
        header = next((v for k, v in raw_name if k.lower() == b"x-bz-file-name"), None)
        if header is None:
            raise bad_request("Missing header: X-Bz-File-Name")
        name = check_file_name(decode_header_value(header, "X-Bz-File-Name"))
        principal.require_file("writeFiles", call.target, name)
        bucket = state.buckets.by_id(call.target)
        if bucket is None:
            raise bad_request(f"Invalid bucketId: {call.target}", "bad_bucket_id")
        length = content_length(request, MAX_SIMPLE_BYTES + 40)
        content_type = resolve_content_type(request.headers.get("content-type"), name)
        claim = parse_sha1_header(request.headers.get("x-bz-content-sha1"))
        info = _file_info_headers(request, name)
        settings = writes.from_headers(state, principal, bucket, request.headers)
        check_test_modes(state, call, uploads=True)
        received = await receive(request, state.blobs, length, claim)
        if received.size > MAX_SIMPLE_BYTES:
            state.collect([received.blob])
            raise bad_request(f"a simple upload is limited to {MAX_SIMPLE_BYTES} bytes")
        state.stats.bytes_in += received.size
        version = state.versions.add(
            bucket_id=call.target,
            name=name,
            action=UPLOAD,
            size=received.size,
            sha1=received.sha1,
            content_type=content_type,
            info=info,
            is_large=False,
            now_ms=state.now_ms(),
            segments=[Segment(blob=received.blob, offset=0, length=received.size)],
            encryption=settings.encryption,
            lock=settings.lock,
            custom_ms=settings.custom_ms,
        )
    return json_reply(
        file_json(version, state.account_id, call.version, capabilities=principal.key.capabilities)
    )


def _part_number(request: Request) -> int:
    raw = request.headers.get("x-bz-part-number")
    if raw is None or not raw.isdigit() or not 1 <= int(raw) <= MAX_PARTS:
        raise bad_request(f"X-Bz-Part-Number must be 1..{MAX_PARTS}, got {raw!r}")
    return int(raw)


async def upload_part(state: EmulatorState, call: Call) -> Response:
    """b2_upload_part: store (or replace) one part of an unfinished large file."""
    request = call.request
    token, principal = _uploader(state, request, "part", call.target)
    with state.tokens.single_flight(token):
        version = unfinished_file(state, call.target)
        principal.require_file("writeFiles", version.bucket_id, version.name)
        number = _part_number(request)
        _check_part_encryption(version, request)
        length = content_length(request, MAX_PART_BYTES + 40)
        claim = parse_sha1_header(request.headers.get("x-bz-content-sha1"))
        check_test_modes(state, call, uploads=True)
        received = await receive(request, state.blobs, length, claim)
        if state.versions.get(version.file_id) != version:
            state.collect([received.blob])
            raise bad_request(f"No active upload for: {version.file_id}")
        if received.size < 1 or received.size > MAX_PART_BYTES:
            state.collect([received.blob])
            raise bad_request(f"part size must be 1..{MAX_PART_BYTES} bytes")
        state.stats.bytes_in += received.size
        part = Part(
            file_id=version.file_id,
            number=number,
            blob=received.blob,
            size=received.size,
            sha1=received.sha1.removeprefix("unverified:"),
            upload_ms=state.now_ms(),
        )
        replaced = state.parts.put(part)
        if replaced is not None:
            state.collect([replaced])
    return json_reply(part_json(part, version.encryption))


def _check_part_encryption(large: Version, request: Request) -> None:
    """Parts of an SSE-C large file must carry its key; other parts may only repeat SSE-B2."""
    asked = sse.from_headers(request.headers)
    if large.encryption.mode == sse.SSE_C:
        sse.require_key(large.encryption, asked, large.file_id)
    elif asked is not None and asked.mode != large.encryption.mode:
        raise bad_request("a part's encryption must match its large file's")
