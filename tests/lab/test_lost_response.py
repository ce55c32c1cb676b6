"""Scenario 2: "stored, response lost" at each upload step leaves exactly one version.

For each B2 call on the upload path the emulator performs the call, commits it, then
drops the connection once. syncd must find out what happened (probe before re-send) and
the bucket, listed independently, must hold exactly one version of the change.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.lab.support import Recorder, wait_verdict
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup, sync_now

pytestmark = pytest.mark.lab

SMALL = 3000
LARGE = 700_000  # three parts of 256 KiB at the lab emulator's limits
LARGE_STEPS = {"start_large_file", "get_upload_part_url", "upload_part", "finish_large_file"}


def prepare(step: str, root: Path, rng: random.Random) -> Path:
    """The file the faulted step will act on, written before the first sync."""
    path = root / "d" / f"{step}.bin"
    path.parent.mkdir(exist_ok=True)
    size = LARGE if step in LARGE_STEPS else SMALL
    if step in ("copy_file", "hide_file"):
        path.write_bytes(rng.randbytes(size))  # exists before the first sync
    return path


def act(step: str, path: Path, rng: random.Random) -> None:
    """The change whose upload the fault hits."""
    if step == "copy_file":
        ns = 1_600_000_000 * 10**9
        os.utime(path, ns=(ns, ns))  # same bytes, new mtime: a server-side copy
    elif step == "hide_file":
        path.unlink()
    else:
        size = LARGE if step in LARGE_STEPS else SMALL
        path.write_bytes(rng.randbytes(size))


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "step",
    [
        "upload_file",
        "get_upload_url",
        "start_large_file",
        "get_upload_part_url",
        "upload_part",
        "finish_large_file",
        "copy_file",
        "hide_file",
    ],
)
def test_lost_response_gives_one_version(
    step: str, setup: Setup, view: BucketView, emulator: EmulatorServer, record: Recorder
) -> None:
    """A committed call whose response is lost still yields exactly one version."""
    record.describe(
        f"2 stored, response lost: {step}",
        "exactly one new version (or hide marker), 0 duplicates, 0 unfinished",
    )
    rng = random.Random(7)
    path = prepare(step, setup.root, rng)
    (setup.root / "keep.txt").write_text("anchor")
    code, _, err = sync_now(setup)
    assert code == 0, err
    name = setup.prefix + path.relative_to(setup.root).as_posix()
    before = [v for v in view.versions(setup.bucket, setup.prefix) if v.name == name]
    act(step, path, rng)
    emulator.reset_stats()
    emulator.set_faults_spec([f"b2_{step}:lost_response=1,count=1"])
    code, _, err = sync_now(setup)
    fired = emulator.stats()["faultsFired"]
    emulator.set_faults_spec([])
    if code != 0:  # the daemon may leave it for the next pass: that pass must not duplicate
        code, _, err = sync_now(setup)
    assert code == 0, err
    found, _ = wait_verdict(view, setup, 10)
    after = [v for v in view.versions(setup.bucket, setup.prefix) if v.name == name]
    new = after[: len(after) - len(before)]
    record.fig("fault fired", fired)
    record.fig("new versions", [v.action for v in new])
    assert fired == 1
    assert found.ok, found.summary()
    assert [v.action for v in new] == ["hide" if step == "hide_file" else "upload"]
