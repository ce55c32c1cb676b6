"""Authorize shapes per API version, routing and HTTP hygiene of every reply."""

from __future__ import annotations

import email.utils

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_authorize_accepts_get_and_post(b2, method):
    """b2_authorize_account works with GET (rclone) and POST {} (b2sdk)."""
    assert b2.authorize(method=method).status_code == 200


@pytest.mark.parametrize("version", [1, 2])
def test_authorize_v1_v2_are_flat(b2, version):
    """v1/v2 replies carry URLs, part sizes and ``allowed`` at the top level."""
    body = b2.authorize(version=version).json()
    for key in (
        "accountId",
        "authorizationToken",
        "apiUrl",
        "downloadUrl",
        "s3ApiUrl",
        "recommendedPartSize",
        "absoluteMinimumPartSize",
        "minimumPartSize",
    ):
        assert key in body
    assert set(body["allowed"]) == {"bucketId", "bucketName", "capabilities", "namePrefix"}
    assert body["apiUrl"] == b2.url


def test_authorize_v3_storage_api_is_flat(b2):
    """v3 puts bucketId/bucketName/capabilities/namePrefix directly in storageApi."""
    storage = b2.authorize(version=3).json()["apiInfo"]["storageApi"]
    assert {
        "apiUrl",
        "downloadUrl",
        "s3ApiUrl",
        "recommendedPartSize",
        "absoluteMinimumPartSize",
        "bucketId",
        "bucketName",
        "capabilities",
        "namePrefix",
    } <= set(storage)
    assert "allowed" not in storage


def test_authorize_v4_nests_allowed(b2):
    """v4 nests buckets/capabilities/namePrefix under storageApi.allowed."""
    body = b2.authorize(version=4).json()
    storage = body["apiInfo"]["storageApi"]
    assert set(storage["allowed"]) == {"buckets", "capabilities", "namePrefix"}
    assert storage["allowed"]["buckets"] is None
    assert "bucketId" not in storage
    assert "applicationKeyExpirationTimestamp" in body


def test_master_key_capabilities_leave_out_notifications(b2):
    """The master key has listBuckets and friends but no bucket-notification capabilities."""
    caps = b2.authorize().json()["apiInfo"]["storageApi"]["allowed"]["capabilities"]
    assert {"listBuckets", "writeFiles", "readFiles", "deleteFiles", "shareFiles"} <= set(caps)
    assert "readBucketNotifications" not in caps
    assert "writeBucketNotifications" not in caps


def test_account_id_is_12_hex_and_stable(b2):
    """The account id is 12 lowercase hex characters and the same on each authorize."""
    first = b2.authorize().json()["accountId"]
    assert len(first) == 12
    int(first, 16)
    assert b2.authorize().json()["accountId"] == first


def test_account_id_works_as_master_key_id(b2):
    """The account id may be used instead of the master key id."""
    account_id = b2.account_id
    assert b2.authorize(key_id=account_id).status_code == 200


@pytest.mark.parametrize(("key_id", "key"), [("wrong", None), (None, "wrong")])
def test_authorize_rejects_bad_credentials(b2, key_id, key):
    """Wrong key id or key gives 401 unauthorized."""
    response = b2.authorize(key_id=key_id, key=key)
    assert b2.error(response) == (401, "unauthorized")


def test_authorize_without_basic_auth_is_401(b2):
    """A missing Basic header is 401."""
    response = b2.http.post(f"{b2.url}/b2api/v4/b2_authorize_account", json={})
    assert b2.error(response)[0] == 401


def test_every_reply_has_a_date_header(b2):
    """JSON replies, errors and downloads all carry an RFC 7231 Date header."""
    replies = [
        b2.authorize(),
        b2.call("b2_list_buckets", accountId=b2.account_id),
        b2.call("b2_nonexistent_call"),
        b2.download("/file/test-bucket/missing", method="HEAD"),
        b2.http.get(f"{b2.url}/_emulator/stats"),
    ]
    for reply in replies:
        assert email.utils.parsedate_to_datetime(reply.headers["date"]) is not None


def test_json_content_type(b2):
    """JSON replies use application/json;charset=utf-8."""
    response = b2.call("b2_list_buckets", accountId=b2.account_id)
    assert response.headers["content-type"] == "application/json;charset=utf-8"


