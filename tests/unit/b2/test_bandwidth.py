"""The bandwidth limiter: the rate for "now" from the timetable on an injected clock, a
new schedule applied in place, and which requests carry file bodies."""

from __future__ import annotations

import threading

import httpx
from structlog.testing import capture_logs

from syncd.b2.bandwidth import CHECK_S, BandwidthLimiter
from syncd.b2.meter import direction
from syncd.config.bandwidth import Rate, parse_bandwidth
from tests.support.fake_clock import FakeClock

M = 1024**2


def test_the_timetable_follows_the_clock() -> None:
    """At 07:59 unlimited, at 08:00 2M both ways, at 19:00 off again (looked at per CHECK_S)."""
    clock = FakeClock()
    start_ms = clock.now_ms()
    minute = {"at": 7 * 60 + 59}
    limiter = BandwidthLimiter(
        parse_bandwidth("08:00,2M 19:00,off"),
        clock,
        threading.Event(),
        minute_of_day=lambda ms: minute["at"] + (ms - start_ms) // 60_000,
    )
    assert limiter.rate() == Rate()
    assert limiter.bucket("up") is None
    clock.advance(60_000)
    with capture_logs() as logs:
        assert limiter.rate() == Rate(up=2 * M, down=2 * M)
    assert [e["event"] for e in logs] == ["bandwidth_limit_changed"]
    bucket = limiter.bucket("down")
    assert bucket is not None
    assert bucket.rate == 2 * M
    clock.advance(11 * 3_600_000)
    assert limiter.rate() == Rate()
    assert limiter.bucket("down") is None


def test_a_new_schedule_applies_at_once_to_the_same_bucket() -> None:
    """set_schedule (SIGHUP) changes the rate without waiting for CHECK_S; the bucket stays."""
    clock = FakeClock()
    limiter = BandwidthLimiter(
        parse_bandwidth("8M"), clock, threading.Event(), minute_of_day=lambda _ms: 0
    )
    before = limiter.bucket("up")
    clock.advance(int(CHECK_S * 1000) // 10)
    with capture_logs() as logs:
        limiter.set_schedule(parse_bandwidth("200K:off"))
    assert [e["event"] for e in logs] == ["bandwidth_limit_set", "bandwidth_limit_changed"]
    assert logs[0]["limit"] == "200K:off"
    assert limiter.rate() == Rate(up=200 * 1024, down=None)
    assert limiter.bucket("up") is before
    assert before is not None
    assert before.rate == 200 * 1024


def test_which_requests_carry_file_bodies() -> None:
    """Native uploads/downloads by name; S3 streamed PUTs and version GETs; nothing else."""

    def req(method: str, url: str, content: object = b"") -> httpx.Request:
        if isinstance(content, bytes):
            return httpx.Request(method, url, content=content)
        return httpx.Request(method, url, content=iter([b"x"]))

    cases = [
        (req("POST", "https://p/b2api/v3/b2_upload_part/x", iter([b"x"])), "upload_part", "up"),
        (req("GET", "https://f/b2api/v3/b2_download_file_by_id?fileId=1"),
         "download_file_by_id", "down"),
        (req("POST", "https://a/b2api/v3/b2_list_file_names"), "list_file_names", None),
        (req("PUT", "https://s3/bucket/key", iter([b"x"])), "other", "up"),
        (req("PUT", "https://s3/bucket/key"), "other", None),  # a copy: no body
        (req("GET", "https://s3/bucket/key?versionId=v1"), "other", "down"),
        (req("GET", "https://s3/bucket?versions=&prefix=a"), "other", None),
    ]  # fmt: skip
    assert [direction(r, name) for r, name, _ in cases] == [want for _, _, want in cases]
