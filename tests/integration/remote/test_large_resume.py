"""Kill -9 during a large upload: the restart resumes the same large file id from the
journal's record and sends no part twice; another client's unfinished upload of the
same name is never touched."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from b2sdk.v2 import B2Api, InMemoryAccountInfo

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView
from tests.support.folder import KEY, KEY_ID
from tests.support.harness import (
    DaemonProcess,
    NotifySocket,
    Setup,
    sync_now,
    wait_until,
    write_config,
)

PART = 256 * 1024  # the emulator's recommended part size in these tests
PARTS = 12


def calls(emulator: EmulatorServer, name: str) -> int:
    """How many ``name`` calls the emulator served."""
    return int(emulator.stats()["calls"].get(name, 0))


def test_kill9_mid_upload_resumes_the_same_large_file(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """After kill -9, sync-now finishes the large file the dead daemon started; no part twice."""
    data = os.urandom(PARTS * PART)
    (setup.root / "big.bin").write_bytes(data)
    emulator.set_faults_spec(["b2_upload_part:latency_ms=250"])
    notify = NotifySocket(tmp_path / "n.sock")
    daemon = DaemonProcess(setup, notify, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        assert wait_until(lambda: calls(emulator, "b2_upload_part") >= 4, 60), daemon.log()
    finally:
        daemon.kill()
        notify.close()
    emulator.set_faults_spec([])
    unfinished = view.call(
        "b2_list_unfinished_large_files", {"bucketId": view.bucket_id(setup.bucket)}
    )
    [first_id] = [f["fileId"] for f in unfinished["files"]]
    parts_before = calls(emulator, "b2_upload_part")
    starts_before = calls(emulator, "b2_start_large_file")
    listings_before = calls(emulator, "b2_list_unfinished_large_files")
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 1
    assert calls(emulator, "b2_start_large_file") == starts_before  # resumed, not restarted
    # by the file id the journal recorded, not found again in a listing
    assert calls(emulator, "b2_list_unfinished_large_files") == listings_before
    stored = calls(emulator, "b2_upload_part") - parts_before
    assert stored <= PARTS - 4 + 3  # the rest, plus at most the parts in flight at the kill
    [version] = [v for v in view.versions(setup.bucket) if v.action == "upload"]
    assert version.file_id == first_id
    assert version.sha1 == hashlib.sha1(data).hexdigest()
    assert view.unfinished(setup.bucket) == 0


def test_another_clients_unfinished_upload_is_left_alone(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """An unfinished large file another client started under syncd's name survives syncd."""
    api: Any = B2Api(InMemoryAccountInfo())
    api.authorize_account(emulator.base_url, KEY_ID, KEY)
    bucket = api.get_bucket_by_name(setup.bucket)
    theirs = api.services.large_file.start_large_file(
        bucket.id_, setup.prefix + "big.bin", "b2/x-auto", {"large_file_sha1": "0" * 40}
    )
    (setup.root / "big.bin").write_bytes(os.urandom(4 * PART))
    code, _, err = sync_now(setup)
    assert code == 0, err
    code, _, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    unfinished = view.call(
        "b2_list_unfinished_large_files", {"bucketId": view.bucket_id(setup.bucket)}
    )
    assert [f["fileId"] for f in unfinished["files"]] == [theirs.file_id]


@pytest.mark.parametrize("api", ["native", "s3"])
def test_a_large_upload_cut_short_is_cancelled_when_the_file_is_then_sent_small(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path, api: str
) -> None:
    """Kill -9 mid-upload, then the file shrinks: the small upload cancels the large one."""
    part_call = "b2_upload_part"
    if api == "s3":
        write_config(
            setup,
            b2=f'api = "s3"\ns3_endpoint = "{emulator.s3_url}"\n'
            f"part_size_bytes = {PART}\nlarge_file_threshold_bytes = {2 * PART}\n",
        )
        part_call = "s3_upload_part"
    (setup.root / "big.bin").write_bytes(os.urandom(PARTS * PART))
    emulator.set_faults_spec([f"{part_call}:latency_ms=250"])
    notify = NotifySocket(tmp_path / "n.sock")
    daemon = DaemonProcess(setup, notify, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        assert wait_until(lambda: calls(emulator, part_call) >= 2, 60), daemon.log()
    finally:
        daemon.kill()
        notify.close()
    emulator.set_faults_spec([])
    assert view.unfinished(setup.bucket) == 1
    small = b"now a small file\n"
    (setup.root / "big.bin").write_bytes(small)
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 1
    [version] = [v for v in view.versions(setup.bucket) if v.action == "upload"]
    assert version.sha1 == hashlib.sha1(small).hexdigest()
    assert view.unfinished(setup.bucket) == 0


def test_a_start_whose_answer_never_came_is_cancelled_by_name(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """Kill -9 after B2 started a large file, before its id reached the journal: found by name."""
    (setup.root / "big.bin").write_bytes(os.urandom(4 * PART))
    # The start is made on B2 and its answer lost; the client's look for it (by listing
    # the name's unfinished files) is held back long enough for the kill to come first.
    emulator.set_faults_spec(
        [
            "b2_start_large_file:lost_response=1",
            "b2_list_unfinished_large_files:latency_ms=30000",
        ]
    )
    notify = NotifySocket(tmp_path / "n.sock")
    daemon = DaemonProcess(setup, notify, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        assert wait_until(lambda: calls(emulator, "b2_list_unfinished_large_files") >= 1, 60), (
            daemon.log()
        )
    finally:
        daemon.kill()
        notify.close()
    emulator.set_faults_spec([])
    assert view.unfinished(setup.bucket) == 1
    os.unlink(setup.root / "big.bin")
    code, _, err = sync_now(setup)
    assert code == 0, err
    assert view.unfinished(setup.bucket) == 0


def test_a_new_large_file_starts_without_a_listing(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """No record in the journal means no start was sent: no unfinished-files listing first."""
    (setup.root / "big.bin").write_bytes(os.urandom(4 * PART))
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 1
    assert calls(emulator, "b2_start_large_file") == 1
    assert calls(emulator, "b2_list_unfinished_large_files") == 0
    assert view.unfinished(setup.bucket) == 0
