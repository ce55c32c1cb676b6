"""Simple uploads: streaming SHA-1, source checks, upload targets, no duplicates."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import defaultdict

import pytest

from syncd.b2 import source as source_mod
from syncd.errors import (
    CapExceededError,
    FileChangedError,
    FileVanishedError,
    LocalAccessError,
    SpecialFileError,
)
from tests.unit.b2.conftest import local_file, make_client
from tests.unit.b2.fake import Fault

NEED = frozenset({"writeFiles"})


def upload_urls(fake):
    return [str(r.url) for r in fake.requests if r.url.host == "pod.fake.test"]


def test_small_upload_streams_sha1_and_mtime(fake, client, tmp_path):
    """One upload: hex_digits_at_end, src_last_modified_millis = mtime ms, b2/x-auto."""
    data = os.urandom(3000)
    path, state = local_file(tmp_path, data)
    b = client.check_access("bucket-a", "", need=NEED)
    result = client.upload_file(b, "dir/f.bin", path, state)
    assert result.sha1 == hashlib.sha1(data).hexdigest()
    assert result.version.src_last_modified_ms == 1_700_000_000_123
    req = next(r for r in fake.requests if r.url.host == "pod.fake.test")
    assert req.headers["x-bz-content-sha1"] == "hex_digits_at_end"
    assert req.headers["content-type"] == "b2/x-auto"
    assert req.headers["x-bz-info-src_last_modified_millis"] == "1700000000123"
    assert fake.versions[0].data == data


def test_progress_reports_bytes(fake, client, tmp_path):
    """on_progress receives the byte counts as they are sent."""
    path, state = local_file(tmp_path, b"x" * 5000)
    seen: list[int] = []
    client.upload_file(
        client.check_access("bucket-a", "", need=NEED), "p", path, state, on_progress=seen.append
    )
    assert sum(seen) == 5000


def test_file_changed_mid_read_is_never_stored(fake, client, tmp_path, monkeypatch):
    """A write during the read cuts the body short: FileChangedError and no version on B2."""
    path, state = local_file(tmp_path, b"a" * (1536 * 1024))
    real = source_mod.SourceFile.read_range

    def read_and_touch(self, offset, length):
        for i, chunk in enumerate(real(self, offset, length)):
            if i == 1:
                with open(path, "r+b") as f:
                    f.write(b"B")
            yield chunk

    monkeypatch.setattr(source_mod.SourceFile, "read_range", read_and_touch)
    with pytest.raises(FileChangedError):
        client.upload_file(client.check_access("bucket-a", "", need=NEED), "c", path, state)
    assert fake.versions == []


def test_stale_local_state_is_refused_before_sending(fake, client, tmp_path):
    """If the file no longer matches the engine's LocalState, nothing is uploaded."""
    path, state = local_file(tmp_path, b"abc")
    path.write_bytes(b"abcd")
    with pytest.raises(FileChangedError):
        client.upload_file(client.check_access("bucket-a", "", need=NEED), "c", path, state)
    assert fake.calls["upload_file"] == 0


def test_vanished_file(fake, client, tmp_path):
    """A file gone before upload raises FileVanishedError."""
    path, state = local_file(tmp_path, b"abc")
    path.unlink()
    with pytest.raises(FileVanishedError):
        client.upload_file(client.check_access("bucket-a", "", need=NEED), "v", path, state)


def test_fifo_is_refused_without_blocking(fake, client, tmp_path):
    """A FIFO swapped in is opened non-blocking and refused as SpecialFileError."""
    path, state = local_file(tmp_path, b"abc")
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(SpecialFileError):
        client.upload_file(client.check_access("bucket-a", "", need=NEED), "v", path, state)


def test_symlink_is_not_followed(fake, client, tmp_path):
    """A symlink swapped in for the file is never followed."""
    path, state = local_file(tmp_path, b"abc")
    other = tmp_path / "secret"
    other.write_bytes(b"abc")
    path.unlink()
    path.symlink_to(other)
    with pytest.raises(FileChangedError):
        client.upload_file(client.check_access("bucket-a", "", need=NEED), "v", path, state)


def test_bad_name_is_a_local_error(fake, client, tmp_path):
    """A name B2 cannot hold is refused locally."""
    path, state = local_file(tmp_path, b"abc")
    with pytest.raises(LocalAccessError):
        client.upload_file(
            client.check_access("bucket-a", "", need=NEED), "bad\x01name", path, state
        )


