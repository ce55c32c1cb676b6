"""The watcher's short buffer between watchdog callbacks and the sink. Pure: times
are passed in (monotonic seconds), nothing here sleeps or reads the disk.

Imports ``syncd.domain`` and ``syncd.watch.*``. One entry per (folder, path,
is-subtree): a newer hint replaces an older one, so a burst on one file costs one
entry. Held hints wait ``hold_s`` before they are due. Memory is bounded: past
``max_paths`` entries every folder in the buffer collapses to one SUBTREE hint for
its root (a rescan), and further hints for a collapsed folder are absorbed.

The close-write fast path: a file closed after writing (or renamed into place) goes out
as a ``closed`` change after ``grace_s``, which the journal treats as quiet at once. The
grace coalesces what follows a close within a few tens of ms: an attribute change
(``cp -p`` and ``tar`` set times after the close) keeps it closed and restarts the
grace; a write (another writer) or a rename turns it back into an ordinary hint. A
close that ``Closes`` calls a rewrite (the file closed again within the settle window)
is an ordinary hint too.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass

from syncd.domain import ChangeKind, LocalChange, RelPath
from syncd.watch.closes import Closes
from syncd.watch.translate import Hint, Touch

_Key = tuple[str, str, bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class Due:
    """A hint whose time has come, with whether it was held (delete-like)."""

    change: LocalChange
    held: bool


class Pending:
    """Hints waiting to be sent; not thread-safe (the watcher holds a lock)."""

    def __init__(
        self,
        *,
        hold_s: float,
        max_paths: int,
        grace_s: float = 0.05,
        rewrite_window_s: float = 2.0,
    ) -> None:
        self._hold_s = hold_s
        self._max_paths = max_paths
        self._grace_s = grace_s
        self._fast: dict[_Key, LocalChange] = {}
        self._held: OrderedDict[_Key, tuple[float, LocalChange]] = OrderedDict()
        self._closed: OrderedDict[_Key, tuple[float, LocalChange]] = OrderedDict()
        self._closes = Closes(window_s=rewrite_window_s, max_paths=max_paths)
        self._collapsed: set[str] = set()
        self.collapses = 0

    def __len__(self) -> int:
        return len(self._fast) + len(self._held) + len(self._closed)

    def next_closed_s(self) -> float | None:
        """When the first closed hint's grace ends (the flusher wakes for it), or None."""
        if not self._closed:
            return None
        return next(iter(self._closed.values()))[0]

    def fast_count(self) -> int:
        """How many hints are due at once (the watcher flushes early past a batch)."""
        return len(self._fast)

    def add(self, folder: str, hint: Hint, *, now_s: float, observed_ms: int) -> None:
        """Queue ``hint``; it replaces any pending hint for the same path and kind."""
        if folder in self._collapsed:
            return
        key = (folder, hint.rel_path, hint.kind is ChangeKind.SUBTREE)
        change = LocalChange(
            folder=folder, rel_path=hint.rel_path, kind=hint.kind, observed_ms=observed_ms
        )
        self._fast.pop(key, None)
        self._held.pop(key, None)
        was_closed = self._closed.pop(key, None) is not None
        if hint.held:
            self._held[key] = (now_s + self._hold_s, change)
        elif self._quiet(folder, hint, now_s=now_s, was_closed=was_closed):
            closed = dataclasses.replace(change, closed=True)
            self._closed[key] = (now_s + self._grace_s, closed)
        else:
            self._fast[key] = change
        if len(self) > self._max_paths:
            self._collapse(observed_ms)

    def restore_closed(self, change: LocalChange, *, now_s: float) -> None:
        """Put back a closed change the sink refused, due at once, unless a newer hint
        for its path came meanwhile."""
        key = (change.folder, change.rel_path, False)
        if change.folder in self._collapsed:
            return
        if key not in self._fast and key not in self._held and key not in self._closed:
            self._closed[key] = (now_s, change)
            self._closed.move_to_end(key, last=False)  # due now: keep the order by due time

    def _quiet(self, folder: str, hint: Hint, *, now_s: float, was_closed: bool) -> bool:
        """True when the hint leaves its file closed: a fast close, or attributes set
        within the grace of one."""
        if hint.kind is not ChangeKind.CHANGED:
            return False
        if hint.touch is Touch.CLOSE:
            return self._closes.fast((folder, hint.rel_path), now_s)
        return hint.touch is Touch.META and was_closed

    def _collapse(self, observed_ms: int) -> None:
        folders = {key[0] for key in (*self._fast, *self._held, *self._closed)}
        self._fast.clear()
        self._held.clear()
        self._closed.clear()
        self.collapses += 1
        for folder in sorted(folders):
            key = (folder, "", True)
            self._fast[key] = LocalChange(
                folder=folder,
                rel_path=RelPath(""),
                kind=ChangeKind.SUBTREE,
                observed_ms=observed_ms,
            )
            self._collapsed.add(folder)

    def take_due(self, now_s: float, *, everything: bool = False) -> list[Due]:
        """Remove and return what is due: all fast hints, and held hints whose window
        has passed (all of them with ``everything``)."""
        due = [Due(change=change, held=False) for change in self._fast.values()]
        self._fast.clear()
        self._collapsed.clear()
        while self._closed:
            key, (due_s, change) = next(iter(self._closed.items()))
            if due_s > now_s and not everything:
                break
            del self._closed[key]
            due.append(Due(change=change, held=False))
        self._closes.prune(now_s)
        while self._held:
            key, (due_s, change) = next(iter(self._held.items()))
            if due_s > now_s and not everything:
                break
            del self._held[key]
            due.append(Due(change=change, held=True))
        return due

    def drop_folder(self, folder: str) -> int:
        """Forget every pending hint of ``folder`` (its root is gone); return how many."""
        dropped = 0
        for entries in (self._fast, self._held, self._closed):
            keys = [k for k in entries if k[0] == folder]
            for key in keys:
                del entries[key]
            dropped += len(keys)
        self._closes.forget(folder)
        self._collapsed.discard(folder)
        return dropped


def prune_subtrees(items: list[Due]) -> list[Due]:
    """Drop SUBTREE hints already covered by a SUBTREE of an ancestor in the same batch
    (``mkdir -p`` or a copied tree gives one per directory; one rescan covers them)."""
    roots = {
        (d.change.folder, d.change.rel_path)
        for d in items
        if d.change.kind is ChangeKind.SUBTREE and not d.held
    }
    if len(roots) < 2:
        return items

    def covered(d: Due) -> bool:
        if d.change.kind is not ChangeKind.SUBTREE or d.held or d.change.rel_path == "":
            return False
        if (d.change.folder, "") in roots:
            return True
        parts = d.change.rel_path.split("/")
        return any((d.change.folder, "/".join(parts[:i])) in roots for i in range(1, len(parts)))

    return [d for d in items if not covered(d)]
