"""The history: what syncd did (uploads, copies, hides, deletes, conflicts, restores,
pauses), one append-only row each, for ``syncd history``.

Imports ``syncd.domain``, ``syncd.remote`` and the journal's ``codec``, ``db`` and
``folders``. Rows are written inside the transaction of what they record: a job's
completion adds its rows in the group commit's batch (no transaction or fsync of its
own), a pause in the folder-state write. Reads are ``syncd.journal.peek``'s (the command
runs beside the daemon, read-only).

Bounded: rows older than ``KEEP_MS`` go, and beyond ``KEEP_ROWS`` the oldest go. The trim
is two indexed deletes (``history_time``; the rowid), run with a completion now and then
(``Trimmer``: at most once per ``TRIM_EVERY_MS`` or ``TRIM_EVERY_ROWS``), never per row.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from syncd.domain import ConflictRecord
from syncd.journal.codec import encode_path, safe_text
from syncd.journal.db import dbapi
from syncd.remote import FileVersion

UPLOAD = "upload"
COPY = "copy"
HIDE = "hide"
DELETE = "delete"
CONFLICT = "conflict"
RESTORE = "restore"
PAUSE = "pause"
RESUME = "resume"
ACTIONS = (UPLOAD, COPY, HIDE, DELETE, CONFLICT, RESTORE, PAUSE, RESUME)

KEEP_MS = 90 * 86_400_000  # rows older than 90 days are trimmed
KEEP_ROWS = 250_000  # and beyond this many rows the oldest go
TRIM_EVERY_MS = 3_600_000
TRIM_EVERY_ROWS = 10_000
DETAIL_CHARS = 200

_INSERT = (
    "INSERT INTO history (at_ms, folder_id, path, action, file_id, size, detail)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEvent:
    """One thing syncd did, to be kept in the history."""

    action: str  # one of ACTIONS
    rel_path: str | None  # None: the whole folder (a pause, a resume)
    file_id: str | None = None
    size: int | None = None
    detail: str = ""


def add(conn: Connection, folder_id: int, at_ms: int, events: Iterable[HistoryEvent]) -> int:
    """Append ``events`` inside the caller's transaction; return how many."""
    rows = [
        (
            at_ms,
            folder_id,
            None if e.rel_path is None else encode_path(e.rel_path),
            e.action,
            e.file_id,
            e.size,
            safe_text(e.detail)[:DETAIL_CHARS],
        )
        for e in events
    ]
    if rows:
        dbapi(conn).executemany(_INSERT, rows)
    return len(rows)


def _version_action(version: FileVersion) -> str | None:
    if version.action == "hide":
        return HIDE
    if version.action == "copy":
        return COPY
    if version.action == "upload":
        return UPLOAD
    return None  # an unfinished large file ("start") is not something syncd did


def of_written(
    rel_path: str,
    versions: Sequence[FileVersion],
    *,
    purged: str | None,
    conflict: ConflictRecord | None,
    detail: str,
) -> list[HistoryEvent]:
    """The events of one job's writes on B2 (what ``Written`` holds): the conflict met
    first, then what was written about it."""
    events = []
    if conflict is not None:
        events.append(
            HistoryEvent(
                action=CONFLICT,
                rel_path=conflict.rel_path,
                file_id=conflict.remote_file_id,
                detail=f"{conflict.kind.value}: {conflict.resolution}",
            )
        )
    events += [
        HistoryEvent(
            action=action, rel_path=rel_path, file_id=v.file_id, size=v.size, detail=detail
        )
        for v in versions
        if (action := _version_action(v)) is not None
    ]
    if purged is not None:
        events.append(
            HistoryEvent(action=DELETE, rel_path=rel_path, detail=detail or "every version")
        )
    return events


def trim(conn: Connection, now_ms: int) -> int:
    """Drop rows older than ``KEEP_MS`` and the oldest beyond ``KEEP_ROWS``; how many."""
    raw = dbapi(conn)
    gone = raw.execute("DELETE FROM history WHERE at_ms < ?", (now_ms - KEEP_MS,)).rowcount
    # rowids grow by one per insert, so max(id) - KEEP_ROWS is (about) the cut
    gone += raw.execute(
        "DELETE FROM history WHERE id <= (SELECT max(id) FROM history) - ?", (KEEP_ROWS,)
    ).rowcount
    return int(gone)


class Trimmer:
    """Says when the next trim is due: every ``TRIM_EVERY_MS`` or ``TRIM_EVERY_ROWS``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms: int | None = None  # None: not trimmed since the journal opened
        self._rows = 0

    def due(self, now_ms: int, rows: int) -> bool:
        """Count ``rows`` about to be added; True when this write should trim as well."""
        with self._lock:
            self._rows += rows
            last = self._last_ms
            recent = last is not None and now_ms - last < TRIM_EVERY_MS
            if recent and self._rows < TRIM_EVERY_ROWS:
                return False
            self._last_ms, self._rows = now_ms, 0
            return True
