"""Bucket calls: create, list, update, delete, and the bucket object's fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

REQUIRED = {
    "accountId",
    "bucketId",
    "bucketName",
    "bucketType",
    "bucketInfo",
    "corsRules",
    "lifecycleRules",
    "options",
    "revision",
    "defaultServerSideEncryption",
    "fileLockConfiguration",
    "replicationConfiguration",
}


def create(b2: Any, name: str, bucket_type: str = "allPrivate", **extra: Any) -> Any:
    """Create a bucket and return the raw response."""
    return b2.call(
        "b2_create_bucket",
        accountId=b2.account_id,
        bucketName=name,
        bucketType=bucket_type,
        **extra,
    )


def test_create_returns_full_bucket_object(b2):
    """A new bucket has every field b2sdk requires, a 24-hex id and revision 1."""
    bucket = create(b2, "new-bucket-1").json()
    assert set(bucket) >= REQUIRED
    assert len(bucket["bucketId"]) == 24
    int(bucket["bucketId"], 16)
    assert bucket["revision"] == 1
    lock = bucket["fileLockConfiguration"]["value"]
    assert lock == {"defaultRetention": {"mode": None, "period": None}, "isFileLockEnabled": False}


def test_duplicate_name_is_duplicate_bucket_name(b2):
    """Creating an existing name (any letter case) gives 400 duplicate_bucket_name."""
    assert b2.error(create(b2, "test-bucket")) == (400, "duplicate_bucket_name")
    assert b2.error(create(b2, "TEST-bucket")) == (400, "duplicate_bucket_name")


@pytest.mark.parametrize("name", ["short", "x" * 64, "has_underscore", "b2-reserved", "dot.name"])
def test_bad_bucket_names_are_refused(b2, name):
    """Names outside 6-63 of letters, digits and '-', or starting b2-, are 400."""
    assert b2.error(create(b2, name)) == (400, "bad_request")


def test_bad_bucket_type_is_refused(b2):
    """Only allPrivate and allPublic are accepted."""
    assert b2.error(create(b2, "typed-bucket", "snapshot")) == (400, "bad_request")


def test_list_is_sorted_and_filters(b2):
    """list_buckets sorts by name and filters by id, name and type."""
    create(b2, "zzz-bucket", "allPublic")
    create(b2, "aaa-bucket")
    names = [b["bucketName"] for b in b2.ok("b2_list_buckets", accountId=b2.account_id)["buckets"]]
    assert names == ["aaa-bucket", "test-bucket", "zzz-bucket"]
    public = b2.ok("b2_list_buckets", accountId=b2.account_id, bucketTypes=["allPublic"])
    assert [b["bucketName"] for b in public["buckets"]] == ["zzz-bucket"]
    by_id = b2.ok("b2_list_buckets", accountId=b2.account_id, bucketId=b2.bucket_id())
    assert [b["bucketName"] for b in by_id["buckets"]] == ["test-bucket"]


def test_update_bumps_revision_and_stores_fields(b2):
    """update_bucket changes type and info and increments the revision."""
    bucket_id = b2.bucket_id()
    updated = b2.ok(
        "b2_update_bucket",
        accountId=b2.account_id,
        bucketId=bucket_id,
        bucketType="allPublic",
        bucketInfo={"k": "v"},
        lifecycleRules=[],
    )
    assert (updated["bucketType"], updated["bucketInfo"], updated["revision"]) == (
        "allPublic",
        {"k": "v"},
        2,
    )


def test_update_if_revision_is_conflict(b2):
    """A stale ifRevisionIs gives 409 conflict; the current one succeeds."""
    bucket_id = b2.bucket_id()
    stale = b2.call(
        "b2_update_bucket",
        accountId=b2.account_id,
        bucketId=bucket_id,
        bucketInfo={"a": "1"},
        ifRevisionIs=7,
    )
    assert b2.error(stale) == (409, "conflict")
    fresh = b2.call(
        "b2_update_bucket",
        accountId=b2.account_id,
        bucketId=bucket_id,
        bucketInfo={"a": "1"},
        ifRevisionIs=1,
    )
    assert fresh.json()["revision"] == 2


def test_delete_empty_bucket(b2):
    """An empty bucket can be deleted and disappears from the list."""
    bucket_id = create(b2, "doomed-bucket").json()["bucketId"]
    deleted = b2.ok("b2_delete_bucket", accountId=b2.account_id, bucketId=bucket_id)
    assert deleted["bucketName"] == "doomed-bucket"
    names = [b["bucketName"] for b in b2.ok("b2_list_buckets", accountId=b2.account_id)["buckets"]]
    assert "doomed-bucket" not in names


def test_delete_non_empty_bucket_is_refused(b2, bucket_id):
    """A bucket holding a file cannot be deleted."""
    b2.uploaded(bucket_id, "f.txt")
    response = b2.call("b2_delete_bucket", accountId=b2.account_id, bucketId=bucket_id)
    assert b2.error(response) == (400, "cannot_delete_non_empty_bucket")


def test_unknown_bucket_id_is_bad_bucket_id(b2):
    """Calls naming a missing bucket id get 400 bad_bucket_id."""
    response = b2.call("b2_get_upload_url", bucketId="0" * 24)
    assert b2.error(response) == (400, "bad_bucket_id")


def test_buckets_option_creates_at_start(emulator_factory):
    """EmulatorOptions.buckets creates private buckets at start."""
    server = emulator_factory(buckets=("first-bucket", "second-bucket"))
    from_info = httpx.get(f"{server.base_url}/_emulator/info").json()
    assert from_info["buckets"] == ["first-bucket", "second-bucket"]
