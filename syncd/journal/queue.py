"""The pending-change queue: record hints, claim under a lease, finish, fail, requeue.

Functions here run inside a transaction the caller (``store.Journal``) opened; the rules
of how rows change live in ``coalesce.py``, this module only reads and writes.

``ready_ms`` = max(due, retry_at, lease_until) is kept on every row and indexed, so a
claim is an index range scan, and ``next_due_ms`` a single index lookup, however long
the backlog is. Rows are claimed in ``ready_ms`` order: for a quiet row that is its due
time ("oldest due first"); a row coming out of backoff or an expired lease queues at
the moment it became claimable.

A claim with ``honour_pause`` leaves paused folders' rows alone (``park.py``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from syncd.domain import ChangeKind, Job, LocalChange, Timing
from syncd.journal import park
from syncd.journal.coalesce import Pending, fold_all, ready_ms, restart_window
from syncd.journal.codec import decode_path, safe_text
from syncd.journal.db import dbapi
from syncd.journal.schema import files, pending

IN_CHUNK = 500  # paths per "IN (...)" lookup
MAX_ERROR_CHARS = 2_000  # a per-path error message is kept, but not without bound

_STATE_COLUMNS = (
    pending.c.id,
    pending.c.path,
    pending.c.kind,
    pending.c.generation,
    pending.c.first_seen_ms,
    pending.c.max_deferral_ms,
    pending.c.quiet_ms,
    pending.c.retry_at_ms,
    pending.c.lease_until_ms,
)


class Finish(enum.Enum):
    """What ``finish`` did with the job's row."""

    DONE = "done"  # deleted: nothing newer arrived
    KEPT = "kept"  # newer hints arrived while the job ran; lease cleared
    GONE = "gone"  # the row was already finished by another claim of the same job


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    path: bytes
    state: Pending
    retry_at_ms: int
    lease_until_ms: int


def _row(values: Sequence[Any]) -> _Row:
    row_id, path, kind, generation, first_seen, max_deferral, quiet, retry_at, lease = values
    state = Pending(
        kind=ChangeKind(kind),
        generation=generation,
        first_seen_ms=first_seen,
        max_deferral_ms=max_deferral,
        quiet_ms=quiet,
    )
    return _Row(row_id, bytes(path), state, retry_at, lease)


def _state_values(state: Pending) -> dict[str, Any]:
    return {
        "kind": state.kind.value,
        "generation": state.generation,
        "first_seen_ms": state.first_seen_ms,
        "max_deferral_ms": state.max_deferral_ms,
        "quiet_ms": state.quiet_ms,
        "due_ms": state.due_ms,
    }


def record(
    conn: Connection, folder_id: int, by_path: dict[bytes, list[LocalChange]], timing: Timing
) -> int:
    """Fold each path's hints (in order) into its row; return the rows touched."""
    paths = list(by_path)
    existing: dict[bytes, _Row] = {}
    for start in range(0, len(paths), IN_CHUNK):
        chunk = paths[start : start + IN_CHUNK]
        stmt = select(*_STATE_COLUMNS).where(
            pending.c.folder_id == folder_id, pending.c.path.in_(chunk)
        )
        for found in conn.execute(stmt):
            row = _row(found)
            existing[row.path] = row
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for path, changes in by_path.items():
        old = existing.get(path)
        state = fold_all(old.state if old else None, changes, timing)
        if state is None:
            continue
        values = _state_values(state)
        if old is None:
            values.update(
                folder_id=folder_id,
                path=path,
                attempts=0,
                retry_at_ms=0,
                lease_until_ms=0,
                ready_ms=state.due_ms,
                maybe_sent=0,
            )
            inserts.append(values)
        else:
            values.update(
                row_id=old.id,
                ready_ms=ready_ms(
                    due_ms=state.due_ms,
                    retry_at_ms=old.retry_at_ms,
                    lease_until_ms=old.lease_until_ms,
                ),
            )
            updates.append(values)
    if inserts:
        conn.execute(insert(pending), inserts)
    if updates:
        conn.execute(update(pending).where(pending.c.id == bindparam("row_id")), updates)
    return len(inserts) + len(updates)


