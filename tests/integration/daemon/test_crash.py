"""kill -9 at random moments, with faults on: nothing lost, nothing repeated.

Each cycle changes the folder at random, starts the daemon, kills it with SIGKILL
after a random delay. At the end the faults stop, one daemon runs to quiescence and
the oracle checks O1 (nothing lost), O2 (nothing extra), O3 (no duplicate versions)
and O5 (no unfinished large files). SYNCD_CRASH_CYCLES sets the cycle count
(30 by default; `pytest -m soak` runs the 200-cycle soak). The same runs over the
S3-compatible API with faults on its side (10 cycles; SYNCD_CRASH_CYCLES_S3).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView, assert_converged, duplicates, local_tree
from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until, write_config
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


# The same faults on the S3-compatible API's side of the emulator.
S3_FAULTS = [
    "s3_put_object:rate=0.05,status=503",
    "s3_put_object:lost_response=0.05",
    "s3_upload_part:lost_response=0.05",
    "s3_complete_multipart_upload:lost_response=0.1",
    "s3_delete_object:rate=0.05,status=500",
    "s3_list_object_versions:rate=0.05,status=503",
]


def crash_cycles(
    setup: Setup,
    view: BucketView,
    emulator: EmulatorServer,
    tmp_path: Path,
    cycles: int,
    faults: list[str] = FAULTS,
    *,
    faults_to_the_end: bool = False,
) -> None:
    """Run ``cycles`` kill -9 cycles, then check the oracle (``faults_to_the_end``: the
    final run that must converge meets the faults too, not only the killed ones)."""
    rng = random.Random(int(os.environ.get("SYNCD_CRASH_SEED", "1234")))
    emulator.set_faults_spec(faults)
    for cycle in range(cycles):
        mutate(setup.root, rng)
        notify = NotifySocket(tmp_path / f"n{cycle}.sock")
        daemon = DaemonProcess(setup, notify, tmp_path / "crash.log")
        time.sleep(rng.uniform(0.3, 2.5))
        daemon.kill()
        notify.close()
    if not faults_to_the_end:
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
    emulator.set_faults_spec([])
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


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_kill9_cycles_over_s3(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """10 kill -9 cycles over the S3 API, faults on its side: nothing lost or repeated."""
    write_config(
        setup,
        b2=f'api = "s3"\ns3_endpoint = "{emulator.s3_url}"\n'
        "part_size_bytes = 262144\nlarge_file_threshold_bytes = 524288\n",
    )
    cycles = int(os.environ.get("SYNCD_CRASH_CYCLES_S3", "10"))
    # The faults stay on to the end: on a slow machine the killed runs may make few
    # requests, and the test must not pass without a fault having fired.
    crash_cycles(setup, view, emulator, tmp_path, cycles, S3_FAULTS, faults_to_the_end=True)
    calls = emulator.stats()["calls"]
    assert calls.get("b2_upload_file", 0) == 0  # every byte went over S3
    assert calls.get("s3_put_object", 0) > 0
    assert emulator.stats()["faultsFired"] > 0


@pytest.mark.soak
@pytest.mark.timeout(3600)
def test_kill9_soak(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """200 kill -9 cycles (on demand: pytest -m soak)."""
    crash_cycles(setup, view, emulator, tmp_path, 200)
