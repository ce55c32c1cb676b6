"""stale_entries: the merge-join of the index with B2's visible versions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syncd.b2 import FileVersion
from syncd.domain import IndexEntry
from syncd.engine.reconcile import stale_entries
from tests.unit.engine.conftest import PREFIX, file_version, index_entry

SHA = "a" * 40
MTIME_MS = 5_000  # index_entry's mtime_ns 5_000_000_123 floored to ms


def stale(indexed: list[IndexEntry], remote: list[FileVersion]) -> list[str]:
    """The rel_paths stale_entries yields."""
    return [e.rel_path for e in stale_entries(iter(indexed), iter(remote))]


@pytest.mark.parametrize(
    ("remote", "is_stale"),
    [
        ([], True),
        ([file_version(PREFIX + "a.txt", file_id="id-a.txt")], False),
        # the same version, whatever B2 reports about it
        ([file_version(PREFIX + "a.txt", file_id="id-a.txt", sha1="b" * 40)], False),
        ([file_version(PREFIX + "a.txt", file_id="id-a.txt", mtime_ms=None)], False),
        # another version with the same bytes and mtime (e.g. another client's upload)
        ([file_version(PREFIX + "a.txt", file_id="other", sha1=SHA, mtime_ms=MTIME_MS)], False),
        # another version with other bytes or another mtime
        ([file_version(PREFIX + "a.txt", file_id="other", sha1="b" * 40)], True),
        ([file_version(PREFIX + "a.txt", file_id="other", mtime_ms=MTIME_MS + 1)], True),
        ([file_version(PREFIX + "a.txt", file_id="other", mtime_ms=None)], True),
        ([file_version(PREFIX + "a.txt", file_id="other", sha1=None)], True),
        # only neighbours are there
        ([file_version(PREFIX + "a.tx"), file_version(PREFIX + "a.txt0")], True),
        ([file_version(PREFIX + "a.txt/b")], True),
    ],
    ids=[
        "missing",
        "same-version",
        "same-id-other-sha1",
        "same-id-no-mtime",
        "other-id-same-content",
        "other-sha1",
        "other-mtime",
        "other-id-no-mtime",
        "other-id-no-sha1",
        "neighbours-only",
        "child-only",
    ],
)
def test_one_entry(remote: list[FileVersion], is_stale: bool) -> None:
    """An entry is stale when B2 lacks it or holds other bytes or mtime; else it is kept."""
    entry = index_entry("a.txt", mtime_ns=MTIME_MS * 1_000_000 + 123, sha1=SHA)
    assert stale([entry], remote) == (["a.txt"] if is_stale else [])


def test_merge_join_over_many_names() -> None:
    """The merge join yields exactly the missing and replaced entries, in index order."""
    indexed = [index_entry(name, mtime_ns=MTIME_MS * 1_000_000) for name in "bcdefg"]
    remote = [
        file_version(PREFIX + "a"),  # unknown to the index
        file_version(PREFIX + "b", file_id="id-b"),  # kept
        # c missing
        file_version(PREFIX + "d", file_id="new-d", sha1="f" * 40),  # replaced
        file_version(PREFIX + "dd"),  # unknown
        file_version(PREFIX + "e", file_id="new-e"),  # same content: kept
        # f missing
        file_version(PREFIX + "g", file_id="id-g"),  # kept
        file_version(PREFIX + "h"),  # unknown, after the end of the index
    ]
    assert stale(indexed, remote) == ["c", "d", "f"]


def test_remote_exhausted_early() -> None:
    """Every entry after the last remote name is stale."""
    indexed = [index_entry(name) for name in ("a", "b", "c")]
    assert stale(indexed, [file_version(PREFIX + "a", file_id="id-a")]) == ["b", "c"]


def test_empty_index_yields_nothing() -> None:
    """An empty index yields nothing, whatever B2 holds."""
    assert stale([], [file_version(PREFIX + "a")]) == []


def test_names_compare_as_utf8_bytes() -> None:
    """Non-ASCII names sorted by UTF-8 bytes join correctly with the index."""
    names = sorted(["z.txt", "é.txt", "\u4e2d.txt", "\U0001f600.txt"], key=str.encode)
    indexed = [index_entry(name) for name in names]
    remote = [file_version(PREFIX + name, file_id="id-" + name) for name in names[::2]]
    assert stale(indexed, remote) == names[1::2]


def test_remote_is_read_lazily() -> None:
    """The remote stream is consumed only as far as the index needs it."""
    consumed: list[str] = []

    def remote() -> Iterator[FileVersion]:
        for name in ("a", "b", "c", "d"):
            consumed.append(name)
            yield file_version(PREFIX + name, file_id="id-" + name)

    result = stale_entries(iter([index_entry("b")]), remote())
    assert list(result) == []
    assert consumed == ["a", "b"]
