"""S3Store against the emulator's S3 port: uploads, resume, faults, probes, errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from syncd.domain import LocalState, RelPath
from syncd.emulator import EmulatorServer
from syncd.engine.local import stat_file
from syncd.errors import AuthRejectedError, ConfigError, RemoteConflictError
from syncd.s3 import S3Store
from syncd.s3.upload import b64
from tests.integration.s3.conftest import boto, store_for

pytestmark = pytest.mark.integration
BUCKET = "test-bucket"


def _file(tmp_path: Path, name: str, data: bytes) -> LocalState:
    (tmp_path / name).write_bytes(data)
    os.utime(tmp_path / name, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    state = stat_file(tmp_path, RelPath(name))
    assert state is not None
    return state


def _versions(server: EmulatorServer) -> list[tuple[str, str]]:
    listed = boto(server.s3_url, server.key_id, server.key).list_object_versions(Bucket=BUCKET)
    return [(v["Key"], v["VersionId"]) for v in listed.get("Versions", [])]


def test_small_and_large_uploads_read_back(store: S3Store, tmp_path: Path) -> None:
    """A small and a 4-part file upload with SHA-1 and mtime; both download identically."""
    bucket = store.check_access(BUCKET, "", need=frozenset())
    for name, data in (("s.txt", b"small"), ("l.bin", os.urandom(7000))):
        result = store.upload_file(
            bucket, f"p/{name}", tmp_path / name, _file(tmp_path, name, data)
        )
        assert result.sha1 == hashlib.sha1(data).hexdigest() == result.version.content_sha1
        assert result.version.src_last_modified_ms == 1_700_000_000_000
        store.download(result.version, tmp_path / f"back-{name}")
        assert (tmp_path / f"back-{name}").read_bytes() == data
    assert [v.file_name for v in store.iter_names(bucket, "p/")] == ["p/l.bin", "p/s.txt"]
    odd = "p/ü a+b?c#d%20.txt"
    result = store.upload_file(bucket, odd, tmp_path / "s.txt", _file(tmp_path, "s.txt", b"odd"))
    assert store.latest_version(bucket, odd) == result.version


def test_multipart_resumes_from_list_parts_and_aborts_others(
    store: S3Store, s3_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """An upload with part 1 sent resumes (parts 2..4 go); a stray upload is aborted."""
    data = os.urandom(7000)
    state = _file(tmp_path, "l.bin", data)
    client = boto(s3_emulator.s3_url, s3_emulator.key_id, s3_emulator.key)
    stray = client.create_multipart_upload(Bucket=BUCKET, Key="l.bin")["UploadId"]
    client.upload_part(Bucket=BUCKET, Key="l.bin", UploadId=stray, PartNumber=1, Body=b"x" * 2000)
    meta = {
        "src_last_modified_millis": "1700000000000",
        "large_file_sha1": hashlib.sha1(data).hexdigest(),
    }
    begun = client.create_multipart_upload(Bucket=BUCKET, Key="l.bin", Metadata=meta)["UploadId"]
    client.upload_part(
        Bucket=BUCKET,
        Key="l.bin",
        UploadId=begun,
        PartNumber=1,
        Body=data[:2000],
        ContentMD5=b64(hashlib.md5(data[:2000]).hexdigest()),
    )
    s3_emulator.reset_stats()
    bucket = store.check_access(BUCKET, "", need=frozenset())
    result = store.upload_file(bucket, "l.bin", tmp_path / "l.bin", state)
    assert s3_emulator.stats()["calls"]["s3_upload_part"] == 3
    assert result.version.file_id.startswith(begun)
    assert "Uploads" not in client.list_multipart_uploads(Bucket=BUCKET)
    assert client.get_object(Bucket=BUCKET, Key="l.bin")["Body"].read() == data


def test_slow_down_is_retried_after_retry_after(
    store: S3Store, s3_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """Two SlowDown answers with Retry-After are waited out; the upload lands once."""
    bucket = store.check_access(BUCKET, "", need=frozenset())
    s3_emulator.set_faults(["s3_put_object:status=503,count=2,retry_after=0"])
    store.upload_file(bucket, "k", tmp_path / "k", _file(tmp_path, "k", b"data"))
    assert s3_emulator.stats()["calls"]["s3_put_object"] == 3
    assert len(_versions(s3_emulator)) == 1


def test_lost_answer_is_probed_not_resent(
    store: S3Store, s3_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """A PutObject whose answer is lost is found by the probe: one version, not two."""
    bucket = store.check_access(BUCKET, "", need=frozenset())
    s3_emulator.set_faults(["s3_put_object:lost_response=1,count=1"])
    result = store.upload_file(bucket, "k", tmp_path / "k", _file(tmp_path, "k", b"data"))
    assert s3_emulator.stats()["calls"]["s3_put_object"] == 1
    assert _versions(s3_emulator) == [("k", result.version.file_id.split("@")[0])]


def test_rename_copy_hide_and_delete_version(store: S3Store, tmp_path: Path) -> None:
    """copy_file_id keeps the bytes with a new mtime; hide is idempotent; delete removes."""
    bucket = store.check_access(BUCKET, "", need=frozenset())
    first = store.upload_file(bucket, "a", tmp_path / "a", _file(tmp_path, "a", b"abc"))
    copied = store.copy_file_id(first.version.file_id, bucket, "b", src_last_modified_ms=5)
    assert (copied.content_sha1, copied.src_last_modified_ms) == (first.sha1, 5)
    marker = store.hide(bucket, "a")
    assert marker is not None
    assert marker.action == "hide"
    assert store.hide(bucket, "a") == marker
    assert store.hide(bucket, "never") is None
    for version in store.iter_versions(bucket, "a"):
        store.delete_version(version)
    store.delete_version(first.version)  # gone already: no error
    assert store.latest_version(bucket, "a") is None


def test_errors_map_into_the_tree(
    s3_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing bucket is ConfigError; a bad key or skewed clock is AuthRejectedError, named."""
    good = store_for(s3_emulator.s3_url, s3_emulator.key_id, s3_emulator.key)
    bad = store_for(s3_emulator.s3_url, s3_emulator.key_id, "wrong-key")
    try:
        with pytest.raises(ConfigError, match="does not exist"):
            good.check_access("no-such-bucket", "", need=frozenset())
        with pytest.raises(AuthRejectedError, match="SignatureDoesNotMatch"):
            bad.check_access(BUCKET, "", need=frozenset())
        import botocore.auth  # noqa: PLC0415

        ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
        monkeypatch.setattr(
            botocore.auth, "get_current_datetime", lambda: ahead.replace(tzinfo=None)
        )
        with pytest.raises(AuthRejectedError, match=r"clock is 1[78]\d\d s ahead"):
            good.check_access(BUCKET, "", need=frozenset())
    finally:
        good.close()
        bad.close()


