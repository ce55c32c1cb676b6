"""The user's pause (``syncd pause``): whether the worker pool may start new jobs.

Imports the journal adapter and the clock. The pause is stored per folder in the
journal (``folder_state.paused_until_ms``), so it survives a restart and reaches the
daemon from another process; the gate reads it at most once per ``REFRESH_S``. The
pool is held while every one of its folders is paused: jobs already running finish,
the watcher and rescans keep recording, nothing new is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Collection

import structlog

from syncd.clock import Clock
from syncd.journal import Journal

log = structlog.get_logger(__name__)
REFRESH_S = 1.0


class PauseGate:
    """``held()`` is True while ``syncd pause`` holds every folder of the pool."""

    def __init__(self, journal: Journal, folders: Collection[str], clock: Clock) -> None:
        """``folders`` is read at every check (the app fills its folders at start)."""
        self._journal = journal
        self._folders = folders
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_s = float("-inf")
        self._held = False

    def held(self) -> bool:
        """True while paused (re-read from the journal at most once per REFRESH_S)."""
        with self._lock:
            now_s = self._clock.monotonic()
            if now_s - self._checked_s < REFRESH_S:
                return self._held
            self._checked_s = now_s
            now_ms = self._clock.now_ms()
            until = [self._journal.state.paused_until(name) for name in list(self._folders)]
            held = bool(until) and all(u > now_ms for u in until)
            if held != self._held:
                if held:
                    log.info("uploads_paused", until_ms=min(until))
                else:
                    log.info("uploads_resumed")
            self._held = held
            return held
