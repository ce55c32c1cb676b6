"""The remote index: a cache of the versions B2 holds under each folder's prefix.

Filled by listing walks (one page per transaction, resumable from the walk's cursor)
and by syncd's own writes, which ``record_own`` adds inside the job's completion, so a
daemon that writes needs no listing to know what it wrote. A finished walk deletes
the rows it did not see: versions someone else deleted. ``divergent`` is the one query
the reconciler runs: the index entries whose version B2 no longer shows as newest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection

from syncd.domain import B2Name, ConflictRecord, RelPath
from syncd.journal.codec import decode_path
from syncd.journal.db import Database, dbapi
from syncd.journal.folders import Folders
from syncd.remote import FileVersion

_COLUMNS = (
    "name, file_id, action, size, sha1, src_mtime_ms, upload_ms, ours,"
    " content_type, file_info, encryption"
)
_DECODER = json.JSONDecoder()
_CURRENT_WALK = "coalesce((SELECT walk FROM remote_walks WHERE folder_id = ?), 0)"
_UPSERT = (
    "INSERT INTO remote_versions (folder_id, name, file_id, action, size, sha1,"
    " src_mtime_ms, upload_ms, ours, content_type, file_info, encryption, seen)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {seen})"
    " ON CONFLICT (folder_id, name, file_id) DO UPDATE SET action = excluded.action,"
    " size = excluded.size, sha1 = excluded.sha1, src_mtime_ms = excluded.src_mtime_ms,"
    " upload_ms = excluded.upload_ms, ours = max(ours, excluded.ours), seen = excluded.seen,"
    " content_type = coalesce(excluded.content_type, content_type),"
    " file_info = coalesce(excluded.file_info, file_info),"
    " encryption = CASE WHEN excluded.file_info IS NULL THEN encryption"
    " ELSE excluded.encryption END"
)
# The index entries of a folder whose version is gone from B2, or under a newer
# version that this client did not write (an upload or a hide by someone else).
# Unfinished large files ("start") are not versions of a name: they never count.
_DIVERGENT = """
SELECT f.path, f.b2_name, f.file_id,
    (SELECT r.file_id FROM remote_versions AS r
        WHERE r.folder_id = f.folder_id AND r.name = f.b2_name
        AND r.action IN ('upload', 'copy', 'hide')
        ORDER BY r.upload_ms DESC, r.file_id LIMIT 1) AS newest
FROM files AS f
WHERE f.folder_id = ?1 AND (
    NOT EXISTS (SELECT 1 FROM remote_versions AS r
        WHERE r.folder_id = f.folder_id AND r.name = f.b2_name AND r.file_id = f.file_id)
    OR EXISTS (SELECT 1 FROM remote_versions AS r
        WHERE r.folder_id = f.folder_id AND r.name = f.b2_name
        AND r.action IN ('upload', 'copy', 'hide')
        AND r.upload_ms >= f.upload_timestamp_ms AND r.file_id != f.file_id AND r.ours = 0))
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Written:
    """What a job did on B2 besides its index entry, recorded with its completion."""

    versions: tuple[FileVersion, ...] = ()  # versions this client wrote (uploads, hides)
    purged: str | None = None  # a name whose every version this client deleted
    conflict: ConflictRecord | None = None  # another writer met on the way
    detail: str = ""  # a short note for the history ("touch", "rename from a.txt")
    in_parts: bool = False  # an upload sent in parts: the path's large-upload record is done


@dataclass(frozen=True, slots=True, kw_only=True)
class Walk:
    """A folder's listing walk: where it stands and what it cost so far."""

    walk: int  # the walk's number (rows it lists are marked with it)
    started_ms: int
    finished_ms: int  # 0 while it runs (or after it was interrupted)
    last_finished_ms: int  # when a walk last finished (0: never)
    cursor: tuple[str, str | None] | None  # where the next page starts
    versions: int
    calls: int

    @property
    def running(self) -> bool:
        """True when the walk started and has not finished: the next one resumes it."""
        return self.started_ms > 0 and self.finished_ms == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Divergence:
    """An index entry B2 moved away from: its version is gone or no longer the newest."""

    rel_path: RelPath
    b2_name: B2Name
    indexed_file_id: str
    newest_file_id: str | None  # None: B2 holds no version of the name at all


def _values(folder_id: int, version: FileVersion, *, ours: bool) -> tuple[Any, ...]:
    return (
        folder_id,
        version.file_name,
        version.file_id,
        version.action,
        version.size,
        version.content_sha1,
        version.src_last_modified_ms,
        version.upload_timestamp_ms,
        int(ours),
        version.content_type,
        _info_json(version),
        version.encryption,
    )


