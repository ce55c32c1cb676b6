"""Object Lock: bucket lock settings, per-file retention and legal hold, refused deletes."""

from __future__ import annotations

import sqlite3
import time

import pytest

from syncd.emulator.buckets import BucketStore
from syncd.emulator.schema import DDL, open_db
from tests.emulator.test_sse import KEY, customer

pytestmark = pytest.mark.integration

FAR = 4_102_444_800_000  # 2100-01-01
DAY_MS = 86_400_000


@pytest.fixture
def locked(b2):
    """The id of a new bucket with file lock enabled."""
    made = b2.ok(
        "b2_create_bucket",
        accountId=b2.account_id,
        bucketName="locked-bucket",
        bucketType="allPrivate",
        fileLockEnabled=True,
    )
    assert made["fileLockConfiguration"]["value"]["isFileLockEnabled"] is True
    return made["bucketId"]


def retention_headers(mode: str, until: int = FAR) -> dict[str, str]:
    """Upload headers asking for a retention."""
    return {
        "X-Bz-File-Retention-Mode": mode,
        "X-Bz-File-Retention-Retain-Until-Timestamp": str(until),
    }


def delete(b2, body, **extra):
    """b2_delete_file_version for a file object."""
    return b2.call(
        "b2_delete_file_version", fileId=body["fileId"], fileName=body["fileName"], **extra
    )


def test_retention_on_plain_bucket_is_refused(b2, bucket_id):
    """Retention on a bucket without file lock is a 400."""
    response = b2.upload(bucket_id, "r.txt", headers=retention_headers("governance"))
    assert b2.error(response) == (400, "bad_request")


def test_compliance_version_cannot_be_deleted_even_by_master(b2, locked):
    """A compliance version refuses delete (403 access_denied), bypass or not; hide works."""
    body = b2.uploaded(locked, "c.txt", headers=retention_headers("compliance"))
    assert body["fileRetention"]["value"] == {"mode": "compliance", "retainUntilTimestamp": FAR}
    assert b2.error(delete(b2, body)) == (403, "access_denied")
    assert b2.error(delete(b2, body, bypassGovernance=True)) == (403, "access_denied")
    b2.ok("b2_hide_file", bucketId=locked, fileName="c.txt")
    assert b2.ok("b2_get_file_info", fileId=body["fileId"])["fileId"] == body["fileId"]


def test_governance_delete_needs_bypass(b2, locked):
    """Governance: refused without bypassGovernance, allowed with it and the capability."""
    body = b2.uploaded(locked, "g.txt", headers=retention_headers("governance"))
    assert b2.error(delete(b2, body)) == (403, "access_denied")
    assert delete(b2, body, bypassGovernance=True).status_code == 200


def test_bypass_needs_the_capability(b2, locked):
    """A key without bypassGovernance cannot bypass governance retention."""
    body = b2.uploaded(locked, "g.txt", headers=retention_headers("governance"))
    made = b2.ok(
        "b2_create_key",
        accountId=b2.account_id,
        capabilities=["deleteFiles", "listFiles", "readFiles"],
        keyName="no-bypass",
    )
    other = type(b2)(b2.server)
    try:
        other.authorize(made["applicationKeyId"], made["applicationKey"])
        response = delete(other, body, bypassGovernance=True)
        assert other.error(response) == (403, "access_denied")
        info = other.ok("b2_get_file_info", fileId=body["fileId"])
        assert info["fileRetention"] == {"isClientAuthorizedToRead": False, "value": None}
    finally:
        other.close()


def test_legal_hold_blocks_delete_until_released(b2, locked):
    """A legal hold blocks delete; b2_update_file_legal_hold off releases it."""
    body = b2.uploaded(locked, "h.txt", headers={"X-Bz-File-Legal-Hold": "on"})
    assert body["legalHold"]["value"] == "on"
    assert b2.error(delete(b2, body, bypassGovernance=True)) == (403, "access_denied")
    name = body["fileName"]
    reply = b2.ok(
        "b2_update_file_legal_hold", fileId=body["fileId"], fileName=name, legalHold="off"
    )
    assert reply["legalHold"] == "off"
    assert delete(b2, body).status_code == 200


def test_retention_updates_follow_b2_rules(b2, locked):
    """Compliance only extends; governance shortens only with the bypass."""
    comp = b2.uploaded(locked, "c.txt", headers=retention_headers("compliance", FAR - DAY_MS))
    ids = {"fileId": comp["fileId"], "fileName": "c.txt"}
    longer = {"mode": "compliance", "retainUntilTimestamp": FAR}
    assert b2.ok("b2_update_file_retention", fileRetention=longer, **ids)["fileRetention"] == longer
    shorter = {"mode": "compliance", "retainUntilTimestamp": FAR - DAY_MS}
    refused = b2.call(
        "b2_update_file_retention", fileRetention=shorter, bypassGovernance=True, **ids
    )
    assert b2.error(refused) == (403, "access_denied")
    gov = b2.uploaded(locked, "g.txt", headers=retention_headers("governance"))
    gids = {"fileId": gov["fileId"], "fileName": "g.txt"}
    cleared = {"mode": None, "retainUntilTimestamp": None}
    response = b2.call("b2_update_file_retention", fileRetention=cleared, **gids)
    assert b2.error(response) == (403, "access_denied")
    b2.ok("b2_update_file_retention", fileRetention=cleared, bypassGovernance=True, **gids)
    assert delete(b2, gov).status_code == 200


