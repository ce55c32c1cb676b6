"""Group commit: durable writes from many threads share one transaction and one fsync.

A caller hands in its work (a function of the open connection) and blocks until that
work is durable, exactly as with its own ``FULL`` commit; but while one batch commits,
the writes that arrive queue up, and the next thread to take the lead commits all of
them at once. Under load the fsyncs per job fall with the number of workers; a lone
writer pays what it paid before.

Each piece of work runs inside its own SAVEPOINT, so one that fails is rolled back and
raised to its own caller only; a failed COMMIT fails every caller of the batch.

``submit`` is the same without the wait: a writer thread commits queued work in
batches, and the caller goes on at once (a worker starts its next upload while the
last one's record is being made durable). Nothing is lost by not waiting: the job's
row stays leased until its record commits, so a crash before that leaves a stale
lease, which the next start marks ``maybe_sent`` (look on B2 before sending again).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection

from syncd.errors import JournalError
from syncd.journal.db import Database, dbapi

T = TypeVar("T")

# How long the writer thread lets a batch of submitted work fill before it commits it:
# small uploads complete every few milliseconds, and a batch of one pays a whole
# commit (BEGIN, two PRAGMAs, COMMIT and an fsync) for one record. The callers do not
# wait for it; only the durability of their records (and ``flush``) is this much later.
GATHER_S = 0.01


@dataclass(slots=True, eq=False)
class _Ticket(Generic[T]):
    work: Callable[[Connection], T]
    result: T | None = None
    error: BaseException | None = None
    done: bool = False
    action: str = ""
    on_failed: Callable[[JournalError], None] | None = None  # submitted: nobody waits
    on_done: Callable[[], None] | None = None


class GroupCommit:
    """Runs durable work for many threads in shared transactions."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue_lock = threading.Lock()
        self._changed = threading.Condition(self._queue_lock)
        self._leader = threading.Lock()  # one batch commits at a time
        self._queue: list[_Ticket[Any]] = []
        self._submitted = 0  # submitted tickets not yet committed (or failed)
        self._writer: threading.Thread | None = None
        self._closing = False
        self.batches = 0  # committed batches, for tests and figures
        self.tickets = 0  # work items in them

    def submit(
        self,
        action: str,
        work: Callable[[Connection], object],
        on_failed: Callable[[JournalError], None],
        on_done: Callable[[], None] | None = None,
    ) -> None:
        """Queue ``work`` for the writer thread and return at once. It commits with the
        next batch; then ``on_done`` runs, or if it (or its batch) failed, ``on_failed``
        gets the error, on the writer thread. ``flush`` waits for everything submitted."""
        ticket: _Ticket[object] = _Ticket(work, action=action, on_failed=on_failed, on_done=on_done)
        with self._changed:
            if self._closing:
                raise JournalError(f"journal {self._db.path.name} is closing")
            self._queue.append(ticket)
            self._submitted += 1
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_loop, name="journal-writer", daemon=True
                )
                self._writer.start()
            self._changed.notify_all()

    def flush(self) -> None:
        """Wait until every submitted piece of work is committed or has failed."""
        with self._changed:
            while self._submitted:
                self._changed.wait(1.0)

    def close(self) -> None:
        """Flush, then stop the writer thread (idempotent)."""
        self.flush()
        with self._changed:
            self._closing = True
            self._changed.notify_all()
            writer = self._writer
        if writer is not None:
            writer.join(10)

    def _write_loop(self) -> None:
        while True:
            with self._changed:
                while not any(t.on_failed is not None for t in self._queue):
                    if self._closing:
                        return
                    self._changed.wait(1.0)
            if not self._closing:
                time.sleep(GATHER_S)
            with self._leader:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                if batch:
                    self._commit(batch[0].action or "complete", batch)
            self._report(batch)

    def _report(self, batch: list[_Ticket[Any]]) -> None:
        submitted = [t for t in batch if t.on_failed is not None]
        for ticket in submitted:
            if ticket.error is not None and ticket.on_failed is not None:
                ticket.on_failed(self._db.error_of(ticket.action, ticket.error))
            elif ticket.on_done is not None:
                ticket.on_done()
        with self._changed:
            self._submitted -= len(submitted)
            self._changed.notify_all()

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
                self._report(batch)  # submitted work that rode along
        if ticket.error is not None:
            raise self._db.error_of(action, ticket.error) from ticket.error
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
