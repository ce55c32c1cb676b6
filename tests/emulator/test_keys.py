"""Application keys: create/list/delete and capability, bucket and prefix restrictions."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


def make_key(b2: Any, capabilities: list[str], **extra: Any) -> Any:
    """Create a key and return its JSON (including the secret)."""
    return b2.ok(
        "b2_create_key",
        accountId=b2.account_id,
        capabilities=capabilities,
        keyName="k-" + str(len(capabilities)),
        **extra,
    )


def client_for(b2: Any, key: Any, version: int = 4) -> Any:
    """A second raw client authorized with ``key``."""
    other = type(b2)(b2.server, version=version)
    response = other.authorize(key["applicationKeyId"], key["applicationKey"])
    assert response.status_code == 200, response.text
    return other


def test_create_key_reply_v4_and_v3(b2, bucket_id):
    """v4 returns bucketIds; v3 returns a single bucketId; both include the secret once."""
    v4 = make_key(b2, ["listFiles"], bucketIds=[bucket_id], namePrefix="p/")
    assert (v4["bucketIds"], v4["namePrefix"], v4["capabilities"]) == (
        [bucket_id],
        "p/",
        ["listFiles"],
    )
    assert v4["applicationKey"]
    assert v4["applicationKeyId"].startswith("004")
    v3 = b2.ok(
        "b2_create_key",
        version=3,
        accountId=b2.account_id,
        capabilities=["listFiles"],
        keyName="v3key",
        bucketId=bucket_id,
    )
    assert v3["bucketId"] == bucket_id
    assert "bucketIds" not in v3


def test_list_and_delete_keys(b2):
    """list_keys pages created keys; delete_key removes one and kills its tokens."""
    keys = [make_key(b2, ["listBuckets"] * 1) for _ in range(3)]
    listed = b2.ok("b2_list_keys", accountId=b2.account_id, maxKeyCount=2)
    assert len(listed["keys"]) == 2
    assert listed["nextApplicationKeyId"] is not None
    assert all("applicationKey" not in k for k in listed["keys"])
    victim = keys[0]
    other = client_for(b2, victim)
    b2.ok("b2_delete_key", applicationKeyId=victim["applicationKeyId"])
    assert other.error(other.call("b2_list_buckets", accountId=b2.account_id))[0] == 401
    assert b2.error(b2.call("b2_delete_key", applicationKeyId=victim["applicationKeyId"]))[0] == 400
    other.close()


def test_bad_capability_and_name_refused(b2):
    """Unknown capabilities and bad key names are 400."""
    assert (
        b2.error(
            b2.call("b2_create_key", accountId=b2.account_id, capabilities=["fly"], keyName="ok")
        )[0]
        == 400
    )
    assert (
        b2.error(
            b2.call(
                "b2_create_key",
                accountId=b2.account_id,
                capabilities=["listFiles"],
                keyName="bad name",
            )
        )[0]
        == 400
    )


def test_missing_capability_is_401_naming_it(b2, bucket_id):
    """A key without writeFiles gets 401 unauthorized mentioning writeFiles."""
    other = client_for(b2, make_key(b2, ["listBuckets", "listFiles"]))
    response = other.call("b2_get_upload_url", bucketId=bucket_id)
    assert other.error(response) == (401, "unauthorized")
    assert "writeFiles" in response.json()["message"]
    other.close()


def test_bucket_restriction(b2, bucket_id):
    """A key restricted to one bucket cannot list buckets without naming it or touch others."""
    other_bucket = b2.ok(
        "b2_create_bucket",
        accountId=b2.account_id,
        bucketName="other-bucket",
        bucketType="allPrivate",
    )["bucketId"]
    key = make_key(
        b2, ["listBuckets", "listFiles", "writeFiles", "readFiles"], bucketIds=[bucket_id]
    )
    other = client_for(b2, key)
    allowed = other.auth["apiInfo"]["storageApi"]["allowed"]
    assert allowed["buckets"] == [{"id": bucket_id, "name": "test-bucket"}]
    assert other.error(other.call("b2_list_buckets", accountId=b2.account_id))[0] == 401
    named = other.ok("b2_list_buckets", accountId=b2.account_id, bucketName="test-bucket")
    assert [b["bucketId"] for b in named["buckets"]] == [bucket_id]
    assert other.error(other.call("b2_list_file_names", bucketId=other_bucket))[0] == 401
    assert other.call("b2_list_file_names", bucketId=bucket_id).status_code == 200
    other.close()


def test_name_prefix_restriction(b2, bucket_id):
    """namePrefix limits uploads, downloads and listing (v4: 401 outside the prefix)."""
    b2.uploaded(bucket_id, "outside.txt")
    key = make_key(
        b2,
        ["listBuckets", "listFiles", "writeFiles", "readFiles"],
        bucketIds=[bucket_id],
        namePrefix="in/",
    )
    other = client_for(b2, key)
    assert other.upload(bucket_id, "in/ok.txt").status_code == 200
    assert other.error(other.upload(bucket_id, "out.txt")) == (401, "unauthorized")
    assert other.error(other.call("b2_list_file_names", bucketId=bucket_id))[0] == 401
    inside = other.ok("b2_list_file_names", bucketId=bucket_id, prefix="in/")
    assert [f["fileName"] for f in inside["files"]] == ["in/ok.txt"]
    assert other.download("/file/test-bucket/outside.txt").status_code == 401
    assert other.download("/file/test-bucket/in/ok.txt").status_code == 200
    other.close()


def test_v1_listing_is_filtered_to_the_prefix(b2, bucket_id):
    """On v1 a listing outside the key's prefix is narrowed instead of refused."""
    b2.uploaded(bucket_id, "outside.txt")
    b2.uploaded(bucket_id, "in/x.txt")
    key = make_key(b2, ["listFiles"], bucketIds=[bucket_id], namePrefix="in/")
    other = client_for(b2, key, version=1)
    listed = other.ok("b2_list_file_names", version=1, bucketId=bucket_id)
    assert [f["fileName"] for f in listed["files"]] == ["in/x.txt"]
    other.close()


