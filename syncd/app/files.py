"""The files syncd keeps in its state directory. Imports ``syncd.config`` only, so a
command that only reads them (``status``) does not load the rest of syncd."""

from __future__ import annotations

from pathlib import Path

from syncd.config import Config

JOURNAL_NAME = "journal.sqlite3"
LOCK_NAME = "syncd.lock"


def state_path(config: Config, name: str) -> Path:
    """A file in the state directory."""
    return config.state.dir / name


FOREVER_MS = 1 << 62  # paused_until_ms of "paused until syncd resume" (no end time)
