"""Server-side encryption: SSE-B2 and SSE-C recorded per version, SSE-C bytes need the key."""

from __future__ import annotations

import base64
import hashlib

import pytest

pytestmark = pytest.mark.integration

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def customer(key: bytes = KEY) -> dict[str, str]:
    """The SSE-C request headers for ``key``."""
    return {
        "X-Bz-Server-Side-Encryption-Customer-Algorithm": "AES256",
        "X-Bz-Server-Side-Encryption-Customer-Key": base64.b64encode(key).decode(),
        "X-Bz-Server-Side-Encryption-Customer-Key-Md5": base64.b64encode(
            hashlib.md5(key).digest()
        ).decode(),
    }


def customer_json(key: bytes = KEY) -> dict[str, str]:
    """The SSE-C JSON setting for ``key`` (copies, start_large_file)."""
    headers = customer(key)
    return {
        "mode": "SSE-C",
        "algorithm": "AES256",
        "customerKey": headers["X-Bz-Server-Side-Encryption-Customer-Key"],
        "customerKeyMd5": headers["X-Bz-Server-Side-Encryption-Customer-Key-Md5"],
    }


def test_plain_upload_reports_null_encryption(b2, bucket_id):
    """A file without SSE reports mode and algorithm null."""
    body = b2.uploaded(bucket_id, "plain.txt")
    assert body["serverSideEncryption"] == {"mode": None, "algorithm": None}


def test_sse_b2_upload_is_reported_everywhere(b2, bucket_id):
    """An SSE-B2 upload is SSE-B2 in the reply, the listing, file info and download headers."""
    headers = {"X-Bz-Server-Side-Encryption": "AES256"}
    body = b2.uploaded(bucket_id, "b2.txt", b"data", headers=headers)
    expected = {"mode": "SSE-B2", "algorithm": "AES256"}
    assert body["serverSideEncryption"] == expected
    listed = b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"][0]
    assert listed["serverSideEncryption"] == expected
    info = b2.ok("b2_get_file_info", fileId=body["fileId"])
    assert info["serverSideEncryption"] == expected
    got = b2.download("/file/test-bucket/b2.txt")
    assert got.content == b"data"
    assert got.headers["X-Bz-Server-Side-Encryption"] == "AES256"


def test_bucket_default_sse_applies_to_plain_uploads(b2, bucket_id):
    """With defaultServerSideEncryption SSE-B2, an upload without headers is SSE-B2."""
    b2.ok(
        "b2_update_bucket",
        accountId=b2.account_id,
        bucketId=bucket_id,
        defaultServerSideEncryption={"mode": "SSE-B2", "algorithm": "AES256"},
    )
    body = b2.uploaded(bucket_id, "default.txt")
    assert body["serverSideEncryption"] == {"mode": "SSE-B2", "algorithm": "AES256"}


def test_sse_b2_rejects_unknown_algorithm(b2, bucket_id):
    """An SSE header naming another algorithm is a 400."""
    response = b2.upload(bucket_id, "x.txt", headers={"X-Bz-Server-Side-Encryption": "NONE"})
    assert b2.error(response) == (400, "bad_request")


def test_sse_c_download_needs_the_key(b2, bucket_id):
    """SSE-C bytes come back with the key; without it 400, with another key 403."""
    body = b2.uploaded(bucket_id, "c.txt", b"secret", headers=customer())
    assert body["serverSideEncryption"] == {"mode": "SSE-C", "algorithm": "AES256"}
    got = b2.download("/file/test-bucket/c.txt", **customer())
    assert got.content == b"secret"
    assert got.headers["X-Bz-Server-Side-Encryption-Customer-Algorithm"] == "AES256"
    md5 = customer()["X-Bz-Server-Side-Encryption-Customer-Key-Md5"]
    assert got.headers["X-Bz-Server-Side-Encryption-Customer-Key-Md5"] == md5
    missing = b2.download("/file/test-bucket/c.txt")
    assert b2.error(missing) == (400, "bad_request")
    assert b"secret" not in missing.content
    wrong = b2.download(
        f"/b2api/v4/b2_download_file_by_id?fileId={body['fileId']}", **customer(OTHER)
    )
    assert b2.error(wrong) == (403, "access_denied")
    head = b2.download("/file/test-bucket/c.txt", method="HEAD")
    assert head.status_code == 400


