"""Reported issues (each shown once) and the meta key/value table."""

from __future__ import annotations

import os

from syncd.domain import RelPath, SkippedItem
from syncd.journal import Journal


def item(path: str, reason: str = "special file", folder: str = "docs") -> SkippedItem:
    """A skipped item."""
    return SkippedItem(folder=folder, rel_path=RelPath(path), reason=reason)


def test_issue_is_news_once_per_reason(journal):
    """The same issue again is not reported again; a new reason is."""
    assert journal.report_issue(item("fifo")) is True
    assert journal.report_issue(item("fifo")) is False
    assert journal.report_issue(item("fifo", "unreadable")) is True
    assert journal.issues() == [item("fifo", "unreadable")]


def test_cleared_issue_is_news_again(journal):
    """After clear_issue the same problem is reported anew."""
    journal.report_issue(item("fifo"))
    journal.clear_issue("docs", RelPath("fifo"))
    assert journal.issues() == []
    assert journal.report_issue(item("fifo")) is True
    journal.clear_issue("never-seen", RelPath("fifo"))


def test_issues_by_folder_and_path(journal):
    """Issues list sorted by folder, then path, optionally for one folder."""
    journal.report_issue(item("b", folder="photos"))
    journal.report_issue(item("z"))
    journal.report_issue(item("a"))
    assert [(i.folder, i.rel_path) for i in journal.issues()] == [
        ("docs", "a"),
        ("docs", "z"),
        ("photos", "b"),
    ]
    assert journal.issues("photos") == [item("b", folder="photos")]
    assert journal.issues("never-seen") == []


def test_meta_round_trip(journal, journal_path, clock):
    """Meta values are stored, replaced, deleted, and survive a reopen."""
    assert journal.get_meta("root:docs") is None
    journal.set_meta("root:docs", '{"id": "x"}')
    journal.set_meta("root:docs", '{"id": "y"}')
    journal.set_meta("paused", "1")
    journal.delete_meta("paused")
    journal.close()
    with Journal.open(journal_path, clock=clock) as again:
        assert again.get_meta("root:docs") == '{"id": "y"}'
        assert again.get_meta("paused") is None


def test_messages_quoting_undecodable_names_are_kept(journal, change):
    """An error or reason that quotes a non-UTF-8 name is stored with a visible escape."""
    bad = os.fsdecode(b"x\xff")
    assert journal.report_issue(item(bad, f"cannot read {bad}")) is True
    assert journal.issues()[0].reason == "cannot read x\\udcff"
    journal.record([change(bad)], settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    [job] = journal.claim(worker="w", limit=1, lease_ms=1)
    journal.fail(job, error=f"open {bad}: denied", retry_at_ms=0)
    assert journal.failures() == [(bad, 1, "open x\\udcff: denied")]
