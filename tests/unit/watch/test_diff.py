"""merge_join, diff_to_changes and diff_stamps: the table of scan-versus-index outcomes."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator

import pytest

from syncd.domain import (
    B2Name,
    ChangeKind,
    FileStamp,
    IndexEntry,
    LocalChange,
    LocalState,
    RelPath,
    rel_path_key,
)
from syncd.watch.diff import UnsortedStreamError, diff_stamps, diff_to_changes, merge_join
from syncd.watch.scanner import Unseen

Diff = Callable[..., Iterator[LocalChange]]


def local(rel: str, **changes: int) -> LocalState:
    """A local file state; keyword arguments override fields."""
    fields = {"size": 1, "mtime_ns": 10, "ctime_ns": 20, "dev": 1, "inode": 5}
    fields.update(changes)
    return LocalState(rel_path=RelPath(rel), **fields)


def entry(rel: str, **changes: int) -> IndexEntry:
    """An index entry matching ``local(rel)``; keyword arguments override fields."""
    fields = {"size": 1, "mtime_ns": 10, "ctime_ns": 20, "dev": 1, "inode": 5}
    fields.update(changes)
    return IndexEntry(
        folder="f",
        rel_path=RelPath(rel),
        b2_name=B2Name(rel),
        sha1="0" * 40,
        file_id="id",
        upload_timestamp_ms=0,
        **fields,
    )


def stamp(item: LocalState | IndexEntry) -> FileStamp:
    """The FileStamp of a local state or an index entry."""
    key = rel_path_key(item.rel_path)
    return (key, item.dev, item.inode, item.size, item.mtime_ns, item.ctime_ns)


def by_stamps(
    folder: str,
    scanned: Iterable[LocalState],
    indexed: Iterable[IndexEntry],
    *,
    now_ms: int,
    unreadable: Container[str] = frozenset(),
) -> Iterator[LocalChange]:
    """diff_stamps over the stamps of the same streams (converted lazily)."""
    return diff_stamps(
        folder,
        (stamp(s) for s in scanned),
        (stamp(e) for e in indexed),
        now_ms=now_ms,
        unreadable=unreadable,
    )


@pytest.fixture(params=["entries", "stamps"])
def diff(request: pytest.FixtureRequest) -> Diff:
    """Each comparison: diff_to_changes, and diff_stamps on the same inputs."""
    return diff_to_changes if request.param == "entries" else by_stamps


def kinds(changes: list[LocalChange]) -> list[tuple[str, ChangeKind]]:
    """(rel_path, kind) pairs of the hints."""
    return [(c.rel_path, c.kind) for c in changes]


def test_merge_join_pairs_by_path_bytes() -> None:
    """Paths only on one side pair with None; byte order decides (a-b < a.txt < a/b < a0)."""
    pairs = list(
        merge_join(
            [local("a-b"), local("a/b"), local("a0")], [entry("a.txt"), entry("a/b"), entry("z")]
        )
    )
    assert [(p[0] and p[0].rel_path, p[1] and p[1].rel_path) for p in pairs] == [
        ("a-b", None),
        (None, "a.txt"),
        ("a/b", "a/b"),
        ("a0", None),
        (None, "z"),
    ]


def test_merge_join_of_empty_streams() -> None:
    """Two empty streams give nothing; one empty side gives one-sided pairs."""
    assert list(merge_join([], [])) == []
    assert [p[1] for p in merge_join([], [entry("a")])] == [entry("a")]


@pytest.mark.parametrize("side", ["scanned", "indexed"])
def test_unsorted_input_raises_instead_of_deleting(side: str, diff: Diff) -> None:
    """A stream that goes backwards or repeats raises UnsortedStreamError."""
    locals_ = [local("b"), local("a")] if side == "scanned" else [local("a")]
    entries = [entry("b"), entry("b")] if side == "indexed" else [entry("a")]
    with pytest.raises(UnsortedStreamError, match=side):
        list(merge_join(locals_, entries))
    with pytest.raises(UnsortedStreamError, match=side):
        list(diff("f", locals_, entries, now_ms=0))


@pytest.mark.parametrize(
    ("scanned", "indexed", "expected"),
    [
        ([local("new")], [], [("new", ChangeKind.CHANGED)]),
        ([local("same")], [entry("same")], []),
        ([local("m", mtime_ns=11)], [entry("m")], [("m", ChangeKind.CHANGED)]),
        ([local("c", ctime_ns=21)], [entry("c")], [("c", ChangeKind.CHANGED)]),
        ([local("s", size=2)], [entry("s")], [("s", ChangeKind.CHANGED)]),
        ([local("i", inode=6)], [entry("i")], [("i", ChangeKind.CHANGED)]),
        ([], [entry("gone")], [("gone", ChangeKind.DELETED)]),
        (
            [local("a"), local("c")],
            [entry("b")],
            [("a", ChangeKind.CHANGED), ("b", ChangeKind.DELETED), ("c", ChangeKind.CHANGED)],
        ),
    ],
)
def test_diff_table(
    scanned: list[LocalState],
    indexed: list[IndexEntry],
    expected: list[tuple[str, ChangeKind]],
    diff: Diff,
) -> None:
    """New or changed files give CHANGED, missing indexed paths DELETED, identical nothing."""
    changes = list(diff("f", scanned, indexed, now_ms=7))
    assert kinds(changes) == expected
    assert all(c.folder == "f" and c.observed_ms == 7 for c in changes)


def test_no_deletes_under_unreadable_directories(diff: Diff) -> None:
    """Indexed paths below an unreadable directory are unknown, not gone."""
    unseen = Unseen()
    unseen.add_dir("locked")
    changes = diff(
        "f",
        [],
        [entry("locked/a"), entry("locked/b/c"), entry("lockedx")],
        now_ms=0,
        unreadable=unseen,
    )
    assert kinds(list(changes)) == [("lockedx", ChangeKind.DELETED)]


def test_unseen_is_consulted_lazily(diff: Diff) -> None:
    """A directory found unreadable during the scan protects paths the join reaches later."""
    unseen = Unseen()

    def scan() -> Iterator[LocalState]:
        yield local("a")
        unseen.add_dir("b")  # the scanner fails on b/ before it yields c
        yield local("c")

    changes = diff(
        "f",
        scan(),
        [entry("a"), entry("b/x")],
        now_ms=0,
        unreadable=unseen,
    )
    assert kinds(list(changes)) == [("c", ChangeKind.CHANGED)]


def test_stamps_agree_with_entries_on_an_interleaved_table(diff: Diff) -> None:
    """Many paths on either side or both, some changed: both comparisons give one answer."""
    names = [f"{d}/{n}" for d in ("a", "a-b", "a.b", "b", "\u00e9") for n in ("x", "x.y", "y")]
    ordered = sorted(names, key=rel_path_key)
    scanned = [local(n, mtime_ns=11) if i % 5 == 0 else local(n) for i, n in enumerate(ordered)]
    indexed = [entry(n) for i, n in enumerate(ordered) if i % 3 != 1]
    scanned = [s for i, s in enumerate(scanned) if i % 4 != 2]
    expected = list(diff_to_changes("f", scanned, indexed, now_ms=0))
    assert list(diff("f", scanned, indexed, now_ms=0)) == expected
    assert {c.kind for c in expected} == {ChangeKind.CHANGED, ChangeKind.DELETED}