def _info_json(version: FileVersion) -> str | None:
    """The file info as JSON; None for a hide marker or an unfinished large file, which
    are never copied (their info says nothing)."""
    if version.action not in ("upload", "copy"):
        return None
    return json.dumps(dict(version.file_info), sort_keys=True, separators=(",", ":"))


def record_own(conn: Connection, folder_id: int, versions: Sequence[FileVersion]) -> None:
    """Add versions this client just wrote (inside the job's completion transaction)."""
    sql = _UPSERT.format(seen=_CURRENT_WALK)
    rows = [(*_values(folder_id, v, ours=True), folder_id) for v in versions]
    dbapi(conn).executemany(sql, rows)


def forget_name(conn: Connection, folder_id: int, name: str) -> None:
    """Drop every cached version of ``name`` (they were all deleted by this client)."""
    dbapi(conn).execute(
        "DELETE FROM remote_versions WHERE folder_id = ? AND name = ?", (folder_id, name)
    )


def _version(row: sqlite3.Row | tuple[Any, ...], bucket_id: str | None = None) -> FileVersion:
    name, file_id, action, size, sha1, mtime, upload_ms, _ours, ctype, info, sse = row
    return FileVersion(
        file_id=file_id,
        file_name=name,
        action=action,
        size=size,
        content_sha1=sha1,
        is_sha1_verified=sha1 is not None,
        content_type=ctype,
        upload_timestamp_ms=upload_ms,
        src_last_modified_ms=mtime,
        file_info=_info(info),
        bucket_id=bucket_id,
        encryption=sse,
    )


def _info(raw: str | None) -> dict[str, str]:
    # written by _info_json from a Mapping[str, str]: no per-value conversion needed
    if raw is None:
        return {}
    loaded = _DECODER.decode(raw)
    return cast(dict[str, str], loaded) if isinstance(loaded, dict) else {}


