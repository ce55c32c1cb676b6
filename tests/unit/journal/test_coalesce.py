"""The pure coalescing rules: how hints fold into one pending row per path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.domain import ChangeKind, LocalChange, RelPath, Timing
from syncd.journal.coalesce import (
    Pending,
    fold,
    fold_all,
    merge_kind,
    ready_ms,
    restart_window,
)

C, D, S = ChangeKind.CHANGED, ChangeKind.DELETED, ChangeKind.SUBTREE
T0 = 1_000_000
TIMING = Timing(settle_ms=2_000, delete_hold_ms=10_000, max_deferral_ms=60_000)


def hint(kind: ChangeKind, at: int) -> LocalChange:
    """A hint for the one path these tests fold."""
    return LocalChange(folder="docs", rel_path=RelPath("a.txt"), kind=kind, observed_ms=at)


@pytest.mark.parametrize(
    ("old", "new", "merged"),
    [
        (C, C, C),
        (C, D, D),
        (D, C, C),
        (D, D, D),
        (C, S, S),
        (D, S, S),
        (S, C, S),
        (S, D, S),
        (S, S, S),
    ],
)
def test_merge_kind_table(old: ChangeKind, new: ChangeKind, merged: ChangeKind) -> None:
    """The latest of CHANGED/DELETED wins; SUBTREE absorbs everything."""
    assert merge_kind(old, new) is merged


@pytest.mark.parametrize(
    ("events", "kind", "generation", "quiet_ms", "due_ms"),
    [
        ([(C, T0)], C, 1, T0 + 2_000, T0 + 2_000),
        ([(D, T0)], D, 1, T0 + 10_000, T0 + 10_000),
        ([(S, T0)], S, 1, T0 + 2_000, T0 + 2_000),
        ([(C, T0), (C, T0 + 1_000)], C, 2, T0 + 3_000, T0 + 3_000),
        ([(C, T0), (D, T0 + 1_000)], D, 2, T0 + 11_000, T0 + 11_000),
        ([(D, T0), (C, T0 + 1_000)], C, 2, T0 + 10_000, T0 + 10_000),
        ([(C, T0 + 5_000), (C, T0)], C, 2, T0 + 7_000, T0 + 7_000),
        ([(S, T0), (D, T0 + 1_000)], S, 2, T0 + 3_000, T0 + 3_000),
        ([(C, T0), (C, T0 + 59_000), (C, T0 + 70_000)], C, 3, T0 + 72_000, T0 + 60_000),
    ],
    ids=[
        "new-changed",
        "new-deleted-holds",
        "new-subtree",
        "settle-restarts",
        "delete-after-change-holds",
        "recreated-keeps-hold",
        "late-hint-never-shortens",
        "subtree-sticky-settles",
        "hot-file-capped",
    ],
)
def test_fold_table(
    events: list[tuple[ChangeKind, int]],
    kind: ChangeKind,
    generation: int,
    quiet_ms: int,
    due_ms: int,
) -> None:
    """Folding a sequence gives the expected kind, generation and timing."""
    state = fold_all(None, [hint(k, at) for k, at in events], TIMING)
    assert state is not None
    assert (state.kind, state.generation, state.quiet_ms, state.due_ms) == (
        kind,
        generation,
        quiet_ms,
        due_ms,
    )
    assert state.first_seen_ms == events[0][1]


def test_fold_takes_the_latest_max_deferral() -> None:
    """A producer's new pacing applies to the row from its next hint on."""
    state = fold(None, hint(C, T0), TIMING)
    shorter = Timing(settle_ms=2_000, delete_hold_ms=10_000, max_deferral_ms=1_000)
    assert fold(state, hint(C, T0 + 500), shorter).due_ms == T0 + 1_000


def test_fold_all_of_nothing_keeps_the_row() -> None:
    """No hints leave the row (or its absence) as it was."""
    state = fold(None, hint(C, T0), TIMING)
    assert fold_all(state, [], TIMING) == state
    assert fold_all(None, [], TIMING) is None


def test_restart_window_moves_the_cap_not_the_settle() -> None:
    """A restarted window caps from now; the quiet period is kept unless replaced."""
    state = Pending(kind=C, generation=4, first_seen_ms=T0, max_deferral_ms=60_000, quiet_ms=T0)
    assert restart_window(state, now_ms=T0 + 90_000).due_ms == T0
    hot = Pending(kind=C, generation=4, first_seen_ms=T0, max_deferral_ms=60_000, quiet_ms=T0 * 2)
    assert restart_window(hot, now_ms=T0 + 90_000).due_ms == T0 + 150_000
    assert restart_window(hot, now_ms=T0, quiet_ms=T0 + 5).due_ms == T0 + 5


def test_ready_is_the_latest_of_due_retry_and_lease() -> None:
    """A row is claimable only once due, out of backoff and unleased."""
    assert ready_ms(due_ms=5, retry_at_ms=0, lease_until_ms=0) == 5
    assert ready_ms(due_ms=5, retry_at_ms=9, lease_until_ms=0) == 9
    assert ready_ms(due_ms=5, retry_at_ms=9, lease_until_ms=12) == 12


events_strategy = st.lists(
    st.tuples(st.sampled_from(list(ChangeKind)), st.integers(min_value=-5_000, max_value=90_000)),
    min_size=1,
    max_size=40,
)


@given(events_strategy)
def test_folded_kind_matches_the_final_event(events: list[tuple[ChangeKind, int]]) -> None:
    """Any sequence folds to its final event's kind, or SUBTREE / REMOTE if one was seen."""
    state = fold_all(None, [hint(kind, T0 + at) for kind, at in events], TIMING)
    assert state is not None
    kinds = {kind for kind, _ in events}
    sticky = [k for k in (S, ChangeKind.REMOTE) if k in kinds]
    expected = sticky[0] if sticky else events[-1][0]
    assert state.kind is expected


@given(events_strategy)
def test_folded_timing_invariants(events: list[tuple[ChangeKind, int]]) -> None:
    """Generation counts hints; due is capped by the window and never before a wait ends."""
    changes = [hint(kind, T0 + at) for kind, at in events]
    state = fold_all(None, changes, TIMING)
    assert state is not None
    assert state.generation == len(events)
    assert state.first_seen_ms == changes[0].observed_ms
    cap = state.first_seen_ms + TIMING.max_deferral_ms
    assert state.due_ms <= cap
    last = changes[-1]
    assert state.due_ms >= min(last.observed_ms + TIMING.wait_ms(state.kind), cap)
    assert state.quiet_ms >= max(c.observed_ms for c in changes) + TIMING.settle_ms
