"""The emulator's S3 API through boto3: objects, versions, copies, errors, on the native store."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from syncd.emulator import EmulatorServer
from tests.emulator.s3.conftest import s3_client

KEY = "dir/a b+c ü.txt"


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_put_is_a_native_version_with_sha1_and_mtime(s3: Any, b2api: Any, bucket_name: str) -> None:
    """An object put over S3 is a native version: same name, SHA-1 and src_last_modified_millis."""
    data = b"hello over s3"
    put = s3.put_object(
        Bucket=bucket_name,
        Key=KEY,
        Body=data,
        Metadata={"src_last_modified_millis": "1700000000123"},
    )
    bucket = b2api.get_bucket_by_name(bucket_name)
    [(version, _)] = list(bucket.ls(recursive=True))
    assert version.file_name == KEY
    assert version.id_ == put["VersionId"]
    assert version.content_sha1 == hashlib.sha1(data).hexdigest()
    assert version.file_info["src_last_modified_millis"] == "1700000000123"
    assert version.mod_time_millis == 1700000000123


def test_native_upload_shows_metadata_over_s3(s3: Any, b2api: Any, bucket_name: str) -> None:
    """A native upload's file info is x-amz-meta-* to boto3, and its bytes read back."""
    bucket = b2api.get_bucket_by_name(bucket_name)
    bucket.upload_bytes(
        b"native bytes", "n/file.bin", file_info={"src_last_modified_millis": "42000"}
    )
    head = s3.head_object(Bucket=bucket_name, Key="n/file.bin")
    assert head["Metadata"] == {"src_last_modified_millis": "42000"}
    assert head["ContentLength"] == 12
    assert s3.get_object(Bucket=bucket_name, Key="n/file.bin")["Body"].read() == b"native bytes"


def test_ranged_get_returns_206_and_the_slice(s3: Any, bucket_name: str) -> None:
    """GetObject with Range answers 206 with Content-Range and exactly those bytes."""
    s3.put_object(Bucket=bucket_name, Key="r", Body=bytes(range(100)))
    got = s3.get_object(Bucket=bucket_name, Key="r", Range="bytes=10-19")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == "bytes 10-19/100"
    assert got["Body"].read() == bytes(range(10, 20))


def test_delete_without_version_hides_and_with_version_deletes(
    s3: Any, b2api: Any, bucket_name: str
) -> None:
    """DeleteObject adds a hide marker; with VersionId it removes exactly that version."""
    first = s3.put_object(Bucket=bucket_name, Key="k", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket_name, Key="k", Body=b"2")
    marker = s3.delete_object(Bucket=bucket_name, Key="k")
    assert marker["DeleteMarker"] is True
    with pytest.raises(ClientError) as hidden:
        s3.get_object(Bucket=bucket_name, Key="k")
    assert _code(hidden) == "NoSuchKey"
    actions = [v.action for v, _ in b2api.get_bucket_by_name(bucket_name).ls(latest_only=False)]
    assert actions == ["hide", "upload", "upload"]
    s3.delete_object(Bucket=bucket_name, Key="k", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=bucket_name, Key="k")["Body"].read() == b"2"
    s3.delete_object(Bucket=bucket_name, Key="k", VersionId=first)
    listed = s3.list_object_versions(Bucket=bucket_name)
    assert [v["IsLatest"] for v in listed["Versions"]] == [True]
    assert "DeleteMarkers" not in listed


def test_copy_replace_sets_new_metadata_and_copy_keeps_it(s3: Any, bucket_name: str) -> None:
    """CopyObject with REPLACE takes the request's metadata; with COPY the source's."""
    s3.put_object(Bucket=bucket_name, Key="src", Body=b"x" * 10, Metadata={"a": "1"})
    source = {"Bucket": bucket_name, "Key": "src"}
    s3.copy_object(Bucket=bucket_name, Key="kept", CopySource=source)
    s3.copy_object(
        Bucket=bucket_name,
        Key="replaced",
        CopySource=source,
        MetadataDirective="REPLACE",
        Metadata={"src_last_modified_millis": "7"},
    )
    assert s3.head_object(Bucket=bucket_name, Key="kept")["Metadata"] == {"a": "1"}
    assert s3.head_object(Bucket=bucket_name, Key="replaced")["Metadata"] == {
        "src_last_modified_millis": "7"
    }


def test_listings_page_with_delimiter_and_versions(s3: Any, bucket_name: str) -> None:
    """ListObjectsV2 and ListObjectVersions page one key at a time and roll up folders."""
    for key in ("a", "b/1", "b/2", "c"):
        s3.put_object(Bucket=bucket_name, Key=key, Body=b"x")
    s3.put_object(Bucket=bucket_name, Key="a", Body=b"y")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket_name, Delimiter="/", PaginationConfig={"PageSize": 1}
    )
    seen = [o["Key"] for page in pages for o in page.get("Contents", [])]
    rolled = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket_name, Delimiter="/")
    prefixes = [p["Prefix"] for page in rolled for p in page.get("CommonPrefixes", [])]
    assert seen == ["a", "c"]
    assert prefixes == ["b/"]
    versions = s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket_name, PaginationConfig={"PageSize": 1}
    )
    listed = [(v["Key"], v["IsLatest"]) for page in versions for v in page.get("Versions", [])]
    assert listed == [("a", True), ("a", False), ("b/1", True), ("b/2", True), ("c", True)]


