"""Group commit: durable writes from many threads share one transaction and one fsync.

Imports the journal's ``db``. A caller hands in its work (a function of the open
connection) and blocks until that work is durable, exactly as with its own ``FULL``
commit; but while one batch commits, the writes that arrive queue up, and the next
thread to take the lead commits all of them at once. Under load the fsyncs per job
fall with the number of workers; a lone writer pays what it paid before.

Each piece of work runs inside its own SAVEPOINT, so one that fails is rolled back and
raised to its own caller only; a failed COMMIT fails every caller of the batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection

from syncd.journal.db import Database, dbapi

T = TypeVar("T")


@dataclass(slots=True, eq=False)
class _Ticket(Generic[T]):
    work: Callable[[Connection], T]
    result: T | None = None
    error: BaseException | None = None
    done: bool = False


class GroupCommit:
    """Runs durable work for many threads in shared transactions."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()  # one batch commits at a time
        self._queue: list[_Ticket[Any]] = []
        self.batches = 0  # committed batches, for tests and figures
        self.tickets = 0  # work items in them

    def run(self, action: str, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a durable transaction, maybe shared; return its result once
        the transaction committed.

        Raises:
            JournalError: the work or the commit failed.
        """
        ticket: _Ticket[T] = _Ticket(work)
        with self._queue_lock:
            self._queue.append(ticket)
        with self._leader:
            if not ticket.done:  # nobody took it while we waited: lead a batch
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(action, batch)
        if ticket.error is not None:
            with self._db.translate(action):
                raise ticket.error
        return cast(T, ticket.result)

    def _commit(self, action: str, batch: list[_Ticket[Any]]) -> None:
        try:
            with self._db.write(action, durable=True) as conn:
                raw = dbapi(conn)  # plain SAVEPOINTs: begin_nested() cost more than the work
                for ticket in batch:
                    raw.execute("SAVEPOINT ticket")
                    try:
                        ticket.result = ticket.work(conn)
                    except Exception as exc:  # noqa: BLE001  (raised to its own caller)
                        ticket.error = exc
                        raw.execute("ROLLBACK TO ticket")
                    raw.execute("RELEASE ticket")
        except BaseException as exc:
            for ticket in batch:
                ticket.error = ticket.error or exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for ticket in batch:
                ticket.done = True
            self.batches += 1
            self.tickets += len(batch)
