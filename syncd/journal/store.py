"""``Journal``: the change queue and the memory of syncd, on one SQLite file.

Imports ``syncd.domain``, ``syncd.errors``, ``syncd.clock`` and the rest of
``syncd.journal``. Each public method is one short transaction (a ``record`` of many
hints is one commit; completions of many workers share one durable commit, see
``group.py``) and returns domain values, never rows. Safe to call from any thread:
writers queue on one lock, readers use their own connections. Time comes from the
injected clock only. The index methods live in ``index_api.py``, the typed folder state
and schedule offsets in ``state.py`` (``journal.state``).

Errors: every database failure is a ``JournalError`` (FATAL; ``JournalFullError``, a full
disk, pauses the workers instead); nothing else escapes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from sqlalchemy import Connection

from syncd.clock import Clock
from syncd.domain import ChangeKind, IndexEntry, Job, LocalChange, RelPath, Timing
from syncd.errors import JournalError
from syncd.journal import history, migrate, notes, queue, seal
from syncd.journal import index as index_rows
from syncd.journal.codec import (
    decode_path,
    encode_path,
    index_values,
)
from syncd.journal.db import Database, driver_execute
from syncd.journal.folders import Folders
from syncd.journal.group import GroupCommit
from syncd.journal.index_api import IndexReads
from syncd.journal.issues_api import UNKNOWN, IssueMethods
from syncd.journal.large import LargeUploads, forget_row
from syncd.journal.ledger import Ledger, record_conflict
from syncd.journal.remote_index import RemoteIndex, Written, forget_name, record_own
from syncd.journal.schema import SCHEMA_VERSION
from syncd.journal.state import StateStore


class Journal(IndexReads, IssueMethods):
    """The durable queue of pending changes, the index of uploads, issues and state."""

    def __init__(self, db: Database, *, clock: Clock, checked_ms: int | None = None) -> None:
        """Wrap an open, current-schema database; use ``Journal.open``. ``checked_ms``:
        when ``quick_check`` last passed on the file (None: not known, no seal at close)."""
        self._db = db
        self._clock = clock
        self._checked_ms = checked_ms
        self._folders = Folders(db)
        self._group = GroupCommit(db)
        self.state = StateStore(db, self._folders, clock)
        """Each folder's root identity and delete-guard counts; schedule offsets."""
        self.remote = RemoteIndex(db, self._folders)
        """The cache of what B2 holds under each folder's prefix."""
        self.ledger = Ledger(db, self._folders)
        """Conflicts with other writers; B2 calls per day and class."""
        self.large = LargeUploads(db, self._folders, clock)
        """Large uploads started and not finished, for an exact resume."""
        self._trimmer = history.Trimmer()

    @classmethod
    def open(cls, path: Path, *, clock: Clock, trust_seal: bool = False) -> Journal:
        """Open the journal at ``path``, creating or migrating it as needed.

        ``trust_seal`` (one-shot runs) skips ``PRAGMA quick_check`` when the clean-close
        seal shows that nothing wrote to the file since syncd last closed it cleanly
        and the last full check is less than a day old (``seal.py`` argues why that
        misses no damage). Every close that was clean writes a new seal.

        Raises:
            JournalError: the file is damaged, foreign, or from a newer syncd (then it
                is left untouched), or cannot be created.
        """
        now = clock.now_ms()
        sealed = seal.read(path) if trust_seal else None
        skip_check = seal.holds(path, sealed, now_ms=now)
        try:
            state = migrate.inspect(path, quick_check=not skip_check)
            if state is None:
                migrate.create(path)
            version = SCHEMA_VERSION if state is None else state.user_version
        except OSError as exc:
            raise JournalError(f"journal {path} cannot be created: {exc.strerror}") from exc
        db = Database(path)
        try:
            migrate.migrate(db, version)
        except BaseException:
            db.close(optimize=False)
            raise
        checked_ms = sealed.checked_ms if skip_check and sealed is not None else now
        return cls(db, clock=clock, checked_ms=checked_ms)

    @classmethod
    def open_copy(cls, path: Path, *, into: Path, clock: Clock) -> Journal:
        """Open a private copy of the journal at ``path`` (or a new, empty one) in the
        directory ``into``: for a dry run, which may write only to the copy. The caller
        holds the instance lock, so no other process writes while the files are copied.

        Raises:
            JournalError: as ``open``, or the files cannot be copied.
        """
        copy = into / path.name
        try:
            for suffix in ("", "-wal"):
                source = path.with_name(path.name + suffix)
                if source.exists():
                    shutil.copyfile(source, copy.with_name(copy.name + suffix))
        except OSError as exc:
            raise JournalError(f"journal {path} cannot be copied: {exc.strerror}") from exc
        return cls.open(copy, clock=clock)

    def close(self) -> None:
        """Commit what is queued, release every connection and, when no statement
        failed, seal the file (``seal.py``); later calls raise JournalError.
        Idempotent."""
        self._group.close()
        self._db.close()
        checked_ms, self._checked_ms = self._checked_ms, None
        if checked_ms is not None:
            if self._db.had_error:
                seal.discard(self._db.path)
            else:
                seal.record(self._db.path, checked_ms=checked_ms)

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def path(self) -> Path:
        """The journal file."""
        return self._db.path

    # -- the queue -----------------------------------------------------------------

    def record(
        self,
        changes: Sequence[LocalChange],
        *,
        settle_ms: int,
        delete_hold_ms: int,
        max_deferral_ms: int,
    ) -> int:
        """Coalesce hints into their paths' pending rows, in one transaction.

        A leased row keeps its lease; its generation moves, which the worker's
        ``complete`` notices. The rules are in ``coalesce.py``.

        Returns:
            How many rows were inserted or updated.
        """
        if not changes:
            return 0
        timing = Timing(
            settle_ms=settle_ms, delete_hold_ms=delete_hold_ms, max_deferral_ms=max_deferral_ms
        )
        ids = self._folders.ensure(change.folder for change in changes)
        grouped: dict[int, dict[bytes, list[LocalChange]]] = {}
        for change in changes:
            by_path = grouped.setdefault(ids[change.folder], {})
            by_path.setdefault(encode_path(change.rel_path), []).append(change)
        with self._db.write("record") as conn:
            return sum(queue.record(conn, fid, paths, timing) for fid, paths in grouped.items())

    def claim(
        self, *, worker: str, limit: int, lease_ms: int, honour_pause: bool = False
    ) -> list[Job]:
        """Lease up to ``limit`` rows that are due, out of backoff and unleased; with
        ``honour_pause`` (the daemon), none of a folder ``syncd pause`` holds."""
        now = self._clock.now_ms()
        with self._db.write("claim") as conn:
            return queue.claim(
                conn,
                worker=worker,
                limit=limit,
                lease_ms=lease_ms,
                now_ms=now,
                folder_name=lambda folder_id: self._folders.name(folder_id, conn),
                honour_pause=honour_pause,
            )

    def complete(
        self,
        job: Job,
        *,
        index: IndexEntry | None,
        remove_index: bool = False,
        written: Written | None = None,
    ) -> bool:
        """Record a finished job (after B2 confirmed), durably, in one transaction that
        may be shared with other workers' completions (group commit: one fsync each).

        Upserts ``index`` (or forgets the job's path if ``remove_index``) and adds what
        the job ``written`` on B2 to the remote index (and its conflict, if any), then deletes
        the pending row if its generation is still the job's; if newer hints arrived
        the row stays, unleased, to be taken again. A job whose row is already gone
        (its lease expired and another claim finished it) changes nothing.

        Returns:
            True when the row was deleted (nothing newer is pending for the path).
        """
        work = self._completion(job, index, remove_index, written)
        return self._group.run("complete", work) is queue.Finish.DONE

    def _completion(
        self, job: Job, index: IndexEntry | None, remove_index: bool, written: Written | None
    ) -> Callable[[Connection], queue.Finish]:
        names = [job.folder] if index is None else [job.folder, index.folder]
        ids = self._folders.ensure(names)
        now = self._clock.now_ms()
        path = encode_path(job.rel_path)
        events = [] if written is None else _events_of(job.rel_path, written)
        trim = self._trimmer.due(now, len(events))

        def work(conn: Connection) -> queue.Finish:
            outcome = queue.finish(conn, job, now_ms=now)
            if outcome is not queue.Finish.GONE:
                if index is not None:
                    index_rows.upsert(conn, [index_values(index, ids[index.folder])])
                elif remove_index:
                    index_rows.remove(conn, ids[job.folder], path)
                if index is not None or remove_index:  # synced: any old issue is over
                    notes.clear(conn, ids[job.folder], path)
                    if written is not None and written.in_parts:
                        forget_row(conn, ids[job.folder], path)  # its large upload finished
            if written is not None:  # B2 holds it whatever became of the row
                _record_written(conn, ids[job.folder], written)
                history.add(conn, ids[job.folder], now, events)
            if trim:
                history.trim(conn, now)
            return outcome

        return work

    def complete_later(
        self,
        job: Job,
        *,
        index: IndexEntry | None,
        remove_index: bool = False,
        written: Written | None = None,
        on_failed: Callable[[JournalError], None],
        on_done: Callable[[], None] | None = None,
    ) -> None:
        """``complete`` without waiting for the commit: queued for the journal's writer
        thread, committed with the next batch; then ``on_done`` runs, or ``on_failed``
        hears why it could not be. ``flush`` waits for everything queued."""
        work = self._completion(job, index, remove_index, written)
        self._group.submit("complete", work, on_failed, on_done)

    def record_history(self, folder: str, events: Sequence[history.HistoryEvent]) -> None:
        """Keep ``events`` in the history, now, for things done outside any other journal
        write (the versions a prune deleted)."""
        if not events:
            return
        folder_id = self._folders.ensure([folder])[folder]
        now = self._clock.now_ms()
        with self._db.write("record history") as conn:
            history.add(conn, folder_id, now, events)

    def flush(self) -> None:
        """Wait until every ``complete_later`` is committed or has failed."""
        self._group.flush()

    def fail(self, job: Job, *, error: str, retry_at_ms: int) -> None:
        """Count a failed attempt, keep ``error`` for the path, back off, unlease."""
        with self._db.write("fail") as conn:
            queue.fail(conn, job, error=error, retry_at_ms=retry_at_ms)

    def requeue(self, job: Job, *, due_ms: int) -> None:
        """Unlease and make due at ``due_ms`` without counting an attempt (the file
        changed while read); the row's deferral window restarts now."""
        now = self._clock.now_ms()
        with self._db.write("requeue") as conn:
            queue.requeue(conn, job, due_ms=due_ms, now_ms=now)

    def renew_lease(self, job: Job, *, worker: str, lease_ms: int) -> bool:
        """Extend ``worker``'s lease for a long job; False if it lost the lease."""
        now = self._clock.now_ms()
        with self._db.write("renew lease") as conn:
            return queue.renew(conn, job, worker=worker, lease_ms=lease_ms, now_ms=now)

    def release_stale_leases(self) -> int:
        """At start, under the instance lock: release every lease (their owners died),
        marking those rows ``maybe_sent`` (their sends may have reached B2), durably.

        Returns:
            How many leases were released.
        """
        with self._db.write("release stale leases", durable=True) as conn:
            marked = queue.mark_leased_maybe_sent(conn)
            queue.release(conn, "")
            return marked

    def release_all_leases(self, worker_prefix: str = "") -> int:
        """Clear the leases of workers whose names start with the prefix (shutdown)."""
        with self._db.write("release leases") as conn:
            return queue.release(conn, worker_prefix)

    def checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it: gives back its disk space
        (after a full disk; the WAL otherwise grows to its auto-checkpoint size)."""
        with self._db.raw("checkpoint") as conn:
            driver_execute(conn, "PRAGMA wal_checkpoint(TRUNCATE)")

    def release_jobs(self, jobs: Sequence[Job], *, maybe_sent: bool = False) -> int:
        """Clear the leases of jobs this process holds but will not finish: claimed and
        never started, or (``maybe_sent``) sent but not recorded, so the next worker
        looks on B2 before sending again. Return how many were released."""
        with self._db.write("release jobs", durable=maybe_sent) as conn:
            return queue.release_ids(conn, [job.id for job in jobs], maybe_sent=maybe_sent)

    def retry_now(self) -> int:
        """End every backoff so failed rows are claimable again (a one-shot run)."""
        with self._db.write("retry now") as conn:
            return queue.retry_now(conn)

    def next_due_ms(self) -> int | None:
        """The earliest time any row becomes claimable; None when nothing is pending."""
        with self._db.read("next due") as conn:
            return queue.next_ready_ms(conn)

    def pending_count(self, folder: str | None = None) -> int:
        """Pending rows, of one folder or all."""
        return self.count_pending(folder)

    def count_pending(self, folder: str | None = None, *, kind: ChangeKind | None = None) -> int:
        """Pending rows, of one folder or all, of one kind or all."""
        folder_id = self._folder_filter(folder)
        if folder_id == UNKNOWN:
            return 0
        with self._db.read("count pending") as conn:
            return queue.count(conn, folder_id, kind)

    def delete_pressure(self, folder: str) -> tuple[int, int]:
        """(pending deletes of indexed paths, indexed paths) of the folder, read in one
        transaction: a hide completing meanwhile lowers both or neither."""
        folder_id = self._folders.lookup(folder)
        if folder_id is None:
            return 0, 0
        with self._db.read("delete pressure") as conn:
            return queue.count_indexed_deletes(conn, folder_id), index_rows.count(conn, folder_id)

    def failures(self, folder: str | None = None) -> list[tuple[RelPath, int, str]]:
        """(path, attempts, last error) of every pending path that failed, by path."""
        folder_id = self._folder_filter(folder)
        if folder_id == UNKNOWN:
            return []
        with self._db.read("list failures") as conn:
            rows = queue.failures(conn, folder_id)
        return [(decode_path(path), attempts, error) for path, attempts, error in rows]


def _record_written(conn: Connection, folder_id: int, written: Written) -> None:
    if written.purged is not None:
        forget_name(conn, folder_id, written.purged)
    if written.versions:
        record_own(conn, folder_id, written.versions)
    if written.conflict is not None:
        record_conflict(conn, folder_id, written.conflict)


def _events_of(rel_path: str, written: Written) -> list[history.HistoryEvent]:
    return history.of_written(
        rel_path,
        written.versions,
        purged=written.purged,
        conflict=written.conflict,
        detail=written.detail,
    )