_COLUMNS = "id, folder_id, path, kind, attempts, first_seen_ms, generation, maybe_sent"
_CLAIM = f"SELECT {_COLUMNS} FROM pending WHERE ready_ms <= ? ORDER BY ready_ms, id LIMIT ?"
_LEASE = "UPDATE pending SET lease_owner = ?, lease_until_ms = ?, ready_ms = ? WHERE id = ?"


def claim(
    conn: Connection,
    *,
    worker: str,
    limit: int,
    lease_ms: int,
    now_ms: int,
    folder_name: Callable[[int], str],
    honour_pause: bool = False,
) -> list[Job]:
    """Lease up to ``limit`` claimable rows to ``worker``, earliest ready first; with
    ``honour_pause``, rows of paused folders are parked instead (see the module)."""
    raw = dbapi(conn)
    limit = max(0, limit)
    if honour_pause:
        rows = park.unpaused(raw, limit=limit, now_ms=now_ms)
    else:
        rows = raw.execute(_CLAIM, (now_ms, limit)).fetchall()
    if not rows:
        return []
    until = now_ms + max(0, lease_ms)  # due and retry_at are <= now < until
    raw.executemany(_LEASE, [(worker, until, until, row[0]) for row in rows])
    return [
        Job(
            id=row_id,
            folder=folder_name(folder_id),
            rel_path=decode_path(path),
            kind=ChangeKind(kind),
            attempts=attempts,
            first_seen_ms=first_seen,
            generation=generation,
            maybe_sent=bool(maybe_sent),
        )
        for row_id, folder_id, path, kind, attempts, first_seen, generation, maybe_sent in rows
    ]


_LOAD = (
    "SELECT id, path, kind, generation, first_seen_ms, max_deferral_ms, quiet_ms,"
    " retry_at_ms, lease_until_ms FROM pending WHERE id = ?"
)


def _load(conn: Connection, job_id: int) -> _Row | None:
    values = dbapi(conn).execute(_LOAD, (job_id,)).fetchone()
    return None if values is None else _row(values)


def _rewrite(conn: Connection, row_id: int, **values: Any) -> None:
    columns = ", ".join(f"{name} = ?" for name in values)
    dbapi(conn).execute(f"UPDATE pending SET {columns} WHERE id = ?", (*values.values(), row_id))


def finish(conn: Connection, job: Job, *, now_ms: int) -> Finish:
    """Delete the job's row, unless newer hints moved its generation (then keep it,
    unleased, with a fresh deferral window, no failure history and no in-flight mark:
    what was sent is recorded now)."""
    row = _load(conn, job.id)
    if row is None:
        return Finish.GONE
    if row.state.generation == job.generation:
        dbapi(conn).execute("DELETE FROM pending WHERE id = ?", (row.id,))
        return Finish.DONE
    state = restart_window(row.state, now_ms=now_ms)
    _rewrite(
        conn,
        row.id,
        **_state_values(state),
        attempts=0,
        retry_at_ms=0,
        last_error=None,
        lease_owner=None,
        lease_until_ms=0,
        ready_ms=state.due_ms,
        maybe_sent=0,
    )
    return Finish.KEPT


def fail(conn: Connection, job: Job, *, error: str, retry_at_ms: int) -> bool:
    """Count a failed attempt, keep its error, back off until ``retry_at_ms``."""
    row = _load(conn, job.id)
    if row is None:
        return False
    dbapi(conn).execute(
        "UPDATE pending SET attempts = attempts + 1, last_error = ?, retry_at_ms = ?,"
        " lease_owner = NULL, lease_until_ms = 0, ready_ms = ? WHERE id = ?",
        (
            safe_text(error[:MAX_ERROR_CHARS]),
            retry_at_ms,
            max(row.state.due_ms, retry_at_ms),
            row.id,
        ),
    )
    return True


def requeue(conn: Connection, job: Job, *, due_ms: int, now_ms: int) -> bool:
    """Unlease the row and make it due at ``due_ms``; no attempt is counted."""
    row = _load(conn, job.id)
    if row is None:
        return False
    state = restart_window(row.state, now_ms=now_ms, quiet_ms=due_ms)
    _rewrite(
        conn,
        row.id,
        **_state_values(state),
        lease_owner=None,
        lease_until_ms=0,
        ready_ms=max(state.due_ms, row.retry_at_ms),
    )
    return True


_RENEW = (
    "UPDATE pending SET lease_until_ms = ?, ready_ms = max(due_ms, retry_at_ms, ?)"
    " WHERE id = ? AND lease_owner = ?"
)


