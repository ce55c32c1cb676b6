"""The index half of ``Journal``'s API: what was last uploaded per path.

A base class of ``Journal`` (kept apart so that neither module passes 400 lines); each
method is one short transaction and returns domain values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Connection

from syncd.clock import Clock
from syncd.domain import FileStamp, IndexEntry, RelPath
from syncd.journal import history
from syncd.journal import index as index_rows
from syncd.journal.codec import (
    encode_path,
    index_entry,
    index_values,
    normalize_dir,
    subtree_bounds,
)
from syncd.journal.db import Database
from syncd.journal.folders import Folders

PAGE_ROWS = 1_000  # rows per iter_index page: memory stays flat however big the index
STAMP_PAGE_ROWS = 5_000  # rows per iter_stamps page (small tuples)
T = TypeVar("T")
_Span = tuple[bytes | None, bytes | None]  # (after, below): exclusive path bounds
_Page = tuple[list[T], bytes]  # a page's items and the path key of its last one
PUT_CHUNK = 2_000  # index rows per put_index transaction (writers wait behind each)


class IndexReads:
    """Reads and bulk writes of the upload index (``files``)."""

    _db: Database
    _folders: Folders
    _clock: Clock

    def index_get(self, folder: str, rel_path: RelPath) -> IndexEntry | None:
        """What was last uploaded for one path, or None."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return None
        with self._db.read("index lookup") as conn:
            row = index_rows.get(conn, folder_id, encode_path(rel_path))
            return None if row is None else index_entry(row, folder)

    def index_lookup(
        self, folder: str, rel_path: RelPath, inode: tuple[int, int] | None
    ) -> tuple[IndexEntry | None, list[IndexEntry]]:
        """What was last uploaded for ``rel_path`` and, when nothing was and ``inode``
        (dev, inode) is given, every indexed path with that inode (rename candidates):
        the worker's one read per job."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return None, []
        with self._db.read("index lookup") as conn:
            row = index_rows.get(conn, folder_id, encode_path(rel_path))
            if row is not None:
                return index_entry(row, folder), []
            if inode is None:
                return None, []
            found = index_rows.find_inode(conn, folder_id, *inode)
            return None, [index_entry(r, folder) for r in found]

    def iter_index(self, folder: str, under: RelPath | None = None) -> Iterator[IndexEntry]:
        """The folder's entries sorted by path bytes, fetched a page at a time.

        With ``under``, only the entry at that path (a file a directory replaced) and
        everything below it. Each page is its own short read, so this is not a
        snapshot: rows written meanwhile show up if they sort after the position.
        """

        def exact(conn: Connection, folder_id: int, path: bytes) -> IndexEntry | None:
            row = index_rows.get(conn, folder_id, path)
            return None if row is None else index_entry(row, folder)

        def page(conn: Connection, folder_id: int, span: _Span) -> _Page[IndexEntry]:
            rows = index_rows.page(conn, folder_id, after=span[0], below=span[1], limit=PAGE_ROWS)
            last = bytes(rows[-1]["path"]) if rows else b""
            return [index_entry(row, folder) for row in rows], last

        return self._paged(folder, under, exact, page, PAGE_ROWS)

    def iter_stamps(self, folder: str, under: RelPath | None = None) -> Iterator[FileStamp]:
        """``iter_index`` as ``FileStamp`` tuples (path key, dev, inode, size, mtime_ns,
        ctime_ns): what a rescan compares, in the same order, a page at a time."""

        def page(conn: Connection, folder_id: int, span: _Span) -> _Page[FileStamp]:
            rows = index_rows.stamp_page(
                conn, folder_id, after=span[0], below=span[1], limit=STAMP_PAGE_ROWS
            )
            return rows, rows[-1][0] if rows else b""

        return self._paged(folder, under, index_rows.stamp, page, STAMP_PAGE_ROWS)

    def _paged(
        self,
        folder: str,
        under: RelPath | None,
        exact: Callable[[Connection, int, bytes], T | None],
        page: Callable[[Connection, int, _Span], _Page[T]],
        size: int,
    ) -> Iterator[T]:
        """The entry at ``under`` (if any), then the folder's pages below it (all of the
        folder without ``under``) in path order, each page its own short read."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return
        base = normalize_dir(under)
        span: _Span = (None, None)
        if base:
            with self._db.read("index lookup") as conn:
                found = exact(conn, folder_id, encode_path(base))
            if found is not None:
                yield found
            span = subtree_bounds(base)  # paths never end in "/": > is >=
        while True:
            with self._db.read("iterate index") as conn:
                items, last = page(conn, folder_id, span)
            yield from items
            if len(items) < size:
                return
            span = (last, span[1])

    def index_count(self, folder: str) -> int:
        """How many paths of the folder are indexed."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return 0
        with self._db.read("count index") as conn:
            return index_rows.count(conn, folder_id)

    def index_empty(self, folder: str) -> bool:
        """True when no path of the folder is indexed (never synced from this journal);
        reads one key, where ``index_count`` reads the folder's whole index."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return True
        with self._db.read("index empty") as conn:
            return not index_rows.any_row(conn, folder_id)

    def forget_index(self, folder: str, rel_path: RelPath) -> None:
        """Drop the index entry of one path (B2 no longer holds it), durably."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return
        with self._db.write("forget index", durable=True) as conn:
            index_rows.remove(conn, folder_id, encode_path(rel_path))

    def put_index(self, entries: Sequence[IndexEntry], *, restored: str | None = None) -> None:
        """Insert or replace many entries (adopting a bucket), durably, in chunks of
        ``PUT_CHUNK`` rows per transaction so workers are not held up. With ``restored``
        (a note), each entry is a restore: the history keeps it, in the same transaction."""
        now_ms = self._clock.now_ms()
        ids = self._folders.ensure(entry.folder for entry in entries)
        for start in range(0, len(entries), PUT_CHUNK):
            chunk = entries[start : start + PUT_CHUNK]
            rows = [index_values(entry, ids[entry.folder]) for entry in chunk]
            with self._db.write("put index", durable=True) as conn:
                index_rows.upsert(conn, rows)
                for entry in chunk if restored is not None else ():
                    event = history.HistoryEvent(
                        action=history.RESTORE,
                        rel_path=entry.rel_path,
                        file_id=entry.file_id,
                        size=entry.size,
                        detail=restored or "",
                    )
                    history.add(conn, ids[entry.folder], now_ms, [event])
