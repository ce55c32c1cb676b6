"""Receiving upload bodies: stream to a blob while hashing, then verify the SHA1.

``X-Bz-Content-Sha1`` may be 40 hex digits, ``hex_digits_at_end`` (the body carries the
SHA1 as its last 40 bytes, which are not content) or ``do_not_verify`` (stored as
``unverified:<sha1>``). Content-Length is required; bodies are never held in memory
whole in disk mode. Imports nothing from syncd.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from starlette.requests import Request

from syncd.emulator.blobs import BlobStore
from syncd.emulator.problem import bad_request

HEX_AT_END = "hex_digits_at_end"
DO_NOT_VERIFY = "do_not_verify"
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")


@dataclass(frozen=True, slots=True)
class Sha1Claim:
    """What the client said about the content's SHA1."""

    mode: str  # "hex", HEX_AT_END or DO_NOT_VERIFY
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """A stored upload body."""

    blob: str
    size: int
    sha1: str


def parse_sha1_header(value: str | None) -> Sha1Claim:
    """Interpret ``X-Bz-Content-Sha1``.

    Raises:
        ApiError: 400 when absent or malformed.
    """
    if value is None:
        raise bad_request("Missing header: X-Bz-Content-Sha1")
    if value in (HEX_AT_END, DO_NOT_VERIFY):
        return Sha1Claim(value)
    if not _SHA1.fullmatch(value):
        raise bad_request(f"X-Bz-Content-Sha1 is not a valid SHA1: {value!r}")
    return Sha1Claim("hex", value.lower())


def content_length(request: Request, limit: int) -> int:
    """The request's Content-Length, required and at most ``limit``.

    Raises:
        ApiError: 400 when missing (chunked bodies are refused), malformed or too big.
    """
    raw = request.headers.get("content-length")
    if raw is None:
        raise bad_request("Content-Length header is required (chunked uploads are not supported)")
    try:
        length = int(raw)
    except ValueError:
        raise bad_request(f"bad Content-Length {raw!r}") from None
    if length < 0 or length > limit:
        raise bad_request(f"Content-Length {length} is out of range (limit {limit})")
    return length


async def receive(request: Request, blobs: BlobStore, length: int, claim: Sha1Claim) -> Received:
    """Stream the body into a new blob, hashing as it arrives, and verify it.

    Raises:
        ApiError: 400 on a short body or a SHA1 mismatch.
        starlette.requests.ClientDisconnect: when the client goes away.
    """
    tail_size = 40 if claim.mode == HEX_AT_END else 0
    payload_size = length - tail_size
    if payload_size < 0:
        raise bad_request("body is shorter than the 40 hex digits it must end with")
    writer = blobs.writer()
    hasher = hashlib.sha1(usedforsecurity=False)
    tail = bytearray()
    position = 0
    try:
        async for chunk in request.stream():
            if not chunk:
                continue
            keep = payload_size - position
            position += len(chunk)
            if keep >= len(chunk):
                hasher.update(chunk)
                writer.write(chunk)
            else:
                if keep > 0:
                    hasher.update(chunk[:keep])
                    writer.write(chunk[:keep])
                tail += chunk[max(keep, 0) :]
        actual = hasher.hexdigest()
        _verify(claim, actual, bytes(tail), position, length)
        blob = writer.commit()
    except BaseException:
        writer.abort()
        raise
    sha1 = f"unverified:{actual}" if claim.mode == DO_NOT_VERIFY else actual
    return Received(blob, payload_size, sha1)


def _verify(claim: Sha1Claim, actual: str, tail: bytes, received: int, length: int) -> None:
    if received != length:
        raise bad_request(f"body has {received} bytes but Content-Length is {length}")
    if claim.mode == HEX_AT_END:
        expected = tail.decode("ascii", errors="replace").lower()
        if not _SHA1.fullmatch(expected):
            raise bad_request("the last 40 bytes of the body are not a hex SHA1")
    elif claim.mode == "hex":
        expected = claim.expected or ""
    else:
        return
    if expected != actual:
        raise bad_request(f"Sha1 did not match data received; expected {expected}, got {actual}")
