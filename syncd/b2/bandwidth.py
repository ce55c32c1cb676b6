"""The bandwidth limit every transfer of this process keeps to (``[b2] bandwidth_limit``).

Imports ``syncd.config`` (the schedule), the clock and the meter's ``TokenBucket``. One
``BandwidthLimiter`` is shared by every worker, every part of a large file, restores
and remote-wins downloads: one token bucket per direction. The rate comes from the
schedule for the local time now, looked up at most once per ``CHECK_S`` on the
injected clock; ``set_schedule`` swaps the schedule (SIGHUP) without a restart, and the
next slice of every transfer under way keeps to the new rate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Literal

import structlog

from syncd.b2.meter import SLICES_PER_S, TokenBucket
from syncd.clock import Clock
from syncd.config.bandwidth import BandwidthSchedule, Rate

log = structlog.get_logger(__name__)
CHECK_S = 1.0  # how often the timetable is looked at
Direction = Literal["up", "down"]


def local_minute_of_day(now_ms: int) -> int:
    """The minute of the day (0-1439) of ``now_ms`` in this machine's local time."""
    local = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone()
    return local.hour * 60 + local.minute


class BandwidthLimiter:
    """Rates by time of day for uploads and downloads, shared by every thread."""

    def __init__(
        self,
        schedule: BandwidthSchedule,
        clock: Clock,
        stop: threading.Event,
        *,
        minute_of_day: Callable[[int], int] = local_minute_of_day,
    ) -> None:
        """``minute_of_day`` maps the clock's epoch ms to local minutes (tests fix it)."""
        self._clock = clock
        self._stop = stop
        self._minute_of_day = minute_of_day
        self._lock = threading.Lock()
        self._schedule = schedule
        self._checked_s = float("-inf")
        self._rate = Rate()
        self._buckets: dict[Direction, TokenBucket | None] = {"up": None, "down": None}

    @property
    def schedule(self) -> BandwidthSchedule:
        """The schedule in force."""
        return self._schedule

    def set_schedule(self, schedule: BandwidthSchedule) -> None:
        """Use ``schedule`` from now on (a reload); logs ``bandwidth_limit_set``."""
        with self._lock:
            self._schedule = schedule
            self._checked_s = float("-inf")  # look at the new timetable at once
        log.info("bandwidth_limit_set", limit=schedule.text or "off")
        self.rate()

    def rate(self) -> Rate:
        """The rates in force now (looked up at most once per CHECK_S)."""
        with self._lock:
            now_s = self._clock.monotonic()
            if now_s - self._checked_s >= CHECK_S:
                self._checked_s = now_s
                self._apply(self._schedule.rate_at(self._minute_of_day(self._clock.now_ms())))
            return self._rate

    def _apply(self, rate: Rate) -> None:
        if rate == self._rate:
            return
        pairs: tuple[tuple[Direction, int | None], ...] = (("up", rate.up), ("down", rate.down))
        for direction, limit in pairs:
            bucket = self._buckets[direction]
            if limit is None:
                self._buckets[direction] = None
            elif bucket is None:
                self._buckets[direction] = TokenBucket(limit, self._clock, self._stop)
            else:
                bucket.set_rate(limit)
        self._rate = rate
        log.info("bandwidth_limit_changed", up_bytes_per_s=rate.up, down_bytes_per_s=rate.down)

    def bucket(self, direction: Direction) -> TokenBucket | None:
        """The direction's bucket now; None while it has no limit."""
        self.rate()
        return self._buckets[direction]

    def paced(self, direction: Direction, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """``chunks`` re-cut into slices of at most 1/SLICES_PER_S s of the rate and
        released at the rate in force when each slice goes (unlimited: as they come)."""
        for chunk in chunks:
            view = memoryview(chunk)
            start = 0
            while start < len(view):
                bucket = self.bucket(direction)
                if bucket is None:
                    whole = start == 0 and isinstance(chunk, bytes)
                    yield chunk if whole else bytes(view[start:])  # no copy when unlimited
                    break
                step = max(16 * 1024, bucket.rate // SLICES_PER_S)
                piece = view[start : start + step]
                bucket.take(len(piece))
                yield bytes(piece)
                start += step
