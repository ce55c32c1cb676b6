"""Folder names and their small integer ids, cached for the life of the journal.

Imports the journal's ``schema`` and ``db``. Other tables store ``folder_id``; this
module is the only place that turns names into ids and back. New names are inserted in
their own short transaction *before* the caller's transaction starts, so the cache only
ever holds ids that are committed (a rolled-back insert can never leave a stale id).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sqlalchemy import Connection, insert, select

from syncd.journal.db import Database
from syncd.journal.schema import folders


class Folders:
    """Thread-safe two-way map between folder names and ids."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}
        self._names: dict[int, str] = {}

    def ensure(self, names: Iterable[str]) -> dict[str, int]:
        """Ids of ``names``, inserting the ones never seen (one write, if any)."""
        wanted = set(names)
        with self._lock:
            missing = wanted - self._ids.keys()
        if missing:
            self._load()
            with self._lock:
                missing = wanted - self._ids.keys()
            if missing:
                with self._db.write("add folder") as conn:
                    conn.execute(
                        insert(folders).prefix_with("OR IGNORE"),
                        [{"name": name} for name in sorted(missing)],
                    )
                self._load()
        with self._lock:
            return {name: self._ids[name] for name in wanted}

    def lookup(self, name: str) -> int | None:
        """The id of ``name``, or None when the journal has never seen that folder."""
        with self._lock:
            folder_id = self._ids.get(name)
        if folder_id is None:
            self._load()
            with self._lock:
                folder_id = self._ids.get(name)
        return folder_id

    def name(self, folder_id: int, conn: Connection | None = None) -> str:
        """The name of ``folder_id`` (a row that references it proves it exists)."""
        with self._lock:
            found = self._names.get(folder_id)
        if found is None:
            self._load(conn)
            with self._lock:
                found = self._names[folder_id]
        return found

    def _load(self, conn: Connection | None = None) -> None:
        stmt = select(folders.c.id, folders.c.name)
        if conn is None:
            with self._db.read("read folders") as own:
                rows = own.execute(stmt).all()
        else:
            rows = conn.execute(stmt).all()
        with self._lock:
            for folder_id, name in rows:
                self._ids[name] = folder_id
                self._names[folder_id] = name
