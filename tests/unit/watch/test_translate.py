"""From watchdog events to hints: the translation table, filters and the root rule."""

from __future__ import annotations

import pytest
from watchdog.events import (
    DirAttribEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
)

from syncd.domain import ChangeKind, RelPath
from syncd.watch.filters import Filters
from syncd.watch.translate import ROOT_LOST, Hint, Touch, rel_path_of, translate

ROOT = "/data/root"
C, D, S = ChangeKind.CHANGED, ChangeKind.DELETED, ChangeKind.SUBTREE


W, CL, M = Touch.WRITE, Touch.CLOSE, Touch.META


def hint(rel: str, kind: ChangeKind, *, held: bool = False, touch: Touch = W) -> Hint:
    """A hint value."""
    return Hint(rel_path=RelPath(rel), kind=kind, held=held, touch=touch)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (FileCreatedEvent(f"{ROOT}/a"), [hint("a", C)]),
        (FileModifiedEvent(f"{ROOT}/a"), [hint("a", C)]),
        (FileAttribEvent(f"{ROOT}/a"), [hint("a", C, touch=M)]),
        (FileClosedEvent(f"{ROOT}/a"), [hint("a", C, touch=CL)]),
        (FileDeletedEvent(f"{ROOT}/a"), [hint("a", D, held=True)]),
        (
            FileMovedEvent(f"{ROOT}/a", f"{ROOT}/b/c"),
            [hint("a", D, held=True), hint("b/c", C, touch=CL)],
        ),
        (DirCreatedEvent(f"{ROOT}/d"), [hint("d", S)]),
        (DirAttribEvent(f"{ROOT}/d"), [hint("d", S)]),
        (DirAttribEvent(ROOT), [hint("", S)]),
        (DirDeletedEvent(f"{ROOT}/d"), [hint("d", S, held=True)]),
        (DirMovedEvent(f"{ROOT}/d", f"{ROOT}/e"), [hint("d", S, held=True), hint("e", S)]),
        (DirModifiedEvent(f"{ROOT}/d"), []),
        (FileOpenedEvent(f"{ROOT}/a"), []),
        (FileClosedNoWriteEvent(f"{ROOT}/a"), []),
        (FileCreatedEvent("/data/rootx/a"), []),
        (FileMovedEvent("/elsewhere/a", f"{ROOT}/a"), [hint("a", C, touch=CL)]),
        (FileMovedEvent(f"{ROOT}/a", "/elsewhere/a"), [hint("a", D, held=True)]),
    ],
)
def test_translation_table(event: FileSystemEvent, expected: list[Hint]) -> None:
    """Each event maps to its hints: deletes held, closes and renames into place closed."""
    assert translate(event, ROOT, Filters()) == expected


def test_root_deleted_is_root_lost_not_a_delete() -> None:
    """A DirDeletedEvent for the root itself is ROOT_LOST, never a hint."""
    assert translate(DirDeletedEvent(ROOT), ROOT, Filters()) == ROOT_LOST


def test_excluded_paths_give_no_hints() -> None:
    """Pattern-excluded files, and files below excluded directories, are dropped."""
    filters = Filters(["*.tmp", "build/"])
    assert translate(FileCreatedEvent(f"{ROOT}/x.tmp"), ROOT, filters) == []
    assert translate(FileDeletedEvent(f"{ROOT}/build/x.o"), ROOT, filters) == []
    assert translate(DirCreatedEvent(f"{ROOT}/build"), ROOT, filters) == []
    assert translate(FileMovedEvent(f"{ROOT}/x.tmp", f"{ROOT}/x.txt"), ROOT, filters) == [
        hint("x.txt", C, touch=CL)
    ]


def test_marker_file_events_rescan_its_directory() -> None:
    """Creating or deleting the marker file asks for a rescan of its directory."""
    filters = Filters(exclude_if_present=".nobackup")
    assert translate(FileDeletedEvent(f"{ROOT}/d/.nobackup"), ROOT, filters) == [
        hint("d", S),
        hint("d/.nobackup", D, held=True),
    ]
    assert translate(FileCreatedEvent(f"{ROOT}/.nobackup"), ROOT, filters) == [
        hint("", S),
        hint(".nobackup", C),
    ]


def test_bytes_and_undecodable_paths() -> None:
    """Paths given as bytes, including invalid UTF-8, become surrogate-escaped RelPaths."""
    event = FileCreatedEvent(b"/data/root/caf\xe9")
    assert translate(event, ROOT, Filters()) == [hint("caf\udce9", C)]


@pytest.mark.parametrize(
    ("path", "rel"),
    [(ROOT, ""), (f"{ROOT}/a/b", "a/b"), (f"{ROOT}x", None), ("/data", None), (f"{ROOT}/", None)],
)
def test_rel_path_of(path: str, rel: str | None) -> None:
    """Only the root and paths below it map to relative paths."""
    assert rel_path_of(ROOT, path) == rel
