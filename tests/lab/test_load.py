"""Scenario 8: load. L1 a burst of 1,000 files/s, L2 one big sparse file while small files
keep changing, L3 one directory of many files. 0 lost, and the daemon's peak RSS (VmHWM).

Sizes follow ``--lab-scale``: small (L1 10 s, L2 1 GiB, L3 10,000) or full (L1 60 s,
L2 10 GiB, L3 100,000).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.emulator import EmulatorOptions, EmulatorServer
from tests.lab.support import (
    BUCKET,
    KEY,
    KEY_ID,
    LabDaemon,
    LabOptions,
    Recorder,
    make_setup,
    wait_quiet,
    wait_verdict,
)
from tests.lab.workload import make_files
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup

pytestmark = pytest.mark.lab

WORKERS = 8


@pytest.fixture
def load_setup(lab_dir: Path, emulator: EmulatorServer) -> Setup:
    """A setup with more workers."""
    return make_setup(lab_dir, emulator.base_url, workers=WORKERS)


@pytest.mark.timeout(3600)
def test_l1_burst_of_1000_files_per_second(
    load_setup: Setup, view: BucketView, lab_dir: Path, lab: LabOptions, record: Recorder
) -> None:
    """L1: 1,000 new files a second for 10 s (full: 60 s) all reach B2 exactly once."""
    setup = load_setup
    seconds = 60 if lab.full else 10
    record.describe(
        f"8 L1 burst 1,000 files/s for {seconds} s",
        "0 lost, 0 duplicates; achieved create rate; drain time; RSS peak",
    )
    daemon = LabDaemon(setup, lab_dir, "l1")
    daemon.wait_ready()
    start = time.monotonic()
    for second in range(seconds):
        make_files(setup.root, 1000, size=100, sub=f"s{second:03d}")
        behind = start + second + 1 - time.monotonic()
        if behind > 0:
            time.sleep(behind)
    rate = round(seconds * 1000 / (time.monotonic() - start))
    found, took = wait_verdict(view, setup, 3000, step_s=5)
    record.fig("files", found.local)
    record.fig("create rate files/s", rate)
    record.fig("all on B2 after burst s", took)
    record.fig("RSS peak MiB", daemon.rss_hwm_mib())
    assert wait_quiet(setup, 120)
    assert daemon.terminate() == 0, daemon.log()
    assert found.ok, found.summary()


@pytest.mark.timeout(3600)
def test_l3_one_directory_of_many_files(
    load_setup: Setup,
    view: BucketView,
    emulator: EmulatorServer,
    lab_dir: Path,
    lab: LabOptions,
    record: Recorder,
) -> None:
    """L3: 10,000 (full: 100,000) files in one directory all reach B2; RSS reported."""
    setup = load_setup
    count = 100_000 if lab.full else 10_000
    record.describe(
        f"8 L3 {count:,} files in one directory",
        "0 lost, 0 duplicates; first sync time; restart makes 0 uploads; RSS peak",
    )
    make_files(setup.root, count, size=50, sub="flat")
    daemon = LabDaemon(setup, lab_dir, "l3")
    daemon.wait_ready(300)
    found, took = wait_verdict(view, setup, 3000, step_s=5)
    record.fig("files", found.local)
    record.fig("all on B2 s", took)
    record.fig("RSS peak MiB", daemon.rss_hwm_mib())
    assert wait_quiet(setup, 120)
    assert daemon.terminate() == 0, daemon.log()
    emulator.reset_stats()
    again = LabDaemon(setup, lab_dir, "l3-restart")
    again.wait_ready(300)
    assert wait_quiet(setup, 300)
    assert again.terminate() == 0, again.log()
    calls = emulator.stats()["calls"]
    restart_uploads = sum(calls.get(c, 0) for c in ("b2_upload_file", "b2_start_large_file"))
    record.fig("uploads after restart", restart_uploads)
    assert found.ok, found.summary()
    assert restart_uploads == 0


@pytest.fixture
def disk_emulator(lab_dir: Path) -> Iterator[EmulatorServer]:
    """An emulator keeping contents on disk (a big file would not fit in its memory)."""
    server = EmulatorServer(
        EmulatorOptions(
            key_id=KEY_ID,
            key=KEY,
            buckets=(BUCKET,),
            data_dir=lab_dir / "emulator",
            recommended_part_size=64 * 1024 * 1024,
            absolute_minimum_part_size=5 * 1024 * 1024,
        )
    )
    with server:
        yield server


@pytest.mark.timeout(3600)
def test_l2_big_sparse_file_while_small_files_change(
    disk_emulator: EmulatorServer, lab_dir: Path, lab: LabOptions, record: Recorder
) -> None:
    """L2: a 1 GiB (full: 10 GiB) sparse file uploads while small files keep changing."""
    gib = 10 if lab.full else 1
    record.describe(
        f"8 L2 one {gib} GiB sparse file + small files changing",
        "big file and every small file on B2, 0 duplicates, 0 unfinished; RSS peak",
    )
    setup = make_setup(lab_dir, disk_emulator.base_url, workers=WORKERS)
    view = BucketView(disk_emulator.base_url, KEY_ID, KEY)
    rng = random.Random(lab.seed)
    big = setup.root / "big.sparse"
    with big.open("wb") as f:
        for i in range(gib * 4):  # a little data in every 256 MiB, holes between
            f.seek(i * 256 * 1024 * 1024)
            f.write(rng.randbytes(4096))
        f.truncate(gib * 1024**3)
    small = make_files(setup.root, 50, size=300, sub="small")
    daemon = LabDaemon(setup, lab_dir, "l2")
    daemon.wait_ready()
    start = time.monotonic()
    changes = 0
    while time.monotonic() - start < 20:
        victim = rng.choice(small)
        victim.write_bytes(rng.randbytes(rng.randint(10, 3000)))
        changes += 1
        time.sleep(0.1)
    found, took = wait_verdict(view, setup, 3000, step_s=5)
    record.fig("big file bytes", os.path.getsize(big))
    record.fig("small-file changes", changes)
    record.fig("all on B2 s", round(time.monotonic() - start, 1))
    record.fig("RSS peak MiB", daemon.rss_hwm_mib())
    assert wait_quiet(setup, 120)
    found = wait_verdict(view, setup, 30)[0]
    assert daemon.terminate() == 0, daemon.log()
    view.close()
    assert found.ok, found.summary()
    assert took < 3000
