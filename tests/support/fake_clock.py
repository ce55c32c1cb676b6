"""A manual clock for unit tests: time moves only when a test (or a ``wait``) says."""

from __future__ import annotations

import threading

START_MS = 1_700_000_000_000


class FakeClock:
    """Implements ``syncd.clock.Clock``; ``wait`` jumps ahead instead of sleeping."""

    def __init__(self, start_ms: int = START_MS) -> None:
        self._ms = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """The current fake wall time."""
        with self._lock:
            return self._ms

    def monotonic(self) -> float:
        """Fake monotonic seconds, moving with ``now_ms``."""
        return self.now_ms() / 1000

    def wait(self, timeout_s: float, stop: threading.Event | None = None) -> bool:
        """Jump ahead instead of sleeping; True if ``stop`` is set."""
        self.advance(int(timeout_s * 1000))
        return stop is not None and stop.is_set()

    def advance(self, ms: int) -> None:
        """Move time forward by ``ms``."""
        with self._lock:
            self._ms += ms
