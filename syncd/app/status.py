"""What ``syncd status`` shows: per folder, read from the journal (read-only) and the
daemon's live-state file. Safe while the daemon runs: the journal is SQLite in WAL mode
and is opened with ``mode=ro``.

Imports ``syncd.config``, ``syncd.clock``, ``syncd.journal.peek`` and the app's
``files`` and ``live`` only: never the engine, SQLAlchemy or httpx, so the command
starts fast. The JSON form
(``StatusReport.as_json``) is the stable schema documented in docs/status.md; a test
checks the two agree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from syncd.app.files import FOREVER_MS, JOURNAL_NAME, state_path
from syncd.app.live import LIVE_NAME, FolderFacts, LiveState, read_live
from syncd.clock import utc_day
from syncd.config import Config, FolderConfig
from syncd.journal.peek import ConflictRow, JournalPeek, PendingRow, WalkRow

SCHEMA_VERSION = 1
WINDOW_MS = 60_000  # throughput is measured over the last minute
LIST_LIMIT = 20  # failing and skipped items listed per folder (the counts are complete)
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderStatus:
    """One folder, as ``status`` shows it."""

    config: FolderConfig
    state: str  # idle | syncing | paused | error
    files_on_b2: int
    bytes_on_b2: int
    pending: int
    pending_deletes: int
    oldest_pending_ms: int  # 0: nothing pending
    last_upload_ms: int  # 0: never
    recent_files: int
    recent_bytes: int
    paused_until_ms: int  # 0: not paused
    paused_deletes: int
    failing_count: int
    failing: tuple[PendingRow, ...]
    skipped_count: int
    skipped: tuple[tuple[str, str], ...]  # (path, reason)
    conflicts: tuple[ConflictRow, ...] = ()
    walk: WalkRow | None = None  # the remote index's listing walk


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    """The whole status: the daemon and every folder."""

    now_ms: int
    journal: str
    daemon: LiveState | None
    folders: tuple[FolderStatus, ...]
    note: str = ""
    calls_by_day: tuple[tuple[str, str, dict[str, int]], ...] = ()  # (label, day, by class)

    @property
    def daemon_state(self) -> str:
        """running | paused | degraded | stopped."""
        if self.daemon is None:
            return "stopped"
        if self.daemon.pool_paused or self.daemon.lost_roots:
            return "degraded"
        if self.folders and all(f.paused_until_ms > self.now_ms for f in self.folders):
            return "paused"
        return "running"

    @property
    def has_failures(self) -> bool:
        """True when some item keeps failing (status exits 1)."""
        return any(f.failing_count for f in self.folders)

    def as_json(self) -> dict[str, Any]:
        """The stable JSON form (docs/status.md, ``schema_version`` 1)."""
        d = self.daemon
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_ms": self.now_ms,
            "journal": self.journal,
            "note": self.note,
            "daemon": {
                "state": self.daemon_state,
                "pid": d.pid if d else None,
                "since_ms": d.started_ms if d else None,
                "updated_ms": d.updated_ms if d else None,
                "uploaded_files": d.uploaded_files if d else None,
                "uploaded_bytes": d.uploaded_bytes if d else None,
                "max_upload_bytes_per_s": d.max_upload_bytes_per_s if d else None,
                "max_download_bytes_per_s": d.max_download_bytes_per_s if d else None,
                "bandwidth_limit": d.bandwidth_limit if d else None,
                "pool_paused": d.pool_paused if d else None,
                "lost_roots": list(d.lost_roots) if d else [],
                "errors_by_class": dict(d.errors_by_class) if d else {},
                "b2_calls_by_class": dict(d.b2_calls_by_class) if d else {},
            },
            "folders": [self._folder_json(f) for f in self.folders],
            "b2_calls": {
                label: {"day": day, **{c: counts.get(c, 0) for c in ("A", "B", "C")}}
                for label, day, counts in self.calls_by_day
            },
        }

    def _folder_json(self, f: FolderStatus) -> dict[str, Any]:
        return {
            "folder": f.config.name,
            "path": str(f.config.path),
            "target": f"b2://{f.config.bucket}/{f.config.prefix}",
            "state": f.state,
            "files_on_b2": f.files_on_b2,
            "bytes_on_b2": f.bytes_on_b2,
            "pending": f.pending,
            "pending_deletes": f.pending_deletes,
            "oldest_pending_age_s": age_s(f.oldest_pending_ms, self.now_ms),
            "rpo_s": rpo_s(f, self.now_ms),
            "last_upload_ms": f.last_upload_ms or None,
            "throughput": {
                "window_s": WINDOW_MS // 1000,
                "files": f.recent_files,
                "bytes": f.recent_bytes,
                "bytes_per_s": round(f.recent_bytes * 1000 / WINDOW_MS, 1),
            },
            "paused": f.paused_until_ms > self.now_ms,
            "paused_until_ms": (
                None
                if f.paused_until_ms <= self.now_ms or f.paused_until_ms >= FOREVER_MS
                else f.paused_until_ms
            ),
            "paused_deletes": f.paused_deletes,
            "failing_count": f.failing_count,
            "failing": [
                {
                    "path": row.rel_path,
                    "attempts": row.attempts,
                    "error": row.last_error,
                    "next_retry_ms": row.retry_at_ms or None,
                }
                for row in f.failing
            ],
            "skipped_count": f.skipped_count,
            "skipped": [{"path": path, "reason": reason} for path, reason in f.skipped],
            "conflicts": [
                {
                    "path": c.rel_path,
                    "kind": c.kind,
                    "resolution": c.resolution,
                    "kept_as": c.kept_as,
                    "remote_file_id": c.remote_file_id,
                    "detected_ms": c.detected_ms,
                }
                for c in f.conflicts
            ],
            "remote_index": None
            if f.walk is None
            else {
                "last_listed_ms": f.walk.last_finished_ms or None,
                "walk_running": f.walk.is_running,
                "versions_listed": f.walk.versions,
                "list_calls": f.walk.calls,
            },
            **self._daemon_facts(f.config.name),
        }

    def _daemon_facts(self, name: str) -> dict[str, Any]:
        """What only the running daemon knows of the folder (nulls when it is stopped)."""
        facts = self.daemon.folders.get(name) if self.daemon else None
        if facts is None:
            facts = FolderFacts()
        return {
            "last_rescan_ms": facts.last_rescan_ms or None,
            "last_rescan_hints": facts.rescan_hints if facts.last_rescan_ms else None,
            "watch": {
                "watched_dirs": facts.watched_dirs if facts.dirs else None,
                "dirs": facts.dirs or None,
            },
        }


def age_s(since_ms: int, now_ms: int) -> float | None:
    """Seconds since ``since_ms`` (None for 0, "never")."""
    return None if since_ms <= 0 else round(max(0, now_ms - since_ms) / 1000, 1)


def rpo_s(f: FolderStatus, now_ms: int) -> float:
    """The recovery point: how old the oldest local change not yet on B2 is (0 when
    every change syncd has seen is on B2)."""
    return age_s(f.oldest_pending_ms, now_ms) or 0.0


def folder_state(f: FolderStatus, now_ms: int) -> str:
    """idle | syncing | paused | error, in that order of precedence: paused, error,
    syncing, idle."""
    if f.paused_until_ms > now_ms or f.paused_deletes:
        return "paused"
    if f.failing_count:
        return "error"
    return "syncing" if f.pending else "idle"


def read_status(config: Config, *, now_ms: int | None = None) -> StatusReport:
    """Read every folder's status (and the daemon's, when it runs).

    Raises:
        JournalError: the journal cannot be read.
    """
    now = int(time.time() * 1000) if now_ms is None else now_ms
    path = state_path(config, JOURNAL_NAME)
    live = read_live(state_path(config, LIVE_NAME), now_ms=now)
    if not path.exists():
        note = "never synced from this state dir"
        return StatusReport(now_ms=now, journal=str(path), daemon=live, folders=(), note=note)
    with JournalPeek(path) as peek:
        folders = tuple(_folder(peek, folder, now) for folder in config.folders)
        calls = tuple(
            (label, day, peek.calls_on(day))
            for label, day in (("today", utc_day(now)), ("yesterday", utc_day(now - DAY_MS)))
        )
    return StatusReport(
        now_ms=now, journal=str(path), daemon=live, folders=folders, calls_by_day=calls
    )


def _folder(peek: JournalPeek, folder: FolderConfig, now_ms: int) -> FolderStatus:
    figures = peek.folder_figures(folder.name, since_ms=now_ms - WINDOW_MS)
    status = FolderStatus(
        config=folder,
        state="",
        files_on_b2=figures.indexed_files,
        bytes_on_b2=figures.indexed_bytes,
        pending=figures.pending,
        pending_deletes=figures.pending_deletes,
        oldest_pending_ms=figures.oldest_pending_ms,
        last_upload_ms=figures.last_upload_ms,
        recent_files=figures.recent_files,
        recent_bytes=figures.recent_bytes,
        paused_until_ms=figures.paused_until_ms,
        paused_deletes=figures.paused_deletes,
        failing_count=peek.failure_count(folder.name),
        failing=tuple(peek.failures(folder.name, limit=LIST_LIMIT)),
        skipped_count=peek.issue_count(folder.name),
        skipped=tuple((i.rel_path, i.reason) for i in peek.issues(folder.name, limit=LIST_LIMIT)),
        conflicts=tuple(peek.conflicts(folder.name)),
        walk=peek.walk(folder.name),
    )
    return replace(status, state=folder_state(status, now_ms))
