"""kill -9 at random moments, with faults on: nothing lost, nothing repeated.

Each cycle changes the folder at random, starts the daemon, kills it with SIGKILL
after a random delay. At the end the faults stop, one daemon runs to quiescence and
the oracle checks O1 (nothing lost), O2 (nothing extra), O3 (no duplicate versions)
and O5 (no unfinished large files). SYNCD_CRASH_CYCLES sets the cycle count
(30 by default; `pytest -m soak` runs the 200-cycle soak).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView, assert_converged, duplicates, local_tree
from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until
from tests.support.workload import mutate

FAULTS = [
    "b2_upload_file:rate=0.05,status=503",
    "b2_upload_file:lost_response=0.05",
    "b2_upload_part:lost_response=0.05",
    "b2_finish_large_file:lost_response=0.1",
    "b2_hide_file:rate=0.05,status=500",
]


def converged(view: BucketView, setup: Setup) -> bool:
    """The bucket mirrors the folder."""
    remote = view.latest(setup.bucket, setup.prefix)
    mirror = {k[len(setup.prefix) :]: (v.sha1, v.mtime_ms) for k, v in remote.items()}
    return mirror == local_tree(setup.root)


def crash_cycles(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path, cycles: int
) -> None:
    """Run ``cycles`` kill -9 cycles, then check the oracle."""
    rng = random.Random(int(os.environ.get("SYNCD_CRASH_SEED", "1234")))
    emulator.set_faults_spec(FAULTS)
    for cycle in range(cycles):
        mutate(setup.root, rng)
        notify = NotifySocket(tmp_path / f"n{cycle}.sock")
        daemon = DaemonProcess(setup, notify, tmp_path / "crash.log")
        time.sleep(rng.uniform(0.3, 2.5))
        daemon.kill()
        notify.close()
    emulator.set_faults_spec([])
    notify = NotifySocket(tmp_path / "final.sock")
    final = DaemonProcess(setup, notify, tmp_path / "final.log")
    final.wait_ready()
    ok = wait_until(lambda: converged(view, setup), 120)
    if not ok:
        final.dump_stacks()
        remote = view.latest(setup.bucket, setup.prefix)
        mirror = {k[len(setup.prefix) :]: (v.sha1, v.mtime_ms) for k, v in remote.items()}
        local = local_tree(setup.root)
        diff = sorted(set(mirror.items()) ^ set(local.items()))
        print("bucket/folder differences (name, (sha1, mtime_ms)):", diff[:20])
    assert final.terminate() == 0
    notify.close()
    versions = view.versions(setup.bucket, setup.prefix)
    assert ok, f"not converged after {cycles} kill -9 cycles:\n{final.log()}"
    assert duplicates(versions) == []
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_kill9_cycles(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """30 random kill -9 cycles with injected faults lose nothing and repeat nothing."""
    cycles = int(os.environ.get("SYNCD_CRASH_CYCLES", "30"))
    crash_cycles(setup, view, emulator, tmp_path, cycles)


@pytest.mark.soak
@pytest.mark.timeout(3600)
def test_kill9_soak(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """200 kill -9 cycles (on demand: pytest -m soak)."""
    crash_cycles(setup, view, emulator, tmp_path, 200)
