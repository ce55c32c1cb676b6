"""How a failing sink is told: at its first failure (with the traceback), then at most
once a minute, and once when it recovers, so a full journal disk does not turn every
100 ms flush into a log line."""

from __future__ import annotations

import structlog

from syncd.clock import Clock

log = structlog.get_logger(__name__)
REPEAT_S = 60.0


class SinkFailures:
    """The failing/recovered state of the watcher's sink, and its log lines."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._since: float | None = None  # monotonic s when the sink began failing
        self._logged = 0.0

    def failed(self, exc: Exception, hints: int) -> None:
        """The sink raised ``exc`` with ``hints`` hints waiting (call inside ``except``)."""
        now = self._clock.monotonic()
        if self._since is None:
            self._since = self._logged = now
            log.exception("watch_sink_failed", hints=hints)
        elif now - self._logged >= REPEAT_S:
            self._logged = now
            failing = round(now - self._since, 1)
            log.error("watch_sink_failed", hints=hints, error=str(exc), failing_s=failing)

    def succeeded(self) -> None:
        """A flush went through; say so once if the sink had been failing."""
        if self._since is not None:
            failing = round(self._clock.monotonic() - self._since, 1)
            log.info("watch_sink_recovered", failing_s=failing)
            self._since = None
