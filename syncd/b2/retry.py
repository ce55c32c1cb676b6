"""How long to wait before trying again, and one shared pacer per request class.

Imports ``syncd.errors`` and ``syncd.clock``. :class:`RetryPolicy` is pure arithmetic
(exponential backoff with full jitter from an injected ``random.Random``, capped;
``Retry-After`` wins when the server sent one, on 429 *and* 503). :class:`Pacer`
makes a ``Retry-After`` binding for every thread: after a server asked for a pause,
no request of that class leaves before the allowed moment (reliability.md B3).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

import structlog

from syncd.clock import Clock, backoff_s
from syncd.errors import RateLimitedError, RemoteError

log = structlog.get_logger(__name__)

# A 429/503 whose Retry-After is missing or unreadable still waits at least this long.
MIN_THROTTLE_WAIT_S = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait ``uniform(0, min(cap, base·2^(n-1)))``."""

    max_attempts: int
    base_s: float
    cap_s: float
    rng: random.Random
    retry_after_cap_s: float = 300.0

    def allows(self, attempt: int) -> bool:
        """True while failed attempt ``attempt`` (1-based) may be followed by another."""
        return attempt < self.max_attempts

    def backoff_s(self, attempt: int) -> float:
        """The jittered backoff after failed attempt ``attempt`` (1-based)."""
        return backoff_s(attempt, base_s=self.base_s, cap_s=self.cap_s, rng=self.rng)

    def delay_s(self, attempt: int, error: RemoteError) -> float:
        """How long to wait after ``error`` ended attempt ``attempt``.

        A server-given ``retry_after_s`` is honoured (capped); a throttle without a
        usable one waits at least ``MIN_THROTTLE_WAIT_S``.
        """
        if error.retry_after_s is not None:
            return min(max(0.0, error.retry_after_s), self.retry_after_cap_s)
        delay = self.backoff_s(attempt)
        if isinstance(error, RateLimitedError) or error.status == 503:
            delay = max(delay, min(MIN_THROTTLE_WAIT_S, self.cap_s))
        return delay


class Pacer:
    """Holds every request of a class until the latest ``Retry-After`` has passed.

    Times are on the monotonic clock; ``block`` only ever moves a deadline later.
    """

    def __init__(self, clock: Clock, stop: threading.Event) -> None:
        self._clock = clock
        self._stop = stop
        self._lock = threading.Lock()
        self._not_before: dict[str, float] = {}

    def block(self, kind: str, delay_s: float) -> None:
        """No ``kind`` request may start within ``delay_s`` seconds from now."""
        until = self._clock.monotonic() + delay_s
        with self._lock:
            if until > self._not_before.get(kind, 0.0):
                self._not_before[kind] = until
        log.info("requests_paused", request_class=kind, pause_s=round(delay_s, 3))

    def wait_turn(self, kind: str) -> bool:
        """Wait until ``kind`` requests may go; False if the stop event ended the wait."""
        while True:
            with self._lock:
                until = self._not_before.get(kind, 0.0)
            remaining = until - self._clock.monotonic()
            if remaining <= 0:
                return True
            if self._clock.wait(remaining, self._stop):
                return False
