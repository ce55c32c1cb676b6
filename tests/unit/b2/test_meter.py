"""The HTTP-seam meter: call names and classes, and the shared bandwidth limiter."""

from __future__ import annotations

import threading

import httpx

from syncd.b2.bandwidth import BandwidthLimiter
from syncd.b2.billing import price_class
from syncd.b2.meter import CallMeter, MeteredTransport, call_name
from syncd.config.bandwidth import parse_bandwidth
from tests.support.fake_clock import FakeClock


def test_call_names_come_from_the_url() -> None:
    """API paths, upload URLs with a target, and /file/ downloads are named."""
    assert call_name(httpx.URL("https://a.test/b2api/v4/b2_list_buckets")) == "list_buckets"
    assert call_name(httpx.URL("https://p.test/b2api/v4/b2_upload_file/bid/x")) == "upload_file"
    assert call_name(httpx.URL("https://f.test/file/bucket/a/b.txt")) == "download_file_by_name"
    assert call_name(httpx.URL("https://a.test/elsewhere")) == "other"
    assert (price_class("upload_file"), price_class("get_file_info")) == ("A", "B")
    assert price_class("list_file_versions") == "C"


def limiter_at(text: str, clock: FakeClock, minute: int = 600) -> BandwidthLimiter:
    """A limiter on ``text`` whose local time of day is ``minute``."""
    return BandwidthLimiter(
        parse_bandwidth(text), clock, threading.Event(), minute_of_day=lambda _ms: minute
    )


def test_bucket_holds_senders_to_the_rate() -> None:
    """After the one-second burst, 300 kB at 100 kB/s waits about 2 s in total."""
    clock = FakeClock()
    limiter = limiter_at("100000B", clock)
    sent = sum(len(p) for p in limiter.paced("up", iter([b"x" * 150_000, b"y" * 150_000])))
    bucket = limiter.bucket("up")
    assert sent == 300_000
    assert bucket is not None
    assert abs(bucket.waited_s - 2.0) < 0.01
    assert abs(sum(clock.waits) - 2.0) < 0.01
    assert max(clock.waits) <= 16 * 1024 / 100_000 + 0.001  # one slice at a time: smooth


def test_transport_counts_calls_by_class_and_paces_only_file_bodies() -> None:
    """Every request is counted; upload bodies and download answers go through the limiter."""
    clock = FakeClock()
    limiter = limiter_at("10000B", clock)
    meter = CallMeter()
    seen: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(len(request.read()))
        if "download" in request.url.path or request.url.path.startswith("/file/"):
            return httpx.Response(200, content=iter([b"d" * 30_000]))
        return httpx.Response(200, json={})

    transport = MeteredTransport(httpx.MockTransport(answer), meter, limiter)
    with httpx.Client(transport=transport) as http:
        http.post("https://p.test/b2api/v4/b2_upload_file/b/x", content=iter([b"z" * 30_000]))
        http.post("https://a.test/b2api/v4/b2_list_file_names", content=b"{}" * 20_000)
        up = limiter.bucket("up")
        assert up is not None
        assert abs(up.waited_s - 2.0) < 0.01  # the 40 kB listing body was not paced
        got = http.get("https://f.test/file/bucket/a.bin").content
    down = limiter.bucket("down")
    assert (seen, len(got)) == ([30_000, 40_000, 0], 30_000)
    assert down is not None
    assert abs(down.waited_s - 2.0) < 0.01  # its own bucket: 30 kB at 10 kB/s, 1 s burst
    assert meter.by_class() == {"A": 1, "B": 1, "C": 1}
