"""What ``syncd status`` shows, read from the journal (safe while the daemon runs:
the journal is SQLite in WAL mode, and status only reads)."""

from __future__ import annotations

from typing import Any

from syncd.app.files import JOURNAL_NAME
from syncd.clock import SystemClock, utc_day
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
                    "remote_index": _remote(journal, name),
                    "conflicts": [
                        {
                            "path": str(c.rel_path),
                            "kind": c.kind.value,
                            "resolution": c.resolution,
                            "kept_as": c.kept_as,
                            "remote_file_id": c.remote_file_id,
                            "detected_ms": c.detected_ms,
                        }
                        for c in journal.ledger.conflicts(name)
                    ],
                }
            )
        return {"journal": str(path), "folders": folders, "b2_calls": _calls(journal)}
    finally:
        journal.close()


def _remote(journal: Journal, folder: str) -> dict[str, Any] | None:
    walk = journal.remote.walk(folder)
    if walk is None:
        return None
    return {
        "last_listed_ms": walk.last_finished_ms or None,
        "walk_running": walk.running,
        "versions_listed": walk.versions,
        "list_calls": walk.calls,
    }


def _calls(journal: Journal) -> dict[str, dict[str, int | str]]:
    """B2 calls by class, today and yesterday (UTC)."""
    now_ms = SystemClock().now_ms()
    out: dict[str, dict[str, int | str]] = {}
    for label, day in (("today", utc_day(now_ms)), ("yesterday", utc_day(now_ms - 86_400_000))):
        counts = journal.ledger.calls(day)
        out[label] = {"day": counts.day, **{c: counts.of(c) for c in ("A", "B", "C")}}
    return out
