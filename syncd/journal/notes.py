"""Per-path issues (shown to the user once) and the small key/value ``meta`` table.

Imports the journal's ``schema``. Functions run inside a transaction the caller
opened. An issue is one row per path: the same reason again is not news; a different
reason replaces the old one and is news again.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.sqlite import insert

from syncd.journal.codec import safe_text
from syncd.journal.schema import issues, meta


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
    conn.execute(delete(issues).where(issues.c.folder_id == folder_id, issues.c.path == path))


def listing(conn: Connection, folder_id: int | None) -> list[tuple[int, bytes, str]]:
    """(folder_id, path, reason) of every issue, by folder then path."""
    stmt = select(issues.c.folder_id, issues.c.path, issues.c.reason).order_by(
        issues.c.folder_id, issues.c.path
    )
    if folder_id is not None:
        stmt = stmt.where(issues.c.folder_id == folder_id)
    return [(int(fid), bytes(path), str(reason)) for fid, path, reason in conn.execute(stmt)]


def get_meta(conn: Connection, key: str) -> str | None:
    """The value stored under ``key``, or None."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
    return None if value is None else str(value)


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key``, replacing any older value."""
    stmt = insert(meta).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value}))


def delete_meta(conn: Connection, key: str) -> None:
    """Remove ``key`` (no error if absent)."""
    conn.execute(delete(meta).where(meta.c.key == key))
