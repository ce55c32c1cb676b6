"""Large files: part sizes, parallel parts, resume, torn-file defence, lost answers."""

from __future__ import annotations

import hashlib
import os

import pytest

from syncd.b2 import source as source_mod
from syncd.b2.large import LargeUpload
from syncd.b2.large_file import choose_part_size
from syncd.b2.models import Allowed, Authorization
from syncd.errors import FileChangedError, UploadTargetError
from tests.unit.b2.conftest import local_file, make_client
from tests.unit.b2.fake import FakeB2, Fault

NEED = frozenset({"writeFiles"})


@pytest.fixture
def small_parts():
    """A fake with 1 KiB minimum parts and 4 KiB recommended parts."""
    return FakeB2(recommended=4096, minimum=1024)


def auth(rec, minimum):
    return Authorization(
        account_id="a",
        authorization_token="t",
        api_url="https://a",
        download_url="https://d",
        recommended_part_size=rec,
        absolute_minimum_part_size=minimum,
        allowed=Allowed(buckets=None, name_prefix=None, capabilities=frozenset()),
    )


def test_part_size_rules():
    """Configured or recommended, ≥ absolute minimum, and never more than 10,000 parts."""
    assert choose_part_size(10**9, auth(100_000_000, 5_000_000), None) == 100_000_000
    assert choose_part_size(10**9, auth(100_000_000, 5_000_000), 1_000_000) == 5_000_000
    assert choose_part_size(10**12, auth(100_000_000, 5_000_000), None) == 100_000_000
    assert choose_part_size(2 * 10**12, auth(100_000_000, 5_000_000), None) == 200_000_000


def test_large_upload_sets_sha1_and_mtime_at_start(small_parts, clock, tmp_path):
    """large_file_sha1 and src_last_modified_millis go into start_large_file; parts add up."""
    client = make_client(small_parts, clock)
    data = os.urandom(4096 * 7 + 100)
    path, state = local_file(tmp_path, data)
    result = client.upload_file(client.check_access("bucket-a", "", need=NEED), "big", path, state)
    sha1 = hashlib.sha1(data).hexdigest()
    assert result.sha1 == sha1
    assert result.version.content_sha1 == sha1
    v = small_parts.versions[0]
    assert v.data == data
    assert v.info == {"src_last_modified_millis": "1700000000123", "large_file_sha1": sha1}
    assert small_parts.calls["upload_part"] == 8
    assert small_parts.calls["upload_file"] == 0


def test_threshold_and_part_size_from_config(small_parts, clock, tmp_path):
    """large_file_threshold_bytes and part_size_bytes (≥ minimum) are honoured."""
    client = make_client(small_parts, clock, large_file_threshold_bytes=3000, part_size_bytes=1500)
    path, state = local_file(tmp_path, os.urandom(3100))
    client.upload_file(client.check_access("bucket-a", "", need=NEED), "big", path, state)
    assert small_parts.calls["upload_part"] == 3


def test_each_part_worker_has_its_own_part_url(small_parts, clock, tmp_path):
    """Parallel parts use one part URL per thread, replaced after a failure."""
    client = make_client(small_parts, clock, upload_threads=4)
    small_parts.fail(
        "upload_part", Fault(503, "service_unavailable"), Fault(408, "request_timeout")
    )
    path, state = local_file(tmp_path, os.urandom(4096 * 20))
    client.upload_file(client.check_access("bucket-a", "", need=NEED), "big", path, state)
    assert small_parts.calls["get_upload_part_url"] <= 4 + 2
    assert client.session.targets_dropped == 2
    assert small_parts.versions[0].data == path.read_bytes()


def test_change_between_parts_cancels_and_raises(small_parts, clock, tmp_path, monkeypatch):
    """A write while parts go up cancels the large file: FileChangedError, nothing finished."""
    client = make_client(small_parts, clock, upload_threads=1)
    path, state = local_file(tmp_path, os.urandom(4096 * 6))
    calls = {"n": 0}
    real = source_mod.SourceFile.read_range

    def touch_on_third_part(self, offset, length):
        calls["n"] += 1
        if calls["n"] == 3:  # while part 3 is read to be sent (the hash pass reads apart)
            with open(path, "r+b") as f:
                f.write(b"Z")
        yield from real(self, offset, length)

    monkeypatch.setattr(source_mod.SourceFile, "read_range", touch_on_third_part)
    with pytest.raises(FileChangedError):
        client.upload_file(client.check_access("bucket-a", "", need=NEED), "big", path, state)
    assert small_parts.versions == []
    assert small_parts.large == {}
    assert small_parts.calls["cancel_large_file"] == 1
    assert small_parts.calls["finish_large_file"] == 0


