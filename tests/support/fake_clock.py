"""The one manual clock for unit tests: time moves only when a test (or a ``wait``) says."""

from __future__ import annotations

import threading

START_MS = 1_700_000_000_000


class FakeClock:
    """Implements ``syncd.clock.Clock``; ``wait`` jumps ahead instead of sleeping.

    Wall time (``now_ms``) and monotonic time move together under ``advance`` and
    ``wait``; ``step_wall`` and ``step_monotonic`` move one alone (a clock jump, a
    suspended machine). Every ``wait`` is recorded in ``waits``.
    """

    def __init__(self, start_ms: int = START_MS) -> None:
        self._wall_ms = start_ms
        self._mono_s = start_ms / 1000
        self._lock = threading.Lock()
        self.waits: list[float] = []

    def now_ms(self) -> int:
        """The current fake wall time."""
        with self._lock:
            return self._wall_ms

    def monotonic(self) -> float:
        """The current fake monotonic seconds."""
        with self._lock:
            return self._mono_s

    def wait(self, timeout_s: float, stop: threading.Event | None = None) -> bool:
        """Record the wait and jump ahead instead of sleeping; True if ``stop`` is set."""
        with self._lock:
            self.waits.append(timeout_s)
            self._mono_s += max(0.0, timeout_s)
            self._wall_ms += int(max(0.0, timeout_s) * 1000)
        return stop is not None and stop.is_set()

    def advance(self, ms: int) -> None:
        """Move both clocks forward by ``ms``."""
        with self._lock:
            self._wall_ms += ms
            self._mono_s += ms / 1000

    def step_wall(self, ms: int) -> None:
        """Move the wall clock alone (forward or back), as NTP or a user might."""
        with self._lock:
            self._wall_ms += ms

    def set_wall_ms(self, wall_ms: int) -> None:
        """Set the wall clock alone to ``wall_ms``."""
        with self._lock:
            self._wall_ms = wall_ms

    def step_monotonic(self, seconds: float) -> None:
        """Move the monotonic clock alone."""
        with self._lock:
            self._mono_s += seconds