def test_default_retention_applies_to_new_versions(b2, locked):
    """A bucket default retention gives each new version upload time + period."""
    rule = {"mode": "governance", "period": {"duration": 2, "unit": "days"}}
    bucket = b2.ok(
        "b2_update_bucket", accountId=b2.account_id, bucketId=locked, defaultRetention=rule
    )
    assert bucket["fileLockConfiguration"]["value"]["defaultRetention"] == rule
    body = b2.uploaded(locked, "d.txt")
    until = body["fileRetention"]["value"]["retainUntilTimestamp"]
    assert body["fileRetention"]["value"]["mode"] == "governance"
    assert abs(until - (body["uploadTimestamp"] + 2 * DAY_MS)) < 5000
    got = b2.download("/file/locked-bucket/d.txt")
    assert got.headers["X-Bz-File-Retention-Mode"] == "governance"
    assert got.headers["X-Bz-File-Retention-Retain-Until-Timestamp"] == str(until)


def test_default_retention_needs_file_lock(b2, bucket_id):
    """A default retention on a bucket without file lock is a 400; lock cannot be turned off."""
    rule = {"mode": "governance", "period": {"duration": 1, "unit": "days"}}
    response = b2.call(
        "b2_update_bucket", accountId=b2.account_id, bucketId=bucket_id, defaultRetention=rule
    )
    assert b2.error(response) == (400, "bad_request")
    b2.ok("b2_update_bucket", accountId=b2.account_id, bucketId=bucket_id, fileLockEnabled=True)
    off = b2.call(
        "b2_update_bucket", accountId=b2.account_id, bucketId=bucket_id, fileLockEnabled=False
    )
    assert b2.error(off) == (400, "bad_request")


def test_start_large_file_and_copy_take_retention(b2, locked):
    """start_large_file and copy_file accept fileRetention and legalHold."""
    retention = {"mode": "governance", "retainUntilTimestamp": FAR}
    started = b2.ok(
        "b2_start_large_file",
        bucketId=locked,
        fileName="big.bin",
        contentType="b2/x-auto",
        fileRetention=retention,
        legalHold="on",
    )
    assert started["fileRetention"]["value"] == retention
    assert started["legalHold"]["value"] == "on"
    source = b2.uploaded(locked, "s.txt")
    copied = b2.ok(
        "b2_copy_file", sourceFileId=source["fileId"], fileName="t.txt", fileRetention=retention
    )
    assert copied["fileRetention"]["value"] == retention
    assert b2.error(delete(b2, copied)) == (403, "access_denied")


def test_replication_configuration_is_stored_and_echoed(b2, bucket_id):
    """replicationConfiguration is kept and returned as given (never applied)."""
    config = {"asReplicationSource": {"replicationRules": [], "sourceApplicationKeyId": "k"}}
    bucket = b2.ok(
        "b2_update_bucket",
        accountId=b2.account_id,
        bucketId=bucket_id,
        replicationConfiguration=config,
    )
    assert bucket["replicationConfiguration"] == {"isClientAuthorizedToRead": True, "value": config}
    listed = b2.ok("b2_list_buckets", accountId=b2.account_id, bucketId=bucket_id)["buckets"][0]
    assert listed["replicationConfiguration"]["value"] == config


def test_custom_upload_timestamp_only_when_enabled(b2, bucket_id, emulator_factory, raw_client):
    """X-Bz-Custom-Upload-Timestamp is a 400 by default and honoured when the account allows."""
    past = int(time.time() * 1000) - 10 * DAY_MS
    header = {"X-Bz-Custom-Upload-Timestamp": str(past)}
    assert b2.error(b2.upload(bucket_id, "t.txt", headers=header)) == (400, "bad_request")
    allowed = raw_client(emulator_factory(custom_upload_timestamps=True))
    allowed.authorize()
    body = allowed.uploaded(allowed.bucket_id(), "t.txt", headers=header)
    assert body["uploadTimestamp"] == past


def test_lock_and_encryption_survive_restart(emulator_factory, raw_client, tmp_path):
    """With --data, a version's retention, legal hold and SSE-C key MD5 survive a restart."""
    options = {"data_dir": tmp_path / "data"}
    first = emulator_factory(**options)
    b2 = raw_client(first)
    b2.authorize()
    bucket_id = b2.bucket_id()
    b2.ok("b2_update_bucket", accountId=b2.account_id, bucketId=bucket_id, fileLockEnabled=True)
    headers = {**retention_headers("compliance"), **customer(KEY), "X-Bz-File-Legal-Hold": "on"}
    body = b2.uploaded(bucket_id, "kept.txt", b"kept", headers=headers)
    first.stop()
    again = raw_client(emulator_factory(**options))
    again.authorize()
    info = again.ok("b2_get_file_info", fileId=body["fileId"])
    assert info["fileRetention"]["value"] == {"mode": "compliance", "retainUntilTimestamp": FAR}
    assert info["legalHold"]["value"] == "on"
    assert info["serverSideEncryption"] == {"mode": "SSE-C", "algorithm": "AES256"}
    assert again.download("/file/test-bucket/kept.txt", **customer(KEY)).content == b"kept"
    assert again.error(delete(again, body)) == (403, "access_denied")


def test_database_without_the_new_columns_is_upgraded(tmp_path):
    """A metadata database made before encryption and Object Lock opens and reads."""
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(DDL)
    old.execute(
        "INSERT INTO buckets VALUES ('b1', 'old-bucket', 'old-bucket', 'allPrivate', '{}', "
        "'[]', '[]', 1, 0, '{\"mode\": null, \"algorithm\": null}')"
    )
    old.commit()
    old.close()
    bucket = BucketStore(open_db(path)).by_id("b1")
    assert bucket is not None
    assert bucket.default_retention == {"mode": None, "period": None}
    assert bucket.replication is None
