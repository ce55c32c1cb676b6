"""The history's read side for ``syncd history``: newest first, all folders, one folder,
one directory or one path, since a time.

Imports the standard library only (it runs on ``JournalPeek``'s read-only sqlite3
connection, without SQLAlchemy). Each statement names its index, so its plan does not
depend on statistics: ``history_path`` (folder_id, path, at_ms) for one path, whose
order is the answer's; ``history_time`` (at_ms) otherwise, read backwards from now,
filtered, stopping at ``limit`` rows. A journal older than schema v5 has no history.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_SELECT = "SELECT at_ms, folder_id, path, action, file_id, size, detail FROM history"
_NEWEST = " ORDER BY at_ms DESC, id DESC LIMIT ?"

Run = Callable[[str, Any], list[Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryRow:
    """One thing syncd did."""

    at_ms: int
    folder: str
    rel_path: str | None  # None: the whole folder (a pause, a resume)
    action: str  # upload | copy | hide | delete | conflict | restore | pause | resume
    file_id: str | None
    size: int | None
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryQuery:
    """Which rows: every folder (``folder`` None), a folder, a directory under it
    (``under``) or exactly one path (``rel_path``); at or after ``since_ms``."""

    folder: str | None = None
    rel_path: str | None = None
    under: str | None = None  # a directory: the rows of the paths below it
    since_ms: int = 0
    limit: int = 200


def statement(query: HistoryQuery, folder_ids: Mapping[str, int]) -> tuple[str, list[Any]]:
    """The SQL and parameters of ``query``."""
    since = max(query.since_ms, 0)
    params: list[Any]
    if query.folder is None:
        where, params = " INDEXED BY history_time WHERE at_ms >= ?", [since]
        return _SELECT + where + _NEWEST, [*params, query.limit]
    fid = folder_ids.get(query.folder, -1)
    if query.rel_path is not None:
        where = " INDEXED BY history_path WHERE folder_id = ? AND path = ? AND at_ms >= ?"
        params = [fid, os.fsencode(query.rel_path), since]
        return _SELECT + where + _NEWEST, [*params, query.limit]
    where = " INDEXED BY history_time WHERE at_ms >= ? AND folder_id = ?"
    params = [since, fid]
    if query.under:
        prefix = os.fsencode(query.under.rstrip("/") + "/")
        where += " AND substr(path, 1, ?) = ?"
        params += [len(prefix), prefix]
    return _SELECT + where + _NEWEST, [*params, query.limit]


def read(
    run: Run, has_table: bool, query: HistoryQuery, folder_ids: Mapping[str, int]
) -> list[HistoryRow]:
    """The rows ``query`` asks for, newest first (none before schema v5)."""
    if not has_table:
        return []
    names = {fid: name for name, fid in folder_ids.items()}
    sql, params = statement(query, folder_ids)
    return [
        HistoryRow(
            at_ms=int(r[0]),
            folder=names.get(int(r[1]), f"#{r[1]}"),
            rel_path=None if r[2] is None else os.fsdecode(bytes(r[2])),
            action=str(r[3]),
            file_id=r[4],
            size=None if r[5] is None else int(r[5]),
            detail=str(r[6]),
        )
        for r in run(sql, params)
    ]
