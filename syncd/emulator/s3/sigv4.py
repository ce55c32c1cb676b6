"""Checking an S3 request's AWS Signature Version 4 against the emulator's keys.

The canonical request, string to sign and signature come from botocore's own signer
(``botocore.auth.S3SigV4Auth``), fed the received request: its method, the path as
sent, the decoded query, only the headers the client signed, and the timestamp and
scope the client claimed. So the emulator never carries hand-written SigV4 crypto, and
shares no code with syncd's client (which signs with botocore too, through its own
adapter). Presigned URLs (query-string auth) are refused. Imports nothing from syncd
outside the emulator.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from syncd.emulator.models import AppKey
from syncd.emulator.s3.errors import S3Error
from syncd.emulator.state import EmulatorState

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_MS = 15 * 60 * 1000
AMZ_DATE = "%Y%m%dT%H%M%SZ"
_FIELD = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")


@dataclass(frozen=True, slots=True)
class Signed:
    """A request whose signature checked out: the key, and the body hash it claims."""

    key: AppKey
    content_sha256: str
    region: str


@dataclass(frozen=True, slots=True)
class Received:
    """What the signature covers, as it came off the wire."""

    method: str
    raw_path: str  # percent-encoded, as sent
    query: str
    headers: list[tuple[str, str]]  # lower-cased names


def _header(received: Received, name: str) -> str | None:
    values = [v for k, v in received.headers if k == name]
    return ",".join(values) if values else None


def _parse_authorization(value: str) -> tuple[list[str], list[str], str]:
    if not value.startswith(ALGORITHM + " "):
        raise S3Error(400, "InvalidRequest", f"Authorization must use {ALGORITHM}")
    fields = dict(_FIELD.findall(value))
    try:
        scope = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except KeyError:
        raise S3Error(
            400, "AuthorizationHeaderMalformed", "the Authorization header is malformed"
        ) from None
    if len(scope) != 5 or scope[3] != "s3" or scope[4] != "aws4_request":
        raise S3Error(
            400, "AuthorizationHeaderMalformed", f"bad credential scope {'/'.join(scope[1:])}"
        )
    return scope, signed, signature


def _timestamp(received: Received, now_ms: int) -> str:
    stamp = _header(received, "x-amz-date")
    if stamp is None:
        raise S3Error(403, "AccessDenied", "AWS authentication requires a valid X-Amz-Date header")
    try:
        when = datetime.strptime(stamp, AMZ_DATE).replace(tzinfo=UTC)
        when_ms = int(when.timestamp()) * 1000
    except ValueError:
        raise S3Error(403, "AccessDenied", f"X-Amz-Date {stamp!r} is not {AMZ_DATE}") from None
    skew_ms = when_ms - now_ms
    if abs(skew_ms) > MAX_SKEW_MS:
        server = datetime.fromtimestamp(now_ms / 1000, tz=UTC).strftime(AMZ_DATE)
        raise S3Error(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            extra={
                "RequestTime": stamp,
                "ServerTime": server,
                "MaxAllowedSkewMilliseconds": str(MAX_SKEW_MS),
            },
        )
    return stamp


class _Replay(S3SigV4Auth):  # type: ignore[misc]
    """botocore's S3 signer, told exactly which headers the client signed (the stock
    signer picks them itself and leaves out a few, such as User-Agent)."""

    def __init__(self, credentials: Credentials, region: str, signed: list[str]) -> None:
        super().__init__(credentials, "s3", region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        """The signed headers, as received."""
        chosen = HTTPHeaders()
        for name in self._signed:
            chosen[name] = request.headers[name]
        return chosen


def verify(state: EmulatorState, received: Received) -> Signed:
    """The key that signed ``received``.

    Raises:
        S3Error: AccessDenied, InvalidAccessKeyId, RequestTimeTooSkewed,
            SignatureDoesNotMatch or a malformed-header error.
    """
    if "X-Amz-Signature=" in received.query or "Signature=" in received.query:
        raise S3Error(403, "AccessDenied", "presigned URLs are not supported by the emulator")
    authorization = _header(received, "authorization")
    if authorization is None:
        raise S3Error(403, "AccessDenied", "Access Denied (anonymous requests are refused)")
    scope, signed_headers, signature = _parse_authorization(authorization)
    key = state.keys.get(scope[0])
    if key is None:
        raise S3Error(403, "InvalidAccessKeyId", "The access key Id you provided does not exist.")
    now = state.now_ms()
    if key.expires_ms is not None and key.expires_ms <= now:
        raise S3Error(403, "AccessDenied", "the application key has expired")
    stamp = _timestamp(received, now)
    if stamp[:8] != scope[1]:
        raise S3Error(
            400, "AuthorizationHeaderMalformed", "the credential date is not the request date"
        )
    content_sha256 = _header(received, "x-amz-content-sha256")
    if content_sha256 is None:
        raise S3Error(400, "InvalidRequest", "Missing required header: x-amz-content-sha256")
    headers = {}
    for name in signed_headers:
        value = _header(received, name)
        if value is None:
            raise S3Error(403, "SignatureDoesNotMatch", f"signed header {name!r} is missing")
        headers[name] = value
    request = AWSRequest(
        method=received.method, url=f"http://emulator{received.raw_path}", headers=headers
    )
    request.params = parse_qsl(received.query, keep_blank_values=True)
    if "x-amz-content-sha256" not in headers:
        request.headers["X-Amz-Content-SHA256"] = content_sha256
    request.context["timestamp"] = stamp
    signer = _Replay(Credentials(key.key_id, key.secret), scope[2], signed_headers)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signature):
        raise S3Error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            extra={"CanonicalRequest": canonical},
        )
    return Signed(key=key, content_sha256=content_sha256, region=scope[2])
