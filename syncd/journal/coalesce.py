"""Pure coalescing rules: fold a new hint into the pending row of its path.

Imports ``syncd.domain`` only; no database, no clock. ``queue.py`` reads the rows a
batch touches, folds every hint through ``fold`` in arrival order, and writes back.

The rules, in one place:

* **Kind.** The latest hint wins between CHANGED and DELETED: the worker stats the path
  anyway, the kind only picks the wait and feeds the delete guard's count. SUBTREE is
  sticky until the row is done: "rescan this directory" covers the path and everything
  below it, and a later CHANGED or DELETED for the directory's own name must not drop
  the rescan its children still need (a directory replaced by a file, or removed).
  REMOTE (the reconciler found B2 moved away from the index) is sticky the same way
  over CHANGED and DELETED: the worker stats the path anyway, and a local hint must not
  drop the comparison with what another writer put on B2.
* **Settle.** ``quiet_ms`` is the end of the quiet period after the *last* hint:
  ``observed_ms + wait`` where wait is ``delete_hold_ms`` for a DELETED row and
  ``settle_ms`` otherwise. It never moves earlier: a hint observed late (a rescan
  started before a watcher event) cannot cut the settle window short.
* **Closed.** A ``closed`` hint (the watcher saw the writer close the file, or rename it
  into place, and no write after that) ends the quiet period at once: ``quiet_ms`` is
  its own ``observed_ms``, earlier than the window of the hints before it, but never
  before the observation of any of them. Only a row whose merged kind is CHANGED or
  REMOTE takes it (a file back after a delete included): a SUBTREE row still needs its
  rescan and keeps the window, and a DELETED hint after the close keeps its hold.
* **Deferral cap.** ``due_ms = min(quiet_ms, first_seen_ms + max_deferral_ms)``: a file
  that never rests is still looked at once per deferral window. The window restarts
  (``first_seen_ms = now``) when a job finishes while newer hints wait, and on requeue,
  so a hot file is taken once per window, not back to back.
* **Generation** goes up by one per hint; ``complete()`` keeps the row when it moved.
* A hint leaves attempts, backoff (``retry_at_ms``), the last error and any lease alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from syncd.domain import ChangeKind, LocalChange, Timing


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    """The coalesced state of one pending row that hints can change."""

    kind: ChangeKind
    generation: int
    first_seen_ms: int
    max_deferral_ms: int
    quiet_ms: int

    @property
    def due_ms(self) -> int:
        """When the row becomes due: after the quiet period, or at the deferral cap."""
        return min(self.quiet_ms, self.first_seen_ms + self.max_deferral_ms)


_CLOSABLE = frozenset({ChangeKind.CHANGED, ChangeKind.REMOTE})


def merge_kind(old: ChangeKind, new: ChangeKind) -> ChangeKind:
    """The kind of a row of kind ``old`` after a hint of kind ``new``."""
    if ChangeKind.SUBTREE in (old, new):
        return ChangeKind.SUBTREE
    if ChangeKind.REMOTE in (old, new):
        return ChangeKind.REMOTE
    return new


def fold(pending: Pending | None, change: LocalChange, timing: Timing) -> Pending:
    """The row after ``change``; ``pending`` is None when the path had no row."""
    if pending is None:
        quiet = change.closed and change.kind in _CLOSABLE
        return Pending(
            kind=change.kind,
            generation=1,
            first_seen_ms=change.observed_ms,
            max_deferral_ms=timing.max_deferral_ms,
            quiet_ms=change.observed_ms + (0 if quiet else timing.wait_ms(change.kind)),
        )
    kind = merge_kind(pending.kind, change.kind)
    if change.closed and kind in _CLOSABLE:
        last_seen_ms = pending.quiet_ms - timing.wait_ms(pending.kind)
        quiet_ms = max(change.observed_ms, last_seen_ms)
    else:
        quiet_ms = max(pending.quiet_ms, change.observed_ms + timing.wait_ms(kind))
    return Pending(
        kind=kind,
        generation=pending.generation + 1,
        first_seen_ms=pending.first_seen_ms,
        max_deferral_ms=timing.max_deferral_ms,
        quiet_ms=quiet_ms,
    )


def fold_all(
    pending: Pending | None, changes: Iterable[LocalChange], timing: Timing
) -> Pending | None:
    """Fold ``changes`` in order (None only when there are none and no row)."""
    for change in changes:
        pending = fold(pending, change, timing)
    return pending


def restart_window(pending: Pending, *, now_ms: int, quiet_ms: int | None = None) -> Pending:
    """The row with its deferral window restarted at ``now_ms`` (after a finished job
    with newer hints waiting, or a requeue); ``quiet_ms`` replaces the settle end."""
    return dataclasses.replace(
        pending,
        first_seen_ms=now_ms,
        quiet_ms=pending.quiet_ms if quiet_ms is None else quiet_ms,
    )


def ready_ms(*, due_ms: int, retry_at_ms: int, lease_until_ms: int) -> int:
    """The earliest moment a row can be claimed: due, out of backoff, lease expired."""
    return max(due_ms, retry_at_ms, lease_until_ms)