def test_multipart_upload_is_a_native_large_file(s3: Any, b2api: Any, bucket_name: str) -> None:
    """Create, UploadPart, ListParts, Complete: one version with the parts' bytes in order."""
    up = s3.create_multipart_upload(
        Bucket=bucket_name, Key="big", Metadata={"src_last_modified_millis": "5"}
    )["UploadId"]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket_name)["Uploads"]] == [up]
    etags = [
        s3.upload_part(Bucket=bucket_name, Key="big", UploadId=up, PartNumber=n, Body=body)["ETag"]
        for n, body in ((1, b"a" * 1000), (2, b"b" * 10))
    ]
    assert [
        p["Size"] for p in s3.list_parts(Bucket=bucket_name, Key="big", UploadId=up)["Parts"]
    ] == [1000, 10]
    done = s3.complete_multipart_upload(
        Bucket=bucket_name,
        Key="big",
        UploadId=up,
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]},
    )
    assert done["ETag"].endswith('-2"')
    assert s3.get_object(Bucket=bucket_name, Key="big")["Body"].read() == b"a" * 1000 + b"b" * 10
    [(version, _)] = list(b2api.get_bucket_by_name(bucket_name).ls())
    assert version.size == 1010
    assert version.file_info == {"src_last_modified_millis": "5"}


def test_multipart_rules_small_part_and_abort(s3: Any, bucket_name: str) -> None:
    """A too-small middle part is EntityTooSmall; an aborted upload is gone (NoSuchUpload)."""
    up = s3.create_multipart_upload(Bucket=bucket_name, Key="m")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket_name, Key="m", UploadId=up, PartNumber=n, Body=b"z" * 10)[
            "ETag"
        ]
        for n in (1, 2)
    ]
    parts = {"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]}
    with pytest.raises(ClientError) as small:
        s3.complete_multipart_upload(
            Bucket=bucket_name, Key="m", UploadId=up, MultipartUpload=parts
        )
    assert _code(small) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket=bucket_name, Key="m", UploadId=up)
    with pytest.raises(ClientError) as gone:
        s3.list_parts(Bucket=bucket_name, Key="m", UploadId=up)
    assert _code(gone) == "NoSuchUpload"


def test_errors_are_s3_xml(s3: Any, s3_server: EmulatorServer, bucket_name: str) -> None:
    """NoSuchBucket, NoSuchKey, SignatureDoesNotMatch and InvalidAccessKeyId come as S3 codes."""
    with pytest.raises(ClientError) as bucket:
        s3.list_objects_v2(Bucket="no-such-bucket")
    assert _code(bucket) == "NoSuchBucket"
    with pytest.raises(ClientError) as key:
        s3.get_object(Bucket=bucket_name, Key="absent")
    assert _code(key) == "NoSuchKey"
    wrong = s3_client(s3_server.s3_url, s3_server.key_id, "not-the-key")
    with pytest.raises(ClientError) as signature:
        wrong.list_buckets()
    assert _code(signature) == "SignatureDoesNotMatch"
    unknown = s3_client(s3_server.s3_url, "nobody", "x")
    with pytest.raises(ClientError) as who:
        unknown.list_buckets()
    assert _code(who) == "InvalidAccessKeyId"


def test_a_restricted_key_is_denied_outside_its_prefix(
    s3_server: EmulatorServer, b2api: Any, bucket_name: str
) -> None:
    """A key made natively signs S3 requests; outside its namePrefix it gets AccessDenied."""
    bucket = b2api.get_bucket_by_name(bucket_name)
    made = b2api.create_key(
        ["listFiles", "readFiles", "writeFiles"],
        "s3-key",
        bucket_ids=[bucket.id_],
        name_prefix="ok/",
    )
    client = s3_client(s3_server.s3_url, made.id_, made.application_key)
    client.put_object(Bucket=bucket_name, Key="ok/x", Body=b"1")
    with pytest.raises(ClientError) as denied:
        client.put_object(Bucket=bucket_name, Key="no/x", Body=b"1")
    assert _code(denied) == "AccessDenied"


def test_bad_content_md5_stores_nothing(s3: Any, bucket_name: str) -> None:
    """A body that does not match its Content-MD5 is refused (BadDigest) and not stored."""
    with pytest.raises(ClientError) as bad:
        s3.put_object(
            Bucket=bucket_name, Key="x", Body=b"abc", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg=="
        )
    assert _code(bad) == "BadDigest"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket_name)


def test_delete_of_a_locked_version_is_refused(s3: Any, b2api: Any, bucket_name: str) -> None:
    """DeleteObject with VersionId of a version under compliance retention: refused, kept."""
    from b2sdk.v3 import FileRetentionSetting, RetentionMode  # noqa: PLC0415

    bucket = b2api.get_bucket_by_name(bucket_name)
    bucket.update(is_file_lock_enabled=True)
    until = int(time.time() * 1000) + 86_400_000
    locked = bucket.upload_bytes(
        b"keep", "locked.txt", file_retention=FileRetentionSetting(RetentionMode.COMPLIANCE, until)
    )
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket_name, Key="locked.txt", VersionId=locked.id_)
    assert _code(refused) == "AccessDenied"
    assert s3.get_object(Bucket=bucket_name, Key="locked.txt")["Body"].read() == b"keep"
