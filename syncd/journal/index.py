"""The index of what was last uploaded: one ``files`` row per (folder, path).

Imports the journal's ``schema`` and ``codec``. Functions run inside a transaction the
caller opened. Rows come back as mappings; ``codec.index_entry`` makes IndexEntries.
``files`` is clustered on (folder_id, path), so a page of ``iter_index`` is a
sequential read that starts where the previous page ended (keyset pagination: no
OFFSET, no long-lived cursor, no read transaction held between pages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, select
from sqlalchemy.dialects.sqlite import insert

from syncd.journal.codec import to_i64
from syncd.journal.schema import files

_KEY = ("folder_id", "path")
_upsert = insert(files)
UPSERT = _upsert.on_conflict_do_update(
    index_elements=[files.c.folder_id, files.c.path],
    set_={c.name: _upsert.excluded[c.name] for c in files.c if c.name not in _KEY},
)


def get(conn: Connection, folder_id: int, path: bytes) -> RowMapping | None:
    """The row of one path, or None."""
    stmt = select(files).where(files.c.folder_id == folder_id, files.c.path == path)
    row = conn.execute(stmt).first()
    return None if row is None else row._mapping


def find_inode(conn: Connection, folder_id: int, dev: int, inode: int) -> list[RowMapping]:
    """Every row of the folder with this (dev, inode), by path.

    Two steps, so the plan never depends on statistics: the paths come from
    ``files_inode`` alone (it covers them; selecting every column instead makes SQLite
    walk the folder's whole primary key when the journal has not been analysed), then
    the rows by primary key.
    """
    paths = select(files.c.path).where(
        files.c.folder_id == folder_id,
        files.c.dev == to_i64(dev),
        files.c.inode == to_i64(inode),
    )
    found = sorted(bytes(path) for path in conn.execute(paths).scalars())
    if not found:
        return []
    rows = select(files).where(files.c.folder_id == folder_id, files.c.path.in_(found))
    return sorted((row._mapping for row in conn.execute(rows)), key=lambda row: row["path"])


def page(
    conn: Connection, folder_id: int, *, after: bytes | None, below: bytes | None, limit: int
) -> list[RowMapping]:
    """Up to ``limit`` rows with ``after < path < below`` (None: unbounded), by path."""
    stmt = select(files).where(files.c.folder_id == folder_id)
    if after is not None:
        stmt = stmt.where(files.c.path > after)
    if below is not None:
        stmt = stmt.where(files.c.path < below)
    stmt = stmt.order_by(files.c.path).limit(limit)
    return [row._mapping for row in conn.execute(stmt)]


def count(conn: Connection, folder_id: int) -> int:
    """How many paths of the folder are indexed."""
    stmt = select(func.count()).select_from(files).where(files.c.folder_id == folder_id)
    return int(conn.execute(stmt).scalar_one())


def upsert(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert or replace rows (``codec.index_values`` shape)."""
    if rows:
        conn.execute(UPSERT, list(rows))


def remove(conn: Connection, folder_id: int, path: bytes) -> None:
    """Forget one path."""
    conn.execute(delete(files).where(files.c.folder_id == folder_id, files.c.path == path))
