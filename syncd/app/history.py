"""``syncd history [PATH]``: what syncd did (uploads, copies, hides, deletes, conflicts,
restores, pauses), newest first, from the journal.

Imports the app's ``explain`` (``locate``: local path -> folder) and ``files``, and
``syncd.journal.peek``: the journal is read through a read-only connection, so this
runs beside the daemon, needs no key and makes no B2 call. B2's own list of a path's
versions is ``syncd.app.versions`` (``syncd history --versions``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from syncd.app.explain import locate
from syncd.app.files import JOURNAL_NAME, state_path
from syncd.config import Config
from syncd.journal.peek import JournalPeek
from syncd.journal.peek_history import HistoryQuery, HistoryRow

DEFAULT_LIMIT = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """The rows found, and what they cover."""

    folder: str | None  # None: every folder
    rel_path: str | None  # None: the whole folder
    is_directory: bool  # rel_path names a directory: the rows of the paths below it
    since_ms: int
    rows: tuple[HistoryRow, ...]


def history(
    config: Config, path: Path | None, *, since_ms: int = 0, limit: int = DEFAULT_LIMIT
) -> Activity:
    """What syncd did in every folder, or at ``path`` (a file, or a directory: the
    paths below it), at or after ``since_ms``, newest first, at most ``limit`` rows.

    Raises:
        UsageError: ``path`` is in no configured folder.
        JournalError: the journal does not exist or cannot be read.
    """
    base = HistoryQuery(since_ms=since_ms, limit=limit)
    with JournalPeek(state_path(config, JOURNAL_NAME)) as peek:
        if path is None:
            rows = peek.history(base)
            return Activity(folder=None, rel_path=None, is_directory=False, since_ms=since_ms,
                            rows=tuple(rows))  # fmt: skip
        folder, rel = locate(config, path)
        scope = HistoryQuery(folder=folder.name, since_ms=since_ms, limit=limit)
        if not rel:
            return Activity(folder=folder.name, rel_path=None, is_directory=True,
                            since_ms=since_ms, rows=tuple(peek.history(scope)))  # fmt: skip
        is_dir = os.path.isdir(folder.path / rel)
        rows = [] if is_dir else peek.history(_with(scope, rel_path=rel))
        if not rows and not os.path.lexists(folder.path / rel):
            is_dir = True  # gone: maybe a directory that was deleted
        if is_dir:
            rows = peek.history(_with(scope, under=rel))
    return Activity(folder=folder.name, rel_path=rel, is_directory=is_dir, since_ms=since_ms,
                    rows=tuple(rows))  # fmt: skip


def _with(
    query: HistoryQuery, *, rel_path: str | None = None, under: str | None = None
) -> HistoryQuery:
    return HistoryQuery(
        folder=query.folder,
        rel_path=rel_path,
        under=under,
        since_ms=query.since_ms,
        limit=query.limit,
    )
