"""Downloads: verified, ranged in parallel, resumable, refused on a bad SHA-1."""

from __future__ import annotations

import hashlib
import json
import os

import httpx
import pytest

from syncd.b2.download import Download, temp_paths
from syncd.errors import RemoteProtocolError, RemoteTransientError
from syncd.remote import DirEntry
from tests.unit.b2.conftest import local_file, make_client

NEED = frozenset({"listFiles", "writeFiles", "readFiles"})
MIB = 1024 * 1024


def uploaded(client, tmp_path, data):
    b = client.check_access("bucket-a", "", need=NEED)
    path, state = local_file(tmp_path, data, "src")
    return client.upload_file(b, "f", path, state).version


def test_small_download_single_request(fake, client, tmp_path):
    """A file under the threshold comes in one ranged request and is verified and renamed."""
    v = uploaded(client, tmp_path, b"hello world")
    dest = tmp_path / "out"
    client.download(v, dest)
    assert dest.read_bytes() == b"hello world"
    assert fake.calls["download_file_by_id"] == 1
    assert not any(p.exists() for p in temp_paths(dest))


def test_large_download_in_parallel_ranges(fake, clock, tmp_path):
    """Above the threshold the file comes as parallel byte ranges written in place."""
    client = make_client(fake, clock, download_parallel_threshold_bytes=MIB, download_threads=4)
    data = os.urandom(20 * MIB + 5)
    v = uploaded(client, tmp_path, data)
    dest = tmp_path / "out"
    progress: list[int] = []
    client.download(v, dest, on_progress=progress.append)
    assert hashlib.sha1(dest.read_bytes()).hexdigest() == hashlib.sha1(data).hexdigest()
    assert fake.calls["download_file_by_id"] == 3  # 8 MiB ranges
    ranges = [r.headers["range"] for r in fake.requests if "download" in r.url.path]
    assert sorted(ranges) == sorted(
        [
            f"bytes=0-{8 * MIB - 1}",
            f"bytes={8 * MIB}-{16 * MIB - 1}",
            f"bytes={16 * MIB}-{20 * MIB + 4}",
        ]
    )
    assert sum(progress) == len(data)


def test_interrupted_download_resumes_finished_ranges(fake, clock, tmp_path):
    """A crash mid-download leaves partial file + sidecar; the next run fetches only the rest."""
    client = make_client(
        fake, clock, download_parallel_threshold_bytes=MIB, download_threads=1, max_attempts=1
    )
    data = os.urandom(24 * MIB)
    v = uploaded(client, tmp_path, data)
    dest = tmp_path / "out"
    orig = fake.do_download_file_by_id
    seen = {"n": 0}

    def fail_second(request, body):
        seen["n"] += 1
        return fake.error(500, "internal_error") if seen["n"] == 2 else orig(request, body)

    fake.do_download_file_by_id = fail_second
    with pytest.raises(RemoteTransientError):
        client.download(v, dest)
    fake.do_download_file_by_id = orig
    part, sidecar = temp_paths(dest)
    assert part.exists()
    assert sidecar.exists()
    done_before = json.loads(sidecar.read_text())["done"]
    before = fake.calls["download_file_by_id"]
    client.download(v, dest)
    assert dest.read_bytes() == data
    assert fake.calls["download_file_by_id"] - before == 3 - len(done_before)
    assert not part.exists()
    assert not sidecar.exists()


def test_wrong_bytes_are_refused(fake, client, tmp_path):
    """If the bytes do not match the SHA-1, nothing lands at dest and the partial is removed."""
    v = uploaded(client, tmp_path, b"genuine")
    fake.versions[0].data = b"tampere"
    dest = tmp_path / "out"
    with pytest.raises(RemoteProtocolError):
        client.download(v, dest)
    assert not dest.exists()
    assert not any(p.exists() for p in temp_paths(dest))


