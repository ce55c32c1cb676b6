"""X-Bz-Test-Mode emulation: per-request header and the global setting."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

FAIL = {"X-Bz-Test-Mode": "fail_some_uploads"}


def test_fail_some_uploads_fails_a_fraction_and_spoils_tokens(b2, bucket_id):
    """Exactly one upload in four fails with 503; the failed token is then refused."""
    failures = 0
    for index in range(40):
        target = b2.upload_url(bucket_id)
        response = b2.upload(bucket_id, f"f{index}", target=target, headers=FAIL)
        if response.status_code == 503:
            failures += 1
            assert b2.error(response) == (503, "service_unavailable")
            assert b2.error(b2.upload(bucket_id, "again", target=target))[0] == 401
        else:
            assert response.status_code == 200
    assert failures == 10


def test_fail_some_uploads_is_deterministic(emulator_factory, raw_client):
    """The same seed fails the same uploads."""
    runs = []
    for _ in range(2):
        server = emulator_factory(
            seed=7,
            test_mode="fail_some_uploads",
            absolute_minimum_part_size=1000,
            recommended_part_size=1000,
        )
        client = raw_client(server)
        client.authorize()
        bucket_id = client.bucket_id()
        target = client.upload_url(bucket_id)
        outcome = []
        for index in range(16):
            response = client.upload(bucket_id, f"f{index}", target=target)
            outcome.append(response.status_code)
            if response.status_code != 200:
                target = client.upload_url(bucket_id)
        runs.append(outcome)
    assert runs[0] == runs[1]
    assert 503 in runs[0]


def test_fail_some_uploads_hits_parts(b2, bucket_id):
    """upload_part is subject to fail_some_uploads too."""
    started = b2.ok("b2_start_large_file", bucketId=bucket_id, fileName="L", contentType="a/b")
    statuses = set()
    for number in range(1, 30):
        target = b2.ok("b2_get_upload_part_url", fileId=started["fileId"])
        response = b2.http.post(
            target["uploadUrl"],
            content=b"x" * 1000,
            headers={
                "Authorization": target["authorizationToken"],
                "X-Bz-Part-Number": str(number),
                "X-Bz-Content-Sha1": "do_not_verify",
                **FAIL,
            },
        )
        statuses.add(response.status_code)
    assert statuses == {200, 503}


def test_expire_some_tokens(b2):
    """A token issued under the mode stops working after a few uses with expired_auth_token."""
    response = b2.authorize(headers={"X-Bz-Test-Mode": "expire_some_account_authorization_tokens"})
    assert response.status_code == 200
    codes = []
    for _ in range(8):
        reply = b2.call("b2_list_buckets", accountId=b2.account_id)
        codes.append(reply.status_code)
    assert codes[0] == 200
    assert 401 in codes
    assert b2.error(b2.call("b2_list_buckets", accountId=b2.account_id)) == (
        401,
        "expired_auth_token",
    )
    b2.authorize()
    assert all(
        b2.call("b2_list_buckets", accountId=b2.account_id).status_code == 200 for _ in range(8)
    )


def test_force_cap_exceeded(b2, bucket_id):
    """Upload-related calls answer 403 storage_cap_exceeded; others work."""
    cap = {"X-Bz-Test-Mode": "force_cap_exceeded"}
    assert b2.error(b2.call("b2_get_upload_url", bucketId=bucket_id, headers=cap)) == (
        403,
        "storage_cap_exceeded",
    )
    assert b2.error(b2.upload(bucket_id, "x", headers=cap)) == (403, "storage_cap_exceeded")
    started = b2.call(
        "b2_start_large_file", bucketId=bucket_id, fileName="L", contentType="a/b", headers=cap
    )
    assert b2.error(started) == (403, "storage_cap_exceeded")
    assert b2.call("b2_list_buckets", accountId=b2.account_id, headers=cap).status_code == 200


def test_global_mode_via_admin(b2, bucket_id):
    """POST /_emulator/test-mode applies a mode to every request until cleared."""
    set_mode = b2.http.post(f"{b2.url}/_emulator/test-mode", json={"mode": "force_cap_exceeded"})
    assert set_mode.json() == {"mode": "force_cap_exceeded"}
    assert b2.call("b2_get_upload_url", bucketId=bucket_id).status_code == 403
    b2.http.post(f"{b2.url}/_emulator/test-mode", json={"mode": None})
    assert b2.call("b2_get_upload_url", bucketId=bucket_id).status_code == 200
    bad = b2.http.post(f"{b2.url}/_emulator/test-mode", json={"mode": "explode"})
    assert b2.error(bad)[0] == 400


def test_global_mode_via_python(b2, server, bucket_id):
    """EmulatorServer.set_test_mode does the same in process."""
    server.set_test_mode("force_cap_exceeded")
    assert b2.call("b2_get_upload_url", bucketId=bucket_id).status_code == 403
    server.set_test_mode(None)
    assert b2.call("b2_get_upload_url", bucketId=bucket_id).status_code == 200


def test_unknown_header_values_are_ignored(b2, bucket_id):
    """An unknown X-Bz-Test-Mode value changes nothing."""
    assert b2.upload(bucket_id, "x", headers={"X-Bz-Test-Mode": "nonsense"}).status_code == 200
