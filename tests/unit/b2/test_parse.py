"""Parsing B2 JSON into models: the interop rules and strictness."""

from __future__ import annotations

import pytest

from syncd.b2.parse import parse_authorization, parse_file_version, parse_sha1
from syncd.errors import RemoteProtocolError

SHA = "a" * 40


def file_obj(**over):
    base = {
        "fileId": "4_z1",
        "fileName": "a/b.txt",
        "action": "upload",
        "contentLength": 3,
        "contentSha1": SHA,
        "contentType": "text/plain",
        "fileInfo": {},
        "uploadTimestamp": 5,
    }
    base.update(over)
    return base


def test_sha1_from_content_sha1():
    """A plain contentSha1 is the version's SHA-1."""
    assert parse_file_version(file_obj()).content_sha1 == SHA


def test_sha1_none_falls_back_to_large_file_sha1():
    """contentSha1 'none' resolves to fileInfo large_file_sha1, lowercased."""
    v = parse_file_version(file_obj(contentSha1="none", fileInfo={"large_file_sha1": "B" * 40}))
    assert v.content_sha1 == "b" * 40
    assert v.is_large


def test_sha1_unverified_prefix_is_stripped():
    """'unverified:<hex>' yields the hex and marks the SHA-1 unverified."""
    v = parse_file_version(file_obj(contentSha1=f"unverified:{SHA}"))
    assert v.content_sha1 == SHA
    assert not v.is_sha1_verified


def test_sha1_missing_everywhere_is_none():
    """A large file without large_file_sha1 has no known SHA-1."""
    assert parse_file_version(file_obj(contentSha1="none")).content_sha1 is None
    assert parse_sha1("zz") is None


def test_src_last_modified_millis_becomes_ms():
    """src_last_modified_millis is read as ms (negative before 1970); junk gives None."""
    assert (
        parse_file_version(
            file_obj(fileInfo={"src_last_modified_millis": "1700000000123"})
        ).src_last_modified_ms
        == 1700000000123
    )
    assert parse_file_version(file_obj()).src_last_modified_ms is None
    assert (
        parse_file_version(
            file_obj(fileInfo={"src_last_modified_millis": "-5"})
        ).src_last_modified_ms
        == -5
    )
    assert (
        parse_file_version(
            file_obj(fileInfo={"src_last_modified_millis": "5 ms"})
        ).src_last_modified_ms
        is None
    )


def test_v1_size_field_is_accepted():
    """A v1-shaped object with 'size' instead of contentLength parses."""
    obj = file_obj()
    del obj["contentLength"]
    obj["size"] = 9
    assert parse_file_version(obj).size == 9


@pytest.mark.parametrize(
    "over",
    [
        {"fileName": None},
        {"fileName": "x" * 1025},
        {"contentLength": -1},
        {"contentLength": 11 * 10**12},
        {"contentLength": True},
        {"action": 3},
        {"fileInfo": {"k": 5}},
        {"fileInfo": {f"k{i}": "v" for i in range(101)}},
        {"fileId": None},
    ],
)
def test_absurd_fields_are_protocol_errors(over):
    """Missing, mistyped or absurd fields raise RemoteProtocolError, never KeyError/TypeError."""
    with pytest.raises(RemoteProtocolError):
        parse_file_version(file_obj(**over))


def auth_obj(storage):
    return {"accountId": "acct1", "authorizationToken": "tok", "apiInfo": {"storageApi": storage}}


def test_v4_authorization_with_allowed_buckets():
    """v4 nests restrictions in storageApi.allowed with a bucket list."""
    a = parse_authorization(
        auth_obj(
            {
                "apiUrl": "https://api",
                "downloadUrl": "https://f",
                "recommendedPartSize": 100,
                "absoluteMinimumPartSize": 5,
                "allowed": {
                    "buckets": [{"id": "b1", "name": "bucket-a"}, {"id": "b2", "name": None}],
                    "capabilities": ["listFiles"],
                    "namePrefix": "host1/",
                },
            }
        )
    )
    assert a.account_id == "acct1"
    assert [b.name for b in a.allowed.buckets or ()] == ["bucket-a", None]
    assert a.allowed.name_prefix == "host1/"
    assert a.allowed.capabilities == frozenset({"listFiles"})
    assert "tok" not in repr(a)


def test_v3_flat_authorization_is_understood():
    """The v3 flat shape (bucketId/bucketName/capabilities in storageApi) parses too."""
    a = parse_authorization(
        auth_obj(
            {
                "apiUrl": "https://api",
                "downloadUrl": "https://f",
                "recommendedPartSize": 100,
                "absoluteMinimumPartSize": 5,
                "bucketId": "b1",
                "bucketName": "bucket-a",
                "capabilities": ["all"],
                "namePrefix": None,
            }
        )
    )
    assert a.allowed.buckets is not None
    assert a.allowed.buckets[0].bucket_id == "b1"


def test_authorization_missing_storage_api_is_protocol_error():
    """An authorize answer without apiInfo.storageApi is refused."""
    with pytest.raises(RemoteProtocolError):
        parse_authorization({"accountId": "a", "authorizationToken": "t"})
