"""The emulator's SigV4 check on raw requests: payload hashes, presigned URLs, headers."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from syncd.emulator import EmulatorServer

REGION = "us-west-004"


def _signed(server: EmulatorServer, method: str, path: str, body: bytes, claimed: bytes) -> Any:
    request = AWSRequest(method=method, url=f"{server.s3_url}{path}", data=claimed)
    S3SigV4Auth(Credentials(server.key_id, server.key), "s3", REGION).add_auth(request)
    return httpx.request(method, request.url, headers=dict(request.headers), content=body)


def test_signed_payload_must_match_the_body(s3_server: EmulatorServer) -> None:
    """A body other than the one whose SHA-256 was signed is refused and not stored."""
    reply = _signed(s3_server, "PUT", "/test-bucket/k", b"actual", b"claimed")
    assert reply.status_code == 400
    assert "<Code>XAmzContentSHA256Mismatch</Code>" in reply.text
    listing = _signed(s3_server, "GET", "/test-bucket?list-type=2", b"", b"")
    assert "<Key>" not in listing.text


def test_signed_payload_that_matches_is_stored(s3_server: EmulatorServer) -> None:
    """The same request with the matching body is stored; its ETag is the body's MD5."""
    reply = _signed(s3_server, "PUT", "/test-bucket/k", b"actual", b"actual")
    assert reply.status_code == 200
    assert reply.headers["etag"] == f'"{hashlib.md5(b"actual").hexdigest()}"'


def test_presigned_urls_are_refused(s3_server: EmulatorServer) -> None:
    """Query-string authentication (presigned URLs) answers AccessDenied."""
    request = AWSRequest(method="GET", url=f"{s3_server.s3_url}/test-bucket/k")
    S3SigV4QueryAuth(Credentials(s3_server.key_id, s3_server.key), "s3", REGION).add_auth(request)
    reply = httpx.get(request.url)
    assert reply.status_code == 403
    assert "<Code>AccessDenied</Code>" in reply.text


def test_unsigned_requests_are_refused(s3_server: EmulatorServer) -> None:
    """A request without Authorization is AccessDenied (no anonymous access)."""
    reply = httpx.get(f"{s3_server.s3_url}/test-bucket?list-type=2")
    assert reply.status_code == 403
    assert "<Code>AccessDenied</Code>" in reply.text
