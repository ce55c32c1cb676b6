"""The close-write rule of coalescing: a closed hint ends the settle window at once."""

from __future__ import annotations

import pytest

from syncd.domain import ChangeKind, LocalChange, RelPath, Timing
from syncd.journal.coalesce import fold, fold_all

C, D, S, R = ChangeKind.CHANGED, ChangeKind.DELETED, ChangeKind.SUBTREE, ChangeKind.REMOTE
T0 = 1_000_000
TIMING = Timing(settle_ms=2_000, delete_hold_ms=10_000, max_deferral_ms=60_000)


def hint(kind: ChangeKind, at: int, *, closed: bool = False) -> LocalChange:
    """A hint for the one path these tests fold."""
    return LocalChange(
        folder="docs", rel_path=RelPath("a.txt"), kind=kind, observed_ms=at, closed=closed
    )


def test_a_closed_first_hint_is_due_at_its_observation() -> None:
    """A new row from a closed hint has no settle window."""
    state = fold(None, hint(C, T0, closed=True), TIMING)
    assert (state.quiet_ms, state.due_ms) == (T0, T0)


def test_a_close_after_writes_cuts_their_window_short() -> None:
    """Writes seen while the file was open wait the window; the close ends it."""
    state = fold_all(None, [hint(C, T0), hint(C, T0 + 300), hint(C, T0 + 350, closed=True)], TIMING)
    assert state is not None
    assert (state.generation, state.quiet_ms, state.due_ms) == (3, T0 + 350, T0 + 350)


def test_a_write_after_the_close_restores_the_window() -> None:
    """Another writer after the close: the row waits the settle window again."""
    state = fold_all(None, [hint(C, T0, closed=True), hint(C, T0 + 10)], TIMING)
    assert state is not None
    assert state.quiet_ms == T0 + 10 + TIMING.settle_ms


def test_a_closed_hint_is_never_due_before_an_earlier_hint_was_seen() -> None:
    """A close stamped before a later-observed hint is due no sooner than that hint."""
    state = fold_all(None, [hint(C, T0 + 500), hint(C, T0, closed=True)], TIMING)
    assert state is not None
    assert state.quiet_ms == T0 + 500


@pytest.mark.parametrize(
    ("first", "quiet_ms"),
    [(D, T0 + 100), (S, T0 + 100 + 2_000), (R, T0 + 100)],
)
def test_only_changed_and_remote_rows_take_a_close(first: ChangeKind, quiet_ms: int) -> None:
    """A file back after a delete and a REMOTE row close; a SUBTREE row keeps its window."""
    state = fold_all(None, [hint(first, T0), hint(C, T0 + 100, closed=True)], TIMING)
    assert state is not None
    assert state.quiet_ms == quiet_ms


def test_a_delete_after_the_close_keeps_its_hold() -> None:
    """The path went away after the close: the row is DELETED and waits the delete hold."""
    state = fold_all(None, [hint(C, T0, closed=True), hint(D, T0 + 10)], TIMING)
    assert state is not None
    assert (state.kind, state.quiet_ms) == (D, T0 + 10 + TIMING.delete_hold_ms)
