"""RunReport's counters and summary, and the exit code sync-now derives from them."""

from __future__ import annotations

import json
import threading

import pytest

from syncd.cli.sync_cmd import exit_code
from syncd.engine.report import RunReport, Tally


def test_counters_start_at_zero_and_add() -> None:
    """add() bumps a named counter by one or by an amount."""
    report = RunReport()
    report.add(Tally.UPLOADED_FILES)
    report.add(Tally.UPLOADED_FILES)
    report.add(Tally.UPLOADED_BYTES, 1234)
    assert (report.uploaded_files, report.uploaded_bytes, report.hidden_files) == (2, 1234, 0)


def test_add_is_thread_safe() -> None:
    """Concurrent add() calls from many threads lose no increment."""
    report = RunReport()

    def bump() -> None:
        for _ in range(2000):
            report.add(Tally.UPLOADED_BYTES, 3)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert report.uploaded_bytes == 8 * 2000 * 3


def test_progress_hook_sees_bytes_and_jobs() -> None:
    """sent() and job_done() reach the progress hook as ("bytes", n) and ("job", 1)."""
    seen: list[tuple[str, int]] = []
    report = RunReport(progress=lambda what, n: seen.append((what, n)))
    report.sent(4096)
    report.job_done()
    assert seen == [("bytes", 4096), ("job", 1)]


def test_no_progress_hook_is_fine() -> None:
    """Without a hook, sent() and job_done() do nothing."""
    report = RunReport()
    report.sent(1)
    report.job_done()


def test_pause_reasons_are_kept_once() -> None:
    """The same pause reason is listed once, in first-seen order."""
    report = RunReport()
    for reason in ("cap", "mass delete", "cap"):
        report.pause(reason)
    assert report.paused == ["cap", "mass delete"]


def test_as_dict_is_plain_json() -> None:
    """as_dict() holds every counter, the items as folder/path/reason, and no hook; it is JSON."""
    report = RunReport(progress=lambda _w, _n: None)
    report.add(Tally.SCANNED_FILES, 9)
    report.add(Tally.UPLOADED_FILES, 2)
    report.add(Tally.UPLOADED_BYTES, 30)
    report.skip("docs", "pipe", "not a regular file")
    report.fail("docs", "a.txt", "503")
    report.pause("cap")
    report.remote_unavailable = True
    summary = report.as_dict()
    assert summary == {
        "scanned_files": 9,
        "uploaded_files": 2,
        "uploaded_bytes": 30,
        "copied_files": 0,
        "hidden_files": 0,
        "deleted_versions": 0,
        "unchanged_files": 0,
        "refreshed_files": 0,
        "adopted_files": 0,
        "requeued_files": 0,
        "conflicts": 0,
        "downloaded_files": 0,
        "skipped": [{"folder": "docs", "path": "pipe", "reason": "not a regular file"}],
        "failed": [{"folder": "docs", "path": "a.txt", "reason": "503"}],
        "paused": ["cap"],
        "fatal": None,
        "remote_unavailable": True,
        "capped": False,
    }
    assert json.loads(json.dumps(summary)) == summary


def test_as_dict_is_a_copy() -> None:
    """Changing the report after as_dict() leaves the returned summary as it was."""
    report = RunReport()
    summary = report.as_dict()
    report.pause("later")
    report.fail("docs", "a", "x")
    assert summary["paused"] == []
    assert summary["failed"] == []


def _report(
    *,
    failed: bool = False,
    paused: bool = False,
    unavailable: bool = False,
    fatal: bool = False,
    capped: bool = False,
) -> RunReport:
    report = RunReport()
    report.capped = capped
    if failed:
        report.fail("docs", "a.txt", "boom")
    if paused:
        report.pause("mass delete")
    report.remote_unavailable = unavailable
    if fatal:
        report.fatal = "key refused"
        report.fatal_exit_code = 77
    return report


@pytest.mark.parametrize(
    ("report", "code"),
    [
        (_report(), 0),
        (_report(unavailable=True), 0),  # B2 hiccuped but everything got through
        (_report(failed=True), 1),
        (_report(paused=True), 1),
        (_report(failed=True, paused=True), 1),
        (_report(failed=True, unavailable=True), 75),
        (_report(failed=True, paused=True, unavailable=True), 75),
        (_report(failed=True, paused=True, capped=True), 75),
        (_report(fatal=True), 77),
        (_report(fatal=True, failed=True, unavailable=True), 77),
    ],
    ids=[
        "clean",
        "transient-recovered",
        "failed",
        "paused",
        "failed-and-paused",
        "remote-unavailable",
        "unavailable-and-paused",
        "capped",
        "fatal",
        "fatal-wins",
    ],
)
def test_exit_code(report: RunReport, code: int) -> None:
    """0 all on B2; 1 failures or pauses; 75 B2 unreachable or the account capped; 77 fatal."""
    assert exit_code(report) == code
