"""Stored-but-answer-lost on upload_file, upload_part and finish_large_file: no duplicates."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from syncd.emulator import parse_fault
from tests.integration.b2.conftest import KIB, local_file, versions_by_name

pytestmark = pytest.mark.integration


def test_upload_file_lost_answers_make_no_duplicates(rig_factory, tmp_path):
    """lost_response on 30% of upload_file: every name has exactly one version."""
    rig = rig_factory()
    rig.server.set_faults([parse_fault("upload_file:lost_response=0.3")])
    files = [local_file(tmp_path, f"s{i}", os.urandom(200)) for i in range(60)]

    def upload(i: int) -> None:
        rig.client.upload_file(rig.bucket, f"amb/{i:02d}", *files[i])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(upload, range(60)))
    lost = rig.server.stats()["faultsFired"]
    versions = versions_by_name(rig, "amb/")
    assert len(versions) == 60
    assert all(actions == ["upload"] for actions in versions.values())
    assert lost >= 10
    # one probe listing per lost answer, no more
    assert rig.calls("list_file_versions") - 1 <= lost
    print(f"lost_answers={lost} duplicates=0 probes={rig.calls('list_file_versions') - 1}")


def test_upload_part_lost_answers_are_probed(rig_factory, tmp_path):
    """lost_response on upload_part: parts are confirmed by list_parts, the file is right."""
    rig = rig_factory(part_size_bytes=64 * KIB, upload_threads=4)
    rig.server.set_faults([parse_fault("upload_part:lost_response=0.3")])
    data = os.urandom(64 * KIB * 20 + 7)
    path, state = local_file(tmp_path, "big", data)
    result = rig.client.upload_file(rig.bucket, "amb/big", path, state)
    assert result.version.content_sha1 == hashlib.sha1(data).hexdigest()
    lost = rig.server.stats()["faultsFired"]
    assert lost >= 3
    assert rig.calls("upload_part") == 21  # a confirmed part is never sent again
    assert versions_by_name(rig, "amb/") == {"amb/big": ["upload"]}
    assert list(rig.client.iter_unfinished_large_files(rig.bucket)) == []


@pytest.mark.parametrize("call", ["finish_large_file", "start_large_file"])
def test_start_and_finish_lost_answers_make_one_file(rig_factory, tmp_path, call):
    """lost_response on start/finish: one version, nothing unfinished left behind."""
    rig = rig_factory(part_size_bytes=64 * KIB, large_file_threshold_bytes=128 * KIB)
    rig.server.set_faults([parse_fault(f"{call}:lost_response=1,count=1")])
    data = os.urandom(64 * KIB * 3)
    path, state = local_file(tmp_path, "big", data)
    result = rig.client.upload_file(rig.bucket, "amb/big", path, state)
    assert result.version.content_sha1 == hashlib.sha1(data).hexdigest()
    assert rig.server.stats()["faultsFired"] == 1
    assert versions_by_name(rig, "amb/") == {"amb/big": ["upload"]}
    assert list(rig.client.iter_unfinished_large_files(rig.bucket)) == []
    assert rig.calls(call) == 1


def test_hide_and_copy_lost_answers_make_no_duplicates(rig_factory, tmp_path):
    """lost_response on hide_file and copy_file: one marker, one copy."""
    rig = rig_factory()
    path, state = local_file(tmp_path, "f", b"payload")
    v = rig.client.upload_file(rig.bucket, "amb/f", path, state).version
    rig.server.set_faults([parse_fault("copy_file|hide_file:lost_response=1,count=2")])
    copy = rig.client.copy_file(v, rig.bucket, "amb/g", src_last_modified_ms=123)
    assert copy.src_last_modified_ms == 123
    rig.client.hide(rig.bucket, "amb/f")
    assert versions_by_name(rig, "amb/") == {"amb/f": ["hide", "upload"], "amb/g": ["upload"]}
