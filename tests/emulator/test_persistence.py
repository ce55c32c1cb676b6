"""--data DIR: metadata in SQLite and contents on disk survive a restart."""

from __future__ import annotations

import hashlib
import socket
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_everything_survives_restart(emulator_factory, raw_client, tmp_path):
    """Buckets, versions, hide markers, large files, parts, keys and tokens come back."""
    options = {
        "data_dir": tmp_path / "data",
        "absolute_minimum_part_size": 1000,
        "recommended_part_size": 1000,
    }
    first = emulator_factory(**options)
    b2 = raw_client(first)
    b2.authorize()
    bucket_id = b2.bucket_id()
    small = b2.uploaded(bucket_id, "a.txt", b"small content")
    b2.uploaded(bucket_id, "hidden.txt", b"x")
    b2.ok("b2_hide_file", bucketId=bucket_id, fileName="hidden.txt")
    large = b2.large_file(bucket_id, "large.bin", [b"1" * 1000, b"2" * 500])
    unfinished = b2.ok(
        "b2_start_large_file", bucketId=bucket_id, fileName="later.bin", contentType="a/b"
    )
    target = b2.ok("b2_get_upload_part_url", fileId=unfinished["fileId"])
    assert b2.part(target, 1, b"3" * 1000).status_code == 200
    key = b2.ok(
        "b2_create_key", accountId=b2.account_id, capabilities=["listBuckets"], keyName="survivor"
    )
    token, account_id = b2.token, b2.account_id
    before = b2.ok("b2_list_file_versions", bucketId=bucket_id)
    first.stop()

    second = emulator_factory(**options)
    again = raw_client(second)
    again.token, again.account_id = token, account_id
    assert again.ok("b2_list_file_versions", bucketId=bucket_id) == before
    assert again.download("/file/test-bucket/a.txt").content == b"small content"
    assert again.download("/file/test-bucket/large.bin").content == b"1" * 1000 + b"2" * 500
    assert again.download("/file/test-bucket/hidden.txt").status_code == 404
    parts = again.ok("b2_list_parts", fileId=unfinished["fileId"])["parts"]
    assert [p["contentSha1"] for p in parts] == [hashlib.sha1(b"3" * 1000).hexdigest()]
    assert again.authorize(key["applicationKeyId"], key["applicationKey"]).status_code == 200
    assert again.authorize().json()["accountId"] == account_id
    assert again.ok("b2_get_file_info", fileId=small["fileId"])["fileName"] == "a.txt"
    assert again.ok("b2_get_file_info", fileId=large["fileId"])["contentSha1"] == "none"


def test_contents_are_files_and_deletion_removes_them(emulator_factory, raw_client, tmp_path):
    """Each version's content is a file under blobs/; deleting the version deletes it."""
    server = emulator_factory(data_dir=tmp_path)
    b2 = raw_client(server)
    b2.authorize()
    bucket_id = b2.bucket_id()

    def blob_files() -> list[Path]:
        return [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]

    uploaded = b2.uploaded(bucket_id, "f", b"on disk")
    files = blob_files()
    assert [f.read_bytes() for f in files] == [b"on disk"]
    assert (tmp_path / "emulator.sqlite3").exists()
    b2.ok("b2_delete_file_version", fileId=uploaded["fileId"], fileName="f")
    assert blob_files() == []


def test_data_dir_is_created(emulator_factory, tmp_path):
    """A missing data directory is created (the daemon's embedded realm relies on it)."""
    target = tmp_path / "deep" / "er"
    emulator_factory(data_dir=target)
    assert (target / "emulator.sqlite3").exists()


def test_failed_upload_leaves_no_blob(emulator_factory, raw_client, tmp_path):
    """A SHA1 mismatch discards the partial content file."""
    server = emulator_factory(data_dir=tmp_path)
    b2 = raw_client(server)
    b2.authorize()
    assert b2.upload(b2.bucket_id(), "bad", b"abc", sha1="0" * 40).status_code == 400
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []
    assert [p for p in (tmp_path / "tmp").rglob("*") if p.is_file()] == []


def test_client_vanishing_mid_upload_cleans_up(emulator_factory, raw_client, tmp_path):
    """A client that hangs up mid-body leaves no file, no version and a reusable token."""
    server = emulator_factory(data_dir=tmp_path)
    b2 = raw_client(server)
    b2.authorize()
    bucket_id = b2.bucket_id()
    target = b2.upload_url(bucket_id)
    url = httpx.URL(target["uploadUrl"])
    head = (
        f"POST {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
        f"Authorization: {target['authorizationToken']}\r\nX-Bz-File-Name: gone\r\n"
        f"Content-Type: a/b\r\nX-Bz-Content-Sha1: do_not_verify\r\n"
        f"Content-Length: {5 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((url.host, url.port)) as sock:
        sock.sendall(head.encode() + b"x" * (3 * 1024 * 1024))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if b2.upload(bucket_id, "after", target=target).status_code == 200:
            break
        time.sleep(0.05)
    names = [f["fileName"] for f in b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"]]
    assert names == ["after"]
    assert [p for p in (tmp_path / "tmp").rglob("*") if p.is_file()] == []