@pytest.mark.parametrize(
    "fault",
    [
        Fault(503, "service_unavailable"),
        Fault(500, "internal_error"),
        Fault(408, "request_timeout"),
        Fault(401, "expired_auth_token"),
        Fault(401, "bad_auth_token"),
        Fault(400, "auth_token_limit"),
    ],
)
def test_failed_upload_takes_a_new_url_not_a_new_token(fake, client, tmp_path, fault):
    """401/408/5xx/token-limit on upload ⇒ a fresh upload URL; no re-authorization."""
    path, state = local_file(tmp_path, b"abc")
    b = client.check_access("bucket-a", "", need=NEED)
    fake.fail("upload_file", fault)
    client.upload_file(b, "n", path, state)
    urls = upload_urls(fake)
    assert len(urls) == 2
    assert urls[0] != urls[1]
    assert fake.calls["get_upload_url"] == 2
    assert fake.calls["authorize_account"] == 1
    assert len(fake.versions) == 1


def test_upload_url_is_reused_for_serial_uploads(fake, client, tmp_path):
    """A healthy upload URL serves every later upload of the same thread."""
    path, state = local_file(tmp_path, b"abc")
    b = client.check_access("bucket-a", "", need=NEED)
    for i in range(5):
        client.upload_file(b, f"n{i}", path, state)
    assert fake.calls["get_upload_url"] == 1
    assert len(set(upload_urls(fake))) == 1


def test_each_thread_has_its_own_url(fake, clock, tmp_path):
    """Concurrent uploads never share an upload URL, even with failures mixed in."""
    client = make_client(fake, clock, max_attempts=8)
    b = client.check_access("bucket-a", "", need=NEED)
    users = defaultdict(set)
    orig = fake.do_upload_file

    def spy(request, body):
        users[str(request.url)].add(threading.get_ident())
        return orig(request, body)

    fake.do_upload_file = spy
    fake.fail("upload_file", *[Fault(503, "service_unavailable")] * 6)
    paths = [local_file(tmp_path, os.urandom(100), f"f{i}") for i in range(8)]

    def work(i):
        for j in range(5):
            client.upload_file(b, f"t{i}/{j}", *paths[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.versions) == 40
    assert all(len(u) == 1 for u in users.values())
    assert client.session.targets_dropped == 6


def test_lost_answer_after_store_is_probed_not_resent(fake, client, tmp_path):
    """Stored-but-answer-lost: the probe finds the version; no second upload, no duplicate."""
    path, state = local_file(tmp_path, b"hello")
    b = client.check_access("bucket-a", "", need=NEED)
    fake.fail("upload_file", Fault(0))
    result = client.upload_file(b, "amb", path, state)
    assert fake.calls["upload_file"] == 1
    assert fake.calls["list_file_versions"] == 1
    assert len(fake.versions) == 1
    assert result.version.file_id == fake.versions[0].file_id


def test_lost_answer_without_store_is_resent(fake, client, tmp_path):
    """If the probe finds nothing (or an older different version), the upload is re-sent once."""
    path, state = local_file(tmp_path, b"v2")
    b = client.check_access("bucket-a", "", need=NEED)
    old, old_state = local_file(tmp_path, b"v1", "old")
    client.upload_file(b, "amb", old, old_state)

    def lose(request, body):
        raise __import__("httpx").ReadError("reset before storing")

    orig = fake.do_upload_file
    fake.do_upload_file = lose
    calls = []

    def once(request, body):
        calls.append(1)
        fake.do_upload_file = orig
        return lose(request, body)

    fake.do_upload_file = once
    client.upload_file(b, "amb", path, state)
    assert [v.data for v in fake.sorted_versions()] == [b"v2", b"v1"]


def test_cap_exceeded_on_upload_drops_target_and_latches(fake, client, tmp_path):
    """storage_cap_exceeded on the upload itself stops further uploads without requests."""
    path, state = local_file(tmp_path, b"abc")
    b = client.check_access("bucket-a", "", need=NEED)
    fake.fail("upload_file", Fault(403, "storage_cap_exceeded"))
    for _ in range(3):
        with pytest.raises(CapExceededError):
            client.upload_file(b, "n", path, state)
    assert fake.calls["upload_file"] == 1
