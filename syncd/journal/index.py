"""The index of what was last uploaded: one ``files`` row per (folder, path).

Functions run inside a transaction the caller opened. Rows come back as mappings;
``codec.index_entry`` makes IndexEntries. ``files`` is clustered on (folder_id, path),
so a page of ``iter_index`` is a sequential read that starts where the previous page
ended (keyset pagination: no OFFSET, no long-lived cursor, no read transaction held
between pages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select

from syncd.domain import FileStamp
from syncd.journal.codec import from_i64, to_i64
from syncd.journal.db import dbapi
from syncd.journal.schema import files

_KEY = ("folder_id", "path")
COLUMNS = tuple(c.name for c in files.c)
_UPSERT_SQL = (
    f"INSERT INTO files ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    " ON CONFLICT (folder_id, path) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in COLUMNS if name not in _KEY)
)
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM files"
_GET = f"{_SELECT} WHERE folder_id = ? AND path = ?"
_INODE_PATHS = "SELECT path FROM files WHERE folder_id = ? AND dev = ? AND inode = ?"
_ANY = "SELECT 1 FROM files WHERE folder_id = ? LIMIT 1"
_STAMP = "SELECT path, dev, inode, size, mtime_ns, ctime_ns FROM files WHERE folder_id = ?"
# One fixed statement per bound combination (sqlite3 keeps each prepared); each is a
# range search of the clustered primary key, read in key order (no sort).
_STAMP_PAGES = {
    (after, below): _STAMP
    + (" AND path > ?" if after else "")
    + (" AND path < ?" if below else "")
    + " ORDER BY path LIMIT ?"
    for after in (False, True)
    for below in (False, True)
}


def _mapping(values: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(COLUMNS, values, strict=True))


def get(conn: Connection, folder_id: int, path: bytes) -> Mapping[str, Any] | None:
    """The row of one path, or None."""
    values = dbapi(conn).execute(_GET, (folder_id, path)).fetchone()
    return None if values is None else _mapping(values)


def find_inode(conn: Connection, folder_id: int, dev: int, inode: int) -> list[Mapping[str, Any]]:
    """Every row of the folder with this (dev, inode), by path.

    Two steps, so the plan never depends on statistics: the paths come from
    ``files_inode`` alone (it covers them; selecting every column instead makes SQLite
    walk the folder's whole primary key when the journal has not been analysed), then
    the rows by primary key.
    """
    raw = dbapi(conn)
    found = raw.execute(_INODE_PATHS, (folder_id, to_i64(dev), to_i64(inode))).fetchall()
    rows = [get(conn, folder_id, bytes(path)) for (path,) in sorted(found)]
    return [row for row in rows if row is not None]


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


def stamp(conn: Connection, folder_id: int, path: bytes) -> FileStamp | None:
    """The ``FileStamp`` of one path, or None."""
    row = dbapi(conn).execute(f"{_STAMP} AND path = ?", (folder_id, path)).fetchone()
    return None if row is None else _stamp(row)


def stamp_page(
    conn: Connection, folder_id: int, *, after: bytes | None, below: bytes | None, limit: int
) -> list[FileStamp]:
    """``page`` as ``FileStamp`` tuples: the columns the quick check compares, straight
    from the driver (no row mapping, no IndexEntry per row)."""
    sql = _STAMP_PAGES[after is not None, below is not None]
    params = (folder_id, *(b for b in (after, below) if b is not None), limit)
    rows: list[FileStamp] = dbapi(conn).execute(sql, params).fetchall()
    for i, row in enumerate(rows):
        if row[1] < 0 or row[2] < 0:  # dev or inode past 2**63, stored two's-complement
            rows[i] = _stamp(row)
    return rows


def _stamp(row: Sequence[Any]) -> FileStamp:
    path, dev, inode, size, mtime_ns, ctime_ns = row
    return (bytes(path), from_i64(dev), from_i64(inode), size, mtime_ns, ctime_ns)


def any_row(conn: Connection, folder_id: int) -> bool:
    """True when the folder has at least one indexed path (one key read, not a count)."""
    return dbapi(conn).execute(_ANY, (folder_id,)).fetchone() is not None


def count(conn: Connection, folder_id: int) -> int:
    """How many paths of the folder are indexed."""
    stmt = select(func.count()).select_from(files).where(files.c.folder_id == folder_id)
    return int(conn.execute(stmt).scalar_one())


def upsert(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert or replace rows (``codec.index_values`` shape)."""
    if rows:
        dbapi(conn).executemany(_UPSERT_SQL, [[row[name] for name in COLUMNS] for row in rows])


def remove(conn: Connection, folder_id: int, path: bytes) -> None:
    """Forget one path."""
    dbapi(conn).execute("DELETE FROM files WHERE folder_id = ? AND path = ?", (folder_id, path))
