"""Typed small state beside the queue and the index: each folder's recorded root
identity, mass-delete counts and pause (``folder_state``), and the per-client schedule
offsets (``meta``).

Imports ``syncd.domain``, the clock and the journal's ``schema``, ``db``, ``codec``,
``folders``, ``history`` (a pause change is kept there) and ``park`` (it unparks the
folder's rows). Every write here is durable: losing a root identity or an approval
costs more than the fsync.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert

from syncd.clock import Clock
from syncd.domain import RootIdentity
from syncd.journal import history
from syncd.journal.codec import from_i64, to_i64
from syncd.journal.db import Database
from syncd.journal.folders import Folders
from syncd.journal.park import unpark
from syncd.journal.schema import folder_state, meta

_EMPTY = {
    "root_dev": None,
    "root_marker": None,
    "paused_deletes": 0,
    "approved_deletes": 0,
    "paused_until_ms": 0,
}


def _offset_key(name: str) -> str:
    return f"schedule_offset:{name}"


class StateStore:
    """Read and write one folder's safety state and the schedule offsets."""

    def __init__(self, db: Database, folders: Folders, clock: Clock) -> None:
        self._db = db
        self._folders = folders
        self._clock = clock

    def _row(self, folder: str) -> dict[str, Any]:
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return dict(_EMPTY)
        with self._db.read("read folder state") as conn:
            row = conn.execute(
                select(folder_state).where(folder_state.c.folder_id == folder_id)
            ).first()
        return dict(_EMPTY) if row is None else dict(row._mapping)

    def _update(self, folder: str, **values: Any) -> None:
        folder_id = self._folders.ensure([folder])[folder]
        with self._db.write("write folder state", durable=True) as conn:
            _upsert(conn, folder_id, values)

    # -- the root ------------------------------------------------------------------

    def root(self, folder: str) -> RootIdentity | None:
        """The folder root's recorded identity, or None if it was never recorded."""
        row = self._row(folder)
        if row["root_dev"] is None:
            return None
        return RootIdentity(dev=from_i64(int(row["root_dev"])), marker=row["root_marker"])

    def record_root(self, folder: str, identity: RootIdentity) -> None:
        """Remember the root's identity (its first use)."""
        self._update(folder, root_dev=to_i64(identity.dev), root_marker=identity.marker)

    # -- the mass-delete guard -----------------------------------------------------

    def paused_deletes(self, folder: str) -> int:
        """How many hides the paused pass of ``folder`` would do (0: not paused)."""
        return int(self._row(folder)["paused_deletes"])

    def approved_deletes(self, folder: str) -> int:
        """How many pending hides of ``folder`` the user let through (0: none)."""
        return int(self._row(folder)["approved_deletes"])

    def set_deletes(
        self, folder: str, *, paused: int | None = None, approved: int | None = None
    ) -> None:
        """Set the paused and/or approved counts of ``folder``."""
        values: dict[str, int] = {}
        if paused is not None:
            values["paused_deletes"] = paused
        if approved is not None:
            values["approved_deletes"] = approved
        if values:
            self._update(folder, **values)

    # -- the user's pause ------------------------------------------------------------

    def paused_until(self, folder: str) -> int:
        """Until when ``syncd pause`` holds ``folder``'s uploads (ms; 0: not paused)."""
        return int(self._row(folder)["paused_until_ms"])

    def set_paused_until(self, folder: str, until_ms: int) -> None:
        """Hold ``folder``'s uploads until ``until_ms`` (0 resumes), durably; a change is
        kept in the history, and rows a claim parked under the old pause are unparked,
        in the same transaction."""
        folder_id = self._folders.ensure([folder])[folder]
        at_ms = self._clock.now_ms()
        with self._db.write("write folder pause", durable=True) as conn:
            before = conn.execute(
                select(folder_state.c.paused_until_ms).where(folder_state.c.folder_id == folder_id)
            ).scalar()
            _upsert(conn, folder_id, {"paused_until_ms": until_ms})
            if (before or 0) != until_ms:
                history.add(conn, folder_id, at_ms, [_pause_event(until_ms)])
            unpark(conn, folder_id)

    # -- schedule offsets ----------------------------------------------------------

    def schedule_offset(self, name: str) -> float | None:
        """The stored random offset of the schedule ``name``, or None."""
        with self._db.read("read schedule offset") as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == _offset_key(name)))
            stored = value.scalar()
        return None if stored is None else float(stored)

    def set_schedule_offset(self, name: str, offset_s: float) -> None:
        """Keep the random offset of the schedule ``name`` across restarts."""
        key, value = _offset_key(name), repr(offset_s)
        stmt = insert(meta).values(key=key, value=value)
        stmt = stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
        with self._db.write("write schedule offset", durable=True) as conn:
            conn.execute(stmt)


def _upsert(conn: Connection, folder_id: int, values: dict[str, Any]) -> None:
    stmt = insert(folder_state).values({**_EMPTY, **values, "folder_id": folder_id})
    stmt = stmt.on_conflict_do_update(index_elements=[folder_state.c.folder_id], set_=values)
    conn.execute(stmt)


def _pause_event(until_ms: int) -> history.HistoryEvent:
    if until_ms == 0:
        return history.HistoryEvent(action=history.RESUME, rel_path=None)
    try:
        until = dt.datetime.fromtimestamp(until_ms / 1000, tz=dt.UTC)
    except (OverflowError, ValueError, OSError):  # the "until resumed" value
        return history.HistoryEvent(action=history.PAUSE, rel_path=None, detail="until resumed")
    return history.HistoryEvent(
        action=history.PAUSE, rel_path=None, detail=f"until {until:%Y-%m-%d %H:%M:%S} UTC"
    )
