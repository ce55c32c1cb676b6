"""adoptable and pair_up: which files B2 already holds when a folder is first synced."""

from __future__ import annotations

import pytest

from syncd.b2 import FileVersion
from syncd.domain import LocalState
from syncd.engine.adopt import adoptable, pair_up
from tests.unit.engine.conftest import PREFIX, file_version, local_state

# local_state(): size 10, mtime 5_000_000_123 ns -> 5_000 ms


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (file_version("p/a.txt"), True),
        (file_version("p/a.txt", action="copy"), True),
        (file_version("p/a.txt", action="hide", size=0), False),
        (file_version("p/a.txt", action="start"), False),
        (file_version("p/a.txt", action="folder"), False),
        (file_version("p/a.txt", size=11), False),
        (file_version("p/a.txt", mtime_ms=5_001), False),
        (file_version("p/a.txt", mtime_ms=4_999), False),
        (file_version("p/a.txt", mtime_ms=None), False),
        (file_version("p/a.txt", sha1=None), False),
    ],
    ids=[
        "upload",
        "copy",
        "hide",
        "unfinished",
        "folder",
        "other-size",
        "later-mtime",
        "earlier-mtime",
        "no-mtime",
        "no-sha1",
    ],
)
def test_adoptable(version: FileVersion, expected: bool) -> None:
    """Adoptable only for an upload or copy with the same size and ms mtime and a known sha1."""
    assert adoptable(local_state("a.txt"), version) is expected


def pairs(locals_: list[LocalState], remote: list[FileVersion]) -> list[tuple[str, str]]:
    """(rel_path, file_name) of each pair."""
    return [
        (local.rel_path, version.file_name)
        for local, version in pair_up(PREFIX, iter(locals_), iter(remote))
    ]


def test_pairs_only_names_present_on_both_sides() -> None:
    """Local files pair with the remote version of prefix + rel_path; the rest is left out."""
    locals_ = [local_state(name) for name in ("a", "b/c", "d", "f")]
    remote = [
        file_version(PREFIX + "0"),
        file_version(PREFIX + "a"),
        file_version(PREFIX + "b/c"),
        file_version(PREFIX + "c"),
        file_version(PREFIX + "e"),
        file_version(PREFIX + "f"),
        file_version(PREFIX + "g"),
    ]
    assert pairs(locals_, remote) == [("a", "p/a"), ("b/c", "p/b/c"), ("f", "p/f")]


def test_no_remote_names_no_pairs() -> None:
    """Nothing pairs with an empty bucket prefix."""
    assert pairs([local_state("a")], []) == []


def test_names_b2_cannot_hold_are_skipped() -> None:
    """Local names with control characters or invalid UTF-8 never pair, and the join goes on."""
    bad_utf8 = "caf\udce9"  # os.fsdecode(b"caf\xe9")
    locals_ = [local_state("a"), local_state("b\x01"), local_state(bad_utf8), local_state("d")]
    remote = [file_version(PREFIX + n) for n in ("a", "b\x01", "d")]
    assert pairs(locals_, remote) == [("a", "p/a"), ("d", "p/d")]


def test_names_join_in_utf8_byte_order() -> None:
    """Non-ASCII names, sorted by bytes on both sides, pair up."""
    names = sorted(["z", "é", "\u4e2d", "\U0001f600"], key=str.encode)
    locals_ = [local_state(n) for n in names]
    remote = [file_version(PREFIX + n) for n in names]
    assert pairs(locals_, remote) == [(n, PREFIX + n) for n in names]


def test_empty_prefix() -> None:
    """With no prefix, rel_path and file name are the same string."""
    result = list(pair_up("", iter([local_state("a")]), iter([file_version("a")])))
    assert [(lo.rel_path, v.file_name) for lo, v in result] == [("a", "a")]