def test_multi_bucket_key_needs_v4(b2, bucket_id):
    """A key restricted to two buckets authorizes on v4 but not on v3."""
    second = b2.ok(
        "b2_create_bucket",
        accountId=b2.account_id,
        bucketName="second-bucket",
        bucketType="allPrivate",
    )["bucketId"]
    key = make_key(b2, ["listFiles"], bucketIds=[bucket_id, second])
    other = type(b2)(b2.server)
    assert (
        other.authorize(key["applicationKeyId"], key["applicationKey"], version=4).status_code
        == 200
    )
    refused = other.authorize(key["applicationKeyId"], key["applicationKey"], version=3)
    assert other.error(refused) == (400, "bad_request")
    other.close()


def test_v3_authorize_shows_single_bucket(b2, bucket_id):
    """v3 authorize of a one-bucket key shows bucketId and bucketName flat."""
    key = make_key(b2, ["listFiles"], bucketIds=[bucket_id], namePrefix="p/")
    other = type(b2)(b2.server, version=3)
    storage = other.authorize(key["applicationKeyId"], key["applicationKey"]).json()["apiInfo"][
        "storageApi"
    ]
    assert (storage["bucketId"], storage["bucketName"], storage["namePrefix"]) == (
        bucket_id,
        "test-bucket",
        "p/",
    )
    other.close()


def test_restricted_key_to_deleted_bucket_shows_null_name(b2):
    """When the restricted bucket is gone, authorize shows its name as null."""
    doomed = b2.ok(
        "b2_create_bucket",
        accountId=b2.account_id,
        bucketName="doomed-bucket",
        bucketType="allPrivate",
    )["bucketId"]
    key = make_key(b2, ["listFiles"], bucketIds=[doomed])
    b2.ok("b2_delete_bucket", accountId=b2.account_id, bucketId=doomed)
    other = client_for(b2, key)
    assert other.auth["apiInfo"]["storageApi"]["allowed"]["buckets"] == [
        {"id": doomed, "name": None}
    ]
    other.close()


def test_expiring_key(b2):
    """A key with validDurationInSeconds carries an expiration timestamp."""
    key = make_key(b2, ["listBuckets"], validDurationInSeconds=3600)
    assert key["expirationTimestamp"] > 0
    other = client_for(b2, key)
    assert other.auth["applicationKeyExpirationTimestamp"] == key["expirationTimestamp"]
    other.close()
