"""Receiving upload bodies: hash and store them as they stream in, then verify the SHA1.

``X-Bz-Content-Sha1`` may be 40 hex digits, ``hex_digits_at_end`` (the body carries the
SHA1 as its last 40 bytes, which are not content) or ``do_not_verify`` (stored as
``unverified:<sha1>``). Content-Length is required. The event loop only collects
chunks; every 1 MiB the collected bytes are hashed and written (on a worker thread for
disk stores, overlapping with receiving the next MiB), so no body is ever held whole in
memory in disk mode. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass

from starlette.requests import Request

from syncd.emulator.blobs import BlobStore, BlobWriter
from syncd.emulator.problem import bad_request

HEX_AT_END = "hex_digits_at_end"
DO_NOT_VERIFY = "do_not_verify"
FLUSH_BYTES = 1 << 20
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


class _Sink:
    """Hashes and writes pieces of the payload; runs inline or on a worker thread."""

    def __init__(self, writer: BlobWriter) -> None:
        self.writer = writer
        self.hasher = hashlib.sha1(usedforsecurity=False)

    def feed(self, pieces: list[bytes]) -> None:
        for piece in pieces:
            self.hasher.update(piece)
            self.writer.write(piece)

    def close(
        self, pieces: list[bytes], claim: Sha1Claim, tail: bytes, received: int, length: int
    ) -> str:
        """Feed the rest, verify, commit; return the blob id."""
        self.feed(pieces)
        _verify(claim, self.hasher.hexdigest(), tail, received, length)
        return self.writer.commit()


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
    sink = _Sink(blobs.writer())
    loop = asyncio.get_running_loop()
    pieces: list[bytes] = []
    pending = 0
    tail = b""
    position = 0
    flushing: asyncio.Future[None] | None = None
    try:
        async for received in request.stream():
            keep = payload_size - position
            position += len(received)
            chunk = received
            if keep < len(received):  # the body ends with (part of) the 40 hex digits
                tail += received[max(keep, 0) :]
                chunk = received[: max(keep, 0)]
            if chunk:
                pieces.append(chunk)
                pending += len(chunk)
            if pending >= FLUSH_BYTES:
                batch, pieces, pending = pieces, [], 0
                if not blobs.blocking:
                    sink.feed(batch)
                    continue
                if flushing is not None:
                    await flushing
                flushing = loop.run_in_executor(None, sink.feed, batch)
        if flushing is not None:
            await flushing
        if blobs.blocking:
            blob = await loop.run_in_executor(
                None, sink.close, pieces, claim, tail, position, length
            )
        else:
            blob = sink.close(pieces, claim, tail, position, length)
    except BaseException:
        if flushing is not None and not flushing.done():
            await asyncio.shield(flushing)
        sink.writer.abort()
        raise
    sha1 = sink.hasher.hexdigest()
    return Received(
        blob, payload_size, f"unverified:{sha1}" if claim.mode == DO_NOT_VERIFY else sha1
    )


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
