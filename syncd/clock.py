"""The clock seam: wall time in ms, monotonic time, and interruptible waits.

Imports nothing from syncd. Loops wait with ``clock.wait(timeout_s, stop)``, never
``time.sleep``, so a stop Event ends them at once and tests can drive time. How long
to wait before a retry is here too (``backoff_s``): one formula for B2 calls and jobs.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import random


class Clock(Protocol):
    """What every time-dependent component takes in its constructor."""

    def now_ms(self) -> int:
        """Wall-clock time, integer ms since the Unix epoch (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; only differences mean anything."""
        ...

    def wait(self, timeout_s: float, stop: threading.Event | None = None) -> bool:
        """Sleep up to ``timeout_s``; return True early if ``stop`` is set."""
        ...


class SystemClock:
    """The real clock."""

    def now_ms(self) -> int:
        """Wall-clock time, integer ms since the Unix epoch (UTC)."""
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()

    def wait(self, timeout_s: float, stop: threading.Event | None = None) -> bool:
        """Sleep up to ``timeout_s``; return True early if ``stop`` is set."""
        if stop is None:
            time.sleep(max(0.0, timeout_s))
            return False
        return stop.wait(max(0.0, timeout_s))


def backoff_s(
    attempt: int, *, base_s: float, cap_s: float, rng: random.Random, min_share: float = 0.0
) -> float:
    """The one backoff formula: after failed attempt ``attempt`` (1-based) wait a random
    time in ``[min_share, 1] x min(cap, base * 2^(attempt-1))``.

    ``min_share=0`` is full jitter (B2 calls: many clients spread out at once);
    the worker's per-job retries use 0.5, so a failed file never comes back at once.
    """
    ceiling = min(cap_s, base_s * (2.0 ** min(max(attempt, 1) - 1, 62)))
    return rng.uniform(min_share * ceiling, ceiling)


def utc_day(now_ms: int) -> str:
    """The UTC calendar day of a time, as ``YYYY-MM-DD`` (B2 bills calls per day)."""
    return time.strftime("%Y-%m-%d", time.gmtime(now_ms // 1000))


RETRY_AFTER_CAP_S = 300.0  # the longest Retry-After any remote store is obeyed for


def parse_retry_after(value: str | None, now_ms: int) -> float | None:
    """Seconds to wait from a ``Retry-After`` value; None when absent, negative or garbage.

    Accepts delta-seconds (``"5"``, ``"0"``) and HTTP dates; caps at
    ``RETRY_AFTER_CAP_S`` so a hostile ``86400`` cannot park the daemon for a day.
    """
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if text.isdigit():
        return min(float(int(text)), RETRY_AFTER_CAP_S)
    import email.utils  # noqa: PLC0415 (HTTP dates are rare; `syncd status` starts without it)

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    delta_s = when.timestamp() - now_ms / 1000.0
    if math.isnan(delta_s):
        return None
    return min(max(0.0, delta_s), RETRY_AFTER_CAP_S)
