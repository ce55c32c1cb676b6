"""Compare a scan with the index: a merge-join of two streams sorted the same way
(b2sdk's ``zip_folders``), and the hints that follow from it. Pure.

Imports ``syncd.domain``. Both streams must be sorted by ``domain.rel_path_key``; a
stream that goes backwards raises instead of turning into false deletes.
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterable, Iterator
from typing import TypeVar

from syncd.domain import (
    ChangeKind,
    FileStamp,
    IndexEntry,
    LocalChange,
    LocalState,
    RelPath,
    rel_path_key,
)

Pair = tuple[LocalState | None, IndexEntry | None]
_T = TypeVar("_T", LocalState, IndexEntry)


class UnsortedStreamError(ValueError):
    """A stream given to ``merge_join`` is not strictly sorted by path bytes."""


def _checked(items: Iterable[_T], side: str) -> Iterator[_T]:
    last: bytes | None = None
    for item in items:
        key = rel_path_key(item.rel_path)
        if last is not None and key <= last:
            raise UnsortedStreamError(f"{side} stream is not sorted at {item.rel_path!r}")
        last = key
        yield item


def merge_join(scanned: Iterable[LocalState], indexed: Iterable[IndexEntry]) -> Iterator[Pair]:
    """Pair up local files and index entries by path, in path order.

    Yields ``(local, None)`` for a path only on disk, ``(None, entry)`` for a path only
    in the index, and ``(local, entry)`` when both have it. A ``(None, entry)`` pair is
    produced only after the scan has moved past that path, so the scanner has already
    visited (or failed to read) every directory above it.
    """
    scan_it = _checked(scanned, "scanned")
    index_it = _checked(indexed, "indexed")
    local = next(scan_it, None)
    entry = next(index_it, None)
    while local is not None or entry is not None:
        if entry is None or (
            local is not None and rel_path_key(local.rel_path) < rel_path_key(entry.rel_path)
        ):
            assert local is not None
            yield local, None
            local = next(scan_it, None)
        elif local is None or rel_path_key(entry.rel_path) < rel_path_key(local.rel_path):
            yield None, entry
            entry = next(index_it, None)
        else:
            yield local, entry
            local = next(scan_it, None)
            entry = next(index_it, None)


def diff_to_changes(
    folder: str,
    scanned: Iterable[LocalState],
    indexed: Iterable[IndexEntry],
    *,
    now_ms: int,
    unreadable: Container[str] = frozenset(),
) -> Iterator[LocalChange]:
    """The hints a scan implies: CHANGED for new or changed files (the quick check is
    ``LocalState.same_identity``), DELETED for indexed paths missing locally.

    ``unreadable`` answers "is this path's absence proof of nothing?" (the scanner's
    ``unreadable``): paths under a directory that could not be read, or that are
    excluded or skipped, are unknown, not gone, and get no DELETED.
    """
    return diff_stamps(
        folder, map(_stamp, scanned), map(_stamp, indexed), now_ms=now_ms, unreadable=unreadable
    )


def _stamp(item: LocalState | IndexEntry) -> FileStamp:
    """The quick check's fields of ``item``, keyed by its path's bytes."""
    key = rel_path_key(item.rel_path)
    return (key, item.dev, item.inode, item.size, item.mtime_ns, item.ctime_ns)


def _unsorted(side: str, key: bytes) -> UnsortedStreamError:
    return UnsortedStreamError(f"{side} stream is not sorted at {os.fsdecode(key)!r}")


def diff_stamps(
    folder: str,
    scanned: Iterable[FileStamp],
    indexed: Iterable[FileStamp],
    *,
    now_ms: int,
    unreadable: Container[str] = frozenset(),
) -> Iterator[LocalChange]:
    """``diff_to_changes`` over stamps: the same hints for the same files, in the same
    order, from two streams of ``FileStamp`` sorted by their path keys (the scanner's
    ``scan_stamps`` and the journal's ``iter_stamps``).

    An unchanged file costs one comparison of two tuples: a folder where nothing
    changed is compared at the speed of its walk.
    """
    scan_it = iter(scanned)
    index_it = iter(indexed)
    local = next(scan_it, None)
    entry = next(index_it, None)
    local_key = b"" if local is None else local[0]
    entry_key = b"" if entry is None else entry[0]
    while local is not None or entry is not None:
        if local is not None and (entry is None or local_key <= entry_key):
            if entry is None or local_key < entry_key or local != entry:
                yield LocalChange(
                    folder=folder,
                    rel_path=RelPath(os.fsdecode(local_key)),
                    kind=ChangeKind.CHANGED,
                    observed_ms=now_ms,
                )
            if entry is not None and local_key == entry_key:
                entry = next(index_it, None)
                if entry is not None:
                    if entry[0] <= entry_key:
                        raise _unsorted("indexed", entry[0])
                    entry_key = entry[0]
            local = next(scan_it, None)
            if local is not None:
                if local[0] <= local_key:
                    raise _unsorted("scanned", local[0])
                local_key = local[0]
            continue
        assert entry is not None
        rel_path = RelPath(os.fsdecode(entry_key))
        if rel_path not in unreadable:
            yield LocalChange(
                folder=folder, rel_path=rel_path, kind=ChangeKind.DELETED, observed_ms=now_ms
            )
        entry = next(index_it, None)
        if entry is not None:
            if entry[0] <= entry_key:
                raise _unsorted("indexed", entry[0])
            entry_key = entry[0]
