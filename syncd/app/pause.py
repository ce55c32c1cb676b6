"""``syncd pause`` / ``syncd resume``: hold or release the daemon's uploads.

Imports ``syncd.config``, the journal adapter and the app's ``files``. The pause is
written to the journal (every folder of the config), which the running daemon reads
within a second (``engine.pause.PauseGate``) and which a restart keeps.
"""

from __future__ import annotations

import time

from syncd.app.files import FOREVER_MS, JOURNAL_NAME, state_path
from syncd.clock import SystemClock
from syncd.config import Config
from syncd.journal import Journal


def set_pause(config: Config, *, for_s: float | None, now_ms: int | None = None) -> int:
    """Pause every folder for ``for_s`` seconds (None: until resumed); return the end
    time in ms (``FOREVER_MS`` for no end)."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    until = FOREVER_MS if for_s is None else now + int(for_s * 1000)
    _write(config, until)
    return until


def resume(config: Config) -> None:
    """End the pause of every folder."""
    _write(config, 0)


def _write(config: Config, until_ms: int) -> None:
    config.state.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with Journal.open(state_path(config, JOURNAL_NAME), clock=SystemClock()) as journal:
        for folder in config.folders:
            journal.state.set_paused_until(folder.name, until_ms)
