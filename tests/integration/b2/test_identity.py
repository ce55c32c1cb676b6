"""On the wire: User-Agent, X-Bz-Test-Mode, accountId, restricted keys, timeouts, drops."""

from __future__ import annotations

import platform
import re

import httpx
import pytest

from syncd import __version__
from syncd.emulator import parse_fault
from syncd.errors import AuthRejectedError
from tests.integration.b2.conftest import KEY_ID, WireLog, connect, fast_config, local_file

pytestmark = pytest.mark.integration
UA = re.compile(r"syncd/[\w.]+\+python/\d+\.\d+\.\d+ httpx/[\w.]+ \(.+\)")


def test_user_agent_and_test_mode_on_every_request(rig_factory, tmp_path):
    """Every request carries the syncd User-Agent and the configured X-Bz-Test-Mode."""
    rig = rig_factory(test_mode="fail_some_uploads")
    path, state = local_file(tmp_path, "f", b"x" * 300)
    for i in range(20):
        rig.client.upload_file(rig.bucket, f"ua/{i}", path, state)
    list(rig.client.iter_versions(rig.bucket))
    exchanges = rig.wire.exchanges
    assert len(exchanges) > 20
    assert all(UA.fullmatch(e.headers["user-agent"]) for e in exchanges)
    assert (
        exchanges[0]
        .headers["user-agent"]
        .startswith(f"syncd/{__version__}+python/{platform.python_version()} ")
    )
    assert all(e.headers.get("x-bz-test-mode") == "fail_some_uploads" for e in exchanges)
    assert any(e.status == 503 for e in rig.wire.of("upload_file"))  # the header took effect


def test_account_id_is_from_authorize_not_the_key_id(rig_factory):
    """The client keeps and sends B2's accountId, never the key id."""
    rig = rig_factory()
    auth = rig.client.authorize()
    assert auth.account_id == rig.server.account_id
    assert auth.account_id != KEY_ID
    list_buckets = rig.wire.of("list_buckets")[0]
    assert list_buckets.status == 200


def create_key(rig, **spec) -> tuple[str, str]:
    """Create a restricted application key on the emulator with the master token."""
    auth = rig.client.session.authorization
    body = {"accountId": auth.account_id, "keyName": "restricted", **spec}
    r = httpx.post(
        f"{auth.api_url}/b2api/v4/b2_create_key",
        json=body,
        headers={"Authorization": auth.authorization_token},
    )
    r.raise_for_status()
    return r.json()["applicationKeyId"], r.json()["applicationKey"]


@pytest.mark.parametrize(
    ("spec", "prefix", "message"),
    [
        ({"capabilities": ["listFiles", "readFiles"]}, "", "writeFiles"),
        (
            {"capabilities": ["listBuckets", "listFiles", "writeFiles"], "bucketIds": ["OTHER"]},
            "",
            "restricted to",
        ),
        (
            {
                "capabilities": ["listBuckets", "listFiles", "writeFiles"],
                "bucketIds": ["SELF"],
                "namePrefix": "host1/",
            },
            "host2/",
            "host1/",
        ),
    ],
    ids=["missing-capability", "other-bucket", "outside-prefix"],
)
def test_restricted_keys_are_refused_clearly(rig_factory, spec, prefix, message):
    """Keys lacking a capability, or bound to another bucket or prefix, are refused clearly."""
    rig = rig_factory()
    if "bucketIds" in spec:
        other = rig.bucket.bucket_id
        if spec["bucketIds"] == ["OTHER"]:
            auth = rig.client.session.authorization
            r = httpx.post(
                f"{auth.api_url}/b2api/v4/b2_create_bucket",
                headers={"Authorization": auth.authorization_token},
                json={
                    "accountId": auth.account_id,
                    "bucketName": "bucket-other",
                    "bucketType": "allPrivate",
                },
            )
            other = r.json()["bucketId"]
        spec = {**spec, "bucketIds": [other]}
    key_id, key = create_key(rig, **spec)
    config = fast_config(rig.server.base_url, key_id=key_id, application_key=key)
    client = connect(rig.server, config, WireLog())
    try:
        with pytest.raises(AuthRejectedError, match=message):
            client.check_access("bucket-a", prefix, need=frozenset({"listFiles", "writeFiles"}))
    finally:
        client.close()


def test_prefix_key_works_inside_its_prefix(rig_factory, tmp_path):
    """A bucket+prefix key reaches its bucket via v4 authorize and uploads under its prefix."""
    rig = rig_factory()
    key_id, key = create_key(
        rig,
        capabilities=["listFiles", "writeFiles", "readFiles"],
        bucketIds=[rig.bucket.bucket_id],
        namePrefix="host1/",
    )
    config = fast_config(rig.server.base_url, key_id=key_id, application_key=key)
    client = connect(rig.server, config, WireLog())
    try:
        bucket = client.check_access(
            "bucket-a", "host1/docs/", need=frozenset({"listFiles", "writeFiles"})
        )
        path, state = local_file(tmp_path, "f", b"ok")
        client.upload_file(bucket, "host1/docs/f", path, state)
        assert [v.file_name for v in client.iter_names(bucket, "host1/")] == ["host1/docs/f"]
    finally:
        client.close()


def test_wrong_key_is_fatal_after_one_call(rig_factory):
    """A wrong application key fails authorize once with AuthRejectedError, no retry storm."""
    rig = rig_factory()
    rig.server.reset_stats()
    config = fast_config(rig.server.base_url, application_key="wrong")
    client = connect(rig.server, config, WireLog())
    try:
        with pytest.raises(AuthRejectedError):
            client.authorize()
    finally:
        client.close()
    assert rig.calls("authorize_account") == 1


def test_stalled_answer_times_out_and_is_retried(rig_factory):
    """A server that stalls past the read timeout is abandoned and the call retried."""
    rig = rig_factory(read_timeout_s=0.3)
    rig.server.set_faults([parse_fault("list_file_names:latency_ms=1500,count=1")])
    assert list(rig.client.iter_names(rig.bucket)) == []
    assert rig.calls("list_file_names") == 2


def test_dropped_connections_on_api_and_upload_calls(rig_factory, tmp_path):
    """Dropped connections: API calls are retried, uploads move to a new URL (and probe first)."""
    rig = rig_factory()
    rig.server.set_faults([parse_fault("list_file_names|upload_file:drop=1,count=4")])
    path, state = local_file(tmp_path, "f", b"data")
    rig.client.upload_file(rig.bucket, "d/f", path, state)
    assert [v.file_name for v in rig.client.iter_names(rig.bucket, "d/")] == ["d/f"]
    assert rig.server.stats()["faultsFired"] == 4
