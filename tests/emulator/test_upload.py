"""Simple uploads: headers, SHA1 modes, name and info validation, upload tokens."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.integration

FILE_FIELDS = {
    "accountId",
    "action",
    "bucketId",
    "contentLength",
    "contentSha1",
    "contentType",
    "fileId",
    "fileInfo",
    "fileName",
    "uploadTimestamp",
    "fileRetention",
    "legalHold",
}


def test_upload_returns_file_object(b2, bucket_id):
    """The reply is a full file object with the real SHA1 and a 4_z<bucketId> id."""
    data = b"some content"
    body = b2.uploaded(bucket_id, "dir/a.txt", data)
    assert set(body) >= FILE_FIELDS
    assert body["action"] == "upload"
    assert body["contentLength"] == len(data)
    assert body["contentSha1"] == hashlib.sha1(data).hexdigest()
    assert body["fileId"].startswith(f"4_z{bucket_id}_f1")
    assert body["fileRetention"]["value"] == {"mode": None, "retainUntilTimestamp": None}


def test_hex_digits_at_end(b2, bucket_id):
    """With hex_digits_at_end the last 40 bytes are the SHA1 and are not stored."""
    data = b"payload bytes"
    sha1 = hashlib.sha1(data).hexdigest()
    body = b2.uploaded(bucket_id, "h.txt", data + sha1.encode(), sha1="hex_digits_at_end")
    assert (body["contentLength"], body["contentSha1"]) == (len(data), sha1)
    assert b2.download("/file/test-bucket/h.txt").content == data


def test_hex_digits_at_end_mismatch(b2, bucket_id):
    """Wrong trailing hex digits give 400."""
    response = b2.upload(bucket_id, "h.txt", b"abc" + b"0" * 40, sha1="hex_digits_at_end")
    assert b2.error(response) == (400, "bad_request")


def test_do_not_verify_is_stored_unverified(b2, bucket_id):
    """do_not_verify stores unverified:<sha1 of the body>."""
    body = b2.uploaded(bucket_id, "u.txt", b"xyz", sha1="do_not_verify")
    assert body["contentSha1"] == "unverified:" + hashlib.sha1(b"xyz").hexdigest()


def test_sha1_mismatch_is_400(b2, bucket_id):
    """A wrong SHA1 header is refused and nothing is stored."""
    response = b2.upload(bucket_id, "bad.txt", b"abc", sha1="0" * 40)
    assert b2.error(response) == (400, "bad_request")
    assert b2.ok("b2_list_file_names", bucketId=bucket_id)["files"] == []


@pytest.mark.parametrize("value", ["nothex", "g" * 40, "a" * 39])
def test_malformed_sha1_header_is_400(b2, bucket_id, value):
    """An X-Bz-Content-Sha1 that is neither hex nor a keyword is 400."""
    assert b2.error(b2.upload(bucket_id, "x.txt", b"abc", sha1=value))[0] == 400


def test_uppercase_sha1_is_accepted(b2, bucket_id):
    """Hex SHA1 is compared case-insensitively and stored lowercase."""
    data = b"case"
    body = b2.uploaded(bucket_id, "c.txt", data, sha1=hashlib.sha1(data).hexdigest().upper())
    assert body["contentSha1"] == hashlib.sha1(data).hexdigest()


def test_content_length_is_required(b2, bucket_id):
    """A chunked upload without Content-Length is refused."""
    target = b2.upload_url(bucket_id)

    def chunks() -> Iterator[bytes]:
        yield b"abc"

    response = b2.http.post(
        target["uploadUrl"],
        content=chunks(),
        headers={
            "Authorization": target["authorizationToken"],
            "X-Bz-File-Name": "c.txt",
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": hashlib.sha1(b"abc").hexdigest(),
        },
    )
    assert b2.error(response) == (400, "bad_request")


def test_name_is_percent_decoded(b2, bucket_id):
    """X-Bz-File-Name is percent-decoded, '+' is a space and '/' stays literal."""
    body = b2.uploaded(bucket_id, "a/b+c%2Bd%20e%E8%87%AA", encode_name=False)
    assert body["fileName"] == "a/b c+d e自"


@pytest.mark.parametrize("name", ["a\x01b", "del\x7f", "x" * 1025, "é" * 513])
def test_invalid_names_are_refused(b2, bucket_id, name):
    """Control characters, DEL and names over 1024 UTF-8 bytes are 400."""
    assert b2.error(b2.upload(bucket_id, name))[0] == 400


def test_name_of_1024_bytes_is_fine(b2, bucket_id):
    """A name of exactly 1024 bytes is accepted."""
    assert b2.upload(bucket_id, "n" * 1024).status_code == 200


def test_missing_name_header_is_400(b2, bucket_id):
    """X-Bz-File-Name is required."""
    target = b2.upload_url(bucket_id)
    response = b2.http.post(
        target["uploadUrl"],
        content=b"x",
        headers={
            "Authorization": target["authorizationToken"],
            "Content-Type": "text/plain",
            "X-Bz-Content-Sha1": hashlib.sha1(b"x").hexdigest(),
        },
    )
    assert b2.error(response)[0] == 400


def test_info_keys_are_lowercased_and_values_decoded(b2, bucket_id):
    """rclone's X-Bz-Info-Src_last_modified_millis is stored as src_last_modified_millis."""
    body = b2.uploaded(
        bucket_id,
        "i.txt",
        headers={
            "X-Bz-Info-Src_last_modified_millis": "1700000000123",
            "X-Bz-Info-note": "two%20words+and%2Bplus",
        },
    )
    assert body["fileInfo"] == {
        "src_last_modified_millis": "1700000000123",
        "note": "two words and+plus",
    }


