"""Fixtures for the journal tests: a manual clock, a fresh journal, value factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syncd.domain import B2Name, ChangeKind, IndexEntry, LocalChange, RelPath
from syncd.journal import Journal
from syncd.journal.codec import safe_text
from tests.support.fake_clock import START_MS, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A manual clock starting at a fixed instant."""
    return FakeClock()


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """Where the test's journal lives."""
    return tmp_path / "journal.sqlite3"


@pytest.fixture
def journal(journal_path: Path, clock: FakeClock) -> Iterator[Journal]:
    """A fresh journal on disk, closed after the test."""
    opened = Journal.open(journal_path, clock=clock)
    yield opened
    opened.close()


Change = Callable[..., LocalChange]
Entry = Callable[..., IndexEntry]


@pytest.fixture
def change(clock: FakeClock) -> Change:
    """Factory of hints: ``change("a.txt", kind=..., at=..., folder=...)``."""

    def make(
        rel_path: str,
        kind: ChangeKind = ChangeKind.CHANGED,
        at: int | None = None,
        folder: str = "docs",
    ) -> LocalChange:
        return LocalChange(
            folder=folder,
            rel_path=RelPath(rel_path),
            kind=kind,
            observed_ms=clock.now_ms() if at is None else at,
        )

    return make


@pytest.fixture
def entry() -> Entry:
    """Factory of index entries: ``entry("a.txt", inode=7, folder=...)``."""

    def make(rel_path: str, *, folder: str = "docs", **fields: int | str) -> IndexEntry:
        values: dict[str, int | str] = {
            "dev": 1,
            "inode": 100,
            "size": 10,
            "mtime_ns": 5_000_000_123,
            "ctime_ns": 6_000_000_000,
            "sha1": "a" * 40,
            "file_id": "4_z_file",
            "upload_timestamp_ms": START_MS,
        }
        values.update(fields)
        return IndexEntry(
            folder=folder,
            rel_path=RelPath(rel_path),
            b2_name=B2Name("prefix/" + safe_text(rel_path)),
            **values,  # type: ignore[arg-type]
        )

    return make
