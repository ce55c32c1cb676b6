"""The HTTP seam's meter: B2 calls counted by name and transaction class, and the upload
bandwidth limit (``[b2] max_upload_bytes_per_s``), both in one httpx transport wrapper.

Classes come from ``syncd.b2.billing`` (the one price-class table). ``MeteredTransport``
wraps the transport every B2 request goes through, so the count covers every call and
the limit every byte any worker sends: one ``TokenBucket`` is shared by all workers and
all parts of large files. Only upload bodies (``b2_upload_file``, ``b2_upload_part``)
are paced; they are cut into slices of at most 1/20 s of the rate, so the pace is smooth
and every slice still counts as progress for the pool's health check.

The counts are of this process only (for metrics); the journal keeps the per-day
counts that survive a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx

from syncd.b2.billing import price_class
from syncd.clock import Clock

_UPLOADS = frozenset({"upload_file", "upload_part"})
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

    def paced(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """``chunks`` re-cut into slices and released at the rate."""
        step = max(16 * 1024, self.rate // SLICES_PER_S)
        for chunk in chunks:
            view = memoryview(chunk)
            for start in range(0, len(view), step):
                piece = view[start : start + step]
                self.take(len(piece))
                yield bytes(piece)


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


class _PacedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, bucket: TokenBucket) -> None:
        self._inner = inner
        self._bucket = bucket

    def __iter__(self) -> Iterator[bytes]:
        return self._bucket.paced(iter(self._inner))

    def close(self) -> None:
        self._inner.close()


class MeteredTransport(httpx.BaseTransport):
    """Counts every request's B2 call; paces upload bodies through ``bucket``."""

    def __init__(
        self, inner: httpx.BaseTransport, meter: CallMeter, bucket: TokenBucket | None
    ) -> None:
        self._inner = inner
        self._meter = meter
        self._bucket = bucket

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Count, pace if an upload, and pass the request on."""
        name = call_name(request.url)
        self._meter.count(name)
        stream = request.stream
        if (
            self._bucket is not None
            and name in _UPLOADS
            and isinstance(stream, httpx.SyncByteStream)
        ):
            request.stream = _PacedStream(stream, self._bucket)
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