@pytest.mark.parametrize("header", ["X-Bz-Info-b2-unknown", "X-Bz-Info-" + "k" * 51])
def test_bad_info_keys_are_refused(b2, bucket_id, header):
    """Reserved b2- keys outside the five allowed, long keys and bad characters are 400."""
    assert b2.error(b2.upload(bucket_id, "i.txt", headers={header: "v"}))[0] == 400


def test_info_budget_of_7000_bytes(b2, bucket_id):
    """Name plus info over 7000 header bytes is refused."""
    big = {f"X-Bz-Info-k{i}": "v" * 1000 for i in range(7)}
    assert b2.error(b2.upload(bucket_id, "i.txt", headers=big))[0] == 400
    fits = {f"X-Bz-Info-k{i}": "v" * 900 for i in range(7)}
    assert b2.upload(bucket_id, "i.txt", headers=fits).status_code == 200


def test_auto_content_type(b2, bucket_id):
    """b2/x-auto picks the type from the extension, else application/octet-stream."""
    assert b2.uploaded(bucket_id, "p.html", content_type="b2/x-auto")["contentType"] == "text/html"
    assert b2.uploaded(bucket_id, "p.zzz", content_type="b2/x-auto")["contentType"] == (
        "application/octet-stream"
    )


def test_upload_url_serves_many_sequential_uploads(b2, bucket_id):
    """One upload URL can be reused for uploads one after another."""
    target = b2.upload_url(bucket_id)
    for index in range(5):
        assert b2.upload(bucket_id, f"s{index}", target=target).status_code == 200


def test_concurrent_use_of_upload_token_is_auth_token_limit(b2, bucket_id):
    """A second upload while the first is still sending gets 400 auth_token_limit."""
    target = b2.upload_url(bucket_id)
    release = threading.Event()
    started = threading.Event()
    data = b"z" * 10

    def slow_body() -> Iterator[bytes]:
        yield data[:5]
        started.set()
        release.wait(10)
        yield data[5:]

    result = {}

    def first() -> None:
        result["first"] = b2.http.post(
            target["uploadUrl"],
            content=slow_body(),
            headers={
                "Authorization": target["authorizationToken"],
                "X-Bz-File-Name": "slow",
                "Content-Type": "text/plain",
                "Content-Length": str(len(data)),
                "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
            },
        )

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    with httpx.Client() as other:
        second = other.post(
            target["uploadUrl"],
            content=b"q",
            headers={
                "Authorization": target["authorizationToken"],
                "X-Bz-File-Name": "fast",
                "Content-Type": "text/plain",
                "X-Bz-Content-Sha1": hashlib.sha1(b"q").hexdigest(),
            },
        )
    release.set()
    thread.join(10)
    assert b2.error(second) == (400, "auth_token_limit")
    assert second.json()["message"] == (
        f"more than one upload using auth token {target['authorizationToken']}"
    )
    assert result["first"].status_code == 200


def test_upload_token_is_bound_to_its_bucket(b2, bucket_id):
    """An upload token for one bucket does not work on another bucket's URL."""
    other = b2.ok(
        "b2_create_bucket",
        accountId=b2.account_id,
        bucketName="other-bucket",
        bucketType="allPrivate",
    )["bucketId"]
    mine = b2.upload_url(bucket_id)
    theirs = b2.upload_url(other)
    wrong = {"uploadUrl": theirs["uploadUrl"], "authorizationToken": mine["authorizationToken"]}
    assert b2.error(b2.upload(bucket_id, "x", target=wrong)) == (401, "bad_auth_token")


def test_account_token_is_not_an_upload_token(b2, bucket_id):
    """The account token cannot be used on an upload URL."""
    target = {"uploadUrl": b2.upload_url(bucket_id)["uploadUrl"], "authorizationToken": b2.token}
    assert b2.error(b2.upload(bucket_id, "x", target=target)) == (401, "bad_auth_token")


def test_upload_url_needs_post(b2, bucket_id):
    """GET on an upload URL is 405."""
    target = b2.upload_url(bucket_id)
    response = b2.http.get(
        target["uploadUrl"], headers={"Authorization": target["authorizationToken"]}
    )
    assert b2.error(response)[0] == 405


def test_same_name_adds_versions_with_increasing_timestamps(b2, bucket_id):
    """Uploading a name again adds a version; timestamps strictly increase per name."""
    stamps = [b2.uploaded(bucket_id, "same", bytes([i]))["uploadTimestamp"] for i in range(5)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 5
    versions = b2.ok("b2_list_file_versions", bucketId=bucket_id)["files"]
    assert [v["uploadTimestamp"] for v in versions] == sorted(stamps, reverse=True)


def test_empty_file(b2, bucket_id):
    """A zero-byte upload is stored and downloads empty."""
    body = b2.uploaded(bucket_id, "empty", b"")
    assert body["contentSha1"] == hashlib.sha1(b"").hexdigest()
    response = b2.download("/file/test-bucket/empty")
    assert (response.status_code, response.content) == (200, b"")