def test_resume_skips_parts_already_stored(small_parts, clock, tmp_path):
    """An unfinished large file of the same source is resumed; matching parts are not re-sent."""
    client = make_client(small_parts, clock, max_attempts=2, upload_threads=1)
    path, state = local_file(tmp_path, os.urandom(4096 * 6))
    b = client.check_access("bucket-a", "", need=NEED)
    small_parts.fail("upload_part", Fault(), Fault(), Fault(), Fault(500), Fault(500))
    # parts 1-3 are stored but their answers lost; the probe confirms them; part 4 fails twice
    with pytest.raises(UploadTargetError):
        client.upload_file(b, "big", path, state)
    assert small_parts.calls["upload_part"] == 5
    assert len(small_parts.large) == 1
    client.upload_file(b, "big", path, state)
    assert small_parts.calls["start_large_file"] == 1
    assert small_parts.calls["upload_part"] == 5 + 3  # only parts 4, 5, 6
    assert small_parts.versions[0].data == path.read_bytes()


def test_unfinished_from_an_older_source_is_cancelled(small_parts, clock, tmp_path):
    """An unfinished large file of that name whose sha1/mtime differ is cancelled, not resumed."""
    client = make_client(small_parts, clock, max_attempts=1, upload_threads=1)
    b = client.check_access("bucket-a", "", need=NEED)
    path, state = local_file(tmp_path, os.urandom(4096 * 3))
    small_parts.fail("upload_part", Fault(500))
    with pytest.raises(UploadTargetError):
        client.upload_file(b, "big", path, state)
    (old_id,) = small_parts.large
    path, state = local_file(tmp_path, os.urandom(4096 * 3), mtime_ns=1_800_000_000_000_000_000)
    client.upload_file(b, "big", path, state)
    assert old_id not in small_parts.large
    assert small_parts.calls["start_large_file"] == 2
    assert len(small_parts.versions) == 1


@pytest.mark.parametrize("call", ["start_large_file", "finish_large_file"])
def test_lost_answer_on_start_or_finish_makes_no_duplicate(small_parts, clock, tmp_path, call):
    """Stored-but-answer-lost on start/finish is probed: one large file, one version."""
    client = make_client(small_parts, clock)
    path, state = local_file(tmp_path, os.urandom(4096 * 3))
    small_parts.fail(call, Fault())
    result = client.upload_file(client.check_access("bucket-a", "", need=NEED), "big", path, state)
    assert small_parts.calls["start_large_file"] == 1
    assert small_parts.calls["finish_large_file"] == 1
    assert len(small_parts.versions) == 1
    assert small_parts.large == {}
    assert result.version.file_id == small_parts.versions[0].file_id


def test_finish_already_finished_is_success(small_parts, clock, tmp_path):
    """finish answering 400 'already finished' is checked with get_file_info and accepted."""
    client = make_client(small_parts, clock)
    path, state = local_file(tmp_path, os.urandom(4096 * 3))
    orig = small_parts.do_finish_large_file

    def finish_twice(request, body):
        orig(request, body)  # stored; the client sees the second call's 400
        return small_parts.error(400, "bad_request", "file already finished")

    small_parts.do_finish_large_file = finish_twice
    result = client.upload_file(client.check_access("bucket-a", "", need=NEED), "big", path, state)
    assert result.version.action == "upload"
    assert small_parts.calls["get_file_info"] == 1


def _count_reads(monkeypatch):
    """Bytes read to send (read_range) and to hash only (views), counted per path."""
    read = {"sent": 0, "hashed": 0}
    real_range, real_views = source_mod.SourceFile.read_range, source_mod.SourceFile.views

    def read_range(self, offset, length):
        for chunk in real_range(self, offset, length):
            read["sent"] += len(chunk)
            yield chunk

    def views(self, offset, length):
        for view in real_views(self, offset, length):
            read["hashed"] += len(view)
            yield view

    monkeypatch.setattr(source_mod.SourceFile, "read_range", read_range)
    monkeypatch.setattr(source_mod.SourceFile, "views", views)
    return read


def test_parts_are_hashed_while_they_are_sent(small_parts, clock, tmp_path, monkeypatch):
    """One hash-only pass for large_file_sha1, then each part read once to hash and send."""
    read = _count_reads(monkeypatch)
    client = make_client(small_parts, clock, upload_threads=3)
    data = os.urandom(4096 * 5 + 7)
    path, state = local_file(tmp_path, data)
    client.upload_file(client.check_access("bucket-a", "", need=NEED), "big", path, state)
    assert read == {"sent": len(data), "hashed": len(data)}
    assert small_parts.versions[0].data == data


def test_a_known_sha1_skips_the_hash_pass(small_parts, clock, tmp_path, monkeypatch):
    """Given the file's SHA-1 (already hashed by the caller), every byte is read once."""
    read = _count_reads(monkeypatch)
    client = make_client(small_parts, clock)
    data = os.urandom(4096 * 3)
    path, state = local_file(tmp_path, data)
    bucket = client.check_access("bucket-a", "", need=NEED)
    upload = LargeUpload(client.session, threads=2, on_progress=None)
    sha1 = hashlib.sha1(data).hexdigest()
    result = upload.run(
        bucket, "big", path, state, content_type="b2/x-auto", part_size=4096, sha1=sha1
    )
    assert read == {"sent": len(data), "hashed": 0}
    assert result.version.content_sha1 == sha1
    assert small_parts.versions[0].info["large_file_sha1"] == sha1
