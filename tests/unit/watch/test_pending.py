"""The watcher's buffer: replacement per path, the delete hold, the memory cap."""

from __future__ import annotations

from syncd.domain import ChangeKind, LocalChange, RelPath
from syncd.watch.pending import Due, Pending, prune_subtrees
from syncd.watch.translate import Hint

C, D, S = ChangeKind.CHANGED, ChangeKind.DELETED, ChangeKind.SUBTREE


def hint(rel: str, kind: ChangeKind, *, held: bool = False) -> Hint:
    """A hint value."""
    return Hint(rel_path=RelPath(rel), kind=kind, held=held)


def paths(due: list[Due]) -> list[tuple[str, str, ChangeKind]]:
    """(folder, rel_path, kind) of due hints."""
    return [(d.change.folder, d.change.rel_path, d.change.kind) for d in due]


def test_fast_hints_are_due_at_once_and_stamped() -> None:
    """Non-held hints come out on the next take, with the folder and observed time."""
    pending = Pending(hold_s=1.0, max_paths=100)
    pending.add("f", hint("a", C), now_s=0.0, observed_ms=42)
    (due,) = pending.take_due(0.0)
    assert due.change == LocalChange(folder="f", rel_path=RelPath("a"), kind=C, observed_ms=42)
    assert not due.held
    assert pending.take_due(0.0) == []


def test_held_hints_wait_for_the_hold_window() -> None:
    """A DELETED waits hold_s; ``everything`` releases it early."""
    pending = Pending(hold_s=1.0, max_paths=100)
    pending.add("f", hint("a", D, held=True), now_s=0.0, observed_ms=0)
    pending.add("f", hint("b", D, held=True), now_s=0.5, observed_ms=0)
    assert pending.take_due(0.9) == []
    assert paths(pending.take_due(1.0)) == [("f", "a", D)]
    assert paths(pending.take_due(1.0, everything=True)) == [("f", "b", D)]


def test_newer_hint_replaces_older_for_the_same_path() -> None:
    """A burst on one path costs one entry, and the newest kind wins."""
    pending = Pending(hold_s=1.0, max_paths=100)
    for _ in range(50):
        pending.add("f", hint("a", C), now_s=0.0, observed_ms=0)
    pending.add("f", hint("a", D, held=True), now_s=0.0, observed_ms=0)
    pending.add("f", hint("a", C), now_s=0.1, observed_ms=0)
    assert len(pending) == 1
    assert paths(pending.take_due(0.1)) == [("f", "a", C)]


def test_subtree_and_file_hints_for_one_path_coexist() -> None:
    """A SUBTREE for a path does not replace a CHANGED for the same path."""
    pending = Pending(hold_s=1.0, max_paths=100)
    pending.add("f", hint("a", C), now_s=0.0, observed_ms=0)
    pending.add("f", hint("a", S), now_s=0.0, observed_ms=0)
    assert len(pending) == 2


def test_cap_collapses_to_root_rescans_and_absorbs() -> None:
    """Past max_paths each folder becomes one SUBTREE of its root; more hints are absorbed."""
    pending = Pending(hold_s=1.0, max_paths=10)
    for i in range(8):
        pending.add("f", hint(f"a{i}", C), now_s=0.0, observed_ms=0)
    for i in range(3):
        pending.add("g", hint(f"b{i}", D, held=True), now_s=0.0, observed_ms=0)
    assert len(pending) == 2
    pending.add("f", hint("more", C), now_s=0.0, observed_ms=0)
    assert paths(pending.take_due(0.0)) == [("f", "", S), ("g", "", S)]
    assert pending.collapses == 1
    pending.add("f", hint("later", C), now_s=0.0, observed_ms=0)
    assert paths(pending.take_due(0.0)) == [("f", "later", C)]


def test_drop_folder_forgets_its_hints() -> None:
    """Dropping a folder removes its fast and held hints and keeps the others."""
    pending = Pending(hold_s=1.0, max_paths=100)
    pending.add("f", hint("a", C), now_s=0.0, observed_ms=0)
    pending.add("f", hint("b", D, held=True), now_s=0.0, observed_ms=0)
    pending.add("g", hint("c", D, held=True), now_s=0.0, observed_ms=0)
    assert pending.drop_folder("f") == 2
    assert paths(pending.take_due(5.0)) == [("g", "c", D)]


def test_prune_subtrees_keeps_only_the_topmost() -> None:
    """mkdir -p a/b/c gives one rescan of a; held subtrees and other folders are kept."""
    pending = Pending(hold_s=0.0, max_paths=100)
    for rel in ("a", "a/b", "a/b/c", "ab"):
        pending.add("f", hint(rel, S), now_s=0.0, observed_ms=0)
    pending.add("f", hint("a/b/x", C), now_s=0.0, observed_ms=0)
    pending.add("f", hint("a/gone", S, held=True), now_s=0.0, observed_ms=0)
    pending.add("g", hint("a/b", S), now_s=0.0, observed_ms=0)
    pruned = prune_subtrees(pending.take_due(0.0))
    assert paths(pruned) == [
        ("f", "a", S),
        ("f", "ab", S),
        ("f", "a/b/x", C),
        ("g", "a/b", S),
        ("f", "a/gone", S),
    ]
