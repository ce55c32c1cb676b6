"""Conversions between domain values and journal columns.

Imports ``syncd.domain`` only. Paths go in as ``os.fsencode(rel_path)`` and come back
as ``os.fsdecode(blob)``: a name that is not valid UTF-8 reaches Python with surrogate
escapes, which the sqlite3 driver refuses as TEXT (reliability.md §0 item 6) but keeps
byte for byte as a BLOB. ``dev`` and ``inode`` are unsigned 64-bit on some filesystems
and SQLite integers are signed, so they are stored two's-complement.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from syncd.domain import B2Name, IndexEntry, RelPath

_U64 = 1 << 64
_I64_MAX = (1 << 63) - 1


def encode_path(rel_path: str) -> bytes:
    """The BLOB stored for ``rel_path`` (equal to ``syncd.domain.rel_path_key``)."""
    return os.fsencode(rel_path)


def decode_path(raw: bytes) -> RelPath:
    """The RelPath of a stored BLOB (surrogate escapes for undecodable bytes)."""
    return RelPath(os.fsdecode(bytes(raw)))


def safe_text(text: str) -> str:
    """Free text (an error message, a reason) made storable: a surrogate escape from an
    undecodable file name quoted in it becomes a visible ``\\udcff`` escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def normalize_dir(under: str | None) -> str:
    """``under`` without trailing slashes; ``""`` for the whole folder."""
    return (under or "").rstrip("/")


def subtree_bounds(under: str) -> tuple[bytes, bytes]:
    """Half-open BLOB range ``[lo, hi)`` holding exactly the paths below ``under``.

    ``'0'`` is the byte after ``'/'``, so ``under + '0'`` bounds ``under + '/...'``
    without catching siblings such as ``under + '-x'`` or ``under + '.txt'``.
    """
    base = encode_path(under)
    return base + b"/", base + b"0"


def to_i64(value: int) -> int:
    """Store an unsigned 64-bit number in a signed SQLite integer."""
    return value - _U64 if value > _I64_MAX else value


def from_i64(value: int) -> int:
    """Undo ``to_i64`` (non-negative numbers are unchanged)."""
    return value + _U64 if value < 0 else value


def index_values(entry: IndexEntry, folder_id: int) -> dict[str, Any]:
    """Column values of one ``files`` row."""
    return {
        "folder_id": folder_id,
        "path": encode_path(entry.rel_path),
        "b2_name": entry.b2_name,
        "dev": to_i64(entry.dev),
        "inode": to_i64(entry.inode),
        "size": entry.size,
        "mtime_ns": entry.mtime_ns,
        "ctime_ns": entry.ctime_ns,
        "sha1": entry.sha1,
        "file_id": entry.file_id,
        "upload_timestamp_ms": entry.upload_timestamp_ms,
    }


def index_entry(row: Mapping[Any, Any], folder: str) -> IndexEntry:
    """The IndexEntry of one ``files`` row (a row mapping with every column)."""
    return IndexEntry(
        folder=folder,
        rel_path=decode_path(row["path"]),
        b2_name=B2Name(row["b2_name"]),
        dev=from_i64(row["dev"]),
        inode=from_i64(row["inode"]),
        size=int(row["size"]),
        mtime_ns=int(row["mtime_ns"]),
        ctime_ns=int(row["ctime_ns"]),
        sha1=str(row["sha1"]),
        file_id=str(row["file_id"]),
        upload_timestamp_ms=int(row["upload_timestamp_ms"]),
    )
