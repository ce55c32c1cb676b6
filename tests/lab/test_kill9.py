"""Scenario 1: kill -9 at random moments under faults; the bucket checked after every cycle.

Each cycle changes the folder at random, starts the daemon with faults on, kills it with
SIGKILL after a random delay, then (faults still on) runs a daemon to quiescence and lists
the bucket: 0 lost, 0 wrong, 0 extra, 0 duplicate versions, 0 unfinished large files.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.lab.support import LabDaemon, LabOptions, Recorder, wait_verdict
from tests.lab.workload import mutate
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup

pytestmark = pytest.mark.lab

FAULTS = [
    "b2_upload_file:rate=0.05,status=503",
    "b2_upload_file:lost_response=0.05",
    "b2_get_upload_url:lost_response=0.03",
    "b2_start_large_file:lost_response=0.05",
    "b2_upload_part:lost_response=0.05",
    "b2_finish_large_file:lost_response=0.1",
    "b2_copy_file:lost_response=0.1",
    "b2_hide_file:rate=0.05,status=500",
    "b2_hide_file:lost_response=0.05",
    "*:latency_ms=20,rate=0.1",
]


def integrity(journal: Path) -> str:
    """``PRAGMA integrity_check`` of the journal, read-only (syncd is stopped)."""
    conn = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        return "; ".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def kill9_cycles(
    setup: Setup,
    view: BucketView,
    emulator: EmulatorServer,
    lab_dir: Path,
    lab: LabOptions,
    faults: list[str],
) -> tuple[list[str], float]:
    """``lab.cycles`` kill -9 cycles under ``faults``, each checked against the bucket
    and the journal's integrity; (the first failure, if any; the slowest convergence s)."""
    rng = random.Random(lab.seed)
    emulator.set_faults_spec(faults)
    failures: list[str] = []
    worst_s = 0.0
    for cycle in range(lab.cycles):
        mutate(setup.root, rng)
        victim = LabDaemon(setup, lab_dir, f"k{cycle}")
        time.sleep(rng.uniform(0.3, 2.5))
        victim.kill()
        mutate(setup.root, rng, (0, 2))
        checker = LabDaemon(setup, lab_dir, f"c{cycle}")
        checker.wait_ready()
        found, took = wait_verdict(view, setup, 90)
        worst_s = max(worst_s, took)
        assert checker.terminate() == 0, checker.log()
        if integrity(setup.state / "journal.sqlite3") != "ok":
            failures.append(f"cycle {cycle}: journal integrity_check failed")
            break
        if not found.ok:
            failures.append(f"cycle {cycle}: {found.summary()}")
            break
    return failures, worst_s


@pytest.mark.timeout(14400)
def test_kill9_cycles_verified_each_cycle(
    setup: Setup,
    view: BucketView,
    emulator: EmulatorServer,
    lab_dir: Path,
    lab: LabOptions,
    record: Recorder,
) -> None:
    """--lab-cycles kill -9 cycles under faults: after each, the bucket mirrors the folder."""
    record.describe(
        "1 kill -9 cycles under faults",
        "after every cycle: 0 lost, 0 wrong, 0 extra, 0 duplicate versions, 0 unfinished, "
        "journal integrity_check ok",
    )
    failures, worst_s = kill9_cycles(setup, view, emulator, lab_dir, lab, FAULTS)
    final = wait_verdict(view, setup, 1)[0]
    record.fig("cycles", lab.cycles)
    record.fig("seed", lab.seed)
    record.fig("files", final.local)
    record.fig("upload versions", final.versions)
    record.fig(
        "lost/dup/unfinished", f"{len(final.lost)}/{len(final.duplicates)}/{final.unfinished}"
    )
    record.fig("slowest convergence s", worst_s)
    assert failures == []
    assert final.ok, final.summary()
