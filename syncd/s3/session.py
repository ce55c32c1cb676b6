"""S3Session: the raw calls plus retries (backoff, Retry-After, probes) and a HEAD pool.

Imports ``syncd.s3.raw``, ``syncd.clock`` and ``syncd.errors``. Only BACKOFF errors are
retried, with exponential backoff and full jitter unless the server sent Retry-After
(SlowDown, 503). After an ``AmbiguousOutcomeError`` a call with a ``probe`` asks the
store first, and takes what it finds instead of sending again (no duplicate version).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import structlog

from syncd.billing import CallCounter
from syncd.clock import RETRY_AFTER_CAP_S, Clock, backoff_s
from syncd.errors import AmbiguousOutcomeError, RateLimitedError, Recovery, RemoteError
from syncd.s3.raw import RawS3

log = structlog.get_logger(__name__)
T = TypeVar("T")
# B2's price classes for its S3 calls: uploads and deletes are A (free), reads B, the rest C
PRICE_CLASS = {
    "put_object": "A",
    "upload_part": "A",
    "create_multipart_upload": "A",
    "complete_multipart_upload": "A",
    "abort_multipart_upload": "A",
    "delete_object": "A",
    "get_object": "B",
    "head_object": "B",
}
MIN_THROTTLE_WAIT_S = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """How many attempts, and how long between them."""

    max_attempts: int
    base_s: float
    cap_s: float


class S3Session:
    """Raw S3 calls with retries; thread-safe."""

    def __init__(
        self,
        raw: RawS3,
        *,
        backoff: Backoff,
        clock: Clock,
        rng: random.Random,
        stop: threading.Event,
        head_threads: int,
    ) -> None:
        self.raw = raw
        self._backoff = backoff
        self._clock = clock
        self._rng = rng
        self._rng_lock = threading.Lock()
        self.stop = stop
        self.pool = ThreadPoolExecutor(max_workers=head_threads, thread_name_prefix="s3-head")
        self._calls = CallCounter(lambda op: PRICE_CLASS.get(op, "C"))

    def take_call_counts(self) -> dict[str, int]:
        """Requests sent since the last take, by B2 price class ("A", "B", "C")."""
        return self._calls.take()

    def _delay_s(self, attempt: int, error: RemoteError) -> float:
        if error.retry_after_s is not None:
            return min(max(0.0, error.retry_after_s), RETRY_AFTER_CAP_S)
        with self._rng_lock:
            delay = backoff_s(
                attempt, base_s=self._backoff.base_s, cap_s=self._backoff.cap_s, rng=self._rng
            )
        if isinstance(error, RateLimitedError) or error.status == 503:
            delay = max(delay, min(MIN_THROTTLE_WAIT_S, self._backoff.cap_s))
        return delay

    def call(
        self, op: str, fn: Callable[[], T], *, probe: Callable[[], T | None] | None = None
    ) -> T:
        """``fn()``, retried while its errors say BACKOFF and attempts remain."""
        attempt = 0
        while True:
            attempt += 1
            self._calls.add(op)
            try:
                return fn()
            except RemoteError as exc:
                if exc.recovery is not Recovery.BACKOFF or attempt >= self._backoff.max_attempts:
                    raise
                if isinstance(exc, AmbiguousOutcomeError) and probe is not None:
                    found = probe()
                    if found is not None:
                        log.info("s3_probe_found", op=op, attempt=attempt)
                        return found
                delay = self._delay_s(attempt, exc)
                log.info(
                    "s3_retry",
                    op=op,
                    attempt=attempt,
                    code=exc.code,
                    status=exc.status,
                    delay_s=round(delay, 3),
                )
                if self._clock.wait(delay, self.stop):
                    raise

    def now_ms(self) -> int:
        """This machine's clock (when the store's own time cannot be read)."""
        return self._clock.now_ms()

    def close(self) -> None:
        """Stop the HEAD pool."""
        self.pool.shutdown(wait=False, cancel_futures=True)