def test_access_denied_outside_a_restricted_key(
    s3_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """A key limited to another prefix is refused with AuthRejectedError (AccessDenied)."""
    from b2sdk.v3 import B2Api, InMemoryAccountInfo  # noqa: PLC0415

    api: Any = B2Api(InMemoryAccountInfo())
    api.authorize_account(s3_emulator.key_id, s3_emulator.key, realm=s3_emulator.base_url)
    bucket_id = api.get_bucket_by_name(BUCKET).id_
    made = api.create_key(
        ["listFiles", "readFiles", "writeFiles"],
        "limited",
        bucket_ids=[bucket_id],
        name_prefix="other/",
    )
    limited = store_for(s3_emulator.s3_url, made.id_, made.application_key)
    try:
        bucket = limited.check_access(BUCKET, "", need=frozenset())
        with pytest.raises(AuthRejectedError, match="AccessDenied"):
            limited.upload_file(bucket, "mine/x", tmp_path / "x", _file(tmp_path, "x", b"1"))
    finally:
        limited.close()


def test_resumed_upload_of_other_content_is_undone(
    store: S3Store, s3_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """A matching-parts upload begun for another mtime is completed, found wrong, deleted."""
    data = os.urandom(7000)
    state = _file(tmp_path, "l.bin", data)
    client = boto(s3_emulator.s3_url, s3_emulator.key_id, s3_emulator.key)
    begun = client.create_multipart_upload(
        Bucket=BUCKET, Key="l.bin", Metadata={"src_last_modified_millis": "1"}
    )["UploadId"]
    client.upload_part(Bucket=BUCKET, Key="l.bin", UploadId=begun, PartNumber=1, Body=data[:2000])
    bucket = store.check_access(BUCKET, "", need=frozenset())
    with pytest.raises(RemoteConflictError):
        store.upload_file(bucket, "l.bin", tmp_path / "l.bin", state)
    assert _versions(s3_emulator) == []
    result = store.upload_file(bucket, "l.bin", tmp_path / "l.bin", state)
    assert result.version.src_last_modified_ms == 1_700_000_000_000


def test_a_stored_upload_never_fails_its_job(
    store: S3Store, s3_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """Once PutObject is stored, failing listings afterwards do not fail the upload."""
    bucket = store.check_access(BUCKET, "", need=frozenset())
    s3_emulator.set_faults(["s3_list_object_versions:status=503,retry_after=0"])
    result = store.upload_file(bucket, "k", tmp_path / "k", _file(tmp_path, "k", b"data"))
    s3_emulator.set_faults([])
    assert result.version.src_last_modified_ms == 1_700_000_000_000
    assert [v.file_id for v in store.iter_versions(bucket, "k")] == [result.version.file_id]


def test_pages_cancel_and_call_counts(
    store: S3Store, s3_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """versions_page resumes after its marker; cancel_large_file aborts; calls are counted."""
    bucket = store.check_access(BUCKET, "", need=frozenset())
    for name in ("a", "b", "c"):
        store.upload_file(bucket, name, tmp_path / name, _file(tmp_path, name, name.encode()))
    store.take_call_counts()
    first = store.versions_page(bucket, "", start=None, page_size=2)
    rest = store.versions_page(bucket, "", start=first.next_start, page_size=2)
    assert [v.file_name for v in (*first.versions, *rest.versions)] == ["a", "b", "c"]
    assert rest.next_start is None
    assert store.take_call_counts() == {"C": 2, "B": 3}
    client = boto(s3_emulator.s3_url, s3_emulator.key_id, s3_emulator.key)
    upload = client.create_multipart_upload(Bucket=BUCKET, Key="big")["UploadId"]
    store.cancel_large_file(f"{upload}@big")
    store.cancel_large_file(f"{upload}@big")  # gone already: no error
    assert "Uploads" not in client.list_multipart_uploads(Bucket=BUCKET)
