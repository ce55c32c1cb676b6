"""Per-path issues, each shown to the user once.

Functions run inside a transaction the caller opened. An issue is one row per path: the
same reason again is not news; a different reason replaces the old one and is news
again.
"""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert

from syncd.journal.codec import safe_text
from syncd.journal.db import dbapi
from syncd.journal.schema import issues


def report(conn: Connection, folder_id: int, path: bytes, reason: str, now_ms: int) -> bool:
    """Record an issue; True when it is new for that path (or its reason changed)."""
    reason = safe_text(reason)
    stmt = select(issues.c.reason).where(issues.c.folder_id == folder_id, issues.c.path == path)
    known = conn.execute(stmt).scalar()
    if known == reason:
        return False
    values = {"folder_id": folder_id, "path": path, "reason": reason, "first_seen_ms": now_ms}
    upsert = insert(issues).values(values)
    upsert = upsert.on_conflict_do_update(
        index_elements=[issues.c.folder_id, issues.c.path],
        set_={"reason": reason, "first_seen_ms": now_ms},
    )
    conn.execute(upsert)
    return True


def clear(conn: Connection, folder_id: int, path: bytes) -> None:
    """Forget the issue of one path, if any."""
    dbapi(conn).execute("DELETE FROM issues WHERE folder_id = ? AND path = ?", (folder_id, path))


def listing(conn: Connection, folder_id: int | None) -> list[tuple[int, bytes, str]]:
    """(folder_id, path, reason) of every issue, by folder then path."""
    stmt = select(issues.c.folder_id, issues.c.path, issues.c.reason).order_by(
        issues.c.folder_id, issues.c.path
    )
    if folder_id is not None:
        stmt = stmt.where(issues.c.folder_id == folder_id)
    return [(int(fid), bytes(path), str(reason)) for fid, path, reason in conn.execute(stmt)]
