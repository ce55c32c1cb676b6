"""Scenario 1 over S3: kill -9 at random moments under the emulator's S3 faults; the bucket
(listed natively) mirrors the folder after every cycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.lab.support import LabOptions, Recorder, make_setup, wait_verdict
from tests.lab.test_kill9 import kill9_cycles
from tests.support.bucket_view import BucketView

pytestmark = pytest.mark.lab

S3_FAULTS = [
    "s3_put_object:rate=0.05,status=503",
    "s3_put_object:lost_response=0.05",
    "s3_create_multipart_upload:lost_response=0.05",
    "s3_upload_part:lost_response=0.05",
    "s3_complete_multipart_upload:lost_response=0.1",
    "s3_put_object:rate=0.05,status=500",
    "s3_delete_object:lost_response=0.05",
    "s3_list_object_versions:rate=0.05,status=503",
    "*:latency_ms=20,rate=0.1",
]


@pytest.mark.timeout(14400)
def test_kill9_cycles_over_s3(
    lab_dir: Path, view: BucketView, emulator: EmulatorServer, lab: LabOptions, record: Recorder
) -> None:
    """--lab-cycles kill -9 cycles over S3 under S3 faults: the bucket mirrors the folder."""
    record.describe(
        "1s kill -9 cycles over the S3 API under S3 faults",
        "after every cycle: 0 lost, 0 wrong, 0 extra, 0 duplicate versions, 0 unfinished, "
        "journal integrity_check ok",
    )
    b2 = (
        f'api = "s3"\ns3_endpoint = "{emulator.s3_url}"\n'
        "part_size_bytes = 262144\nlarge_file_threshold_bytes = 524288\n"
    )
    setup = make_setup(lab_dir, emulator.base_url, b2=b2)
    failures, _ = kill9_cycles(setup, view, emulator, lab_dir, lab, S3_FAULTS)
    final = wait_verdict(view, setup, 1)[0]
    calls = emulator.stats()["calls"]
    assert calls.get("b2_upload_file", 0) == 0  # every byte went over S3
    assert calls.get("s3_put_object", 0) > 0
    record.fig("faults fired", emulator.stats()["faultsFired"])
    record.fig("cycles", lab.cycles)
    record.fig("files", final.local)
    record.fig("upload versions", final.versions)
    assert failures == []
    assert final.ok, final.summary()
