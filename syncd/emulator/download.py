"""Downloads by id and by name (GET and HEAD), with single ranges and B2's headers.

Headers: Content-Length, Content-Type, X-Bz-File-Id, X-Bz-File-Name (percent-encoded),
X-Bz-Content-Sha1 (``none`` for large files), X-Bz-Upload-Timestamp, one
X-Bz-Info-<key> per file info entry (values percent-encoded) except the ``b2-*`` keys,
which become Content-Disposition, Content-Language, Expires, Cache-Control and
Content-Encoding. Ranges: ``bytes=a-b``, ``bytes=a-``, ``bytes=-n``; 206 with
``Content-Range: bytes a-b/total``; 416 when unsatisfiable.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import re

from starlette.responses import Response

from syncd.emulator import locks, sse
from syncd.emulator.auth import Principal, key_for_token
from syncd.emulator.blobs import read_segments
from syncd.emulator.call import Call
from syncd.emulator.models import UPLOAD, Bucket, Version
from syncd.emulator.names import RESERVED_INFO_HEADERS, decode_header_value, encode_header_value
from syncd.emulator.problem import (
    ApiError,
    bad_auth_token,
    bad_request,
    expired_auth_token,
    not_found,
    unauthorized,
)
from syncd.emulator.replies import StreamReply
from syncd.emulator.state import EmulatorState

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
OVERRIDES = {
    "b2ContentDisposition": "Content-Disposition",
    "b2ContentLanguage": "Content-Language",
    "b2Expires": "Expires",
    "b2CacheControl": "Cache-Control",
    "b2ContentEncoding": "Content-Encoding",
    "b2ContentType": "Content-Type",
}


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range asked for, or None for the whole file.

    Raises:
        ApiError: 416 when unsatisfiable, 400 for multiple ranges.
    """
    if header is None:
        return None
    spec = header.strip()
    if "," in spec:
        raise bad_request("only a single byte range is supported")
    match = _RANGE.fullmatch(spec)
    if match is None or not (match[1] or match[2]):
        return None  # RFC 9110: ignore a Range header we cannot parse
    if match[1]:
        start = int(match[1])
        end = int(match[2]) if match[2] else size - 1
        if start >= size or end < start:
            raise _unsatisfiable(size)
        return start, min(end, size - 1)
    suffix = int(match[2])
    if suffix == 0 or size == 0:
        raise _unsatisfiable(size)
    return max(0, size - suffix), size - 1


def _unsatisfiable(size: int) -> ApiError:
    return ApiError(
        416, "range_not_satisfiable", f"The range requested is not satisfiable; size is {size}"
    )


def _authorize(
    state: EmulatorState, call: Call, bucket: Bucket, name: str, *, by_name: bool
) -> tuple[str, ...]:
    """Check the reader may read ``name``; return its key's capabilities (none if keyless)."""
    if bucket.bucket_type == "allPublic":
        return ()
    token = call.request.headers.get("authorization")
    if token is None and by_name:
        token = call.request.query_params.get("Authorization")
    if not token:
        raise bad_auth_token("Missing Authorization header")
    grant = state.tokens.download_grant(token) if by_name else None
    if grant is not None:
        if grant.expires_ms <= state.now_ms():
            raise expired_auth_token("download authorization has expired")
        if grant.bucket_id != bucket.bucket_id or not name.startswith(grant.name_prefix):
            raise unauthorized("download authorization does not cover this file")
        return ()
    principal = Principal(state.account_id, key_for_token(state, token))
    principal.require_file("readFiles", bucket.bucket_id, name)
    return principal.key.capabilities


def _headers(call: Call, version: Version, length: int) -> list[tuple[str, str]]:
    headers = [
        ("Content-Length", str(length)),
        ("Content-Type", version.content_type or "application/octet-stream"),
        ("X-Bz-File-Id", version.file_id),
        ("X-Bz-File-Name", encode_header_value(version.name)),
        ("X-Bz-Content-Sha1", "none" if version.is_large else version.sha1 or "none"),
        ("X-Bz-Upload-Timestamp", str(version.upload_ms)),
        ("Accept-Ranges", "bytes"),
    ]
    overrides = {OVERRIDES[k]: v for k, v in call.request.query_params.items() if k in OVERRIDES}
    for key, value in sorted(version.info.items()):
        real = RESERVED_INFO_HEADERS.get(key)
        if real is None:
            headers.append((f"X-Bz-Info-{key}", encode_header_value(value)))
        elif real not in overrides:
            headers.append((real, value))
    if "Content-Type" in overrides:
        headers[1] = ("Content-Type", overrides.pop("Content-Type"))
    headers.extend(overrides.items())
    return headers


def serve(
    state: EmulatorState,
    call: Call,
    version: Version,
    *,
    locked_bucket: bool = False,
    capabilities: tuple[str, ...] = (),
) -> Response:
    """The download reply for ``version``, honouring ``Range``.

    An SSE-C version is only served (GET or HEAD) to a request carrying its key.
    """
    sse.require_key(version.encryption, sse.from_headers(call.request.headers), version.file_id)
    wanted = parse_range(call.request.headers.get("range"), version.size)
    start, end = wanted if wanted is not None else (0, version.size - 1)
    length = end - start + 1
    headers = _headers(call, version, length) + sse.sse_headers(version.encryption)
    if locked_bucket:
        headers += locks.lock_headers(version.lock, capabilities)
    status = 200
    if wanted is not None:
        status = 206
        headers.append(("Content-Range", f"bytes {start}-{end}/{version.size}"))
    chunks = None
    if call.request.method != "HEAD" and length > 0:
        chunks = read_segments(state.blobs, state.versions.segments(version.file_id), start, length)

    def count(size: int) -> None:
        state.stats.bytes_out += size

    return StreamReply(status, headers, chunks, on_bytes=count, blocking=state.blobs.blocking)


async def download_file_by_id(state: EmulatorState, call: Call) -> Response:
    """b2_download_file_by_id (GET/HEAD/POST)."""
    file_id = call.params.req_str("fileId")
    version = state.versions.get(file_id)
    if version is None or version.action != UPLOAD:
        raise not_found(f"File not present: {file_id}")
    bucket = state.buckets.by_id(version.bucket_id)
    if bucket is None:
        raise not_found(f"File not present: {file_id}")
    capabilities = _authorize(state, call, bucket, version.name, by_name=False)
    return serve(
        state,
        call,
        version,
        locked_bucket=bucket.file_lock_enabled,
        capabilities=capabilities,
    )


async def download_file_by_name(state: EmulatorState, call: Call) -> Response:
    """``/file/<bucket>/<name>`` (GET/HEAD): the newest version unless it is hidden."""
    bucket_name, _, raw_name = call.target.partition("/")
    name = decode_header_value(raw_name.encode("latin-1"), "file name in URL")
    bucket = state.buckets.by_name(bucket_name)
    if bucket is None or not name:
        raise not_found(f"Bucket or file not found: {bucket_name}/{name}")
    capabilities = _authorize(state, call, bucket, name, by_name=True)
    version = state.versions.newest(bucket.bucket_id, name)
    if version is None or version.action != UPLOAD:
        raise not_found(f"File with such name does not exist: {name}")
    return serve(
        state,
        call,
        version,
        locked_bucket=bucket.file_lock_enabled,
        capabilities=capabilities,
    )
