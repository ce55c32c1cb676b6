"""The scrub's pure parts: classifying one file, pairing the index with a listing."""

from __future__ import annotations

import pytest

from syncd.domain import B2Name, IndexEntry, LocalState, RelPath
from syncd.engine.scrub import Finding, classify, pair_with_remote
from syncd.remote import FileVersion

SHA_A, SHA_B = "a" * 40, "b" * 40


def entry(name: str = "f", sha1: str = SHA_A, file_id: str = "id1") -> IndexEntry:
    """What syncd uploaded for ``name``: 10 bytes, mtime 5 s."""
    return IndexEntry(
        folder="folder", rel_path=RelPath(name), b2_name=B2Name("p/" + name), dev=1, inode=2,
        size=10, mtime_ns=5_000_000_000, ctime_ns=6, sha1=sha1, file_id=file_id,
        upload_timestamp_ms=7,
    )  # fmt: skip


def local(size: int = 10, mtime_ns: int = 5_000_000_000) -> LocalState:
    """The local file's state now (ctime moved: that alone never matters)."""
    return LocalState(rel_path=RelPath("f"), size=size, mtime_ns=mtime_ns, ctime_ns=99, dev=1,
                      inode=2)  # fmt: skip


def remote(name: str = "f", sha1: str | None = SHA_A, file_id: str = "id1") -> FileVersion:
    """B2's visible version of ``name``."""
    return FileVersion(
        file_id=file_id, file_name="p/" + name, action="upload", size=10, content_sha1=sha1,
        is_sha1_verified=True, content_type=None, upload_timestamp_ms=7, src_last_modified_ms=5000,
        file_info={},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("case", "state", "sha1", "version", "expected"),
    [
        ("same bytes", local(), SHA_A, remote(), Finding.OK),
        ("bit rot", local(), SHA_B, remote(), Finding.SILENT_CHANGE),
        ("ordinary edit", local(mtime_ns=9), SHA_B, remote(), Finding.CHANGED_LOCALLY),
        ("gone on B2", local(), SHA_A, None, Finding.MISSING_ON_B2),
        ("gone locally", None, None, remote(), Finding.GONE_LOCALLY),
        ("someone else's version", local(), SHA_A, remote(sha1=SHA_B, file_id="x"),
         Finding.REMOTE_DIFFERS),
        ("large without sha1", local(), SHA_A, remote(sha1=None), Finding.UNVERIFIABLE),
    ],
)  # fmt: skip
def test_classify(
    case: str,
    state: LocalState | None,
    sha1: str | None,
    version: FileVersion | None,
    expected: Finding,
) -> None:
    """Each case is classified as the table says."""
    assert classify(entry(), state, sha1, version) is expected, case


def test_pairing_skips_names_the_index_lacks() -> None:
    """Each index entry meets B2's version of its own name, or None."""
    indexed = [entry("a"), entry("c"), entry("d")]
    listing = [remote("a"), remote("b"), remote("c")]
    pairs = [(e.rel_path, v.file_name if v else None)
             for e, v in pair_with_remote(iter(indexed), iter(listing))]  # fmt: skip
    assert pairs == [("a", "p/a"), ("c", "p/c"), ("d", None)]
