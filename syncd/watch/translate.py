"""Turn watchdog events into hints. Pure: no I/O, no clock.

Imports ``syncd.domain``, ``syncd.watch.filters`` and ``watchdog.events``. Events are
hints, never verdicts: a worker or a rescan looks at the disk before acting. Hints
that can lead to a hide (DELETED, and SUBTREE for a directory that went away) are
marked ``held``: the watcher keeps them back for a short window and drops them if the
folder root itself is gone, so a vanishing root never becomes "delete everything".
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

from watchdog.events import (
    DirAttribEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
)

from syncd.domain import ChangeKind, RelPath
from syncd.watch.filters import Filters

EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    DirAttribEvent,
]
"""What the watcher asks watchdog for; opens and read-only closes are left out, so a
worker reading a file for upload does not echo back as a change. They are also why the
close-write fast path does not count open handles: subscribing to them costs an event
per read of any file in the tree (a ``grep -r`` overflows the kernel queue)."""


class Touch(enum.Enum):
    """What an event says about a file's writer, for the close-write fast path."""

    WRITE = "write"  # created or written: the writer may not be done
    CLOSE = "close"  # closed after writing, or renamed into place: the writer is done
    META = "meta"  # attributes only (``cp -p``, ``tar`` set times after the close)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hint:
    """One change a watchdog event suggests, before it is stamped and batched."""

    rel_path: RelPath
    kind: ChangeKind
    held: bool = False
    touch: Touch = Touch.WRITE


ROOT_LOST = "root_lost"
"""Returned instead of hints when the event says the folder root itself went away."""


def rel_path_of(root: str, path: bytes | str) -> RelPath | None:
    """``path`` relative to ``root`` in POSIX form; "" for the root; None if outside."""
    text = os.fsdecode(path)
    if text == root:
        return RelPath("")
    prefix = root if root.endswith("/") else root + "/"
    if text.startswith(prefix) and len(text) > len(prefix):
        return RelPath(text[len(prefix) :])
    return None


_Rule = tuple[str, ChangeKind, bool, bool, Touch]  # (src|dest, kind, held, is_dir, touch)
_W, _C, _M = Touch.WRITE, Touch.CLOSE, Touch.META
_RULES: dict[type[FileSystemEvent], tuple[_Rule, ...]] = {
    FileCreatedEvent: (("src", ChangeKind.CHANGED, False, False, _W),),
    FileModifiedEvent: (("src", ChangeKind.CHANGED, False, False, _W),),
    FileAttribEvent: (("src", ChangeKind.CHANGED, False, False, _M),),
    FileClosedEvent: (("src", ChangeKind.CHANGED, False, False, _C),),  # close-write only
    FileDeletedEvent: (("src", ChangeKind.DELETED, True, False, _W),),
    FileMovedEvent: (
        ("src", ChangeKind.DELETED, True, False, _W),
        ("dest", ChangeKind.CHANGED, False, False, _C),  # a save by rename is complete
    ),
    DirDeletedEvent: (("src", ChangeKind.SUBTREE, True, True, _W),),
    DirMovedEvent: (
        ("src", ChangeKind.SUBTREE, True, True, _W),
        ("dest", ChangeKind.SUBTREE, False, True, _W),
    ),
    # A new directory may already hold files; a chmod may make one readable again.
    DirCreatedEvent: (("src", ChangeKind.SUBTREE, False, True, _W),),
    DirAttribEvent: (("src", ChangeKind.SUBTREE, False, True, _W),),
}
"""Anything else (a directory's own modified event, opens) adds nothing."""


def _parent(rel_path: str) -> RelPath:
    return RelPath(rel_path.rpartition("/")[0])


def _keep(filters: Filters, rel: RelPath | None, rule: _Rule) -> bool:
    if rel is None:
        return False
    _, kind, held, is_dir, _ = rule
    if rel == "":
        return kind is ChangeKind.SUBTREE and not held  # a rescan of the root, never a delete
    return not filters.excluded(rel, is_dir=is_dir)


def translate(event: FileSystemEvent, root: str, filters: Filters) -> list[Hint] | str:
    """The hints for one event, or ``ROOT_LOST``. Excluded paths give no hints."""
    src = rel_path_of(root, event.src_path)
    dest = rel_path_of(root, event.dest_path) if event.dest_path else None
    if isinstance(event, DirDeletedEvent) and src == "":
        return ROOT_LOST
    hints: list[Hint] = []
    for rel in (src, dest):
        if rel and filters.is_marker(rel.rpartition("/")[2]):
            hints.append(Hint(rel_path=_parent(rel), kind=ChangeKind.SUBTREE))
    for rule in _RULES.get(type(event), ()):
        rel = src if rule[0] == "src" else dest
        if rel is not None and _keep(filters, rel, rule):
            hints.append(Hint(rel_path=rel, kind=rule[1], held=rule[2], touch=rule[4]))
    return hints