def test_unknown_call_is_404_json(b2):
    """An unknown call name gives a 404 B2 error body."""
    assert b2.error(b2.call("b2_does_not_exist"))[0] == 404


@pytest.mark.parametrize("path", ["/b2api/v5/b2_list_buckets", "/nothing", "/b2api/v4/"])
def test_unknown_paths_are_404(b2, path):
    """Paths outside the API are 404 with a JSON error."""
    assert b2.error(b2.http.post(f"{b2.url}{path}"))[0] == 404


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_every_version_routes_calls(b2, version):
    """The same call works under every /b2api/vN/."""
    assert b2.call("b2_list_buckets", version=version, accountId=b2.account_id).status_code == 200


def test_get_with_query_params(b2):
    """API calls accept GET with query parameters."""
    response = b2.call(
        "b2_list_buckets", method="GET", accountId=b2.account_id, bucketName="test-bucket"
    )
    assert [b["bucketName"] for b in response.json()["buckets"]] == ["test-bucket"]


def test_json_null_means_absent(b2):
    """Optional parameters sent as null are ignored (b2sdk style)."""
    response = b2.call(
        "b2_list_buckets",
        accountId=b2.account_id,
        bucketId=None,
        bucketName=None,
        bucketTypes=["all"],
    )
    assert len(response.json()["buckets"]) == 1


def test_bad_json_body_is_400(b2):
    """A body that is not JSON gives 400 bad_json."""
    response = b2.http.post(
        f"{b2.url}/b2api/v4/b2_list_buckets", content=b"{nope", headers={"Authorization": b2.token}
    )
    assert b2.error(response) == (400, "bad_json")


def test_wrong_type_parameter_is_400(b2):
    """A parameter of the wrong JSON type gives 400 bad_request."""
    response = b2.call("b2_list_file_names", bucketId=b2.bucket_id(), maxFileCount="ten")
    assert b2.error(response) == (400, "bad_request")


def test_missing_required_parameter_is_400(b2):
    """A missing required parameter gives 400 bad_request."""
    assert b2.error(b2.call("b2_get_upload_url")) == (400, "bad_request")


def test_missing_token_is_401(b2):
    """API calls without Authorization get 401 bad_auth_token."""
    assert b2.error(b2.call("b2_list_buckets", token="")) == (401, "bad_auth_token")


def test_unknown_token_is_401(b2):
    """An invented token gives 401 bad_auth_token."""
    response = b2.call("b2_list_buckets", token="4_nope", accountId=b2.account_id)
    assert b2.error(response) == (401, "bad_auth_token")


def test_wrong_method_is_405(b2):
    """PUT on an API call is refused."""
    assert b2.error(b2.call("b2_list_buckets", method="PUT"))[0] == 405


def test_expire_tokens_admin_gives_expired_auth_token(b2):
    """After POST /_emulator/expire-tokens, old tokens get 401 expired_auth_token."""
    reply = b2.http.post(f"{b2.url}/_emulator/expire-tokens")
    assert reply.json()["expired"] >= 1
    response = b2.call("b2_list_buckets", accountId=b2.account_id)
    assert b2.error(response) == (401, "expired_auth_token")
    b2.authorize()
    assert b2.call("b2_list_buckets", accountId=b2.account_id).status_code == 200


def test_expire_tokens_python_method(b2, server):
    """EmulatorServer.expire_tokens() does the same in process."""
    assert server.expire_tokens() >= 1
    assert b2.error(b2.call("b2_list_buckets", accountId=b2.account_id))[1] == "expired_auth_token"


def test_wrong_account_id_is_401(b2):
    """Naming another account is refused."""
    response = b2.call("b2_list_buckets", accountId="000000000000")
    assert b2.error(response) == (401, "unauthorized")


def test_keep_alive_connection_serves_many_calls(b2):
    """One pooled connection carries many requests."""
    with httpx.Client(base_url=b2.url) as client:
        for _ in range(20):
            reply = client.post(
                "/b2api/v4/b2_list_buckets",
                json={"accountId": b2.account_id},
                headers={"Authorization": b2.token},
            )
            assert reply.status_code == 200