def renew(conn: Connection, job: Job, *, worker: str, lease_ms: int, now_ms: int) -> bool:
    """Extend ``worker``'s lease on the job's row; False if the lease is not its own."""
    until = now_ms + max(0, lease_ms)
    return dbapi(conn).execute(_RENEW, (until, until, job.id, worker)).rowcount == 1


def mark_leased_maybe_sent(conn: Connection) -> int:
    """Mark every leased row ``maybe_sent`` (its owner died mid-job); return how many."""
    result = conn.execute(
        update(pending).where(pending.c.lease_owner.is_not(None)).values(maybe_sent=1)
    )
    return int(result.rowcount)


def release(conn: Connection, worker_prefix: str) -> int:
    """Clear every lease whose owner starts with ``worker_prefix``; return how many."""
    owner = pending.c.lease_owner
    matches = func.substr(owner, 1, len(worker_prefix)) == worker_prefix
    result = conn.execute(
        update(pending)
        .where(owner.is_not(None), matches if worker_prefix else owner.is_not(None))
        .values(
            lease_owner=None,
            lease_until_ms=0,
            ready_ms=func.max(pending.c.due_ms, pending.c.retry_at_ms),
        )
    )
    return int(result.rowcount)


def release_ids(conn: Connection, ids: Sequence[int], *, maybe_sent: bool) -> int:
    """Clear the leases of these rows; with ``maybe_sent`` mark them too (their send may
    have reached B2). Return how many were released."""
    raw = dbapi(conn)
    released = 0
    for job_id in ids:
        released += raw.execute(
            "UPDATE pending SET lease_owner = NULL, lease_until_ms = 0,"
            " ready_ms = max(due_ms, retry_at_ms), maybe_sent = max(maybe_sent, ?)"
            " WHERE id = ? AND lease_owner IS NOT NULL",
            (int(maybe_sent), job_id),
        ).rowcount
    return released


def retry_now(conn: Connection) -> int:
    """End every backoff: rows waiting for ``retry_at`` become ready at their due time
    (attempts and errors are kept), and parked rows are unparked (a one-shot run is not
    held by a pause); return how many rows were waiting for a retry."""
    result = conn.execute(
        update(pending)
        .where(pending.c.retry_at_ms > 0, pending.c.lease_owner.is_(None))
        .values(retry_at_ms=0, ready_ms=pending.c.due_ms)
    )
    park.unpark(conn, None)
    return int(result.rowcount)


def next_ready_ms(conn: Connection) -> int | None:
    """The earliest ``ready_ms`` of any row, or None when the queue is empty."""
    value = conn.execute(select(func.min(pending.c.ready_ms))).scalar()
    return None if value is None else int(value)


def count(conn: Connection, folder_id: int | None, kind: ChangeKind | None) -> int:
    """Pending rows, optionally of one folder and of one kind."""
    stmt = select(func.count()).select_from(pending)
    if folder_id is not None:
        stmt = stmt.where(pending.c.folder_id == folder_id)
    if kind is not None:
        stmt = stmt.where(pending.c.kind == kind.value)
    return int(conn.execute(stmt).scalar_one())


def count_indexed_deletes(conn: Connection, folder_id: int) -> int:
    """Pending DELETED rows of the folder whose path is indexed: the hides they may cause
    (a path never uploaded has nothing on B2 to hide)."""
    stmt = (
        select(func.count())
        .select_from(pending)
        .join(files, (files.c.folder_id == pending.c.folder_id) & (files.c.path == pending.c.path))
        .where(pending.c.folder_id == folder_id, pending.c.kind == ChangeKind.DELETED.value)
    )
    return int(conn.execute(stmt).scalar_one())


def failures(conn: Connection, folder_id: int | None) -> list[tuple[bytes, int, str]]:
    """(path, attempts, last error) of every row that failed at least once, by path."""
    stmt = (
        select(pending.c.path, pending.c.attempts, pending.c.last_error)
        .where(pending.c.attempts > 0)
        .order_by(pending.c.folder_id, pending.c.path)
    )
    if folder_id is not None:
        stmt = stmt.where(pending.c.folder_id == folder_id)
    return [
        (bytes(path), int(attempts), error or "") for path, attempts, error in conn.execute(stmt)
    ]
