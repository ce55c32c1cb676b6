"""The upload index: bytes paths, byte order, subtrees, rename lookup, bulk puts."""

from __future__ import annotations

import os
import sqlite3

from syncd.domain import ChangeKind, RelPath, SkippedItem, rel_path_key
from syncd.journal import index_api

BAD = os.fsdecode(b"bad\xff name")  # not valid UTF-8: a surrogate escape in the str
PACE = {"settle_ms": 0, "delete_hold_ms": 0, "max_deferral_ms": 0}


def test_undecodable_name_survives_every_table(journal, journal_path, change, entry):
    """A name that is not UTF-8 goes through queue, index and issues byte for byte."""
    journal.record([change(BAD)], **PACE)
    [job] = journal.claim(worker="w", limit=1, lease_ms=1_000)
    assert job.rel_path == BAD
    assert journal.complete(job, index=entry(BAD)) is True
    assert journal.index_get("docs", RelPath(BAD)) == entry(BAD)
    assert journal.report_issue(SkippedItem(folder="docs", rel_path=RelPath(BAD), reason="r"))
    assert journal.issues() == [SkippedItem(folder="docs", rel_path=RelPath(BAD), reason="r")]
    raw = sqlite3.connect(journal_path)
    try:
        assert raw.execute("SELECT typeof(path), path FROM files").fetchall() == [
            ("blob", b"bad\xff name")
        ]
    finally:
        raw.close()


def test_iteration_is_in_rel_path_key_order(journal, entry):
    """iter_index yields paths in byte order, the order every layer sorts by."""
    names = ["b", "a/b", "a-b", "a.b", "a", "é", "Z", BAD, "a/b/c", "a0", "\u00e9t\u00e9"]
    journal.put_index([entry(name) for name in names])
    got = [e.rel_path for e in journal.iter_index("docs")]
    assert got == sorted(names, key=rel_path_key)


def test_iteration_pages_through_everything(journal, entry, monkeypatch):
    """Entries come in pages, none lost or repeated at page edges."""
    monkeypatch.setattr(index_api, "PAGE_ROWS", 3)
    names = [f"f{i:02d}" for i in range(10)]
    journal.put_index([entry(name) for name in names])
    assert [e.rel_path for e in journal.iter_index("docs")] == names


def test_iteration_under_a_directory(journal, entry, monkeypatch):
    """``under`` gives the entry at that path and everything below it, no siblings."""
    monkeypatch.setattr(index_api, "PAGE_ROWS", 2)
    names = ["dir", "dir-x", "dir.txt", "dir/a", "dir/b/c", "dir/z", "dir0", "dirx", "d"]
    journal.put_index([entry(name) for name in names])
    under = [e.rel_path for e in journal.iter_index("docs", RelPath("dir/"))]
    assert under == ["dir", "dir/a", "dir/b/c", "dir/z"]
    assert [e.rel_path for e in journal.iter_index("docs", RelPath("dir/b"))] == ["dir/b/c"]
    assert len(list(journal.iter_index("docs", RelPath("")))) == len(names)


def test_folders_are_separate(journal, entry):
    """Each folder has its own index; an unknown folder has nothing."""
    journal.put_index([entry("a"), entry("a", folder="photos", size=99)])
    assert journal.index_count("docs") == 1
    assert journal.index_get("photos", RelPath("a")) == entry("a", folder="photos", size=99)
    assert list(journal.iter_index("never-seen")) == []
    assert journal.index_get("never-seen", RelPath("a")) is None
    assert journal.index_count("never-seen") == 0
    assert (journal.index_empty("docs"), journal.index_empty("never-seen")) == (False, True)
    journal.forget_index("photos", RelPath("a"))
    assert journal.index_empty("photos")
    assert journal.index_lookup("never-seen", RelPath("new"), (1, 100))[1] == []


def test_find_inode_for_rename_detection(journal, entry):
    """Entries sharing (dev, inode) are found, also with 64-bit unsigned numbers."""
    big = 2**64 - 2
    journal.put_index(
        [entry("old", inode=7), entry("link", inode=7), entry("x", inode=8), entry("u", dev=big)]
    )
    _none, candidates = journal.index_lookup("docs", RelPath("new"), (1, 7))
    assert [e.rel_path for e in candidates] == ["link", "old"]
    [found] = journal.index_lookup("docs", RelPath("new"), (big, 100))[1]
    assert (found.rel_path, found.dev) == ("u", big)


def test_put_index_replaces_and_spans_chunks(journal, entry, monkeypatch):
    """A bulk put inserts or replaces, in several transactions when large."""
    monkeypatch.setattr(index_api, "PUT_CHUNK", 4)
    journal.put_index([entry(f"f{i}") for i in range(10)])
    journal.put_index([entry("f3", sha1="b" * 40)])
    assert journal.index_count("docs") == 10
    got = journal.index_get("docs", RelPath("f3"))
    assert got is not None
    assert got.sha1 == "b" * 40


def test_complete_can_index_another_folder_entry(journal, change, entry):
    """The index entry of a completion is keyed by its own folder and path."""
    journal.record([change("new", ChangeKind.CHANGED)], **PACE)
    [job] = journal.claim(worker="w", limit=1, lease_ms=1_000)
    journal.complete(job, index=entry("new", folder="photos"))
    assert journal.index_count("photos") == 1


def test_forget_index_drops_one_entry(journal, entry):
    """forget_index removes one path's entry and leaves the others."""
    journal.put_index([entry("a"), entry("b")])
    journal.forget_index("docs", RelPath("a"))
    assert journal.index_get("docs", RelPath("a")) is None
    assert journal.index_get("docs", RelPath("b")) is not None
    journal.forget_index("unknown-folder", RelPath("a"))  # no folder: nothing to do


def stamps_of(entries):
    """The FileStamps the index should give for these entries, in path order."""
    rows = [
        (rel_path_key(e.rel_path), e.dev, e.inode, e.size, e.mtime_ns, e.ctime_ns) for e in entries
    ]
    return sorted(rows)


def test_stamps_match_the_entries_page_by_page(journal, entry, monkeypatch):
    """iter_stamps gives each entry's stamp in byte order, across page edges, 64-bit too."""
    monkeypatch.setattr(index_api, "STAMP_PAGE_ROWS", 3)
    big = 2**64 - 2
    names = ["b", "a/b", "a-b", "a.b", "a", "é", BAD, "a/b/c", "a0", "u", "v"]
    entries = [entry(n, inode=i, size=i * 3) for i, n in enumerate(names)]
    entries += [entry("w", dev=big, inode=big - 1), entry("x", folder="photos")]
    journal.put_index(entries)
    assert list(journal.iter_stamps("docs")) == stamps_of(entries[:-1])
    assert list(journal.iter_stamps("never-seen")) == []


def test_stamps_under_a_directory(journal, entry, monkeypatch):
    """``under`` gives the stamp at that path and those below it, as iter_index does."""
    monkeypatch.setattr(index_api, "STAMP_PAGE_ROWS", 2)
    names = ["dir", "dir-x", "dir.txt", "dir/a", "dir/b/c", "dir/z", "dir0", "dirx", "d"]
    journal.put_index([entry(name, inode=i) for i, name in enumerate(names)])
    for under in ("dir/", "dir/b", "dir/a", ""):
        want = [rel_path_key(e.rel_path) for e in journal.iter_index("docs", RelPath(under))]
        got = list(journal.iter_stamps("docs", RelPath(under)))
        assert [s[0] for s in got] == want
        assert got == stamps_of(journal.iter_index("docs", RelPath(under)))
