"""Compare a scan with the index: a merge-join of two streams sorted the same way
(b2sdk's ``zip_folders``), and the hints that follow from it. Pure.

Imports ``syncd.domain``. Both streams must be sorted by ``domain.rel_path_key``; a
stream that goes backwards raises instead of turning into false deletes.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from typing import TypeVar

from syncd.domain import ChangeKind, IndexEntry, LocalChange, LocalState, rel_path_key

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
    for local, entry in merge_join(scanned, indexed):
        if local is not None:
            if entry is None or not local.same_identity(entry):
                yield LocalChange(
                    folder=folder,
                    rel_path=local.rel_path,
                    kind=ChangeKind.CHANGED,
                    observed_ms=now_ms,
                )
        elif entry is not None and entry.rel_path not in unreadable:
            yield LocalChange(
                folder=folder,
                rel_path=entry.rel_path,
                kind=ChangeKind.DELETED,
                observed_ms=now_ms,
            )
