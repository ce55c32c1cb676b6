"""Reported issues (each shown once) and the meta key/value table."""

from __future__ import annotations

import os

from syncd.domain import RelPath, RootIdentity, SkippedItem
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


def test_folder_state_round_trip(journal, journal_path, clock):
    """Root identity, delete counts and schedule offsets round-trip and survive a reopen."""
    assert journal.state.root("docs") is None
    assert journal.state.paused_deletes("docs") == 0
    journal.state.record_root("docs", RootIdentity(dev=2**64 - 5, marker="x"))
    journal.state.record_root("docs", RootIdentity(dev=7, marker=None))
    journal.state.set_deletes("docs", paused=4)
    journal.state.set_deletes("docs", approved=3)
    journal.state.set_schedule_offset("rescan:docs", 12.5)
    journal.close()
    with Journal.open(journal_path, clock=clock) as again:
        assert again.state.root("docs") == RootIdentity(dev=7, marker=None)
        assert again.state.paused_deletes("docs") == 4
        assert again.state.approved_deletes("docs") == 3
        assert again.state.schedule_offset("rescan:docs") == 12.5
        assert again.state.schedule_offset("rescan:other") is None
        assert again.state.root("never-seen") is None


def test_root_device_beyond_int64_round_trips(journal):
    """A device number above 2**63 (unsigned on some systems) comes back unchanged."""
    journal.state.record_root("docs", RootIdentity(dev=2**64 - 5, marker="m"))
    assert journal.state.root("docs") == RootIdentity(dev=2**64 - 5, marker="m")


def test_messages_quoting_undecodable_names_are_kept(journal, change):
    """An error or reason that quotes a non-UTF-8 name is stored with a visible escape."""
    bad = os.fsdecode(b"x\xff")
    assert journal.report_issue(item(bad, f"cannot read {bad}")) is True
    assert journal.issues()[0].reason == "cannot read x\\udcff"
    journal.record([change(bad)], settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    [job] = journal.claim(worker="w", limit=1, lease_ms=1)
    journal.fail(job, error=f"open {bad}: denied", retry_at_ms=0)
    assert journal.failures() == [(bad, 1, "open x\\udcff: denied")]
