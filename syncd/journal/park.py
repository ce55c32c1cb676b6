"""Pauses in the queue: a paused folder's rows are *parked*, not leased.

A paused folder (``syncd pause``, ``folder_state.paused_until_ms``) is not leased (but
for its rescans, which only record): a claim that honours pauses reads each row's pause
with it (a primary-key lookup) and *parks* a paused row, setting its ``ready_ms`` to the
pause's end, so the next claims and ``next_ready_ms`` pass it by in the index, at one
write per recorded change of a paused folder. Any other rewrite of the row (a new hint,
a failure) computes ``ready_ms`` afresh, and the next claim parks it again; a resume or
a change of the pause unparks the folder's rows (``unpark``), and a pause that ends by
itself needs nothing: its rows are parked at its end.

Functions here run inside the caller's transaction, like ``queue.py``'s; imports the
journal's ``schema`` and the domain.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, func, update

from syncd.domain import ChangeKind
from syncd.journal.schema import pending

# A claim's read, with each row's pause (0: none): folder_state by its primary key.
CLAIM_PAUSED = (
    "SELECT p.id, p.folder_id, p.path, p.kind, p.attempts, p.first_seen_ms, p.generation,"
    " p.maybe_sent, coalesce(s.paused_until_ms, 0) FROM pending AS p"
    " LEFT JOIN folder_state AS s ON s.folder_id = p.folder_id"
    " WHERE p.ready_ms <= ? ORDER BY p.ready_ms, p.id LIMIT ?"
)
_PARK = "UPDATE pending SET ready_ms = ? WHERE id = ?"
PARK_PAGE = 500  # rows read per step once a claim meets paused rows
# Rows one claim parks at most: a long paused backlog is parked over several claims
# (a few ms each), never in one long write transaction that would hold the recorders.
PARK_MAX = 4 * PARK_PAGE


def _held(row: Any, now_ms: int) -> bool:
    """A row of a paused folder that would send: a rescan (SUBTREE) only records, so a
    paused folder is still scanned."""
    return bool(row[8] > now_ms and row[3] != ChangeKind.SUBTREE.value)


def unpaused(raw: sqlite3.Connection, *, limit: int, now_ms: int) -> list[Any]:
    """Up to ``limit`` claimable rows of folders not paused; paused rows met on the way
    are parked at their pause's end (so no later claim reads them again)."""
    found: dict[int, Any] = {}  # by id: a later page reads the rows found so far again
    page, parked_total = limit, 0
    while len(found) < limit and parked_total < PARK_MAX:
        rows = raw.execute(CLAIM_PAUSED, (now_ms, page)).fetchall()
        parked = [(row[8], row[0]) for row in rows if _held(row, now_ms)]
        for row in rows:
            if not _held(row, now_ms) and len(found) < limit:
                found.setdefault(row[0], row[:8])
        if not parked:
            break
        raw.executemany(_PARK, parked)
        parked_total += len(parked)
        page = max(limit, PARK_PAGE)
    return list(found.values())  # in ready order, as first read


def unpark(conn: Connection, folder_id: int | None) -> int:
    """Rows of the folder (every folder: None) parked by a pause become claimable at
    their own time again; return how many were parked. Walks the folder's rows: run
    when a pause changes, not per job."""
    own = func.max(pending.c.due_ms, pending.c.retry_at_ms, pending.c.lease_until_ms)
    stmt = update(pending).where(pending.c.ready_ms > own).values(ready_ms=own)
    if folder_id is not None:
        stmt = stmt.where(pending.c.folder_id == folder_id)
    return int(conn.execute(stmt).rowcount)
