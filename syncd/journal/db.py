"""One SQLAlchemy engine per journal file: PRAGMAs, transactions, error translation.

Imports ``syncd.errors`` only. Every journal call runs in one short transaction taken
from here:

* ``write()`` serializes writers of this process on a lock, then ``BEGIN IMMEDIATE``
  (the pysqlite recipe: the driver's own BEGIN is switched off and SQLAlchemy's
  ``begin`` event emits ours), so a writer takes SQLite's write lock up front and never
  fails half-way with SQLITE_BUSY on lock upgrade. ``busy_timeout`` covers other
  processes (a status command, a checkpoint).
* ``read()`` is a deferred transaction on its own pooled connection; WAL lets readers
  run beside the writer.

Durability: connections run ``synchronous=NORMAL``; a write opened with
``durable=True`` commits under ``FULL``. In WAL mode NORMAL stays consistent after a
power loss but may roll back the last commits; FULL syncs the WAL at commit, and since
the WAL is append-only that also makes every earlier commit durable. FULL is used where
losing a commit costs more than work: the index after B2 confirmed an upload
(forgetting it means a duplicate upload), bulk adoption, and meta (root identity,
paused state, approvals). Hints, leases, backoff and issues are re-derived by the
startup rescan and lease expiry, so they take NORMAL and keep the fsync off the hot
path.

Every SQLAlchemy or sqlite3 error leaves as ``JournalError`` chained to the original,
with the driver's message only (never the statement's parameters: they hold names).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import QueuePool

from syncd.errors import JournalError, JournalFullError

CACHE_KIB = 8 * 1024  # page cache per connection; POOL_SIZE + POOL_OVERFLOW of them
POOL_SIZE = 4
POOL_OVERFLOW = 4
BUSY_TIMEOUT_MS = 10_000
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024  # WAL truncated to this after a checkpoint
_WRITE_OPTION = "syncd_journal_write"

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA cache_size=-{CACHE_KIB}",
    f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}",
    "PRAGMA trusted_schema=OFF",  # a tampered file cannot run functions from its schema
)


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # the driver emits no BEGIN; _on_begin does
    cursor = dbapi_conn.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_begin(conn: Connection) -> None:
    is_write = conn.get_execution_options().get(_WRITE_OPTION, False)
    # Straight to the driver: through exec_driver_sql the BEGIN alone cost ~140 us.
    driver_execute(conn, "BEGIN IMMEDIATE" if is_write else "BEGIN DEFERRED")


def _disk_full(exc: BaseException) -> bool:
    """True for SQLITE_FULL (the disk, or the quota, ran out of space)."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
        "database or disk is full" in str(orig)
    )


def driver_message(exc: BaseException) -> str:
    """The database driver's own words for ``exc``, without SQL or parameters."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        return str(orig) or type(orig).__name__
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return type(exc).__name__
    return str(exc) or type(exc).__name__


def driver_execute(conn: Connection, sql: str) -> None:
    """Run ``sql`` on ``conn``'s driver connection, outside SQLAlchemy's transaction.

    Through SQLAlchemy the statement would autobegin a transaction; PRAGMAs such as
    ``synchronous`` and ``foreign_keys`` must run outside one.
    """
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def dbapi(conn: Connection) -> sqlite3.Connection:
    """The driver connection under ``conn``, inside the same transaction.

    The per-file hot path runs fixed SQL strings on it (sqlite3 keeps them prepared),
    which skips SQLAlchemy's per-statement compile and cache-key work: about 7 us per
    statement instead of 150-400 us.
    """
    raw = conn.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):  # pragma: no cover - the engine is pysqlite
        raise TypeError("the journal runs on the sqlite3 driver")
    return raw


class Database:
    """The engine of one journal file, with translated, short transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._closed = False
        self.had_error = False
        """True once any statement failed: the file is not sealed at close (seal.py)."""
        url = URL.create("sqlite+pysqlite", database=str(path))
        self._engine: Engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            connect_args={"check_same_thread": False},
        )
        event.listen(self._engine, "connect", _on_connect)
        event.listen(self._engine, "begin", _on_begin)

    def error_of(self, action: str, exc: BaseException) -> JournalError:
        """The JournalError that ``exc`` (raised doing ``action``) stands for."""
        if isinstance(exc, JournalError):
            return exc
        prefix = f"journal {self.path.name}: {action} failed"
        if isinstance(exc, sa_exc.SQLAlchemyError | sqlite3.Error):
            self.had_error = True
            kind = JournalFullError if _disk_full(exc) else JournalError
            return kind(f"{prefix}: {driver_message(exc)}")
        if isinstance(exc, UnicodeEncodeError):  # a text value with surrogates: a caller's bug
            return JournalError(f"{prefix}: a text value is not valid UTF-8")
        return JournalError(f"{prefix}: {exc!r}")

    @contextmanager
    def translate(self, action: str) -> Iterator[None]:
        """Turn driver and SQLAlchemy errors inside the block into JournalError."""
        try:
            yield
        except (sa_exc.SQLAlchemyError, sqlite3.Error, UnicodeEncodeError) as exc:
            raise self.error_of(action, exc) from exc

    @contextmanager
    def write(self, action: str, *, durable: bool = False) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE), committed when the block ends."""
        self._check_open()
        with self._write_lock, self.translate(action), self._engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            if durable:
                driver_execute(conn, "PRAGMA synchronous=FULL")
            try:
                with conn.begin():
                    yield conn
            finally:
                if durable:
                    driver_execute(conn, "PRAGMA synchronous=NORMAL")

    @contextmanager
    def read(self, action: str) -> Iterator[Connection]:
        """One read transaction on its own pooled connection."""
        self._check_open()
        with self.translate(action), self._engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def raw(self, action: str) -> Iterator[Connection]:
        """A connection outside any transaction, holding the write lock (migrations)."""
        self._check_open()
        with self._write_lock, self.translate(action), self._engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            yield conn

    def _check_open(self) -> None:
        if self._closed:
            raise JournalError(f"journal {self.path.name} is closed")

    def close(self, *, optimize: bool = True) -> None:
        """Close every pooled connection (the last one checkpoints and drops the WAL).

        ``optimize`` first lets SQLite refresh its planner statistics.
        """
        if self._closed:
            return
        try:
            if optimize:
                with contextlib.suppress(JournalError), self.raw("close") as conn:
                    driver_execute(conn, "PRAGMA optimize")  # statistics only: may fail
        finally:
            self._closed = True
            self._engine.dispose()
