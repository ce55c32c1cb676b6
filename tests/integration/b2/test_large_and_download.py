"""A 300-part large file under faults, and downloads in parallel ranges."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from syncd.emulator import parse_fault
from tests.integration.b2.conftest import KIB, MIB, local_file, sparse_file

pytestmark = pytest.mark.integration


def sha1_of(path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        while chunk := f.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def test_300_part_large_file_under_faults(rig_factory, tmp_path):
    """300 parts of 64 KiB under 503s, drops, lost answers, fail_some_uploads: right sha1."""
    rig = rig_factory(part_size_bytes=64 * KIB, upload_threads=4, emulator={"seed": 11})
    rig.server.set_faults(
        [
            parse_fault("upload_part:status=503,rate=0.05"),
            parse_fault("upload_part:drop=0.03"),
            parse_fault("upload_part:lost_response=0.03"),
            parse_fault("get_upload_part_url:status=503,rate=0.05"),
            parse_fault("finish_large_file:lost_response=1,count=1"),
        ]
    )
    rig.server.set_test_mode("fail_some_uploads")
    data = os.urandom(64 * KIB * 299 + 1234)
    path, state = local_file(tmp_path, "big.bin", data)
    result = rig.client.upload_file(rig.bucket, "large/big.bin", path, state)
    want = hashlib.sha1(data).hexdigest()
    assert result.sha1 == want
    assert result.version.content_sha1 == want
    assert result.version.file_info["large_file_sha1"] == want
    assert result.version.src_last_modified_ms == state.mtime_ms
    assert result.version.size == len(data)
    assert [v.action for v in rig.client.iter_versions(rig.bucket, "large/")] == ["upload"]
    assert list(rig.client.iter_unfinished_large_files(rig.bucket)) == []
    part_calls = rig.wire.of("upload_part")
    failures = [e for e in part_calls if e.status != 200]
    print(
        f"parts=300 part_requests={len(part_calls)} failed_answers={len(failures)} "
        f"faults_fired={rig.server.stats()['faultsFired']} "
        f"part_urls={rig.calls('get_upload_part_url')}"
    )
    # each part URL belongs to one thread only
    owners: dict[str, set[int]] = {}
    for e in part_calls:
        owners.setdefault(e.token, set()).add(e.thread)
    assert all(len(t) == 1 for t in owners.values())
    rig.server.set_test_mode(None)
    rig.server.set_faults([])
    out = tmp_path / "back.bin"
    rig.client.download(result.version, out)
    assert out.read_bytes() == data


def download_round_trip(rig, tmp_path, size: int) -> float:
    src = tmp_path / "sparse.bin"
    state = sparse_file(src, size)
    version = rig.client.upload_file(rig.bucket, "dl/sparse.bin", src, state).version
    dest = tmp_path / "restored.bin"
    progress: list[int] = []
    start = time.monotonic()
    rig.client.download(version, dest, on_progress=progress.append)
    elapsed = time.monotonic() - start
    assert sha1_of(dest) == sha1_of(src) == version.content_sha1
    assert sum(progress) == size
    return elapsed


def test_64mib_download_in_ranges(rig_factory, tmp_path):
    """64 MiB comes back in parallel 8 MiB ranges (two dropped, retried) with the right SHA-1."""
    rig = rig_factory(
        part_size_bytes=8 * MIB,
        upload_threads=2,
        download_parallel_threshold_bytes=16 * MIB,
        download_threads=4,
    )
    rig.server.set_faults([parse_fault("download_file_by_id:drop=1,count=2")])
    elapsed = download_round_trip(rig, tmp_path, 64 * MIB)
    ranges = [e for e in rig.wire.of("download_file_by_id") if e.status == 206]
    assert len(ranges) == 8
    assert len(rig.wire.of("download_file_by_id")) == 10  # two dropped ranges fetched again
    print(
        f"download_64MiB_s={elapsed:.2f} range_requests={len(rig.wire.of('download_file_by_id'))}"
    )


@pytest.mark.soak
def test_1gib_download_in_ranges(rig_factory, tmp_path):
    """A 1 GiB sparse file comes back in parallel ranges and matches the source's SHA-1."""
    rig = rig_factory(
        part_size_bytes=64 * MIB,
        upload_threads=2,
        download_parallel_threshold_bytes=200 * MIB,
        download_threads=4,
        emulator={"data_dir": tmp_path / "emu", "recommended_part_size": 64 * MIB},
    )
    elapsed = download_round_trip(rig, tmp_path, 1024 * MIB)
    print(f"download_1GiB_s={elapsed:.2f} range_requests={len(rig.wire.of('download_file_by_id'))}")
