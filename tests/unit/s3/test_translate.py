"""S3 error answers become syncd's error classes, with the recovery each needs."""

from __future__ import annotations

import time

import pytest

from syncd.clock import parse_retry_after
from syncd.errors import (
    AuthRejectedError,
    ConfigError,
    RateLimitedError,
    Recovery,
    RemoteBadRequestError,
    RemoteNotFoundError,
    RemoteTransientError,
)
from syncd.s3.translate import s3_error


@pytest.mark.parametrize(
    ("status", "code", "kind", "recovery"),
    [
        (503, "SlowDown", RateLimitedError, Recovery.BACKOFF),
        (500, "InternalError", RemoteTransientError, Recovery.BACKOFF),
        (403, "AccessDenied", AuthRejectedError, Recovery.FATAL),
        (403, "SignatureDoesNotMatch", AuthRejectedError, Recovery.FATAL),
        (404, "NoSuchKey", RemoteNotFoundError, Recovery.PER_JOB),
        (400, "BadDigest", RemoteBadRequestError, Recovery.PER_JOB),
    ],
)
def test_codes_map_to_classes(status: int, code: str, kind: type, recovery: Recovery) -> None:
    """Each S3 code lands on its class and that class's recovery."""
    error = s3_error(status, code, "m")
    assert type(error) is kind
    assert error.recovery is recovery


def test_slow_down_carries_retry_after() -> None:
    """SlowDown's Retry-After seconds reach the error."""
    error = s3_error(503, "SlowDown", "m", retry_after="7")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after_s == 7.0


def test_clock_skew_names_the_skew() -> None:
    """RequestTimeTooSkewed says how far ahead the clock is, and what to do."""
    extra = {"RequestTime": "20261201T151000Z", "ServerTime": "20261201T150000Z"}
    error = s3_error(403, "RequestTimeTooSkewed", "m", extra=extra)
    assert isinstance(error, AuthRejectedError)
    assert "600 s ahead of" in str(error)
    assert "NTP" in str(error)


def test_missing_bucket_is_a_config_error() -> None:
    """NoSuchBucket is a configuration problem naming the bucket (exit 78)."""
    error = s3_error(404, "NoSuchBucket", "m", extra={"BucketName": "nope-bucket"})
    assert isinstance(error, ConfigError)
    assert "nope-bucket" in str(error)


def test_retry_after_forms() -> None:
    """Retry-After as seconds, as a past HTTP date, or garbage (the one shared parser)."""

    def retry_after_s(value: str) -> float | None:
        return parse_retry_after(value, int(time.time() * 1000))

    assert retry_after_s("3") == 3.0
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_s("soon") is None
