"""The user's pause (``syncd pause [FOLDER]``): which folders send nothing now.

Imports the journal adapter and the clock. The pause is stored per folder in the
journal (``folder_state.paused_until_ms``), so it survives a restart and reaches the
daemon from another process; the gate reads it at most once per ``REFRESH_S``.

The claim itself leaves a paused folder's rows alone (``Journal.claim(honour_pause=
True)``, read in the claim's own transaction, so it is never stale); the gate only lets
the pool drop jobs of a folder paused after they were claimed, and logs each change.
``held()`` (every folder paused) can hold a whole pool. Jobs already running finish; the
watcher and rescans keep recording; nothing new of a paused folder is sent.
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
    """``paused()``: the folders ``syncd pause`` holds now; ``held()``: all of them."""

    def __init__(self, journal: Journal, folders: Collection[str], clock: Clock) -> None:
        """``folders`` is read at every check (the app fills its folders at start)."""
        self._journal = journal
        self._folders = folders
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_s = float("-inf")
        self._paused: frozenset[str] = frozenset()
        self._held = False

    def held(self) -> bool:
        """True while every folder is paused (re-read at most once per REFRESH_S)."""
        with self._lock:
            self._refresh()
            return self._held

    def paused(self) -> frozenset[str]:
        """The folders paused now (re-read at most once per REFRESH_S)."""
        with self._lock:
            self._refresh()
            return self._paused

    def _refresh(self) -> None:
        now_s = self._clock.monotonic()
        if now_s - self._checked_s < REFRESH_S:
            return
        self._checked_s = now_s
        now_ms = self._clock.now_ms()
        names = list(self._folders)
        until = {name: self._journal.state.paused_until(name) for name in names}
        paused = frozenset(name for name, u in until.items() if u > now_ms)
        for name in sorted(paused - self._paused):
            log.info("folder_paused", folder=name, until_ms=until[name])
        for name in sorted(self._paused - paused):
            log.info("folder_resumed", folder=name)
        held = bool(names) and len(paused) == len(names)
        if held != self._held:
            if held:
                log.info("uploads_paused", until_ms=min(until.values()))
            else:
                log.info("uploads_resumed")
        self._paused, self._held = paused, held
