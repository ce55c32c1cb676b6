"""``syncd pause`` / ``syncd resume``: hold or release the daemon's sending, per folder.

Imports ``syncd.config``, the journal adapter, the errors and the app's ``files``. The
pause is written to the journal (one folder, or every folder of the config), which the
running daemon's claims read in their own transaction (``journal.queue``) and its
``engine.pause.PauseGate`` within a second; a restart keeps it.
"""

from __future__ import annotations

import time

from syncd.app.files import FOREVER_MS, JOURNAL_NAME, state_path
from syncd.clock import SystemClock
from syncd.config import Config
from syncd.errors import UsageError
from syncd.journal import Journal


def set_pause(
    config: Config, *, for_s: float | None, folder: str | None = None, now_ms: int | None = None
) -> int:
    """Pause ``folder`` (every folder: None) for ``for_s`` seconds (None: until
    resumed); return the end time in ms (``FOREVER_MS`` for no end).

    Raises:
        UsageError: ``folder`` is not a folder of the config.
    """
    names = folder_names(config, folder)
    now = int(time.time() * 1000) if now_ms is None else now_ms
    until = FOREVER_MS if for_s is None else now + int(for_s * 1000)
    _write(config, names, until)
    return until


def resume(config: Config, folder: str | None = None) -> None:
    """End the pause of ``folder`` (every folder: None).

    Raises:
        UsageError: ``folder`` is not a folder of the config.
    """
    _write(config, folder_names(config, folder), 0)


def folder_names(config: Config, folder: str | None) -> list[str]:
    """``[folder]`` when the config has it, every folder's name for None."""
    names = [f.name for f in config.folders]
    if folder is None:
        return names
    if folder not in names:
        known = ", ".join(names) or "none"
        raise UsageError(f"no folder named {folder!r} in the config (folders: {known})")
    return [folder]


def _write(config: Config, names: list[str], until_ms: int) -> None:
    config.state.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with Journal.open(state_path(config, JOURNAL_NAME), clock=SystemClock()) as journal:
        for name in names:
            journal.state.set_paused_until(name, until_ms)
