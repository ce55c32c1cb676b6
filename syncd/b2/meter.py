"""The HTTP seam's meter: B2 calls counted by name and transaction class, and the
bandwidth limit (``[b2] bandwidth_limit``), both in one httpx transport wrapper.

Classes come from ``syncd.b2.billing`` (the one price-class table). ``MeteredTransport``
wraps the transport every B2 request goes through, so the count covers every call and
the limit every byte any worker sends or receives: one limiter (``bandwidth.py``, a
``TokenBucket`` per direction) is shared by all workers and all parts of large files.
Only file bodies are paced: upload bodies (``b2_upload_file``, ``b2_upload_part``; S3
PUTs with a streamed body) and download bodies (``b2_download_file_by_id``,
``/file/...``; S3 GETs of one version). They are cut into slices of at most 1/20 s of
the rate, so the pace is smooth and every slice still counts as progress for the pool's
health check.

The counts are of this process only (for metrics); the journal keeps the per-day
counts that survive a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import httpx

from syncd.b2.billing import price_class
from syncd.clock import Clock

if TYPE_CHECKING:
    from syncd.b2.bandwidth import BandwidthLimiter

_UPLOADS = frozenset({"upload_file", "upload_part"})
_DOWNLOADS = frozenset({"download_file_by_id", "download_file_by_name"})
SLICES_PER_S = 20


def call_name(url: httpx.URL) -> str:
    """The B2 call of a request URL: ``/b2api/v4/b2_list_buckets`` -> ``list_buckets``;
    ``/file/bucket/name`` -> ``download_file_by_name``."""
    parts = url.path.split("/")
    if len(parts) > 3 and parts[1] == "b2api" and parts[3].startswith("b2_"):
        return parts[3].removeprefix("b2_")
    if len(parts) > 1 and parts[1] == "file":
        return "download_file_by_name"
    return "other"


class TokenBucket:
    """A rate limit in bytes per second, shared by threads; a one-second burst."""

    def __init__(self, rate_bytes_per_s: int, clock: Clock, stop: threading.Event) -> None:
        self.rate = rate_bytes_per_s
        self._clock = clock
        self._stop = stop
        self._lock = threading.Lock()
        self._tokens = float(rate_bytes_per_s)
        self._at = clock.monotonic()
        self.waited_s = 0.0  # total time senders were held, for tests and figures

    def set_rate(self, rate_bytes_per_s: int) -> None:
        """A new rate from now on (the burst shrinks with it; a debt is kept)."""
        with self._lock:
            self.rate = rate_bytes_per_s
            self._tokens = min(self._tokens, float(rate_bytes_per_s))

    def take(self, amount: int) -> None:
        """Take ``amount`` tokens, waiting (stoppable) when the bucket is in debt."""
        with self._lock:
            now = self._clock.monotonic()
            self._tokens = min(self.rate, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= amount
            wait_s = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait_s > 0:
            self.waited_s += wait_s
            self._clock.wait(wait_s, self._stop)


class CallMeter:
    """B2 calls of this process, by name (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}

    def count(self, name: str) -> None:
        """One more call of ``name``."""
        with self._lock:
            self._calls[name] = self._calls.get(name, 0) + 1

    def by_name(self) -> dict[str, int]:
        """Calls so far by call name."""
        with self._lock:
            return dict(self._calls)

    def by_class(self) -> dict[str, int]:
        """Calls so far by transaction class (A, B, C, other)."""
        totals: dict[str, int] = {}
        for name, n in self.by_name().items():
            cls = price_class(name) if name != "other" else "other"
            totals[cls] = totals.get(cls, 0) + n
        return totals


def direction(request: httpx.Request, name: str) -> Literal["up", "down"] | None:
    """Whether the request's body ("up") or its answer's body ("down") is file data to
    pace: native calls by name; an S3 request (no B2 call name) by its shape."""
    if name in _UPLOADS:
        return "up"
    if name in _DOWNLOADS:
        return "down"
    if name != "other":
        return None
    if request.method == "PUT" and not isinstance(request.stream, httpx.ByteStream):
        return "up"  # put_object and upload_part stream the file; a copy has no body
    if request.method == "GET" and b"versionId=" in request.url.query:
        return "down"  # get_object of one version (listings never name one)
    return None


class _PacedStream(httpx.SyncByteStream):
    def __init__(
        self, inner: httpx.SyncByteStream, limiter: BandwidthLimiter, way: Literal["up", "down"]
    ) -> None:
        self._inner = inner
        self._limiter = limiter
        self._way = way

    def __iter__(self) -> Iterator[bytes]:
        return self._limiter.paced(self._way, iter(self._inner))

    def close(self) -> None:
        self._inner.close()


class MeteredTransport(httpx.BaseTransport):
    """Counts every request's B2 call; paces file bodies through ``limiter``."""

    def __init__(
        self, inner: httpx.BaseTransport, meter: CallMeter, limiter: BandwidthLimiter | None
    ) -> None:
        self._inner = inner
        self._meter = meter
        self._limiter = limiter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Count, pace an upload's body or a download's answer, and pass the request on."""
        name = call_name(request.url)
        self._meter.count(name)
        limiter = self._limiter
        if limiter is not None and not limiter.schedule.is_limited:
            limiter = None  # no limit at any hour: bodies go as they come, unwrapped
        way = direction(request, name) if limiter is not None else None
        stream = request.stream
        if limiter is not None and way == "up" and isinstance(stream, httpx.SyncByteStream):
            request.stream = _PacedStream(stream, limiter, "up")
        response = self._inner.handle_request(request)
        body = response.stream
        if limiter is not None and way == "down" and isinstance(body, httpx.SyncByteStream):
            response.stream = _PacedStream(body, limiter, "down")
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
