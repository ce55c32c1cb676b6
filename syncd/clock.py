"""The clock seam: wall time in ms, monotonic time, and interruptible waits.

Imports nothing from syncd. Loops wait with ``clock.wait(timeout_s, stop)``, never
``time.sleep``, so a stop Event ends them at once and tests can drive time.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


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
