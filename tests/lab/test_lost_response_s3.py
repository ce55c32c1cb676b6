"""Scenario 2 over S3: "stored, response lost" at each S3 upload step leaves one version."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.lab.support import Recorder, make_setup, wait_verdict
from tests.lab.test_lost_response import act, prepare
from tests.support.bucket_view import BucketView
from tests.support.harness import sync_now

pytestmark = pytest.mark.lab

NATIVE_STEP = {  # the native step whose file and change the S3 step is given
    "put_object": "upload_file",
    "create_multipart_upload": "start_large_file",
    "upload_part": "upload_part",
    "complete_multipart_upload": "finish_large_file",
    "copy_object": "copy_file",
    "delete_object": "hide_file",
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("step", sorted(NATIVE_STEP))
def test_lost_response_over_s3_gives_one_version(
    step: str, lab_dir: Path, view: BucketView, emulator: EmulatorServer, record: Recorder
) -> None:
    """A committed S3 call whose response is lost still yields exactly one version."""
    record.describe(
        f"2s stored, response lost over S3: {step}",
        "exactly one new version (or delete marker), 0 duplicates, 0 unfinished",
    )
    b2 = (
        f'api = "s3"\ns3_endpoint = "{emulator.s3_url}"\n'
        "part_size_bytes = 262144\nlarge_file_threshold_bytes = 524288\n"
    )
    setup = make_setup(lab_dir, emulator.base_url, b2=b2)
    native = NATIVE_STEP[step]
    rng = random.Random(7)
    path = prepare(native, setup.root, rng)
    (setup.root / "keep.txt").write_text("anchor")
    code, _, err = sync_now(setup)
    assert code == 0, err
    name = setup.prefix + path.relative_to(setup.root).as_posix()
    before = [v for v in view.versions(setup.bucket, setup.prefix) if v.name == name]
    act(native, path, rng)
    emulator.reset_stats()
    emulator.set_faults_spec([f"s3_{step}:lost_response=1,count=1"])
    code, _, err = sync_now(setup)
    fired = emulator.stats()["faultsFired"]
    emulator.set_faults_spec([])
    if code != 0:  # left for the next pass: that pass must not duplicate
        code, _, err = sync_now(setup)
    assert code == 0, err
    found, _ = wait_verdict(view, setup, 10)
    after = [v for v in view.versions(setup.bucket, setup.prefix) if v.name == name]
    new = after[: len(after) - len(before)]
    record.fig("fault fired", fired)
    record.fig("new versions", [v.action for v in new])
    assert fired == 1
    assert found.ok, found.summary()
    assert [v.action for v in new] == ["hide" if step == "delete_object" else "upload"]
