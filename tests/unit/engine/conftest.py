"""Fixtures for the engine tests: a manual clock, a journal on disk, a folder root and
value factories for local states, index entries and B2 versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.b2 import Bucket, FileVersion
from syncd.config import FolderConfig
from syncd.domain import B2Name, IndexEntry, LocalState, RelPath
from syncd.journal import Journal
from tests.support.fake_clock import START_MS, FakeClock

FOLDER = "docs"
PREFIX = "p/"
BUCKET = Bucket(bucket_id="bucket-id-1", bucket_name="test-bucket", bucket_type="allPrivate")


@pytest.fixture
def clock() -> FakeClock:
    """A manual clock starting at a fixed instant."""
    return FakeClock()


@pytest.fixture
def journal(tmp_path: Path, clock: FakeClock) -> Iterator[Journal]:
    """A fresh journal on disk, closed after the test."""
    opened = Journal.open(tmp_path / "journal.sqlite3", clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty folder root."""
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def folder(root: Path) -> FolderConfig:
    """The folder ``docs`` at ``root``, synced under the prefix ``p/``."""
    return FolderConfig(name=FOLDER, path=root, bucket=BUCKET.bucket_name, prefix=PREFIX)


def local_state(rel_path: str = "a.txt", **fields: int) -> LocalState:
    """A local file's state; keyword arguments override fields."""
    values = {
        "size": 10,
        "mtime_ns": 5_000_000_123,
        "ctime_ns": 6_000_000_000,
        "dev": 1,
        "inode": 7,
    }
    values.update(fields)
    return LocalState(rel_path=RelPath(rel_path), **values)


def index_entry(rel_path: str = "a.txt", **fields: int | str) -> IndexEntry:
    """An index entry of folder ``docs`` matching ``local_state()``; keywords override."""
    values: dict[str, int | str] = {
        "size": 10,
        "mtime_ns": 5_000_000_123,
        "ctime_ns": 6_000_000_000,
        "dev": 1,
        "inode": 7,
        "sha1": "a" * 40,
        "file_id": "id-" + rel_path,
        "upload_timestamp_ms": START_MS,
    }
    values.update(fields)
    return IndexEntry(
        folder=FOLDER,
        rel_path=RelPath(rel_path),
        b2_name=B2Name(PREFIX + rel_path),
        **values,  # type: ignore[arg-type]
    )


def file_version(
    name: str,
    *,
    file_id: str | None = None,
    action: str = "upload",
    size: int = 10,
    sha1: str | None = "a" * 40,
    mtime_ms: int | None = 5_000,
    uploaded_ms: int = START_MS,
) -> FileVersion:
    """A B2 version of ``name`` (``file_id`` defaults to ``"id-" + name``)."""
    return FileVersion(
        file_id=file_id or "id-" + name,
        file_name=name,
        action=action,
        size=size,
        content_sha1=sha1,
        is_sha1_verified=True,
        content_type="application/octet-stream",
        upload_timestamp_ms=uploaded_ms,
        src_last_modified_ms=mtime_ms,
        file_info={},
        bucket_id=BUCKET.bucket_id,
    )
