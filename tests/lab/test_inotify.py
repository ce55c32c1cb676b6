"""Scenario 7: inotify queue overflow and a low watch limit.

Overflow: the daemon is frozen with SIGSTOP while 20,000 files are created, then resumed;
the kernel queue (16,384 events by default) overflows. Watch limit: the daemon runs in a
user namespace whose per-namespace watch limit is 40 (``/proc/sys/user/...``, never the
global ``fs.inotify`` sysctls) over a tree of 101 directories. Every file must reach B2.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.lab.support import LabDaemon, LabOptions, Recorder, wait_quiet, wait_verdict
from tests.lab.workload import make_files
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup, wait_until

pytestmark = pytest.mark.lab

OVERFLOW_FILES = 20_000


@pytest.mark.timeout(900)
def test_overflow_after_sigstop_loses_nothing(
    setup: Setup, view: BucketView, lab_dir: Path, record: Recorder
) -> None:
    """20,000 files created while the daemon is stopped all reach B2 after SIGCONT."""
    record.describe(
        "7a inotify overflow (SIGSTOP, 20,000 files, SIGCONT)",
        "overflow noticed in the log; every file on B2; 0 duplicates; time to drain",
    )
    for i in range(20):  # directories exist and are watched before the freeze: every
        (setup.root / f"o{i:02d}").mkdir()  # file then costs create, modify, close events
    daemon = LabDaemon(setup, lab_dir, "overflow")
    daemon.wait_ready()
    time.sleep(1)
    daemon.signal(signal.SIGSTOP)
    try:
        for i in range(20):
            make_files(setup.root, OVERFLOW_FILES // 20, size=16, sub=f"o{i:02d}")
    finally:
        daemon.signal(signal.SIGCONT)
    resumed = time.monotonic()
    found, took = wait_verdict(view, setup, 600, step_s=3)
    noticed = "overflow" in daemon.full_log().lower()
    record.fig("files", found.local)
    record.fig("all on B2 after SIGCONT s", took)
    record.fig("overflow in log", noticed)
    record.fig("RSS peak MiB", daemon.rss_hwm_mib())
    assert wait_quiet(setup, 60)
    assert daemon.terminate() == 0, daemon.log()
    assert time.monotonic() - resumed < 900
    assert found.ok, found.summary()
    assert noticed, "the kernel queue overflow left no trace in the log"


@pytest.mark.timeout(600)
def test_low_watch_limit_loses_nothing(
    setup: Setup, view: BucketView, lab_dir: Path, lab: LabOptions, record: Recorder
) -> None:
    """With 40 watches for 101 directories, files in unwatched directories still land."""
    record.describe(
        "7b watch limit 40 for 101 directories (user namespace)",
        "gap reported; a file created in each of 100 directories reaches B2",
    )
    for i in range(100):
        (setup.root / f"d{i:03d}").mkdir()
    shell = "echo 40 > /proc/sys/user/max_inotify_watches\nexec $SYNCD"
    daemon = LabDaemon(setup, lab_dir, "watches", prefix=["unshare", "-U", "-r"], shell=shell)
    daemon.wait_ready()
    time.sleep(1)
    for i in range(100):
        (setup.root / f"d{i:03d}" / "late.txt").write_text(f"late {i}")
    found, took = wait_verdict(view, setup, 120, step_s=1)
    reported = wait_until(lambda: "max_user_watches" in daemon.full_log(), 20, 0.5)
    gap = [line for line in daemon.full_log().splitlines() if "max_user_watches" in line][:1]
    record.fig("files", found.local)
    record.fig("all on B2 s", took)
    record.fig("gap reported", reported)
    unwatched = json.loads(gap[0]).get("unwatched") if gap else None
    record.fig("unwatched directories", unwatched)
    assert daemon.terminate() == 0, daemon.log()
    assert found.ok, found.summary()
    assert reported
    assert unwatched, "the namespace limit did not take effect"
