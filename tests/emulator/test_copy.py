"""Server-side copies: b2_copy_file (COPY, REPLACE, ranges) and b2_copy_part."""

from __future__ import annotations

import hashlib

import pytest

pytestmark = pytest.mark.integration

DATA = b"0123456789" * 200


@pytest.fixture
def source(b2, bucket_id):
    """A 2000-byte source file with info."""
    return b2.uploaded(
        bucket_id,
        "src.txt",
        DATA,
        content_type="text/plain",
        headers={"X-Bz-Info-src_last_modified_millis": "1"},
    )


def test_copy_keeps_metadata(b2, source):
    """COPY (default) keeps type and info; the reply's action is copy."""
    copied = b2.ok("b2_copy_file", sourceFileId=source["fileId"], fileName="dst.txt")
    assert copied["action"] == "copy"
    assert (copied["contentType"], copied["fileInfo"]) == (
        "text/plain",
        {"src_last_modified_millis": "1"},
    )
    assert copied["contentSha1"] == source["contentSha1"]
    assert b2.download("/file/test-bucket/dst.txt").content == DATA
    listed = b2.ok("b2_list_file_names", bucketId=source["bucketId"], prefix="dst")["files"]
    assert listed[0]["action"] == "upload"


def test_copy_replace_changes_metadata(b2, source):
    """REPLACE sets new type and info (rclone's mtime update)."""
    copied = b2.ok(
        "b2_copy_file",
        sourceFileId=source["fileId"],
        fileName="src.txt",
        metadataDirective="REPLACE",
        contentType="application/x-new",
        fileInfo={"src_last_modified_millis": "2"},
    )
    assert (copied["contentType"], copied["fileInfo"]) == (
        "application/x-new",
        {"src_last_modified_millis": "2"},
    )
    versions = b2.ok("b2_list_file_versions", bucketId=source["bucketId"])["files"]
    assert len(versions) == 2


def test_copy_replace_needs_content_type(b2, source):
    """REPLACE without contentType is 400; COPY with fileInfo is 400."""
    assert (
        b2.error(
            b2.call(
                "b2_copy_file",
                sourceFileId=source["fileId"],
                fileName="x",
                metadataDirective="REPLACE",
            )
        )[0]
        == 400
    )
    assert (
        b2.error(
            b2.call(
                "b2_copy_file", sourceFileId=source["fileId"], fileName="x", fileInfo={"a": "b"}
            )
        )[0]
        == 400
    )


def test_copy_range(b2, source):
    """A range copy stores just the bytes and their own SHA1."""
    copied = b2.ok(
        "b2_copy_file", sourceFileId=source["fileId"], fileName="part.txt", range="bytes=10-19"
    )
    assert copied["contentLength"] == 10
    assert copied["contentSha1"] == hashlib.sha1(DATA[10:20]).hexdigest()
    assert b2.download("/file/test-bucket/part.txt").content == DATA[10:20]


def test_copy_survives_source_deletion(b2, source):
    """Deleting the source version leaves the copy intact (shared content is kept)."""
    b2.ok("b2_copy_file", sourceFileId=source["fileId"], fileName="dst.txt")
    b2.ok("b2_delete_file_version", fileId=source["fileId"], fileName="src.txt")
    assert b2.download("/file/test-bucket/dst.txt").content == DATA


def test_copy_to_another_bucket(b2, source):
    """destinationBucketId copies across buckets."""
    other = b2.ok(
        "b2_create_bucket",
        accountId=b2.account_id,
        bucketName="dest-bucket",
        bucketType="allPrivate",
    )["bucketId"]
    copied = b2.ok(
        "b2_copy_file", sourceFileId=source["fileId"], fileName="x", destinationBucketId=other
    )
    assert copied["bucketId"] == other
    assert b2.download("/file/dest-bucket/x").content == DATA


def test_copy_of_missing_source_is_400(b2):
    """An unknown sourceFileId is 400."""
    assert b2.error(b2.call("b2_copy_file", sourceFileId="4_znope", fileName="x"))[0] == 400


def test_copy_of_large_file_gets_a_sha1(b2, bucket_id):
    """Copying a finished large file yields a small file with a real SHA1."""
    parts = [b"a" * 1000, b"b" * 500]
    done = b2.large_file(bucket_id, "big", parts)
    copied = b2.ok("b2_copy_file", sourceFileId=done["fileId"], fileName="big-copy")
    assert copied["contentSha1"] == hashlib.sha1(b"".join(parts)).hexdigest()


def test_copy_part_builds_large_file(b2, bucket_id, source):
    """copy_part fills parts from an existing file; the result finishes normally."""
    started = b2.ok(
        "b2_start_large_file", bucketId=bucket_id, fileName="assembled", contentType="text/plain"
    )
    one = b2.ok(
        "b2_copy_part",
        sourceFileId=source["fileId"],
        largeFileId=started["fileId"],
        partNumber=1,
        range="bytes=0-999",
    )
    two = b2.ok(
        "b2_copy_part",
        sourceFileId=source["fileId"],
        largeFileId=started["fileId"],
        partNumber=2,
        range="bytes=1000-1999",
    )
    assert one["contentSha1"] == hashlib.sha1(DATA[:1000]).hexdigest()
    b2.ok(
        "b2_finish_large_file",
        fileId=started["fileId"],
        partSha1Array=[one["contentSha1"], two["contentSha1"]],
    )
    assert b2.download("/file/test-bucket/assembled").content == DATA