def test_short_body_is_retried(fake, client, tmp_path):
    """A body that ends early is a transient failure and the range is fetched again."""
    v = uploaded(client, tmp_path, b"0123456789")
    orig = fake.do_download_file_by_id
    state = {"n": 0}

    def short_once(request, body):
        state["n"] += 1
        r = orig(request, body)
        if state["n"] == 1:
            return httpx.Response(
                206,
                content=r.content[:4],
                headers={**r.headers, "content-length": str(len(r.content))},
            )
        return r

    fake.do_download_file_by_id = short_once
    dest = tmp_path / "out"
    client.download(v, dest)
    assert dest.read_bytes() == b"0123456789"


def test_wrong_range_is_refused(fake, client, tmp_path):
    """An answer for another byte range is a protocol error, not silently written."""
    v = uploaded(client, tmp_path, b"0123456789")
    fake.do_download_file_by_id = lambda request, body: httpx.Response(
        206, content=b"0123", headers={"content-range": "bytes 0-3/10", "x-bz-file-id": v.file_id}
    )
    with pytest.raises(RemoteProtocolError):
        client.download(v, tmp_path / "out")


def test_hide_marker_has_nothing_to_download(fake, client, tmp_path):
    """Downloading a hide marker is refused up front."""
    uploaded(client, tmp_path, b"x")
    b = client.check_access("bucket-a", "", need=NEED)
    marker = client.hide(b, "f")
    with pytest.raises(Exception, match="hide"):
        client.download(marker, tmp_path / "out")


def test_empty_file_round_trip(fake, client, tmp_path):
    """A zero-byte file uploads (40-digit trailer only) and downloads without a Range header."""
    v = uploaded(client, tmp_path, b"")
    assert v.size == 0
    dest = tmp_path / "out"
    client.download(v, dest)
    assert dest.read_bytes() == b""
    assert "range" not in fake.requests[-1].headers


def _counting(monkeypatch):
    """Count sidecar saves and fsyncs during a download."""
    seen = {"saves": 0, "fsyncs": 0}
    save = Download._save_done

    def counted_save(self):
        seen["saves"] += 1
        save(self)

    def counted_fsync(fd):
        seen["fsyncs"] += 1

    monkeypatch.setattr(Download, "_save_done", counted_save)
    monkeypatch.setattr(os, "fsync", counted_fsync)
    return seen


def test_one_range_download_writes_no_sidecar(fake, client, tmp_path, monkeypatch):
    """A file that comes in one request has nothing to resume: no sidecar; file and dir synced."""
    v = uploaded(client, tmp_path, b"hello world")
    seen = _counting(monkeypatch)
    dest = tmp_path / "out"
    client.download(v, dest)
    assert dest.read_bytes() == b"hello world"
    assert seen == {"saves": 0, "fsyncs": 2}


def test_download_into_staging_syncs_nothing(fake, client, tmp_path, monkeypatch):
    """Into a restore's staging directory (a DirEntry) the download leaves syncing to the mover."""
    v = uploaded(client, tmp_path, b"hello world")
    seen = _counting(monkeypatch)
    (tmp_path / "staging").mkdir()
    fd = os.open(tmp_path / "staging", os.O_RDONLY | os.O_DIRECTORY)
    try:
        client.download(v, DirEntry(fd, "f1"))
    finally:
        os.close(fd)
    assert (tmp_path / "staging" / "f1").read_bytes() == b"hello world"
    assert os.listdir(tmp_path / "staging") == ["f1"]
    assert seen == {"saves": 0, "fsyncs": 0}


def test_ranged_download_still_keeps_its_sidecar(fake, clock, tmp_path, monkeypatch):
    """A download in several ranges saves its progress after each range, for a resume."""
    client = make_client(fake, clock, download_parallel_threshold_bytes=MIB, download_threads=1)
    data = os.urandom(17 * MIB)
    v = uploaded(client, tmp_path, data)
    seen = _counting(monkeypatch)
    client.download(v, tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data
    assert seen["saves"] == 1 + 3  # created, then once per 8 MiB range
