"""The watcher's buffer on the close-write fast path: grace, attributes, rewrites."""

from __future__ import annotations

import pytest

from syncd.domain import ChangeKind, LocalChange, RelPath
from syncd.watch.pending import Due, Pending
from syncd.watch.translate import Hint, Touch

C, D = ChangeKind.CHANGED, ChangeKind.DELETED
W, CL, M = Touch.WRITE, Touch.CLOSE, Touch.META


def hint(rel: str, touch: Touch, kind: ChangeKind = C, *, held: bool = False) -> Hint:
    """A hint value."""
    return Hint(rel_path=RelPath(rel), kind=kind, held=held, touch=touch)


def buffer() -> Pending:
    """A buffer with a 50 ms grace and a 2 s rewrite window."""
    return Pending(hold_s=1.0, max_paths=100, grace_s=0.05, rewrite_window_s=2.0)


def seen(due: list[Due]) -> list[tuple[str, bool]]:
    """(rel_path, closed) of due hints."""
    return [(d.change.rel_path, d.change.closed) for d in due]


def test_a_close_goes_out_closed_after_the_grace() -> None:
    """Writes then a close: nothing before the grace ends, then one closed change."""
    pending = buffer()
    pending.add("f", hint("a", W), now_s=0.0, observed_ms=1)
    pending.add("f", hint("a", CL), now_s=0.01, observed_ms=2)
    assert pending.next_closed_s() == pytest.approx(0.06)
    assert pending.take_due(0.05) == []
    (due,) = pending.take_due(0.061)
    assert due.change == LocalChange(
        folder="f", rel_path=RelPath("a"), kind=C, observed_ms=2, closed=True
    )
    assert pending.next_closed_s() is None


def test_attributes_within_the_grace_keep_it_closed() -> None:
    """``cp -p`` sets times after the close: still closed, the grace restarts."""
    pending = buffer()
    pending.add("f", hint("a", CL), now_s=0.0, observed_ms=1)
    pending.add("f", hint("a", M), now_s=0.03, observed_ms=2)
    assert pending.take_due(0.05) == []
    assert seen(pending.take_due(0.08)) == [("a", True)]


def test_attributes_alone_and_writes_after_a_close_are_ordinary() -> None:
    """A chmod alone is not a close; a write after a close means another writer."""
    pending = buffer()
    pending.add("f", hint("a", M), now_s=0.0, observed_ms=1)
    pending.add("f", hint("b", CL), now_s=0.0, observed_ms=1)
    pending.add("f", hint("b", W), now_s=0.01, observed_ms=2)
    assert seen(pending.take_due(0.01)) == [("a", False), ("b", False)]
    assert pending.take_due(1.0) == []


def test_a_file_closed_again_within_the_window_is_ordinary() -> None:
    """A log re-opened and appended every 100 ms: only its first close is fast."""
    pending = buffer()
    got = []
    for k in range(20):
        now = k / 10
        pending.add("f", hint("log", W), now_s=now, observed_ms=k)
        pending.add("f", hint("log", CL), now_s=now, observed_ms=k)
        got += seen(pending.take_due(now + 0.06))
    assert got[0] == ("log", True)
    assert set(got[1:]) == {("log", False)}


def test_a_delete_after_the_close_replaces_it() -> None:
    """A temp file closed then renamed away: its closed hint becomes a held delete."""
    pending = buffer()
    pending.add("f", hint("t.tmp", CL), now_s=0.0, observed_ms=1)
    pending.add("f", hint("t.tmp", W, D, held=True), now_s=0.01, observed_ms=2)
    pending.add("f", hint("t", CL), now_s=0.01, observed_ms=2)
    assert seen(pending.take_due(0.1)) == [("t", True)]
    assert [(d.change.rel_path, d.held) for d in pending.take_due(1.1)] == [("t.tmp", True)]


def test_restored_closes_are_due_at_once_and_dropped_with_their_folder() -> None:
    """A closed change the sink refused goes back due now; a lost root drops it."""
    pending = buffer()
    change = LocalChange(folder="f", rel_path=RelPath("a"), kind=C, observed_ms=1, closed=True)
    pending.restore_closed(change, now_s=5.0)
    assert [d.change for d in pending.take_due(5.0)] == [change]
    pending.add("f", hint("b", CL), now_s=6.0, observed_ms=2)
    assert pending.drop_folder("f") == 1
    assert len(pending) == 0
