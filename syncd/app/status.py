"""What ``syncd status`` shows, read from the journal (safe while the daemon runs:
the journal is SQLite in WAL mode, and status only reads)."""

from __future__ import annotations

from typing import Any

from syncd.app.files import JOURNAL_NAME
from syncd.clock import SystemClock
from syncd.config import Config
from syncd.journal import Journal


def read_status(config: Config) -> dict[str, Any]:
    """Per folder: indexed files, pending changes, failing items, skipped items, pauses."""
    path = config.state.dir / JOURNAL_NAME
    if not path.exists():
        return {"journal": str(path), "folders": [], "note": "never synced from this state dir"}
    journal = Journal.open(path, clock=SystemClock())
    try:
        folders = []
        for folder in config.folders:
            name = folder.name
            failures = journal.failures(name)
            folders.append(
                {
                    "folder": name,
                    "path": str(folder.path),
                    "target": f"b2://{folder.bucket}/{folder.prefix}",
                    "indexed_files": journal.index_count(name),
                    "pending": journal.pending_count(name),
                    "failing": [
                        {"path": str(p), "attempts": attempts, "error": error}
                        for p, attempts, error in failures
                    ],
                    "skipped": [
                        {"path": str(i.rel_path), "reason": i.reason} for i in journal.issues(name)
                    ],
                    "paused_deletes": journal.state.paused_deletes(name),
                }
            )
        return {"journal": str(path), "folders": folders}
    finally:
        journal.close()
