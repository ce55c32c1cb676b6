"""The sync-now progress line: fed by the report's hook when shown, absent otherwise."""

from __future__ import annotations

from syncd.cli.progress import JobProgress
from syncd.engine import RunReport


def test_shown_line_counts_jobs_and_bytes() -> None:
    """When shown, the hook advances the done count and the bytes sent; exit unhooks it."""
    report = RunReport()
    with JobProgress(report, enabled=True) as shown:
        assert report.progress is not None
        report.progress("job", 2)
        report.progress("bytes", 3 << 20)
        line = shown._line
        assert line is not None
        task = line[0].tasks[0]
        assert (task.completed, task.fields["sent"]) == (2, "3.0 MiB")
    assert report.progress is None


def test_hidden_line_leaves_the_report_alone() -> None:
    """When not shown, no hook is set and no progress line is built."""
    report = RunReport()
    with JobProgress(report, enabled=False) as hidden:
        assert report.progress is None
        assert hidden._line is None