def test_sse_c_key_must_be_256_bits(b2, bucket_id):
    """A short key or a mismatched MD5 is refused with 400."""
    short = customer(b"k" * 16)
    assert b2.error(b2.upload(bucket_id, "s.txt", headers=short)) == (400, "bad_request")
    mixed = {**customer(), "X-Bz-Server-Side-Encryption-Customer-Key-Md5": "AAAA"}
    assert b2.error(b2.upload(bucket_id, "s.txt", headers=mixed)) == (400, "bad_request")


def test_sse_c_copy_needs_source_key_and_sets_destination(b2, bucket_id):
    """Copying SSE-C needs sourceServerSideEncryption; the copy gets the destination's key."""
    source = b2.uploaded(bucket_id, "src.bin", b"payload", headers=customer())
    refused = b2.call("b2_copy_file", sourceFileId=source["fileId"], fileName="dst.bin")
    assert b2.error(refused) == (400, "bad_request")
    wrong = b2.call(
        "b2_copy_file",
        sourceFileId=source["fileId"],
        fileName="dst.bin",
        sourceServerSideEncryption=customer_json(OTHER),
    )
    assert b2.error(wrong) == (403, "access_denied")
    copied = b2.ok(
        "b2_copy_file",
        sourceFileId=source["fileId"],
        fileName="dst.bin",
        sourceServerSideEncryption=customer_json(),
        destinationServerSideEncryption=customer_json(OTHER),
    )
    assert copied["serverSideEncryption"]["mode"] == "SSE-C"
    assert b2.download("/file/test-bucket/dst.bin", **customer(OTHER)).content == b"payload"
    assert b2.download("/file/test-bucket/dst.bin", **customer()).status_code == 403


def test_sse_c_large_file_parts_need_the_key(b2, bucket_id, server):
    """Parts of an SSE-C large file need its key; the finished file serves with it."""
    started = b2.ok(
        "b2_start_large_file",
        bucketId=bucket_id,
        fileName="big.bin",
        contentType="application/octet-stream",
        serverSideEncryption=customer_json(),
    )
    assert started["serverSideEncryption"]["mode"] == "SSE-C"
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    parts = [b"a" * 1000, b"b" * 10]
    assert b2.error(b2.part(target, 1, parts[0])) == (400, "bad_request")
    target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
    for number, data in enumerate(parts, start=1):
        response = b2.http.post(
            target["uploadUrl"],
            content=data,
            headers={
                "Authorization": target["authorizationToken"],
                "X-Bz-Part-Number": str(number),
                "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
                **customer(),
            },
        )
        assert response.json()["serverSideEncryption"]["mode"] == "SSE-C"
    b2.ok(
        "b2_finish_large_file",
        fileId=started["fileId"],
        partSha1Array=[hashlib.sha1(p).hexdigest() for p in parts],
    )
    assert b2.download("/file/test-bucket/big.bin", **customer()).content == b"".join(parts)
    assert b2.download("/file/test-bucket/big.bin").status_code == 400


def test_bucket_encryption_needs_its_capabilities(b2, bucket_id):
    """Without readBucketEncryption the default is unreadable; without write it cannot change."""
    made = b2.ok(
        "b2_create_key",
        accountId=b2.account_id,
        capabilities=["listBuckets", "writeBuckets"],
        keyName="no-sse",
    )
    other = type(b2)(b2.server)
    try:
        assert other.authorize(made["applicationKeyId"], made["applicationKey"]).status_code == 200
        bucket = other.ok("b2_list_buckets", accountId=b2.account_id)["buckets"][0]
        assert bucket["defaultServerSideEncryption"] == {
            "isClientAuthorizedToRead": False,
            "value": None,
        }
        refused = other.call(
            "b2_update_bucket",
            accountId=b2.account_id,
            bucketId=bucket_id,
            defaultServerSideEncryption={"mode": "SSE-B2", "algorithm": "AES256"},
        )
        assert other.error(refused) == (401, "unauthorized")
    finally:
        other.close()