class RemoteIndex:
    """Reads and writes of the remote index (``journal.remote``)."""

    def __init__(self, db: Database, folders: Folders) -> None:
        self._db = db
        self._folders = folders

    # -- walks -------------------------------------------------------------------------

    def walk(self, folder: str) -> Walk | None:
        """The folder's walk state, or None if it was never listed."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return None
        with self._db.read("read the remote walk") as conn:
            row = (
                dbapi(conn)
                .execute(
                    "SELECT walk, started_ms, finished_ms, last_finished_ms, cursor_name,"
                    " cursor_id, versions, calls FROM remote_walks WHERE folder_id = ?",
                    (folder_id,),
                )
                .fetchone()
            )
        if row is None:
            return None
        walk, started, finished, last, cname, cid, versions, calls = row
        cursor = None if cname is None else (str(cname), cid)
        return Walk(
            walk=walk,
            started_ms=started,
            finished_ms=finished,
            last_finished_ms=last,
            cursor=cursor,
            versions=versions,
            calls=calls,
        )

    def begin_walk(self, folder: str, now_ms: int) -> Walk:
        """Resume the folder's interrupted walk, or start the next one."""
        current = self.walk(folder)
        if current is not None and current.running:
            return current
        folder_id = self._folders.ensure([folder])[folder]
        with self._db.write("start a remote walk") as conn:
            dbapi(conn).execute(
                "INSERT INTO remote_walks (folder_id, walk, started_ms, finished_ms,"
                " last_finished_ms, cursor_name, cursor_id, versions, calls)"
                " VALUES (?, 1, ?, 0, 0, NULL, NULL, 0, 0) ON CONFLICT (folder_id) DO UPDATE"
                " SET walk = walk + 1, started_ms = excluded.started_ms, finished_ms = 0,"
                " cursor_name = NULL, cursor_id = NULL, versions = 0, calls = 0",
                (folder_id, now_ms),
            )
        walk = self.walk(folder)
        assert walk is not None  # written just above
        return walk

    def store_page(
        self,
        folder: str,
        walk: int,
        versions: Sequence[FileVersion],
        next_start: tuple[str, str | None] | None,
    ) -> None:
        """Record one listed page and move the walk's cursor past it (one transaction,
        so an interrupted walk resumes at the first page it did not store)."""
        folder_id = self._folders.ensure([folder])[folder]
        name, file_id = next_start if next_start is not None else (None, None)
        with self._db.write("store a remote listing page") as conn:
            raw = dbapi(conn)
            raw.executemany(
                _UPSERT.format(seen="?"),
                [(*_values(folder_id, v, ours=False), walk) for v in versions],
            )
            raw.execute(
                "UPDATE remote_walks SET cursor_name = ?, cursor_id = ?,"
                " versions = versions + ?, calls = calls + 1 WHERE folder_id = ?",
                (name, file_id, len(versions), folder_id),
            )

    def finish_walk(self, folder: str, walk: int, now_ms: int) -> int:
        """End the walk: drop the versions it did not list; return how many."""
        folder_id = self._folders.ensure([folder])[folder]
        with self._db.write("finish a remote walk", durable=True) as conn:
            raw = dbapi(conn)
            gone = raw.execute(
                "DELETE FROM remote_versions WHERE folder_id = ? AND seen < ?",
                (folder_id, walk),
            ).rowcount
            raw.execute(
                "UPDATE remote_walks SET finished_ms = ?, last_finished_ms = ?,"
                " cursor_name = NULL, cursor_id = NULL WHERE folder_id = ?",
                (now_ms, now_ms, folder_id),
            )
        return int(gone)

    # -- reads -------------------------------------------------------------------------

    def divergent(self, folder: str) -> Iterator[Divergence]:
        """Index entries whose version B2 lost or covered with someone else's."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return
        with self._db.read("compare the index with the remote index") as conn:
            rows = dbapi(conn).execute(_DIVERGENT, (folder_id,)).fetchall()
        for path, b2_name, file_id, newest in rows:
            yield Divergence(
                rel_path=decode_path(bytes(path)),
                b2_name=B2Name(b2_name),
                indexed_file_id=file_id,
                newest_file_id=newest,
            )

    def versions_of(self, folder: str, name: str) -> list[tuple[FileVersion, bool]]:
        """Every cached version of ``name``, newest first, each with whether syncd wrote it."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return []
        with self._db.read("read the remote index") as conn:
            rows = (
                dbapi(conn)
                .execute(
                    f"SELECT {_COLUMNS} FROM remote_versions WHERE folder_id = ? AND name = ?"
                    " ORDER BY upload_ms DESC, file_id",
                    (folder_id, name),
                )
                .fetchall()
            )
        return [(_version(row), bool(row[7])) for row in rows]

    def copy_source(
        self, folder: str, name: str, file_id: str, bucket_id: str
    ) -> FileVersion | None:
        """The version ``file_id`` of ``name`` as a server-side copy needs it (content
        type, file info, encryption), or None when the index does not hold all of that
        (a row carried over from schema v4, or one B2 listed without it): then the copy
        asks B2 for it."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return None
        with self._db.read("read a version from the remote index") as conn:
            row = (
                dbapi(conn)
                .execute(
                    f"SELECT {_COLUMNS} FROM remote_versions WHERE folder_id = ? AND name = ?"
                    " AND file_id = ?",
                    (folder_id, name, file_id),
                )
                .fetchone()
            )
        if row is None or row[2] not in ("upload", "copy") or row[8] is None or row[9] is None:
            return None
        return _version(row, bucket_id)

    def iter_versions(self, folder: str, prefix: str = "") -> Iterator[FileVersion]:
        """Every cached version under ``prefix``: by name, newest first (a page at a time)."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return
        after: tuple[str, int, str] | None = None
        while True:
            with self._db.read("read the remote index") as conn:
                rows = _page(dbapi(conn), folder_id, prefix, after)
            yield from (_version(row) for row in rows)
            if len(rows) < _PAGE:
                return
            last = rows[-1]
            after = (last[0], last[6], last[1])

    def iter_latest(self, folder: str, prefix: str = "") -> Iterator[FileVersion]:
        """The newest version of each name under ``prefix`` when it is not a hide marker
        (what ``b2_list_file_names`` would list), by name."""
        name: str | None = None
        for version in self.iter_versions(folder, prefix):
            if version.file_name == name:
                continue
            name = version.file_name
            if version.action in ("upload", "copy"):
                yield version


_PAGE = 1000


def _page(
    raw: sqlite3.Connection, folder_id: int, prefix: str, after: tuple[str, int, str] | None
) -> list[tuple[Any, ...]]:
    where = "folder_id = ? AND name >= ?"
    params: list[Any] = [folder_id, prefix]
    if prefix:
        where += " AND substr(name, 1, ?) = ?"
        params += [len(prefix), prefix]
    if after is not None:
        name, upload_ms, file_id = after
        where += (
            " AND (name > ? OR (name = ? AND (upload_ms < ? OR (upload_ms = ? AND file_id > ?))))"
        )
        params += [name, name, upload_ms, upload_ms, file_id]
    sql = (
        f"SELECT {_COLUMNS} FROM remote_versions WHERE {where}"
        f" ORDER BY name, upload_ms DESC, file_id LIMIT {_PAGE}"
    )
    return list(raw.execute(sql, params).fetchall())
