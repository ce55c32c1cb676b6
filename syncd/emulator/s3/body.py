"""Receiving an S3 request body into a blob, checking every digest the client sent.

One pass hashes MD5 (the ETag and ``Content-MD5``), SHA-1 (B2's ``contentSha1``, and
``x-amz-checksum-sha1``) and SHA-256 (``x-amz-content-sha256`` when the payload is
signed). Any mismatch discards the blob: a body that does not match what was signed or
claimed is never stored. Content-Length is required; aws-chunked bodies are refused
(NotImplemented). Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from dataclasses import dataclass

from starlette.requests import Request

from syncd.emulator.blobs import BlobStore
from syncd.emulator.s3.errors import S3Error

FLUSH_BYTES = 1 << 20
UNSIGNED = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True, slots=True)
class Body:
    """A stored body: its blob, size and digests (hex)."""

    blob: str
    size: int
    md5: str
    sha1: str


def content_length(request: Request, limit: int) -> int:
    """The required Content-Length (at most ``limit``)."""
    if "aws-chunked" in request.headers.get("content-encoding", ""):
        raise S3Error(501, "NotImplemented", "aws-chunked request bodies are not supported")
    raw = request.headers.get("content-length")
    if raw is None or not raw.isdigit():
        raise S3Error(
            411, "MissingContentLength", "You must provide the Content-Length HTTP header."
        )
    length = int(raw)
    if length > limit:
        raise S3Error(
            400, "EntityTooLarge", f"Your proposed upload exceeds the maximum allowed size {limit}"
        )
    return length


def _b64_hex(value: str, what: str) -> str:
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        raise S3Error(400, "InvalidDigest", f"{what} is not valid base64") from None


def _check(request: Request, content_sha256: str, digests: dict[str, str]) -> None:
    md5 = request.headers.get("content-md5")
    if md5 is not None and _b64_hex(md5, "Content-MD5") != digests["md5"]:
        raise S3Error(
            400, "BadDigest", "The Content-MD5 you specified did not match what we received."
        )
    sha1 = request.headers.get("x-amz-checksum-sha1")
    if sha1 is not None and _b64_hex(sha1, "x-amz-checksum-sha1") != digests["sha1"]:
        raise S3Error(
            400, "BadDigest", "The SHA1 you specified did not match the calculated checksum."
        )
    if content_sha256.startswith("STREAMING-"):
        raise S3Error(501, "NotImplemented", f"{content_sha256} bodies are not supported")
    if content_sha256 != UNSIGNED and content_sha256.lower() != digests["sha256"]:
        raise S3Error(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )


async def read_small(request: Request, content_sha256: str, limit: int = 1 << 20) -> bytes:
    """A small body (an XML document) read whole and checked."""
    data = await request.body()
    if len(data) > limit:
        raise S3Error(400, "MaxMessageLengthExceeded", "the request body is too large")
    digests = {
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha1": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    _check(request, content_sha256, digests)
    return data


def _check_size(size: int, length: int) -> None:
    if size != length:
        raise S3Error(400, "IncompleteBody", f"got {size} of {length} bytes")


async def receive(request: Request, blobs: BlobStore, content_sha256: str, limit: int) -> Body:
    """Stream the body into a new blob and check it.

    Raises:
        S3Error: a short body or any digest mismatch (the blob is discarded).
        starlette.requests.ClientDisconnect: when the client goes away.
    """
    length = content_length(request, limit)
    hashers = {
        "md5": hashlib.md5(usedforsecurity=False),
        "sha1": hashlib.sha1(usedforsecurity=False),
        "sha256": hashlib.sha256(),
    }
    writer = blobs.writer()
    loop = asyncio.get_running_loop()
    pending: list[bytes] = []
    size = 0

    def flush(pieces: list[bytes]) -> None:
        for piece in pieces:
            for hasher in hashers.values():
                hasher.update(piece)
            writer.write(piece)

    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            pending.append(chunk)
            size += len(chunk)
            if sum(map(len, pending)) >= FLUSH_BYTES:
                batch, pending = pending, []
                if blobs.blocking:
                    await loop.run_in_executor(None, flush, batch)
                else:
                    flush(batch)
        flush(pending)
        _check_size(size, length)
        digests = {name: hasher.hexdigest() for name, hasher in hashers.items()}
        _check(request, content_sha256, digests)
        blob = (
            await loop.run_in_executor(None, writer.commit) if blobs.blocking else writer.commit()
        )
    except BaseException:
        writer.abort()
        raise
    return Body(blob=blob, size=size, md5=digests["md5"], sha1=digests["sha1"])
