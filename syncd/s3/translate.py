"""S3 error answers and transport failures -> syncd's one error tree.

Imports ``syncd.errors`` only. S3's codes are mapped once here (``raw`` raises what
this returns): SlowDown and 503 back off honouring Retry-After, a 403 for clock skew
names the skew, AccessDenied and bad signatures are fatal (the key is wrong), the
missing bucket is a config problem, the missing key or version is per job.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from syncd.clock import parse_retry_after
from syncd.errors import (
    AuthRejectedError,
    ConfigError,
    RateLimitedError,
    RemoteBadRequestError,
    RemoteConflictError,
    RemoteError,
    RemoteNotFoundError,
    RemoteProtocolError,
    RemoteTransientError,
)

AMZ_DATE = "%Y%m%dT%H%M%SZ"


def _skew_message(request_time: str | None, server_time: str | None, message: str) -> str:
    try:
        asked = datetime.strptime(request_time or "", AMZ_DATE).replace(tzinfo=UTC)
        told = datetime.strptime(server_time or "", AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        return f"the S3 server refused this machine's clock: {message}"
    skew = (asked - told).total_seconds()
    side = "ahead of" if skew > 0 else "behind"
    return (
        f"this machine's clock is {abs(skew):.0f} s {side} the S3 server's "
        f"(request time {request_time}, server time {server_time}); fix the clock (NTP)"
    )


def s3_error(
    status: int,
    code: str,
    message: str,
    *,
    retry_after: str | None = None,
    extra: dict[str, str] | None = None,
    now_ms: int | None = None,
) -> RemoteError | ConfigError:
    """The syncd error for an S3 error answer."""
    extra = extra or {}
    text = f"{code or status}: {message}"
    wait = parse_retry_after(retry_after, int(time.time() * 1000) if now_ms is None else now_ms)
    if code == "SlowDown" or status == 429:
        return RateLimitedError(text, status=status, code=code, retry_after_s=wait)
    if status >= 500 or status == 408 or code in ("RequestTimeout", "InternalError"):
        return RemoteTransientError(text, status=status, code=code, retry_after_s=wait)
    if code == "RequestTimeTooSkewed":
        skew = _skew_message(extra.get("RequestTime"), extra.get("ServerTime"), message)
        return AuthRejectedError(skew, status=status, code=code)
    if code == "NoSuchBucket":
        return ConfigError(f"the bucket {extra.get('BucketName', '')!r} does not exist ({code})")
    if status in (401, 403):
        return AuthRejectedError(text, status=status, code=code)
    if status == 404:
        return RemoteNotFoundError(text, status=status, code=code)
    if status in (409, 412):
        return RemoteConflictError(text, status=status, code=code)
    if 400 <= status < 500:
        return RemoteBadRequestError(text, status=status, code=code)
    return RemoteProtocolError(text, status=status, code=code or "unexpected_status")
