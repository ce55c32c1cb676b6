"""Content storage: one blob per uploaded file or part, in memory or as files on disk.

A blob is written once through a ``BlobWriter``, then read back by range. Disk layout:
``<data>/blobs/<2 hex>/<blob id>``; in-progress writes live under ``<data>/tmp/<2 hex>/``
(removed at start) and are renamed into place on commit; shard directories are made on
first use. Disk stores say
``blocking = True``: their writer and reader calls hit the file system, so callers run
them on worker threads (file creation alone can take half a millisecond here).
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from syncd.emulator.ids import new_blob_id
from syncd.emulator.models import Segment

READ_CHUNK = 1 << 20
Bytes = bytes | bytearray | memoryview


class BlobWriter(Protocol):
    """Receives one blob's bytes, then commits or aborts."""

    def write(self, data: Bytes) -> None:
        """Append bytes (the caller must not change ``data`` afterwards)."""

    def commit(self) -> str:
        """Make the blob readable and return its id."""

    def abort(self) -> None:
        """Discard everything written (safe to call more than once)."""


class BlobStore(Protocol):
    """Where content lives."""

    blocking: bool

    def writer(self) -> BlobWriter:
        """Start a new blob."""

    def read(self, blob: str, offset: int, length: int) -> Iterator[bytes]:
        """Yield ``length`` bytes starting at ``offset``, in chunks of at most 1 MiB."""

    def delete(self, blob: str) -> None:
        """Remove a blob; unknown ids are ignored."""


class _MemoryWriter:
    def __init__(self, store: MemoryBlobs) -> None:
        self._store = store
        self._chunks: list[Bytes] = []

    def write(self, data: Bytes) -> None:
        self._chunks.append(data)

    def commit(self) -> str:
        blob = new_blob_id()
        self._store.put(blob, b"".join(self._chunks))
        self._chunks = []
        return blob

    def abort(self) -> None:
        self._chunks = []


class MemoryBlobs:
    """Blobs in a dict (``--memory``)."""

    blocking = False

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def put(self, blob: str, data: bytes) -> None:
        """Store a finished blob."""
        self._data[blob] = data

    def writer(self) -> BlobWriter:
        """Start a new in-memory blob."""
        return _MemoryWriter(self)

    def read(self, blob: str, offset: int, length: int) -> Iterator[bytes]:
        """Yield slices of the stored bytes."""
        view = memoryview(self._data[blob])
        end = offset + length
        while offset < end:
            step = min(READ_CHUNK, end - offset)
            yield bytes(view[offset : offset + step])
            offset += step

    def delete(self, blob: str) -> None:
        """Forget a blob."""
        self._data.pop(blob, None)


class _DiskWriter:
    """Writes a tmp file, opened lazily (so creation also happens off the event loop)."""

    def __init__(self, store: DiskBlobs) -> None:
        self._store = store
        self._blob = new_blob_id()
        self._tmp = store.tmp_dir / self._blob[:2] / self._blob
        self._file: BinaryIO | None = None
        self._done = False

    def _open(self) -> BinaryIO:
        if self._file is None:
            self._file = _create(self._tmp)
        return self._file

    def write(self, data: Bytes) -> None:
        self._open().write(data)

    def commit(self) -> str:
        self._open().close()
        target = self._store.path_of(self._blob)
        try:
            os.replace(self._tmp, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, target)
        self._done = True
        return self._blob

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
        if not self._done:
            self._tmp.unlink(missing_ok=True)
        self._done = True


def _create(path: Path) -> BinaryIO:
    """Open a new file for writing, creating its (sharded) directory on first use."""
    try:
        return open(path, "wb", buffering=0)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "wb", buffering=0)


class DiskBlobs:
    """Blobs as files under ``root`` (``--data DIR``)."""

    blocking = True

    def __init__(self, root: Path) -> None:
        self.blob_dir = root / "blobs"
        self.tmp_dir = root / "tmp"
        shutil.rmtree(self.tmp_dir, ignore_errors=True)  # leftovers of interrupted uploads

    def path_of(self, blob: str) -> Path:
        """Where a committed blob lives."""
        return self.blob_dir / blob[:2] / blob

    def writer(self) -> BlobWriter:
        """Start a new blob in the tmp directory."""
        return _DiskWriter(self)

    def read(self, blob: str, offset: int, length: int) -> Iterator[bytes]:
        """Yield the range from the blob's file."""
        with open(self.path_of(blob), "rb", buffering=0) as handle:
            handle.seek(offset)
            remaining = length
            while remaining > 0:
                chunk = handle.read(min(READ_CHUNK, remaining))
                if not chunk:
                    raise OSError(f"blob {blob} is shorter than recorded")
                remaining -= len(chunk)
                yield chunk

    def delete(self, blob: str) -> None:
        """Remove the blob's file."""
        self.path_of(blob).unlink(missing_ok=True)


def open_blobs(data_dir: Path | None) -> BlobStore:
    """Disk blobs under ``data_dir``, or memory blobs when it is None."""
    return MemoryBlobs() if data_dir is None else DiskBlobs(data_dir)


def read_segments(
    blobs: BlobStore, segments: Sequence[Segment], start: int, length: int
) -> Iterator[bytes]:
    """Yield ``length`` bytes from ``start`` of the content made of ``segments``."""
    for segment in slice_segments(segments, start, length):
        yield from blobs.read(segment.blob, segment.offset, segment.length)


def slice_segments(segments: Sequence[Segment], start: int, length: int) -> list[Segment]:
    """The segments covering bytes ``start .. start+length-1`` of the content."""
    result: list[Segment] = []
    position = 0
    stop = start + length
    for segment in segments:
        seg_start, seg_end = position, position + segment.length
        position = seg_end
        low, high = max(start, seg_start), min(stop, seg_end)
        if low < high:
            result.append(
                Segment(
                    blob=segment.blob, offset=segment.offset + low - seg_start, length=high - low
                )
            )
    return result
